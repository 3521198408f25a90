"""Where a server's time goes on one endpoint: py-spy samples its worker under wrk load.

Usage: ``python profile.py django "item retrieve" [--mode services] [--seconds 8]``.
Writes ``results/profile-<server>-<endpoint>.txt``: the share of samples (inclusive) that
fall in each package / notable function, plus py-spy's collapsed stacks next to it
(``.collapsed``, not committed; feed it to any flame graph viewer). Needs ptrace rights (root, or
``kernel.yama.ptrace_scope=0``).
"""

from __future__ import annotations

import argparse
import collections
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from run import ENDPOINTS, RESULTS, SERVERS, ensure_wrk, log, process_tree, run_wrk, running

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
        if frames[-1].split(" (")[0] in IDLE_LEAVES:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("server", choices=list(SERVERS))
    parser.add_argument("endpoint", choices=[e.name for e in ENDPOINTS])
    parser.add_argument("--mode", choices=("services", "embedded"), default="services")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    endpoint = next(e for e in ENDPOINTS if e.name == args.endpoint)
    wrk = ensure_wrk()
    logdir = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    slug = f"{args.server}-{endpoint.name.replace(' ', '-')}"
    collapsed = RESULTS / f"profile-{slug}.collapsed"
    RESULTS.mkdir(exist_ok=True)
    with running(args.mode, [args.server], 1, logdir) as (server,):
        run_wrk(wrk, server, endpoint, 2, args.connections)  # warm-up
        pids = process_tree(server.process.pid)
        pid = pids[-1]  # the worker (gunicorn: its only worker; uvicorn -w1: itself)
        load = threading.Thread(
            target=run_wrk, args=(wrk, server, endpoint, args.seconds + 2, args.connections)
        )
        load.start()
        cmd = [str(HERE / ".venv" / "bin" / "py-spy"), "record", "-p", str(pid)]
        cmd += ["-d", str(args.seconds), "-r", "200", "-f", "raw", "-o", str(collapsed)]
        cmd += ["--idle", "--threads"] if args.server.startswith("django") else []
        result = subprocess.run(cmd, capture_output=True, text=True)
        load.join()
        if result.returncode != 0:
            sys.exit(f"py-spy failed: {result.stderr[-2000:]}")
    report = summarize(collapsed)
    (RESULTS / f"profile-{slug}.txt").write_text(f"{args.server} / {endpoint.name}\n{report}")
    log(f"wrote {RESULTS / f'profile-{slug}.txt'}")
    print(report)


if __name__ == "__main__":
    main()
