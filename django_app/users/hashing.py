"""Password hashing with bounded admission: a burst of logins cannot starve other requests.

argon2id costs tens of milliseconds of CPU and 19 MiB per call. Each request already runs
in a thread of its own under ASGI, so the loop stays free; what needs bounding is how many
hash at once (``HASH_CONCURRENCY``) and how many wait for a slot (``HASH_QUEUE``). Past
that the caller gets :class:`HashingBusy`, answered ``503`` problem+json with
``Retry-After: 1`` (pinned on both apps), instead of a queue that grows without bound.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher

from common.errors import UnavailableError

# One core stays free for everything else (the event loop, /health) while logins hash.
HASH_CONCURRENCY = int(os.environ.get("HASH_CONCURRENCY", str(max(1, (os.cpu_count() or 2) - 1))))
HASH_QUEUE = int(os.environ.get("HASH_QUEUE", "64"))

# argon2id with OWASP's first listed configuration (m=19 MiB, t=2, p=1; the Password
# Storage Cheat Sheet lists it and m=46 MiB/t=1 as the same level of defence, trading CPU
# against memory). Django's Argon2PasswordHasher defaults to m=100 MiB, t=2, p=8, and its
# default hasher, PBKDF2 with over a million iterations, cost ~0.35 s of CPU per login.
# Hashes made with other parameters or hashers still verify (settings.PASSWORD_HASHERS).
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2


# argon2 mallocs its block for every hash, and glibc keeps a freed block in the arena of the
# thread that hashed (one arena per thread, up to 8 per core): hashing in every request's
# thread kept ~19 MiB per thread (16 threads: 326 MiB; the same hashes on one thread: 35 MiB).
# So hashes run on HASH_CONCURRENCY threads of their own.
_hash_threads = ThreadPoolExecutor(HASH_CONCURRENCY, thread_name_prefix="password-hash")


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Django's argon2id hasher with the parameters above (the same as the Litestar app)."""

    memory_cost = ARGON2_MEMORY_KIB
    time_cost = ARGON2_TIME_COST
    parallelism = 1

    def encode(self, password: str, salt: str) -> str:
        return _hash_threads.submit(super().encode, password, salt).result()

    def verify(self, password: str, encoded: str) -> bool:
        return _hash_threads.submit(super().verify, password, encoded).result()


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
