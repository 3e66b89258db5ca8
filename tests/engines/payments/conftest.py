"""Fixtures of the payments tests: a shop ready to sell (tests/engines/orders/conftest.py's), and
the browser tests' server and Chromium."""

import pytest

from tests.browser import browser, server  # noqa: F401  fixtures
from tests.engines.orders.conftest import make_shop


@pytest.fixture
def shop(db_session, tenant_a, create_consumer):
    made = make_shop(tenant_a, create_consumer)
    db_session.commit()
    return made
