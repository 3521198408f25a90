"""Contract shims: session and CSRF behaviour the contract pins.

Django already clears the session cookie with ``Max-Age=0`` and checks ``Origin`` /
``Referer`` in ``CsrfViewMiddleware`` (decision 23). One gap is left: ``login()`` keeps the
session key when the same user logs in again on a session that is already theirs.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login
from django.http import HttpRequest


def login_with_fresh_session(request: HttpRequest, user: Any) -> None:
    """Decision 22: every login issues a fresh session id (the previous one answers 401).

    ``cycle_key()`` first: ``login()`` then finds nothing to flush or cycle for the same user,
    and a client-chosen or pre-login key never carries the authenticated session.
    """
    request.session.cycle_key()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
