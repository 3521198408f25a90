"""py-spy under wrk load: where a server's worker spends its time on one endpoint.

:func:`profile_server` samples a running server's worker while wrk drives one endpoint and
writes ``results/profile-<mode>-<server>-<endpoint>.txt`` (share of busy samples per package
and the top self-time functions) next to py-spy's collapsed stacks (``.collapsed``, not
committed; feed it to any flame graph viewer). Needs ptrace rights (root, or
``kernel.yama.ptrace_scope=0``). Used by ``run.py`` (every published run) and ``profile.py``.
"""

from __future__ import annotations

import collections
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from run import Endpoint, Server

HERE = Path(__file__).resolve().parent

# Buckets: the first whose needle is in a frame's file path names that frame's package.
BUCKETS = (
    ("asgiref thread hops (sync_to_async / async_to_sync)", ("asgiref/sync.py",)),
    ("thread pool / futures waits", ("concurrent/futures", "threading.py")),
    ("django middleware", ("django/utils/deprecation.py", "django/middleware/", "corsheaders/")),
    ("django url resolving", ("django/urls/",)),
    ("DRF view / auth / serializers", ("rest_framework/",)),
    ("django ORM + psycopg", ("django/db/", "psycopg/")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("advanced-alchemy", ("advanced_alchemy/",)),
    ("asyncpg", ("asyncpg/",)),
    ("aiosqlite / sqlite3", ("aiosqlite/", "sqlite3/")),
    ("litestar", ("litestar/",)),
    ("msgspec", ("msgspec/",)),
    ("pyjwt", ("jwt/",)),
    ("uvicorn + httptools", ("uvicorn/", "httptools/")),
    ("gunicorn", ("gunicorn/",)),
    ("logging", ("logging/",)),
)


# Leaf frames of a thread that waits (idle pool threads, the event loop inside epoll):
# py-spy cannot always tell them from busy ones in a container, so they are dropped.
IDLE_LEAVES = ("_worker", "wait", "Condition.wait", "Runner.run", "select", "poll", "accept")


def summarize(collapsed: Path) -> str:
    counts: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, number = line.rpartition(" ")
        if not number.isdigit():
            continue
        samples = int(number)
        frames = stack.split(";")
        leaf_name = frames[-1].split(" (")[0]
        # "EpollSelector.select": an idle event loop (uvicorn's, or the SAQ plugin's
        # heartbeat thread in the web process) counts as idle too.
        if leaf_name in IDLE_LEAVES or leaf_name.rsplit(".", 1)[-1] in IDLE_LEAVES:
            continue
        total += samples
        # Self time by package: the innermost frame that belongs to a bucket takes the sample.
        owner = next(
            (
                name
                for f in reversed(frames)
                for name, needles in BUCKETS
                if any(n in f for n in needles)
            ),
            "other (stdlib, C code)",
        )
        counts[owner] += samples
        leaf[frames[-1].split(" (")[0] if frames else "?"] += samples
    total = max(total, 1)
    lines = [f"{total} busy samples; self time by package (innermost matching frame)"]
    lines += [f"{100 * n / total:6.1f}%  {name}" for name, n in counts.most_common()]
    lines += ["", "top self-time functions:"]
    lines += [f"{100 * n / total:6.1f}%  {name}" for name, n in leaf.most_common(15)]
    return "\n".join(lines) + "\n"


def profile_path(out: Path, mode: str, server: str, endpoint: str) -> Path:
    return out / f"profile-{mode}-{server}-{endpoint.replace(' ', '-')}.txt"


def profile_server(
    wrk: str,
    server: Server,
    endpoint: Endpoint,
    *,
    mode: str,
    out: Path,
    seconds: int = 8,
    connections: int = 16,
) -> Path:
    """Sample ``server``'s worker for ``seconds`` under wrk load; write and return the summary."""
    from run import process_tree, run_wrk

    out.mkdir(parents=True, exist_ok=True)
    summary = profile_path(out, mode, server.name, endpoint.name)
    collapsed = summary.with_suffix(".collapsed")
    run_wrk(wrk, server, endpoint, 2, connections)  # warm-up
    pid = process_tree(server.process.pid)[-1]  # the worker (gunicorn/uvicorn -w1: the last)
    load = threading.Thread(target=run_wrk, args=(wrk, server, endpoint, seconds + 2, connections))
    load.start()
    cmd = [str(HERE / ".venv" / "bin" / "py-spy"), "record", "-p", str(pid)]
    cmd += ["-d", str(seconds), "-r", "200", "-f", "raw", "-o", str(collapsed)]
    cmd += ["--idle", "--threads"] if server.name.startswith("django") else []
    result = subprocess.run(cmd, capture_output=True, text=True)
    load.join()
    if result.returncode != 0:
        raise RuntimeError(f"py-spy failed on {server.name}: {result.stderr[-2000:]}")
    summary.write_text(f"{server.name} / {endpoint.name} ({mode})\n{summarize(collapsed)}")
    return summary
