"""Browser fixtures for the back-office tests: one `tessera run` server and one Chromium a module."""

from __future__ import annotations

import pytest

from tests.browser import Server, browser_or_skip


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("browser-instance"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    playwright, launched = browser_or_skip()
    yield launched
    launched.close()
    playwright.stop()
