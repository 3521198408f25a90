"""``make bench``: the two apps and the bare-ASGI baseline under one load generator (wrk).

Per mode (services: a fresh PostgreSQL database per server + Redis; embedded: SQLite files,
no Redis) it starts every server with the same worker count: the baseline, Litestar and
Django on uvicorn (ASGI), and Django's recommended deployment for HTTP (gunicorn's gthread
worker over WSGI, see the README), seeds each through its own API (one user, 120 items),
then for every endpoint runs wrk against the servers in turn, rotating the order each round
(A B C D, B C D A, ...) so that drift in the machine's load spreads over all of them.
Reported per endpoint and server: median requests/s over the rounds, p50/p99 latency of the
median round, errors, peak RSS per worker process; and the ratios. Then py-spy samples each
server on item retrieve and on health (``results/profile-<mode>-<server>-<endpoint>.txt``).

The machine is checked before and after (quiet.py): when it was busy nothing is published
(results go to ``results/busy/``, exit 3) unless ``BENCH_ALLOW_BUSY=1``.

Writes ``results/<mode>.json`` and ``results/<mode>.png`` and prints a table.
Usage: ``python run.py [--mode services|embedded] [--rounds 3] [--duration 4] [--workers 1]``
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from quiet import BUSY_EXIT, QuietCheck, allow_busy

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
SECRET_KEY = "bench-shared-secret-0123456789abcdef-0123456789abcdef"
PASSWORD = "bench-password-123"
ITEMS = 120
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"

# name -> (app folder, command after the venv's bin/ path prefix); {port} {workers} filled in.
SERVERS: dict[str, tuple[Path, list[str]]] = {
    "baseline": (HERE, ["uvicorn", "baseline:app"]),
    "litestar": (ROOT / "litestar_app", ["uvicorn", "config.asgi:application"]),
    "django": (ROOT / "django_app", ["uvicorn", "config.asgi:application"]),
    # Django's recommended deployment for HTTP (README, Deployment): DRF over WSGI on gunicorn's
    # threaded worker; the websockets go to a uvicorn (ASGI) process behind the same proxy.
    "django-recommended": (ROOT / "django_app", ["gunicorn", "config.wsgi:application"]),
}
#: How each server is run, as the results file and the README state it.
DEPLOYMENTS = {
    "baseline": "uvicorn baseline:app (bare ASGI, hand-written routing, raw SQL)",
    "litestar": "uvicorn config.asgi:application",
    "django": "uvicorn config.asgi:application (ASGI)",
    "django-recommended": "gunicorn config.wsgi:application -k gthread --threads 8 (WSGI)",
}
#: The endpoint py-spy samples on every server after the measurement (the README's profile
#: table), then the others whose targets cite their own profile.
PROFILED_ENDPOINT = "item retrieve"
PROFILED_ENDPOINTS = (PROFILED_ENDPOINT, "health")
PROFILE_S = 6
RSS_SETTLE_S = 5
UVICORN_FLAGS = ["--host", "127.0.0.1", "--no-access-log", "--log-level", "warning"]
WSGI_THREADS = 8


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str  # {item} is replaced by a seeded item id
    body: str = ""
    auth: bool = True
    connections: int | None = None  # None: the run's --connections


ENDPOINTS = (
    Endpoint("health", "GET", "/health", auth=False),
    Endpoint("item retrieve", "GET", "/api/v1/items/{item}"),
    Endpoint("list 20", "GET", "/api/v1/items?limit=20"),
    Endpoint("list 100", "GET", "/api/v1/items?limit=100"),
    Endpoint("item create", "POST", "/api/v1/items", '{"name":"bench","price":"9.99"}'),
    Endpoint(
        "token issue",
        "POST",
        "/api/v1/auth/token",
        json.dumps({"username": "bench", "password": PASSWORD}, separators=(",", ":")),
        auth=False,
        # Password hashing is CPU-bound by design (tens to hundreds of ms per request): with
        # many connections every request would queue past the run's duration.
        connections=2,
    ),
)


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    token: str = ""
    item_id: str = ""
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_wrk() -> str:
    """The wrk binary; installed from Debian's archive when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("wrk not found: installing Debian's wrk with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
        found = shutil.which("wrk")
    if not found:
        sys.exit(
            "wrk is required: `sudo apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`"
        )
    return found


# --------------------------------------------------------------------------- databases


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


class Databases:
    """Per-server databases of one run: PostgreSQL databases or SQLite files, removed after."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.admin_url = os.environ.get("DATABASE_URL") or DEFAULT_PG_URL
        self.redis_url = os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-"))
        self.created: list[str] = []
        self.redis_indexes = itertools.count(1)

    def check(self) -> None:
        if self.mode != "services":
            return
        import psycopg
        import redis

        try:
            with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
            redis.Redis.from_url(self.redis_url, socket_connect_timeout=2).ping()
        except Exception as exc:
            sys.exit(f"MODE=services needs PostgreSQL ({self.admin_url}) and Redis: {exc}")

    def new(self, server: str) -> tuple[str, str]:
        """(DATABASE_URL, REDIS_URL) for one server."""
        if self.mode == "embedded":
            return f"sqlite:///{self.tmp / server}.sqlite3", ""
        import psycopg
        from psycopg import sql

        name = f"bench_{server.replace('-', '_')}_{secrets.token_hex(4)}"
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        self.created.append(name)
        base = self.redis_url.rsplit("/", 1)[0] if "/" in self.redis_url[8:] else self.redis_url
        index = 1 + next(self.redis_indexes) % 15
        return with_database(self.admin_url, name), f"{base}/{index}"

    def drop_all(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)
        if not self.created:
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=3) as conn:
            for name in self.created:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
        self.created.clear()


# --------------------------------------------------------------------------- servers


def server_env(name: str, database_url: str, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env.update(
        {
            "APP_NAME": f"bench-{name}",
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CORS_ORIGINS": "",
            "ENABLE_TEST_ROUTES": "0",
            # Per-request access logs would measure the logging stack, not the framework.
            "LOG_LEVEL": "WARNING",
            "TOKEN_RATE_LIMIT": "100000000/minute",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CHANNELS_PREFIX": f"bench-{name}-{secrets.token_hex(3)}",
        }
    )
    return env


def migrate(name: str, env: dict[str, str]) -> None:
    folder = SERVERS[name][0]
    python = str(folder / ".venv" / "bin" / "python")
    if name.startswith("django"):
        cmd = [python, "manage.py", "migrate", "--noinput", "-v", "0"]
    elif name == "litestar":
        cmd = [python, "-m", "litestar", "--app", "config.asgi:application"]
        cmd += ["database", "upgrade", "--no-prompt"]
    else:
        return  # the baseline creates its tables at startup
    result = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        sys.exit(f"migrating {name} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")


def start(name: str, env: dict[str, str], workers: int, logdir: Path) -> Server:
    folder, (program, target) = SERVERS[name][0], SERVERS[name][1]
    port = free_port()
    cmd = [str(folder / ".venv" / "bin" / program), target]
    if program == "gunicorn":
        cmd += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
        cmd += ["--worker-class", "gthread", "--threads", str(WSGI_THREADS)]
        cmd += ["--log-level", "warning"]
    else:
        cmd += [*UVICORN_FLAGS, "--port", str(port), "--workers", str(workers)]
    log_path = logdir / f"{name}.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            cmd, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Server(name, port, process, log_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{name} exited early:\n{log_path.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/health", timeout=2).status_code == 200:
                return server
        time.sleep(0.2)
    stop(server)  # not yet in the caller's list: it would outlive the run
    sys.exit(f"{name} not healthy after 60 s:\n{log_path.read_text()[-3000:]}")


def stop(server: Server) -> None:
    """SIGTERM the server's own process group (started by us), SIGKILL if it lingers."""
    if server.process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGTERM)
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (uvicorn/gunicorn workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_mib(server: Server, field: str = "VmHWM") -> float:
    """Largest VmHWM (peak resident set) or VmRSS (now) over the server's processes, in MiB."""
    peak = 0
    for pid in process_tree(server.process.pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(f"{field}:"):
                    peak = max(peak, int(line.split()[1]))
    return round(peak / 1024, 1)


def seed(server: Server, items: int = ITEMS) -> None:
    """One user with ``items`` items, through the server's own API; keeps a token and an id."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        user = {"username": "bench", "email": "bench@example.com", "password": PASSWORD}
        response = client.post("/api/v1/users", json=user)
        assert response.status_code == 201, (server.name, response.text)
        response = client.post("/api/v1/auth/token", json=user)
        assert response.status_code == 200, (server.name, response.text)
        server.token = response.json()["access_token"]
        headers = {"Authorization": f"Bearer {server.token}"}
        for n in range(items):
            body = {"name": f"item {n:03}", "price": f"{n}.50", "description": "seeded"}
            response = client.post("/api/v1/items", json=body, headers=headers)
            assert response.status_code == 201, (server.name, response.text)
            if n == 0:
                server.item_id = response.json()["id"]


def check_same_json(servers: list[Server]) -> None:
    """The baseline must answer with the apps' shape (keys and types), or it proves nothing."""
    shapes = {}
    for server in servers:
        headers = {"Authorization": f"Bearer {server.token}"}
        item = httpx.get(f"{server.url}/api/v1/items/{server.item_id}", headers=headers).json()
        page = httpx.get(f"{server.url}/api/v1/items?limit=2", headers=headers).json()
        shapes[server.name] = (sorted(item), sorted(page), sorted(page["items"][0]))
    if len({repr(shape) for shape in shapes.values()}) != 1:
        sys.exit(f"servers disagree on the JSON shape: {shapes}")


# --------------------------------------------------------------------------- load


def run_wrk(
    wrk: str, server: Server, endpoint: Endpoint, duration: int, connections: int
) -> dict[str, Any]:
    env = {
        **os.environ,
        "BENCH_METHOD": endpoint.method,
        "BENCH_BODY": endpoint.body,
        "BENCH_TOKEN": server.token if endpoint.auth else "",
    }
    url = server.url + endpoint.path.replace("{item}", server.item_id)
    connections = endpoint.connections or connections
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{duration}s", "--timeout", "5s"]
    cmd += ["-s", str(HERE / "wrk.lua"), "--latency", url]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 60)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
            data["errors"] = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
            return data
    sys.exit(f"wrk printed no result for {server.name} {endpoint.name}:\n{out.stdout}{out.stderr}")


def machine() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":")[1].strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_before": os.getloadavg(),
    }


def summarize(servers: list[Server]) -> dict[str, Any]:
    """Per endpoint: each server's median round and the ratios of the medians."""
    table: dict[str, Any] = {}
    by_name = {server.name: server for server in servers}
    for endpoint in ENDPOINTS:
        row: dict[str, Any] = {}
        for server in servers:
            runs = sorted(server.runs[endpoint.name], key=lambda r: r["rps"])
            median_run = runs[len(runs) // 2]
            row[server.name] = {
                "rps": round(statistics.median(r["rps"] for r in runs), 1),
                "rps_rounds": [round(r["rps"], 1) for r in server.runs[endpoint.name]],
                "p50_ms": round(median_run["p50"] / 1000, 2),
                "p99_ms": round(median_run["p99"] / 1000, 2),
                "errors": sum(r["errors"] for r in runs),
                "requests": sum(r["requests"] for r in runs),
            }

        def ratio(a: str, b: str, r: dict[str, Any] = row) -> float | None:
            if a not in by_name or b not in by_name or not r[b]["rps"]:
                return None
            return round(float(r[a]["rps"]) / float(r[b]["rps"]), 3)

        row["ratios"] = {
            "litestar/baseline": ratio("litestar", "baseline"),
            "django/baseline": ratio("django", "baseline"),
            "litestar/django": ratio("litestar", "django"),
            "django-recommended/baseline": ratio("django-recommended", "baseline"),
            "django-recommended/django": ratio("django-recommended", "django"),
        }
        table[endpoint.name] = row
    list_cost = {}
    for server in servers:
        small, large = table["list 20"][server.name]["rps"], table["list 100"][server.name]["rps"]
        list_cost[server.name] = round(small / large, 2) if large else None
    return {"endpoints": table, "list100_cost_vs_list20": list_cost}


def print_table(mode: str, result: dict[str, Any]) -> None:
    names = result["servers"]
    print(f"\n== {mode}: requests/s (median of {result['rounds']} rounds), p50/p99 ms, errors")
    header = f"{'endpoint':<14}" + "".join(f"{n:>24}" for n in names)
    header += f"{'L/base':>8}{'D/base':>8}{'L/D':>7}{'Dr/D':>7}"
    print(header)
    for endpoint, row in result["endpoints"].items():
        cells = "".join(
            f"{row[n]['rps']:>9.0f} {row[n]['p50_ms']:>5.1f}/{row[n]['p99_ms']:<5.1f} "
            f"{row[n]['errors']:>2}"
            for n in names
        )
        ratios = row["ratios"]

        def fmt(value: float | None, width: int) -> str:
            return f"{value:>{width}.3f}" if value is not None else f"{'-':>{width}}"

        print(
            f"{endpoint:<14}{cells}{fmt(ratios['litestar/baseline'], 8)}"
            f"{fmt(ratios['django/baseline'], 8)}{fmt(ratios['litestar/django'], 7)}"
            f"{fmt(ratios['django-recommended/django'], 7)}"
        )
    rss = [f"{n} {result['peak_rss_mib'][n]} / {result['rss_after_mib'][n]}" for n in names]
    print("RSS per worker, peak / after the run (MiB): " + ", ".join(rss))
    print(
        "list 100 cost / list 20 cost: "
        + ", ".join(f"{n} {v}x" for n, v in result["list100_cost_vs_list20"].items())
    )
    print(f"load average before/after: {result['machine']['load_before']} / {result['load_after']}")


def chart(mode: str, result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = result["servers"]
    endpoints = list(result["endpoints"])
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        values = [result["endpoints"][e][name]["rps"] for e in endpoints]
        positions = [x + (i - (len(names) - 1) / 2) * width for x in range(len(endpoints))]
        axes[0].bar(positions, values, width, label=name)
    axes[0].set_xticks(range(len(endpoints)), endpoints, rotation=20)
    axes[0].set_yscale("log")
    axes[0].set_ylabel("requests/s (median, log scale)")
    axes[0].legend(fontsize=8)
    axes[0].set_title(f"{mode} mode, {result['workers']} worker(s), wrk -c{result['connections']}")
    ratio_names = ["litestar/baseline", "django/baseline", "django-recommended/baseline"]
    for i, ratio in enumerate(ratio_names):
        values = [result["endpoints"][e]["ratios"][ratio] or 0 for e in endpoints]
        positions = [x + (i - 1) * 0.27 for x in range(len(endpoints))]
        axes[1].bar(positions, values, 0.27, label=ratio)
    axes[1].axhline(0.30, color="tab:blue", linestyle=":", linewidth=1)
    axes[1].axhline(0.15, color="tab:green", linestyle=":", linewidth=1)
    axes[1].set_xticks(range(len(endpoints)), endpoints, rotation=20)
    axes[1].set_ylabel("share of the baseline's requests/s")
    axes[1].legend(fontsize=8)
    axes[1].set_title("ratios (dotted: retrieve targets 0.30 L / 0.15 D rec.)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


@contextlib.contextmanager
def running(
    mode: str, names: list[str], workers: int, logdir: Path, items: int = ITEMS
) -> Iterator[list[Server]]:
    """Start, migrate and seed the servers; stop them and drop their databases afterwards."""
    databases = Databases(mode)
    databases.check()
    started: dict[str, Server] = {}

    def bring_up(name: str) -> None:
        database_url, redis_url = databases.new(name)
        env = server_env(name, database_url, redis_url)
        migrate(name, env)
        started[name] = start(name, env, workers, logdir)
        seed(started[name], items)
        log(f"{name} up on {started[name].url}")

    try:
        # In parallel: migrations and seeding mostly wait on the database and on each other.
        with ThreadPoolExecutor(max_workers=len(names)) as pool:
            for future in [pool.submit(bring_up, name) for name in names]:
                future.result()
        yield [started[name] for name in names]
    finally:
        for server in started.values():
            stop(server)
        databases.drop_all()


def bench_mode(args: argparse.Namespace, wrk: str) -> dict[str, Any]:
    mode: str = args.mode
    logdir = Path(tempfile.mkdtemp(prefix=f"bench-logs-{mode}-"))
    info = machine()
    started = time.monotonic()
    with running(mode, args.servers, args.workers, logdir) as servers:
        check_same_json(servers)
        log(f"seeded {len(servers)} servers; measuring {len(ENDPOINTS)} endpoints")
        for endpoint in ENDPOINTS:
            for server in servers:  # warm-up: imports, caches, pools
                run_wrk(wrk, server, endpoint, args.warmup, args.connections)
            for round_no in range(args.rounds):
                # Rotate the order each round: A B C D, B C D A, ... (drift cancels out).
                shift = round_no % len(servers)
                for server in servers[shift:] + servers[:shift]:
                    data = run_wrk(wrk, server, endpoint, args.duration, args.connections)
                    server.runs.setdefault(endpoint.name, []).append(data)
            log(
                f"{endpoint.name}: "
                + ", ".join(
                    f"{s.name} {statistics.median(r['rps'] for r in s.runs[endpoint.name]):.0f}/s"
                    for s in servers
                )
            )
        rss = {server.name: rss_mib(server) for server in servers}
        # token issue ends the load: let its last password hashes (64 MiB each) finish first
        time.sleep(RSS_SETTLE_S)
        rss_now = {server.name: rss_mib(server, "VmRSS") for server in servers}
        by_endpoint: dict[str, dict[str, str]] = {}
        if args.profile:
            from spy import profile_server

            for name in PROFILED_ENDPOINTS:
                profiled = next(e for e in ENDPOINTS if e.name == name)
                for server in servers:
                    path = profile_server(
                        wrk, server, profiled, mode=mode, out=args.profile_dir, seconds=PROFILE_S
                    )
                    by_endpoint.setdefault(name, {})[server.name] = path.name
                    log(f"profiled {server.name} on {profiled.name}: {path.name}")
        result = {
            "mode": mode,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "servers": [server.name for server in servers],
            "workers": args.workers,
            "wsgi_threads": WSGI_THREADS,
            "deployments": {server.name: DEPLOYMENTS[server.name] for server in servers},
            "connections": args.connections,
            "rounds": args.rounds,
            "duration_s": args.duration,
            "machine": info,
            "load_after": os.getloadavg(),
            "peak_rss_mib": rss,
            "rss_after_mib": rss_now,
            **summarize(servers),
            "profiles": {
                "endpoint": PROFILED_ENDPOINT,
                "files": by_endpoint.get(PROFILED_ENDPOINT, {}),
                "by_endpoint": by_endpoint,
            },
        }
    result["wall_s"] = round(time.monotonic() - started, 1)
    shutil.rmtree(logdir, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--mode", choices=("services", "embedded"), default="services")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per run")
    parser.add_argument("--workers", type=int, default=1, help="worker processes per server")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--servers", nargs="+", default=list(SERVERS), choices=list(SERVERS))
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--no-profile", dest="profile", action="store_false", help="skip the py-spy profiles"
    )
    args = parser.parse_args()
    # A SIGTERM (make interrupted, CI timeout) unwinds like Ctrl-C: servers stopped, DBs dropped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if "baseline" not in args.servers:
        args.servers.insert(0, "baseline")
    wrk = ensure_wrk()
    quiet = quiet_gate()
    args.profile_dir = Path(tempfile.mkdtemp(prefix="bench-profiles-"))
    result = bench_mode(args, wrk)
    quiet.check_after()
    result["machine"]["quiet"] = quiet.record()
    if quiet.busy and not allow_busy():
        args.out = args.out / "busy"  # not published (git ignores results/busy/)
    args.out.mkdir(parents=True, exist_ok=True)
    for profile in args.profile_dir.glob("*.txt"):
        shutil.move(profile, args.out / profile.name)
    shutil.rmtree(args.profile_dir, ignore_errors=True)
    (args.out / f"{args.mode}.json").write_text(json.dumps(result, indent=2) + "\n")
    chart(args.mode, result, args.out / f"{args.mode}.png")
    print_table(args.mode, result)
    print(f"\nwrote {args.out / (args.mode + '.json')} and {args.mode}.png ({result['wall_s']} s)")
    finish(quiet)


def quiet_gate() -> QuietCheck:
    """Check the machine before a run: a busy one stops here unless BENCH_ALLOW_BUSY=1."""
    quiet = QuietCheck()
    quiet.check_before()
    log(f"machine before the run: {quiet.before}")
    if quiet.busy:
        print(quiet.banner(), file=sys.stderr, flush=True)
        if not allow_busy():
            log(
                f"refusing to bench a busy machine (exit {BUSY_EXIT}); wait until it is quiet, "
                "or BENCH_ALLOW_BUSY=1 to publish results marked busy"
            )
            sys.exit(BUSY_EXIT)
    return quiet


def finish(quiet: QuietCheck) -> None:
    """Exit non-zero (BUSY_EXIT) when the machine was busy and busy results are not allowed."""
    if not quiet.busy:
        log("machine quiet before and after the run: results published")
        return
    print(quiet.banner(), file=sys.stderr, flush=True)
    if allow_busy():
        log("BENCH_ALLOW_BUSY=1: results published, marked busy")
        return
    log("results NOT published (written under results/busy/)")
    sys.exit(BUSY_EXIT)


if __name__ == "__main__":
    main()
