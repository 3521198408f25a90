"""``manage.py outbox_worker``: re-enqueue owed welcome e-mails, then run the tasks worker.

A worker killed mid-job leaves its e-mail without ``sent_at`` (the job's transaction rolled
back) and its ``django-tasks-db`` row in RUNNING, which no worker picks up again: queueing
every owed e-mail at start makes the restarted worker finish it (the job is idempotent, so
a row queued twice is still sent once). Options are ``db_worker``'s (``--help``).
"""

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from users.tasks import requeue_undelivered


class Command(DbWorkerCommand):
    help = "Queue every welcome e-mail still owed, then run the django-tasks-db worker."

    def handle(self, **options: Any) -> None:  # type: ignore[override]
        owed = requeue_undelivered()
        self.stdout.write(f"outbox: {owed} e-mail(s) queued again")
        super().handle(**options)
