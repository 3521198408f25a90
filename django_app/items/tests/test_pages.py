"""The HTML item pages and the browser login flow (contract decision 30), in-process."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client

from items.models import Item
from users.models import User

HTML = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}
CsrfClient = Callable[..., Client]


def token(client: Client, path: str) -> str:
    page = client.get(path, **HTML)
    assert page.status_code == 200, page.content[:300]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert match is not None
    return match.group(1)


def field_errors(html: str) -> set[str]:
    return set(re.findall(r'class="field-error" data-field="(\w+)"', html))


def test_login_flow_redirects_and_rerenders(alice: User, csrf_client: CsrfClient) -> None:
    client = csrf_client()
    csrf = token(client, "/auth/login?next=/items/new")
    wrong = {"username": "alice", "password": "nope-nope", "next": "/items/new"}
    failed = client.post("/auth/login", {**wrong, "csrfmiddlewaretoken": csrf}, **HTML)
    assert failed.status_code == 400
    assert 'value="alice"' in failed.content.decode()
    assert 'role="alert"' in failed.content.decode()
    creds = {"username": "alice", "password": "password-123", "csrfmiddlewaretoken": csrf}
    ok = client.post("/auth/login", {**creds, "next": "/items/new"}, **HTML)
    # .get(): a non-redirect answer fails with its status and body, not a KeyError.
    assert (ok.status_code, ok.get("Location")) == (303, "/items/new"), ok.content[:500]
    csrf = token(client, "/items")
    out = client.post("/auth/logout", {"csrfmiddlewaretoken": csrf}, **HTML)
    assert (out.status_code, out.get("Location")) == (303, "/auth/login"), out.content[:500]


def test_login_next_off_site_falls_back(alice: User, csrf_client: CsrfClient) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", ""):
        client = csrf_client()
        csrf = token(client, "/auth/login")
        creds = {"username": "alice", "password": "password-123", "next": target}
        ok = client.post("/auth/login", {**creds, "csrfmiddlewaretoken": csrf}, **HTML)
        assert (ok.status_code, ok["Location"]) == (303, "/items"), target


def test_item_create_and_edit_pages(alice: User, bob: User, csrf_client: CsrfClient) -> None:
    assert csrf_client().get("/items/new")["Location"] == "/auth/login?next=/items/new"
    client = csrf_client(alice)
    csrf = token(client, "/items/new")
    bad = client.post(
        "/items/new", {"name": "", "price": "12.345", "csrfmiddlewaretoken": csrf}, **HTML
    )
    assert bad.status_code == 400
    assert field_errors(bad.content.decode()) == {"name", "price"}
    assert 'value="12.345"' in bad.content.decode()
    assert not Item.objects.exists()
    good = {"name": " spaced ", "description": "", "price": "12.50"}
    created = client.post("/items/new", {**good, "csrfmiddlewaretoken": csrf}, **HTML)
    assert (created.status_code, created["Location"]) == (303, "/items")
    item = Item.objects.get()
    assert (item.name, item.description, str(item.price), item.owner_id) == (
        " spaced ",
        None,
        "12.50",
        alice.id,
    )
    edit = f"/items/{item.id}/edit"
    assert 'value="12.50"' in client.get(edit).content.decode()
    changed = client.post(
        edit, {"name": "renamed", "price": "3", "csrfmiddlewaretoken": csrf}, **HTML
    )
    assert (changed.status_code, changed["Location"]) == (303, "/items")
    item.refresh_from_db()
    assert (item.name, str(item.price)) == ("renamed", "3.00")
    assert csrf_client(bob).get(edit).status_code == 404
    assert client.get("/items/not-a-uuid/edit").status_code == 404
    refused = csrf_client(alice).post(edit, {"name": "x", "price": "1.00"})
    assert refused.status_code == 403
