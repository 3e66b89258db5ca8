"""Items exclusive to a tier (a tier's benefit): set through the Admin API or the tier's page in
the back office; checkout refuses them, naming the tier, to a member below it, and takes them from
a member of the tier or above; a deleted tier's items are open to everyone again."""

from __future__ import annotations

from sqlalchemy import select

from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.models import Sku
from engines.membership.tiers import create_tier, delete_tier, find_tier
from tests.admin_api import staff_token
from tests.engines.marketing.admin_pages import audit_actions
from tests.engines.membership.test_points import order_body


def tiers(shop, db_session) -> tuple[int, int]:
    with tenant_scope(shop["tenant"]):
        base, gold = create_tier(name="Member", threshold=0), create_tier(name="Gold", threshold=1000)
        db_session.commit()
        return base.id, gold.id


def item_of(shop, key: str) -> str:
    with tenant_scope(shop["tenant"]):
        return str(db.session.scalar(select(Sku.item_id).where(Sku.id == int(shop[key]))))


def reach(shop, db_session, tier_id: int, growth: int) -> None:
    with tenant_scope(shop["tenant"]):
        from engines.membership.ledger import member_of

        member = member_of(shop["consumer"].id)
        member.growth, member.tier_id = growth, tier_id
        db_session.commit()


def checkout(client, shop):
    return client.post("/api/v1/checkout", json=order_body(shop), headers=shop["headers"])


def test_an_exclusive_item_is_refused_below_its_tier_and_sold_at_it(client, shop, db_session):
    _base, gold = tiers(shop, db_session)
    owner = staff_token(db_session, shop["tenant"])
    url = f"/admin/api/v1/member-tiers/{gold}/exclusive-items"
    assert client.get(url, headers=owner.headers).json == {"item_ids": []}
    tea = item_of(shop, "tea")
    made = client.put(url, json={"item_ids": [tea]}, headers=owner.headers)
    assert made.status_code == 200 and made.json == {"item_ids": [tea]}

    refused = checkout(client, shop)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "tier_exclusive")
    assert refused.json["error"]["message"] == "Tea is for Gold members and above."
    quoted = client.post("/api/v1/checkout/quote", json=order_body(shop), headers=shop["headers"])
    assert quoted.status_code == 409  # the checkout page says so before the order is tried
    without_tea = client.post("/api/v1/checkout", json=order_body(shop, lines=[{"sku_id": shop["cake"], "quantity": 1}]),
                              headers=shop["headers"])
    assert without_tea.status_code == 201  # other items are not touched

    reach(shop, db_session, gold, 1000)
    assert checkout(client, shop).status_code == 201


def test_deleting_the_tier_opens_its_items(client, shop, db_session):
    _base, gold = tiers(shop, db_session)
    owner = staff_token(db_session, shop["tenant"])
    client.put(f"/admin/api/v1/member-tiers/{gold}/exclusive-items", json={"item_ids": [item_of(shop, "tea")]},
               headers=owner.headers)
    assert checkout(client, shop).status_code == 409
    with tenant_scope(shop["tenant"]):
        delete_tier(find_tier(gold))
        db_session.commit()
    assert checkout(client, shop).status_code == 201


def test_an_item_is_exclusive_to_one_tier_and_bad_ids_are_refused(client, shop, db_session, tenant_b, create_consumer):
    from tests.engines.orders.conftest import make_shop

    base, gold = tiers(shop, db_session)
    owner = staff_token(db_session, shop["tenant"])
    tea = item_of(shop, "tea")
    client.put(f"/admin/api/v1/member-tiers/{base}/exclusive-items", json={"item_ids": [tea]}, headers=owner.headers)
    client.put(f"/admin/api/v1/member-tiers/{gold}/exclusive-items", json={"item_ids": [tea]}, headers=owner.headers)
    assert client.get(f"/admin/api/v1/member-tiers/{base}/exclusive-items", headers=owner.headers).json["item_ids"] == []
    other = make_shop(tenant_b, create_consumer)
    db_session.commit()
    theirs = item_of(other, "tea")
    refused = client.put(f"/admin/api/v1/member-tiers/{gold}/exclusive-items", json={"item_ids": [theirs]},
                         headers=owner.headers)
    assert refused.status_code == 422 and "item_ids" in refused.json["error"]["fields"]
    assert client.get(f"/admin/api/v1/member-tiers/{gold}/exclusive-items", headers=owner.headers).json == \
        {"item_ids": [tea]}  # nothing half-written
    for body in ({"item_ids": "1"}, {"item_ids": ["x"]}, {}):
        assert client.put(f"/admin/api/v1/member-tiers/{gold}/exclusive-items", json=body,
                          headers=owner.headers).status_code == 422
    assert client.put("/admin/api/v1/member-tiers/999/exclusive-items", json={"item_ids": []},
                      headers=owner.headers).status_code == 404


def test_the_tier_page_chooses_the_items(client, shop, db_session, create_staff, sign_in, form_post):
    _base, gold = tiers(shop, db_session)
    manager = create_staff(shop["tenant"], "manager")
    sign_in("merchant", manager.email)
    client.get("/merchant/shops")
    page = f"/merchant/membership/tiers/{gold}"
    html = client.get(page).get_data(as_text=True)
    assert "Items only for Gold and above" in html and "Tea" in html and "Cake" in html
    saved = form_post(f"{page}/exclusive-items", {"item_ids": [item_of(shop, "tea"), item_of(shop, "cake")]}, page=page,
                      follow_redirects=True)
    assert saved.status_code == 200 and "2 items are now only for Gold members and above." in saved.get_data(as_text=True)
    assert audit_actions(shop["tenant"], prefix="member_tier") == ["member_tier.exclusive_items"]
    assert checkout(client, shop).status_code == 409
    cleared = form_post(f"{page}/exclusive-items", {}, page=page, follow_redirects=True)
    assert "No item is exclusive to Gold now." in cleared.get_data(as_text=True)
    assert checkout(client, shop).status_code == 201
