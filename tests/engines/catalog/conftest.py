from tests.browser import browser, server  # noqa: F401  fixtures of the browser tests
