"""The HTML item pages and the browser login flow (contract decision 30), in-process."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from config.asgi import create_app
from config.settings import Settings
from items.models import Item
from users import services

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
PASSWORD = "password-123"
Client = TestClient[Litestar]


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture
def register(settings: Settings) -> Any:
    def factory(username: str) -> Any:
        async def create() -> Any:
            engine = create_async_engine(settings.database_url)
            async with async_sessionmaker(engine, expire_on_commit=False)() as db:
                user = await services.register_user(
                    db, username, f"{username}@example.com", PASSWORD, events=None
                )
                await db.commit()
            await engine.dispose()
            return user

        return _run(create())

    return factory


@pytest.fixture
def make_client(settings: Settings) -> Iterator[Any]:
    clients: list[Client] = []

    def factory() -> Client:
        # https: the Secure session cookie is sent back; over https Django's CSRF rule wants
        # an Origin (or Referer) matching the host (decision 23)
        client: Client = TestClient(app=create_app(settings), base_url="https://testserver.local")
        client.follow_redirects = False
        client.headers["Origin"] = "https://testserver.local"  # what a browser sends
        clients.append(client.__enter__())
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


def _items(settings: Settings) -> list[Item]:
    async def read() -> list[Item]:
        engine = create_async_engine(settings.database_url)
        async with async_sessionmaker(engine)() as db:
            rows = list((await db.scalars(select(Item))).all())
        await engine.dispose()
        return rows

    return _run(read())  # type: ignore[no-any-return]


def token(client: Client, path: str) -> str:
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text[:300]
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def login(client: Client, username: str) -> None:
    csrf = token(client, "/auth/login")
    creds = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    assert client.post("/auth/login", data=creds, headers=HTML).status_code == 303


def field_errors(html: str) -> set[str]:
    return set(re.findall(r'class="field-error" data-field="(\w+)"', html))


def test_login_flow_redirects_and_rerenders(register: Any, make_client: Any) -> None:
    register("alice")
    client = make_client()
    csrf = token(client, "/auth/login?next=/items/new")
    wrong = {"username": "alice", "password": "nope-nope", "next": "/items/new"}
    failed = client.post("/auth/login", data={**wrong, "csrfmiddlewaretoken": csrf}, headers=HTML)
    assert failed.status_code == 400
    assert 'value="alice"' in failed.text and 'role="alert"' in failed.text
    creds = {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    ok = client.post("/auth/login", data={**creds, "next": "/items/new"}, headers=HTML)
    assert (ok.status_code, ok.headers["location"]) == (303, "/items/new")
    csrf = token(client, "/items")
    out = client.post("/auth/logout", data={"csrfmiddlewaretoken": csrf}, headers=HTML)
    assert (out.status_code, out.headers["location"]) == (303, "/auth/login")


def test_login_next_off_site_falls_back(register: Any, make_client: Any) -> None:
    register("alice")
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", ""):
        client = make_client()
        csrf = token(client, "/auth/login")
        creds = {"username": "alice", "password": PASSWORD, "next": target}
        ok = client.post("/auth/login", data={**creds, "csrfmiddlewaretoken": csrf}, headers=HTML)
        assert (ok.status_code, ok.headers["location"]) == (303, "/items"), target


def test_item_create_and_edit_pages(register: Any, make_client: Any, settings: Settings) -> None:
    alice, _ = register("alice"), register("bob")
    anonymous = make_client().get("/items/new")
    assert anonymous.headers["location"] == "/auth/login?next=/items/new"
    client = make_client()
    login(client, "alice")
    csrf = token(client, "/items/new")
    bad = client.post(
        "/items/new", data={"name": "", "price": "12.345", "csrfmiddlewaretoken": csrf}
    )
    assert bad.status_code == 400
    assert field_errors(bad.text) == {"name", "price"}
    assert 'value="12.345"' in bad.text
    assert _items(settings) == []
    good = {"name": " spaced ", "description": "", "price": "12.50"}
    created = client.post("/items/new", data={**good, "csrfmiddlewaretoken": csrf})
    assert (created.status_code, created.headers["location"]) == (303, "/items")
    [item] = _items(settings)
    assert (item.name, item.description, str(item.price), item.owner_id) == (
        " spaced ",
        None,
        "12.50",
        alice.id,
    )
    edit = f"/items/{item.id}/edit"
    assert 'value="12.50"' in client.get(edit).text
    changed = client.post(
        edit,
        data={"name": "renamed", "price": "3", "csrfmiddlewaretoken": csrf},
    )
    assert (changed.status_code, changed.headers["location"]) == (303, "/items")
    [item] = _items(settings)
    assert (item.name, str(item.price)) == ("renamed", "3.00")
    other = make_client()
    login(other, "bob")
    assert other.get(edit).status_code == 404
    assert client.get("/items/not-a-uuid/edit").status_code == 404
    client.cookies.delete("csrftoken")
    refused = client.post(edit, data={"name": "x", "price": "1.00"})
    assert refused.status_code == 403
