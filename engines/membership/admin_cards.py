"""/merchant/membership/cards: the shop's paid member cards — each plan's period, list and
first-purchase price, benefits in words, whether it is on sale and how many of its cards run now;
making and changing one, taking it off sale and putting it back, and its activation codes, made in
batches and downloaded as CSV. Views of `engines.membership.admin.bp`; every write goes through
engines.membership.cards and is audited as the Admin API audits it ("card_plan.create",
"card_plan.update", "card_plan.codes"); a refusal names each field wrong and writes nothing."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

from flask import Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy import case, func, select
from wtforms import BooleanField, SelectField, StringField

from core.backoffice import record_staff_action, save_form
from core.db import db, utcnow
from core.errors import APIError
from core.forms import ConfirmForm, show_errors
from core.money import Money, MoneyError
from core.spreadsheets import neutralise
from core.staff_session import permission_required
from engines.membership.admin import (MANAGE, MOST_DISCOUNT, MOST_MULTIPLIER, _decimal, bp, discount_in_words,
                                      multiplier_in_words)
from engines.membership.cards import (MAX_BATCH, PLAN_FIELDS, create_plan, find_plan, make_card_codes, plans,
                                      update_plan)
from engines.membership.models import CardCode, CardPeriod, CardPlan, MemberCard

SHOWN_CODES = 60  # codes of a batch shown on the page; the CSV has them all
_DECIMAL = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,2})?")
_WHOLE = re.compile(r"[0-9][0-9,]{0,9}")

PERIOD_WORDS = {CardPeriod.MONTH: _l("A month"), CardPeriod.QUARTER: _l("A quarter (3 months)"),
                CardPeriod.YEAR: _l("A year"), CardPeriod.PERMANENT: _l("Permanent: never ends")}
SALE = {"off": False, "on": True}  # the button's action → whether the plan is on sale after
RENAMED = {"discount_bp": "discount", "points_multiplier_bp": "multiplier"}  # the service's names → the form's


class PlanForm(FlaskForm):
    # The service checks the rules, so that one save names every field that is wrong.
    name = StringField(_l("Name"), render_kw={"maxlength": 40}, description=_l("As members see it, e.g. Gold card"))
    period = SelectField(_l("Runs for"), default=CardPeriod.YEAR.value,
                         choices=lambda: [(period.value, words) for period, words in PERIOD_WORDS.items()])
    price = StringField(_l("Price"), render_kw={"inputmode": "decimal"}, description=_l("e.g. 19.90"))
    first_price = StringField(_l("First-purchase price"), render_kw={"inputmode": "decimal"},
                              description=_l("For a member's first card of the shop; blank for the price"))
    discount = StringField(_l("Discount on every item (%)"), default="0", render_kw={"inputmode": "decimal"},
                           description=_l("e.g. 10; 0 for none"))
    free_shipping = BooleanField(_l("Free delivery"), default=False)
    multiplier = StringField(_l("Points multiplier"), default="1", render_kw={"inputmode": "decimal"},
                             description=_l("On the points orders earn: 1 as usual, 2 for twice as many"))


class CodesForm(FlaskForm):
    count = StringField(_l("How many codes"), default="10", render_kw={"inputmode": "numeric"},
                        description=_l("1 to %(most)s at a time", most=f"{MAX_BATCH:,}"))
    batch = StringField(_l("Batch name"), render_kw={"maxlength": 40},
                        description=_l("To find them again, e.g. Spring fair"))


# -- what staff read ------------------------------------------------------------------------------

def money_in_words(amount: int) -> str:
    return Money(amount, g.shop.currency).format()


def period_in_words(plan: CardPlan) -> str:
    return str({CardPeriod.MONTH: _l("1 month"), CardPeriod.QUARTER: _l("3 months"), CardPeriod.YEAR: _l("1 year"),
                CardPeriod.PERMANENT: _l("Permanent")}.get(CardPeriod(plan.period), plan.period))


def benefits_in_words(plan: CardPlan) -> str:
    """"10% off, free delivery, ×2 points"; "—" for a card that gives nothing."""
    given = []
    if plan.discount_bp:
        given.append(discount_in_words(plan.discount_bp))
    if plan.free_shipping:
        given.append(_("free delivery"))
    if plan.points_multiplier_bp != 10_000:
        given.append(_("%(times)s points", times=multiplier_in_words(plan.points_multiplier_bp)))
    return ", ".join(given) or "—"


WORDS = {"money": money_in_words, "period": period_in_words, "benefits": benefits_in_words}


def running_cards() -> dict[int, int]:
    """How many cards run now, by plan id."""
    now = utcnow()
    return dict(db.session.execute(
        select(MemberCard.plan_id, func.count()).where(MemberCard.starts_at <= now,
                                                       (MemberCard.ends_at.is_(None)) | (MemberCard.ends_at > now))
        .group_by(MemberCard.plan_id)).all())


def batches_of(plan: CardPlan) -> list[tuple[str, int, int]]:
    """The plan's batches of codes, newest first: name, codes made, codes used."""
    return [tuple(row) for row in db.session.execute(
        select(CardCode.batch, func.count(), func.count(case((CardCode.used_by.is_not(None), 1))))
        .where(CardCode.plan_id == plan.id).group_by(CardCode.batch).order_by(func.max(CardCode.id).desc()))]


# -- the form ---------------------------------------------------------------------------------------

def _typed(form: PlanForm) -> tuple[dict, dict[str, list[str]], set[str]]:
    """The plan's values as the service takes them; what cannot be read, by field; and the fields
    whose service refusals would only repeat another's (a blank first-purchase price is the price)."""
    values: dict = {"name": (form.name.data or "").strip(), "period": form.period.data,
                    "free_shipping": bool(form.free_shipping.data)}
    errors: dict[str, list[str]] = {}
    echoes: set[str] = set()

    def text(field) -> str:
        return (field.data or "").strip()

    def price(field) -> int | None:
        try:
            amount = Money.parse(text(field).replace(",", ""), g.shop.currency).amount
        except MoneyError:
            errors[field.name] = [_("A price such as 19.90.")]
            return None
        if amount <= 0:
            errors[field.name] = [_("More than zero.")]
            return None
        return amount

    if not text(form.price):
        errors["price"] = [_("Give the price, e.g. 19.90.")]
    else:
        values["price"] = price(form.price)
    if text(form.first_price):
        values["first_price"] = price(form.first_price)
    else:
        values["first_price"] = values.get("price")
        echoes.add("first_price")
    discount = text(form.discount).rstrip("%").strip() or "0"
    if _DECIMAL.fullmatch(discount) and Decimal(discount) <= MOST_DISCOUNT:
        values["discount_bp"] = int(Decimal(discount) * 100)
    else:
        errors["discount"] = [_("A percentage from 0 to %(most)s, e.g. 10 or 7.5.", most=MOST_DISCOUNT)]
    multiplier = text(form.multiplier).lstrip("x×").strip() or "1"
    if _DECIMAL.fullmatch(multiplier) and Decimal(multiplier) <= MOST_MULTIPLIER:
        values["points_multiplier_bp"] = int(Decimal(multiplier) * 10_000)
    else:
        errors["multiplier"] = [_("A number from 0 to %(most)s, e.g. 1 or 2.", most=MOST_MULTIPLIER)]
    return values, errors, echoes


def _saved_through(form: PlanForm, save) -> CardPlan:
    """`save(values)` with what the form says; a refusal naming every field that is wrong — what
    cannot be read first, then the service's refusals (save_form rolls back anything made)."""
    values, errors, echoes = _typed(form)
    made = None
    try:
        made = save({name: value for name, value in values.items() if value is not None})
    except APIError as error:
        for name, messages in error.fields.items():
            if name not in echoes:
                errors.setdefault(RENAMED.get(name, name), list(messages))
    if errors:
        raise APIError("invalid_input", fields=errors)
    return made


def _filled(plan: CardPlan) -> PlanForm:
    """The form of a plan as saved, or as posted."""
    if request.method == "POST" and request.endpoint == "membership_admin.edit_card_plan":
        return PlanForm()
    currency = g.shop.currency
    return PlanForm(formdata=None, data={
        "name": plan.name, "period": str(plan.period), "free_shipping": plan.free_shipping,
        "price": str(Money(plan.price, currency).to_decimal()),
        "first_price": str(Money(plan.first_price, currency).to_decimal()),
        "discount": _decimal(plan.discount_bp, 100), "multiplier": _decimal(plan.points_multiplier_bp, 10_000)})


def _status(*forms: FlaskForm) -> int:
    return 400 if any(form.errors or form.form_errors for form in forms) else 200


def _plan(plan_id: int) -> CardPlan:
    try:
        return find_plan(plan_id)
    except APIError:
        abort(404, description=_("There is no such member card."))


def _edit_page(plan: CardPlan, form: PlanForm, codes_form: CodesForm):
    shown = request.args.get("batch")
    made = []
    if shown:
        made = list(db.session.scalars(select(CardCode.code).where(CardCode.plan_id == plan.id, CardCode.batch == shown)
                                       .order_by(CardCode.id).limit(SHOWN_CODES)))
    return render_template("membership/card_plan_form.html", form=form, plan=plan, codes_form=codes_form,
                           batches=batches_of(plan), shown=shown if made else None, made=made,
                           shown_most=SHOWN_CODES, action_form=ConfirmForm(), words=WORDS), _status(form, codes_form)


# -- views ------------------------------------------------------------------------------------------

@bp.get("/cards")
@permission_required(MANAGE)
def cards():
    return render_template("membership/card_plans.html", plans=plans(), running=running_cards(),
                           action_form=ConfirmForm(), words=WORDS)


@bp.route("/cards/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_card_plan():
    form = PlanForm()
    if form.validate_on_submit():
        done = save_form(form, lambda: _saved_through(form, lambda values: create_plan(**values)),
                         audit_as=lambda made: ("card_plan.create", f"card_plan {made.id}", {"name": made.name}),
                         saved=lambda made: _("Member card %(name)s saved.", name=made.name),
                         then=lambda made: url_for(".cards"))
        if done:
            return done
    return render_template("membership/card_plan_form.html", form=form, plan=None, words=WORDS), _status(form)


@bp.route("/cards/<int:plan_id>", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit_card_plan(plan_id: int):
    plan = _plan(plan_id)
    form = _filled(plan)
    if form.validate_on_submit():
        before = {name: getattr(plan, name) for name in PLAN_FIELDS}
        done = save_form(form, lambda: _saved_through(form, lambda values: update_plan(plan, **values)),
                         audit_as=lambda made: ("card_plan.update", f"card_plan {made.id}",
                                                {"fields": [name for name in PLAN_FIELDS
                                                            if getattr(made, name) != before[name]]}),
                         saved=lambda made: _("Member card %(name)s saved.", name=made.name),
                         then=lambda made: url_for(".cards"))
        if done:
            return done
        plan = _plan(plan_id)  # the refused change was rolled back: the plan as it is
    return _edit_page(plan, form, CodesForm(formdata=None))


@bp.post("/cards/<int:plan_id>/sale")
@permission_required(MANAGE)
def card_plan_sale(plan_id: int):
    """Take the plan off sale or put it back (the form's `action`), audited as the Admin API's
    change of "active"; back to the list."""
    plan = _plan(plan_id)
    action = request.form.get("action")
    if not ConfirmForm().validate_on_submit() or action not in SALE:
        abort(400, description=_("The form expired; reload the page and try again."))
    active = SALE[action]
    if plan.active != active:
        update_plan(plan, active=active)
        record_staff_action("card_plan.update", f"card_plan {plan.id}", {"fields": ["active"]})
        db.session.commit()
    flash(_("%(name)s is on sale again.", name=plan.name) if active else
          _("%(name)s is off sale: no one can buy it now; cards held keep running.", name=plan.name), "success")
    return redirect(url_for(".cards"))


@bp.post("/cards/<int:plan_id>/codes")
@permission_required(MANAGE)
def card_plan_codes(plan_id: int):
    """A batch of activation codes, audited; back to the plan's page showing them, with the CSV
    to download. A refusal names the field wrong and makes none."""
    plan = _plan(plan_id)
    codes_form = CodesForm()
    if codes_form.validate_on_submit():
        count = (codes_form.count.data or "").strip()
        batch = (codes_form.batch.data or "").strip()
        try:
            if not _WHOLE.fullmatch(count):
                raise APIError("invalid_input", fields={"count": [_("A whole number of codes, e.g. 100.")]})
            made = make_card_codes(plan, int(count.replace(",", "")), batch)
        except APIError as error:
            db.session.rollback()
            show_errors(codes_form, error)
        else:
            record_staff_action("card_plan.codes", f"card_plan {plan.id}", {"count": len(made), "batch": batch})
            db.session.commit()
            flash(ngettext("%(num)s code made in batch %(batch)s.", "%(num)s codes made in batch %(batch)s.",
                           len(made), batch=batch), "success")
            return redirect(url_for(".edit_card_plan", plan_id=plan.id, batch=batch) + "#codes")
    elif codes_form.csrf_token.errors:
        codes_form.form_errors.append(_("The form expired; reload the page and try again."))
    plan = _plan(plan_id)
    return _edit_page(plan, _filled(plan), codes_form)


@bp.get("/cards/<int:plan_id>/codes.csv")
@permission_required(MANAGE)
def card_plan_codes_csv(plan_id: int):
    """The plan's codes (of the ?batch= batch, or all) as CSV: code, batch."""
    plan = _plan(plan_id)
    batch = request.args.get("batch")
    statement = select(CardCode.code, CardCode.batch).where(CardCode.plan_id == plan.id).order_by(CardCode.id)
    if batch is not None:
        statement = statement.where(CardCode.batch == batch)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["code", "batch"])
    writer.writerows((code, neutralise(name)) for code, name in db.session.execute(statement))
    named = re.sub(r"[^A-Za-z0-9._-]+", "-", batch or "all").strip("-") or "batch"
    return Response(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename={g.shop.slug}-card-{plan.id}-{named}.csv"})
