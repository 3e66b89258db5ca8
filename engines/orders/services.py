"""What the orders engine offers other engines — the only module of it they import (the import
contract in pyproject.toml names the edge): placing an order with its payment started, guarding
checkout, an order's payment and its refunds, and the order as the consumer API shows it."""

from sqlalchemy import func, select

from core.db import db
from engines.orders.booked_lines import register_line_booker
from engines.orders.after_sales import (approve as approve_after_sale, count_refund, mark_refunded, request_after_sale,
                                        uncount_refund)
from engines.orders.components import STATUSES, WAYS  # what the storefront calls statuses and ways to receive
from engines.orders.checkout import guard_checkout, place_order, place_purchase, quote, refuse_known_sold_out
from engines.orders.lifecycle import (deliver, find_order, flag_order, has_open_after_sale, lines_of, lock_order, mark_paid,
                                      orders_of, settle_balance, sold_column)
from engines.orders.models import AfterSale, Order, OrderAdjustment, OrderLine, OrderStatus
from engines.orders.pricing import (POSITIONS, Adjustment, PriceContext, Quote, QuoteLine, register_price_step,
                                   sales_by_source, share_of_units)
from engines.orders.schemas import AfterSaleOut, CheckoutIn, OrderAnswer, QuoteOut, dump_order, quote_answer
from engines.stores.services import active_stores  # where an order may be picked up (the price simulator)

def refunded_in_full(order_id: int) -> bool:
    """Whether every unit of an order has been refunded (or is being refunded)."""
    return all(line.refunded_quantity == line.quantity for line in lines_of([order_id], fresh=True)[order_id])


def paid_orders_count(consumer_id: int) -> int:
    """How many of a consumer's orders were paid (whatever became of them since)."""
    unpaid = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)
    return db.session.scalar(select(func.count()).select_from(Order).where(Order.consumer_id == consumer_id,
                                                                           Order.status.not_in(unpaid)))


def numbers_of(order_ids: list[int]) -> dict[int, str]:
    """The numbers of some orders of the shop, by id (a ledger shows them beside its entries)."""
    if not order_ids:
        return {}
    return dict(db.session.execute(select(Order.id, Order.number).where(Order.id.in_(set(order_ids)))).all())


def units_under_offer(source_kind: str, source_id: int, consumer_id: int) -> int:
    """Units a consumer holds of lines an adjustment of a source discounted (a points-mall offer):
    in their orders not cancelled, less those refunded."""
    discounted = select(OrderAdjustment.order_id).where(OrderAdjustment.source_kind == source_kind,
                                                        OrderAdjustment.source_id == source_id)
    held = db.session.scalar(
        select(func.sum(OrderLine.quantity - OrderLine.refunded_quantity))
        .join(Order, (Order.tenant_id == OrderLine.tenant_id) & (Order.id == OrderLine.order_id))
        .where(Order.consumer_id == consumer_id, Order.status != OrderStatus.CANCELLED,
               Order.id.in_(discounted)))
    return int(held or 0)


def refunded_units(after_sale_id: int) -> tuple[int, dict[int, int], int] | None:
    """The order of an after-sales request, the units of each of its lines it refunds ({line id:
    units}) and the money it refunds, or None when there is no such request."""
    after_sale = AfterSale.get(after_sale_id)
    if after_sale is None:
        return None
    units: dict[int, int] = {}
    for entry in after_sale.lines:
        units[int(entry["line_id"])] = units.get(int(entry["line_id"]), 0) + entry["quantity"]
    return after_sale.order_id, units, after_sale.amount


__all__ = ["active_stores", "Adjustment", "AfterSaleOut", "approve_after_sale", "CheckoutIn", "count_refund",
           "deliver", "dump_order", "find_order", "flag_order", "guard_checkout", "has_open_after_sale", "lock_order",
           "mark_paid", "mark_refunded",
           "numbers_of", "Order", "OrderAnswer", "orders_of", "OrderStatus", "paid_orders_count", "place_order",
           "place_purchase", "POSITIONS", "PriceContext", "Quote", "quote", "quote_answer", "QuoteLine", "QuoteOut",
           "refunded_in_full", "refunded_units", "refuse_known_sold_out", "register_line_booker",
           "register_price_step", "request_after_sale", "sales_by_source", "settle_balance", "share_of_units", "sold_column",
           "STATUSES",
           "uncount_refund", "units_under_offer", "WAYS"]
