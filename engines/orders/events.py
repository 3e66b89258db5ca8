"""The events the orders engine emits, declared when this module is imported (the modules that
emit them import it). They become public webhooks: ids are strings, money is {"amount": minor
units, "currency"}, and `emit` adds `tenant_id` and `occurred_at` (core/events.py). A payload
changes only by declaring the next version of its event."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.events import Amount, EventPayload, declare_event, id_field


class OrderEvent(EventPayload):
    order_id = id_field("The order")
    consumer_id = id_field("The consumer who placed it")


class OrderWithTotal(OrderEvent):
    total = fields.Nested(Amount, required=True, metadata={"description": "The order's total, after discounts "
                                                                          "and with delivery"})


class SoldLine(Schema):
    item_id = id_field("The item")
    sku_id = id_field("Its SKU")
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))


class OrderPaid(OrderWithTotal):
    lines = fields.List(fields.Nested(SoldLine), required=True,
                        metadata={"description": "What was sold: each SKU of the order and how many"})


class OrderCancelled(OrderEvent):
    reason = fields.String(required=True, metadata={"description": "Why, as the shop or Tessera put it (may be "
                                                                   "empty)"})


class OrderShipped(OrderEvent):
    carrier = fields.String(required=True, metadata={"description": "The carrier (may be empty for same-city "
                                                                    "delivery)"})
    tracking_number = fields.String(required=True, metadata={"description": "The carrier's tracking number (may be "
                                                                            "empty)"})


class AfterSaleEvent(EventPayload):
    after_sale_id = id_field("The after-sales request")
    order_id = id_field("The order it is about")
    consumer_id = id_field("The consumer who asked")
    amount = fields.Nested(Amount, required=True, metadata={"description": "The amount refunded (or asked for)"})


class AfterSaleRequested(AfterSaleEvent):
    kind = fields.String(required=True, validate=validate.OneOf(("refund", "return_refund")),
                         metadata={"description": "Refund only, or return the goods and refund"})


declare_event("order.created.v1", OrderWithTotal, "A consumer placed an order; it awaits payment.")
declare_event("order.cancelled.v1", OrderCancelled,
              "An unpaid order was cancelled (by the consumer, the shop, or for not being paid in time); its stock "
              "went back.")
declare_event("order.paid.v1", OrderPaid, "An order was paid: in full, or by its deposit — the rest is then to pay "
              "at the shop on the day (order.balance_paid.v1).")


class BalancePaid(OrderEvent):
    amount = fields.Nested(Amount, required=True, metadata={"description": "The balance paid at the shop"})


declare_event("order.balance_paid.v1", BalancePaid,
              "The balance of an order paid by a deposit was paid at the shop: nothing is left to pay.")
declare_event("order.shipped.v1", OrderShipped, "The shop sent an order's goods on their way.")
declare_event("order.completed.v1", OrderWithTotal,
              "An order was fulfilled: the consumer confirmed receipt, it was received automatically after the "
              "shipping deadline, or its code was verified at the counter.")
declare_event("after_sale.requested.v1", AfterSaleRequested, "A consumer asked for a refund of some of an order's "
              "lines (with or without returning the goods).")
declare_event("after_sale.refund_due.v1", AfterSaleEvent,
              "The shop accepted an after-sales request (and got the goods back, for a return): it is to be refunded.")
declare_event("after_sale.refunded.v1", AfterSaleEvent, "The payment provider refunded an after-sales request.")


class ReviewCreated(OrderEvent):
    review_id = id_field("The review")
    item_id = id_field("The item reviewed")
    rating = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))


declare_event("review.created.v1", ReviewCreated, "A consumer reviewed a line of a completed order.")
