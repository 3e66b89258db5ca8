"""/merchant/membership/members/<id>: a member's page — the card, the tags, the points ledger and
the growth entries, newest first — and adjusting their points or growth with a reason (the list
itself, its filters and segments, and the tags form: engines.membership.admin_segments). Views of `engines.membership.admin.bp`; the
adjustments go through engines.membership.members and are audited as the Admin API audits them
("member.points", "member.growth"); a refusal is a form message and writes nothing."""

from __future__ import annotations

import re
from typing import NamedTuple

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField

from core.backoffice import save_form
from core.consumers import Consumer
from core.db import db
from core.errors import APIError
from core.identities import Identity, StaffMember
from core.ids import parse_id
from core.staff_session import permission_required, staff_actor
from engines.membership.admin import MANAGE, WORDS, bp, may_open_orders
from engines.membership.ledger import entries_of
from engines.membership.members import (MOST_ADJUSTED, REASON_MAX, adjust_growth, adjust_points, card_of,
                                        consumers_of, find_member)
from engines.membership.models import GrowthEntry, Member, PointsKind, TierChange
from engines.marketing.services import coupons_of
from engines.orders.services import STATUSES, orders_of
from core.money import Money

PAGE = 30
LEDGER = 20
_SIGNED = re.compile(r"[+-]?[0-9][0-9,]{0,11}")

POINTS_KINDS = {PointsKind.ORDER: _l("Order"), PointsKind.SIGN_IN: _l("Sign-in"), PointsKind.TASK: _l("Task"),
                PointsKind.PROMOTION: _l("Promotion"), PointsKind.BIRTHDAY: _l("Birthday"),
                PointsKind.ADJUSTMENT: _l("Adjusted by staff"), PointsKind.SPENT: _l("Spent at checkout"),
                PointsKind.RETURNED: _l("Given back"), PointsKind.REDEEMED: _l("Redeemed"),
                PointsKind.REVERSED: _l("Taken back (refund)"), PointsKind.EXPIRED: _l("Expired")}
GROWTH_KINDS = {"order": _l("Order"), "sign_in": _l("Sign-in"), "review": _l("Review"),
               "adjustment": _l("Adjusted by staff"),
                "reversed": _l("Taken back (refund)")}


class PointsForm(FlaskForm):
    points_amount = StringField(_l("Points"), render_kw={"inputmode": "numeric", "autocomplete": "off"},
                                description=_l("e.g. 100 to add, -50 to take away"))
    points_reason = StringField(_l("Reason"), render_kw={"maxlength": REASON_MAX},
                                description=_l("Kept in the ledger, e.g. Compensation for a late delivery"))


class GrowthForm(FlaskForm):
    growth_amount = StringField(_l("Growth"), render_kw={"inputmode": "numeric", "autocomplete": "off"},
                                description=_l("e.g. 200 to add, -100 to take away"))
    growth_reason = StringField(_l("Reason"), render_kw={"maxlength": REASON_MAX},
                                description=_l("Kept in the growth ledger"))


# -- what staff read ------------------------------------------------------------------------------

def name_of(consumer: Consumer | None) -> str:
    if consumer is None:
        return "—"
    return consumer.name or consumer.phone or consumer.email or str(consumer.id)


def login_of(consumer: Consumer | None) -> str:
    """The phone and email under the name (what the name already says is not repeated)."""
    if consumer is None:
        return ""
    return " · ".join(login for login in (consumer.phone, consumer.email) if login and login != name_of(consumer))


def _staff_names(actors: set[str]) -> dict[str, str]:
    """"staff:<id>" actors as the email of that staff member (one query for a page)."""
    ids = {parse_id(actor.removeprefix("staff:")) for actor in actors if actor.startswith("staff:")} - {None}
    if not ids:
        return {}
    rows = db.session.execute(select(StaffMember.id, Identity.email).join(Identity, Identity.id ==
                                                                          StaffMember.identity_id)
                              .where(StaffMember.id.in_(ids)))
    return {f"staff:{member_id}": email for member_id, email in rows}


def _member(consumer_id: int) -> Member:
    try:
        return find_member(consumer_id)
    except APIError:
        abort(404, description=_("There is no such customer in this shop."))


# -- views ----------------------------------------------------------------------------------------

def _member_page(consumer_id: int, *, points_form: PointsForm | None = None,
                 growth_form: GrowthForm | None = None, tags_form=None, status: int = 200):
    from engines.membership.admin_segments import TagsForm
    from engines.membership.admin_wallet import wallet_card
    member = _member(consumer_id)
    card = card_of(consumer_id)
    consumer = consumers_of([member]).get(consumer_id)
    points_before, growth_before = parse_id(request.args.get("points_before")), parse_id(request.args.get("growth_before"))
    entries = entries_of(consumer_id, before=points_before, limit=LEDGER + 1)
    growth_query = select(GrowthEntry).where(GrowthEntry.consumer_id == consumer_id)
    if growth_before is not None:
        growth_query = growth_query.where(GrowthEntry.id < growth_before)
    growth = list(db.session.scalars(growth_query.order_by(GrowthEntry.id.desc()).limit(LEDGER + 1)))
    staff = _staff_names({entry.actor for entry in (*entries, *growth)})
    page = render_template(
        "membership/member.html", member=member, card=card, consumer=consumer, name_of=name_of, login_of=login_of,
        entries=entries[:LEDGER], points_next=entries[LEDGER - 1].id if len(entries) > LEDGER else None,
        growth=growth[:LEDGER], growth_next=growth[LEDGER - 1].id if len(growth) > LEDGER else None,
        points_paged=points_before is not None, growth_paged=growth_before is not None,
        points_kinds=POINTS_KINDS, growth_kinds=GROWTH_KINDS, who=lambda actor: staff.get(actor, actor) or "—",
        points_form=points_form or PointsForm(formdata=None), growth_form=growth_form or GrowthForm(formdata=None),
        tags=[tag for tag in (member.tags or "").split(",") if tag],
        tags_form=tags_form or TagsForm(formdata=None, data={"tags": ", ".join(member.tags.split(",")) if member.tags else ""}),
        wallet=wallet_card(member), timeline=timeline(consumer_id), icons=ICONS, words=WORDS)
    return page, status


class Moment(NamedTuple):
    """A line of a member's timeline."""

    at: object
    kind: str  # order, points, tier, coupon: its icon
    text: str
    link: str | None = None


TIMELINE = 30
ICONS = {"order": "receipt", "points": "coins", "tier": "crown", "coupon": "ticket"}


def timeline(consumer_id: int) -> list[Moment]:
    """What happened to the member, newest first: orders, points, tier changes and coupons (the
    newest of each, merged)."""
    orders, _next = orders_of(consumer_id, limit=TIMELINE)
    linked = may_open_orders()  # staff who may not open an order read its number only
    moments = [Moment(order.created_at, "order", _("Order %(number)s: %(total)s, %(status)s", number=order.number,
                                                   total=Money(order.total, order.currency).format(),
                                                   status=STATUSES.get(f"status_{order.status.value}", order.status.value)),
                      url_for("orders_admin.detail", order_id=order.id) if linked else None) for order in orders]
    moments += [Moment(entry.created_at, "points", _("%(amount)s points: %(what)s", amount=f"{entry.amount:+,}",
                                                     what=POINTS_KINDS.get(entry.kind, entry.kind))
                       + (f" · {entry.note}" if entry.note else ""))
                for entry in entries_of(consumer_id, limit=TIMELINE)]
    moments += [Moment(change.at, "tier", _("Tier: %(before)s → %(after)s", before=change.from_tier or _("none"),
                                            after=change.to_tier or _("none")))
                for change in db.session.scalars(select(TierChange).where(TierChange.consumer_id == consumer_id)
                                                 .order_by(TierChange.id.desc()).limit(TIMELINE))]
    for held, coupon in coupons_of(consumer_id, limit=TIMELINE):
        moments.append(Moment(held.claimed_at, "coupon", _("Coupon %(name)s received", name=coupon.name)))
        if held.used_at is not None:
            moments.append(Moment(held.used_at, "coupon", _("Coupon %(name)s used", name=coupon.name)))
    return sorted(moments, key=lambda moment: moment.at, reverse=True)[:TIMELINE]


@bp.get("/members/<int:consumer_id>")
@permission_required(MANAGE)
def member(consumer_id: int):
    page = _member_page(consumer_id)
    db.session.commit()  # the member row, made on first sight
    return page


def _adjusted(consumer_id: int, amount_field, reason_field, adjust, *, points: bool) -> tuple[Member, int, str]:
    """`adjust` (adjust_points or adjust_growth) with what the form says, as the signed-in staff
    member: the member after it, the amount and the reason. 422 naming the form's fields when
    something is wrong or the member has fewer points than taken (save_form rolls back anything
    made)."""
    errors: dict[str, list[str]] = {}
    text = (amount_field.data or "").strip().replace(" ", "")
    amount = int(text.replace(",", "")) if _SIGNED.fullmatch(text) else None
    if amount is None or amount == 0 or abs(amount) > MOST_ADJUSTED:
        errors[amount_field.name] = [_("A whole number, not 0, from -%(most)s to %(most)s: e.g. 100 to add, -50 to "
                                       "take away.", most=f"{MOST_ADJUSTED:,}")]
    reason = (reason_field.data or "").strip()
    if not reason or len(reason) > REASON_MAX:
        errors[reason_field.name] = [_("Say why, in 1 to %(most)s characters.", most=REASON_MAX)]
    if errors:
        raise APIError("invalid_input", fields=errors)
    try:
        return adjust(consumer_id, amount, reason, actor=staff_actor()), amount, reason
    except APIError as error:
        if error.code == "points_insufficient" and points:
            available = find_member(consumer_id).points
            raise APIError("invalid_input", fields={amount_field.name: [
                _("The member has %(n)s points available: take at most that many.", n=f"{available:,}")]}) from None
        names = {"amount": amount_field.name, "reason": reason_field.name}
        raise APIError("invalid_input", fields={names.get(name, name): messages
                                                for name, messages in error.fields.items()}
                       or {amount_field.name: [error.message]}) from None


def _adjust_view(consumer_id: int, *, points: bool):
    _member(consumer_id)  # another shop's customer: 404 before anything is read
    form = PointsForm() if points else GrowthForm()
    amount_field, reason_field = (form.points_amount, form.points_reason) if points else \
        (form.growth_amount, form.growth_reason)
    if form.validate_on_submit():
        kind = "points" if points else "growth"
        done = save_form(
            form, lambda: _adjusted(consumer_id, amount_field, reason_field, adjust_points if points else adjust_growth,
                                    points=points),
            audit_as=lambda done: (f"member.{kind}", f"consumer {consumer_id}", {"amount": done[1], "reason": done[2]}),
            saved=lambda done: _("Points adjusted: %(n)s available now.", n=f"{done[0].points:,}") if points
            else _("Growth adjusted: %(n)s now.", n=f"{done[0].growth:,}"),
            then=lambda done: url_for(".member", consumer_id=consumer_id))
        if done:
            return done
    return _member_page(consumer_id, status=400, **({"points_form": form} if points else {"growth_form": form}))


@bp.post("/members/<int:consumer_id>/points")
@permission_required(MANAGE)
def adjust_member_points(consumer_id: int):
    return _adjust_view(consumer_id, points=True)


@bp.post("/members/<int:consumer_id>/growth")
@permission_required(MANAGE)
def adjust_member_growth(consumer_id: int):
    return _adjust_view(consumer_id, points=False)
