from tests.engines.orders.conftest import shop  # noqa: F401  a shop ready to sell, with a signed-in consumer
