"""``manage.py create_user --username --email --password [--staff]`` (non-interactive)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.errors import ConflictError
from users import services


class Command(BaseCommand):
    help = "Create a user without prompting."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--staff", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = services.register_user(
                options["username"],
                options["email"],
                options["password"],
                is_staff=options["staff"],
            )
        except ConflictError as exc:
            raise CommandError(exc.detail) from exc
        self.stdout.write(f"{user.id} {user.username}")
