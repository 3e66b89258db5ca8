"""/merchant/orders/reviews: the shop's reviews, newest first — when, of which item, on which
order, the stars and the words, whether the storefront shows it — all, only shown or only hidden
ones, a page at a time; and hiding one from the item page or showing it again. Views of
`engines.orders.admin.bp` ("orders.manage"); a change goes through engines.orders.reviews and is
audited as the Admin API audits it ("review.hide", "review.show")."""

from __future__ import annotations

import zoneinfo

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core.backoffice import record_staff_action
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm
from core.ids import parse_id
from core.staff_session import permission_required
from engines.orders.admin import MANAGE, PAGE, bp
from engines.orders.models import Order, OrderLine, Review
from engines.orders.reviews import find_review, list_reviews, set_hidden

SHOWING = {"shown": _l("Shown"), "hidden": _l("Hidden")}  # the filter → its tab
HIDES = {"hide": True, "show": False}  # the button's action → whether the review is hidden after


def _review(review_id: int) -> Review:
    try:
        return find_review(review_id)
    except APIError:
        abort(404, description=_("There is no such review."))


@bp.get("/reviews")
@permission_required(MANAGE)
def reviews():
    showing = request.args.get("showing") if request.args.get("showing") in SHOWING else None
    before = parse_id(request.args.get("before"))
    found, next_cursor = list_reviews(hidden=None if showing is None else showing == "hidden", before=before,
                                      limit=PAGE)
    # what each row names, in one query each however many rows: the line's item, the order's number
    lines = {line.id: line for line in db.session.scalars(
        select(OrderLine).where(OrderLine.id.in_({review.line_id for review in found})))} if found else {}
    numbers = dict(db.session.execute(select(Order.id, Order.number).where(
        Order.id.in_({review.order_id for review in found}))).all()) if found else {}
    return render_template("orders/reviews.html", reviews=found, lines=lines, numbers=numbers, showing=showing,
                           showings=SHOWING, paged=bool(before), next_cursor=next_cursor, form=ConfirmForm(),
                           tz=zoneinfo.ZoneInfo(g.shop.timezone))


@bp.post("/reviews/<int:review_id>")
@permission_required(MANAGE)
def review_visibility(review_id: int):
    """Hide the review from the item page or show it there again (the form's `action`), audited;
    back to the list as it was filtered."""
    review = _review(review_id)
    action = request.form.get("action")
    if not ConfirmForm().validate_on_submit() or action not in HIDES:
        abort(400, description=_("The form expired; reload the page and try again."))
    hidden = HIDES[action]
    if review.hidden != hidden:
        set_hidden(review, hidden)
        record_staff_action(f"review.{action}", f"review {review.id}")
        db.session.commit()
    flash(_("Review hidden: the item page no longer shows it.") if hidden else
          _("Review shown on the item page again."), "success")
    showing = request.form.get("showing")
    return redirect(url_for(".reviews", showing=showing if showing in SHOWING else None,
                            before=parse_id(request.form.get("before"))))
