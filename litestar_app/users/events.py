"""Domain events: user_registered -> welcome email in the outbox, after the response.

More exactly: after the commit. ``users.services.register_user`` emits ``user_registered``
on the app's event emitter once its transaction has committed (``common.db.on_commit``),
whichever entry point called it: the API (committed by advanced-alchemy's ``before_send``
autocommit), the ``users create-user`` CLI command, tests. The listener runs on Litestar's
in-process event emitter with its own database session. A real deployment would hand the
email to a durable queue (SAQ, arq, Celery) instead of an in-process task.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from uuid import UUID

from litestar.events import listener

from common.db import session_maker
from users import services
from users.services import USER_REGISTERED

if TYPE_CHECKING:
    from litestar import Litestar

logger = logging.getLogger("items_api.users")


@listener(USER_REGISTERED)
async def on_user_registered(user_id: UUID, app: Litestar, **_: Any) -> None:
    """Write the welcome email to the outbox in a session of its own."""
    try:
        async with session_maker(app)() as db, db.begin():
            await services.write_welcome_email(db, user_id)
    except Exception:  # a listener must never crash the emitter
        logger.exception("welcome email for %s failed", user_id)


LISTENERS = [on_user_registered]
