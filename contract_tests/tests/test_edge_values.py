"""Values and multipart (v2: 26), values half: one parsing rule per type on both apps.

Every spelling a client may send for a query integer, a decimal filter, a UUID, a validated
string, a JSON ``charset``, a cookie value, a repeated key or an empty body gets the answer
``CONTRACT.md`` "Values and multipart (v2: 26)" pins. Values are sent percent-encoded as
written here (``raw_query``), so ``+`` and spaces reach the server exactly.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness.accounts import Account, cookie_header, register, unique
from harness.http import Client
from harness.items import ITEMS, create_item
from harness.problem import VALIDATION_TYPE, assert_problem
from harness.servers import LiveServer

ROOMS = "/api/v1/chat/rooms"
BLOCKING = f"{ITEMS}/blocking"
HISTORY = f"{ROOMS}/{{room}}/messages"
JSON = {"Content-Type": "application/json"}

#: Integer query values (already percent-encoded) that the rule ``^(0|[1-9][0-9]*)$`` refuses.
BAD_INTEGERS = {
    "leading-zero": "05",
    "leading-zeros": "007",
    "zero-zero": "00",
    "plus-sign": "%2B5",
    "minus-zero": "-0",
    "minus": "-5",
    "leading-space": "%205",
    "trailing-space": "5%20",
    "form-space": "+5",
    "exponent": "5e0",
    "decimal-point": "5.0",
    "trailing-dot": "5.",
    "underscore": "5_0",
    "hex": "0x5",
    "arabic-indic": "%D9%A5",
    "fullwidth": "%EF%BC%95",
    "newline-after": "5%0A",
    "newline-before": "%0A5",
    "nul": "5%00",
    "empty": "",
    "blank": "%20%20",
}
#: (operation path, parameter, a valid value, the answer's key holding it)
INTEGER_PARAMS = [
    (ITEMS, "limit", "5", ("limit", 5)),
    (ITEMS, "offset", "70", ("offset", 70)),
    (ROOMS, "limit", "5", ("limit", 5)),
    (ROOMS, "offset", "0", ("offset", 0)),
    (HISTORY, "limit", "5", ("limit", 5)),
    (HISTORY, "offset", "3", ("offset", 3)),
    (BLOCKING, "ms", "1", ("slept_ms", 1)),
]


@pytest.fixture(scope="module")
def room(session_http: httpx.Client, alice: Account) -> str:
    """A chat room whose history the paging cases read."""
    name = unique("edge").lower()
    resp = session_http.post(ROOMS, json={"name": name}, headers=alice.headers)
    assert resp.status_code == 201, resp.text[:300]
    return name


def _int_cases() -> list[Any]:
    cases = []
    for path, name, _, _ in INTEGER_PARAMS:
        for case_id, raw in BAD_INTEGERS.items():
            cases.append(
                pytest.param(path, name, raw, id=f"{path.rsplit('/', 1)[-1]}-{name}-{case_id}")
            )
        # a huge value matches the pattern and fails the range check (never a 500)
        cases.append(
            pytest.param(path, name, "9" * 5000, id=f"{path.rsplit('/', 1)[-1]}-{name}-huge")
        )
    return cases


@pytest.mark.concept("query-params", "bad-input")
@pytest.mark.parametrize(("path", "name", "raw"), _int_cases())
def test_integer_query_values_follow_one_rule(
    client: httpx.Client, alice: Account, room: str, path: str, name: str, raw: str
) -> None:
    """Integers in the query: JSON's integer grammar without a sign, ASCII digits only
    (``^(0|[1-9][0-9]*)$``), then the range: anything else 400."""
    path = path.format(room=room)
    resp = client.get(f"{path}?{name}={raw}", headers=alice.headers)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={f"/query/{name}"})


@pytest.mark.concept("query-params")
@pytest.mark.parametrize(
    ("path", "name", "raw", "expected"),
    [pytest.param(*p, id=f"{p[0].rsplit('/', 1)[-1]}-{p[1]}") for p in INTEGER_PARAMS],
)
def test_integer_query_plain_digits_are_read(
    client: httpx.Client,
    alice: Account,
    room: str,
    path: str,
    name: str,
    raw: str,
    expected: tuple[str, int],
) -> None:
    """The one accepted spelling is read as a decimal number."""
    path = path.format(room=room)
    resp = client.get(f"{path}?{name}={raw}", headers=alice.headers)
    assert resp.status_code == 200, resp.text[:300]
    key, value = expected
    assert resp.json()[key] == value


BAD_DECIMALS = {
    "plus-sign": "%2B1.00",
    "leading-space": "%201.00",
    "trailing-space": "1.00%20",
    "newline-after": "1.00%0A",
    "crlf-after": "1.00%0D%0A",
    "exponent": "1e2",
    "trailing-dot": "1.",
    "leading-dot": ".5",
    "three-places": "1.000",
    "negative": "-1.00",
    "arabic-indic": "%D9%A1",
    "empty": "",
}


@pytest.mark.concept("query-params", "bad-input")
@pytest.mark.parametrize("name", ["min_price", "max_price"])
@pytest.mark.parametrize("raw", list(BAD_DECIMALS.values()), ids=list(BAD_DECIMALS))
def test_decimal_query_values_follow_one_rule(
    client: httpx.Client, alice: Account, name: str, raw: str
) -> None:
    """Decimal filters: the DecimalInput pattern matches the whole value, nothing trimmed."""
    resp = client.get(f"{ITEMS}?{name}={raw}", headers=alice.headers)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={f"/query/{name}"})


@pytest.mark.concept("query-params")
@pytest.mark.parametrize("raw", ["1", "01.50", "-0", "-0.00", "12345678.99"])
def test_decimal_query_valid_spellings(client: httpx.Client, alice: Account, raw: str) -> None:
    resp = client.get(f"{ITEMS}?min_price={raw}&max_price={raw}", headers=alice.headers)
    assert resp.status_code == 200, resp.text[:300]


def _uuid_spellings(value: str) -> dict[str, str]:
    return {
        "upper": value.upper(),
        "no-hyphens": value.replace("-", ""),
        "braces": "%7B" + value + "%7D",
        "urn": "urn:uuid:" + value,
        "newline-after": value + "%0A",
        "space-before": "%20" + value,
        "short": value[:-1],
    }


@pytest.mark.concept("query-params", "bad-input")
@pytest.mark.parametrize(
    "spelling", ["upper", "no-hyphens", "braces", "urn", "newline-after", "space-before", "short"]
)
def test_uuid_query_value_is_canonical_only(
    client: httpx.Client, alice: Account, spelling: str
) -> None:
    """``owner``: only the canonical lowercase hyphenated spelling; others -> 400 (not 403)."""
    raw = _uuid_spellings(alice.id)[spelling]
    resp = client.get(f"{ITEMS}?owner={raw}", headers=alice.headers)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/query/owner"})


@pytest.mark.concept("query-params")
def test_uuid_query_canonical_is_accepted(client: httpx.Client, alice: Account) -> None:
    resp = client.get(f"{ITEMS}?owner={alice.id}", headers=alice.headers)
    assert resp.status_code == 200, resp.text[:300]


# --------------------------------------------------------------------------- strings


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize("price", ["1.00\n", "1.00\r\n", "1.00 ", " 1.00", "1.00\t", "\n1.00"])
def test_price_with_whitespace_is_400(client: httpx.Client, alice: Account, price: str) -> None:
    """A pattern matches the whole value: ``"1.00\\n"`` is no price (Python's ``$`` passes it)."""
    resp = client.post(ITEMS, json={"name": "ws", "price": price}, headers=alice.headers)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/body/price"})


@pytest.mark.concept("json-body", "serialization")
@pytest.mark.parametrize("price", ["-0", "-0.00", "-00.0", "-0.0"])
def test_negative_zero_price_is_zero(client: httpx.Client, alice: Account, price: str) -> None:
    """The input pattern admits a minus zero; the stored and rendered price is ``"0.00"`` in
    every answer (a decimal type keeps the sign of a zero unless told otherwise)."""
    created = client.post(ITEMS, json={"name": "minus zero", "price": price}, headers=alice.headers)
    assert created.status_code == 201, created.text[:300]
    assert created.json()["price"] == "0.00"
    url = f"{ITEMS}/{created.json()['id']}"
    for method, body in (
        ("PATCH", {"price": price}),
        ("PUT", {"name": "mz", "description": None, "price": price}),
    ):
        changed = client.request(method, url, json=body, headers=alice.headers)
        assert changed.status_code == 200, changed.text[:300]
        assert changed.json()["price"] == "0.00", method
    assert client.get(url, headers=alice.headers).json()["price"] == "0.00"


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize("suffix", ["\n", " ", "\r\n", "\t"])
@pytest.mark.parametrize("where", ["after", "before"])
def test_email_with_whitespace_is_400_not_trimmed(
    client: httpx.Client, where: str, suffix: str
) -> None:
    """No string is trimmed: an e-mail with surrounding whitespace is refused, never stored."""
    name = unique("ws")
    email = f"{name}@example.com"
    email = email + suffix if where == "after" else suffix + email
    resp = register(client, name, email=email)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/body/email"})


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize("suffix", ["\n", " "])
def test_username_with_whitespace_is_400(client: httpx.Client, suffix: str) -> None:
    name = unique("ws")
    resp = register(client, name + suffix, email=f"{name}@example.com")
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/body/username"})


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize("suffix", ["\n", " "])
def test_room_name_with_whitespace_is_400(
    client: httpx.Client, alice: Account, suffix: str
) -> None:
    resp = client.post(ROOMS, json={"name": unique("r") + suffix}, headers=alice.headers)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/body/name"})


@pytest.mark.concept("json-body")
def test_free_text_keeps_surrounding_whitespace(client: httpx.Client, alice: Account) -> None:
    """Fields without a pattern (name, description) are stored exactly as sent."""
    item = create_item(client, alice, name=" spaced\n", description="\tdesc \n")
    assert (item["name"], item["description"]) == (" spaced\n", "\tdesc \n")
    again = client.get(f"{ITEMS}/{item['id']}", headers=alice.headers).json()
    assert (again["name"], again["description"]) == (" spaced\n", "\tdesc \n")


# --------------------------------------------------------------------------- charset

CAFE = '{"name": "caf\u00e9", "price": "1.00"}'.encode()


@pytest.mark.concept("json-body")
@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        "application/json; charset=UTF-8",
        'application/json; charset="utf-8"',
        "application/json;charset=utf-8",
        "application/json; charset=latin-1",
        "application/json; charset=iso-8859-1",
        "application/json; charset=bogus",
        "Application/JSON",
    ],
)
def test_json_charset_parameter_is_ignored(
    client: httpx.Client, alice: Account, content_type: str
) -> None:
    """JSON is UTF-8 whatever ``charset`` says (RFC 8259 §11: the parameter has no effect)."""
    resp = client.post(ITEMS, content=CAFE, headers=alice.headers | {"Content-Type": content_type})
    assert resp.status_code == 201, resp.text[:300]
    assert resp.json()["name"] == "caf\u00e9"


# --------------------------------------------------------------------------- cookies


@pytest.mark.concept("header-cookie-params", "cookies")
@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("dark", 200),
        ('"dark"', 200),  # RFC 6265 quoted value: the quotes are not part of it
        ("%64ark", 400),  # no percent-decoding: "%64ark" is not "dark"
        ("d%61rk", 400),
        ("dark%20", 400),
        ("DARK", 400),
    ],
)
def test_theme_cookie_is_not_percent_decoded(
    client: httpx.Client, alice: Account, raw: str, status: int
) -> None:
    resp = client.get("/api/v1/preferences", headers=alice.headers | cookie_header({"theme": raw}))
    if status == 200:
        assert resp.status_code == 200, resp.text[:300]
        assert resp.json() == {"theme": "dark"}
    else:
        assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/cookie/theme"})


@pytest.mark.concept("sessions", "cookies")
def test_session_cookie_is_not_percent_decoded(server: LiveServer, logged_in: Any) -> None:
    """``sessionid`` is compared as sent: a percent-encoded spelling of it is no session."""
    session_id = logged_in.jar["sessionid"]
    encoded = "".join(f"%{ord(ch):02X}" for ch in session_id[:3]) + session_id[3:]
    with Client(base_url=server.base_url, timeout=10) as c:
        good = c.get("/auth/whoami", headers=cookie_header({"sessionid": session_id}))
        bad = c.get("/auth/whoami", headers=cookie_header({"sessionid": encoded}))
    assert good.status_code == 200, good.text[:300]
    assert_problem(bad, 401)


@pytest.mark.concept("csrf", "cookies")
def test_csrf_cookie_is_not_percent_decoded(server: LiveServer, logged_in: Any) -> None:
    """``csrftoken`` percent-encoded in the cookie no longer matches the header: 403."""
    token = logged_in.jar["csrftoken"]
    encoded = "".join(f"%{ord(ch):02X}" for ch in token[:3]) + token[3:]
    cookies = {"sessionid": logged_in.jar["sessionid"], "csrftoken": encoded}
    with Client(base_url=server.base_url, timeout=10) as c:
        resp = c.post(
            ITEMS,
            json={"name": "csrf", "price": "1.00"},
            headers=cookie_header(cookies) | {"X-CSRFToken": token},
        )
    assert_problem(resp, 403)


# --------------------------------------------------------------------------- repeated keys

#: (query with a repeated key, what the answer shows when the LAST value wins)
REPEATED = [
    ("offset=0&offset=1", {"offset": 1}),
    ("limit=1&limit=2", {"limit": 2}),
    ("ordering=name&ordering=-name", {"first": "zulu"}),
    ("q=zulu&q=yankee", {"first": "yankee"}),
    ("min_price=1&min_price=9.00", {"first": "zulu"}),
    ("max_price=9&max_price=1.50", {"first": "yankee"}),
]


@pytest.fixture
def two_items(client: httpx.Client) -> Any:
    """A fresh user with two items: yankee (1.50) and zulu (9.00)."""
    from harness.accounts import new_account

    who = new_account(client, "dup")
    create_item(client, who, name="yankee", price="1.50")
    create_item(client, who, name="zulu", price="9.00")
    return who


@pytest.mark.concept("query-params")
@pytest.mark.parametrize(("query", "expected"), REPEATED, ids=[q for q, _ in REPEATED])
def test_repeated_query_key_last_value_wins(
    client: httpx.Client, two_items: Account, query: str, expected: dict[str, Any]
) -> None:
    """Every single-valued query parameter: the last value counts (Django's QueryDict rule)."""
    resp = client.get(f"{ITEMS}?{query}", headers=two_items.headers)
    assert resp.status_code == 200, resp.text[:300]
    page = resp.json()
    for key, value in expected.items():
        if key == "first":
            assert page["items"] and page["items"][0]["name"] == value, page
        else:
            assert page[key] == value, page


@pytest.mark.concept("query-params", "bad-input")
@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ("limit=2&limit=x", "/query/limit"),
        ("offset=1&offset=-1", "/query/offset"),
        ("owner={id}&owner=nope", "/query/owner"),
        ("min_price=1&min_price=x", "/query/min_price"),
        ("ordering=name&ordering=nope", "/query/ordering"),
    ],
)
def test_repeated_query_key_last_bad_value_is_400(
    client: httpx.Client, alice: Account, query: str, pointer: str
) -> None:
    resp = client.get(f"{ITEMS}?{query.format(id=alice.id)}", headers=alice.headers)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={pointer})


@pytest.mark.concept("query-params", "bad-input")
def test_repeated_query_key_last_good_value_is_200(client: httpx.Client, alice: Account) -> None:
    resp = client.get(f"{ITEMS}?limit=x&limit=2&owner=nope&owner={alice.id}", headers=alice.headers)
    assert resp.status_code == 200, resp.text[:300]


@pytest.mark.concept("form-data", "sessions")
def test_repeated_form_key_last_value_wins(server: LiveServer, alice: Account) -> None:
    """Login form: ``username=wrong&username=<right>`` logs in (the last value counts)."""
    from harness.accounts import Browser

    with Browser(server.base_url) as b:
        assert b.get("/auth/login").status_code == 200
        token = b.jar["csrftoken"]
        body = f"username=nobody&username={alice.username}&password=wrong&password={alice.password}"
        ok = b.post(
            "/auth/login",
            content=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-CSRFToken": token,
                "Accept": "application/json",
            },
        )
        assert ok.status_code == 200, ok.text[:300]
    with Browser(server.base_url) as b:
        assert b.get("/auth/login").status_code == 200
        token = b.jar["csrftoken"]
        body = f"username={alice.username}&password={alice.password}&password=wrong"
        bad = b.post(
            "/auth/login",
            content=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-CSRFToken": token,
                "Accept": "application/json",
            },
        )
        assert_problem(bad, 401) if bad.status_code == 401 else assert_problem(bad, 400)


# --------------------------------------------------------------------------- empty bodies


@pytest.fixture
def own_item(client: httpx.Client, alice: Account) -> dict[str, Any]:
    return create_item(client, alice, name="empty-body", price="2.00")


EMPTY_BODIES = {
    "no-body": {},
    "content-length-0": {"headers": {"Content-Length": "0"}},
    "json-no-body": {"headers": JSON},
    "json-content-length-0": {"headers": JSON | {"Content-Length": "0"}},
}


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
@pytest.mark.parametrize("shape", list(EMPTY_BODIES))
def test_empty_body_is_400_at_body(
    client: httpx.Client,
    alice: Account,
    own_item: dict[str, Any],
    method: str,
    shape: str,
) -> None:
    """No body (none, or ``Content-Length: 0``) is no JSON document: 400 ``/body``."""
    path = ITEMS if method == "POST" else f"{ITEMS}/{own_item['id']}"
    send = EMPTY_BODIES[shape]
    resp = client.request(method, path, headers=alice.headers | send.get("headers", {}))
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/body"})
    after = client.get(f"{ITEMS}/{own_item['id']}", headers=alice.headers).json()
    assert (after["name"], after["price"]) == ("empty-body", "2.00")


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize(
    ("path", "auth"),
    [("/api/v1/users", False), ("/api/v1/auth/token", False), (ROOMS, True)],
)
def test_empty_body_elsewhere_is_400_at_body(
    client: httpx.Client, alice: Account, path: str, auth: bool
) -> None:
    headers = JSON | (alice.headers if auth else {})
    resp = client.post(path, headers=headers)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/body"})


@pytest.mark.concept("json-body", "bad-input")
def test_empty_put_preferences_is_400_at_body(client: httpx.Client, alice: Account) -> None:
    resp = client.put("/api/v1/preferences", headers=alice.headers | JSON)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/body"})


@pytest.mark.concept("json-body")
def test_empty_object_is_a_document(
    client: httpx.Client, alice: Account, own_item: dict[str, Any]
) -> None:
    """``{}``: PATCH changes nothing (200), POST/PUT report every missing field."""
    path = f"{ITEMS}/{own_item['id']}"
    patched = client.patch(path, content=b"{}", headers=alice.headers | JSON)
    assert patched.status_code == 200, patched.text[:300]
    assert patched.json()["name"] == "empty-body"
    created = client.post(ITEMS, content=b"{}", headers=alice.headers | JSON)
    assert_problem(created, 400, type_=VALIDATION_TYPE, pointers={"/body/name", "/body/price"})
    put = client.put(path, content=b"{}", headers=alice.headers | JSON)
    assert_problem(
        put,
        400,
        type_=VALIDATION_TYPE,
        pointers={"/body/name", "/body/price", "/body/description"},
    )


# --------------------------------------------------------------------------- every field


@pytest.mark.concept("query-params", "bad-input")
def test_every_invalid_query_parameter_is_reported(client: httpx.Client, alice: Account) -> None:
    query = "limit=0&offset=-1&min_price=x&max_price=1.000&owner=q&ordering=z&q="
    resp = client.get(f"{ITEMS}?{query}", headers=alice.headers)
    names = ("limit", "offset", "min_price", "max_price", "owner", "ordering", "q")
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={f"/query/{n}" for n in names})


@pytest.mark.concept("query-params", "bad-input")
def test_every_invalid_paging_parameter_is_reported(client: httpx.Client, alice: Account) -> None:
    resp = client.get(f"{ROOMS}?limit=5.0&offset=%2B1", headers=alice.headers)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/query/limit", "/query/offset"})


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize(
    ("path", "body", "pointers", "auth"),
    [
        (
            ITEMS,
            {"name": "", "price": "1.00\n", "description": 5},
            ["name", "price", "description"],
            True,
        ),
        (ITEMS, {"name": 5}, ["name", "price"], True),
        (
            "/api/v1/users",
            {"username": "a b", "email": "x@example.com\n", "password": "short"},
            ["username", "email", "password"],
            False,
        ),
        ("/api/v1/users", {"email": 5}, ["username", "email", "password"], False),
    ],
    ids=["item-three-bad", "item-bad-and-missing", "user-three-bad", "user-bad-and-missing"],
)
def test_every_invalid_body_field_is_reported(
    client: httpx.Client,
    alice: Account,
    path: str,
    body: dict[str, Any],
    pointers: list[str],
    auth: bool,
) -> None:
    resp = client.post(path, json=body, headers=alice.headers if auth else {})
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={f"/body/{p}" for p in pointers})


# --------------------------------------------------------------------------- lone surrogates

#: A JSON string holding an escaped lone UTF-16 surrogate: valid RFC 8259 grammar, not text.
LONE = "\ud800"


def _json_bytes(body: dict[str, Any]) -> bytes:
    """``body`` as JSON with every non-ASCII character escaped (``"\\ud800"`` stays escaped)."""
    import json

    return json.dumps(body).encode("ascii")


#: (path, auth, a valid body) of each POST whose every string member is checked.
SURROGATE_POSTS = {
    "item": (ITEMS, True, {"name": "lamp", "description": "warm", "price": "12.50"}),
    "user": ("/api/v1/users", False, None),
    "token": ("/api/v1/auth/token", False, {"username": "nobody-x", "password": "whatever-1"}),
    "room": (ROOMS, True, None),
}


def _surrogate_cases() -> list[Any]:
    fields = {
        "item": ["name", "description", "price"],
        "user": ["username", "email", "password"],
        "token": ["username", "password"],
        "room": ["name"],
    }
    return [
        pytest.param(kind, f, id=f"{kind}-{f}") for kind, names in fields.items() for f in names
    ]


def _valid_body(kind: str) -> dict[str, Any]:
    if kind == "user":
        name = unique("sur")
        return {"username": name, "email": f"{name}@example.com", "password": "long-enough-1"}
    if kind == "room":
        return {"name": unique("sur").lower()}
    body = SURROGATE_POSTS[kind][2]
    assert body is not None
    return dict(body)


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize(("kind", "field"), _surrogate_cases())
def test_lone_surrogate_is_400_at_its_field(
    client: httpx.Client, alice: Account, kind: str, field: str
) -> None:
    """An escaped lone surrogate in a string member is a bad value at that member's pointer
    (not a malformed body: the document is valid JSON), never stored, never a 5xx."""
    path, auth, _ = SURROGATE_POSTS[kind]
    body = _valid_body(kind)
    body[field] = LONE + str(body[field])
    resp = client.post(
        path, content=_json_bytes(body), headers=JSON | (alice.headers if auth else {})
    )
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={f"/body/{field}"})


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        ({"name": LONE, "price": "x"}, {"name", "price"}),
        ({"name": LONE}, {"name", "price"}),
        ({"name": ["a", LONE], "description": LONE, "price": f"1.00{LONE}"}, None),
        (
            {"name": "ok", "price": "1.00\n", "description": f"\udc00{LONE}"},
            {"price", "description"},
        ),
    ],
    ids=["with-bad-price", "with-missing-price", "every-field", "with-newline-price"],
)
def test_lone_surrogate_is_reported_with_every_other_bad_field(
    client: httpx.Client, alice: Account, body: dict[str, Any], pointers: set[str] | None
) -> None:
    """Every invalid field is reported: the surrogate's member and each other bad member."""
    resp = client.post(ITEMS, content=_json_bytes(body), headers=alice.headers | JSON)
    expected = pointers or {"name", "description", "price"}
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={f"/body/{p}" for p in expected})


@pytest.mark.concept("json-body")
def test_lone_surrogate_in_an_unknown_member_is_ignored(
    client: httpx.Client, alice: Account
) -> None:
    """A member the operation does not declare is ignored, whatever it holds (key or value)."""
    body = {"name": "lamp", "price": "1.00", "extra": LONE, LONE: [LONE]}
    resp = client.post(ITEMS, content=_json_bytes(body), headers=alice.headers | JSON)
    assert resp.status_code == 201, resp.text[:300]
    assert (resp.json()["name"], resp.json()["price"]) == ("lamp", "1.00")


@pytest.mark.concept("json-body")
def test_escaped_surrogate_pair_is_text(client: httpx.Client, alice: Account) -> None:
    """A high + low surrogate pair is one character (U+1F600), stored and echoed as such."""
    body = {"name": "smile \U0001f600", "price": "1.00"}
    resp = client.post(ITEMS, content=_json_bytes(body), headers=alice.headers | JSON)
    assert resp.status_code == 201, resp.text[:300]
    assert resp.json()["name"] == "smile \U0001f600"


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("field", ["name", "description", "price"])
def test_lone_surrogate_in_an_update_is_400_nothing_changes(
    client: httpx.Client, alice: Account, own_item: dict[str, Any], method: str, field: str
) -> None:
    body = {"name": "n", "description": "d", "price": "3.00"}
    body[field] = LONE + body[field]
    path = f"{ITEMS}/{own_item['id']}"
    resp = client.request(method, path, content=_json_bytes(body), headers=alice.headers | JSON)
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={f"/body/{field}"})
    after = client.get(path, headers=alice.headers).json()
    assert (after["name"], after["price"]) == ("empty-body", "2.00")


@pytest.mark.concept("json-body", "cookies", "bad-input")
def test_lone_surrogate_theme_is_400_no_cookie(client: httpx.Client) -> None:
    """``PUT /api/v1/preferences`` with ``"\\ud800dark"``: 400 ``/body/theme`` (Django
    echoed the value in its message and failed to render it: a 500), no cookie set."""
    resp = client.put(
        "/api/v1/preferences", content=_json_bytes({"theme": LONE + "dark"}), headers=JSON
    )
    assert_problem(resp, 400, type_=VALIDATION_TYPE, pointers={"/body/theme"})
    assert "set-cookie" not in resp.headers


# --------------------------------------------------------------------------- huge usernames


@pytest.mark.concept("json-body", "bad-input")
@pytest.mark.parametrize("size", [151, 50_001, 100_000])
def test_huge_username_is_wrong_credentials(
    client: httpx.Client, alice: Account, size: int
) -> None:
    """A username no user can have (over 150 characters, up to the body limit) is 401
    ``Invalid credentials`` like any unknown name (Django's SQLite ``iexact`` lookup refused
    a LIKE pattern over 50,000 bytes: a 503); ``alice`` makes the users table non-empty."""
    body = {"username": "x" * size, "password": alice.password}
    resp = client.post("/api/v1/auth/token", content=_json_bytes(body), headers=JSON)
    assert_problem(resp, 401)
    assert resp.headers.get("www-authenticate") == "Bearer"


@pytest.mark.concept("form-data", "sessions", "bad-input")
def test_huge_username_login_form_is_wrong_credentials(server: LiveServer, alice: Account) -> None:
    """The login form: the same answer as a wrong password (401), never a 5xx."""
    from harness.accounts import Browser

    with Browser(server.base_url) as b:
        assert b.get("/auth/login").status_code == 200
        body = f"username={'x' * 100_000}&password={alice.password}"
        resp = b.post(
            "/auth/login",
            content=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-CSRFToken": b.jar["csrftoken"],
                "Accept": "application/json",
            },
        )
        assert_problem(resp, 401)
