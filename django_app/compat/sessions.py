"""Contract shims: session and CSRF behaviour the contract pins.

DRF views are CSRF-exempt by design (only ``SessionAuthentication`` enforces it, and only
for a request it authenticated), and Django answers a CSRF failure with an HTML page. The
contract pins CSRF on the session routes (login, logout) and a 403 problem for every
CSRF failure.

Django already clears the session cookie with ``Max-Age=0`` and checks ``Origin`` /
``Referer`` in ``CsrfViewMiddleware`` (decision 23). One gap is left: ``login()`` keeps the
session key when the same user logs in again on a session that is already theirs.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils.datastructures import MultiValueDict
from rest_framework import exceptions, status
from rest_framework.authentication import CSRFCheck
from rest_framework.request import Request

from compat.problems import problem_json

CSRF_FAILED = "CSRF verification failed."


# contract-shim: the unauthenticated session routes (login, logout) check CSRF too, and
# every session route checks it before the body is parsed (decision 24's order).
def enforce_csrf(request: Request) -> None:
    """403 unless the request carries the CSRF token matching the ``csrftoken`` cookie.

    DRF's own check (``rest_framework.authentication.CSRFCheck``, which
    ``SessionAuthentication.enforce_csrf`` runs), with the contract's detail text.
    """
    check = CSRFCheck(lambda _request: HttpResponse())
    # Django's request, not DRF's: the check reads ``request.POST`` for the form field, which
    # on DRF's Request parses the body with the view's parsers first (a 400/415 before the
    # 403); Django's own reads only a form body (security checks before parsing).
    django_request = request._request
    check.process_request(django_request)  # reads the csrftoken cookie
    # A token in the header decides alone: Django's check would parse a form body for its
    # field first, so an oversized upload answered 400 (form parse) before the view's 413
    # (decision 24's order, CONTRACT "Headers, framing and multipart, round 2"). An empty
    # form stands in while it checks; the real body stays unread for the view's parsers.
    stand_in = bool(django_request.META.get(settings.CSRF_HEADER_NAME)) and not hasattr(
        django_request, "_post"
    )
    if stand_in:
        django_request._post, django_request._files = QueryDict(), MultiValueDict()  # type: ignore[attr-defined]
    try:
        refused = check.process_view(django_request, None, (), {})  # type: ignore[arg-type]
    finally:
        if stand_in:
            del django_request._post, django_request._files  # type: ignore[attr-defined]
    if refused:
        raise exceptions.PermissionDenied(CSRF_FAILED)


# contract-shim: CSRF_FAILURE_VIEW, so plain Django views (e.g. the admin) answer a problem.
def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """``CSRF_FAILURE_VIEW``: a 403 problem instead of Django's HTML page."""
    return problem_json(request, status.HTTP_403_FORBIDDEN, detail=CSRF_FAILED)


# contract-shim: 22 (sessions rotate at every login, the same user's included).
def login_with_fresh_session(request: HttpRequest, user: Any) -> None:
    """Decision 22: every login issues a fresh session id (the previous one answers 401).

    ``cycle_key()`` first: ``login()`` then finds nothing to flush or cycle for the same user,
    and a client-chosen or pre-login key never carries the authenticated session.
    """
    request.session.cycle_key()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
