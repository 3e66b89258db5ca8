"""The marketing back office under /merchant/marketing: the blueprint of coupons
(engines.marketing.admin_coupons) and order promotions (engines.marketing.admin_promotions), which
register their views on `bp` (imported at the bottom, so `engines.marketing.admin:bp` brings them
all), and what every marketing tool's pages share — the choices a form offers, reading what was
typed, a window and a status in words, the list a page at a time with its figures, and pausing,
resuming and ending. Every view checks "marketing.manage"; every write goes through the engine's
services and is audited."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from decimal import Decimal
from typing import Callable

from flask import Blueprint, abort, flash, g, redirect, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.backoffice import record_staff_action, save_form
from core.db import db, utcnow
from core.errors import APIError
from core.forms import ConfirmForm
from core.ids import parse_id
from core.money import Money, MoneyError
from engines.catalog.services import category_tree, list_for_staff
from engines.marketing.figures import figures_of
from engines.marketing.models import CouponScope, CouponStatus

# The forms' scripts are served from beside the templates: the engine's own static folder is the H5's.
bp = Blueprint("marketing_admin", __name__, url_prefix="/merchant/marketing", template_folder="templates",
               static_folder="templates/marketing/static", static_url_path="/static")

MANAGE = "marketing.manage"
PAGE = 30
ITEMS_OFFERED = 300  # the newest items a form offers to choose from

SCOPES = [("all", _l("Everything")), ("items", _l("Chosen items")), ("categories", _l("Chosen categories"))]
STATUS_LABELS = {"active": _l("Running"), "paused": _l("Paused"), "ended": _l("Ended")}
# Tabler's light badges write in their own colour, too faint on its tint (axe: 2:1 for yellow,
# 4.2:1 for grey): dark words on the tint; green is darkened for every badge (console.css).
BADGES = {"active": "bg-green-lt", "paused": "bg-yellow-lt text-dark", "ended": "bg-secondary-lt text-dark",
          "over": "bg-secondary-lt text-dark", "scheduled": "bg-blue-lt text-dark"}
_PERCENT = re.compile(r"[0-9]{1,2}(?:\.[0-9]{1,2})?")


def shop_zone() -> dt.tzinfo:
    try:
        return zoneinfo.ZoneInfo(g.shop.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def item_choices() -> list[tuple[str, str]]:
    items, _next = list_for_staff(limit=ITEMS_OFFERED)
    return [(str(item.id), item.name) for item in items]


def category_choices() -> list[tuple[str, str]]:
    return [(c["id"], f"{top['name']} / {c['name']}" if c is not top else c["name"])
            for top in category_tree() for c in (top, *top["children"])]


def chosen_scope(form) -> tuple[int, ...]:
    """The items or categories a form's scope names (none for everything)."""
    chosen = form.scope_items.data if form.scope.data == CouponScope.ITEMS.value else \
        form.scope_categories.data if form.scope.data == CouponScope.CATEGORIES.value else []
    return tuple(int(i) for i in chosen or [])


def scope_field(name: str, scope: str, renamed: dict[str, str]) -> str:
    """The form's field a service's field error belongs on (`renamed`: service name → form name)."""
    if name == "scope_ids":
        return "scope_categories" if scope == CouponScope.CATEGORIES.value else "scope_items"
    return renamed.get(name, name)


class Typed:
    """Reads what was typed into a form's fields; what cannot be read is noted in `errors` (by
    field) and read as None."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    @staticmethod
    def text(field) -> str:
        return (field.data or "").strip()

    def refuse(self, field, message: str) -> None:
        self.errors.setdefault(field.name, [message])

    def money(self, field) -> int | None:
        """Minor units of the shop's currency, typed in major units; None when blank or unreadable."""
        if not self.text(field):
            return None
        try:
            return Money.parse(self.text(field), g.shop.currency).amount
        except MoneyError as error:
            self.refuse(field, str(error))
            return None

    def positive_money(self, field) -> int | None:
        amount = self.money(field)
        if amount is not None and amount <= 0:
            self.refuse(field, _("More than zero."))
            return None
        return amount

    def whole(self, field) -> int | None:
        """A whole number, zero or more; None when blank or unreadable."""
        if not self.text(field):
            return None
        if not (self.text(field).isascii() and self.text(field).isdigit() and len(self.text(field)) <= 9):
            self.refuse(field, _("A whole number, e.g. 100."))
            return None
        return int(self.text(field))

    def count(self, field) -> int | None:
        """A whole number above zero; blank is refused too."""
        if not self.text(field):
            self.refuse(field, _("A whole number, e.g. 100."))
            return None
        number = self.whole(field)
        if number is not None and number <= 0:
            self.refuse(field, _("More than zero."))
            return None
        return number

    def percent_bp(self, field) -> int | None:
        if not _PERCENT.fullmatch(self.text(field)) or Decimal(self.text(field)) == 0:
            self.refuse(field, _("A percentage such as 15 or 8.5, below 100."))
            return None
        return int(Decimal(self.text(field)) * 100)

    def day(self, field, *, after: bool) -> dt.datetime | None:
        """The start of the day typed (of the day after it: `after`), in the shop's time zone, in
        UTC; None when blank or unreadable."""
        if not self.text(field):
            return None
        try:
            chosen = dt.datetime.combine(dt.date.fromisoformat(self.text(field)), dt.time())
        except ValueError:
            self.refuse(field, _("A day, e.g. 2025-06-30."))
            return None
        return self._in_shop_zone(field, chosen, days_later=1 if after else 0)

    def moment(self, field) -> dt.datetime | None:
        """A day and a time typed (a datetime-local field: 2025-06-30T20:00), in the shop's time
        zone, in UTC; None when blank or unreadable."""
        if not self.text(field):
            return None
        try:
            chosen = dt.datetime.fromisoformat(self.text(field))
        except ValueError:
            chosen = None
        if chosen is None or chosen.tzinfo is not None:
            self.refuse(field, _("A day and a time, e.g. 2025-06-30 20:00."))
            return None
        return self._in_shop_zone(field, chosen.replace(second=0, microsecond=0))

    def _in_shop_zone(self, field, local: dt.datetime, days_later: int = 0) -> dt.datetime | None:
        if not 2000 <= local.year <= 2998:
            self.refuse(field, _("A day from the year 2000."))
            return None
        return (local + dt.timedelta(days=days_later)).replace(tzinfo=shop_zone()).astimezone(dt.UTC)


def today_starts() -> dt.datetime:
    """The start of the shop's today, in UTC."""
    zone = shop_zone()
    return dt.datetime.combine(utcnow().astimezone(zone).date(), dt.time(), tzinfo=zone).astimezone(dt.UTC)


# -- what staff read -----------------------------------------------------------------------------

def moment_in_words(moment: dt.datetime, *, end: bool = False) -> str:
    """A moment in the shop's time zone: a day when it is the day's start — for an end, the first
    moment it is over, the day before it (its last day) — else the day and the time."""
    local = moment.astimezone(shop_zone())
    if local.time() != dt.time():
        return local.strftime("%Y-%m-%d %H:%M")
    return (local.date() - dt.timedelta(days=1 if end else 0)).isoformat()


def window_in_words(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    """"2030-06-01 – 2030-06-30" (whole days: the first and the last), "2030-06-01 10:00 – 2030-06-01 22:00"."""
    return f"{moment_in_words(starts_at)} – {moment_in_words(ends_at, end=True)}"


def percent_in_words(percent_bp: int) -> str:
    percent = f"{Decimal(percent_bp) / 100:f}"
    return (percent.rstrip("0").rstrip(".") if "." in percent else percent) + "%"


def coverage_in_words(row) -> str:
    """What a coupon or a promotion applies to."""
    if row.scope == CouponScope.ITEMS:
        covered = _("%(n)s chosen item(s)", n=len(row.scope_ids))
    elif row.scope == CouponScope.CATEGORIES:
        covered = _("%(n)s chosen category(ies)", n=len(row.scope_ids))
    else:
        covered = _("Everything")
    if row.excluded_item_ids:
        return _("%(covered)s, never %(n)s item(s)", covered=covered, n=len(row.excluded_item_ids))
    return covered


def status_of(row, *, scheduled: bool = True) -> tuple[str, str]:
    """(label, badge class) of a tool's state as staff read it: running, paused or ended as set;
    running past its end is Over; running before its window (`scheduled`: not a coupon, whose
    copies can be claimed before they can be used) is Scheduled."""
    now = utcnow()
    if row.status == CouponStatus.ACTIVE and row.ends_at is not None and row.ends_at <= now:
        return _("Over"), BADGES["over"]
    if scheduled and row.status == CouponStatus.ACTIVE and row.starts_at is not None and row.starts_at > now:
        return _("Scheduled"), BADGES["scheduled"]
    return str(STATUS_LABELS[row.status.value]), BADGES[row.status.value]


def money_in_words(amount: int | None) -> str:
    return Money(amount or 0, g.shop.currency).format()


# -- what every tool's pages do ------------------------------------------------------------------

def list_page(template: str, rows_of: Callable, **context):
    """A tool's list: one status (?status=) or all, PAGE rows newest first from ?before=, each
    row's figures (one query for the page); the template gets `rows` and `figures` by id."""
    status = request.args.get("status")
    status = status if status in STATUS_LABELS else None
    before = parse_id(request.args.get("before"))
    rows, next_cursor = rows_of(status=status, before=before, limit=PAGE)
    return render_template(template, rows=rows, figures=figures_of(rows), status=status, statuses=STATUS_LABELS,
                           paged=before is not None, next_cursor=next_cursor, **context)


def new_page(form, create: Callable, *, kind: str, saved: str, then: Callable, template: str, **context):
    """A tool's "new" page: posted and valid, what `create()` makes is saved, audited as
    "<kind>.create", and `then(made)` is where it goes with `saved` flashed; otherwise the form
    again (400 when it names something wrong; nothing written)."""
    if form.validate_on_submit():
        done = save_form(form, create, saved=saved, then=then,
                         audit_as=lambda made: (f"{kind}.create", f"{kind} {made.id}", {"name": made.name}))
        if done:
            return done
    return render_template(template, form=form, **context), 400 if form.errors or form.form_errors else 200


def found_or_404(find: Callable, row_id: int, message: str):
    """`find(row_id)` (a service's find, which refuses another shop's id), or a 404 page saying `message`."""
    try:
        return find(row_id)
    except APIError:
        abort(404, description=message)


def pause_resume_end(found, *, kind: str, actions: dict, update: Callable, back: str):
    """Pause, resume or end a tool from its page (the form's `action`, one of `actions`: action →
    (status, what to flash)) through its service's `update`, audited as "<kind>.<action>"; a
    refusal is flashed and changes nothing. Back to `back` either way."""
    action = request.form.get("action")
    if not ConfirmForm().validate_on_submit() or action not in actions:
        abort(400, description=_("The form expired; reload the page and try again."))
    status, done = actions[action]
    try:
        update(found, status=status)
    except APIError as error:
        db.session.rollback()
        flash(" ".join(m for messages in error.fields.values() for m in messages) or error.message, "danger")
        return redirect(back)
    record_staff_action(f"{kind}.{action}", f"{kind} {found.id}", {"name": found.name})
    db.session.commit()
    flash(str(done), "success")
    return redirect(back)


from engines.marketing import admin_coupons, admin_promotions  # noqa: E402,F401  their views, on bp
