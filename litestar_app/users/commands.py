"""Management commands: seed, create-user, createsuperuser.

A ``CLIPluginProtocol`` plugin adds the ``users`` group to the ``litestar`` CLI:
``litestar --app config.asgi:application users seed [--users N]``, ``users create-user
--username --email --password [--staff]`` and ``users createsuperuser`` (prompts).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import click
from litestar.plugins import CLIPluginProtocol

from common.db import sqlalchemy_config
from common.errors import ConflictError
from users import services

if TYPE_CHECKING:
    from litestar import Litestar


def _run(app: Litestar, fn: Any) -> Any:
    """Run ``fn(db)`` and commit, inside the app's lifespan: the event emitter is running,
    so events emitted on commit (``user_registered``) are handled before the command ends."""

    async def go() -> Any:
        config = sqlalchemy_config(app)
        failure: Exception | None = None
        async with app.lifespan():
            try:
                async with config.get_session() as db:
                    result = await fn(db)
                    await db.commit()
            except Exception as exc:  # re-raised below, not as the emitter's ExceptionGroup
                failure = exc
        if failure is not None:
            raise failure
        return result

    return asyncio.run(go())


class UsersCLIPlugin(CLIPluginProtocol):
    """Registers the ``users`` command group."""

    def on_cli_init(self, cli: click.Group) -> None:
        @cli.group(name="users")
        def users_group() -> None:
            """Manage users."""

        @users_group.command(name="seed")
        @click.option("--users", "extra", type=int, default=0, help="extra numbered users")
        def seed(app: Litestar, extra: int) -> None:
            """Create seed-alice (staff), seed-bob, seed-carol (+N); idempotent."""
            for user in _run(app, lambda db: services.seed_users(db, extra)):
                click.echo(f"{user.id} {user.username}{' (staff)' if user.is_staff else ''}")

        def create(app: Litestar, username: str, email: str, password: str, staff: bool) -> None:
            try:
                user = _run(
                    app,
                    lambda db: services.register_user(
                        db, username, email, password, is_staff=staff, events=app
                    ),
                )
            except ConflictError as exc:
                raise click.ClickException(exc.detail) from exc
            click.echo(f"{user.id} {user.username}")

        @users_group.command(name="create-user")
        @click.option("--username", required=True)
        @click.option("--email", required=True)
        @click.option("--password", required=True)
        @click.option("--staff", is_flag=True, default=False)
        def create_user(
            app: Litestar, username: str, email: str, password: str, staff: bool
        ) -> None:
            """Create a user without prompting."""
            create(app, username, email, password, staff)

        @users_group.command(name="createsuperuser")
        @click.option("--username", prompt=True)
        @click.option("--email", prompt=True)
        @click.password_option()
        def createsuperuser(app: Litestar, username: str, email: str, password: str) -> None:
            """Create a staff superuser (prompts for missing values)."""
            create(app, username, email, password, True)
