"""Request mutator: from one valid baseline request, named variants per mutation class.

:func:`baseline_request` turns a :class:`harness.surface.Baseline` into the exact request
(:class:`Request`: method, target, header list, body bytes, framing) with ``{placeholders}``
for per-server values (ids, tokens, cookies; ``{item|upper}`` applies a spelling filter, see
:data:`FILTERS`). :func:`variants` yields ``(class, name, Request)`` for each class in
:data:`CLASSES`; :func:`sample` picks a bounded, seeded subset (deterministic for a seed).

Classes: path, query, headers, cookies, body, framing, multipart (see each generator).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from harness.surface import Baseline

#: the JSON body size limit (1 MiB) and a size above it
JSON_LIMIT = 1024 * 1024
#: Django's DATA_UPLOAD_MAX_NUMBER_FILES default; both apps must refuse more
MAX_FILES = 100
BOUNDARY = "diffsuiteboundary7MA4YWxkTrZu0gW"


@dataclass(frozen=True)
class Request:
    """An exact request, placeholders not yet rendered (see harness/differential.render)."""

    method: str
    target: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    #: "" = the server's own host:port, None = no Host header, other = that value
    host: str | None = ""
    content_length: bool = True
    timeout: float = 10.0
    #: a follow-up request sent on the same side after this one (session fixation)
    then: Request | None = None


def _upper(v: str) -> str:
    return v.upper()


FILTERS: dict[str, Callable[[str], str]] = {
    "upper": _upper,
    "nohyphen": lambda v: v.replace("-", ""),
    "braces": lambda v: "{" + v + "}",
    "urn": lambda v: "urn:uuid:" + v,
    "encslash": lambda v: v + "%2F",
    "pct1": lambda v: f"%{ord(v[0]):02X}{v[1:]}" if v else v,
}


def _multipart(fields: list[tuple[bytes, bytes | None, bytes]]) -> bytes:
    """fields: (Content-Disposition params, Content-Type or None, content)."""
    out = bytearray()
    for disp, ctype, content in fields:
        out += f"--{BOUNDARY}\r\n".encode() + b"Content-Disposition: form-data; " + disp + b"\r\n"
        if ctype is not None:
            out += b"Content-Type: " + ctype + b"\r\n"
        out += b"\r\n" + content + b"\r\n"
    return bytes(out) + f"--{BOUNDARY}--\r\n".encode()


def _file_part(name: str, ctype: str, content: bytes) -> tuple[bytes, bytes | None, bytes]:
    return (f'name="files"; filename="{name}"'.encode(), ctype.encode(), content)


def _auth_headers(b: Baseline) -> list[tuple[str, str]]:
    unsafe = b.method not in ("GET", "HEAD", "OPTIONS")
    n = ""  # the reader's placeholders are swapped in by as_reader()
    if b.auth == "bearer":
        return [("Authorization", f"Bearer {{token{n}}}")]
    if b.auth == "session":
        out = [("Cookie", f"sessionid={{sid{n}}}; csrftoken={{csrf{n}}}")]
        if unsafe:
            out += [("X-CSRFToken", f"{{csrf{n}}}"), ("Origin", "http://{host}")]
        return out
    if b.auth == "csrf-only":
        return [
            ("Cookie", "csrftoken={fresh_csrf}"),
            ("X-CSRFToken", "{fresh_csrf}"),
            ("Origin", "http://{host}"),
        ]
    if b.auth == "fresh-session":
        return [
            ("Cookie", "sessionid={fresh_sid}; csrftoken={fresh_csrf}"),
            ("X-CSRFToken", "{fresh_csrf}"),
            ("Origin", "http://{host}"),
        ]
    return []


def _target(path: str, query: tuple[tuple[str, str], ...]) -> str:
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")


def _body(b: Baseline) -> tuple[list[tuple[str, str]], bytes]:
    if b.json_body is not None:
        return [("Content-Type", "application/json")], json.dumps(b.json_body).encode()
    if b.form:
        from urllib.parse import urlencode

        return [("Content-Type", "application/x-www-form-urlencoded")], urlencode(
            b.form, safe="{}"
        ).encode()
    if b.files:
        body = _multipart([_file_part(n, t, c) for n, t, c in b.files])
        return [("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")], body
    return [], b""


def baseline_request(
    b: Baseline,
    *,
    path: str | None = None,
    query: tuple[tuple[str, str], ...] | None = None,
    headers: list[tuple[str, str]] | None = None,
    body: bytes | None = None,
) -> Request:
    """The exact request of a baseline (pieces overridable for the variants)."""
    body_headers, body_bytes = _body(b)
    hdrs = headers if headers is not None else [*_auth_headers(b), *b.headers, *body_headers]
    return Request(
        b.method,
        _target(path if path is not None else b.path, b.query if query is None else query),
        tuple(hdrs),
        body_bytes if body is None else body,
    )


Variant = tuple[str, str, Request]  # (class, name, request)


def _with_headers(
    req: Request, drop: tuple[str, ...] = (), add: tuple[tuple[str, str], ...] = ()
) -> Request:
    kept = tuple((k, v) for k, v in req.headers if k.lower() not in drop)
    return replace(req, headers=kept + add)


# --------------------------------------------------------------------------- classes


def path_variants(b: Baseline) -> Iterator[Variant]:
    base = baseline_request(b)
    p = b.path
    first, _, rest = p[1:].partition("/")

    def v(name: str, path: str) -> Variant:
        return ("path", name, replace(base, target=_target(path, b.query)))

    yield v("leading-double-slash", "/" + p)
    if rest:
        yield v("inner-empty-segment", f"/{first}//{rest}")
    yield v("trailing-slash", p + "/")
    yield v("trailing-double-slash", p + "//")
    yield v("encoded-slash-segment", p + "/%2F")
    yield v("encoded-slash-lower", p + "%2f")
    yield v("encoded-backslash", p + "%5C")
    yield v("dot-segment", f"/{first}/./{rest}" if rest else p + "/.")
    yield v("dotdot-segment", f"/{first}/x/../{rest}" if rest else p + "/x/..")
    yield v("percent-encoded-letter", p.replace(p[1], f"%{ord(p[1]):02X}", 1))
    yield v("nul-segment", p + "/%00")
    for param in b.uuid_params:
        for spelling in ("upper", "nohyphen", "braces", "urn", "encslash"):
            yield v(
                f"uuid-{spelling}:{param}",
                p.replace("{" + param + "}", "{" + param + "|" + spelling + "}"),
            )
        yield v(f"uuid-nul:{param}", p.replace("{" + param + "}", "%00"))
        yield v(f"uuid-not-uuid:{param}", p.replace("{" + param + "}", "not-a-uuid"))
    if "{room}" in p:
        yield v("room-nul", p.replace("{room}", "%00"))
        yield v("room-encoded-slash", p.replace("{room}", "a%2Fb"))
        yield v("room-upper", p.replace("{room}", "LOBBY"))


NUMERIC_SPELLINGS: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("plus-sign", lambda v: "%2B" + v),
    ("minus-sign", lambda v: "-" + v),
    ("leading-space", lambda v: "%20" + v),
    ("trailing-space", lambda v: v + "%20"),
    ("leading-zeros", lambda v: "00" + v),
    ("exponent", lambda v: v + "e0"),
    ("decimal-point", lambda v: v + ".0"),
    ("arabic-indic", lambda v: "".join("%D9%A" + c for c in v)),
    ("fullwidth", lambda v: "".join("%EF%BC%9" + c for c in v)),
    ("huge", lambda v: "9" * 30),
    ("empty", lambda v: ""),
    ("underscore", lambda v: v + "_0"),
    ("hex", lambda v: "0x" + v),
)


def query_variants(b: Baseline) -> Iterator[Variant]:
    base = baseline_request(b)
    q = list(b.query)
    for name in b.numeric_query:
        for spelling, fn in NUMERIC_SPELLINGS:
            changed = tuple((k, fn(v) if k == name else v) for k, v in q)
            yield ("query", f"{spelling}:{name}", replace(base, target=_target(b.path, changed)))
    for k, v in q:
        yield ("query", f"duplicate-key:{k}", replace(base, target=_target(b.path, (*q, (k, v)))))
        yield (
            "query",
            f"duplicate-key-differs:{k}",
            replace(base, target=_target(b.path, (*q, (k, "2" if v.isdigit() else v + "x")))),
        )
    yield ("query", "unknown-key", replace(base, target=_target(b.path, (*q, ("zzz", "1")))))
    yield (
        "query",
        "bare-key",
        replace(base, target=_target(b.path, tuple(q)) + ("&" if q else "?") + "flag"),
    )


def header_variants(b: Baseline) -> Iterator[Variant]:
    base = baseline_request(b)
    unsafe = b.method not in ("GET", "HEAD", "OPTIONS")
    yield ("headers", "no-host", replace(base, host=None))
    yield ("headers", "host-trailing-dot", replace(base, host="127.0.0.1.:{port}"))
    yield ("headers", "two-hosts", _with_headers(base, add=(("Host", "127.0.0.1:{port}"),)))
    yield ("headers", "foreign-host", replace(base, host="evil.example"))
    yield ("headers", "accept-html", _with_headers(base, ("accept",), (("Accept", "text/html"),)))
    yield (
        "headers",
        "accept-xml",
        _with_headers(base, ("accept",), (("Accept", "application/xml"),)),
    )
    yield (
        "headers",
        "request-id-echo",
        _with_headers(base, add=(("X-Request-ID", "abc-123.XYZ_9"),)),
    )
    yield (
        "headers",
        "request-id-bad",
        _with_headers(base, add=(("X-Request-ID", "bad id\twith tab"),)),
    )
    yield (
        "headers",
        "cors-foreign-origin",
        _with_headers(base, ("origin",), (("Origin", "http://evil.example"),)),
    )
    yield (
        "headers",
        "cors-allowed-origin",
        _with_headers(base, ("origin",), (("Origin", "http://allowed.example"),)),
    )
    pre = Request(
        "OPTIONS",
        base.target,
        (("Origin", "{cors_origin}"), ("Access-Control-Request-Method", b.method)),
    )
    yield (
        "headers",
        "cors-preflight-allowed",
        replace(
            pre,
            headers=(
                ("Origin", "http://allowed.example"),
                ("Access-Control-Request-Method", b.method),
                ("Access-Control-Request-Headers", "authorization, content-type"),
            ),
        ),
    )
    yield (
        "headers",
        "cors-preflight-refused",
        replace(
            pre,
            headers=(
                ("Origin", "http://evil.example"),
                ("Access-Control-Request-Method", b.method),
            ),
        ),
    )
    yield ("headers", "options", Request("OPTIONS", base.target, base.headers))
    yield (
        "headers",
        "options-bad-token",
        Request("OPTIONS", base.target, (("Authorization", "Bearer garbage"),)),
    )
    if b.method == "GET":
        yield ("headers", "head", replace(base, method="HEAD"))
    yield (
        "headers",
        "wrong-method",
        replace(base, method="PATCH" if b.method != "PATCH" else "TRACE", body=b""),
    )
    if b.auth in ("bearer", "anon"):
        yield (
            "headers",
            "two-authorization-same",
            _with_headers(
                base,
                ("authorization",),
                (("Authorization", "Bearer {token}"), ("Authorization", "Bearer {token}")),
            ),
        )
        yield (
            "headers",
            "two-authorization-two-users",
            _with_headers(
                base,
                ("authorization",),
                (("Authorization", "Bearer {token}"), ("Authorization", "Bearer {token2}")),
            ),
        )
        yield (
            "headers",
            "two-authorization-valid-garbage",
            _with_headers(
                base,
                ("authorization",),
                (("Authorization", "Bearer {token}"), ("Authorization", "Bearer garbage")),
            ),
        )
        yield (
            "headers",
            "bearer-garbage",
            _with_headers(base, ("authorization",), (("Authorization", "Bearer garbage"),)),
        )
        yield (
            "headers",
            "bearer-expired",
            _with_headers(base, ("authorization",), (("Authorization", "Bearer {expired}"),)),
        )
        for claim in ("exp-string", "exp-float", "exp-huge", "no-iat"):
            yield (
                "headers",
                f"bearer-{claim}",
                _with_headers(
                    base,
                    ("authorization",),
                    (("Authorization", "Bearer {jwt_" + claim.replace("-", "_") + "}"),),
                ),
            )
        yield (
            "headers",
            "bearer-lowercase-scheme",
            _with_headers(base, ("authorization",), (("Authorization", "bearer {token}"),)),
        )
        yield (
            "headers",
            "token-scheme",
            _with_headers(base, ("authorization",), (("Authorization", "Token {token}"),)),
        )
    if b.auth in ("session", "csrf-only", "fresh-session") and unsafe:
        yield (
            "headers",
            "origin-foreign",
            _with_headers(base, ("origin",), (("Origin", "http://evil.example"),)),
        )
        yield ("headers", "origin-null", _with_headers(base, ("origin",), (("Origin", "null"),)))
        yield ("headers", "origin-missing", _with_headers(base, ("origin",)))
        yield ("headers", "csrf-header-missing", _with_headers(base, ("x-csrftoken",)))
        yield (
            "headers",
            "csrf-header-wrong",
            _with_headers(base, ("x-csrftoken",), (("X-CSRFToken", "x" * 32),)),
        )
        yield (
            "headers",
            "referer-foreign-no-origin",
            _with_headers(base, ("origin",), (("Referer", "http://evil.example/x"),)),
        )
    ctypes = [v for k, v in base.headers if k.lower() == "content-type"]
    if ctypes and ctypes[0] == "application/json":
        for name, ct in (
            ("charset-utf8", "application/json; charset=utf-8"),
            ("charset-upper", "application/json; charset=UTF-8"),
            ("charset-latin1", "application/json; charset=latin-1"),
            ("charset-bogus", "application/json; charset=bogus"),
            ("ct-upper", "APPLICATION/JSON"),
            ("ct-json-suffix", "application/merge-patch+json"),
            ("ct-text", "text/plain"),
            ("ct-missing", None),
        ):
            add = (("Content-Type", ct),) if ct else ()
            yield ("headers", name, _with_headers(base, ("content-type",), add))
        yield (
            "headers",
            "two-content-types",
            _with_headers(
                base,
                ("content-type",),
                (("Content-Type", "application/json"), ("Content-Type", "text/plain")),
            ),
        )
        yield (
            "headers",
            "two-content-types-same",
            _with_headers(
                base,
                ("content-type",),
                (("Content-Type", "application/json"), ("Content-Type", "application/json")),
            ),
        )


def cookie_variants(b: Baseline) -> Iterator[Variant]:
    base = baseline_request(b)
    if b.auth == "session":
        yield (
            "cookies",
            "sessionid-twice-garbage-last",
            _with_headers(
                base,
                ("cookie",),
                (("Cookie", "sessionid={sid}; sessionid=garbage; csrftoken={csrf}"),),
            ),
        )
        yield (
            "cookies",
            "sessionid-twice-garbage-first",
            _with_headers(
                base,
                ("cookie",),
                (("Cookie", "sessionid=garbage; sessionid={sid}; csrftoken={csrf}"),),
            ),
        )
        yield (
            "cookies",
            "two-cookie-headers",
            _with_headers(
                base, ("cookie",), (("Cookie", "sessionid={sid}"), ("Cookie", "csrftoken={csrf}"))
            ),
        )
        yield (
            "cookies",
            "sessionid-quoted",
            _with_headers(base, ("cookie",), (("Cookie", 'sessionid="{sid}"; csrftoken={csrf}'),)),
        )
        yield (
            "cookies",
            "sessionid-percent-encoded",
            _with_headers(
                base, ("cookie",), (("Cookie", "sessionid={sid|pct1}; csrftoken={csrf}"),)
            ),
        )
        yield (
            "cookies",
            "sessionid-unknown",
            _with_headers(
                base,
                ("cookie",),
                (("Cookie", "sessionid=abcdefghijklmnopqrstuvwxyz012345; csrftoken={csrf}"),),
            ),
        )
    if b.auth == "csrf-only":
        chosen = "fixationfixationfixationfixation"
        login = _with_headers(
            base, ("cookie",), (("Cookie", f"csrftoken={{fresh_csrf}}; sessionid={chosen}"),)
        )
        follow = Request("GET", "/auth/whoami", (("Cookie", f"sessionid={chosen}"),))
        yield ("cookies", "client-chosen-sessionid", replace(login, then=follow))
    if b.operation[1] == "/api/v1/preferences" and b.method == "GET":
        for name, cookie in (
            ("percent-encoded", "theme=%64ark"),
            ("quoted", 'theme="dark"'),
            ("duplicate", "theme=dark; theme=light"),
            ("duplicate-invalid-first", "theme=bogus; theme=dark"),
            ("empty", "theme="),
            ("upper", "theme=DARK"),
            ("trailing-space", "theme=dark%20"),
        ):
            yield ("cookies", name, _with_headers(base, ("cookie",), (("Cookie", cookie),)))


def _strings(body: Any) -> list[str]:
    return [k for k, v in body.items() if isinstance(v, str)] if isinstance(body, dict) else []


def body_variants(b: Baseline) -> Iterator[Variant]:
    if b.json_body is None:
        if b.method in ("POST", "PUT", "PATCH"):
            base = baseline_request(b)
            yield ("body", "empty", replace(base, body=b""))
        return
    base = baseline_request(b)
    body: dict[str, Any] = b.json_body

    def v(name: str, data: bytes) -> Variant:
        return ("body", name, replace(base, body=data))

    yield v("empty", b"")
    yield v("empty-object", b"{}")
    yield v("invalid-utf8", json.dumps(body).encode()[:-2] + b'\xff\xfe"}')
    yield v("not-json", b"name=x&price=1")
    yield v("array", b"[]")
    yield v("null", b"null")
    yield v("deep-nesting", b"[" * 100_000 + b"]" * 100_000)
    yield v(
        "deep-nesting-in-field",
        json.dumps({**body, "extra": 0}).encode().replace(b"0}", b"[" * 5000 + b"]" * 5000 + b"}"),
    )
    yield v("extra-field", json.dumps({**body, "zzz_extra": 1, "id": "x"}).encode())
    yield v(
        "duplicate-key",
        json.dumps(body).encode()[:-1] + b', "' + next(iter(body)).encode() + b'": "dup"}',
    )
    yield v("nan", json.dumps({**body, next(iter(body)): float("nan")}).encode())
    for key in body:
        for name, value in (
            ("int", 12345),
            ("list", ["a"]),
            ("null", None),
            ("bool", True),
            ("object", {"a": 1}),
        ):
            yield v(f"wrong-type-{name}:{key}", json.dumps({**body, key: value}).encode())
        yield v(f"missing:{key}", json.dumps({k: x for k, x in body.items() if k != key}).encode())
    for key in _strings(body):
        val = body[key]
        yield v(f"trailing-newline:{key}", json.dumps({**body, key: val + "\n"}).encode())
        yield v(f"trailing-space:{key}", json.dumps({**body, key: val + " "}).encode())
        yield v(f"leading-space:{key}", json.dumps({**body, key: " " + val}).encode())
        yield v(
            f"lone-surrogate:{key}",
            json.dumps({**body, key: val})
            .encode()
            .replace(json.dumps(val).encode(), b'"\\ud800' + val.encode() + b'"', 1),
        )
        yield v(f"nul-char:{key}", json.dumps({**body, key: val + "\u0000"}).encode())
        yield v(f"huge-string:{key}", json.dumps({**body, key: "x" * 100_000}).encode())
    yield v("every-field-invalid", json.dumps({k: [1] for k in body}).encode())
    yield v("over-size-limit", json.dumps({**body, "pad": "x" * (JSON_LIMIT + 10)}).encode())


def framing_variants(b: Baseline) -> Iterator[Variant]:
    base = baseline_request(b)
    if not base.body:
        if b.method in ("GET", "DELETE"):
            yield ("framing", "get-with-body", replace(base, body=b'{"x": 1}'))
        return
    from harness.rawhttp import chunked

    te = (("Transfer-Encoding", "chunked"),)
    yield (
        "framing",
        "chunked",
        replace(_with_headers(base, add=te), body=chunked(base.body), content_length=False),
    )
    big = base.body + b" " * (7 * 1024 * 1024)
    yield (
        "framing",
        "chunked-over-limit",
        replace(
            _with_headers(base, add=te), body=chunked(big, 65536), content_length=False, timeout=20
        ),
    )
    yield (
        "framing",
        "cl-and-te",
        replace(
            _with_headers(base, add=(("Content-Length", str(len(base.body))), *te)),
            body=chunked(base.body),
            content_length=False,
        ),
    )
    yield (
        "framing",
        "short-content-length",
        replace(
            _with_headers(base, add=(("Content-Length", str(len(base.body) + 10)),)),
            content_length=False,
            timeout=3.0,
        ),
    )
    yield (
        "framing",
        "truncating-content-length",
        replace(
            _with_headers(base, add=(("Content-Length", str(len(base.body) - 3)),)),
            content_length=False,
        ),
    )
    yield ("framing", "expect-continue", _with_headers(base, add=(("Expect", "100-continue"),)))


def multipart_variants(b: Baseline) -> Iterator[Variant]:
    if not b.files:
        return
    base = baseline_request(b)

    def v(name: str, fields: list[tuple[bytes, bytes | None, bytes]]) -> Variant:
        return ("multipart", name, replace(base, body=_multipart(fields)))

    txt = b"text/plain"
    yield v(
        "filename-star", [(b"name=\"files\"; filename*=UTF-8''r%C3%A9sum%C3%A9.txt", txt, b"x")]
    )
    yield v(
        "filename-and-star",
        [
            (
                b'name="files"; filename="plain.txt"; filename*=UTF-8\'\'r%C3%A9sum%C3%A9.txt',
                txt,
                b"x",
            )
        ],
    )
    yield v("no-filename", [(b'name="files"', txt, b"x")])
    yield v("empty-filename", [(b'name="files"; filename=""', txt, b"x")])
    yield v("no-content-type", [(b'name="files"; filename="a.txt"', None, b"x")])
    yield v(
        "more-files-than-limit",
        [_file_part(f"f{i}.txt", "text/plain", b"x") for i in range(MAX_FILES + 1)],
    )
    yield v("long-name", [_file_part("n" * 300 + ".txt", "text/plain", b"x")])
    yield v("path-name", [_file_part("../../etc/passwd", "text/plain", b"x")])
    yield v(
        "non-utf8-text-part",
        [_file_part("a.txt", "text/plain", b"x"), (b'name="note"', None, b"\xff\xfe\xfd")],
    )
    yield v("non-utf8-files-part", [(b'name="files"', None, b"\xff\xfe\xfd")])
    yield v("non-utf8-filename", [(b'name="files"; filename="\xe9t\xe9.txt"', txt, b"x")])
    yield v("wrong-field-name", [(b'name="other"; filename="a.txt"', txt, b"x")])
    yield v("no-parts", [])
    yield (
        "multipart",
        "no-boundary",
        _with_headers(base, ("content-type",), (("Content-Type", "multipart/form-data"),)),
    )


CLASSES: dict[str, tuple[Callable[[Baseline], Iterator[Variant]], str]] = {
    "path": (path_variants, "path-params"),
    "query": (query_variants, "query-params"),
    "headers": (header_variants, "header-cookie-params"),
    "cookies": (cookie_variants, "sessions"),
    "body": (body_variants, "json-body"),
    "framing": (framing_variants, "middleware"),
    "multipart": (multipart_variants, "file-uploads"),
}


READER_SWAP = {"token": "token2", "token2": "token", "sid": "sid2", "csrf": "csrf2"}
_SWAP_RE = re.compile(r"\{(token2|token|sid|csrf)(\|[a-z0-9]+)?\}")


def as_reader(b: Baseline, req: Request) -> Request:
    """For a reader baseline: the same request as the reader (user 2) instead of user 1."""
    if not b.reader:
        return req

    def swap(text: str) -> str:
        return _SWAP_RE.sub(
            lambda m: "{" + READER_SWAP[m.group(1)] + (m.group(2) or "") + "}", text
        )

    then = as_reader(b, req.then) if req.then is not None else None
    return replace(
        req, target=swap(req.target), headers=tuple((k, swap(v)) for k, v in req.headers), then=then
    )


def final_request(b: Baseline) -> Request:
    """The baseline request as sent."""
    return as_reader(b, baseline_request(b))


def variants(b: Baseline, cls: str) -> list[Variant]:
    return [(c, name, as_reader(b, req)) for c, name, req in CLASSES[cls][0](b)]


def sample(items: list[Variant], limit: int | None, rng: random.Random) -> list[Variant]:
    """At most ``limit`` variants, chosen by ``rng`` (all of them when limit is None)."""
    if limit is None or len(items) <= limit:
        return items
    return rng.sample(items, limit)
