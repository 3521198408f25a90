"""Domain events: user_registered -> welcome email in the outbox, once the transaction commits.

The outbox row is written inside the registering transaction (no user without it); its
delivery is a durable job (users.tasks) queued once that transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver

from users import services, tasks
from users.signals import user_registered


@receiver(user_registered)
def on_user_registered(sender: Any, user: Any, **kwargs: Any) -> None:
    """Write the welcome e-mail in the registering transaction; deliver it after the commit."""
    email = services.write_welcome_email(user.pk)
    if email is not None:
        email_id = str(email.pk)
        # robust: a queue that cannot be reached must not turn a committed registration into
        # an error; the row stays owed and the worker queues it again when it starts.
        transaction.on_commit(lambda: tasks.enqueue_delivery(email_id), robust=True)
