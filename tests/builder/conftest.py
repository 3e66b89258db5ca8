"""Browser fixtures for the back-office tests: one `tessera run` server and one Chromium a module."""

from tests.browser import browser, server  # noqa: F401  fixtures
