"""/merchant/orders: the orders list with filters, an order's detail and timeline, shipping,
readiness, after-sales, a printable packing slip, and the clerk's verification page (核销).
"orders.manage" for the office, "orders.verify" (clerks too) for the verification page."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import or_, select
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from core import audit
from core.db import db
from core.engines import flow_settings
from core.errors import APIError
from core.backoffice import record_staff_action
from core.forms import ConfirmForm, show_errors
from core.ids import parse_id
from core.money import Money, MoneyError
from core.paging import newest_first
from core.staff_session import permission_required, signed_in_identity, staff_actor
from engines.orders.after_sales import after_sales_of, approve, confirm_returned, find_after_sale, reject
from engines.orders.dashboard import code_to_verify, was_paid, with_after_sales
from engines.orders.fulfillment import default_template, format_rules, parse_rules, save_default_template
from engines.orders.lifecycle import (OPEN_AFTER_SALES, advance, cancel_order, clear_flag, find_order, lines_of,
                                     order_for_code, ship, verify_code)
from engines.orders.settings import pickup_number
from engines.orders.models import FulfillmentType, Order, OrderStatus, OrderTransition
from engines.orders.pricing import adjustments_of
from engines.orders.transitions import allowed_events

bp = Blueprint("orders_admin", __name__, url_prefix="/merchant/orders", template_folder="templates")

MANAGE = "orders.manage"
VERIFY = "orders.verify"

STATUS_LABELS = {
    "pending_payment": _l("Awaiting payment"), "paid": _l("Paid"), "awaiting_shipment": _l("To ship"),
    "shipped": _l("Shipped"), "ready_for_pickup": _l("Ready for pickup"), "in_preparation": _l("In preparation"),
    "in_service": _l("In service"), "completed": _l("Completed"), "cancelled": _l("Cancelled"),
    "closed": _l("Closed (refunded)")}
FULFILLMENT_LABELS = {"express": _l("Express"), "same_city": _l("Same-city delivery"), "pickup": _l("Pickup"),
                      "dine_in": _l("Dine-in"), "none": _l("Nothing to carry")}
AFTER_SALES_LABELS = {"waiting": _l("After-sales to answer"), "open": _l("After-sales in progress")}
EVENT_LABELS = {"mark_ready": _l("Mark ready for pickup"), "start_preparation": _l("Start preparing"),
                "start_service": _l("Start the service")}
PAGE = 30


def _actor() -> str:
    return staff_actor()


def _audit(action: str, order: Order, details: dict | None = None) -> None:
    record_staff_action(action, f"order {order.number}", details)


def _day(text: str | None, *, end: bool = False) -> dt.datetime | None:
    """The start (or end) of a day given as YYYY-MM-DD, in the shop's timezone."""
    try:
        day = dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None
    if day is None:
        return None
    start = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(),
                                tzinfo=zoneinfo.ZoneInfo(g.shop.timezone))
    return start.astimezone(dt.UTC)


@bp.get("/")
@permission_required(MANAGE)
def index():
    args = request.args
    statement = select(Order)
    status = args.get("status") if args.get("status") in STATUS_LABELS else None
    fulfillment = args.get("fulfillment") if args.get("fulfillment") in FULFILLMENT_LABELS else None
    if status:
        statement = statement.where(Order.status == status)
    if fulfillment:
        statement = statement.where(Order.fulfillment_type == fulfillment)
    if _day(args.get("from")):
        statement = statement.where(Order.created_at >= _day(args.get("from")))
    if _day(args.get("to")):
        statement = statement.where(Order.created_at < _day(args.get("to"), end=True))
    if args.get("attention"):
        statement = statement.where(Order.attention_at.is_not(None))
    if args.get("paid"):
        statement = statement.where(was_paid())
    if args.get("to_verify"):
        statement = statement.where(code_to_verify())
    if args.get("after_sales") == "waiting":
        statement = statement.where(with_after_sales())
    elif args.get("after_sales") == "open":
        statement = statement.where(with_after_sales(OPEN_AFTER_SALES))
    query = args.get("q", "").strip()[:20]
    if query:
        statement = statement.where(or_(Order.number == query, Order.contact_phone == query))
    orders, next_cursor = newest_first(statement, Order.id, limit=PAGE, before=parse_id(args.get("before")))
    return render_template("orders/index.html", orders=orders, next_cursor=next_cursor, args=args,
                           statuses=STATUS_LABELS, fulfillments=FULFILLMENT_LABELS, after_sales=AFTER_SALES_LABELS,
                           money=_money, tz=zoneinfo.ZoneInfo(g.shop.timezone))


def _money(order: Order, amount: int) -> str:
    return Money(amount, order.currency).format()


@bp.get("/<int:order_id>")
@permission_required(MANAGE)
def detail(order_id: int):
    order = _order(order_id)
    timeline = list(db.session.scalars(select(OrderTransition).where(OrderTransition.order_id == order.id)
                                       .order_by(OrderTransition.at, OrderTransition.id)))
    events = [e for e in allowed_events(order) if e in EVENT_LABELS]
    return render_template("orders/detail.html", order=order, lines=lines_of([order.id])[order.id], timeline=timeline,
                           after_sales=after_sales_of(order.id), adjustments=adjustments_of(order.id),
                           pickup_number=pickup_number(order.number, flow_settings("orders")),
                           events=events, event_labels=EVENT_LABELS,
                           can_ship="ship" in allowed_events(order), can_cancel="cancel" in allowed_events(order),
                           statuses=STATUS_LABELS,
                           fulfillments=FULFILLMENT_LABELS, money=_money, form=ConfirmForm(),
                           tz=zoneinfo.ZoneInfo(g.shop.timezone))


def _order(order_id: int) -> Order:
    try:
        return find_order(order_id)
    except APIError:
        abort(404, description=_("There is no such order."))


def _checked_form() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))


def _attempt(order: Order, action: str, work, success: str, details: dict | None = None):
    """Run a write; a refusal (an illegal move, a bad field) becomes a form message."""
    try:
        work()
    except APIError as error:
        db.session.rollback()
        flash(" ".join(m for ms in error.fields.values() for m in ms) or error.message, "danger")
        return redirect(url_for(".detail", order_id=order.id))
    _audit(action, order, details)
    db.session.commit()
    flash(success, "success")
    return redirect(url_for(".detail", order_id=order.id))


@bp.post("/<int:order_id>/ship")
@permission_required(MANAGE)
def ship_order(order_id: int):
    _checked_form()
    order = _order(order_id)
    carrier, tracking = request.form.get("carrier", ""), request.form.get("tracking_number", "")
    return _attempt(order, "order.ship", lambda: ship(order, carrier=carrier, tracking_number=tracking,
                                                      actor=_actor()),
                    _("Shipped."), {"carrier": carrier, "tracking_number": tracking})


@bp.post("/<int:order_id>/cancel")
@permission_required(MANAGE)
def cancel(order_id: int):
    """Cancel an unpaid order for the buyer (its stock goes back)."""
    _checked_form()
    order = _order(order_id)
    reason = request.form.get("reason", "").strip()[:200] or _("Cancelled by the shop")
    return _attempt(order, "order.cancel", lambda: cancel_order(order, actor=_actor(), reason=reason),
                    _("Order cancelled; its stock is back."), {"reason": reason})


@bp.post("/<int:order_id>/handled")
@permission_required(MANAGE)
def handled(order_id: int):
    """Staff dealt with what the order's alert asked (refunded the buyer another way, say)."""
    _checked_form()
    order = _order(order_id)
    note = order.attention
    return _attempt(order, "order.attention_handled", lambda: clear_flag(order), _("Marked as handled."),
                    {"attention": note})


@bp.post("/<int:order_id>/advance")
@permission_required(MANAGE)
def advance_order(order_id: int):
    _checked_form()
    order = _order(order_id)
    event = request.form.get("event", "")
    return _attempt(order, f"order.{event}"[:40], lambda: advance(order, event, actor=_actor()), _("Done."))


@bp.post("/after-sales/<int:after_sale_id>/<action>")
@permission_required(MANAGE)
def after_sale(after_sale_id: int, action: str):
    _checked_form()
    try:
        found = find_after_sale(after_sale_id)
    except APIError:
        abort(404)
    order = _order(found.order_id)
    note = request.form.get("note", "")
    work = {"approve": lambda: approve(found, note=note), "reject": lambda: reject(found, note=note),
            "received": lambda: confirm_returned(found)}.get(action)
    if work is None:
        abort(404)
    return _attempt(order, f"after_sale.{action}", work, _("After-sales request updated."),
                    {"after_sale": str(found.id)})


class ShippingForm(FlaskForm):
    name = StringField(_l("Name"), default="Standard", validators=[DataRequired(), Length(max=60)])
    basis = SelectField(_l("Charge by"), choices=lambda: [("per_item", _("Number of items")),
                                                          ("per_weight", _("Weight (kg)"))])
    free_above = StringField(_l("Free shipping from (items total)"), validators=[Length(max=20)],
                             description=_l("Leave empty for no free shipping."))
    rules = TextAreaField(_l("Fees"), validators=[DataRequired(), Length(max=4000)], render_kw={"rows": 6},
                          description=_l("One line per rule: regions | first units | fee | each further units | fee. "
                                         "The line without regions is the fee everywhere else, e.g. "
                                         "| 1 | 10.00 | 1 | 2.00"))


@bp.route("/shipping", methods=["GET", "POST"])
@permission_required(MANAGE)
def shipping():
    """The express delivery fees (the shop's default shipping template)."""
    template = default_template()
    form = ShippingForm()
    currency = g.shop.currency
    if request.method == "GET" and template is not None:
        form.name.data, form.basis.data = template.name, template.basis
        form.free_above.data = str(Money(template.free_above, currency).to_decimal()) if template.free_above else ""
        form.rules.data = format_rules(template.rules, currency)
    elif form.validate_on_submit():
        try:
            free = (Money.parse(form.free_above.data, currency).amount if form.free_above.data.strip() else None)
        except MoneyError:
            free = None
            form.free_above.errors = [_("Enter an amount such as 99.00.")]
        if not form.free_above.errors:
            try:
                saved = save_default_template(name=form.name.data, basis=form.basis.data, free_above=free,
                                              rules=parse_rules(form.rules.data, currency))
            except APIError as error:
                db.session.rollback()
                show_errors(form, error)
            else:
                audit.record("shipping.save", actor=signed_in_identity(), tenant_id=g.shop.id,
                             target=f"shipping template {saved.id}", details={"rules": len(saved.rules)},
                             ip=request.remote_addr)
                db.session.commit()
                flash(_("Delivery fees saved."), "success")
                return redirect(url_for(".shipping"))
    failed = request.method == "POST"
    return render_template("orders/shipping.html", form=form), 400 if failed else 200


@bp.get("/<int:order_id>/packing-slip")
@permission_required(MANAGE)
def packing_slip(order_id: int):
    order = _order(order_id)
    return render_template("orders/packing_slip.html", order=order, lines=lines_of([order.id])[order.id],
                           shop=g.shop, fulfillments=FULFILLMENT_LABELS)


@bp.route("/verify", methods=["GET", "POST"])
@permission_required(VERIFY)
def verify():
    """Scan or type a code, see the order, confirm. The preview is a GET; the use is a POST."""
    code = (request.values.get("code") or "").strip()
    order, error, lines = None, None, []
    if request.method == "POST":
        _checked_form()
        try:
            order = verify_code(code, actor=_actor())
            _audit("order.verify", order)
            db.session.commit()
            flash(_("Verified: order %(number)s is complete.", number=order.number), "success")
            return redirect(url_for(".verify"))
        except APIError as refused:
            db.session.rollback()
            error = refused.message
    elif code:
        try:
            order = order_for_code(code)
            lines = lines_of([order.id])[order.id]
        except APIError as refused:
            error = refused.message
    return render_template("orders/verify.html", code=code, order=order, lines=lines, error=error, form=ConfirmForm(),
                           money=_money, fulfillments=FULFILLMENT_LABELS, FulfillmentType=FulfillmentType,
                           OrderStatus=OrderStatus)


from engines.orders import admin_reviews  # noqa: E402,F401  its views, on bp
