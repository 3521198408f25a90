"""Contract compatibility layer: code that exists only to meet the shared contract.

Everything here closes a gap between what Litestar does out of the box and what the contract
(the CONTRACT.md decisions, ``contract_tests/openapi.yaml``) pins for both apps; each unit
names the decision it serves and, for a framework bug, the upstream issue. The feature
folders stay plain Litestar. ``CompatPlugin`` is the one place it is registered
(``config.asgi.create_app`` lists it first):

* ``compat.problems``: built-in errors (router 404/405, guards, limits, advanced-alchemy's
  ``NotFoundError``) as ``about:blank`` problem+json; the rate limiter's 429 problem.
* ``compat.validation``: every invalid input as a JSON pointer, 415 for non-JSON bodies,
  the 1000 query fields limit, ``?x=null`` refused, undecodable bodies as 400.
* ``compat.headers``: sorted ``Allow`` (405 and OPTIONS), ``Cache-Control`` on error
  responses and in the contract's directive order, the security headers.
* ``compat.values``: one spelling per value type (integers, UUIDs, whole-value patterns,
  every invalid query parameter, cookies without percent-decoding).
* ``compat.duplicates``: repeated ``Host`` / ``Content-Type`` / ``Authorization`` headers refused.
* ``compat.hosts``: ``ALLOWED_HOSTS`` with Django's rules (port ignored, problem answer).
* ``compat.edges``: odd paths 404 and bad Hosts 400 before routing, django-cors-headers'
  CORS rules, conditional GET on static files.
* ``compat.sessions``: no session cookie until something is stored in the session.
* ``compat.routing``: a hidden HEAD twin of every GET handler.
* ``compat.channels``: the Redis pub/sub listener restarted after an outage.

Without it (drop ``CompatPlugin`` and use Litestar's originals where features use a compat
class: ``CacheControlHeader`` for ``CacheControl``, ``ServerSideSessionConfig``,
``ChannelsPlugin``, ``RateLimitMiddleware``, no HEAD twins) the app is plain Litestar: errors
in Litestar's own JSON shape, 400s without pointers, 405 for HEAD and a form body decoded as
JSON, an empty session cookie on every response, and a chat that stops receiving after a Redis
restart; ``//`` and ``%2F`` merged into routes, Litestar's own CORS answers and no 304 on
static files. That is what a starter user gains and loses.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from advanced_alchemy.exceptions import NotFoundError as RepositoryNotFoundError
from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    ValidationException,
)
from litestar.plugins import InitPluginProtocol
from litestar.utils import ensure_async_callable

from compat.duplicates import RepeatedHeadersMiddleware
from compat.edges import StaticFilesMiddleware, install_edge_guard
from compat.headers import BEFORE_SEND, method_not_allowed_handler, time_every_request
from compat.hosts import AllowedHostsMiddleware
from compat.problems import (
    http_exception_handler,
    repository_not_found_handler,
    schema_not_found_as_problem,
)
from compat.routing import schema_head
from compat.sessions import swagger_csrf_cookie
from compat.validation import (
    GUARDS,
    ContractRequest,
    malformed_body_handler,
    validation_exception_handler,
)
from compat.values import LiteralCookiesMiddleware, with_value_checks

if TYPE_CHECKING:
    from litestar.config.app import AppConfig
    from litestar.router import Router

    from config.settings import Settings


class CompatPlugin(InitPluginProtocol):
    """Registers every workarounds of this package on the app config (list it first)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        # Litestar picks the most specific class in the exception's MRO: the app's own
        # handlers (common.errors: DomainError, ProblemDetailsException, ...) stay in charge
        # of the app's errors; these cover what the framework raises itself.
        app_config.exception_handlers = {
            HTTPException: http_exception_handler,
            ClientException: malformed_body_handler,
            ValidationException: validation_exception_handler,
            MethodNotAllowedException: method_not_allowed_handler,
            RepositoryNotFoundError: repository_not_found_handler,
            **app_config.exception_handlers,
        }
        app_config.guards.extend(GUARDS)
        # Decision 26: one rule per value type, checked after the guards (auth first).
        app_config.before_request = with_value_checks(app_config.before_request)
        app_config.request_class = ContractRequest
        app_config.before_send.extend(BEFORE_SEND)
        app_config.before_send.append(swagger_csrf_cookie)
        # Decision 24: repeated Host / Content-Type refused before anything reads them.
        app_config.middleware.append(RepeatedHeadersMiddleware())
        hosts = AllowedHostsMiddleware(self.settings.allowed_hosts)
        app_config.middleware.append(hosts)
        app_config.middleware.append(StaticFilesMiddleware())
        # Decision 26: cookie values as sent (no percent-decoding), before sessions read them.
        app_config.middleware.append(LiteralCookiesMiddleware())
        # Paths, Host and CORS are checked before routing (CONTRACT "Paths, hosts and
        # framing", "Static files, pages and CORS"): the guard takes CORS over from Litestar.
        cors, app_config.cors_config = app_config.cors_config, None
        app_config.on_startup.append(functools.partial(install_edge_guard, hosts=hosts, cors=cors))
        # After the edge guard: its 400/404 answers are timed too (X-Process-Time, decision 17).
        app_config.on_startup.append(time_every_request)
        if app_config.openapi_config is not None and (
            router := app_config.openapi_config.openapi_router
        ):
            _patch_schema_router(router)
        return app_config


def _patch_schema_router(router: Router) -> None:
    """HEAD on the docs pages (decision 11) and problem+json 404s under ``/api/schema``."""
    router.register(schema_head)
    router.after_request = ensure_async_callable(schema_not_found_as_problem)
