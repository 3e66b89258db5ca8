"""The merchant's dashboard: today's sales and orders in the shop's timezone, what waits for the
shop, the 7- and 30-day trend with the most sold items; every figure opens the orders list showing
exactly what it counts; each role sees what it may; an empty shop shows zeros."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import zoneinfo

import pytest

from core.db import db
from core.engines import DashboardPart, engine, load
from core.tenancy import tenant_scope
from engines.orders.after_sales import reject, request_after_sale
from engines.orders.checkout import place_order
from engines.orders.lifecycle import find_order, lines_of, mark_paid, verify_code
from tests.engines.orders.conftest import make_shop

NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)  # Shanghai 20:00; New York 08:00, the day after DST began


def local(tenant, text: str) -> dt.datetime:
    """A wall-clock time in the shop's timezone ("2025-03-10 00:05"), as UTC."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(tenant.timezone)).astimezone(dt.UTC)


def buy(shop, at: str, lines: list[tuple[str, int]], fulfillment: str = "pickup", *, paid: bool = True):
    tenant = shop["tenant"]
    choice = {"pickup": {"type": "pickup", "store_id": shop["store"]},
              "express": {"type": "express", "address_id": shop["address"]}, "none": {"type": "none"}}[fulfillment]
    with tenant_scope(tenant):
        order, _ = place_order(consumer_id=shop["consumer"].id, fulfillment_choice=choice, now=local(tenant, at),
                               lines=[{"sku_id": shop[key], "quantity": quantity} for key, quantity in lines])
        if paid:
            assert mark_paid(order, actor="system", now=local(tenant, at))
        db.session.commit()
    return order


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr("engines.orders.dashboard.utcnow", lambda: NOW)


@pytest.fixture
def shops(db_session, tenant_a, tenant_b, create_consumer, frozen):
    """Alpha (Shanghai, CNY) and Beta (New York, USD) with paid orders on both sides of midnight."""
    a, b = make_shop(tenant_a, create_consumer, stock=20), make_shop(tenant_b, create_consumer, stock=20)
    orders = {
        "early": buy(a, "2025-03-10 00:05", [("tea", 2)]),  # today, just: 25.00, a code to verify
        "late": buy(a, "2025-03-09 23:55", [("tea", 1)], "express"),  # yesterday, just: 12.50 + 10.00, to ship
        "service": buy(a, "2025-03-10 09:00", [("massage", 1)], "none"),  # today: 99.00, asked for a refund
        "unpaid": buy(a, "2025-03-10 10:00", [("cake", 1)], paid=False),  # not a sale
        "week": buy(a, "2025-03-05 12:00", [("cake", 2)]),  # in the 7 days: 16.00, verified below
        "month": buy(a, "2025-02-20 12:00", [("noodles", 1)]),  # in the 30 days only: 22.00
        "old": buy(a, "2025-01-20 12:00", [("cake", 1)]),  # before them
        "b_early": buy(b, "2025-03-10 00:05", [("tea", 1)]),  # New York's today (04:05 UTC): $12.50
        "b_late": buy(b, "2025-03-09 23:55", [("cake", 1)]),  # its yesterday, though 03:55 UTC on the 10th
        "b_dst": buy(b, "2025-03-09 00:30", [("cake", 1)]),  # the 23-hour day's first hour (05:30 UTC)
        "b_before": buy(b, "2025-03-08 23:30", [("cake", 1)]),  # the day before (04:30 UTC on the 9th)
    }
    with tenant_scope(tenant_a):
        service = find_order(orders["service"].id)
        line = lines_of([service.id])[service.id][0].id
        request_after_sale(service, consumer_id=a["consumer"].id, kind="refund",
                           lines=[{"line_id": str(line), "quantity": 1}])
        verify_code(find_order(orders["week"].id).verification_code, actor="staff:1")
        db.session.commit()
    return {"a": a, "b": b, "orders": orders}


def enter(client, sign_in, create_staff, tenant, role: str):
    sign_in("merchant", create_staff(tenant, role).email)
    client.get("/merchant/shops")


def figures(page: str) -> dict[str, tuple[str, str | None]]:
    """{label: (value, link)} of the dashboard's cards."""
    found = {}
    for label, body in re.findall(r'<div class="subheader">([^<]+)</div>\s*(<a [^>]*>[^<]*</a>|<div [^>]*>[^<]*</div>)',
                                  page):
        link = re.search(r'href="([^"]+)"', body)
        found[html.unescape(label)] = (html.unescape(re.sub(r"<[^>]+>", "", body)).strip(),
                                       html.unescape(link.group(1)) if link else None)
    return found


def listed(client, url: str) -> set[int]:
    page = client.get(url)
    assert page.status_code == 200
    return {int(found) for found in re.findall(r'href="/merchant/orders/(\d+)">', page.get_data(as_text=True))}


def chart(page: str) -> dict:
    return json.loads(html.unescape(re.search(r"<script type=\"application/json\" data-chart-data>(.*?)</script>",
                                              page, re.S).group(1)))


def ids(shops, *names) -> set[int]:
    return {shops["orders"][name].id for name in names}


def test_the_owner_sees_today_in_the_shops_timezone_and_each_figure_opens_exactly_its_orders(
        client, shops, sign_in, create_staff, tenant_a):
    enter(client, sign_in, create_staff, tenant_a, "owner")
    page = client.get("/merchant/").get_data(as_text=True)
    shown = figures(page)
    assert shown["Sales today"] == ("¥124.00", "/merchant/orders/?paid=1&from=2025-03-10&to=2025-03-10")
    assert shown["Orders today"] == ("2", "/merchant/orders/?paid=1&from=2025-03-10&to=2025-03-10")
    assert shown["To ship"] == ("1", "/merchant/orders/?status=awaiting_shipment")
    assert shown["Codes to verify"] == ("4", "/merchant/orders/?to_verify=1")
    assert shown["After-sales to answer"] == ("1", "/merchant/orders/?after_sales=waiting")
    assert listed(client, shown["Sales today"][1]) == ids(shops, "early", "service")
    assert listed(client, shown["To ship"][1]) == ids(shops, "late")
    assert listed(client, shown["Codes to verify"][1]) == ids(shops, "early", "service", "month", "old")
    assert listed(client, shown["After-sales to answer"][1]) == ids(shops, "service")

    periods = chart(page)["periods"]
    assert [point["day"] for point in periods["7"]] == [f"2025-03-{day:02d}" for day in range(4, 11)]
    assert len(periods["30"]) == 30 and periods["30"][0]["day"] == "2025-02-09"
    by_day = {point["day"]: (point["display"], point["orders"]) for point in periods["30"]}
    assert by_day["2025-03-10"] == ("¥124.00", 2) and by_day["2025-03-09"] == ("¥22.50", 1)
    assert by_day["2025-03-05"] == ("¥16.00", 1) and by_day["2025-02-20"] == ("¥22.00", 1)
    assert sum(orders for _, orders in by_day.values()) == 5 and periods["7"][-1]["value"] == 124.0
    totals = re.findall(r'<a class="h2 text-reset" href="([^"]+)" data-period-total>([^<]+)</a>', page)
    assert [(html.unescape(url), total) for url, total in totals] == [
        ("/merchant/orders/?paid=1&from=2025-03-04&to=2025-03-10", "¥162.50"),
        ("/merchant/orders/?paid=1&from=2025-02-09&to=2025-03-10", "¥184.50")]
    assert listed(client, html.unescape(totals[0][0])) == ids(shops, "early", "late", "service", "week")
    assert listed(client, html.unescape(totals[1][0])) == ids(shops, "early", "late", "service", "week", "month")
    tops = re.findall(r'<span class="text-truncate me-auto">([^<]+)</span><span class="text-secondary text-nowrap">'
                      r'([^<]+)</span>', page)
    assert tops[:3] == [("Tea", "3 sold"), ("Cake", "2 sold"), ("Massage", "1 sold")]  # the 7 days first
    assert len(tops) == 3 + 4 and ("Noodles", "1 sold") in tops[3:]


def test_the_other_shop_counts_its_own_days_across_daylight_saving(client, shops, sign_in, create_staff, tenant_b):
    enter(client, sign_in, create_staff, tenant_b, "manager")
    page = client.get("/merchant/").get_data(as_text=True)
    shown = figures(page)
    assert shown["Sales today"] == ("$12.50", "/merchant/orders/?paid=1&from=2025-03-10&to=2025-03-10")
    assert shown["Orders today"][0] == "1" and shown["To ship"][0] == "0" and shown["After-sales to answer"][0] == "0"
    assert listed(client, shown["Sales today"][1]) == ids(shops, "b_early")
    by_day = {point["day"]: (point["display"], point["orders"]) for point in chart(page)["periods"]["7"]}
    assert by_day["2025-03-10"] == ("$12.50", 1)
    assert by_day["2025-03-09"] == ("$16.00", 2)  # 23:55 and 00:30 of the 23-hour day
    assert by_day["2025-03-08"] == ("$8.00", 1)
    assert listed(client, "/merchant/orders/?paid=1&from=2025-03-09&to=2025-03-09") == ids(shops, "b_late", "b_dst")
    assert "Massage" not in page and "¥" not in page  # nothing of the other shop


def test_a_clerk_sees_only_the_codes_to_verify(client, shops, sign_in, create_staff, tenant_a):
    enter(client, sign_in, create_staff, tenant_a, "clerk")
    page = client.get("/merchant/").get_data(as_text=True)
    assert figures(page) == {"Codes to verify": ("4", None), "Customers": ("1", None), "Staff": ("1", None)}
    assert "data-chart" not in page and "Top items" not in page and "¥" not in page
    assert "chart.umd.min.js" not in page
    assert client.get("/merchant/orders/?to_verify=1").status_code == 403


def test_an_empty_shop_shows_zeros(client, db_session, sign_in, create_staff, create_tenant, frozen):
    shop = create_tenant("empty-shop", currency="JPY", timezone="Asia/Tokyo")
    enter(client, sign_in, create_staff, shop, "owner")
    response = client.get("/merchant/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    shown = figures(page)
    assert shown["Sales today"][0] == "¥0" and shown["Orders today"][0] == "0"
    assert [shown[label][0] for label in ("To ship", "Codes to verify", "After-sales to answer")] == ["0", "0", "0"]
    periods = chart(page)["periods"]
    assert [point["value"] for point in periods["30"]] == [0.0] * 30
    assert page.count("Nothing sold in this period yet.") == 2
    assert listed(client, shown["Sales today"][1]) == set()


def test_the_dashboard_costs_a_fixed_number_of_statements(client, shops, sign_in, create_staff, tenant_a,
                                                          count_queries):
    enter(client, sign_in, create_staff, tenant_a, "owner")
    client.get("/merchant/")
    with count_queries() as many:
        client.get("/merchant/")
    for extra in range(3):
        buy(shops["a"], f"2025-03-0{extra + 1} 12:00", [("cake", 1)])
    with count_queries() as more:
        client.get("/merchant/")
    assert len(many) == len(more) == 7, many  # who, their membership; the orders engine's 4; the customers and staff


def test_the_list_filters_after_sales_waiting_for_the_shop_apart_from_those_in_progress(
        client, shops, sign_in, create_staff, tenant_a):
    with tenant_scope(tenant_a):
        late = find_order(shops["orders"]["late"].id)
        line = lines_of([late.id])[late.id][0].id
        asked = request_after_sale(late, consumer_id=shops["a"]["consumer"].id, kind="refund",
                                   lines=[{"line_id": str(line), "quantity": 1}])
        reject(asked, note="Already packed")  # answered: no longer waiting, nor in progress
        db.session.commit()
    enter(client, sign_in, create_staff, tenant_a, "manager")
    assert listed(client, "/merchant/orders/?after_sales=waiting") == ids(shops, "service")
    assert listed(client, "/merchant/orders/?after_sales=open") == ids(shops, "service")
    assert len(listed(client, "/merchant/orders/?after_sales=anything")) == 7  # an unknown value filters nothing
    page = client.get("/merchant/orders/?after_sales=waiting").get_data(as_text=True)
    assert '<option value="waiting" selected>' in page


def test_the_engine_declares_its_dashboard(app):
    declared = engine("orders").describe()["dashboard"]
    assert declared == "engines.orders.dashboard:dashboard" and callable(load(declared))
    assert DashboardPart().cards == ()
