"""Is the machine quiet enough for published numbers? Load, CPU use and steal from /proc.

Requests/s measured while other work runs on the same cores are the other work's numbers as
much as the framework's. ``make bench`` therefore checks the machine:

* before: the 1-minute load average (``/proc/loadavg``) must be at most
  ``MAX_LOAD_PER_CORE`` x cores (while the cores are idle, up to ``BENCH_LOAD_WAIT_S``=180 s
  are given for a trailing average to fall), and a 3 s sample of ``/proc/stat`` must show the cores
  mostly idle (busy share <= ``MAX_BUSY``; up to 4 samples, so a short tail of earlier work
  does not count) and no hypervisor steal (<= ``MAX_STEAL``);
* after (servers stopped): the same CPU sample again, and the steal share over the whole run.
  The load average after the run is recorded, not judged: the 1-minute average still holds
  the bench's own wrk and servers.

A busy machine makes ``run.py``/``fanout.py`` refuse to publish (exit 3) unless
``BENCH_ALLOW_BUSY=1``, in which case the results are written marked ``busy`` and the README
tables generated from them say so.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MAX_LOAD_PER_CORE = 0.5
MAX_BUSY = 0.25
MAX_STEAL = 0.05
SAMPLE_S = 3.0
SAMPLE_ATTEMPTS = 4
LOAD_WAIT_S = float(os.environ.get("BENCH_LOAD_WAIT_S", "180"))
BUSY_EXIT = 3


@dataclass(frozen=True)
class CpuTimes:
    """Aggregate ``cpu`` line of /proc/stat (jiffies)."""

    total: int
    idle: int  # idle + iowait
    steal: int

    @classmethod
    def read(cls) -> CpuTimes:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        # user nice system idle iowait irq softirq steal guest guest_nice; guest* is in user
        total = sum(fields[:8])
        return cls(
            total=total, idle=fields[3] + fields[4], steal=fields[7] if len(fields) > 7 else 0
        )


def shares(start: CpuTimes, end: CpuTimes) -> dict[str, float]:
    """Busy and steal shares of all cores' time between two readings."""
    total = max(end.total - start.total, 1)
    return {
        "busy": round(1 - (end.idle - start.idle) / total, 3),
        "steal": round((end.steal - start.steal) / total, 3),
    }


def loadavg() -> list[float]:
    return [float(v) for v in Path("/proc/loadavg").read_text().split()[:3]]


def sample(seconds: float = SAMPLE_S) -> dict[str, float]:
    start = CpuTimes.read()
    time.sleep(seconds)
    return shares(start, CpuTimes.read())


def settled_sample(attempts: int = SAMPLE_ATTEMPTS) -> dict[str, float]:
    """The first of up to ``attempts`` samples under MAX_BUSY (else the last): a short tail
    (PostgreSQL dropping the bench's databases, a checkpoint) is not a busy machine."""
    cpu = sample()
    for _ in range(attempts - 1):
        if cpu["busy"] <= MAX_BUSY:
            break
        cpu = sample()
    return cpu


def allow_busy() -> bool:
    return os.environ.get("BENCH_ALLOW_BUSY", "") not in ("", "0")


class QuietCheck:
    """Readings before and after one bench; :attr:`reasons` lists what was too busy."""

    def __init__(self) -> None:
        self.cores = os.cpu_count() or 1
        self.reasons: list[str] = []
        self.before: dict[str, Any] = {}
        self.after: dict[str, Any] = {}
        self._start = CpuTimes.read()

    def check_before(self) -> None:
        cpu = settled_sample()
        limit = MAX_LOAD_PER_CORE * self.cores
        # The 1-minute average trails: right after other work (fanout.py right after run.py)
        # it stays high for a minute while the cores are idle. Wait for it, bounded.
        deadline = time.monotonic() + LOAD_WAIT_S
        while loadavg()[0] > limit and cpu["busy"] <= MAX_BUSY and time.monotonic() < deadline:
            time.sleep(5)
            cpu = sample()
        load = loadavg()
        self._start = CpuTimes.read()
        self.before = {"loadavg": load, **cpu}
        if load[0] > limit:
            self.reasons.append(f"load average {load[0]:.2f} > {limit:.2f} before the run")
        if cpu["busy"] > MAX_BUSY:
            self.reasons.append(f"CPU {cpu['busy']:.0%} busy before the run (> {MAX_BUSY:.0%})")
        if cpu["steal"] > MAX_STEAL:
            self.reasons.append(f"CPU steal {cpu['steal']:.1%} before the run")

    def check_after(self) -> None:
        run = shares(self._start, CpuTimes.read())
        cpu = settled_sample()
        self.after = {"loadavg": loadavg(), **cpu, "steal_during_run": run["steal"]}
        if cpu["busy"] > MAX_BUSY:
            self.reasons.append(f"CPU {cpu['busy']:.0%} busy after the run (> {MAX_BUSY:.0%})")
        if run["steal"] > MAX_STEAL:
            self.reasons.append(f"CPU steal {run['steal']:.1%} during the run")

    @property
    def busy(self) -> bool:
        return bool(self.reasons)

    def record(self) -> dict[str, Any]:
        """The ``machine.quiet`` entry of a results file."""
        return {
            "busy": self.busy,
            "reasons": list(self.reasons),
            "cores": self.cores,
            "before": self.before,
            "after": self.after,
            "limits": {
                "load_per_core": MAX_LOAD_PER_CORE,
                "busy": MAX_BUSY,
                "steal": MAX_STEAL,
            },
        }

    def banner(self) -> str:
        line = "!" * 78
        why = "\n".join(f"!!  {reason}" for reason in self.reasons)
        return f"{line}\n!!  BUSY MACHINE: these numbers are not publishable\n{why}\n{line}"
