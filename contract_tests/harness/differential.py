"""Differential check: one generated request sequence, sent to both servers, answers compared.

A Hypothesis state machine draws requests from the contract (schemathesis builds one strategy
per operation from openapi.yaml: valid and invalid bodies and queries) and sends each request to
Django and to Litestar, as a user of each server created for the run. Item ids returned by the
two servers are paired, so later steps address "the same" item on both. Each pair of responses
is normalised (:func:`normalise_response`) and must be equal; a difference fails the run with
both responses printed.

Normalisation (the only liberties; each hides a value that legitimately differs per server):
  * ids: a UUID the two servers returned for the same create is replaced by one shared
    placeholder (``<item3>``); any other UUID (the user's own id) becomes ``<uuid>``
  * ``created_at`` / ``updated_at`` / ``started_at`` -> ``<timestamp>``, ``access_token`` ->
    ``<token>``; ``Location`` -> its path (hosts and ports differ)
  * problem bodies: ``type``, ``status`` and the set of error pointers (message texts are not
    part of the contract, CONTRACT.md decision 1)
  * item pages: ties in the sort key compared as a multiset, page-edge ties by key only
    (:func:`canonical_ties`: both servers break ties by their random ids)

Knobs (env): DIFFERENTIAL_EXAMPLES (scenarios, default 12; `make fuzz` uses 150) and the
schemathesis seed (SCHEMATHESIS_SEED, "random" for a random run).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import hypothesis
import schemathesis
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, rule
from schemathesis.schemas import BaseSchema

from harness.accounts import Account, new_account
from harness.fuzz import seed_setting
from harness.http import Client
from harness.paths import OPENAPI_PATH
from harness.servers import LiveServer

DEFAULT_EXAMPLES = 12
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TIMESTAMP_KEYS = frozenset({"created_at", "updated_at", "started_at"})


def examples() -> int:
    raw = os.environ.get("DIFFERENTIAL_EXAMPLES", "").strip()
    return int(raw) if raw else DEFAULT_EXAMPLES


@dataclass
class Side:
    """One server as the differential check sees it."""

    server: LiveServer
    client: httpx.Client
    account: Account
    #: this server's ids -> the placeholder shared by both sides
    aliases: dict[str, str] = field(default_factory=dict)


def _alias(value: str, side: Side) -> str:
    return UUID_RE.sub(lambda m: side.aliases.get(m.group(0), "<uuid>"), value)


def _normalise_json(value: Any, side: Side, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _normalise_json(v, side, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_normalise_json(v, side) for v in value]
    if isinstance(value, str):
        if key in TIMESTAMP_KEYS:
            return "<timestamp>"
        if key == "access_token":
            return "<token>"
        return _alias(value, side)
    return value


def normalise_response(resp: httpx.Response, side: Side) -> dict[str, Any]:
    """What must be equal: status, media type, Location path, the body (see the module doc).

    Item pages additionally go through :func:`canonical_ties` (equal sort keys).

    Problem bodies keep ``type``, ``status`` and the set of error pointers (never message text,
    CONTRACT.md decision 1); other JSON bodies are compared whole with ids replaced by paired
    placeholders, timestamps and tokens masked.
    """
    media = resp.headers.get("content-type", "").split(";")[0].strip()
    out: dict[str, Any] = {"status": resp.status_code, "media_type": media}
    if "location" in resp.headers:
        out["location"] = _alias(httpx.URL(resp.headers["location"]).path, side)
    if not resp.content:
        return out
    if media == "application/problem+json":
        body = resp.json()
        out["problem"] = {
            "type": body.get("type"),
            "status": body.get("status"),
            "pointers": sorted({e.get("pointer") for e in body.get("errors") or []}),
        }
    elif media.endswith("json"):
        out["body"] = _normalise_json(resp.json(), side)
    else:
        out["body_bytes"] = len(resp.content)
    return out


def canonical_ties(normal: dict[str, Any], ordering: str) -> dict[str, Any]:
    """A normalised item page with ties in the sort key put in one canonical order.

    Both servers break ties by item id (the contract's rule), and ids are random per server,
    so items with an equal sort key may come back in any order: within a tie they are sorted
    by their normalised JSON (a multiset comparison). A group at a page edge (the first one
    when ``offset > 0``, the last one when more items follow) may continue on the next page,
    so each server may show different members of it: only its sort-key values are kept
    (their number and values are still compared).
    ``created_at`` ordering is left alone: both servers create the items in the same sequence,
    and the masked timestamps would make every item look tied.
    """
    body = normal.get("body")
    field = ordering.lstrip("-")
    if (
        normal.get("status") != 200
        or field == "created_at"
        or not isinstance(body, dict)
        or not isinstance(body.get("items"), list)
    ):
        return normal
    items: list[Any] = body["items"]
    groups: list[list[Any]] = []
    for item in items:
        if groups and groups[-1][0].get(field) == item.get(field):
            groups[-1].append(item)
        else:
            groups.append([item])
    more_follow = body.get("offset", 0) + len(items) < body.get("total", 0)
    out: list[Any] = []
    for index, group in enumerate(groups):
        cut = (index == 0 and body.get("offset", 0) > 0) or (
            index == len(groups) - 1 and more_follow
        )
        if cut:
            out.extend({field: item.get(field), "tie": "cut by the page edge"} for item in group)
        else:
            out.extend(sorted(group, key=lambda item: json.dumps(item, sort_keys=True)))
    return {**normal, "body": {**body, "items": out}}


class Mismatch(AssertionError):
    """The servers answered one request differently."""


def _dump(resp: httpx.Response) -> str:
    return f"{resp.status_code} {resp.headers.get('content-type', '')}\n{resp.text[:1500]}"


@dataclass
class DifferentialRun:
    """Counters and the first mismatch of a run."""

    requests: int = 0
    scenarios: int = 0

    def summary(self) -> str:
        seed = seed_setting()
        return (
            f"differential: {self.scenarios} scenarios, {self.requests} request pairs, "
            f"seed {seed if seed is not None else 'random'}"
        )


def build_machine(
    schema: BaseSchema, sides: dict[str, Side], run: DifferentialRun
) -> type[RuleBasedStateMachine]:
    """The paired state machine over the items operations of ``schema``."""

    def strategy(path: str, method: str) -> st.SearchStrategy[Any]:
        return schema[path][method].as_strategy()

    create = strategy("/api/v1/items", "POST")
    listing = strategy("/api/v1/items", "GET")
    update = strategy("/api/v1/items/{item_id}", "PUT")
    patch = strategy("/api/v1/items/{item_id}", "PATCH")

    def send(
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, Any] | None = None,
        item: str | None = None,
    ) -> dict[str, httpx.Response]:
        run.requests += 1
        answers: dict[str, httpx.Response] = {}
        normal: dict[str, Any] = {}
        for name, side in sides.items():
            real_path = path
            if item is not None:
                real_id = next(k for k, v in side.aliases.items() if v == item)
                real_path = path.replace("{item_id}", real_id)
            kwargs: dict[str, Any] = {"headers": side.account.headers}
            if query:
                kwargs["params"] = query
            if body is not None:
                kwargs["json"] = body
            resp = side.client.request(method, real_path, **kwargs)
            answers[name] = resp
            normal[name] = normalise_response(resp, side)
            if method == "GET" and item is None:
                ordering = str((query or {}).get("ordering") or "created_at")
                normal[name] = canonical_ties(normal[name], ordering)
        first, second = list(sides)
        if normal[first] != normal[second]:
            request = f"{method} {path} item={item} query={query} body={json.dumps(body)[:500]}"
            raise Mismatch(
                f"the servers disagree on {request}\n"
                f"--- {first} (normalised): {normal[first]}\n"
                f"--- {second} (normalised): {normal[second]}\n"
                f"--- {first} raw: {_dump(answers[first])}\n"
                f"--- {second} raw: {_dump(answers[second])}"
            )
        return answers

    class PairedItems(RuleBasedStateMachine):
        items = Bundle("items")

        def __init__(self) -> None:
            super().__init__()
            run.scenarios += 1

        @rule(target=items, case=create)
        def create_item(self, case: Any) -> Any:
            answers = send("POST", "/api/v1/items", body=case.body)
            if all(r.status_code == 201 for r in answers.values()):
                alias = f"<item{len(next(iter(sides.values())).aliases)}>"
                for name, resp in answers.items():
                    sides[name].aliases[str(resp.json()["id"])] = alias
                return alias
            return hypothesis.stateful.multiple()

        @rule(item=items)
        def retrieve_item(self, item: str) -> None:
            send("GET", "/api/v1/items/{item_id}", item=item)

        @rule(item=items, case=update)
        def update_item(self, item: str, case: Any) -> None:
            send("PUT", "/api/v1/items/{item_id}", body=case.body, item=item)

        @rule(item=items, case=patch)
        def patch_item(self, item: str, case: Any) -> None:
            send("PATCH", "/api/v1/items/{item_id}", body=case.body, item=item)

        @rule(item=consumes(items))
        def destroy_item(self, item: str) -> None:
            send("DELETE", "/api/v1/items/{item_id}", item=item)
            send("GET", "/api/v1/items/{item_id}", item=item)

        @rule(case=listing)
        def list_items(self, case: Any) -> None:
            # Only this run's user's items are visible, so totals and pages must agree.
            send("GET", "/api/v1/items", query=case.query)

    return PairedItems


def run_differential(servers: dict[str, LiveServer]) -> DifferentialRun:
    """Drive both servers with one generated sequence; raise :class:`Mismatch` on a difference."""
    seed = seed_setting()
    schema = schemathesis.openapi.from_path(OPENAPI_PATH)
    run = DifferentialRun()
    clients = {name: Client(base_url=srv.base_url, timeout=15) for name, srv in servers.items()}
    try:
        sides = {
            name: Side(server=srv, client=clients[name], account=new_account(clients[name], "diff"))
            for name, srv in servers.items()
        }
        machine = build_machine(schema, sides, run)
        settings = hypothesis.settings(
            max_examples=examples(),
            stateful_step_count=10,
            deadline=None,
            derandomize=seed is not None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
            # no shrinking: each step talks to two live servers whose state shrinking cannot undo
            phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        )
        if seed is not None:
            machine = hypothesis.seed(seed)(machine)
        hypothesis.stateful.run_state_machine_as_test(machine, settings=settings)
    finally:
        for c in clients.values():
            c.close()
    return run


# =========================================================================== whole surface
# The whole-surface differential (CONTRACT.md "Whole-surface differential"): every baseline of
# harness/surface.py and its variants from harness/mutator.py, sent as raw HTTP to both
# servers; answers compared through harness/header_policy.py and :func:`normalise_raw`.

import hashlib  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402
from dataclasses import replace as _replace  # noqa: E402

from harness import header_policy, mutator, rawhttp, surface  # noqa: E402
from harness.accounts import mint_token  # noqa: E402

#: requests per mutation class in `make test` (one seeded baseline per mutation kind, capped);
#: SURFACE_VARIANTS=all (every baseline x every variant) or a number in `make fuzz`
DEFAULT_SURFACE_VARIANTS = 40
DEFAULT_SURFACE_SEED = 12
PLACEHOLDER = re.compile(r"\{([a-z_0-9]+)(?:\|([a-z]+))?\}")
BYTES_PLACEHOLDER = re.compile(rb"\{([a-z_0-9]+)(?:\|([a-z]+))?\}")
MASKED_KEYS = frozenset({"ticket", "access_token"})
#: /health fields that name the app itself (differ by design, pinned by tests/test_health.py)
SELF_KEYS = frozenset({"app", "framework", "version"})
#: the servers' own origins (ports differ by construction); a Host sent with a trailing dot
#: keeps it in absolute URLs (CONTRACT "Paths, hosts and framing"), so it stays visible
ORIGIN_RE = re.compile(r"https?://(?:127\.0\.0\.1|localhost)(\.?):\d+")


def surface_variants_limit() -> int | None:
    raw = os.environ.get("SURFACE_VARIANTS", "").strip().lower()
    if raw == "all":
        return None
    return int(raw) if raw else DEFAULT_SURFACE_VARIANTS


def surface_seed() -> int:
    raw = os.environ.get("SURFACE_SEED", "").strip().lower()
    if raw == "random":
        return random.SystemRandom().randrange(1 << 30)
    return int(raw) if raw else DEFAULT_SURFACE_SEED


class SurfaceSide:
    """One server in the whole-surface check: its address and prepared state."""

    def __init__(self, name: str, server: Any, state: surface.SideState) -> None:
        self.name = name
        self.server = server
        self.state = state
        port = httpx.URL(server.base_url).port
        sub = state.values.get("user_id", "")
        now = int(time.time())
        state.values.setdefault("port", str(port))
        state.values.setdefault("host", state.host)
        state.values.setdefault("cors_origin", "http://allowed.example")
        if sub:
            state.values.setdefault("expired", mint_token(sub, iat=now - 7200, exp=now - 3600))
            state.values.setdefault("jwt_exp_string", mint_token(sub, exp=str(now + 600)))
            state.values.setdefault("jwt_exp_float", mint_token(sub, exp=1e30))
            state.values.setdefault("jwt_exp_huge", mint_token(sub, exp=10**20))
            state.values.setdefault("jwt_no_iat", mint_token(sub, drop=("iat",)))

    def alias(self, value: str) -> str:
        value = ORIGIN_RE.sub(lambda m: "<origin>" if not m.group(1) else "<origin.>", value)
        return UUID_RE.sub(lambda m: self.state.aliases.get(m.group(0), "<uuid>"), value)

    def render(self, text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            value = self.state.values.get(m.group(1))
            if value is None:
                return m.group(0)
            return mutator.FILTERS[m.group(2)](value) if m.group(2) else value

        return PLACEHOLDER.sub(sub, text)

    def render_bytes(self, data: bytes) -> bytes:
        def sub(m: re.Match[bytes]) -> bytes:
            value = self.state.values.get(m.group(1).decode())
            if value is None:
                return m.group(0)
            if m.group(2):
                value = mutator.FILTERS[m.group(2).decode()](value)
            return value.encode()

        return BYTES_PLACEHOLDER.sub(sub, data)

    def wire(self, req: mutator.Request) -> tuple[str, list[tuple[str, str]], bytes, str | None]:
        host = req.host if req.host in ("", None) else self.render(req.host)
        return (
            self.render(req.target),
            [(k, self.render(v)) for k, v in req.headers],
            self.render_bytes(req.body),
            host,
        )

    def send(self, req: mutator.Request) -> rawhttp.RawResponse | str:
        """The raw answer, or "closed"/"timeout" when the server gave none."""
        target, headers, body, host = self.wire(req)
        try:
            return rawhttp.request(
                self.server,
                req.method,
                target,
                headers,
                body,
                host=host,
                content_length=req.content_length,
                timeout=req.timeout,
            )
        except TimeoutError:
            return "timeout"
        except (ConnectionError, OSError, ValueError, IndexError):
            return "closed"


def _norm_json_value(value: Any, side: SurfaceSide, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _norm_json_value(v, side, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_norm_json_value(v, side) for v in value]
    if isinstance(value, str):
        if key in TIMESTAMP_KEYS:
            return "<timestamp>"
        if key in MASKED_KEYS:
            return "<secret>"
        if key in SELF_KEYS:
            return "<self>"
        return side.alias(value)
    return value


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return sorted({json.dumps(_shape(v), sort_keys=True) for v in value})
    return type(value).__name__


#: the ASGI server's own answer to a request it cannot parse (uvicorn/h11, the same on both
#: apps, before the app sees the request): exempt from the problem+json rule
ASGI_SERVER_REFUSAL = b"Invalid HTTP request received."


def normalise_raw(
    resp: rawhttp.RawResponse | str,
    side: SurfaceSide,
    base: surface.Baseline,
    method: str,
    path: str,
    request_id: str | None,
) -> dict[str, Any]:
    """What must be equal on both servers for one raw answer (see CONTRACT.md)."""
    if isinstance(resp, str):
        # a timeout and a close without an answer look the same to a client: no answer
        return {"status": "<no answer>"}
    ctx = header_policy.Context(
        resp.status,
        method,
        path,
        resp.header("date"),
        request_id,
        cache_control=resp.header("cache-control") or "",
        alias=side.alias,
    )
    out: dict[str, Any] = {
        "status": resp.status,
        "headers": header_policy.normalise_headers(resp.headers, ctx, body_empty=not resp.body),
    }
    media = resp.content_type
    if not resp.body:
        return out
    try:
        if media == "application/problem+json":
            body = json.loads(resp.body)
            out["problem"] = {
                "type": body.get("type"),
                "status": body.get("status"),
                "pointers": sorted({str(e.get("pointer")) for e in body.get("errors") or []}),
            }
        elif media == "application/x-ndjson":
            out["body"] = [
                _norm_json_value(json.loads(line), side)
                for line in resp.body.splitlines()
                if line.strip()
            ]
        elif media.endswith("json") and base.body == "shape":
            out["body_shape"] = _shape(json.loads(resp.body))
        elif media.endswith("json") and base.body == "json":
            out["body"] = _norm_json_value(json.loads(resp.body), side)
        elif base.body == "bytes" or media.startswith(
            ("text/css", "text/javascript", "application/javascript")
        ):
            out["body_sha256"] = hashlib.sha256(resp.body).hexdigest()[:16]
        else:
            out["body"] = "<non-empty>"
    except (ValueError, UnicodeDecodeError):
        out["body"] = "<unparsable>"
    return out


@dataclass
class Finding:
    """One way the servers failed a request (a mismatch, a 5xx, a bad error, a header)."""

    cls: str
    operation: str
    variant: str
    kind: str
    detail: str
    repro: str
    answers: dict[str, str]

    def markdown(self) -> str:
        lines = [
            f"- **{self.variant}** ({self.kind}): {self.detail}",
            "  ```http",
            *("  " + x for x in self.repro.splitlines()),
            "  ```",
        ]
        for name, answer in self.answers.items():
            lines += [f"  {name}:", "  ```", *("  " + x for x in answer.splitlines()), "  ```"]
        return "\n".join(lines)


def _describe(resp: rawhttp.RawResponse | str) -> str:
    if isinstance(resp, str):
        return f"<{resp}>"
    heads = "\n".join(
        f"{k}: {v}" for k, v in resp.headers if k not in ("date", "server", "connection")
    )
    body = resp.body[:400].decode("utf-8", "replace")
    return f"{resp.status}\n{heads}\n\n{body}"


def _repro(side: SurfaceSide, req: mutator.Request) -> str:
    target, headers, body, host = side.wire(req)
    lines = [f"{req.method} {target} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host or rawhttp.default_host(side.server)}")
    lines += [f"{k}: {v}" for k, v in headers]
    if body and req.content_length:
        lines.append(f"Content-Length: {len(body)}")
    text = body[:300].decode("utf-8", "backslashreplace")
    more = f" ... ({len(body)} bytes)" if len(body) > 300 else ""
    return "\n".join(lines) + ("\n\n" + text + more if body else "")


def _is_page(base: surface.Baseline, path: str) -> bool:
    """HTML pages (and their variants) may answer errors as HTML (decision 30)."""
    return base.page


def _own_faults(
    name: str, resp: rawhttp.RawResponse | str, base: surface.Baseline, path: str
) -> list[tuple[str, str]]:
    if isinstance(resp, str):
        return []
    out: list[tuple[str, str]] = []
    if resp.status >= 500:
        out.append(("5xx", f"{name} answered {resp.status}"))
    elif resp.status >= 400 and resp.content_type != "application/problem+json":
        if resp.body.strip() == ASGI_SERVER_REFUSAL:
            pass
        elif not (_is_page(base, path) and resp.content_type == "text/html"):
            out.append(
                (
                    "not-problem",
                    f"{name} answered {resp.status} as {resp.content_type or 'no content type'}",
                )
            )
    for header in header_policy.unclassified(resp.headers):
        out.append(("unclassified-header", f"{name} sent unclassified header {header!r}"))
    return out


def _diff_keys(a: dict[str, Any], b: dict[str, Any]) -> str:
    parts = []
    for key in sorted(set(a) | set(b)):
        if a.get(key) != b.get(key):
            if key == "headers":
                ha, hb = a.get(key, {}), b.get(key, {})
                for h in sorted(set(ha) | set(hb)):
                    if ha.get(h) != hb.get(h):
                        parts.append(f"header {h}: {ha.get(h)!r} vs {hb.get(h)!r}")
            else:
                parts.append(f"{key}: {a.get(key)!r} vs {b.get(key)!r}")
    return "; ".join(parts)


class SurfaceRun:
    """Counters and findings of one whole-surface run."""

    def __init__(self, sides: list[SurfaceSide], seed: int) -> None:
        self.sides = sides
        self.seed = seed
        self.pairs = 0
        self.findings: list[Finding] = []
        self.seq = 0
        self.pool = ThreadPoolExecutor(max_workers=len(sides))

    def close(self) -> None:
        self.pool.shutdown()

    def check(self, cls: str, base: surface.Baseline, variant: str, req: mutator.Request) -> None:
        """Send one request (after fresh resources) to both servers and record findings."""
        self.seq += 1
        for kind in base.fresh:
            list(
                self.pool.map(
                    surface.fresh,
                    [s.state for s in self.sides],
                    [kind] * len(self.sides),
                    [self.seq] * len(self.sides),
                )
            )
        self._compare(cls, base, variant, req)

    def _compare(
        self, cls: str, base: surface.Baseline, variant: str, req: mutator.Request
    ) -> None:
        self.pairs += 1
        answers = list(self.pool.map(lambda s: s.send(req), self.sides))
        request_id = next((v for k, v in req.headers if k.lower() == "x-request-id"), None)
        normal = [
            normalise_raw(a, s, base, req.method, s.render(req.target).split("?")[0], request_id)
            for a, s in zip(answers, self.sides, strict=True)
        ]
        faults: list[tuple[str, str]] = []
        for s, a in zip(self.sides, answers, strict=True):
            faults += _own_faults(s.name, a, base, s.render(req.target))
        if normal[0] != normal[1]:
            faults.append(("mismatch", _diff_keys(normal[0], normal[1])))
        for kind, detail in faults:
            self.findings.append(
                Finding(
                    cls,
                    base.name,
                    variant,
                    kind,
                    detail,
                    _repro(self.sides[0], req),
                    {s.name: _describe(a) for s, a in zip(self.sides, answers, strict=True)},
                )
            )
        if req.then is not None:
            self._compare(cls, base, variant + " -> then", req.then)

    def run_class(
        self,
        cls: str,
        catalogue: tuple[surface.Baseline, ...] = surface.CATALOGUE,
        limit: int | None = -1,
    ) -> None:
        """Every variant of ``cls`` (``limit=None``), or one (seeded) baseline per mutation
        kind, at most ``limit`` requests (default: SURFACE_VARIANTS)."""
        rng = random.Random(f"{self.seed}:{cls}")
        if limit == -1:
            limit = surface_variants_limit()
        found = [
            (base, name, req) for base in catalogue for _, name, req in mutator.variants(base, cls)
        ]
        chosen = found
        if limit is not None:
            by_kind: dict[str, list[tuple[surface.Baseline, str, mutator.Request]]] = {}
            for entry in found:
                by_kind.setdefault(entry[1].split(":")[0], []).append(entry)
            chosen = [rng.choice(group) for _, group in sorted(by_kind.items())]
            if len(chosen) > limit:
                chosen = rng.sample(chosen, limit)
        for base, name, req in chosen:
            try:
                self.check(cls, base, name, req)
            except (AssertionError, httpx.HTTPError) as exc:  # set-up of a fresh resource
                self.findings.append(
                    Finding(cls, base.name, name, "setup-failed", str(exc)[:500], "", {})
                )

    def run_baselines(self, catalogue: tuple[surface.Baseline, ...] = surface.CATALOGUE) -> None:
        for base in catalogue:
            self.check("baseline", base, "baseline", mutator.final_request(base))

    def summary(self) -> str:
        return f"{self.pairs} request pairs, {len(self.findings)} findings, seed {self.seed}"

    def report(self) -> str:
        """Findings grouped by (operation, class), each with its minimal repro."""
        groups: dict[tuple[str, str], list[Finding]] = {}
        for f in self.findings:
            groups.setdefault((f.operation, f.cls), []).append(f)
        out = []
        for (op, cls), items in sorted(groups.items()):
            out.append(f"### {op} — {cls} ({len(items)})\n")
            out += [f.markdown() for f in items]
            out.append("")
        return "\n".join(out)


def prepare_sides(servers: dict[str, Any]) -> list[SurfaceSide]:
    """Prepare both servers (same user names, room) and wrap them for the run."""
    names = surface.shared_names()
    with ThreadPoolExecutor(max_workers=len(servers)) as pool:
        states = list(pool.map(lambda srv: surface.prepare(srv.base_url, names), servers.values()))
    return [
        SurfaceSide(name, srv, st) for (name, srv), st in zip(servers.items(), states, strict=True)
    ]


def _replace_req(req: mutator.Request, **kw: Any) -> mutator.Request:
    return _replace(req, **kw)


# --------------------------------------------------------------------------- websockets


def _ws_outcome(conn: Any, frame: str | bytes, side: SurfaceSide) -> list[Any]:
    """What one frame gets: the answer frames (normalised) or the close, then whether the
    connection still answers a valid frame."""
    from websockets.exceptions import ConnectionClosed

    out: list[Any] = []
    try:
        conn.send(frame)
        got = conn.recv(timeout=3)
        out.append(_ws_frame(got, side))
    except TimeoutError:
        out.append("<silent>")
        return out
    except ConnectionClosed as exc:
        out.append(f"<closed {exc.rcvd.code if exc.rcvd is not None else 'without close frame'}>")
        return out
    try:
        conn.send('{"body": "still there?"}')
        out.append(_ws_frame(conn.recv(timeout=3), side))
    except TimeoutError:
        out.append("<silent>")
    except ConnectionClosed as exc:
        out.append(f"<closed {exc.rcvd.code if exc.rcvd is not None else 'without close frame'}>")
    return out


def _ws_frame(got: str | bytes, side: SurfaceSide) -> Any:
    if isinstance(got, bytes):
        return f"<binary {len(got)} bytes>"
    try:
        value = json.loads(got)
    except ValueError:
        return f"<not json {got[:80]!r}>"
    if isinstance(value, dict) and value.get("type") == "error":
        return {"type": "error", "code": value.get("code")}
    if isinstance(value, dict) and value.get("type") == "message":
        return {**_norm_json_value(value, side), "id": "<id>"}
    return _norm_json_value(value, side)


def ws_cases() -> list[tuple[str, str, str | bytes | None, str]]:
    """(name, endpoint, frame or None for a handshake-only case, query) of the ws check."""
    cases: list[tuple[str, str, str | bytes | None, str]] = [
        (name, kind, frame, "") for name, kind, frame in surface.WS_FRAMES
    ]
    cases += [
        ("ticket-duplicated-valid-first", "chat", None, "ticket={ticket}&ticket=bogus"),
        ("ticket-duplicated-valid-last", "chat", None, "ticket=bogus&ticket={ticket}"),
        ("ticket-empty", "chat", None, "ticket="),
        ("ticket-missing", "chat", None, ""),
        ("origin-foreign", "echo", None, "origin=http://evil.example"),
        ("origin-missing", "echo", None, "origin="),
    ]
    return cases


def ws_outcome(side: SurfaceSide, kind: str, frame: str | bytes | None, query: str) -> Any:
    from websockets.exceptions import InvalidStatus

    from harness import ws

    origin: str | None = ws.ALLOWED_ORIGIN
    if query.startswith("origin="):
        origin = query.removeprefix("origin=") or None
        query = ""
    if kind == "chat":
        if "{ticket}" in query or (not query and frame is not None):
            side.state.values["ticket"] = surface.ticket(side.state)
            query = query or "ticket={ticket}"
        path = f"/ws/chat/{side.state.values['ws_room']}?{side.render(query)}"
    else:
        path = "/ws/echo"
    try:
        base_url = getattr(side.server, "ws_base_url", side.server.base_url)
        conn = ws.open_ws(base_url, path, origin=origin)
    except InvalidStatus as exc:
        return {"handshake": int(exc.response.status_code)}
    except (OSError, TimeoutError) as exc:
        return {"handshake": f"<{type(exc).__name__}>"}
    try:
        if frame is None:
            return {"handshake": 101}
        return {"handshake": 101, "answers": _ws_outcome(conn, frame, side)}
    finally:
        conn.close()


def run_ws(
    run: SurfaceRun, cases: list[tuple[str, str, str | bytes | None, str]] | None = None
) -> None:
    """The websocket protocol's frame and handshake mutations, on both servers."""
    for name, kind, frame, query in ws_cases() if cases is None else cases:
        run.pairs += 1
        n = len(run.sides)
        outcomes = list(run.pool.map(ws_outcome, run.sides, [kind] * n, [frame] * n, [query] * n))
        if outcomes[0] != outcomes[1]:
            shown = repr(frame if frame is None or len(frame) < 200 else frame[:200]) + (
                "" if frame is None or len(frame) < 200 else "..."
            )
            run.findings.append(
                Finding(
                    "websockets",
                    f"WS /ws/{kind}",
                    name,
                    "mismatch",
                    _diff_keys(outcomes[0], outcomes[1]),
                    f"/ws/{kind} {query}\nframe: {shown}",
                    {s.name: json.dumps(o) for s, o in zip(run.sides, outcomes, strict=True)},
                )
            )


_ID_RE = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}", re.I)


def signature(f: Finding) -> str:
    """A finding's difference with ids masked (findings with one signature are one divergence)."""
    return f"{f.kind}: {_ID_RE.sub('<id>', f.detail)}"


def digest(findings: list[Finding], systematic: tuple[str, ...] = ()) -> str:
    """Findings as distinct divergences: per signature, how often, where, one repro.

    A header difference in ``systematic`` (e.g. ``header vary``) is listed once on its own and
    removed from the other signatures, so the rest stays readable.
    """
    sys_seen: dict[str, Finding] = {}
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        parts = [p for p in f.detail.split("; ")]
        rest = []
        for p in parts:
            hit = next((s for s in systematic if p.startswith(s)), None)
            if hit is not None and f.kind == "mismatch":
                sys_seen.setdefault(f"{hit}: {_ID_RE.sub('<id>', p)}", f)
            else:
                rest.append(p)
        if not rest:
            continue
        sig = signature(
            Finding(f.cls, f.operation, f.variant, f.kind, "; ".join(rest), f.repro, f.answers)
        )
        groups.setdefault((f.cls, sig), []).append(f)
    out = []
    if sys_seen:
        out.append("### systematic header differences (on most answers)\n")
        for sig, f in sys_seen.items():
            out.append(f"- {sig} (e.g. {f.operation} {f.variant})")
        out.append("")
    for (cls, sig), items in sorted(groups.items(), key=lambda kv: (kv[0][0], -len(kv[1]))):
        where = sorted({f"{f.operation} {f.variant}" for f in items})
        out.append(f"### [{cls}] {sig[:600]}\n")
        out.append(
            f"{len(items)} requests: "
            + "; ".join(where[:12])
            + (" ..." if len(where) > 12 else "")
            + "\n"
        )
        out.append(items[0].markdown())
        out.append("")
    return "\n".join(out)
