"""Native tests: the admin at /admin admits active staff users only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from users.models import OutboxEmail, User

pytestmark = pytest.mark.django_db

PASSWORD = "password-123"


@pytest.fixture
def client() -> Client:
    """A browser-like client: the admin's own CSRF check is enforced."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def make_user() -> Any:
    """``make_user("bob", staff=True)`` -> the new user (password "password-123")."""

    def factory(
        username: str, *, staff: bool = False, active: bool = True, superuser: bool = False
    ) -> User:
        return User.objects.create_user(
            username,
            f"{username}@example.com",
            PASSWORD,
            is_staff=staff or superuser,
            is_superuser=superuser,
            is_active=active,
        )

    return factory


def log_in(client: Client, username: str, password: str = PASSWORD) -> Any:
    """Post the admin login form the way a browser does."""
    token = client.get("/admin/login/").cookies["csrftoken"].value  # the form's CSRF cookie
    return client.post(
        "/admin/login/?next=/admin/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
    )


def test_anonymous_index_redirects_to_login(client: Client) -> None:
    for path in ("/admin/", "/admin/users/user/"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/admin/login" in response.headers["location"]
    # "/admin" without the slash leads there too.
    assert client.get("/admin").headers["location"] == "/admin/"


def test_login_page_is_html_with_a_password_input(client: Client) -> None:
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert 'type="password"' in response.text
    # The app-wide security headers reach the admin too.
    assert response.headers["x-frame-options"] == "DENY"


def test_staff_user_logs_in_and_sees_the_index(client: Client, make_user: Any) -> None:
    make_user("boss", staff=True)
    response = log_in(client, "boss")
    assert response.status_code == 302
    assert response.headers["location"] == "/admin/"
    index = client.get("/admin/")
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("text/html")


def test_login_without_csrf_token_is_refused(client: Client, make_user: Any) -> None:
    make_user("boss", staff=True)
    response = client.post("/admin/login/", data={"username": "boss", "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/admin/").status_code == 302


def test_non_staff_user_cannot_get_in(client: Client, make_user: Any) -> None:
    make_user("pleb")
    response = log_in(client, "pleb")
    assert response.status_code == 200  # the form again, with an error
    assert "staff account" in response.text
    assert client.get("/admin/").status_code == 302


def test_wrong_password_and_inactive_staff_are_refused(client: Client, make_user: Any) -> None:
    make_user("boss", staff=True)
    make_user("gone", staff=True, active=False)
    assert log_in(client, "boss", "wrong-password").status_code == 200  # the form again
    assert log_in(client, "gone").status_code == 200
    assert client.get("/admin/").status_code == 302


def test_superuser_manages_users(make_user: Any) -> None:
    client = Client()  # force_login below: no login form, so no CSRF cookie to send back
    boss = make_user("boss", superuser=True)
    other = make_user("other")
    client.force_login(boss)
    for path in (
        "/admin/users/user/",
        f"/admin/users/user/{other.pk}/change/",
        f"/admin/users/user/{other.pk}/password/",
        "/admin/users/user/add/",
    ):
        assert client.get(path).status_code == 200, path

    # Adding a user goes through Django's creation form (hashed password).
    response = client.post(
        "/admin/users/user/add/",
        {
            "username": "added",
            "email": "added@example.com",
            "usable_password": "true",
            "password1": "a-long-password-42",
            "password2": "a-long-password-42",
        },
    )
    assert response.status_code == 302
    added = User.objects.get(username="added")
    assert added.check_password("a-long-password-42")
    assert not added.is_staff

    # Case-insensitive uniqueness is enforced by the form too.
    response = client.post(
        "/admin/users/user/add/",
        {
            "username": "ADDED",
            "email": "x@example.com",
            "usable_password": "true",
            "password1": "a-long-password-42",
            "password2": "a-long-password-42",
        },
    )
    assert response.status_code == 200
    assert User.objects.filter(username__iexact="added").count() == 1

    # The password page changes the hash through AdminPasswordChangeForm.
    response = client.post(
        f"/admin/users/user/{other.pk}/password/",
        {"password1": "brand-new-pass-99", "password2": "brand-new-pass-99"},
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.check_password("brand-new-pass-99")


def test_outbox_is_read_only(client: Client, make_user: Any) -> None:
    make_user("boss", superuser=True)
    log_in(client, "boss")
    other = make_user("other")
    email = OutboxEmail.objects.create(
        user=other, to_email=other.email, subject="Welcome, other!", body="Hello"
    )
    assert client.get("/admin/users/outboxemail/").status_code == 200
    # Read-only: the change URL shows the view page, add is forbidden.
    assert client.get(f"/admin/users/outboxemail/{email.pk}/change/").status_code == 200
    assert client.get("/admin/users/outboxemail/add/").status_code == 403


def test_admin_static_files_are_served(client: Client) -> None:
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
