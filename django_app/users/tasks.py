"""Welcome e-mail delivery: the durable job behind the outbox, run by a worker in services mode.

``register_user`` writes the outbox row in the user's own transaction, so a user without a
welcome e-mail cannot exist; after the commit ``deliver_welcome_email`` is queued on
``django.tasks`` (``users.events`` writes the row): in services mode the ``django-tasks-db``
database backend stores the job in PostgreSQL and the worker (``manage.py outbox_worker``)
runs it; in embedded mode the ``ImmediateBackend`` runs it in process right after the commit.

The job is idempotent: it locks the row, skips it when ``sent_at`` is set, hands the message
to the mail transport and sets ``sent_at`` in the same transaction; a worker killed mid-job
rolls that transaction back. The transport is ``EMAIL_BACKEND``; ``outbox_worker``
re-enqueues every row still owed when it starts, so the e-mail goes out once after the restart.
"""

from __future__ import annotations

import logging
import os
import time
import uuid

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from users.models import OutboxEmail

logger = logging.getLogger("items_api.outbox")

#: Seconds the transport takes per message: 0 normally; the worker-kill chaos test sets it to
#: catch the worker mid-job.
SEND_DELAY_S = float(os.environ.get("EMAIL_SEND_DELAY", "0"))


def deliver(email_id: str) -> bool:
    """Send one outbox e-mail unless it was sent already; True when this call sent it."""
    with transaction.atomic():
        email = (
            OutboxEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if email is None:  # sent already, being sent by another worker, or the user is gone
            return False
        logger.info("outbox: sending email %s", email_id)
        if SEND_DELAY_S:
            time.sleep(SEND_DELAY_S)
        EmailMessage(
            email.subject,
            email.body,
            settings.DEFAULT_FROM_EMAIL,
            [email.to_email],
            # a receiving system can drop a duplicate after a crash between send and commit
            headers={"Message-ID": f"<welcome-{uuid.UUID(str(email.user_id)).hex}@items-api>"},
        ).send()
        email.sent_at = timezone.now()
        email.save(update_fields=["sent_at"])
    logger.info("outbox: delivered email %s", email_id)
    return True


def enqueue_delivery(email_id: str) -> None:
    """Queue the delivery job (called after the registering transaction commits)."""
    deliver_welcome_email.enqueue(email_id)


@task
def deliver_welcome_email(email_id: str) -> bool:
    """The queued job: deliver one outbox row (idempotent)."""
    return deliver(email_id)


def requeue_undelivered() -> int:
    """Queue a job for every e-mail still owed (a worker's start); returns how many."""
    owed = list(OutboxEmail.objects.filter(sent_at__isnull=True).values_list("pk", flat=True))
    for email_id in owed:
        enqueue_delivery(str(email_id))
    return len(owed)
