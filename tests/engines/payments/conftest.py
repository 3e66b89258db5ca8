"""Fixtures of the payments browser tests."""

from tests.browser import browser, server  # noqa: F401  fixtures
