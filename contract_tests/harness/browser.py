"""Headless Chromium for the browser tests: Debian's binary, driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from playwright.sync_api import Browser, sync_playwright

from report.screenshot import ChromiumMissing, find_chromium


@contextmanager
def launched_chromium(args: list[str]) -> Iterator[Browser]:
    """A Chromium started with ``args``, closed on exit; a missing binary fails the test."""
    try:
        executable = find_chromium()
    except ChromiumMissing as exc:
        pytest.fail(f"{exc} (or run `make browser`)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=args)
        try:
            yield browser
        finally:
            browser.close()
