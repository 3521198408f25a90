"""Fault suite (`make chaos`): outages, bursts, a crowded room, a killed worker.

`make chaos` runs it on two xdist workers, one group each (about 2 min in all on 2 cores,
4.5 min one after the other). The CPU-heavy load tests share a worker and so never overlap
each other; beside them run the outage tests, which mostly wait for a dependency to come back.
"""

import pytest

#: Private PostgreSQL/Redis outages and SIGTERM (test_faults.py).
OUTAGES = pytest.mark.xdist_group("chaos-outages")
#: Bursts, the crowded room and the killed outbox worker (test_load, test_chat_overload,
#: test_outbox.py).
LOAD = pytest.mark.xdist_group("chaos-load")
