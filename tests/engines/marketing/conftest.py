from tests.engines.orders.conftest import shop  # noqa: F401  a shop ready to sell, with a signed-in consumer
from tests.browser import browser, server  # noqa: F401  fixtures of the browser tests
