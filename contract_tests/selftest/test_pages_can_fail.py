"""Proof the form-flow and access-log checks can fail: a wrong pages server, wrong log lines.

The wrong server (stdlib, in a thread) serves a login form without the ``next`` field,
ignores ``next`` after login and sends anonymous visitors of the form pages to the login
page without ``?next=``; the contract tests run against it in a subprocess. The log-line
parsers of harness/logs.py are fed good lines and lines with a field missing or wrong.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harness.logs import BadLogLine, access_lines, parse_console_line, parse_json_line
from selftest.test_suite_can_fail import FRAMEWORKS, cases_of, run_suite
from tests.test_pages_forms import Page

LOGIN_FORM = b"""<!doctype html><html><body><form method="post" action="/auth/login">
<input type="hidden" name="csrfmiddlewaretoken" value="tok">
<input name="username" value=""><input name="password" type="password">
<button type="submit">Log in</button></form></body></html>"""

#: Form-flow tests (function names) that must FAIL on every framework against the wrong server.
EXPECTED_FAILURES = [
    "test_login_page_carries_csrf_and_next",
    "test_form_pages_send_anonymous_visitors_to_login",
]


class WrongPages(BaseHTTPRequestHandler):
    """Plausible pages with the decision-30 details wrong."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/auth/login"):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Set-Cookie", "csrftoken=tok; Path=/; SameSite=Lax")
            self.send_header("Content-Length", str(len(LOGIN_FORM)))
            self.end_headers()
            self.wfile.write(LOGIN_FORM)
            return
        self.send_response(302)
        self.send_header("Location", "/auth/login")  # forgets ?next=
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def wrong_pages_url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), WrongPages)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_form_flow_tests_fail_against_wrong_pages(wrong_pages_url: str, tmp_path: Path) -> None:
    node_ids = [f"tests/test_pages_forms.py::{name}" for name in EXPECTED_FAILURES]
    proc, outcomes, _ = run_suite(node_ids, tmp_path, wrong_pages_url)
    assert proc.returncode == 1, f"expected test failures (exit 1):\n{proc.stdout[-3000:]}"
    for name in EXPECTED_FAILURES:
        for fw in FRAMEWORKS:
            cases = cases_of(outcomes, name, fw)
            assert cases, f"{name}[{fw}] did not run:\n{proc.stdout[-2000:]}"
            assert set(cases.values()) == {"failed"}, cases


# --------------------------------------------------------------------------- page parser

GOOD_RERENDER = """<form method="post" novalidate>
<input type="hidden" name="csrfmiddlewaretoken" value="t">
<p role="alert">Please correct the errors below.</p>
<input type="text" name="name" value="" id="id_name">
<span class="field-error" data-field="name">This field is required.</span>
<textarea name="description" id="id_description">
two
lines</textarea>
<input type="text" name="price" value="12.345" id="id_price">
<span class="field-error" data-field="price">Enter a price.</span>
</form>"""


def test_page_parser_reads_fields_errors_and_alerts() -> None:
    page = Page(GOOD_RERENDER)
    assert page.fields == {
        "csrfmiddlewaretoken": "t",
        "name": "",
        "description": "two\nlines",
        "price": "12.345",
    }
    assert page.errors == {"name", "price"}
    assert page.alerts == 1


@pytest.mark.parametrize(
    ("old", "new", "attr"),
    [
        ('<span class="field-error" data-field="price">Enter a price.</span>', "", "errors"),
        ('value="12.345"', 'value=""', "fields"),
        ('<p role="alert">', "<p>", "alerts"),
    ],
)
def test_page_parser_sees_a_wrong_rerender(old: str, new: str, attr: str) -> None:
    good, wrong = Page(GOOD_RERENDER), Page(GOOD_RERENDER.replace(old, new))
    assert getattr(good, attr) != getattr(wrong, attr)


# --------------------------------------------------------------------------- log lines

GOOD_JSON = {
    "request_id": "log-0123456789abcdef",
    "method": "GET",
    "path": "/api/v1/items?ticket=[redacted]",
    "status": 401,
    "duration_ms": 0.75,
    "user_id": None,
    "event": "request",
    "level": "info",
    "logger": "common.access",
    "timestamp": "2026-12-04T19:22:00.540503Z",
}
GOOD_CONSOLE = (
    "2026-12-04T19:21:37.006328Z [info     ] request                        [common.access] "
    "duration_ms=16.99 method=GET path='/api/v1/items?ticket=[redacted]&limit=5' "
    "request_id=log-a3b07f90bccc4be0 status=401 user_id=None"
)


def test_good_log_lines_parse() -> None:
    assert parse_json_line(json.dumps(GOOD_JSON)) == GOOD_JSON
    fields = parse_console_line(GOOD_CONSOLE)
    assert fields["path"] == "/api/v1/items?ticket=[redacted]&limit=5"
    assert (fields["status"], fields["user_id"], fields["logger"]) == (
        "401",
        "None",
        "common.access",
    )


@pytest.mark.parametrize(
    "mutation", ["drop user_id", "drop duration_ms", "extra key", "status as text", "not json"]
)
def test_wrong_json_log_line_is_caught(mutation: str) -> None:
    record = dict(GOOD_JSON)
    if mutation.startswith("drop "):
        del record[mutation.removeprefix("drop ")]
    elif mutation == "extra key":
        record["query"] = "ticket=secret"
    elif mutation == "status as text":
        record["status"] = "401"
    line = "request log-0123456789abcdef {" if mutation == "not json" else json.dumps(record)
    with pytest.raises(BadLogLine):
        parse_json_line(line)


@pytest.mark.parametrize("field", ["status", "user_id", "request_id", "duration_ms"])
def test_wrong_console_log_line_is_caught(field: str) -> None:
    words = [w for w in GOOD_CONSOLE.split(" ") if not w.startswith(f"{field}=")]
    with pytest.raises(BadLogLine):
        parse_console_line(" ".join(words))


def test_access_lines_reports_a_broken_line(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    broken = {k: v for k, v in GOOD_JSON.items() if k != "method"}
    request_id = str(GOOD_JSON["request_id"])
    log.write_text(json.dumps(GOOD_JSON) + "\n" + "unrelated line\n")
    assert access_lines(log, {request_id}, "json")[request_id]
    log.write_text(json.dumps(broken) + "\n")
    with pytest.raises(BadLogLine):
        access_lines(log, {request_id}, "json")
