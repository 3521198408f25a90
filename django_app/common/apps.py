"""App config for ``common``: records the process start time as app state."""

from datetime import UTC, datetime

from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    # App state: set once per process when Django starts, read by the health check.
    started_at: datetime

    def ready(self) -> None:
        self.started_at = datetime.now(UTC)
