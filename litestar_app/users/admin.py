"""Admin UI for users and the outbox, staff only.

SQLAdmin (a Starlette app) mounted at ``/admin`` by ``sqladmin-litestar-plugin``, which
wraps it in a Litestar ``asgi`` mount handler. Login checks the ``users_user`` table with
the same argon2 hasher as the API (``users.services``) and admits active staff users only.
The admin keeps its own signed-cookie session (``admin_session``, Starlette's
``SessionMiddleware``), separate from the API's ``sessionid``; it is Secure-only when
DEBUG is off, like every session cookie of both apps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from sqladmin import ModelView
from sqladmin.authentication import AuthenticationBackend
from sqladmin_litestar_plugin import SQLAdminPlugin
from sqlalchemy.ext.asyncio import async_sessionmaker

from users import services
from users.models import OutboxEmail, User

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.requests import Request

    from config.settings import Settings

ADMIN_PATH = "/admin"
SESSION_USER_KEY = "user_id"


class StaffAuthBackend(AuthenticationBackend):
    """SQLAdmin login backed by ``users_user``: active staff only, password via pwdlib."""

    def __init__(self, settings: Settings, engine: AsyncEngine) -> None:
        super().__init__(
            secret_key=settings.secret_key,
            session_cookie="admin_session",
            same_site="lax",
            https_only=not settings.debug,
        )
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    async def login(self, request: Request) -> bool:
        """Check the form credentials; only staff get an admin session."""
        form = await request.form()
        username, password = form.get("username"), form.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            return False
        async with self.sessions() as db:
            user = await services.authenticate_user(db, username, password)
        if user is None or not user.is_staff:
            return False
        request.session.clear()  # no session fixation across logins
        request.session[SESSION_USER_KEY] = str(user.id)
        return True

    async def logout(self, request: Request) -> bool:
        request.session.clear()
        return True

    async def authenticate(self, request: Request) -> bool:
        """Re-check the user on every request: deactivated or demoted users lose access."""
        user_id = request.session.get(SESSION_USER_KEY)
        if not user_id:
            return False
        async with self.sessions() as db:
            user = await services.get_active_user(db, user_id)
        if user is None or not user.is_staff:
            request.session.clear()
            return False
        return True


class UserAdmin(ModelView, model=User):
    """Users: list, search, edit flags. Passwords are never shown or edited as raw hashes;
    create users and set passwords with ``litestar users create-user`` or the API."""

    name = "User"
    icon = "fa-solid fa-user"
    can_create = False  # a raw form would bypass the password hasher
    column_list: ClassVar[Any] = [
        User.username,
        User.email,
        User.is_staff,
        User.is_active,
        User.created_at,
    ]
    column_searchable_list: ClassVar[Any] = [User.username, User.email]
    column_sortable_list: ClassVar[Any] = [User.username, User.email, User.created_at]
    column_default_sort: ClassVar[Any] = [(User.username, False)]
    column_details_exclude_list: ClassVar[Any] = [User.password]
    form_columns: ClassVar[Any] = [
        User.username,
        User.email,
        User.is_active,
        User.is_staff,
        User.is_superuser,
    ]


class OutboxEmailAdmin(ModelView, model=OutboxEmail):
    """The outbox, read-only: rows are written by the ``user_registered`` receiver."""

    name = "Outbox email"
    name_plural = "Outbox emails"
    icon = "fa-solid fa-envelope"
    can_create = False
    can_edit = False
    can_delete = False
    column_list: ClassVar[Any] = [
        OutboxEmail.to_email,
        OutboxEmail.subject,
        OutboxEmail.created_at,
    ]
    column_searchable_list: ClassVar[Any] = [OutboxEmail.to_email, OutboxEmail.subject]
    column_default_sort: ClassVar[Any] = [(OutboxEmail.created_at, True)]


def admin_plugin(settings: Settings, engine: AsyncEngine) -> SQLAdminPlugin:
    """The plugin ``create_app`` registers: SQLAdmin at ``/admin`` on the app's engine."""
    return SQLAdminPlugin(
        views=[UserAdmin, OutboxEmailAdmin],
        engine=engine,
        base_url=ADMIN_PATH,
        title="Items API admin",
        authentication_backend=StaffAuthBackend(settings, engine),
    )
