"""``manage.py seed [--users N]``: the deterministic seed users (idempotent)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from users import services


class Command(BaseCommand):
    help = "Create seed-alice (staff), seed-bob, seed-carol (+N numbered users); idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--users", type=int, default=0, help="extra numbered users")

    def handle(self, *args: Any, **options: Any) -> None:
        for user in services.seed_users(options["users"]):
            self.stdout.write(f"{user.id} {user.username}{' (staff)' if user.is_staff else ''}")
