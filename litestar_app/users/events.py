"""Domain events: user_registered -> welcome email in the outbox, once the transaction commits.

The outbox row is written inside the registering transaction (no user without it); its
delivery is a durable job (users.tasks) queued once that transaction commits.
``users.services.register_user`` emits ``user_registered`` on the app's event emitter after
the commit (``common.db.on_commit``), whichever entry point called it: the API (committed by
advanced-alchemy's ``before_send`` autocommit), the ``users create-user`` CLI command, tests.
The listener, on Litestar's in-process event emitter, only starts the delivery (a durable SAQ
job in services mode, in process in embedded mode).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar.events import listener
from litestar_saq import SAQPlugin

from common.db import session_maker
from users import tasks
from users.services import USER_REGISTERED

if TYPE_CHECKING:
    from litestar import Litestar

logger = logging.getLogger("items_api.users")


@listener(USER_REGISTERED)
async def on_user_registered(
    user_id: UUID, app: Litestar, email_id: UUID | None = None, **_: Any
) -> None:
    """Hand the welcome e-mail (written in the registering transaction) to its delivery job:
    SAQ in services mode, in process in embedded mode (a failure leaves the row owed)."""
    if email_id is None:
        return
    try:
        saq = next((p for p in app.plugins.init if isinstance(p, SAQPlugin)), None)
        if saq is not None:
            await tasks.enqueue_delivery(
                saq.get_queue(tasks.queue_name(app.state.settings)), email_id
            )
        else:
            await tasks.deliver(session_maker(app), email_id)
    except Exception:  # a listener must never crash the emitter; the row stays owed
        logger.exception("welcome email %s for %s: delivery not started", email_id, user_id)


LISTENERS = [on_user_registered]
