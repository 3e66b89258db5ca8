"""Stored value (储值): a member's balance in two parts — principal (money they paid in) and bonus
(what recharge plans add) — moved only with an entry of the wallet's statement. Recharge plans
("pay ¥100, get ¥120") are bought as orders (`orders.place_purchase`) and credit both parts once
paid. The balance pays orders as a payment provider of its own (`balance`, offered when the shop
turns stored value on): the consumer confirms with POST /api/v1/payments/<id>/balance, which takes
the parts in the shop's stated order and settles the payment in one transaction; a refund gives
each part back in the share it paid (cumulative floor, exact over every refund)."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext
from sqlalchemy import select, update

from core.db import db, utcnow
from core.engines import flow_settings
from core.errors import APIError, register_codes
from core.paging import newest_first
from core.money import Money
from core.tenancy import current_tenant, current_tenant_id
from engines.membership.ledger import ensure_member
from engines.membership.models import Member, RechargePlan, WalletEntry
from engines.orders.services import deliver, find_order, lines_of, place_purchase
from engines.payments.services import payment_of, register_provider, settle_with_order

register_codes({
    "balance_insufficient": (409, "Your balance does not cover this order."),
    "balance_not_offered": (409, "This shop does not take payment from the balance."),
    "recharge_plan_unavailable": (409, "This recharge plan is not on offer."),
    "payment_not_pending": (409, "This payment is settled already."),
})

RECHARGE_KIND = "recharge"
PROVIDER = "balance"


class BalanceProvider:
    """The balance as a payment provider: started with nothing to call out to, confirmed by the
    consumer through the API, refunded into the wallet."""

    name = PROVIDER

    def offered(self) -> bool:
        return bool(flow_settings("membership")["stored_value"])

    def start(self, payment) -> dict:
        payment.provider_ref = f"bal_{payment.id}"
        return {"type": "balance", "method": "POST", "url": f"/api/v1/payments/{payment.id}/balance"}

    def refund(self, payment, refund) -> tuple[str, str]:
        refund_to_wallet(payment, refund.amount)
        return "succeeded", f"balr_{refund.id}"


register_provider(BalanceProvider())


def _locked(consumer_id: int) -> tuple[int, int]:
    """The member's (principal, bonus), their row locked until the transaction ends."""
    ensure_member(consumer_id)
    return tuple(db.session.execute(
        update(Member).where(Member.tenant_id == current_tenant_id(), Member.consumer_id == consumer_id)
        .values(balance=Member.balance).returning(Member.balance, Member.bonus)
        .execution_options(synchronize_session=False)).one())


def move(consumer_id: int, principal: int, bonus: int, kind: str, *, source: tuple[str, int | None] = ("", None),
         note: str = "", actor: str = "", now: dt.datetime | None = None) -> WalletEntry:
    """Change the two parts by (principal, bonus), neither below zero (409 balance_insufficient),
    with the statement's entry."""
    ensure_member(consumer_id)
    after = db.session.execute(
        update(Member).where(Member.tenant_id == current_tenant_id(), Member.consumer_id == consumer_id,
                             Member.balance + principal >= 0, Member.bonus + bonus >= 0)
        .values(balance=Member.balance + principal, bonus=Member.bonus + bonus)
        .returning(Member.balance, Member.bonus).execution_options(synchronize_session=False)).first()
    if after is None:
        raise APIError("balance_insufficient")
    entry = WalletEntry(consumer_id=consumer_id, kind=kind, principal=principal, bonus=bonus,
                        principal_after=after[0], bonus_after=after[1], source_kind=source[0], source_id=source[1],
                        note=note, actor=actor, created_at=now or utcnow())
    db.session.add(entry)
    db.session.flush()
    return entry


def split(amount: int, principal: int, bonus: int, order: str) -> tuple[int, int]:
    """What of `amount` each part pays, in the shop's order (principal first, or bonus first)."""
    if order == "bonus_first":
        from_bonus = min(bonus, amount)
        return amount - from_bonus, from_bonus
    from_principal = min(principal, amount)
    return from_principal, amount - from_principal


def pay_with_balance(payment_id: int, consumer_id: int, now: dt.datetime | None = None):
    """The consumer confirms a balance payment of their order: the parts are taken and the payment
    settled together, once (409 when the balance is short, the payment settled or not the
    balance's; a recharge is never paid from the balance)."""
    now = now or utcnow()
    payment = payment_of(payment_id, consumer_id=consumer_id)
    if payment.provider != PROVIDER:
        raise APIError("conflict", "This payment is not from the balance.")
    if any(line.kind == RECHARGE_KIND for line in lines_of([payment.order_id])[payment.order_id]):
        raise APIError("conflict", "A recharge is paid with money, not from the balance.")
    principal, bonus = _locked(consumer_id)
    if principal + bonus < payment.amount:
        raise APIError("balance_insufficient", f"Your balance covers {principal + bonus} of {payment.amount}.")
    from_principal, from_bonus = split(payment.amount, principal, bonus, flow_settings("membership")["balance_order"])
    settled = settle_with_order(payment.id, succeeded=True, now=now,
                                details={"principal": from_principal, "bonus": from_bonus})
    if settled is None:
        raise APIError("payment_not_pending")
    move(consumer_id, -from_principal, -from_bonus, "payment", source=("payment", payment.id),
         note=f"Order {settled[2].number}" if getattr(settled[2], "number", None) else "", now=now)
    return settled


def refund_to_wallet(payment, amount: int) -> WalletEntry | None:
    """A refund of a balance payment: each part back in the share it paid (cumulative floor over
    the payment's refunds, which count this one already)."""
    paid_bonus = int((payment.details or {}).get("bonus", 0))
    before = payment.refunded - amount
    bonus_back = paid_bonus * (before + amount) // payment.amount - paid_bonus * before // payment.amount
    order = find_order(payment.order_id)
    return move(order.consumer_id, amount - bonus_back, bonus_back, "refund", source=("payment", payment.id),
                note=f"Order {order.number} refunded")


def statement(consumer_id: int, *, before: int | None = None, limit: int = 20) -> tuple[list, int | None]:
    return newest_first(select(WalletEntry).where(WalletEntry.consumer_id == consumer_id), WalletEntry.id,
                        limit=limit, before=before)


# -- recharge plans --------------------------------------------------------------------------------


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def create_recharge_plan(*, pay: object, bonus: object = 0, active: bool = True) -> RechargePlan:
    errors = {}
    if not _whole(pay, 1, 10**10):
        errors["pay"] = ["What the member pays, above nothing, in minor units."]
    if not _whole(bonus, 0, 10**10):
        errors["bonus"] = ["What it adds, from 0, in minor units."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    plan = RechargePlan(pay=pay, bonus=bonus, active=bool(active))
    db.session.add(plan)
    db.session.flush()
    return plan


def update_recharge_plan(plan: RechargePlan, **changes) -> RechargePlan:
    """Change a plan's `pay`, `bonus` or `active`, checked as create_recharge_plan checks them (422
    naming each field wrong, the plan unchanged). An order of the plan not yet paid is credited
    what it paid and the plan's bonus as it is when paid."""
    errors = {name: ["Not a field of a recharge plan."] for name in sorted(set(changes) - {"pay", "bonus", "active"})}
    if "pay" in changes and not _whole(changes["pay"], 1, 10**10):
        errors["pay"] = ["What the member pays, above nothing, in minor units."]
    if "bonus" in changes and not _whole(changes["bonus"], 0, 10**10):
        errors["bonus"] = ["What it adds, from 0, in minor units."]
    if errors:
        raise APIError("invalid_input", fields=errors)
    for name, value in changes.items():
        setattr(plan, name, bool(value) if name == "active" else value)
    db.session.flush()
    return plan


def find_recharge_plan(plan_id: int) -> RechargePlan:
    plan = RechargePlan.get(plan_id)
    if plan is None:
        raise APIError("not_found", "There is no such recharge plan in this shop.")
    return plan


def recharge_plans(*, active_only: bool = False) -> list[RechargePlan]:
    statement_ = select(RechargePlan).order_by(RechargePlan.pay, RechargePlan.id)
    return list(db.session.scalars(statement_.where(RechargePlan.active.is_(True)) if active_only else statement_))


def buy_recharge(plan_id: int, consumer_id: int, now: dt.datetime | None = None):
    """An order of the recharge awaiting payment (with money: any provider but the balance)."""
    plan = find_recharge_plan(plan_id)
    if not plan.active or not flow_settings("membership")["stored_value"]:
        raise APIError("recharge_plan_unavailable")
    return place_purchase(consumer_id=consumer_id, kind=RECHARGE_KIND, ref_id=plan.id, name=plan_label(plan),
                          amount=plan.pay, now=now)


def plan_label(plan: RechargePlan) -> str:
    currency = current_tenant().currency
    paid = Money(plan.pay, currency).format()
    if not plan.bonus:
        return gettext("Recharge %(paid)s", paid=paid)
    return gettext("Recharge %(paid)s, get %(gets)s", paid=paid, gets=Money(plan.pay + plan.bonus, currency).format())


def on_recharge_paid(order_id: int, now: dt.datetime | None = None) -> bool:
    """A paid recharge: the principal and the plan's bonus are credited, the order completes."""
    now = now or utcnow()
    lines = [line for line in lines_of([order_id])[order_id] if line.kind == RECHARGE_KIND]
    if not lines:
        return False
    order = find_order(order_id)
    plan = db.session.get(RechargePlan, (current_tenant_id(), lines[0].item_id))
    bonus = plan.bonus if plan is not None else 0
    move(order.consumer_id, lines[0].paid_amount, bonus, "recharge", source=("order", order_id),
         note=lines[0].name, now=now)
    deliver(order, actor="system", now=now)
    return True


def on_recharge_refunded(order_id: int, amount: int, now: dt.datetime | None = None) -> bool:
    """A refunded recharge takes back what it credited, as far as the balance still holds it (the
    bonus in the refunded share)."""
    credited = db.session.scalars(select(WalletEntry).where(
        WalletEntry.kind == "recharge", WalletEntry.source_kind == "order", WalletEntry.source_id == order_id)).first()
    if credited is None:
        return False
    principal, bonus = _locked(credited.consumer_id)
    take_principal = min(principal, amount)
    take_bonus = min(bonus, credited.bonus * amount // max(credited.principal, 1))
    if take_principal or take_bonus:
        move(credited.consumer_id, -take_principal, -take_bonus, "recharge_refund", source=("order", order_id),
             note="Recharge refunded", now=now)
    return True
