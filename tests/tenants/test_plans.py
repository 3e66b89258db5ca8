"""Plans and quotas: the console makes plans (wrong fields named, every write audited) and puts a
shop on one; the shop then cannot add items, staff or pages beyond it — 403 plan_limit_reached
naming the limit and the plan that lifts it in the Admin API, a message with the way to the plan
page in the back office, nothing written — and sees its usage; the last allowed item is created
once however many requests ask for it at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.plans import Plan
from core.tenancy import Tenant, tenant_scope
from engines.catalog.models import Item
from engines.catalog.services import create_item
from tests.admin_api import staff_token

ITEM = {"kind": "physical", "name": "Tea", "price": 1000, "stock": 5}


def make_plans(db_session) -> tuple[int, int]:
    from tenants.plans import create_plan

    basic = create_plan(slug="basic", name="Basic", price=9900, limits={"items": 3, "staff": 2, "pages": 2},
                        position=1)
    pro = create_plan(slug="pro", name="Pro", price=29900, limits={"items": None, "staff": 20}, position=2)
    db_session.commit()
    return basic.id, pro.id


def on_plan(db_session, tenant, plan_id: int) -> None:
    from tenants.plans import assign_plan

    assign_plan(db_session.get(Tenant, tenant.id), db_session.get(Plan, plan_id))
    db_session.commit()


def items_of(tenant) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(select(func.count()).select_from(Item))


def test_the_console_makes_plans_and_puts_a_shop_on_one(client, db_session, create_identity, sign_in, form_post,
                                                         tenant_a):
    admin = create_identity("root@example.com", platform_admin=True)
    sign_in("console", admin.email)
    wrong = form_post("/console/plans/new", {"name": "", "slug": "Not A Slug", "price": "9.999", "items": "lots"})
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 400 and page.count("invalid-feedback") >= 2 and "lots" in page
    assert db_session.scalar(select(func.count()).select_from(Plan)) == 0
    made = form_post("/console/plans/new", {"name": "Basic", "slug": "basic", "price": "99.00", "currency": "CNY",
                                            "position": "1", "active": "y", "items": "3", "staff": "", "pages": "2"})
    assert made.status_code == 302
    plan = db_session.scalars(select(Plan)).one()
    assert (plan.price, plan.limits) == (9900, {"items": 3, "pages": 2})
    listed = client.get("/console/plans").get_data(as_text=True)
    assert "Basic" in listed and "¥99.00" in listed and "No limit" in listed
    taken = form_post("/console/plans/new", {"name": "Other", "slug": "basic", "price": "1", "currency": "CNY"})
    assert taken.status_code == 400 and "Another plan has this name." in taken.get_data(as_text=True)

    shop = f"/console/tenants/{tenant_a.id}"
    assert form_post(f"{shop}/plan", {"plan_id": str(plan.id)}, page=shop).status_code == 302
    assert db_session.get(Tenant, tenant_a.id).plan_id == plan.id
    seen = client.get(shop).get_data(as_text=True)
    assert 'data-limit="items"' in seen and "0 / 3" in seen
    assert form_post(f"{shop}/plan", {"plan_id": "999"}, page=shop).status_code == 404
    assert client.post(f"{shop}/plan", data={"plan_id": str(plan.id)}).status_code == 400  # no CSRF token
    actions = [a for (a,) in db_session.execute(select(AuditEntry.action).order_by(AuditEntry.at))]
    assert actions.count("plan.create") == 1 and actions.count("tenant.plan") == 1


def test_the_admin_api_refuses_the_item_beyond_the_plan_and_names_the_larger_one(client, db_session, tenant_a):
    basic, _pro = make_plans(db_session)
    on_plan(db_session, tenant_a, basic)
    owner = staff_token(db_session, tenant_a, role="owner")
    for number in range(3):
        made = client.post("/admin/api/v1/items", headers=owner.headers, json={**ITEM, "name": f"Tea {number}"})
        assert made.status_code == 201, made.json
    refused = client.post("/admin/api/v1/items", headers=owner.headers, json=ITEM)
    assert refused.status_code == 403
    error = refused.json["error"]
    assert error["code"] == "plan_limit_reached" and error["message"] == "Items: the Basic plan allows 3. The Pro plan allows more."
    assert (error["limit"], error["allowed"], error["plan"], error["upgrade_to"]) == ("items", 3, "basic", "pro")
    assert items_of(tenant_a) == 3


def test_the_back_office_says_the_plan_is_full_and_shows_the_usage(client, db_session, enter, form_post, tenant_a):
    basic, _pro = make_plans(db_session)
    with tenant_scope(tenant_a):
        for number in range(3):
            create_item(**{**ITEM, "name": f"Tea {number}"})
        db_session.commit()
    on_plan(db_session, tenant_a, basic)
    enter("manager")
    refused = form_post("/merchant/catalog/new", {"kind": "physical", "name": "One more", "price": "9.00",
                                                  "stock": "1", "status": "on_sale", "category_id": ""})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "data-plan-limit" in page and "/merchant/plan" in page
    assert items_of(tenant_a) == 3
    usage = client.get("/merchant/plan").get_data(as_text=True)
    assert "Your plan: Basic" in usage and "3 / 3" in usage and 'data-plan="pro"' in usage
    assert "Full: the Pro plan allows more." in usage
    client.get("/lang/zh_Hans")  # a merchant reading Chinese is told in Chinese
    refused = form_post("/merchant/catalog/new", {"kind": "physical", "name": "One more", "price": "9.00",
                                                  "stock": "1", "status": "on_sale", "category_id": ""})
    assert "商品：Basic套餐最多 3。Pro套餐可容纳更多。" in refused.get_data(as_text=True)


def test_staff_and_pages_count_too(client, db_session, tenant_a, create_identity):
    from core.errors import APIError
    from core.identities import add_staff
    from runtime.services import ensure_app, save_draft

    basic, pro = make_plans(db_session)
    on_plan(db_session, tenant_a, basic)
    with tenant_scope(tenant_a):
        add_staff(identity=create_identity(), role="manager")
        add_staff(identity=create_identity(), role="clerk")
        with pytest.raises(APIError) as refused:
            add_staff(identity=create_identity(), role="clerk")
        assert refused.value.code == "plan_limit_reached" and refused.value.extra["upgrade_to"] == "pro"
        db_session.rollback()
        app = ensure_app(name="Shop")
        document = app.draft
        second = {**document, "pages": {**document["pages"], "about": {"title": "About", "sections": {}, "order": []}}}
        save_draft(document=second, revision=app.revision)
        third = {**second, "pages": {**second["pages"], "more": {"title": "More", "sections": {}, "order": []}}}
        with pytest.raises(APIError) as refused:
            save_draft(document=third, revision=app.revision)
        assert refused.value.extra["limit"] == "pages"
        db_session.rollback()
    on_plan(db_session, tenant_a, pro)  # a larger plan: the pages limit goes, the staff one rises
    with tenant_scope(tenant_a):
        add_staff(identity=create_identity(), role="clerk")


@pytest.mark.live
def test_the_last_allowed_item_is_created_once_when_eight_ask_at_once(live_server):
    from tenants.plans import assign_plan, create_plan
    from tenants.services import create_tenant
    from tests.conftest import http_json

    app = live_server.app
    with app.app_context():
        shop = create_tenant(slug="quota-race", name="Quota race")
        plan = create_plan(slug="ten", name="Ten", price=0, limits={"items": 10})
        assign_plan(shop, plan)
        with tenant_scope(shop):
            for number in range(9):
                create_item(**{**ITEM, "name": f"Tea {number}"})
        db.session.commit()
        owner = staff_token(db.session, shop, role="owner")

    def send(index: int):
        return http_json("POST", f"{live_server.url}/admin/api/v1/items", {**ITEM, "name": f"Rush {index}"},
                         owner.headers)

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(status for status, _ in pool.map(send, range(8)))
    assert statuses == [201] + [403] * 7
    with app.app_context():
        assert items_of(shop) == 10


def test_storage_counts_the_bytes_of_the_shops_pictures(client, db_session, tenant_a):
    import io
    import os

    from PIL import Image

    from core.errors import APIError
    from core.media import upload_media
    from core.plans import usage
    from tenants.plans import create_plan

    def noise() -> bytes:  # about 0.6 MB: random pixels do not compress
        out = io.BytesIO()
        Image.frombytes("RGB", (450, 450), os.urandom(450 * 450 * 3)).save(out, "PNG")
        return out.getvalue()

    small = create_plan(slug="small", name="Small", price=0, limits={"storage": 1}, position=1)
    create_plan(slug="big", name="Big", price=100, limits={"storage": 100}, position=2)
    db_session.commit()
    on_plan(db_session, tenant_a, small.id)
    with tenant_scope(tenant_a):
        upload_media(data=noise(), filename="one.png")
        db_session.commit()
        with pytest.raises(APIError) as refused:
            upload_media(data=noise(), filename="two.png")
        assert (refused.value.extra["limit"], refused.value.extra["upgrade_to"]) == ("storage", "big")
        assert refused.value.message.startswith("Storage (MB): the Small plan allows 1.")
        db_session.rollback()
        [row] = [row for row in usage() if row["name"] == "storage"]
        assert 0.5 <= row["used"] <= 0.7 and row["allowed"] == 1 and not row["full"]


def test_a_shop_takes_only_the_orders_a_month_its_plan_allows(client, db_session, tenant_a, create_consumer):
    from tenants.plans import assign_plan, create_plan
    from tests.engines.orders.conftest import make_shop

    shop = make_shop(tenant_a, create_consumer, stock=20)
    two = create_plan(slug="two", name="Two", price=0, limits={"orders_month": 2}, position=1)
    assign_plan(db_session.get(Tenant, tenant_a.id), two)
    db_session.commit()
    order = {"lines": [{"sku_id": shop["tea"], "quantity": 1}], "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    assert [client.post("/api/v1/checkout", json=order, headers=shop["headers"]).status_code for _ in range(2)] == [
        201, 201]
    refused = client.post("/api/v1/checkout", json=order, headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"], refused.json["error"]["message"]) == (
        403, "plan_limit_reached", "This shop cannot take more orders this month.")
    assert refused.json["error"]["limit"] == "orders_month"
    with tenant_scope(tenant_a):
        from core.plans import usage

        assert {row["name"]: row["used"] for row in usage()}["orders_month"] == 2
        from engines.catalog.models import Sku
        assert db.session.get(Sku, (tenant_a.id, int(shop["tea"]))).stock == 18  # the refused one took none


@pytest.mark.live
def test_the_last_order_of_the_month_is_taken_once_when_eight_ask_at_once(live_server):
    from tenants.plans import assign_plan, create_plan
    from tenants.services import create_tenant
    from tests.conftest import http_json
    from tests.engines.orders.conftest import make_shop

    app = live_server.app
    with app.app_context():
        shop_row = create_tenant(slug="orders-race", name="Orders race")
        assign_plan(shop_row, create_plan(slug="three", name="Three", price=0, limits={"orders_month": 3}))
        db.session.commit()

        def consumer(tenant):
            from core.consumers import register_consumer

            with tenant_scope(tenant):
                return register_consumer(email="racer@example.com", password="password123")

        shop = make_shop(shop_row, consumer, stock=50)
        db.session.commit()
    order = {"lines": [{"sku_id": shop["tea"], "quantity": 1}], "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    assert http_json("POST", f"{live_server.url}/api/v1/checkout", order, shop["headers"])[0] == 201
    assert http_json("POST", f"{live_server.url}/api/v1/checkout", order, shop["headers"])[0] == 201

    def send(_index: int):
        return http_json("POST", f"{live_server.url}/api/v1/checkout", order, shop["headers"])[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sorted(pool.map(send, range(8))) == [201] + [403] * 7


def test_a_plan_leaves_engines_out_everywhere_they_answer(client, db_session, tenant_a, enter, create_consumer,
                                                          create_identity, sign_in, form_post):
    from tenants.plans import assign_plan, create_plan
    from tests.engines.orders.conftest import make_shop

    shop = make_shop(tenant_a, create_consumer)
    basic = create_plan(slug="basic", name="Basic", price=0, limits={}, engines=["articles"], position=1)
    create_plan(slug="pro", name="Pro", price=29900, limits={}, position=2)
    assign_plan(db_session.get(Tenant, tenant_a.id), basic)
    db_session.commit()
    owner = staff_token(db_session, tenant_a, role="owner")

    refused = client.get("/api/v1/coupons", headers=shop["headers"])  # the consumer API
    assert (refused.status_code, refused.json["error"]["limit"], refused.json["error"]["upgrade_to"]) == (
        403, "engine:marketing", "pro")
    assert refused.json["error"]["message"] == "Marketing is not in the Basic plan. The Pro plan includes it."
    assert client.get("/admin/api/v1/coupons", headers=owner.headers).status_code == 403  # the Admin API
    assert client.get("/api/v1/articles", headers=shop["headers"]).status_code == 200  # what the plan has
    assert client.get("/api/v1/items", headers=shop["headers"]).status_code == 200  # in every plan
    enter("owner")
    page = client.get("/merchant/marketing/coupons")  # the back office
    assert page.status_code == 403 and "Marketing is not in the Basic plan" in page.get_data(as_text=True)
    assert "/merchant/billing/" in page.get_data(as_text=True)
    catalog = client.get("/merchant/catalog/").get_data(as_text=True)
    assert "/merchant/articles/" in catalog and "/merchant/marketing/coupons" not in catalog  # the menu: in the plan

    admin = create_identity("root@example.com", platform_admin=True)
    sign_in("console", admin.email)
    shown = client.get(f"/console/plans/{basic.id}").get_data(as_text=True)
    assert 'value="articles" checked' in shown and 'value="marketing">' in shown
    saved = form_post(f"/console/plans/{basic.id}", {"name": "Basic", "slug": "basic", "price": "0", "currency": "CNY",
                                                     "position": "1", "active": "y", "engines_shown": "1",
                                                     "engines": ["articles", "marketing"]})
    assert saved.status_code == 302
    db_session.expire_all()
    assert db_session.get(Plan, basic.id).engines == ["articles", "marketing"]
    assert client.get("/api/v1/coupons", headers=shop["headers"]).status_code == 200
