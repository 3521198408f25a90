"""App config for ``users``."""

from django.apps import AppConfig


class UsersConfig(AppConfig):
    name = "users"
    verbose_name = "Users"

    def ready(self) -> None:
        # Connect the domain-event receivers.
        from users import events  # noqa: F401
