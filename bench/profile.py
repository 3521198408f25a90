"""Where a server's time goes on one endpoint: py-spy samples its worker under wrk load.

Usage: ``python profile.py django "item retrieve" [--mode services] [--seconds 8]``.
Writes ``results/profile-<mode>-<server>-<endpoint>.txt`` (see spy.py); ``make bench`` writes
the item-retrieve profile of every server on its own.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from run import ENDPOINTS, RESULTS, SERVERS, ensure_wrk, log, running
from spy import profile_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("server", choices=list(SERVERS))
    parser.add_argument("endpoint", choices=[e.name for e in ENDPOINTS])
    parser.add_argument("--mode", choices=("services", "embedded"), default="services")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    endpoint = next(e for e in ENDPOINTS if e.name == args.endpoint)
    wrk = ensure_wrk()
    logdir = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    with running(args.mode, [args.server], 1, logdir) as (server,):
        path = profile_server(
            wrk,
            server,
            endpoint,
            mode=args.mode,
            out=args.out,
            seconds=args.seconds,
            connections=args.connections,
        )
    log(f"wrote {path}")
    print(path.read_text())


if __name__ == "__main__":
    main()
