"""/merchant/membership/recharge-plans and a member's wallet: the shop's recharge plans (what the
member pays, the bonus added, what members see, whether it is on sale, how many paid orders bought
it), making and changing one, taking it off sale and putting it back; whether the shop has stored
value turned on; and a member's statement, newest first, paged by keyset (the member's page shows
its last movements: `wallet_card`). Views of `engines.membership.admin.bp`; every write goes
through engines.membership.wallet and is audited as the Admin API audits it
("recharge_plan.create", "recharge_plan.update"); a refusal names each field wrong and writes
nothing."""

from __future__ import annotations

import re
from decimal import Decimal

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, StringField

from core.backoffice import record_staff_action, save_form
from core.db import db
from core.engines import flow_settings
from core.errors import APIError
from core.forms import ConfirmForm
from core.ids import parse_id
from core.money import Money, exponent
from core.staff_session import permission_required
from engines.membership.admin import MANAGE, bp, local_time, may_open_orders
from engines.membership.admin_members import _member, name_of
from engines.membership.members import consumers_of
from engines.membership.models import RechargePlan, WalletEntry
from engines.membership.wallet import (RECHARGE_KIND, create_recharge_plan, find_recharge_plan, plan_label,
                                       recharge_plans, statement, update_recharge_plan)
from engines.orders.services import Order, OrderLine, OrderStatus
from engines.payments.services import Payment

MOST = 10**10  # minor units: the most wallet.create_recharge_plan takes for what is paid or added
SHOWN = 20  # movements on the member's page; the statement page has them all
STATEMENT_PAGE = 50
FIELDS = ("pay", "bonus", "active")
SALE = {"off": False, "on": True}  # the button's action → whether the plan is on sale after
_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

KINDS = {"recharge": _l("Recharge"), "payment": _l("Paid an order"), "refund": _l("Order refunded"),
         "recharge_refund": _l("Recharge refunded"), "adjustment": _l("Adjusted by staff")}
BALANCE_ORDER = {"principal_first": _l("what they paid in first, then the bonus"),
                 "bonus_first": _l("the bonus first, then what they paid in")}


class RechargePlanForm(FlaskForm):
    pay = StringField(_l("The member pays"), render_kw={"inputmode": "decimal", "autocomplete": "off"},
                      description=_l("e.g. 100"))
    bonus = StringField(_l("Bonus added"), default="0", render_kw={"inputmode": "decimal", "autocomplete": "off"},
                        description=_l("Added to the balance on top of what they pay, e.g. 10; 0 for none"))
    active = BooleanField(_l("On sale: members can buy it"), default=True)


# -- what staff read ------------------------------------------------------------------------------

def money(amount: int) -> str:
    return Money(amount, g.shop.currency).format()


def signed_money(amount: int) -> str:
    """"+¥10.00", "−¥5.00" (a true minus sign); "—" for nothing."""
    if not amount:
        return "—"
    return ("+" if amount > 0 else "−") + money(abs(amount))


WORDS = {"money": money, "label": plan_label}


def times_bought() -> dict[int, int]:
    """How many paid orders bought each recharge plan, by plan id (a recharge line's sku_id): an
    order counts once paid, whatever became of it since, as the orders engine counts paid orders."""
    unpaid = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)
    return dict(db.session.execute(
        select(OrderLine.sku_id, func.count(func.distinct(Order.id)))
        .join(Order, (Order.tenant_id == OrderLine.tenant_id) & (Order.id == OrderLine.order_id))
        .where(OrderLine.kind == RECHARGE_KIND, Order.status.not_in(unpaid)).group_by(OrderLine.sku_id)).all())


def stored_value() -> dict:
    """Whether the shop keeps balances, the order a balance pays in, and whether the signed-in
    staff member may open the designer where it is turned on."""
    settings = flow_settings("membership")
    return {"on": bool(settings["stored_value"]),
            "order": BALANCE_ORDER.get(settings["balance_order"], settings["balance_order"]),
            "designer": g.staff.can("design.edit")}


def _sources(entries: list[WalletEntry]) -> dict[int, tuple[str, str | None]]:
    """What each movement came from, by its id: the order's number and, for staff who may open
    orders, the address of its page (two queries a page however many movements it shows)."""
    payments = {entry.source_id for entry in entries if entry.source_kind == "payment" and entry.source_id}
    order_of = dict(db.session.execute(select(Payment.id, Payment.order_id).where(Payment.id.in_(payments)))
                    .all()) if payments else {}
    orders = {entry.source_id for entry in entries if entry.source_kind == "order" and entry.source_id}
    numbers = dict(db.session.execute(select(Order.id, Order.number).where(Order.id.in_(orders | set(order_of.values()))))
                   .all()) if orders or order_of else {}
    linked = may_open_orders()
    found = {}
    for entry in entries:
        order_id = {"order": entry.source_id, "payment": order_of.get(entry.source_id)}.get(entry.source_kind)
        if order_id in numbers:
            found[entry.id] = (_("Order %(number)s", number=numbers[order_id]),
                               url_for("orders_admin.detail", order_id=order_id) if linked else None)
    return found


def wallet_rows(entries: list[WalletEntry]) -> list[dict]:
    """The movements as staff read them: when, what, each part signed, the balance after (both
    parts), where it came from and the note."""
    sources = _sources(entries)
    return [{"id": entry.id, "when": local_time(entry.created_at), "kind": KINDS.get(entry.kind, entry.kind),
             "principal": signed_money(entry.principal), "bonus": signed_money(entry.bonus),
             "after": money(entry.principal_after + entry.bonus_after),
             "after_parts": _("%(principal)s paid in + %(bonus)s bonus", principal=money(entry.principal_after),
                              bonus=money(entry.bonus_after)),
             "source": sources.get(entry.id),
             # a payment's note is its order's number, as the source says already
             "note": "" if entry.id in sources and entry.note == sources[entry.id][0] else entry.note}
            for entry in entries]


def wallet_card(member) -> dict | None:
    """The member page's "Stored value" card: the balances and the last movements, with whether
    there are more; None when the shop keeps no balances and the member never had one."""
    entries, more = statement(member.consumer_id, limit=SHOWN)
    if not entries and not flow_settings("membership")["stored_value"]:
        return None
    return {"rows": wallet_rows(entries), "more": more is not None, "principal": money(member.balance),
            "bonus": money(member.bonus), "total": money(member.balance + member.bonus)}


# -- the form ---------------------------------------------------------------------------------------

def _amount(field, errors: dict[str, list[str]], *, least: int, blank: int | None) -> int | None:
    """The minor units typed in `field` ("100", "99.50", "1,000"), from `least` to MOST; what is
    wrong goes into `errors` under the field's name."""
    text = (field.data or "").strip().replace(",", "")
    if not text and blank is not None:
        return blank
    if not text:
        errors[field.name] = [_("Give what the member pays, e.g. 100.")]
        return None
    scaled = Decimal(text).scaleb(exponent(g.shop.currency)) if _AMOUNT.fullmatch(text) else None
    if scaled is None or scaled != scaled.to_integral_value():
        errors[field.name] = [_("An amount such as 100 or 99.50.")]
    elif scaled > MOST:
        errors[field.name] = [_("At most %(most)s.", most=money(MOST))]
    elif scaled < least:
        errors[field.name] = [_("More than zero.") if least else _("Zero or more: 0 adds nothing.")]
    else:
        return int(scaled)
    return None


def _saved_through(form: RechargePlanForm, save) -> RechargePlan:
    """`save(values)` with what the form says; a refusal naming every field that cannot be read,
    before anything is written (the service's own refusals name the same fields)."""
    errors: dict[str, list[str]] = {}
    values = {"pay": _amount(form.pay, errors, least=1, blank=None),
              "bonus": _amount(form.bonus, errors, least=0, blank=0), "active": bool(form.active.data)}
    if errors:
        raise APIError("invalid_input", fields=errors)
    return save(values)


def _filled(plan: RechargePlan) -> RechargePlanForm:
    """The form of a plan as saved, or as posted."""
    if request.method == "POST":
        return RechargePlanForm()
    currency = g.shop.currency
    return RechargePlanForm(formdata=None, data={"pay": str(Money(plan.pay, currency).to_decimal()),
                                                 "bonus": str(Money(plan.bonus, currency).to_decimal()),
                                                 "active": plan.active})


def _status(form: FlaskForm) -> int:
    return 400 if form.errors or form.form_errors else 200


def _plan(plan_id: int) -> RechargePlan:
    try:
        return find_recharge_plan(plan_id)
    except APIError:
        abort(404, description=_("There is no such recharge plan."))


def _saved(plan: RechargePlan) -> str:
    return _("Recharge plan saved: pay %(pay)s, get %(gets)s.", pay=money(plan.pay), gets=money(plan.pay + plan.bonus))


# -- views ------------------------------------------------------------------------------------------

@bp.get("/recharge-plans", endpoint="recharge_plans")
@permission_required(MANAGE)
def recharge_plans_page():
    return render_template("membership/recharge_plans.html", plans=recharge_plans(), bought=times_bought(),
                           stored=stored_value(), action_form=ConfirmForm(), words=WORDS)


@bp.route("/recharge-plans/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_recharge_plan():
    form = RechargePlanForm()
    if form.validate_on_submit():
        done = save_form(form, lambda: _saved_through(form, lambda values: create_recharge_plan(**values)),
                         audit_as=lambda made: ("recharge_plan.create", f"recharge_plan {made.id}",
                                                {"pay": made.pay, "bonus": made.bonus}),
                         saved=_saved, then=lambda made: url_for(".recharge_plans"))
        if done:
            return done
    return render_template("membership/recharge_plan_form.html", form=form, plan=None, words=WORDS), _status(form)


@bp.route("/recharge-plans/<int:plan_id>", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit_recharge_plan(plan_id: int):
    plan = _plan(plan_id)
    form = _filled(plan)
    if form.validate_on_submit():
        before = {name: getattr(plan, name) for name in FIELDS}
        done = save_form(form, lambda: _saved_through(form, lambda values: update_recharge_plan(plan, **values)),
                         audit_as=lambda made: ("recharge_plan.update", f"recharge_plan {made.id}",
                                                {"fields": [name for name in FIELDS
                                                            if getattr(made, name) != before[name]]}),
                         saved=_saved, then=lambda made: url_for(".recharge_plans"))
        if done:
            return done
        plan = _plan(plan_id)  # the refused change was rolled back: the plan as it is
    return render_template("membership/recharge_plan_form.html", form=form, plan=plan, words=WORDS), _status(form)


@bp.post("/recharge-plans/<int:plan_id>/sale")
@permission_required(MANAGE)
def recharge_plan_sale(plan_id: int):
    """Take the plan off sale or put it back (the form's `action`), audited as the Admin API's
    change of "active"; back to the list."""
    plan = _plan(plan_id)
    action = request.form.get("action")
    if not ConfirmForm().validate_on_submit() or action not in SALE:
        abort(400, description=_("The form expired; reload the page and try again."))
    active = SALE[action]
    if plan.active != active:
        update_recharge_plan(plan, active=active)
        record_staff_action("recharge_plan.update", f"recharge_plan {plan.id}", {"active": active})
        db.session.commit()
    named = _("Pay %(pay)s, get %(gets)s", pay=money(plan.pay), gets=money(plan.pay + plan.bonus))
    flash(_("%(plan)s is on sale again.", plan=named) if active else
          _("%(plan)s is off sale: no one can buy it now; balances already recharged stay.", plan=named), "success")
    return redirect(url_for(".recharge_plans"))


@bp.get("/members/<int:consumer_id>/wallet")
@permission_required(MANAGE)
def member_wallet(consumer_id: int):
    """A member's whole statement, newest first, STATEMENT_PAGE movements a page (?before= the
    last id of the page before)."""
    member = _member(consumer_id)
    before = parse_id(request.args.get("before"))
    entries, older = statement(consumer_id, before=before, limit=STATEMENT_PAGE)
    page = render_template("membership/member_wallet.html", member=member, rows=wallet_rows(entries), older=older,
                           paged=before is not None, name=name_of(consumers_of([member]).get(consumer_id)),
                           principal=money(member.balance), bonus=money(member.bonus),
                           total=money(member.balance + member.bonus), stored=stored_value())
    db.session.commit()  # the member row, made on first sight
    return page
