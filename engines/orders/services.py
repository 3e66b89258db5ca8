"""What the orders engine offers other engines — the only module of it they import (the import
contract in pyproject.toml names the edge): placing an order with its payment started, guarding
checkout, an order's payment and its refunds, and the order as the consumer API shows it."""

from engines.orders.after_sales import count_refund, mark_refunded, uncount_refund
from engines.orders.checkout import guard_checkout, place_order, refuse_known_sold_out
from engines.orders.lifecycle import find_order, flag_order, mark_paid
from engines.orders.models import Order, OrderStatus
from engines.orders.schemas import CheckoutIn, OrderAnswer, dump_order

__all__ = ["CheckoutIn", "Order", "OrderAnswer", "OrderStatus", "count_refund", "dump_order", "find_order",
           "flag_order", "guard_checkout", "mark_paid", "mark_refunded", "place_order", "refuse_known_sold_out",
           "uncount_refund"]
