"""/merchant/membership/automations: the shop's automations (each one's trigger, what it gives,
its quiet hours and cap in words, and how many runs it did and skipped), making and changing one,
pausing and resuming it, and its log — the runs, newest first, a page at a time. Views of
`engines.membership.admin.bp`; every write goes through engines.membership.automations and is
audited as the Admin API audits it ("automation.create", "automation.update"); a refusal names
each field wrong and writes nothing."""

from __future__ import annotations

import re

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField, StringField, TextAreaField

from core.backoffice import record_staff_action, save_form
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm, local_path
from core.ids import parse_id
from core.staff_session import permission_required
from engines.marketing.services import find_coupon, label_of, list_coupons
from engines.membership.admin import MANAGE, WORDS, bp, saved_through
from engines.membership.admin_members import login_of, name_of
from engines.membership.automation_models import Automation, AutomationRun, AutomationStatus, RunStatus, Trigger
from engines.membership.automations import (FIELDS, create_automation, find_automation, list_automations, runs_of,
                                            update_automation)
from engines.membership.members import consumers_of
from engines.membership.tiers import tiers

LOG = 30  # runs a page of the log
COUPONS_OFFERED = 100  # active coupons the form offers, newest first
COUPONS_NAMED = 200  # coupons read at once to name what the list's automations give
_WHOLE = re.compile(r"[0-9][0-9,]{0,9}")

# Each trigger as the form offers it (keyed by value: a trigger without words here still shows,
# as its value, and a test asks for its words).
TRIGGER_WORDS = {"registration": _l("When a customer registers"), "first_order": _l("On their first paid order"),
                 "birthday": _l("On their birthday"), "tier_change": _l("When they reach a tier"),
                 "dormant": _l("After some days without an order"),
                 "points_expiring": _l("When points are about to expire"),
                 "card_ending": _l("When their paid member card is about to end")}
STATUS_WORDS = {AutomationStatus.ACTIVE: (_l("Active"), "bg-green-lt"),
                AutomationStatus.PAUSED: (_l("Paused"), "bg-secondary-lt")}
RUN_WORDS = {RunStatus.WAITING: (_l("Waiting"), "bg-yellow-lt"), RunStatus.DONE: (_l("Done"), "bg-green-lt"),
             RunStatus.SKIPPED: (_l("Skipped"), "bg-secondary-lt")}
ACTIONS = {"pause": (AutomationStatus.PAUSED, _l("Automation paused: it gives nothing until it is resumed.")),
           "resume": (AutomationStatus.ACTIVE, _l("Automation resumed."))}
EDITED = tuple(name for name in FIELDS if name != "status")  # what the form changes


def _hours(blank) -> list[tuple[str, str]]:
    return [("", blank)] + [(str(hour), f"{hour:02d}:00") for hour in range(24)]


class AutomationForm(FlaskForm):
    # Named as the service names its fields, so each of its refusals lands beside its field. The
    # service checks the rules, so that one save names every field that is wrong.
    name = StringField(_l("Name"), render_kw={"maxlength": 60}, description=_l("For you, e.g. Welcome gift"))
    trigger = SelectField(_l("Trigger"), default=Trigger.REGISTRATION.value,
                          choices=lambda: [(t.value, TRIGGER_WORDS.get(t.value, t.value)) for t in Trigger])
    days = StringField(_l("Days without an order"), render_kw={"inputmode": "numeric"},
                       description=_l("Counted from the member's last order, 1 to 365"))
    tier_id = SelectField(_l("Tier reached"), validate_choice=False)
    coupon_id = SelectField(_l("Coupon given"), validate_choice=False,
                            description=_l("A copy of one of the shop's running coupons"))
    points = StringField(_l("Points given"), default="0", render_kw={"inputmode": "numeric"},
                         description=_l("0 for none"))
    message_title = StringField(_l("Message title"), render_kw={"maxlength": 60},
                                description=_l("Put in the member's inbox; blank for no message"))
    message_body = TextAreaField(_l("Message"), render_kw={"maxlength": 500, "rows": 3})
    quiet_start = SelectField(_l("Quiet hours from"), choices=lambda: _hours(_("No quiet hours")), default="")
    quiet_end = SelectField(_l("Quiet hours until"), choices=lambda: _hours("—"), default="")
    cap_count = StringField(_l("Times per member, at most"), default="1", render_kw={"inputmode": "numeric"},
                            description=_l("1 to 100"))
    cap_days = StringField(_l("Within (days)"), default="30", render_kw={"inputmode": "numeric"},
                           description=_l("1 to 365, e.g. once within 30 days"))


# -- what staff read ------------------------------------------------------------------------------

def trigger_in_words(automation: Automation, tier_names: dict[int, str]) -> str:
    trigger = Trigger(automation.trigger)
    if trigger == Trigger.TIER_CHANGE:
        if automation.tier_id is None:
            return _("When their tier changes")
        return _("When they reach %(tier)s", tier=tier_names.get(automation.tier_id, _("a deleted tier")))
    if trigger == Trigger.DORMANT:
        return ngettext("After %(days)s day without an order", "After %(days)s days without an order",
                        automation.days or 0, days=f"{automation.days or 0:,}")
    return str(TRIGGER_WORDS.get(trigger.value, trigger.value))


def gifts_in_words(automation: Automation, coupon_names: dict[int, str]) -> list[str]:
    """What a run gives: the coupon's name, the points, the message's title."""
    gives = []
    if automation.coupon_id is not None:
        gives.append(_("Coupon: %(name)s", name=coupon_names.get(automation.coupon_id, "—")))
    if automation.points:
        gives.append(ngettext("%(points)s point", "%(points)s points", automation.points,
                              points=f"{automation.points:,}"))
    if automation.message_title.strip():
        gives.append(_("Message: %(title)s", title=automation.message_title))
    return gives


def quiet_in_words(automation: Automation) -> str:
    if automation.quiet_start is None or automation.quiet_end is None:
        return "—"
    return f"{automation.quiet_start:02d}:00–{automation.quiet_end:02d}:00"


def cap_in_words(automation: Automation) -> str:
    times = ngettext("%(num)s time", "%(num)s times", automation.cap_count)
    if automation.cap_days == 1:
        return _("%(times)s per day", times=times)
    # Not an ngettext: its singular would lack %(num)s, which one-form languages such as Chinese need.
    return _("%(times)s per %(num)s days", times=times, num=automation.cap_days)


def occasion_in_words(occasion: str) -> str:
    """The run's occasion (what the service keys it by) as staff read it."""
    kind, _sep, rest = occasion.partition(":")
    if kind == "registration":
        return _("Registered")
    if kind == "first_order":
        return _("First paid order")
    if kind == "birthday":
        return _("Birthday %(year)s", year=rest)
    if kind == "tier":
        return _("Tier changed")
    if kind == "expiring":
        return _("Points expiring")
    if kind == "card_ending":
        return _("Member card ending")
    if kind == "dormant" and ":" in rest:
        days, last = rest.split(":", 1)
        return _("%(days)s days after the order of %(day)s", days=days, day=last)
    return occasion


def _tier_names() -> dict[int, str]:
    return {tier.id: tier.name for tier in tiers()}


def _coupon_names(automations: list[Automation]) -> dict[int, str]:
    """The names of the coupons `automations` give: the newest coupons in one query, an older one
    (rare) on its own."""
    wanted = {automation.coupon_id for automation in automations} - {None}
    if not wanted:
        return {}
    newest, _next = list_coupons(limit=COUPONS_NAMED)
    names = {coupon.id: coupon.name for coupon in newest if coupon.id in wanted}
    for coupon_id in wanted - names.keys():
        try:
            names[coupon_id] = find_coupon(coupon_id).name
        except APIError:
            pass
    return names


def _run_counts(automation_id: int | None = None) -> dict[int, dict[str, int]]:
    """Runs by status ("done": 3, …), by automation id: every automation's, or one's (one query)."""
    statement = select(AutomationRun.automation_id, AutomationRun.status, func.count())
    if automation_id is not None:
        statement = statement.where(AutomationRun.automation_id == automation_id)
    counts: dict[int, dict[str, int]] = {}
    for row_id, status, count in db.session.execute(statement.group_by(AutomationRun.automation_id,
                                                                       AutomationRun.status)):
        counts.setdefault(row_id, {})[str(status)] = count
    return counts


def _words() -> dict:
    return {**WORDS, "trigger": trigger_in_words, "gifts": gifts_in_words, "quiet": quiet_in_words,
            "cap": cap_in_words, "occasion": occasion_in_words, "status": lambda a: STATUS_WORDS[a.status],
            "run": lambda run: RUN_WORDS[run.status]}


# -- the form ---------------------------------------------------------------------------------------

def automation_form(automation: Automation | None = None) -> AutomationForm:
    """The form with its choices — the shop's tiers and running coupons (and, when changing one,
    the tier or coupon it has even if no longer offered) — as saved, or as posted."""
    if request.method == "POST" or automation is None:
        form = AutomationForm()
    else:
        form = AutomationForm(data={
            "name": automation.name, "trigger": str(automation.trigger),
            "days": "" if automation.days is None else str(automation.days),
            "tier_id": "" if automation.tier_id is None else str(automation.tier_id),
            "coupon_id": "" if automation.coupon_id is None else str(automation.coupon_id),
            "points": str(automation.points), "message_title": automation.message_title,
            "message_body": automation.message_body,
            "quiet_start": "" if automation.quiet_start is None else str(automation.quiet_start),
            "quiet_end": "" if automation.quiet_end is None else str(automation.quiet_end),
            "cap_count": str(automation.cap_count), "cap_days": str(automation.cap_days)})
    tier_choices = [("", _("Any tier: whenever their tier changes"))] + [(str(t.id), t.name) for t in tiers()]
    coupons, _next = list_coupons(status="active", limit=COUPONS_OFFERED)
    currency = g.shop.currency
    coupon_choices = [("", _("No coupon"))] + [(str(c.id), label_of(c, currency)) for c in coupons]
    if automation is not None:
        if automation.tier_id is not None and all(value != str(automation.tier_id) for value, _label in tier_choices):
            tier_choices.append((str(automation.tier_id), _("A deleted tier")))
        if automation.coupon_id is not None and all(value != str(automation.coupon_id)
                                                    for value, _label in coupon_choices):
            try:
                kept = find_coupon(automation.coupon_id)
                coupon_choices.append((str(kept.id), _("%(coupon)s — no longer running",
                                                       coupon=label_of(kept, currency))))
            except APIError:
                pass
    form.tier_id.choices, form.coupon_id.choices = tier_choices, coupon_choices
    return form


def _typed(form: AutomationForm) -> tuple[dict, dict[str, list[str]]]:
    """The automation's values as the service takes them, and what cannot be read, by field (its
    value left out, so the service's own message for it is not shown as well). The days and the
    tier are read for the trigger that uses them only: hidden fields say nothing."""
    errors: dict[str, list[str]] = {}
    trigger = form.trigger.data
    values: dict = {"name": (form.name.data or "").strip(), "trigger": trigger,
                    "message_title": (form.message_title.data or "").strip(),
                    "message_body": (form.message_body.data or "").strip(), "days": None, "tier_id": None,
                    "coupon_id": None}

    def whole(field, *, blank: int | None = None, message: str) -> None:
        text = (field.data or "").strip().replace(" ", "")
        if not text and blank is not None:
            values[field.name] = blank
        elif _WHOLE.fullmatch(text):
            values[field.name] = int(text.replace(",", ""))
        else:
            errors[field.name] = [message]

    if trigger == Trigger.DORMANT:
        whole(form.days, message=_("Give the days without an order: a whole number from 1 to 365."))
    if trigger == Trigger.TIER_CHANGE and form.tier_id.data:
        values["tier_id"] = parse_id(form.tier_id.data)
        if values["tier_id"] is None:
            errors["tier_id"] = [_("Choose one of the shop's tiers.")]
    if form.coupon_id.data:
        values["coupon_id"] = parse_id(form.coupon_id.data)
        if values["coupon_id"] is None:
            errors["coupon_id"] = [_("Choose one of the shop's coupons.")]
    whole(form.points, blank=0, message=_("A whole number of points, e.g. 50; 0 for none."))
    whole(form.cap_count, message=_("How many times at most: a whole number from 1 to 100."))
    whole(form.cap_days, message=_("In how many days: a whole number from 1 to 365."))
    for name in ("quiet_start", "quiet_end"):
        values[name] = int(getattr(form, name).data) if getattr(form, name).data else None
    return values, errors


def _status(form: FlaskForm) -> int:
    return 400 if form.errors or form.form_errors else 200


def _automation(automation_id: int) -> Automation:
    try:
        return find_automation(automation_id)
    except APIError:
        abort(404, description=_("There is no such automation."))


def _form_page(form: AutomationForm, automation: Automation | None):
    return render_template("membership/automation_form.html", form=form, automation=automation,
                           zone=g.shop.timezone), _status(form)


# -- views ------------------------------------------------------------------------------------------

@bp.get("/automations")
@permission_required(MANAGE)
def automations():
    rows = list_automations()
    return render_template("membership/automations.html", rows=rows, tier_names=_tier_names(),
                           coupon_names=_coupon_names(rows), counts=_run_counts(), action_form=ConfirmForm(),
                           words=_words())


@bp.route("/automations/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new_automation():
    form = automation_form()
    if form.validate_on_submit():
        done = save_form(form, lambda: saved_through(_typed(form), lambda values: create_automation(**values)),
                         audit_as=lambda made: ("automation.create", f"automation {made.id}", {"name": made.name}),
                         saved=lambda made: _("Automation %(name)s saved.", name=made.name),
                         then=lambda made: url_for(".automation", automation_id=made.id))
        if done:
            return done
    return _form_page(form, None)


@bp.route("/automations/<int:automation_id>/edit", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit_automation(automation_id: int):
    automation = _automation(automation_id)
    form = automation_form(automation)
    if form.validate_on_submit():
        before = {name: getattr(automation, name) for name in EDITED}
        done = save_form(form, lambda: saved_through(_typed(form), lambda values: update_automation(automation, **values)),
                         audit_as=lambda made: ("automation.update", f"automation {made.id}",
                                                {"fields": [name for name in EDITED
                                                            if getattr(made, name) != before[name]]}),
                         saved=lambda made: _("Automation %(name)s saved.", name=made.name),
                         then=lambda made: url_for(".automation", automation_id=made.id))
        if done:
            return done
        automation = _automation(automation_id)  # the refused change was rolled back: as it is
    return _form_page(form, automation)


@bp.post("/automations/<int:automation_id>/status")
@permission_required(MANAGE)
def automation_status(automation_id: int):
    """Pause or resume (the form's `action`), audited as the Admin API's change of status; back
    to ?next= (the log or the list). A refusal is flashed and changes nothing."""
    automation = _automation(automation_id)
    action = request.form.get("action")
    if not ConfirmForm().validate_on_submit() or action not in ACTIONS:
        abort(400, description=_("The form expired; reload the page and try again."))
    back = local_path(request.args.get("next")) or url_for(".automations")
    status, done = ACTIONS[action]
    try:
        update_automation(automation, status=status)
    except APIError as error:
        db.session.rollback()
        flash(" ".join(m for messages in error.fields.values() for m in messages) or error.message, "danger")
        return redirect(back)
    record_staff_action("automation.update", f"automation {automation.id}", {"fields": ["status"]})
    db.session.commit()
    flash(str(done), "success")
    return redirect(back)


@bp.get("/automations/<int:automation_id>")
@permission_required(MANAGE)
def automation(automation_id: int):
    """The automation's settings and its log: the runs, newest first, LOG a page from ?before=."""
    found = _automation(automation_id)
    before = parse_id(request.args.get("before"))
    runs, next_cursor = runs_of(found.id, before=before, limit=LOG)
    return render_template("membership/automation.html", automation=found, runs=runs, people=consumers_of(runs),
                           tier_names=_tier_names(), coupon_names=_coupon_names([found]),
                           counts=_run_counts(found.id).get(found.id, {}), paged=before is not None,
                           next_cursor=next_cursor,
                           action_form=ConfirmForm(), name_of=name_of, login_of=login_of, words=_words())
