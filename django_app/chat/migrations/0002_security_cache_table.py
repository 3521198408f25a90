"""Create the database cache table of the security cache (tickets, rate-limit counters).

``createcachetable`` creates the tables of every ``DatabaseCache`` in ``CACHES`` and skips
existing ones; with Redis configured there is none and this is a no-op.
"""

from typing import Any

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps: Any, schema_editor: Any) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("chat", "0001_initial")]

    operations = [migrations.RunPython(create_cache_tables, migrations.RunPython.noop)]
