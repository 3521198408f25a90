"""Native tests: the admin at /admin admits active staff users only."""

from __future__ import annotations

import pytest
from django.test import Client

from users.models import OutboxEmail, User

pytestmark = pytest.mark.django_db

PASSWORD = "password-123"


def make_user(username: str, *, staff: bool = False, superuser: bool = False) -> User:
    return User.objects.create_user(
        username,
        f"{username}@example.com",
        PASSWORD,
        is_staff=staff or superuser,
        is_superuser=superuser,
    )


@pytest.fixture
def csrf_client() -> Client:
    """A browser-like client: the admin's own CSRF check is enforced."""
    return Client(enforce_csrf_checks=True)


def log_in(client: Client, username: str, password: str = PASSWORD) -> object:
    """Post the admin login form the way a browser does (CSRF cookie + form field)."""
    page = client.get("/admin/login/")
    token = page.cookies["csrftoken"].value
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "csrfmiddlewaretoken": token},
    )


def test_anonymous_index_redirects_to_login(csrf_client: Client) -> None:
    response = csrf_client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login" in response["Location"]
    # "/admin" without the slash leads there too.
    assert csrf_client.get("/admin")["Location"] == "/admin/"


def test_login_page_is_html_with_a_password_input(csrf_client: Client) -> None:
    response = csrf_client.get("/admin/login/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert b'type="password"' in response.content
    assert response["X-Frame-Options"] == "DENY"


def test_staff_user_logs_in_and_sees_the_index(csrf_client: Client) -> None:
    make_user("boss", staff=True)
    response = log_in(csrf_client, "boss")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert csrf_client.get("/admin/").status_code == 200


def test_login_without_csrf_token_is_refused(csrf_client: Client) -> None:
    make_user("boss", staff=True)
    response = csrf_client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert response.status_code == 403
    assert csrf_client.get("/admin/").status_code == 302


def test_non_staff_user_cannot_get_in(csrf_client: Client) -> None:
    make_user("pleb")
    response = log_in(csrf_client, "pleb")
    assert response.status_code == 200  # the form again, with an error
    assert b"staff account" in response.content
    assert csrf_client.get("/admin/").status_code == 302


def test_superuser_manages_users_and_reads_the_outbox(client: Client) -> None:
    boss = make_user("boss", superuser=True)
    other = make_user("other")
    OutboxEmail.objects.create(
        user=other, to_email=other.email, subject="Welcome, other!", body="Hello"
    )
    client.force_login(boss)
    for path in (
        "/admin/users/user/",
        f"/admin/users/user/{other.pk}/change/",
        f"/admin/users/user/{other.pk}/password/",
        "/admin/users/user/add/",
        "/admin/users/outboxemail/",
    ):
        assert client.get(path).status_code == 200, path
    email = OutboxEmail.objects.get()
    # Read-only: the change URL shows the view page, add is forbidden.
    assert client.get(f"/admin/users/outboxemail/{email.pk}/change/").status_code == 200
    assert client.get("/admin/users/outboxemail/add/").status_code == 403

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


def test_admin_static_files_are_served(client: Client) -> None:
    response = client.get("/static/admin/css/base.css")
    assert response.status_code == 200
