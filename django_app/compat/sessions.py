"""Contract shims: session and CSRF behaviour the contract pins.

DRF views are CSRF-exempt by design (only ``SessionAuthentication`` enforces it, and only
for a request it authenticated), and Django answers a CSRF failure with an HTML page. The
contract pins CSRF on the session routes (login, logout) and a 403 problem for every
CSRF failure.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework import exceptions, status
from rest_framework.authentication import CSRFCheck
from rest_framework.request import Request

from compat.problems import problem_json

CSRF_FAILED = "CSRF verification failed."


# contract-shim: the unauthenticated session routes (login, logout) check CSRF too.
def enforce_csrf(request: Request) -> None:
    """403 unless the request carries the CSRF token matching the ``csrftoken`` cookie.

    DRF's own check (``rest_framework.authentication.CSRFCheck``, which
    ``SessionAuthentication.enforce_csrf`` runs), with the contract's detail text.
    """
    check = CSRFCheck(lambda _request: HttpResponse())
    django_request = request._request
    check.process_request(django_request)  # reads the csrftoken cookie
    if check.process_view(django_request, None, (), {}):  # type: ignore[arg-type]
        raise exceptions.PermissionDenied(CSRF_FAILED)


# contract-shim: CSRF_FAILURE_VIEW, so plain Django views (e.g. the admin) answer a problem.
def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """``CSRF_FAILURE_VIEW``: a 403 problem instead of Django's HTML page."""
    return problem_json(request, status.HTTP_403_FORBIDDEN, detail=CSRF_FAILED)
