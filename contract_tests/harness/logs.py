"""Access-log lines of the apps (structlog): parse them, in JSON or console format.

Both apps write one ``request`` event per HTTP request with the same fields
(``ACCESS_FIELDS``); ``LOG_FORMAT=json`` gives one JSON object per line, the default
``console`` format ``<timestamp> [<level>] request [common.access] key=value ...``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ACCESS_EVENT = "request"
ACCESS_FIELDS = frozenset({"request_id", "method", "path", "status", "duration_ms", "user_id"})
#: Every key of a JSON access line: the fields plus structlog's own (the same on both apps).
JSON_KEYS = ACCESS_FIELDS | {"event", "level", "logger", "timestamp"}
_CONSOLE = re.compile(
    r"^(?P<timestamp>\S+) \[(?P<level>\w+)\s*\] (?P<event>request)\s+"
    r"\[(?P<logger>[\w.]+)\] (?P<kv>.*)$"
)
_KV = re.compile(r"(\w+)=('(?:[^'\\]|\\.)*'|\S+)")


class BadLogLine(AssertionError):
    """A line that should be an access line and is not one (a field missing, bad JSON)."""


def parse_json_line(line: str) -> dict[str, Any]:
    """One JSON access line -> its fields; ``BadLogLine`` unless it has exactly ``JSON_KEYS``."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise BadLogLine(f"not JSON: {line!r}") from exc
    if not isinstance(record, dict) or record.get("event") != ACCESS_EVENT:
        raise BadLogLine(f"not an access event: {line!r}")
    if set(record) != JSON_KEYS:
        raise BadLogLine(
            f"keys {sorted(record)} != {sorted(JSON_KEYS)} "
            f"(missing {sorted(JSON_KEYS - set(record))}, extra {sorted(set(record) - JSON_KEYS)})"
        )
    if not isinstance(record["status"], int) or not isinstance(record["duration_ms"], int | float):
        raise BadLogLine(f"status/duration_ms not numbers: {line!r}")
    return record


def parse_console_line(line: str) -> dict[str, str]:
    """One console access line -> its fields as text; ``BadLogLine`` unless all are there."""
    match = _CONSOLE.match(line.strip())
    if match is None:
        raise BadLogLine(f"not a console access line: {line!r}")
    fields = {key: value.strip("'") for key, value in _KV.findall(match["kv"])}
    if set(fields) != ACCESS_FIELDS:
        raise BadLogLine(f"fields {sorted(fields)} != {sorted(ACCESS_FIELDS)}: {line!r}")
    return fields | {k: match[k] for k in ("timestamp", "level", "event", "logger")}


def access_lines(
    log_path: Path, request_ids: set[str], fmt: str
) -> dict[str, list[dict[str, Any]]]:
    """The access lines of ``log_path`` that carry one of ``request_ids``, by request id.

    A line that mentions such an id and the access event but does not parse is an error.
    """
    found: dict[str, list[dict[str, Any]]] = {rid: [] for rid in request_ids}
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        rid = next((r for r in request_ids if r in line), None)
        if rid is None or ACCESS_EVENT not in line or "common.access" not in line:
            continue
        record = parse_json_line(line) if fmt == "json" else parse_console_line(line)
        found[rid].append(record)
    return found
