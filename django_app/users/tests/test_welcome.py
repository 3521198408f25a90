"""Native tests: every entry point that creates a user sends the welcome e-mail."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from users.models import OutboxEmail, User

pytestmark = pytest.mark.django_db


def subjects(username: str) -> list[str]:
    return [e.subject for e in OutboxEmail.objects.filter(user__username=username)]


def test_create_user_command_sends_the_welcome_email(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_user", "--username=cli", "--email=cli@example.com", "--password=pw-123456"
        )
    assert subjects("cli") == ["Welcome, cli!"]


def test_create_user_command_refuses_a_duplicate() -> None:
    call_command("create_user", "--username=dup", "--email=dup@example.com", "--password=p")
    with pytest.raises(CommandError, match="username already exists"):
        call_command("create_user", "--username=DUP", "--email=x@example.com", "--password=p")


def test_admin_add_sends_the_welcome_email(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    boss = User.objects.create_user("boss", "boss@example.com", "pw", is_superuser=True)
    boss.is_staff = True
    boss.save()
    client.force_login(boss)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/users/user/add/",
            {
                "username": "fromadmin",
                "email": "fromadmin@example.com",
                "usable_password": "true",
                "password1": "a-long-password-42",
                "password2": "a-long-password-42",
            },
        )
    assert response.status_code == 302
    assert subjects("fromadmin") == ["Welcome, fromadmin!"]
