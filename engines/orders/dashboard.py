"""The orders engine's part of the merchant's dashboard: today's sales and orders, what waits for
the shop (orders to ship, codes to verify, after-sales to answer), and sales over the last 7 and
30 days with the most sold items.

"Today" and the chart's days are the shop's, in its timezone. A day's sales are the orders placed
that day and paid (whatever happened to them after), at what the buyer paid; the orders list
shows exactly them with `?paid=1&from=&to=` — each figure's condition below is the one its list
filters by. Four statements whatever the shop's size: the days' sales, the waiting counts, the
top items of each period."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from core.db import db, utcnow
from core.engines import DashboardCard, DashboardPart, DashboardPeriod, DashboardTrend
from core.money import Money
from core.tenancy import current_tenant
from engines.orders.models import AfterSale, AfterSaleStatus, Order, OrderLine, OrderStatus

MANAGE = "orders.manage"
VERIFY = "orders.verify"
PERIODS = (7, 30)
TOP = 5

# After-sales waiting for the shop: a request to approve or reject, goods sent back to confirm.
SHOP_TO_ANSWER = (AfterSaleStatus.REQUESTED, AfterSaleStatus.RETURN_SHIPPED)
# Orders whose code a clerk can still use (an express order with a code is shipped, not verified).
CODE_STATES = (OrderStatus.PAID, OrderStatus.READY_FOR_PICKUP, OrderStatus.IN_PREPARATION, OrderStatus.IN_SERVICE)


def was_paid():
    return Order.paid_at.is_not(None)


def code_to_verify():
    return and_(Order.verification_code.is_not(None), Order.verified_at.is_(None), Order.status.in_(CODE_STATES))


def with_after_sales(statuses=SHOP_TO_ANSWER):
    """Orders with an after-sales request in one of `statuses`."""
    return Order.id.in_(select(AfterSale.order_id).where(AfterSale.status.in_(statuses)))


def day_starts(today: dt.date, days: int, zone: zoneinfo.ZoneInfo) -> list[dt.datetime]:
    """The UTC instants at which each of the last `days` local days starts, and tomorrow starts."""
    first = today - dt.timedelta(days=days - 1)
    return [dt.datetime.combine(first + dt.timedelta(days=i), dt.time(), tzinfo=zone).astimezone(dt.UTC)
            for i in range(days + 1)]


def dashboard() -> DashboardPart:
    """The current shop's figures, trend and top items (engines.orders' `dashboard` reference)."""
    shop = current_tenant()
    zone = zoneinfo.ZoneInfo(shop.timezone)
    today = utcnow().astimezone(zone).date()
    longest = max(PERIODS)
    starts = day_starts(today, longest, zone)
    days = [today - dt.timedelta(days=longest - 1 - i) for i in range(longest)]
    sold = _sales_by_day(starts)
    per_day = [sold.get(i, (0, 0)) for i in range(longest)]  # (paid amount, orders), oldest first
    to_ship, codes, answers = _waiting()

    def money(amount: int) -> str:
        return Money(amount, shop.currency).format()

    def paid_since(first: dt.date) -> str:
        return url_for("orders_admin.index", paid=1, **{"from": first.isoformat(), "to": today.isoformat()})

    cards = (
        DashboardCard(_l("Sales today"), money(per_day[-1][0]), MANAGE, paid_since(today)),
        DashboardCard(_l("Orders today"), str(per_day[-1][1]), MANAGE, paid_since(today), note=_l("Placed and paid")),
        DashboardCard(_l("To ship"), str(to_ship), MANAGE, url_for("orders_admin.index", status="awaiting_shipment")),
        DashboardCard(_l("Codes to verify"), str(codes), VERIFY, url_for("orders_admin.index", to_verify=1),
                      link_permission=MANAGE, note=_l("Pickup, dine-in and services")),
        DashboardCard(_l("After-sales to answer"), str(answers), MANAGE,
                      url_for("orders_admin.index", after_sales="waiting")),
    )
    periods = []
    for length in PERIODS:
        first = longest - length
        points = tuple({"day": day.isoformat(), "label": f"{day:%m-%d}",
                        "value": float(Money(amount, shop.currency).to_decimal()), "display": money(amount),
                        "orders": count} for day, (amount, count) in zip(days[first:], per_day[first:]))
        periods.append(DashboardPeriod(days=length, total=money(sum(amount for amount, _n in per_day[first:])),
                                       orders=sum(count for _a, count in per_day[first:]),
                                       url=paid_since(days[first]), points=points,
                                       top=_top_items(starts[first], starts[-1])))
    return DashboardPart(cards=cards, trend=DashboardTrend(_l("Sales"), MANAGE, tuple(periods)))


def _sales_by_day(starts: list[dt.datetime]) -> dict[int, tuple[int, int]]:
    """{day index: (paid amount, orders)} of the days that sold, in one grouped statement (the
    day of an order is found by comparing with each day's start, so DST days are right)."""
    day = case(*((Order.created_at < start, index) for index, start in enumerate(starts[1:-1])),
               else_=len(starts) - 2)
    placed = (select(day.label("day"), Order.total)
              .where(was_paid(), Order.created_at >= starts[0], Order.created_at < starts[-1]).subquery())
    rows = db.session.execute(select(placed.c.day, func.sum(placed.c.total), func.count())
                              .group_by(placed.c.day))
    return {int(index): (int(amount), int(count)) for index, amount, count in rows}


def _waiting() -> tuple[int, int, int]:
    """Orders to ship, codes to verify, orders with after-sales to answer: one statement."""
    answers = select(func.count(func.distinct(AfterSale.order_id))).where(
        AfterSale.status.in_(SHOP_TO_ANSWER)).scalar_subquery()
    row = db.session.execute(
        select(func.coalesce(func.sum(case((Order.status == OrderStatus.AWAITING_SHIPMENT, 1), else_=0)), 0),
               func.coalesce(func.sum(case((code_to_verify(), 1), else_=0)), 0), answers)
        .where(Order.status.in_((OrderStatus.AWAITING_SHIPMENT, *CODE_STATES)))).one()
    return int(row[0]), int(row[1]), int(row[2])


def _top_items(start: dt.datetime, end: dt.datetime) -> tuple[dict, ...]:
    """The items most sold (units) in the orders placed and paid between start and end."""
    units = func.sum(OrderLine.quantity)
    rows = db.session.execute(
        select(OrderLine.item_id, func.max(OrderLine.name), units)
        .join(Order, and_(Order.tenant_id == OrderLine.tenant_id, Order.id == OrderLine.order_id))
        .where(was_paid(), Order.created_at >= start, Order.created_at < end)
        .group_by(OrderLine.item_id).order_by(units.desc(), OrderLine.item_id).limit(TOP))
    return tuple({"name": name, "units": int(count), "label": _("%(units)s sold", units=int(count))}
                 for _item, name, count in rows)
