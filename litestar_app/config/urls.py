"""URL map: mounts the health route, the API routers and the schema/docs UIs.

Litestar has no URLconf: ``route_handlers()`` returns what ``create_app`` registers, and
``schema_router()`` is the router ``OpenAPIConfig`` fills with the docs UIs. Each feature's
plugin (``UsersPlugin``, ``ItemsPlugin``, ``ChatPlugin``) mounts its own ``/api/v1`` router.
"""

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router
from litestar.types import ControllerRouterHandler

from common.health import health_check, health_check_head
from common.testing_routes import test_router
from config.settings import BASE_DIR, Settings

SCHEMA_PATH = "/api/schema"

# The pages' CSS/JS and the docs UIs' vendored assets, for every feature (Django: whitenoise).
static_files_router = create_static_files_router(
    path="/static",
    directories=[BASE_DIR / "static"],
    name="static",
    include_in_schema=False,
    # Browsers may reuse a file for a minute (WhiteNoise's default max-age outside DEBUG).
    cache_control=CacheControlHeader(max_age=60, public=True),
    opt={"exclude_from_auth": True},  # static files never authenticate (Django's WhiteNoise)
)


def route_handlers(settings: Settings) -> list[ControllerRouterHandler]:
    """Everything mounted on the app; ``/_test`` only when ENABLE_TEST_ROUTES is on."""
    handlers: list[ControllerRouterHandler] = [
        health_check,
        health_check_head,
        static_files_router,
    ]
    if settings.enable_test_routes:
        handlers.append(test_router)
    return handlers


def schema_router() -> Router:
    """The router ``OpenAPIConfig`` adds its schema and docs UI handlers to."""
    return Router(path=SCHEMA_PATH, route_handlers=[], include_in_schema=False)
