"""Properties of the whole price pipeline (engines.orders.pricing with the marketing steps) over
random carts and random rule sets — timed discounts, order promotions (some exclusive, some
budgeted, some refusing coupons) and a coupon: no line below zero, the total never negative and
equal to the items plus the adjustments, every adjustment allocated exactly; and refunds exact:
a placed, paid order refunded one unit at a time gives back each line's paid amount to the cent,
each promotion's budget its whole discount (unit by unit, the cumulative-floor share of its
allocation), and the order's total.

Each example makes its items and rules in a savepoint of the test's transaction and rolls it
back; the shop's `marketing` stamp is moved by hand (nothing commits, and the rules are
remembered per process until it moves)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from core.cache import stamps
from core.db import db
from core.errors import APIError
from core.tenancy import tenant_scope
from engines.catalog.services import create_item, skus_by_item
from engines.marketing.discounts import create_discount
from engines.marketing.models import ConsumerCoupon, Promotion
from engines.marketing.promotions import create_promotion
from engines.marketing.services import MAX_AMOUNT, CouponRules, create_coupon, issue
from engines.orders.after_sales import approve, count_refund, mark_refunded, request_after_sale, unit_share
from engines.orders.checkout import place_order, quote
from engines.orders.lifecycle import find_order, lines_of, mark_paid
from engines.orders.pricing import adjustments_of
from engines.orders.models import OrderStatus

NOW = dt.datetime.now(dt.UTC)
WINDOW = {"starts_at": NOW - dt.timedelta(hours=1), "ends_at": NOW + dt.timedelta(days=7)}
# The same examples every run; a refund walks every unit through after-sales, so it gets fewer.
PROPERTIES = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
REFUND_PROPERTIES = settings(PROPERTIES, max_examples=30)
OFTEN = st.sampled_from([True, True, True, False])


def _some_of(draw, count: int) -> list[int]:
    """Indexes of some of the cart's lines (none: the rule covers everything)."""
    return sorted(draw(st.sets(st.integers(0, count - 1), max_size=count)))


@st.composite
def carts(draw):
    """1 to 6 lines: (unit price, quantity)."""
    price = st.integers(1, 2_000) | st.integers(1, 100_000)  # small carts pay for delivery
    return [(draw(price), draw(st.integers(1, 5))) for _ in range(draw(st.integers(1, 6)))]


@st.composite
def tiers(draw, kind: str):
    """1 to 5 tiers a promotion may have: rising thresholds, each an amount off (less than a
    spend threshold) or a percentage off."""
    top = 20 if kind == "quantity" else 60_000
    thresholds = sorted(draw(st.sets(st.integers(2, top), min_size=1, max_size=5)))
    return [{"threshold": threshold, "amount_off": draw(st.integers(1, threshold - 1 if kind == "spend" else 200_000))}
            if draw(st.booleans()) else {"threshold": threshold, "percent_bp": draw(st.integers(1, 9_999))}
            for threshold in thresholds]


@st.composite
def discount_rules(draw, count: int):
    off = draw(st.one_of(st.builds(dict, percent_bp=st.integers(1, 9_999)),
                         st.builds(dict, amount_off=st.integers(1, 150_000))))
    return {"lines": sorted(draw(st.sets(st.integers(0, count - 1), min_size=1))), **off}


@st.composite
def promotion_rules(draw, count: int):
    kind = draw(st.sampled_from(["spend", "quantity"]))
    return {"kind": kind, "tiers": draw(tiers(kind)), "lines": _some_of(draw, count),
            "priority": draw(st.integers(-3, 3)), "exclusive": draw(st.booleans()),
            "combines_with_coupons": draw(OFTEN),
            "budget": draw(st.sampled_from([None, MAX_AMOUNT]) | st.integers(1, 50_000)),
            "funded_by": draw(st.sampled_from(["merchant", "platform"]))}


@st.composite
def coupon_rules(draw, count: int):
    kind = draw(st.sampled_from(["amount", "percent", "threshold", "free_shipping"]))
    rules = {"kind": kind, "lines": _some_of(draw, count), "minimum": draw(st.just(0) | st.integers(0, 200_000))}
    if kind == "amount":
        rules["amount"] = draw(st.integers(1, 300_000))
    elif kind == "threshold":
        rules["amount"] = draw(st.integers(1, 100_000))
        rules["minimum"] = rules["amount"] + draw(st.integers(1, 200_000))
    elif kind == "percent":
        rules.update(percent_bp=draw(st.integers(1, 9_999)), cap=draw(st.none() | st.integers(1, 100_000)))
    return rules


@st.composite
def scenarios(draw):
    """A cart and the shop's rules on it, and how the order is fulfilled."""
    cart = draw(carts())
    return {"cart": cart, "discounts": draw(st.lists(discount_rules(len(cart)), max_size=2)),
            "promotions": draw(st.lists(promotion_rules(len(cart)), max_size=3)),
            "coupon": draw(coupon_rules(len(cart))) if draw(OFTEN) else None,
            "fulfillment": draw(st.sampled_from(["pickup", "express"]))}


# Always tried: two budgeted promotions, 10 % off and 3.33 off, sharing a cart of odd amounts
# with a coupon (whatever else is drawn, a refund must give their budgets back exactly).
BUDGETED = {"cart": [(1999, 3), (333, 2)], "discounts": [], "coupon": {"kind": "amount", "amount": 777, "lines": [],
                                                                     "minimum": 0},
            "promotions": [{"kind": "spend", "tiers": [{"threshold": 1000, "percent_bp": 1000}], "lines": [],
                            "priority": 1, "exclusive": False, "combines_with_coupons": True, "budget": 100_000,
                            "funded_by": "merchant"},
                           {"kind": "quantity", "tiers": [{"threshold": 2, "amount_off": 333}], "lines": [1],
                            "priority": 0, "exclusive": False, "combines_with_coupons": True, "budget": 333,
                            "funded_by": "platform"}],
            "fulfillment": "pickup"}


def _made(shop, scenario) -> tuple[list[dict], dict, tuple[str, ...]]:
    """The scenario's items, rules and claimed copy in the shop: (checkout lines, fulfilment,
    the coupon ids chosen)."""
    item_ids, lines = [], []
    for index, (price, quantity) in enumerate(scenario["cart"]):
        item = create_item(kind="physical", name=f"Item {index}", price=price, stock=10, status="on_sale")
        item_ids.append(item.id)
        lines.append({"sku_id": str(skus_by_item([item.id])[item.id][0].id), "quantity": quantity})
    pick = lambda indexes: tuple(item_ids[i] for i in indexes)  # noqa: E731
    for number, rules in enumerate(scenario["discounts"]):
        off = {key: rules[key] for key in ("percent_bp", "amount_off") if key in rules}
        create_discount(name=f"Flash {number}", item_ids=pick(rules["lines"]), **off, **WINDOW)
    for number, rules in enumerate(scenario["promotions"]):
        scoped = pick(rules["lines"])
        create_promotion(name=f"Promotion {number}", kind=rules["kind"], tiers=rules["tiers"],
                         scope="items" if scoped else "all", scope_ids=scoped, priority=rules["priority"],
                         exclusive=rules["exclusive"], combines_with_coupons=rules["combines_with_coupons"],
                         budget=rules["budget"], funded_by=rules["funded_by"], **WINDOW)
    chosen: tuple[str, ...] = ()
    if scenario["coupon"] is not None:
        rules = dict(scenario["coupon"])
        scoped = pick(rules.pop("lines"))
        made = create_coupon(CouponRules(name="Random", scope="items" if scoped else "all", scope_ids=scoped,
                                         ends_at=WINDOW["ends_at"], **rules))
        chosen = (str(issue(made, shop["consumer"].id, source="claim").id),)
    stamps().bump(shop["tenant"].id, "marketing")  # nothing commits: the remembered rules must go
    fulfillment = ({"type": "pickup", "store_id": shop["store"]} if scenario["fulfillment"] == "pickup"
                   else {"type": "express", "address_id": shop["address"]})
    return lines, fulfillment, chosen


def _priced(shop, lines, fulfillment, chosen):
    """The quote with the chosen coupon, or without it when it cannot be used on this order
    (refused only as coupon_not_applicable): the coupon ids actually used, and the quote."""
    try:
        return chosen, quote(consumer_id=shop["consumer"].id, lines=lines, fulfillment_choice=fulfillment,
                             coupons=chosen)
    except APIError as refused:
        assert chosen and refused.code == "coupon_not_applicable", refused
    return (), quote(consumer_id=shop["consumer"].id, lines=lines, fulfillment_choice=fulfillment)


def _in_a_savepoint(shop, check) -> None:
    """Run `check()` as the shop in a savepoint that is rolled back whatever happens."""
    with tenant_scope(shop["tenant"]):
        savepoint = db.session.begin_nested()
        try:
            check()
        finally:
            savepoint.rollback()
            stamps().bump(shop["tenant"].id, "marketing")


def assert_priced_exactly(priced) -> None:
    assert all(line.payable >= 0 for line in priced.lines)
    assert priced.total >= 0
    assert priced.total == priced.items_total + sum(a.amount for a in priced.adjustments)
    for adjustment in priced.adjustments:
        assert sum(adjustment.allocations.values()) == (adjustment.amount if adjustment.allocations else 0)
        assert all(share < 0 for share in adjustment.allocations.values()) if adjustment.amount < 0 else \
            not adjustment.allocations
    on_lines = [a for a in priced.adjustments if a.allocations]
    assert priced.discount_total == -sum(a.amount for a in on_lines)
    for index, line in enumerate(priced.lines):
        assert line.discount == -sum(a.allocations.get(index, 0) for a in on_lines)


@pytest.mark.usefixtures("db_session")
@PROPERTIES
@given(scenarios())
def test_any_cart_under_any_rules_prices_whole_never_negative_and_allocated_exactly(shop, scenario):
    def check():
        lines, fulfillment, chosen = _made(shop, scenario)
        _, priced = _priced(shop, lines, fulfillment, chosen)
        assert_priced_exactly(priced)

    _in_a_savepoint(shop, check)


def part_of(amount: int, quantity: int, already: int, units: int) -> int:
    """The cumulative-floor share of `amount` (of either sign) that `units` more of a line's
    `quantity` units carry, after `already`: what a refund gives back of a discount's allocation,
    as unit_share does of the money paid."""
    sign = -1 if amount < 0 else 1
    return sign * (abs(amount) * (already + units) // quantity - abs(amount) * already // quantity)


def _budgets_used(promotion_ids: set[int]) -> dict[int, int]:
    return {promotion.id: promotion.budget_used for promotion in db.session.scalars(
        select(Promotion).where(Promotion.id.in_(promotion_ids)).execution_options(populate_existing=True))}


def _refund_one_unit(shop, order_id: int, line_id: int) -> int:
    """The buyer asks for one unit of a line back, the shop approves, and the refund goes
    through as the payments engine sends it (counted, then marked refunded): its amount."""
    after_sale = request_after_sale(find_order(order_id), consumer_id=shop["consumer"].id, kind="refund",
                                    lines=[{"line_id": str(line_id), "quantity": 1}])
    approve(after_sale)
    assert count_refund(after_sale.id) and mark_refunded(after_sale.id)
    return after_sale.amount


def _placed_and_paid(shop, scenario):
    """The scenario's order placed (with its coupon when it can be used) and paid: the order,
    the coupon ids used, its adjustments, and the budgeted promotions among them."""
    lines, fulfillment, chosen = _made(shop, scenario)
    chosen, _ = _priced(shop, lines, fulfillment, chosen)
    order, _ = place_order(consumer_id=shop["consumer"].id, lines=lines, fulfillment_choice=fulfillment,
                           coupons=chosen)
    if order.total:
        assert mark_paid(order, actor="provider")
    else:  # coupons and promotions covered it all: paid as it was placed
        assert order.status == OrderStatus.PAID
    placed = adjustments_of(order.id)
    budgeted = {a.source_id for a in placed if a.step == "order_promotions"} & set(
        db.session.scalars(select(Promotion.id).where(Promotion.budget.is_not(None))))
    return order, chosen, placed, budgeted


def _refunded_unit_by_unit(shop, order, placed, budgeted: set[int]) -> int:
    """Refund every unit of the order, one at a time, checking each refund's amount (the unit's
    paid share; the last one with the delivery fee) and each budget's spend after it (this
    unit's share of the promotion's allocation back): what was refunded in all."""
    expected = {a.source_id: -a.amount for a in placed if a.source_id in budgeted}
    assert _budgets_used(budgeted) == expected  # each budget holds exactly its discount
    order_lines = lines_of([order.id], fresh=True)[order.id]
    refunded, units_left = 0, sum(line.quantity for line in order_lines)
    for line in order_lines:
        for already in range(line.quantity):
            amount = _refund_one_unit(shop, order.id, line.id)
            units_left -= 1
            refunded += amount
            assert amount == unit_share(line, already, 1) + (order.shipping_fee if units_left == 0 else 0)
            for adjustment in placed:
                if adjustment.source_id in budgeted and line.id in adjustment.allocations:
                    expected[adjustment.source_id] += part_of(adjustment.allocations[line.id], line.quantity,
                                                              already, 1)
            assert _budgets_used(budgeted) == expected
    return refunded


@pytest.mark.usefixtures("db_session")
@REFUND_PROPERTIES
@given(scenarios())
@example(BUDGETED)
def test_a_paid_order_refunded_unit_by_unit_gives_back_every_cent_and_every_budget(shop, scenario):
    def check():
        order, chosen, placed, budgeted = _placed_and_paid(shop, scenario)
        # the shares of every unit add up exactly: the line's paid amount, each discount's allocation
        for line in lines_of([order.id], fresh=True)[order.id]:
            assert sum(unit_share(line, k, 1) for k in range(line.quantity)) == line.paid_amount
            for allocation in (a.allocations[line.id] for a in placed if line.id in a.allocations):
                assert sum(part_of(allocation, line.quantity, k, 1) for k in range(line.quantity)) == allocation
        # and refunding them one by one gives back the total and every budget's spend
        assert _refunded_unit_by_unit(shop, order, placed, budgeted) == order.total
        assert set(_budgets_used(budgeted).values()) <= {0}
        closed = find_order(order.id)
        db.session.refresh(closed)
        assert (closed.status.value, closed.refunded_total) == ("closed", order.total)
        if chosen:  # the shop's default: a refund keeps the coupon used
            copy = db.session.get(ConsumerCoupon, (shop["tenant"].id, int(chosen[0])), populate_existing=True)
            assert copy.status.value == "used"

    _in_a_savepoint(shop, check)
