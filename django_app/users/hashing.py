"""Password hashing with bounded admission: a burst of logins cannot starve other requests.

PBKDF2 (Django's default hasher, over a million iterations) costs hundreds of milliseconds
of CPU per call. Each request already runs in a thread of its own under ASGI, so the loop
stays free; what needs bounding is how many hash at once (``HASH_CONCURRENCY``, the CPU
count) and how many wait for a slot (``HASH_QUEUE``). Past that the caller gets
:class:`HashingBusy`, answered ``503`` problem+json with ``Retry-After: 1`` (pinned on both
apps), instead of a queue that grows without bound.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

from common.errors import UnavailableError

# One core stays free for everything else (the event loop, /health) while logins hash.
HASH_CONCURRENCY = int(os.environ.get("HASH_CONCURRENCY", str(max(1, (os.cpu_count() or 2) - 1))))
HASH_QUEUE = int(os.environ.get("HASH_QUEUE", "64"))


class HashingBusy(UnavailableError):
    """More password checks in flight than HASH_CONCURRENCY + HASH_QUEUE: retry shortly."""

    detail = "Too many password checks in progress; retry shortly."


_slots = threading.BoundedSemaphore(HASH_CONCURRENCY)
_lock = threading.Lock()
_in_flight = 0


def run_bounded[T](fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` within the hashing bounds (else :class:`HashingBusy`)."""
    global _in_flight
    with _lock:
        if _in_flight >= HASH_CONCURRENCY + HASH_QUEUE:
            raise HashingBusy
        _in_flight += 1
    try:
        with _slots:
            return fn(*args, **kwargs)
    finally:
        with _lock:
            _in_flight -= 1
