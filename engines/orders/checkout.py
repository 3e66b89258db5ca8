"""Checkout: from lines (or the cart) and a fulfilment choice to an order awaiting payment, with
its price explained step by step, its stock reserved and its number handed out — all in the
caller's transaction, so a failure (409 out of stock) leaves nothing behind."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
import zoneinfo
from types import SimpleNamespace
from typing import Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Text, bindparam, cast, delete, func, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

from core.db import db, utcnow
from core.engines import flow_settings
from core.errors import APIError, register_codes
from core.events import emit
from core.ids import first_id_at, new_id, parse_id
from core.plans import register_limit, require_room
from core.tenancy import current_tenant, execute_with_inserts, insert_rows, inserts_together, new_row
from engines.catalog.services import (Reserved, forget_remembered_facts, is_on_sale, known_short, price_choices,
                                      skus_for_sale, skus_with_items, take_stock)
from engines.orders import events as _events  # noqa: F401  declares the events emitted here
from engines.orders import fulfillment
from engines.orders.booked_lines import booking_of, hold_booked, price_booked
from engines.orders.models import (CartLine, FulfillmentType, Order, OrderAdjustment, OrderAdjustmentLine, OrderLine,
                                   OrderSequence, OrderStatus)
from engines.orders.pricing import Adjustment, PriceContext, Quote, QuoteLine, reserve_steps, run_pipeline
from engines.orders.lifecycle import mark_paid
from engines.orders.cart import MAX_LINES, MAX_QUANTITY, cart_of, choice_key
from engines.orders.transitions import record_creation

CODE_KINDS = {"service", "virtual", "ticket"}

register_codes({"price_changed": (409, "A price changed while you were checking out; look at the new total and "
                                       "order again.")})
# What other engines require before an order is taken without its payment started with it (the
# payments engine: the shop has a way to pay). Each raises APIError to refuse.
CHECKOUT_GUARDS: list[Callable[[], None]] = []


def guard_checkout(check: Callable[[], None]) -> Callable[[], None]:
    CHECKOUT_GUARDS.append(check)
    return check


@dataclasses.dataclass
class Wanted:
    sku_id: int
    quantity: int
    choices: dict  # a dish's options as asked for; checked and priced against the item
    booking: dict | None = None  # a slot, a session or dates (engines.orders.booked_lines)


def _wanted(lines: object) -> list[Wanted]:
    """The request's lines; the same SKU with the same choices twice adds up."""
    if not isinstance(lines, list) or not 1 <= len(lines) <= MAX_LINES:
        raise APIError("invalid_input", fields={"lines": [f"Send 1 to {MAX_LINES} lines."]})
    wanted: dict[tuple[int, str], Wanted] = {}
    for index, line in enumerate(lines):
        sku_id = parse_id(line.get("sku_id")) if isinstance(line, dict) else None
        quantity = line.get("quantity", 1) if isinstance(line, dict) else None
        choices = line.get("choices") or {} if isinstance(line, dict) else None
        if sku_id is None or type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY or \
                not isinstance(choices, dict):
            raise APIError("invalid_input", fields={f"lines.{index}": [
                f"Give a sku_id, a quantity from 1 to {MAX_QUANTITY} and, for dishes, choices."]})
        booking = booking_of(line, index)
        key = (sku_id, choice_key(choices), json.dumps(booking, sort_keys=True, default=str))
        if key in wanted:
            wanted[key].quantity += quantity
        else:
            wanted[key] = Wanted(sku_id, quantity, choices, booking)
    if any(entry.quantity > MAX_QUANTITY for entry in wanted.values()):
        raise APIError("invalid_input", fields={"lines": [f"At most {MAX_QUANTITY} of one SKU."]})
    return list(wanted.values())


def _from_cart(consumer_id: int) -> list[Wanted]:
    cart = cart_of(consumer_id)
    rows = db.session.execute(select(CartLine.sku_id, CartLine.quantity, CartLine.choices)
                              .where(CartLine.cart_id == cart.id)).all()
    catalog = skus_with_items([sku_id for sku_id, _, _ in rows])
    wanted = [Wanted(sku_id, quantity, choices or {}) for sku_id, quantity, choices in rows
              if is_on_sale(catalog[sku_id][1]) and catalog[sku_id][0].stock >= quantity]
    if not wanted:
        raise APIError("invalid_input", fields={"lines": ["Your cart has nothing available to order."]})
    return wanted


def _per_sku(wanted: list) -> dict[int, int]:
    totals: dict[int, int] = {}
    for entry in wanted:
        totals[entry.sku_id] = totals.get(entry.sku_id, 0) + entry.quantity
    return totals


def refuse_known_sold_out(body: object) -> None:
    """The flash-sale gate, run before the bearer token is looked up: when the body names lines
    and one of them is known to be short (see `known_short`: no query), answer 409 out_of_stock at
    once. That a SKU is sold out is public (its page says so), nothing is attempted, and anything
    unusual — no lines (the cart), bad lines — is left to the full path and its errors."""
    lines = body.get("lines") if isinstance(body, dict) else None
    if not isinstance(lines, list):
        return
    try:
        wanted = _wanted(lines)
    except APIError:
        return
    _refuse_known_short(_per_sku(wanted))


def _refuse_known_short(per_sku: dict[int, int]) -> None:
    """409 when a SKU was refused a moment ago and nothing changed since: no query (flash sales)."""
    short = known_short(per_sku)
    if short is not None:
        raise APIError("out_of_stock", extra={"sku_id": str(short)})


def quote(*, consumer_id: int, lines: object = None, fulfillment_choice: object = None, coupons: tuple[str, ...] = (),
          points: int = 0, channel: str = "api", now: dt.datetime | None = None,
          member: dict | None = None, drafts: dict | None = None, offer: tuple[str, int] | None = None,
          only_steps: frozenset[str] | None = None) -> Quote:
    """Price an order without placing it (the checkout page shows this; the back office's price
    simulator too, with `member` facts and `drafts`, see PriceContext). `coupons` are the copies
    the consumer chose to use, `points` what they want to spend; `offer` and `only_steps` a
    special sale's (see PriceContext)."""
    wanted = _from_cart(consumer_id) if lines is None else _wanted(lines)
    per_sku = _per_sku(wanted)
    _refuse_known_short(per_sku)
    catalog = skus_for_sale(list(per_sku))
    quote_lines = []
    for entry in wanted:
        found = catalog.get(entry.sku_id)
        if found is None or not is_on_sale(found[1]):
            raise APIError("not_on_sale", extra={"sku_id": str(entry.sku_id)})
        sku, item = found
        extra, chosen = price_choices(item, entry.choices)
        options = {**(sku.options or {}), **{group: ", ".join(names) for group, names in chosen.items()}}
        quote_lines.append(QuoteLine(sku_id=sku.id, item_id=item.id, kind=item.kind.value, name=item.name,
                                     options=options, sku_code=sku.code or "",
                                     image=sku.image or (item.images or [""])[0], unit_price=sku.price + extra,
                                     quantity=entry.quantity, weight_grams=sku.weight_grams, booking=entry.booking))
    now = now or utcnow()
    price_booked(quote_lines, consumer_id, now)
    chosen_fulfillment = fulfillment.resolve(consumer_id, fulfillment_choice, quote_lines)
    context = PriceContext(consumer_id=consumer_id, now=now, channel=channel, coupons=tuple(coupons),
                           points=points, member=member or {}, drafts=drafts or {}, offer=offer,
                           only_steps=only_steps)
    return run_pipeline(Quote(currency=current_tenant().currency, consumer_id=consumer_id, lines=quote_lines,
                              fulfillment=chosen_fulfillment,
                              priced_from={sku_id: (sku.price, item.option_groups or [])
                                           for sku_id, (sku, item) in catalog.items()}), context)


def _as_quoted(priced: Quote, reserved: dict[int, Reserved]) -> None:
    """Refuse the order unless every SKU is on sale and priced, now, in this transaction, as the
    lines were priced (the quote may come from this process's remembered facts): 409
    `not_on_sale` or `price_changed`, after which this process forgets what it remembered."""
    for sku_id, now in reserved.items():
        price, option_groups = priced.priced_from[sku_id]
        if not now.on_sale or now.price != price or now.option_groups != option_groups:
            forget_remembered_facts()
            raise APIError("not_on_sale" if not now.on_sale else "price_changed", extra={"sku_id": str(sku_id)})


def _insert_adjustments(order_id: int, adjustments: list[Adjustment]) -> None:
    """An order's adjustments and their shares of its lines, queued with the order's rows."""
    insert_rows(OrderAdjustment, [
        new_row(OrderAdjustment, id=adjustment.id, order_id=order_id, sequence=sequence, step=adjustment.step,
                source_kind=adjustment.source_kind, source_id=adjustment.source_id, label=adjustment.label,
                amount=adjustment.amount, funded_by=adjustment.funded_by)
        for sequence, adjustment in enumerate(adjustments)])
    insert_rows(OrderAdjustmentLine, [
        new_row(OrderAdjustmentLine, order_id=order_id, adjustment_id=adjustment.id, line_id=line_id, amount=amount)
        for adjustment in adjustments for line_id, amount in adjustment.allocations.items()])


def next_number(now: dt.datetime) -> str:
    """A human-readable order number: the shop's local date and the day's sequence,
    e.g. 26112500042. One upserted row per day hands the numbers out."""
    numbered = SimpleNamespace()
    number_order(numbered, now)
    return numbered.number


def number_order(order: SimpleNamespace, now: dt.datetime) -> None:
    """`next_number` into `order.number`, as one of the writes of an `inserts_together` block
    when it runs in one (checkout: queued before the order's row, which it fills: on PostgreSQL
    the number is handed out in the statement inserting the order)."""
    day = now.astimezone(zoneinfo.ZoneInfo(current_tenant().timezone)).strftime("%y%m%d")

    def check(rows) -> None:
        order.number = rows.first().number

    execute_with_inserts(_NEXT_NUMBER[db.session.get_bind().dialect.name], {"day": day}, check,
                         fill=(Order, "number"))


def _orders_this_month() -> int:
    """The shop's orders placed since the 1st of this month, in its timezone."""
    where = zoneinfo.ZoneInfo(current_tenant().timezone)
    first = dt.datetime.now(where).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return db.session.scalar(select(func.count()).select_from(Order).where(
        Order.id >= first_id_at(int(first.timestamp() * 1000))))


register_limit("orders_month", _l("Orders a month"), _orders_this_month,
               refusal=_l("This shop cannot take more orders this month."))


def place_order(*, consumer_id: int, lines: object = None, fulfillment_choice: object = None, note: str = "",
                now: dt.datetime | None = None, pay: Callable[[SimpleNamespace], Callable[[], None]] | None = None,
                coupons: tuple[str, ...] = (), points: int = 0, channel: str = "api",
                offer: tuple[str, int] | None = None, only_steps: frozenset[str] | None = None,
                deposit: bool = False) -> tuple[SimpleNamespace, list[SimpleNamespace]]:
    """Place an order awaiting payment. `lines` None means the cart's available lines (which
    then leave the cart). Stock is reserved here; 409 `out_of_stock` names the SKU. The order and
    its lines come back as the rows written (plain objects). The prices charged are those the
    statement reserving the stock reads (409 `price_changed` when they moved since the quote).

    `pay`, when given, starts the order's payment in the same call (the payments engine's
    checkout-and-pay): it gets the order's row before any lock is taken — a provider may call out
    to start a payment — and returns what writes the payment, run with the order's inserts.

    The price's adjustments are written with the order (its funders, its shares of the lines), and
    the steps that hold something reserve it in this transaction (`pricing.reserve_steps`): a step
    refusing refuses the order.

    An order with nothing to pay (a coupon or points cover it all) needs no way to pay: it is paid
    as it is placed, in this transaction, and `pay` is not called.

    `deposit`: pay online only the deposit of the lines the shop lets be paid so (a room's nights,
    a service: `QuoteLine.deposit_percent`), the rest — the order's `balance_due` — at the shop on
    the day; 422 when no line may be."""
    now = now or utcnow()
    from_cart = lines is None
    require_room("orders_month")  # the shop's plan: its orders this month (403 plan_limit_reached)
    priced = quote(consumer_id=consumer_id, lines=lines, fulfillment_choice=fulfillment_choice, coupons=coupons,
                   points=points, channel=channel, now=now, offer=offer, only_steps=only_steps)
    balance = priced.balance_if_deposit if deposit else 0
    if deposit and balance == 0:
        raise APIError("invalid_input", fields={"deposit": ["Nothing in this order can be paid by a deposit: pay it "
                                                            "in full."]})
    if priced.total == 0:
        pay = None
    elif pay is None:
        for check in CHECKOUT_GUARDS:
            check()
    order_id = new_id()
    order_lines = [new_row(OrderLine, order_id=order_id, sku_id=line.sku_id, item_id=line.item_id, kind=line.kind,
                           name=line.name, options=line.options, sku_code=line.sku_code, image=line.image,
                           unit_price=line.unit_price, quantity=line.quantity, subtotal=line.subtotal,
                           discount=line.discount, paid_amount=line.payable, booked=line.booked is not None,
                           due_later=line.due_later if deposit else 0)
                   for line in priced.lines]
    adjustments = priced.place(order_lines)  # before the order's row: its pricing names them
    needs_code = priced.fulfillment["type"] in ("pickup", "dine_in", "none") or any(
        line.kind in CODE_KINDS for line in priced.lines)
    order = new_row(Order, id=order_id, number="", status=OrderStatus.PENDING_PAYMENT,
                    consumer_id=consumer_id, fulfillment_type=FulfillmentType(priced.fulfillment["type"]),
                    fulfillment=priced.fulfillment,
                    store_id=parse_id((priced.fulfillment.get("store") or {}).get("id")), note=note,
                    contact_phone=priced.fulfillment.get("phone", ""), currency=priced.currency,
                    items_total=priced.items_total, shipping_fee=priced.shipping_fee,
                    discount_total=priced.discount_total, total=priced.total, balance_due=balance,
                    pricing=priced.steps,
                    verification_code=f"{secrets.randbelow(10**12):012d}" if needs_code else None,
                    pay_by=now + dt.timedelta(minutes=flow_settings("orders")["pay_minutes"]), created_at=now,
                    updated_at=now)
    write_payment = pay(order) if pay is not None else None
    stocked = [line for line in priced.lines if line.booked is None]  # booked lines: capacity, not stock
    reserved: dict[int, Reserved] = {}
    # the stock, SKU by SKU in id order (no deadlocks), the number, the order, its lines, its adjustments and their
    # shares, its first transition, its event (its payment), the steps' holds: one statement on PostgreSQL, in
    # which the number is handed out as the order is inserted; a hold that does more than update a row follows it.
    # A SKU short, or priced otherwise now than in the quote, refuses the order: the transaction is rolled back.
    with inserts_together():
        for sku_id, quantity in sorted(_per_sku(stocked).items()):
            take_stock(sku_id=sku_id, quantity=quantity, into=reserved)
        number_order(order, now)
        insert_rows(Order, [order])
        insert_rows(OrderLine, order_lines)
        if adjustments:
            _insert_adjustments(order_id, adjustments)
        record_creation(order, actor=f"consumer:{consumer_id}")
        emit("order.created.v1", {"order_id": str(order.id), "consumer_id": str(order.consumer_id),
                                  "total": {"amount": order.total, "currency": order.currency}})
        if write_payment is not None:
            write_payment()
        reserve_steps(order, adjustments, priced.context)
        hold_booked(order, order_lines, priced.lines)
    _as_quoted(priced, reserved)
    if order.total == 0:
        mark_paid(order, actor=f"consumer:{consumer_id}", now=now)
    if from_cart:
        cart = cart_of(consumer_id)
        db.session.execute(delete(CartLine).where(CartLine.cart_id == cart.id,
                                                  CartLine.sku_id.in_([line.sku_id for line in priced.lines])))
    return order, order_lines


def place_purchase(*, consumer_id: int, kind: str, ref_id: int, name: str, amount: int, image: str = "",
                   now: dt.datetime | None = None) -> tuple[SimpleNamespace, list[SimpleNamespace]]:
    """An order awaiting payment for something another engine sells and hands over itself once
    paid (`kind`, e.g. "member_card", and its `ref_id`: the line's sku_id and item_id), outside
    the catalog: no stock, no delivery, no price steps. It is paid, cancelled and refunded as any
    order; the selling engine reacts to order.paid.v1 and completes it with `deliver`."""
    now = now or utcnow()
    require_room("orders_month")
    if amount <= 0:
        raise APIError("invalid_input", fields={"amount": ["A purchase costs something."]})
    order_id = new_id()
    line = new_row(OrderLine, order_id=order_id, sku_id=ref_id, item_id=ref_id, kind=kind, name=name[:120], options={},
                   sku_code="", image=image, unit_price=amount, quantity=1, subtotal=amount, discount=0,
                   paid_amount=amount)
    currency = current_tenant().currency
    order = new_row(Order, id=order_id, number=next_number(now), status=OrderStatus.PENDING_PAYMENT,
                    consumer_id=consumer_id, fulfillment_type=FulfillmentType.NONE, fulfillment={"type": "none"},
                    store_id=None, note="", contact_phone="", currency=currency, items_total=amount, shipping_fee=0,
                    discount_total=0, total=amount,
                    pricing=[{"step": "items", "label": "Items", "amount": amount, "count": 1}],
                    verification_code=None,
                    pay_by=now + dt.timedelta(minutes=flow_settings("orders")["pay_minutes"]), created_at=now,
                    updated_at=now)
    with inserts_together():
        insert_rows(Order, [order])
        insert_rows(OrderLine, [line])
        record_creation(order, actor=f"consumer:{consumer_id}")
        emit("order.created.v1", {"order_id": str(order.id), "consumer_id": str(consumer_id),
                                  "total": {"amount": amount, "currency": currency}})
    return order, [line]


_sequences = OrderSequence.__table__
_value = cast(_sequences.c.value, Text)
# the number as next_number words it: the day, then the day's sequence in at least five digits
_NUMBERS = {"postgresql": _sequences.c.day + func.lpad(_value, func.greatest(5, func.length(_value)), "0"),
            "sqlite": _sequences.c.day + func.printf("%05d", _sequences.c.value)}
_NEXT_NUMBER = {dialect.dialect.name: dialect.insert(_sequences)
                .values(tenant_id=bindparam("current_tenant"), day=bindparam("day"), value=1)
                .on_conflict_do_update(index_elements=["tenant_id", "day"], set_={"value": _sequences.c.value + 1})
                .returning(type_coerce(_NUMBERS[dialect.dialect.name], String).label("number"))
                for dialect in (postgresql, sqlite)}
