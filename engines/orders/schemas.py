"""The cart, checkout and orders in the consumer API. Money is {"amount": minor units, "currency",
"display"}."""

from __future__ import annotations

from flask import current_app
from itsdangerous import URLSafeSerializer
from marshmallow import Schema, fields, validate
from marshmallow.experimental.context import Context

from core.api import MoneyField, MoneyOut
from core.engines import flow_settings

from core.ids import ID_PATTERN, validate_id
from core.money import Money
from engines.orders.settings import pickup_number


class AddLineIn(Schema):
    sku_id = fields.String(required=True, validate=validate_id, metadata={"pattern": ID_PATTERN})
    quantity = fields.Integer(load_default=1, strict=True)
    choices = fields.Dict(load_default=dict, metadata={"description": 'A dish\'s options: {"Spiciness": ["Mild"]}'})


class QuantityIn(Schema):
    quantity = fields.Integer(required=True, strict=True)


class CartLineOut(Schema):
    id = fields.String()
    sku_id = fields.String()
    item_id = fields.String()
    name = fields.String()
    options = fields.Dict()
    choices = fields.Dict()
    image = fields.String()
    quantity = fields.Integer()
    price = fields.Nested(MoneyOut)
    subtotal = fields.Nested(MoneyOut)
    available = fields.Boolean()
    unavailable_reason = fields.String(allow_none=True, metadata={
        "enum": ["not_on_sale", "out_of_stock", "options_changed"]})
    stock = fields.Integer()


class CartOut(Schema):
    lines = fields.List(fields.Nested(CartLineOut))
    total = fields.Nested(MoneyOut, metadata={"description": "Of the available lines"})
    count = fields.Integer()


def code_signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="order-code-qr")


def _order_currency(_line) -> str:
    return Context.get()["order"].currency


BEHIND_THE_PRICE = ("source", "funded_by")  # in the record for the hooks and settlement, not for buyers


def quote_answer(priced) -> dict:
    """A priced quote as POST /checkout/quote answers it (QuoteOut)."""
    return {"lines": [{"sku_id": str(line.sku_id), "name": line.name, "options": line.options,
                       "quantity": line.quantity, "subtotal": priced.money(line.subtotal),
                       "discount": priced.money(line.discount)} for line in priced.lines],
            "fulfillment": priced.fulfillment, "pricing": price_steps_out(priced.steps, priced.currency),
            "total": priced.money(priced.total),
            "deposit": {"now": priced.money(priced.total - priced.balance_if_deposit),
                        "later": priced.money(priced.balance_if_deposit)} if priced.balance_if_deposit else None}


def price_steps_out(steps: list[dict], currency: str) -> list[dict]:
    """The price pipeline's record (orders.pricing, a quote's steps) with each amount as money,
    without who funds each step and where it comes from (the staff's views show those)."""
    return [{**{key: value for key, value in step.items() if key not in BEHIND_THE_PRICE},
             "amount": Money(step["amount"], currency).to_json()} for step in steps]


def _iso(value) -> str | None:
    return value.isoformat() if value else None


class CheckoutOptionsOut(Schema):
    fulfillment = fields.List(fields.String(), metadata={
        "description": "The ways to receive an order this shop offers: express, same_city, pickup, dine_in "
                       "(services and virtual goods need none)"})
    pay_minutes = fields.Integer(metadata={"description": "Minutes to pay before an order is cancelled"})


class CheckoutIn(Schema):
    lines = fields.List(fields.Dict(), load_default=None, allow_none=True, metadata={
        "description": "[{sku_id, quantity, choices}] (choices: a dish's options, {group: [choice, …]}); leave out "
                       "to order the cart's available lines"})
    fulfillment = fields.Dict(load_default=dict, metadata={"description": (
        '{"type": "express", "address_id"} | {"type": "same_city", "address_id", "store_id"} | '
        '{"type": "pickup", "store_id", "phone"} | {"type": "dine_in", "table": "<code from the table QR>"} | '
        '{"type": "none"} (services and virtual goods)')})
    note = fields.String(load_default="", validate=validate.Length(max=200))
    coupon_ids = fields.List(fields.String(validate=validate.Length(max=20)), load_default=list,
                             validate=validate.Length(max=1), metadata={
        "description": "The consumer's coupon (an id from GET /api/v1/me/coupons) to use; one per order"})
    points = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=10**9), metadata={
        "description": "Points to spend (GET /api/v1/me/member): as many as the shop lets pay of the order are used"})
    deposit = fields.Boolean(load_default=False, metadata={"description": (
        "Pay only the deposit online (the quote's `deposit`), the rest at the shop on the day")})


class OrderLineOut(Schema):
    id = fields.Function(lambda line: str(line.id))
    sku_id = fields.Function(lambda line: str(line.sku_id))
    item_id = fields.Function(lambda line: str(line.item_id))
    kind = fields.String()
    name = fields.String()
    options = fields.Dict()
    image = fields.String()
    quantity = fields.Integer()
    refunded_quantity = fields.Integer()
    booked = fields.Boolean(metadata={"description": "Booked by time (a slot, a session or nights): its options say "
                                                     "when; the consumer's bookings say more"})
    # The order's currency comes from the Context that OrderOut.lines_out opens.
    unit_price = MoneyField(currency=_order_currency)
    subtotal = MoneyField(currency=_order_currency)
    discount = MoneyField(currency=_order_currency)
    paid = MoneyField(attribute="paid_amount", currency=_order_currency)


class AfterSaleOut(Schema):
    id = fields.Function(lambda a: str(a.id))
    kind = fields.String()
    status = fields.Function(lambda a: a.status.value)
    lines = fields.List(fields.Dict())
    amount = MoneyField()
    reason = fields.String()
    merchant_note = fields.String()
    return_carrier = fields.String()
    return_tracking = fields.String()
    created_at = fields.Function(lambda a: _iso(a.created_at))


class OrderOut(Schema):
    id = fields.Function(lambda o: str(o.id))
    number = fields.String()
    status = fields.Function(lambda o: o.status.value)
    fulfillment = fields.Method("fulfillment_out")
    note = fields.String()
    items_total = MoneyField()
    shipping = MoneyField(attribute="shipping_fee")
    discount = MoneyField(attribute="discount_total")
    total = MoneyField()
    refunded = MoneyField(attribute="refunded_total")
    balance_due = MoneyField(metadata={"description": "Still to pay at the shop (an order paid by a deposit); "
                                                      "0 once paid there, or for an order paid in full"})
    payable_now = fields.Method("payable_now_out", allow_none=True, metadata={
        "description": "While the order awaits payment, what its payment takes: the total, or the deposit of an "
                       "order paid by a deposit; null after"})
    pricing = fields.Method("pricing_out", metadata={
        "description": "The price pipeline's steps, in order: [{step, label, amount (money), …}]"})
    adjustments = fields.Method("adjustments_out", metadata={"description": (
        "What changed the price, in the pipeline's order: [{id, step, label, amount}] — amount negative for a "
        "discount, positive for a fee (delivery); the total is the items total plus these")})
    verification_code = fields.Method("code_out", allow_none=True)
    pickup_number = fields.Method("pickup_number_out", allow_none=True, metadata={
        "description": "For pickup and dine-in: the short number called at the counter (the day's sequence)"})
    verification_qr_token = fields.Method("qr_token_out", allow_none=True, metadata={
        "description": "For GET /api/v1/orders/<id>/code.svg?token=… (an <img> sends no bearer token)"})
    carrier = fields.String()
    tracking_number = fields.String()
    pay_by = fields.Function(lambda o: _iso(o.pay_by))
    created_at = fields.Function(lambda o: _iso(o.created_at))
    paid_at = fields.Function(lambda o: _iso(o.paid_at))
    shipped_at = fields.Function(lambda o: _iso(o.shipped_at))
    completed_at = fields.Function(lambda o: _iso(o.completed_at))
    lines = fields.Method("lines_out")
    actions = fields.Method("actions_out", metadata={"description": "What the consumer can do now"})

    # Dumped through dump_order / dump_orders, which put the lines (and after-sales) in a Context:
    # the schema instances are shared (building one per request costs more than the dump).

    def adjustments_out(self, order):
        """From the order's `pricing`, written with its adjustments in the same statement and never
        changed after: the entries that name one (no query; older orders have none)."""
        return [{"id": entry["adjustment_id"], "step": entry["step"], "label": entry["label"],
                 "amount": Money(entry["amount"], order.currency).to_json()}
                for entry in order.pricing if "adjustment_id" in entry]

    def payable_now_out(self, order):
        if order.status.value != "pending_payment":
            return None
        return Money(order.total - order.balance_due, order.currency).to_json()

    def pricing_out(self, order):
        return price_steps_out(order.pricing, order.currency)

    def fulfillment_out(self, order):
        return {key: value for key, value in order.fulfillment.items() if key not in ("template_id", "table_code")}

    def code_out(self, order):
        """Shown once the order is paid (and until it is used)."""
        paid = order.status.value not in ("pending_payment", "cancelled", "closed")
        return order.verification_code if paid and order.verification_code and not order.verified_at else None

    def pickup_number_out(self, order):
        if order.fulfillment_type not in ("pickup", "dine_in"):
            return None
        return pickup_number(order.number, flow_settings("orders"))

    def qr_token_out(self, order):
        return code_signer().dumps([order.tenant_id, str(order.id)]) if self.code_out(order) else None

    def lines_out(self, order):
        context = Context.get()
        with Context({**context, "order": order}):
            return _LINES.dump(context["lines"].get(order.id, []))

    def actions_out(self, order):
        return {"pending_payment": ["pay", "cancel"], "shipped": ["confirm_receipt", "after_sale"]}.get(
            order.status.value, ["after_sale"] if order.status.value in (
                "paid", "awaiting_shipment", "ready_for_pickup", "in_preparation", "in_service", "completed") else [])


class OrderDetailOut(OrderOut):
    after_sales = fields.Method("after_sales_out")

    def after_sales_out(self, order):
        return _AFTER_SALES.dump(Context.get()["after_sales"])


_LINES, _AFTER_SALES = OrderLineOut(many=True), AfterSaleOut(many=True)
_ORDER, _ORDERS = OrderDetailOut(), OrderOut(many=True)


def dump_order(order, *, lines: list, after_sales: list | tuple = ()) -> dict:
    """One order with its lines and after-sales, as the consumer sees it."""
    with Context({"lines": {order.id: lines}, "after_sales": after_sales}):
        return _ORDER.dump(order)


def dump_orders(orders: list, *, lines: dict) -> list:
    """Orders for a list page; `lines` maps each order's id to its lines."""
    with Context({"lines": lines}):
        return _ORDERS.dump(orders)


def shown_code(order) -> str | None:
    """The verification code, while the consumer may show it (paid and not yet used)."""
    return _ORDER.code_out(order)


class OrderAnswer(Schema):
    order = fields.Nested(OrderDetailOut)


class OrderPageOut(Schema):
    orders = fields.List(fields.Nested(OrderOut))
    next_cursor = fields.String(allow_none=True)


class QuoteOut(Schema):
    lines = fields.List(fields.Dict())
    fulfillment = fields.Dict()
    pricing = fields.List(fields.Dict(), metadata={"description": "[{step, label, amount (money), …}]"})
    total = fields.Nested(MoneyOut)
    deposit = fields.Dict(allow_none=True, metadata={"description": (
        "When some lines may be paid by a deposit (a room's nights, a service): {now, later} — what paying so "
        "takes online now and leaves to pay at the shop on the day (checkout with \"deposit\": true); else null")})


class ReturnTrackingIn(Schema):
    carrier = fields.String(required=True, validate=validate.Length(min=1, max=40))
    tracking_number = fields.String(required=True, validate=validate.Length(min=1, max=40))


class AfterSaleLineIn(Schema):
    line_id = fields.String(required=True, validate=validate.Regexp(r"^[0-9]{1,19}$"))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=999))


class AfterSaleIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(["refund", "return_refund"]))
    lines = fields.List(fields.Nested(AfterSaleLineIn), required=True, validate=validate.Length(min=1, max=100))
    reason = fields.String(load_default="", validate=validate.Length(max=200))
