"""A member's timeline in the back office: their orders (linking to the order), points, tier
changes and coupons (received and used), newest first, on the member's page."""

from __future__ import annotations

import re

from core.tenancy import tenant_scope
from engines.membership.tiers import create_tier
from tests.engines.marketing.test_coupons import claimed, coupon
from tests.engines.membership.test_points import settings
from tests.engines.orders.test_orders import pay


def test_the_timeline_tells_orders_points_tiers_and_coupons_newest_first(client, shop, db_session, create_staff,
                                                                         sign_in):
    settings(shop, db_session, points_per_unit=1, growth_per_unit=1, freeze_points=False)
    with tenant_scope(shop["tenant"]):
        create_tier(name="Member", threshold=0)
        create_tier(name="Silver", threshold=10)
        db_session.commit()
    copy = claimed(client, shop, coupon(shop, db_session, name="Five off", amount=500, minimum=2000))
    placed = client.post("/api/v1/checkout", headers=shop["headers"], json={
        "lines": [{"sku_id": shop["tea"], "quantity": 2}], "fulfillment": {"type": "pickup", "store_id": shop["store"]},
        "coupon_ids": [copy]})
    assert placed.status_code == 201, placed.json
    order = placed.json["order"]
    pay(client, shop, order)

    manager = create_staff(shop["tenant"], "manager")
    sign_in("merchant", manager.email)
    client.get("/merchant/shops")
    html = client.get(f"/merchant/membership/members/{shop['consumer'].id}").get_data(as_text=True)
    card = html[html.index('id="member-timeline"'):html.index('id="member-timeline"') + 6000]
    moments = re.findall(r'data-moment="(\w+)"', card)
    assert set(moments) == {"order", "points", "tier", "coupon"}, moments
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))
    assert f"Order {order['number']}: ¥20.00, Paid" in text
    assert "+20 points: Order" in text and "Tier: none → Silver" in text  # ¥20 paid: 20 points, 20 growth
    assert "Coupon Five off received" in text and "Coupon Five off used" in text
    assert f'href="/merchant/orders/{order["id"]}"' in card
    assert moments.index("coupon") > 0  # the coupon was received first: below what followed
