"""Domain events: user_registered -> welcome email in the outbox, after the response.

With Django's default ``ImmediateBackend`` "after" means after the creating transaction
commits, still inside the request; a queued backend (see below) moves it off the request.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import receiver
from django.tasks import task

from users import services
from users.signals import user_registered


# The default ImmediateBackend runs the task in-process as soon as it is enqueued; enqueueing
# happens on transaction commit, so a rolled-back registration sends nothing. A real
# deployment would configure a queued backend (TASKS = {"default": {"BACKEND": ...}} with a
# worker, e.g. django-tasks' database or RQ backend) so the email never delays the response.
@task
def send_welcome_email(user_id: str) -> None:
    services.write_welcome_email(user_id)


@receiver(user_registered)
def on_user_registered(sender: Any, user: Any, **kwargs: Any) -> None:
    user_id = str(user.pk)
    transaction.on_commit(lambda: send_welcome_email.enqueue(user_id))
