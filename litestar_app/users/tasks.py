"""Welcome e-mail delivery: the durable job behind the outbox, run by a worker in services mode.

``register_user`` writes the outbox row in the user's own transaction, so a user without a
welcome e-mail cannot exist; after the commit ``deliver_welcome_email`` is queued on
SAQ (``litestar-saq``) in Redis, and the worker (``litestar --app config.asgi:application
workers run``) runs it. Embedded mode has no Redis: the job runs in process right after the
commit (:func:`deliver` with the app's session maker).

The job is idempotent: it locks the row, skips it when ``sent_at`` is set, hands the message
to the mail transport and sets ``sent_at`` in the same transaction; a worker killed mid-job
rolls that transaction back. The transport is a log line here (an SMTP client in a real
deployment). Jobs carry the key ``welcome-<email id>`` (SAQ keeps one job per key), a
heartbeat and retries: SAQ's sweep retries a stuck job, and a worker's startup queues every
row still owed.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from users.models import OutboxEmail

if TYPE_CHECKING:
    from litestar_saq import QueueConfig
    from saq import Queue
    from saq.types import Context, PartialTimersDict

    from config.settings import Settings

logger = logging.getLogger("items_api.outbox")

QUEUE_NAME = "outbox"
#: Seconds the transport takes per message: 0 normally; the worker-kill chaos test sets it to
#: catch the worker mid-job.
SEND_DELAY_S = float(os.environ.get("EMAIL_SEND_DELAY", "0"))
#: A job not touched for this long belongs to a dead worker: SAQ's sweep retries it.
HEARTBEAT_S = 5
RETRIES = 10


async def deliver(session_maker: async_sessionmaker[AsyncSession], email_id: UUID) -> bool:
    """Send one outbox e-mail unless it was sent already; True when this call sent it."""
    async with session_maker() as db, db.begin():
        email = await db.scalar(
            select(OutboxEmail)
            .where(OutboxEmail.id == email_id, OutboxEmail.sent_at.is_(None))
            .with_for_update(skip_locked=True)
        )
        if email is None:  # sent already, being sent by another worker, or the user is gone
            return False
        # The transport (a log line): a receiver can drop a duplicate by the Message-ID.
        logger.info("outbox: sending email %s <welcome-%s@items-api>", email_id, email.user_id.hex)
        if SEND_DELAY_S:
            await asyncio.sleep(SEND_DELAY_S)
        email.sent_at = datetime.now(UTC)
    logger.info("outbox: delivered email %s", email_id)
    return True


async def enqueue_delivery(queue: Queue, email_id: UUID) -> None:
    """Queue the delivery job (called after the registering transaction commits)."""
    await queue.enqueue(
        "deliver_welcome_email",
        key=f"welcome-{email_id}",
        email_id=str(email_id),
        heartbeat=HEARTBEAT_S,
        retries=RETRIES,
        timeout=60,
    )


async def deliver_welcome_email(ctx: Context, *, email_id: str) -> bool:
    """The queued job: deliver one outbox row (idempotent)."""
    return await deliver(ctx["session_maker"], UUID(email_id))  # type: ignore[typeddict-item]


async def worker_startup(ctx: Context) -> None:
    """The worker's own engine, then a job for every e-mail still owed."""
    from config.settings import Settings

    settings = Settings.from_env()
    engine = create_async_engine(settings.database_url, pool_pre_ping=True)
    session_maker = async_sessionmaker(engine, expire_on_commit=False)
    ctx["engine"] = engine  # type: ignore[typeddict-unknown-key]
    ctx["session_maker"] = session_maker  # type: ignore[typeddict-unknown-key]
    async with session_maker() as db:
        owed = (await db.scalars(select(OutboxEmail.id).where(OutboxEmail.sent_at.is_(None)))).all()
    for email_id in owed:
        await enqueue_delivery(ctx["worker"].queue, email_id)
    logger.info("outbox: %d e-mail(s) queued again", len(owed))


async def worker_shutdown(ctx: Context) -> None:
    engine = ctx.get("engine")  # type: ignore[misc]
    if isinstance(engine, AsyncEngine):
        await engine.dispose()


def queue_name(settings: Settings) -> str:
    """One Redis may serve several deployments: the queue is named after the prefix."""
    return f"{settings.channels_prefix}-{QUEUE_NAME}"


def queue_config(settings: Settings) -> QueueConfig | None:
    """The outbox queue on Redis (services mode); ``None`` in embedded mode (in process)."""
    if not settings.redis_url:
        return None
    from litestar_saq import QueueConfig

    return QueueConfig(
        name=queue_name(settings),
        dsn=settings.redis_url,
        tasks=[deliver_welcome_email],
        startup=worker_startup,
        shutdown=worker_shutdown,
        concurrency=10,
        # sweep for jobs of dead workers every few seconds (SAQ's default is 60 s)
        timers=cast("PartialTimersDict", {"sweep": HEARTBEAT_S}),
    )
