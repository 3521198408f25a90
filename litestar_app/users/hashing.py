"""Password hashing with bounded admission: a burst of logins cannot starve other requests.

argon2id costs tens of milliseconds of CPU and 19 MiB per call. On the event loop it stalls
every other request of the worker (20 concurrent token requests pushed ``/health`` to 2 s),
so it runs in a worker thread (argon2-cffi releases the GIL), at most ``HASH_CONCURRENCY`` at
once; at most ``HASH_QUEUE`` more wait for a slot. Past that the caller gets
:class:`HashingBusy`, answered ``503`` problem+json with ``Retry-After: 1`` (pinned on both
apps), instead of a queue that grows without bound.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from common.errors import UnavailableError

# One core stays free for everything else (the event loop, /health) while logins hash.
HASH_CONCURRENCY = int(os.environ.get("HASH_CONCURRENCY", str(max(1, (os.cpu_count() or 2) - 1))))
HASH_QUEUE = int(os.environ.get("HASH_QUEUE", "64"))

# argon2id with OWASP's first listed configuration (m=19 MiB, t=2, p=1; the Password
# Storage Cheat Sheet lists it and m=46 MiB/t=1 as the same level of defence, trading CPU
# against memory). pwdlib's recommended() is argon2-cffi's default, m=64 MiB, t=3, p=4: each
# hash then takes a 64 MiB block, which put a worker's peak RSS at ~185 MiB. Hashes made
# with other parameters still verify (they are stored in the hash string).
ARGON2_MEMORY_KIB = 19 * 1024
ARGON2_TIME_COST = 2
#: argon2id at its lowest cost, for test servers only (``PASSWORD_HASHING=fast``; the app
#: refuses it with APP_ENV=production): the recommended parameters cost ~0.2 s of CPU per
#: login or new user. Hashes made with either verify with both (argon2 reads the parameters
#: from the hash).
FAST_PASSWORD_HASH = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))

if os.environ.get("PASSWORD_HASHING", "").strip().lower() == "fast":
    password_hash = FAST_PASSWORD_HASH
else:
    password_hash = PasswordHash(
        (Argon2Hasher(memory_cost=ARGON2_MEMORY_KIB, time_cost=ARGON2_TIME_COST, parallelism=1),)
    )
# Verifying against this keeps the timing of "unknown user" close to "wrong password".
DUMMY_HASH = password_hash.hash("dummy-password-for-timing")


class HashingBusy(UnavailableError):
    """More password checks in flight than HASH_CONCURRENCY + HASH_QUEUE: retry shortly."""

    detail = "Too many password checks in progress; retry shortly."


# argon2 mallocs its block for every hash, and glibc keeps a freed block in the arena of the
# thread that hashed (one arena per thread, up to 8 per core): hashing on any of anyio's
# worker threads kept ~19 MiB per thread (16 threads: 326 MiB; the same hashes on one
# thread: 35 MiB). So hashes run on HASH_CONCURRENCY threads of their own.
_hash_threads = ThreadPoolExecutor(HASH_CONCURRENCY, thread_name_prefix="password-hash")
_in_flight = 0


async def run_bounded[T](fn: Callable[..., T], *args: str) -> T:
    """``fn(*args)`` in a hashing thread, within the hashing bounds (else :class:`HashingBusy`)."""
    global _in_flight
    if _in_flight >= HASH_CONCURRENCY + HASH_QUEUE:
        raise HashingBusy
    _in_flight += 1
    try:
        return await asyncio.get_running_loop().run_in_executor(_hash_threads, fn, *args)
    finally:
        _in_flight -= 1


async def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (off the event loop, bounded)."""
    return await run_bounded(password_hash.hash, password)


async def verify_password(password: str, hashed: str | None) -> bool:
    """Whether ``password`` matches ``hashed`` (a dummy hash when None: same timing)."""
    return await run_bounded(password_hash.verify, password, hashed or DUMMY_HASH) and bool(hashed)
