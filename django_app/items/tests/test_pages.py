"""The HTML item pages and the browser login flow (contract decision 30), in-process."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.test import Client

from items.models import Item
from users.models import User

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
CsrfClient = Callable[..., Client]


def token(client: Client, path: str) -> str:
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text[:300]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def field_errors(html: str) -> set[str]:
    return set(re.findall(r'class="field-error" data-field="(\w+)"', html))


def test_login_flow_redirects_and_rerenders(alice: User, csrf_client: CsrfClient) -> None:
    client = csrf_client()
    csrf = token(client, "/auth/login?next=/items/new")
    wrong = {"username": "alice", "password": "nope-nope", "next": "/items/new"}
    failed = client.post("/auth/login", data={**wrong, "csrfmiddlewaretoken": csrf}, headers=HTML)
    assert failed.status_code == 400
    assert 'value="alice"' in failed.text
    assert 'role="alert"' in failed.text
    creds = {"username": "alice", "password": "password-123", "csrfmiddlewaretoken": csrf}
    ok = client.post("/auth/login", data={**creds, "next": "/items/new"}, headers=HTML)
    # .get(): a non-redirect answer fails with its status and body, not a KeyError.
    assert (ok.status_code, ok.headers.get("Location")) == (303, "/items/new"), ok.text[:500]
    csrf = token(client, "/items")
    out = client.post("/auth/logout", data={"csrfmiddlewaretoken": csrf}, headers=HTML)
    assert (out.status_code, out.headers.get("Location")) == (303, "/auth/login"), out.text[:500]


def test_login_next_off_site_falls_back(alice: User, csrf_client: CsrfClient) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", ""):
        client = csrf_client()
        csrf = token(client, "/auth/login")
        creds = {"username": "alice", "password": "password-123", "next": target}
        ok = client.post("/auth/login", data={**creds, "csrfmiddlewaretoken": csrf}, headers=HTML)
        assert (ok.status_code, ok.headers["Location"]) == (303, "/items"), target


def test_item_create_and_edit_pages(alice: User, bob: User, csrf_client: CsrfClient) -> None:
    assert csrf_client().get("/items/new").headers["Location"] == "/auth/login?next=/items/new"
    client = csrf_client(alice)
    csrf = token(client, "/items/new")
    bad = client.post(
        "/items/new",
        data={"name": "", "price": "12.345", "csrfmiddlewaretoken": csrf},
        headers=HTML,
    )
    assert bad.status_code == 400
    assert field_errors(bad.text) == {"name", "price"}
    assert 'value="12.345"' in bad.text
    assert not Item.objects.exists()
    good = {"name": " spaced ", "description": "", "price": "12.50"}
    created = client.post("/items/new", data={**good, "csrfmiddlewaretoken": csrf}, headers=HTML)
    assert (created.status_code, created.headers["Location"]) == (303, "/items")
    item = Item.objects.get()
    assert (item.name, item.description, str(item.price), item.owner_id) == (
        " spaced ",
        None,
        "12.50",
        alice.id,
    )
    edit = f"/items/{item.id}/edit"
    assert 'value="12.50"' in client.get(edit).text
    changed = client.post(
        edit, data={"name": "renamed", "price": "3", "csrfmiddlewaretoken": csrf}, headers=HTML
    )
    assert (changed.status_code, changed.headers["Location"]) == (303, "/items")
    item.refresh_from_db()
    assert (item.name, str(item.price)) == ("renamed", "3.00")
    assert csrf_client(bob).get(edit).status_code == 404
    assert client.get("/items/not-a-uuid/edit").status_code == 404
    refused = csrf_client(alice).post(edit, data={"name": "x", "price": "1.00"})
    assert refused.status_code == 403
