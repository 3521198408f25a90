"""How each app is composed: request-scoped dependencies and a feature packaged as one unit.

Neither is visible as an endpoint of its own, so these tests pin what the composition must
deliver from outside: per-request values never leak between concurrent requests, a layer's
default is overridden by the handler's own parameter, and everything the items feature ships
(API, page, template, static files, schema operations, admin view) is wired by its AppConfig
(Django) or its ``InitPluginProtocol`` plugin (Litestar).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from harness.accounts import SEED_PASSWORD, SEED_STAFF, Account, Browser
from harness.http import Client
from harness.problem import assert_problem, media_type
from harness.servers import LiveServer

ME = "/api/v1/users/me"
ITEMS = "/api/v1/items"


# --------------------------------------------------------------------------- dependency injection


@pytest.mark.concept("dependency-injection", "authentication")
def test_current_user_is_resolved_per_request(
    server: LiveServer, alice: Account, bob: Account
) -> None:
    """40 concurrent /users/me calls with alternating tokens: each sees its own user."""
    accounts = [alice, bob] * 20

    def me(who: Account) -> tuple[str, str]:
        with Client(base_url=server.base_url, timeout=15) as c:
            resp = c.get(ME, headers=who.headers)
        assert resp.status_code == 200, resp.text[:200]
        return who.id, resp.json()["id"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        pairs = list(pool.map(me, accounts))
    mismatched = [(sent, got) for sent, got in pairs if sent != got]
    assert not mismatched, f"requests saw another request's user: {mismatched[:5]}"


@pytest.mark.concept("dependency-injection", "authentication")
def test_current_user_dependency_refuses_anonymous(client: httpx.Client) -> None:
    """The provider of the current user answers 401 itself; no handler code runs."""
    assert_problem(client.get(ME), 401)


@pytest.mark.concept("dependency-injection", "pagination")
def test_layer_default_yields_to_the_handler_parameter(
    tuned: LiveServer, carol: Account, carol_items: Any
) -> None:
    """``page_size`` comes from the router layer (PAGE_SIZE_DEFAULT=5); ``?limit=`` overrides it."""
    with Client(base_url=tuned.base_url, timeout=10) as c:
        default = c.get(ITEMS, headers=carol.headers).json()
        explicit = c.get(ITEMS, params={"limit": 2}, headers=carol.headers).json()
    assert (default["limit"], len(default["items"])) == (5, 5)
    assert (explicit["limit"], len(explicit["items"])) == (2, 2)


# --------------------------------------------------------------------------- apps / plugins


@pytest.mark.concept("apps-plugins", "templates", "static-files")
def test_items_feature_is_wired_as_one_unit(
    client: httpx.Client, alice: Account, logged_in: Browser
) -> None:
    """API, HTML page (its template), static files: all registered by the feature package."""
    api = client.get(ITEMS, headers=alice.headers)
    assert api.status_code == 200, api.text[:200]
    page = logged_in.get("/items")
    assert page.status_code == 200, page.text[:200]
    assert media_type(page) == "text/html"
    assert "<title>Items</title>" in page.text
    for path, kind in (("/static/items.css", "text/css"), ("/static/items.js", "javascript")):
        resp = client.get(path)
        assert resp.status_code == 200, f"{path}: {resp.status_code}"
        assert kind in media_type(resp), f"{path}: {media_type(resp)}"


@pytest.mark.concept("apps-plugins", "openapi")
def test_items_operations_are_in_the_schema(client: httpx.Client) -> None:
    """The plugin/app contributes its operations (tag ``items``) to the app's one schema."""
    doc = client.get("/api/schema/openapi.json").json()
    tagged = {
        op["operationId"]
        for methods in doc["paths"].values()
        for op in methods.values()
        if isinstance(op, dict) and "items" in op.get("tags", [])
    }
    assert {"items_list", "items_create", "items_retrieve", "items_destroy"} <= tagged, tagged


@pytest.mark.concept("apps-plugins", "admin")
def test_items_admin_view_is_registered(server: LiveServer, staff: Account) -> None:
    """The feature's admin view joins the project's admin (ModelAdmin vs SQLAdmin ModelView)."""
    from tests.test_admin_commands import admin_login

    with Browser(server.base_url) as b:
        index = admin_login(b, SEED_STAFF, SEED_PASSWORD)
    assert index.status_code == 200, index.text[:300]
    # "Attachments", not "Items": the Litestar admin's title is "Items API admin".
    assert "Attachments" in index.text, "the admin index must list the items feature's models"
