"""The figures of a coupon, an order promotion and a timed discount — the paid orders they are on,
what those orders came to (GMV), what they took off (cost), and a coupon's copies issued and used —
exact after orders are paid, left unpaid and cancelled; the same in the service, the Admin API
and the back office's lists and pages."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from core.db import db
from core.tenancy import tenant_scope
from engines.marketing.figures import Figures, figures_of
from engines.marketing.models import Coupon, Promotion, TimedDiscount
from tests.admin_api import staff_token
from tests.engines.marketing.test_coupons import body, claimed, coupon
from tests.engines.marketing.test_promotions import promotion
from tests.engines.marketing.test_timed_discounts import discount, item_of
from tests.engines.orders.test_orders import pay

NOW = dt.datetime.now(dt.UTC)


def placed(client, shop, payload) -> dict:
    answer = client.post("/api/v1/checkout", json=payload, headers=shop["headers"])
    assert answer.status_code == 201, answer.json
    return answer.json["order"]


def figures(shop, model, made: str) -> Figures:
    with tenant_scope(shop["tenant"]):
        row = db.session.get(model, (shop["tenant"].id, int(made)), populate_existing=True)
        return figures_of([row])[row.id]


@pytest.fixture
def tools(client, shop, db_session):
    """20 % off the tea and the cake for a day; ¥3 off a spend of ¥20 (which the noodles alone
    reach: lines at a timed discount's price are not counted); a ¥2 coupon, two copies claimed."""
    made = {"discount": discount(shop, db_session, item_ids=[item_of(shop, "tea"), item_of(shop, "cake")],
                                 ends_at=NOW + dt.timedelta(days=1)),
            "promotion": promotion(shop, db_session, tiers=[{"threshold": 2000, "amount_off": 300}]),
            "coupon": coupon(shop, db_session, name="Two off", amount=200, per_consumer_limit=2)}
    made["copies"] = [claimed(client, shop, made["coupon"]) for _ in range(2)]
    return made


def lines(shop, **quantities) -> list[dict]:
    return [{"sku_id": shop[key], "quantity": n} for key, n in quantities.items()]


def test_figures_count_paid_orders_exactly_never_unpaid_or_cancelled_ones(client, shop, db_session, tools):
    # given an order of 2 tea, a cake and noodles with the coupon, paid: tea 25.00 - 5.00, cake
    # 8.00 - 1.60 (two adjustments of the discount), noodles 22.00 - 3.00, then 2.00 off it all
    first = placed(client, shop, body(shop, tools["copies"][0], lines=lines(shop, tea=2, cake=1, noodles=1)))
    assert first["total"]["amount"] == 5500 - 500 - 160 - 300 - 200 == 4340
    pay(client, shop, first)
    # and the same with the other copy, cancelled before it is paid
    cancelled = placed(client, shop, body(shop, tools["copies"][1], lines=lines(shop, tea=2, cake=1, noodles=1)))
    assert client.post(f"/api/v1/orders/{cancelled['id']}/cancel", headers=shop["headers"]).status_code == 200
    # and a tea and noodles never paid, and a cake and noodles paid (8.00 - 1.60 + 22.00 - 3.00)
    placed(client, shop, body(shop, lines=lines(shop, tea=1, noodles=1)))
    last = placed(client, shop, body(shop, lines=lines(shop, cake=1, noodles=1)))
    assert last["total"]["amount"] == 800 - 160 + 2200 - 300 == 2540
    pay(client, shop, last)
    # then each tool counts the two paid orders it is on, what they came to and what it took off
    assert figures(shop, TimedDiscount, tools["discount"]) == Figures(orders=2, gmv=4340 + 2540, cost=660 + 160)
    assert figures(shop, Promotion, tools["promotion"]) == Figures(orders=2, gmv=4340 + 2540, cost=300 + 300)
    # and the coupon its one paid order, two copies issued and one used
    assert figures(shop, Coupon, tools["coupon"]) == Figures(orders=1, gmv=4340, cost=200, issued=2, used=1)


def test_an_order_counts_once_paid_and_a_tool_on_no_paid_order_counts_nothing(client, shop, db_session, tools):
    order = placed(client, shop, body(shop, tools["copies"][0], lines=lines(shop, tea=1, noodles=1)))
    # placed, not paid: nothing yet, though the copy is held
    assert figures(shop, TimedDiscount, tools["discount"]) == Figures()
    assert figures(shop, Coupon, tools["coupon"]) == Figures(issued=2, used=0)
    pay(client, shop, order)
    assert figures(shop, TimedDiscount, tools["discount"]) == Figures(orders=1, gmv=order["total"]["amount"],
                                                                      cost=250)
    # another tool of the same kind on no order counts nothing
    idle = discount(shop, db_session, name="Idle", item_ids=[item_of(shop, "massage")])
    assert figures(shop, TimedDiscount, idle) == Figures()


def _money(amount: int) -> dict:
    return {"amount": amount, "currency": "CNY", "display": f"¥{amount / 100:,.2f}"}


def test_the_admin_api_and_the_back_office_show_the_figures(client, shop, db_session, tools, create_staff, sign_in):
    order = placed(client, shop, body(shop, tools["copies"][0], lines=lines(shop, tea=2, cake=1, noodles=1)))
    pay(client, shop, order)
    # the Admin API answers each tool with its figures, listed and read alike
    token = staff_token(db_session, shop["tenant"])
    api = "/admin/api/v1"
    gmv = _money(4340)
    for path, key, expected in [
            (f"/coupons/{tools['coupon']}", "coupon", {"orders": 1, "gmv": gmv, "cost": _money(200), "issued": 2,
                                                       "used": 1}),
            (f"/promotions/{tools['promotion']}", "promotion", {"orders": 1, "gmv": gmv, "cost": _money(300)}),
            (f"/timed-discounts/{tools['discount']}", "discount", {"orders": 1, "gmv": gmv, "cost": _money(660)})]:
        answer = client.get(api + path, headers=token.headers)
        assert answer.status_code == 200, answer.json
        assert answer.json[key]["figures"] == expected, path
        listed = client.get(api + path.rsplit("/", 1)[0], headers=token.headers).json[key + "s"]
        assert [row["figures"] for row in listed if row["id"] == answer.json[key]["id"]] == [expected], path
    # and the back office's lists and pages
    sign_in("merchant", create_staff(shop["tenant"], "manager").email)
    client.get("/merchant/shops")

    def text(path: str) -> str:
        page = client.get("/merchant/marketing" + path)
        assert page.status_code == 200, path
        return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.get_data(as_text=True))))

    assert "Running 2 / ∞ no limit 1 1 ¥43.40 ¥2.00" in text("/coupons")
    assert "Copies issued 2 Copies used 1 Paid orders 1 Sales ¥43.40 Cost ¥2.00" in text(f"/coupons/{tools['coupon']}")
    assert "Running ¥0.00 / ∞ no limit 1 ¥43.40 ¥3.00" in text("/promotions")
    assert "Paid orders 1 Sales ¥43.40 Cost ¥3.00" in text(f"/promotions/{tools['promotion']}")
    assert "Running 1 ¥43.40 ¥6.60" in text("/discounts")
    assert "Paid orders 1 Sales ¥43.40 Cost ¥6.60" in text(f"/discounts/{tools['discount']}")
