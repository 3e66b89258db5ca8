"""Marketing in the price pipeline: timed discounts (`item_promotions`), bundles (`bundles`,
engines.marketing.bundles), the `order_promotions` step (tiers by spend or quantity, their
budgets reserved at checkout, given back on cancel and, their refunded share, on refunds), the
`coupon` step (after promotions) takes a coupon off the lines it applies to; after the delivery
fee, free-shipping campaigns (`free_shipping_rules`, engines.marketing.shipping_rules), a tier
giving free delivery (`promotion_shipping`) and a free-shipping coupon (`free_shipping`) waive
it. Each coupon copy is held on the order at checkout, used when it is paid and given back when
an unpaid order is cancelled or times out (a refund keeps it used unless the shop says so)."""

from __future__ import annotations

from sqlalchemy import bindparam, func, select, update

from core.db import db, utcnow
from core.engines import flow_settings
from core.errors import APIError
from core.tenancy import current_tenant_id, execute_with_inserts, of_tenant
from engines.marketing.models import Coupon, CouponKind, CouponScope, ConsumerCoupon, HeldStatus
from engines.marketing import bundles as _bundles, shipping_rules as _shipping_rules  # noqa: F401  their steps
from engines.marketing.discounts import apply_discounts
from engines.marketing.promotions import apply_promotions, release_budgets, reserve_budgets
from engines.marketing.services import (categories_for, copy_ids_of, covered, discount_of, label_of, not_combining,
                                        usable_copy)
from engines.orders.services import POSITIONS, refunded_in_full, register_price_step


def _chosen(quote, context, *, shipping: bool):
    """The copy the consumer chose, for this step (a free-delivery coupon for the fee's step, any
    other for the lines'), as `services.usable_copy` reads it (once per quote), or None; 409 when
    it is not theirs to use now."""
    if not copy_ids_of(context.coupons):
        return None
    _read_copy(quote, context)
    coupon = quote.memo["coupon"].rows().first()
    if coupon is None:
        raise APIError("coupon_not_applicable", "This coupon is not yours to use now: used, expired or not started.")
    if (coupon.kind == CouponKind.FREE_SHIPPING) != shipping:
        return None
    if refusal := not_combining(coupon, quote):
        raise APIError("coupon_not_applicable", refusal)
    return coupon


def _read_copy(quote, context) -> None:
    """The chosen copy's read (`services.usable_copy`), asked for once per quote."""
    ids = copy_ids_of(context.coupons)
    if ids and "coupon" not in quote.memo:
        quote.memo["coupon"] = usable_copy(context.consumer_id, ids[0], context.now)


def promotion_shipping(quote) -> None:
    """The `promotion_shipping` step: a promotion tier reached that gives free delivery waives
    the fee charged (funded as the promotion is)."""
    entry = next((e for e in quote.steps if e["step"] == "order_promotions" and e.get("free_shipping")), None)
    if entry is None or quote.shipping_fee <= 0:
        return
    funder = next((a.funded_by for a in quote.adjustments if a.entry is entry), entry.get("funded_by", "merchant"))
    quote.waive_shipping("promotion_shipping", f"{entry['promotion']}: free delivery", quote.shipping_fee,
                         source=("promotion", int(entry["promotion_id"])), funded_by=funder)


class TimedDiscountStep:
    def apply(self, quote, context) -> None:
        apply_discounts(quote, context.now)


class PromotionStep:
    def apply(self, quote, context) -> None:
        apply_promotions(quote, context.now, context.drafts.get("order_promotions", ()))

    def reserve(self, order, adjustments, context) -> None:
        reserve_budgets(adjustments)

    def release(self, order, adjustments) -> None:
        release_budgets(adjustments)

    def release_lines(self, order, adjustments, line_quantities) -> None:
        release_budgets(adjustments, refunded=True)


class CouponStep:
    def read_ahead(self, quote, context) -> None:
        _read_copy(quote, context)

    def apply(self, quote, context) -> None:
        coupon = _chosen(quote, context, shipping=False)
        if coupon is None:
            return
        indexes, eligible_total = _covered(quote, coupon)
        amount = discount_of(coupon, eligible_total, quote.shipping_fee)
        if amount <= 0:
            raise APIError("coupon_not_applicable", _why_not(coupon, eligible_total, quote.currency))
        quote.discount("coupon", label_of(coupon, quote.currency), amount, [quote.lines[i] for i in indexes],
                       source=("coupon", coupon.id), funded_by=coupon.funded_by, consumer_coupon_id=str(coupon.copy_id))

    def reserve(self, order, adjustments, context) -> None:
        _hold(order, context)

    def commit(self, order, adjustments) -> None:
        _use(order, adjustments)

    def release(self, order, adjustments) -> None:
        _give_back(order)

    def release_lines(self, order, adjustments, line_quantities) -> None:
        if flow_settings("marketing")["coupon_back_on_refund"] and refunded_in_full(order.id):
            _give_back(order, used=True)


class FreeShippingStep(CouponStep):
    def apply(self, quote, context) -> None:
        coupon = _chosen(quote, context, shipping=True)
        if coupon is None:
            return
        _indexes, eligible_total = _covered(quote, coupon)
        if eligible_total < max(coupon.minimum, 1) or quote.shipping_fee <= 0:
            raise APIError("coupon_not_applicable", _why_not(coupon, eligible_total, quote.currency)
                           if eligible_total < coupon.minimum else "There is no delivery fee to waive on this order.")
        quote.waive_shipping("free_shipping", label_of(coupon, quote.currency), quote.shipping_fee,
                             source=("coupon", coupon.id), funded_by=coupon.funded_by, consumer_coupon_id=str(coupon.copy_id))


def _covered(quote, coupon: Coupon) -> tuple[list[int], int]:
    """The lines (indexes) a coupon covers on the quote, and what they still cost."""
    categories = categories_for(quote.lines) if coupon.scope == CouponScope.CATEGORIES else {}
    indexes = covered(coupon, quote, categories)
    return indexes, sum(quote.lines[i].payable for i in indexes)


def _why_not(coupon: Coupon, eligible_total: int, currency: str) -> str:
    from core.money import Money

    if eligible_total <= 0:
        return "None of these items can be bought with this coupon."
    short = Money(coupon.minimum - eligible_total, currency).format()
    return f"Spend {short} more on the items this coupon covers to use it."


_copies, _coupons = ConsumerCoupon.__table__, Coupon.__table__
_HOLD = (update(_copies).where(of_tenant(_copies), _copies.c.id == bindparam("copy_id"),
                               _copies.c.consumer_id == bindparam("holder"),
                               _copies.c.status == HeldStatus.AVAILABLE)
         .values(status=HeldStatus.HELD, order_id=bindparam("held_by")).returning(_copies.c.id))
_USE = (update(_copies).where(of_tenant(_copies), _copies.c.order_id == bindparam("paid_order"),
                              _copies.c.status == HeldStatus.HELD)
        .values(status=HeldStatus.USED, used_at=bindparam("now")).returning(_copies.c.coupon_id))
# Each coupon counts the order's copies `_USE` uses, whether it runs before this (in turn) or with
# it, from the same snapshot (PostgreSQL: one statement with the payment's rows): a copy is counted
# held, or used at this very moment — never both, never twice.
_this_use = ((_copies.c.tenant_id == _coupons.c.tenant_id) & (_copies.c.coupon_id == _coupons.c.id)
             & (_copies.c.order_id == bindparam("paid_order"))
             & ((_copies.c.status == HeldStatus.HELD)
                | ((_copies.c.status == HeldStatus.USED) & (_copies.c.used_at == bindparam("now")))))
_COUNT_USE = (update(_coupons).where(of_tenant(_coupons), select(_copies.c.id).where(_this_use).exists())
              .values(used_count=_coupons.c.used_count + select(func.count()).where(_this_use).scalar_subquery())
              .returning(_coupons.c.id))


def _hold(order, context) -> None:
    """In the checkout's transaction: the copy goes on the order, once (a second checkout with
    the same copy at the same moment finds it taken)."""
    def check(held) -> None:
        if held.rowcount != 1:
            raise APIError("coupon_taken")

    execute_with_inserts(_HOLD, {"copy_id": copy_ids_of(context.coupons)[0], "holder": context.consumer_id,
                                 "held_by": order.id}, check)  # with the order's rows


def _use(order, adjustments) -> None:
    """The order was paid: its copy is used, and its coupon counts one more use (on PostgreSQL
    with the payment's rows, in one statement: the payment's path makes it for every order with
    a coupon)."""
    now = utcnow()
    execute_with_inserts(_USE, {"paid_order": order.id, "now": now})
    execute_with_inserts(_COUNT_USE, {"paid_order": order.id, "now": now})


def _give_back(order, *, used: bool = False) -> None:
    """The order's coupon can be used again: held by an unpaid order that was cancelled, or (with
    the shop's setting) used on an order refunded in full."""
    given = db.session.execute(
        update(ConsumerCoupon).where(ConsumerCoupon.tenant_id == current_tenant_id(), ConsumerCoupon.order_id == order.id,
                                     ConsumerCoupon.status == (HeldStatus.USED if used else HeldStatus.HELD))
        .values(status=HeldStatus.AVAILABLE, order_id=None, used_at=None)
        .returning(ConsumerCoupon.coupon_id).execution_options(synchronize_session=False)).scalars().all()
    if used and given:
        db.session.execute(update(Coupon).where(Coupon.tenant_id == current_tenant_id(), Coupon.id.in_(given))
                           .values(used_count=Coupon.used_count - 1).execution_options(synchronize_session=False))


register_price_step("item_promotions", POSITIONS["item_promotions"], TimedDiscountStep())
register_price_step("order_promotions", POSITIONS["order_promotions"], PromotionStep())
register_price_step("coupon", POSITIONS["coupon"], CouponStep())
register_price_step("promotion_shipping", POSITIONS["promotion_shipping"], promotion_shipping)
register_price_step("free_shipping", POSITIONS["free_shipping"], FreeShippingStep())
