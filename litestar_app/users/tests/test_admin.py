"""Native tests: the admin at /admin admits active staff users only."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

PASSWORD = "password-123"
Client = TestClient[Litestar]


def log_in(client: Client, username: str, password: str = PASSWORD) -> Any:
    """Post the admin login form the way a browser does."""
    return client.post("/admin/login", data={"username": username, "password": password})


def test_anonymous_index_redirects_to_login(client: Client) -> None:
    for path in ("/admin/", "/admin", "/admin/user/list"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/admin/login" in response.headers["location"]


def test_login_page_is_html_with_a_password_input(client: Client) -> None:
    response = client.get("/admin/login")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'type="password"' in response.text
    # The app-wide security headers reach the admin too.
    assert response.headers["x-frame-options"] == "DENY"


def test_staff_user_logs_in_and_sees_the_index(client: Client, make_user: Any) -> None:
    make_user("boss", staff=True)
    response = log_in(client, "boss")
    assert response.status_code == 302
    assert response.headers["location"].endswith("/admin/")
    cookie = response.headers["set-cookie"].lower()
    assert "admin_session=" in cookie
    assert "httponly" in cookie
    assert "secure" in cookie  # DEBUG is off
    index = client.get("/admin/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")
    for path in ("/admin/user/list", "/admin/outbox-email/list"):
        assert client.get(path).status_code == 200
    # Logging out drops the admin session.
    client.get("/admin/logout")
    assert client.get("/admin/").status_code == 302


def test_non_staff_user_cannot_get_in(client: Client, make_user: Any) -> None:
    make_user("pleb")
    response = log_in(client, "pleb")
    assert response.status_code == 400
    assert "admin_session=" not in response.headers.get("set-cookie", "")
    assert client.get("/admin/").status_code == 302


def test_wrong_password_and_inactive_staff_are_refused(client: Client, make_user: Any) -> None:
    make_user("boss", staff=True)
    make_user("gone", staff=True, active=False)
    assert log_in(client, "boss", "wrong-password").status_code == 400
    assert log_in(client, "gone").status_code == 400
    assert client.get("/admin/").status_code == 302


def test_outbox_is_read_only(client: Client, make_user: Any) -> None:
    make_user("boss", staff=True)
    log_in(client, "boss")
    assert client.get("/admin/outbox-email/create").status_code in {403, 404}
    assert client.get("/admin/user/create").status_code in {403, 404}


def test_admin_static_files_are_served(client: Client) -> None:
    response = client.get("/admin/statics/css/main.css")
    assert response.status_code == 200
