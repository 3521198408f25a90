"""The ``litestar users`` CLI: ``create-user`` goes through the service (welcome email too)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from litestar.cli.main import litestar_group
from sqlalchemy import select

from config.settings import Settings
from users.models import OutboxEmail, User
from users.tests.test_users import run_db


def test_create_user_command_sends_the_welcome_email(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    args = ["--app", "config.asgi:create_app", "users", "create-user"]
    args += ["--username", "cli-user", "--email", "cli-user@example.com"]
    result = CliRunner().invoke(litestar_group, [*args, "--password", "password-123"])
    assert result.exit_code == 0, result.output

    async def outbox(db: Any) -> list[tuple[str, str]]:
        rows = await db.execute(
            select(User.username, OutboxEmail.to_email).join(
                OutboxEmail, OutboxEmail.user_id == User.id
            )
        )
        return [tuple(row) for row in rows]

    assert run_db(settings, outbox) == [("cli-user", "cli-user@example.com")]


def test_create_user_command_reports_a_duplicate(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, make_user: Any
) -> None:
    make_user("taken")
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    args = ["--app", "config.asgi:create_app", "users", "create-user", "--username", "TAKEN"]
    result = CliRunner().invoke(
        litestar_group, [*args, "--email", "x@example.com", "--password", "password-123"]
    )
    assert result.exit_code == 1
    assert "already exists" in result.output
