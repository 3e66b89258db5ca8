"""The template library: listing, starting a shop from a template (with its demo data), the
template end to end (a consumer orders and pays, the merchant fulfils, the order completes), and
upgrading a shop built on an older template version."""

from __future__ import annotations

import json

import pytest

from core.consumers import issue_token
from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.models import Item
from engines.orders.lifecycle import find_order, ship, verify_code
from engines.orders.models import Order
from engines.stores.models import DiningTable
from runtime.services import get_app, save_draft
from templates_library.registry import INDUSTRIES, templates
from templates_library.services import apply_upgrade, instantiate, upgrade_preview
from tests.engines.orders.test_orders import as_shop, pay, place


@pytest.mark.parametrize("slug", sorted(templates()))
def test_every_template_is_complete_and_valid(app, slug):
    from runtime.document import validate_document

    template = templates()[slug]
    assert template.name and template.description and template.industry and template.engines
    assert template.industry in INDUSTRIES and dict(template.descriptions).get("zh_Hans")  # said in Chinese too
    assert validate_document(template.document())["app"]["template"] == {"slug": slug, "version": template.version}
    for old in (template.folder / "history").glob("*.json"):
        validate_document(template.document(old.stem))
    demo = template.demo()
    assert demo["items"] and demo["stores"]


def test_the_command_line_lists_templates_and_starts_a_shop_from_one(tessera):
    listed = tessera("templates", "list", "--json")
    assert {t["slug"] for t in json.loads(listed.output)} >= {"ecommerce", "ordering"}
    made = tessera("tenants", "create", "noodle-house", "--name", "Noodle House", "--template", "ordering",
                   "--demo-data")
    assert made.exit_code == 0, made.output
    assert "version 1 published" in made.output
    unknown = tessera("tenants", "create", "x-shop", "--name", "X", "--template", "nope")
    assert unknown.exit_code != 0 and "no template 'nope'" in unknown.output
    assert tessera("tenants", "list").output.count("noodle-house") == 1
    assert "x-shop" not in tessera("tenants", "list").output


@pytest.fixture
def shop_from(db_session, create_tenant, create_consumer):
    def make(slug: str) -> dict:
        tenant = create_tenant(f"{slug.replace('_', '-')}-demo")
        with tenant_scope(tenant):
            instantiate(slug, demo_data=True, actor="test")
            db_session.commit()
        consumer = create_consumer(tenant)
        with tenant_scope(tenant):
            token = issue_token(consumer)
            db_session.commit()
        return {"tenant": tenant, "headers": {"Authorization": f"Bearer {token}"}}

    return make


def _sku_of(client, shop, name):
    items = client.get("/api/v1/items?limit=50", headers=shop["headers"]).json["items"]
    return next(item for item in items if item["name"] == name)["skus"][0]["id"]


def test_ecommerce_end_to_end(client, shop_from):
    shop = shop_from("ecommerce")
    home = client.get(f"/s/{shop['tenant'].slug}/").get_data(as_text=True)
    assert "New arrivals" in home and "Linen shirt" in home and "Best sellers" in home
    address = client.post("/api/v1/addresses", headers=shop["headers"], json={
        "name": "Li Lei", "phone": "13800138000", "region": "Shanghai", "line": "2 Nanjing Rd"}).json
    order = place(client, shop, [{"sku_id": _sku_of(client, shop, "Canvas tote"), "quantity": 1}],
                  {"type": "express", "address_id": address["id"]})
    assert order["total"]["amount"] == 5900 + 1000  # below ¥99: the template's ¥10 delivery fee
    pay(client, shop, order)
    with tenant_scope(shop["tenant"]):
        ship(find_order(int(order["id"])), carrier="SF", tracking_number="SF1", actor="staff:1")
        db.session.commit()
    done = client.post(f"/api/v1/orders/{order['id']}/confirm-receipt", headers=shop["headers"]).json["order"]
    assert done["status"] == "completed"


def test_ordering_end_to_end(client, shop_from):
    shop = shop_from("ordering")
    menu = client.get(f"/s/{shop['tenant'].slug}/").get_data(as_text=True)
    assert "Noodles" in menu and "Dumplings" in menu
    with tenant_scope(shop["tenant"]):
        table = db.session.query(DiningTable).filter_by(name="A3").one().code
    order = place(client, shop, [{"sku_id": _sku_of(client, shop, "Beef noodle soup"), "quantity": 2,
                                  "choices": {"Spiciness": ["Hot"], "Extras": ["Braised egg"]}}],
                  {"type": "dine_in", "table": table})
    assert order["total"]["amount"] == 2 * (3200 + 300) - 600  # the demo's lunch deal: ¥6 off ¥60
    pay(client, shop, order)
    with tenant_scope(shop["tenant"]):
        code = db.session.get(Order, (shop["tenant"].id, int(order["id"]))).verification_code
        assert verify_code(code, actor="staff:1").status.value == "completed"
        db.session.commit()
        assert db.session.query(Item).count() == len(templates()["ordering"].demo()["items"])


def test_points_mall_end_to_end(client, shop_from):
    """Instantiate → earn (the daily sign-in, two tasks, an order's points once its after-sales
    window closes) → redeem a reward wholly in points → the shop fulfils it at the counter."""
    import datetime as dt

    from core.db import utcnow
    from engines.membership.tasks import thaw_due

    shop = shop_from("points_mall")
    headers = shop["headers"]
    home = client.get(f"/s/{shop['tenant'].slug}/").get_data(as_text=True)
    assert "Rewards for you" in home and "Earn points" in home and "My membership" in home
    mall = client.get("/api/v1/points-mall", headers=headers).json["items"]
    assert len(mall) == 14 and all(item["image"] for item in mall)
    assert {item["exclusive_tier"]["name"] for item in mall if item["exclusive_tier"]} == {"Silver", "Gold", "Platinum"}
    with tenant_scope(shop["tenant"]):
        store = client.get("/api/v1/stores", headers=headers).json["stores"][0]["id"]

    def available() -> int:
        return client.get("/api/v1/me/member", headers=headers).json["member"]["points"]["available"]

    assert client.post("/api/v1/me/sign-in", headers=headers).json["sign_in"]["points"] == 10
    assert client.patch("/api/v1/me/member", json={"birthday": "1992-03-04"}, headers=headers).status_code == 200
    assert client.post("/api/v1/me/tasks/profile/claim", headers=headers).json["points"] == 100
    bought = place(client, shop, [{"sku_id": _sku_of(client, shop, "Coffee drip bags"), "quantity": 1}],
                   {"type": "pickup", "store_id": store})
    pay(client, shop, bought)
    with tenant_scope(shop["tenant"]):
        code = db.session.get(Order, (shop["tenant"].id, int(bought["id"]))).verification_code
    as_shop(shop, verify_code, code, actor="staff:1")  # completed: its points thaw after the after-sales window
    assert client.post("/api/v1/me/tasks/first_order/claim", headers=headers).json["points"] == 200
    member = client.get("/api/v1/me/member", headers=headers).json["member"]
    assert member["points"] == {**member["points"], "available": 310, "frozen": 450}  # ¥45 × 10, frozen
    thaw_due(utcnow() + dt.timedelta(days=8))  # past the after-sales window
    assert available() == 760

    cheesecake = next(item for item in mall if item["name"] == "Strawberry cheesecake")
    redeemed = client.post(f"/api/v1/points-mall/{cheesecake['id']}/redeem", headers=headers,
                           json={"quantity": 1, "fulfillment": {"type": "pickup", "store_id": store}})
    assert redeemed.status_code == 201, redeemed.json
    assert redeemed.json["order"]["status"] == "paid" and redeemed.json["order"]["total"]["amount"] == 0
    assert available() == 360
    with tenant_scope(shop["tenant"]):
        code = db.session.get(Order, (shop["tenant"].id, int(redeemed.json["order"]["id"]))).verification_code
        assert verify_code(code, actor="staff:1").status.value == "completed"
        db.session.commit()
    (record,) = client.get("/api/v1/me/redemptions", headers=headers).json["redemptions"]
    assert (record["name"], record["points"], record["status"]) == ("Strawberry cheesecake", 400, "completed")


def served_and_reviewed(client, shop, order: dict, words: str, *, lasting, staff_id=None, photos=()) -> None:
    """The order's booking moved to start in half an hour (its day has come), arrived at and
    completed (by its staff member, with photos); the order completes and its buyer reviews it."""
    import datetime as dt

    from sqlalchemy import select, update

    from engines.booking.attendance import take_step
    from engines.booking.models import Booking

    with tenant_scope(shop["tenant"]):
        booking_id = db.session.scalar(select(Booking.id).where(Booking.order_id == int(order["id"])))
        soon = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=30)
        db.session.execute(update(Booking).where(Booking.id == booking_id).values(starts_at=soon, ends_at=soon + lasting))
        take_step(booking_id, "arrive", actor="staff:1", staff_id=staff_id)
        take_step(booking_id, "complete", actor="staff:1", staff_id=staff_id, photos=list(photos))
        db.session.commit()
    done = client.get(f"/api/v1/orders/{order['id']}", headers=shop["headers"]).json["order"]
    assert done["status"] == "completed"
    reviewed = client.post(f"/api/v1/orders/{order['id']}/reviews", headers=shop["headers"], json={
        "line_id": done["lines"][0]["id"], "rating": 5, "body": words})
    assert reviewed.status_code == 201, reviewed.json


def test_housekeeping_end_to_end(client, shop_from):
    """Instantiate → a consumer picks a service, a free time three days ahead and their address,
    pays → the housekeeper it went to arrives and completes it with a photo → the order completes,
    the consumer reviews it and the review shows on the service."""
    import datetime as dt

    from sqlalchemy import select

    from core.media import upload_media
    from engines.booking.models import Booking
    from tests.engines.booking.conftest import SHANGHAI, at
    from tests.engines.booking.test_booking_admin import png

    shop = shop_from("housekeeping")
    slug, headers = shop["tenant"].slug, shop["headers"]
    home = client.get(f"/s/{slug}/").get_data(as_text=True)
    assert "Popular services" in home and "Our housekeepers" in home and "Wang Fang" in home
    assert "Health certificate" in home and "Daily cleaning · 2 hours" in home
    services = client.get("/api/v1/booking/resources?shape=slot", headers=headers).json["resources"]
    assert len(services) == 9 and all(service["image"] for service in services)
    cleaning = next(service for service in services if service["name"] == "Daily cleaning · 2 hours")
    page = client.get(f"/s/{slug}/p/book?id={cleaning['id']}").get_data(as_text=True)
    assert 'data-ask-address="true"' in page and "Li Min" in page and "Full refund if cancelled 24 hours" in page
    day = dt.datetime.now(SHANGHAI).date() + dt.timedelta(days=3)
    free = client.get("/api/v1/booking/availability", headers=headers, query_string={
        "resource": cleaning["id"], "from": day.isoformat(), "to": day.isoformat()}).json["days"][0]["slots"]
    assert len(free) >= 8 and all(slot["left"] == 1 for slot in free)  # 08:00 to 19:00, one housekeeper a slot
    address = client.post("/api/v1/addresses", headers=headers, json={
        "name": "Li Lei", "phone": "13800138000", "region": "Shanghai Xuhui", "line": "8 Wukang Rd"}).json
    sku = client.get(f"/api/v1/booking/resources/{cleaning['id']}", headers=headers).json["resource"]["skus"][0]["id"]
    order = place(client, shop, [{"sku_id": sku, "quantity": 1, "booking": {"start": at(day, "10:00"),
                                                                            "address_id": address["id"]}}],
                  {"type": "none"})
    assert order["total"]["amount"] == 11800 and order["lines"][0]["booked"] is True
    pay(client, shop, order)
    with tenant_scope(shop["tenant"]):
        booking = db.session.scalar(select(Booking).where(Booking.order_id == int(order["id"])))
        assert booking.address["line"] == "8 Wukang Rd" and booking.staff_id is not None
        photo = f"media:{upload_media(data=png(), filename='done.png', alt='Done').id}"
    served_and_reviewed(client, shop, order, "Spotless kitchen", lasting=dt.timedelta(hours=2),
                        staff_id=booking.staff_id, photos=[photo])
    [done] = client.get("/api/v1/me/bookings", headers=headers).json["bookings"]
    assert done["status"] == "completed" and done["staff_name"] in {"Wang Fang", "Li Min", "Chen Jing"}
    assert [(p["stage"], p["url"].startswith("/") or p["url"].startswith("http")) for p in done["photos"]] == [
        ("completion", True)]  # the photo of the work, for the customer to see
    shown = client.get(f"/api/v1/items/{cleaning['item_id']}/reviews", headers=headers).json
    assert shown["rating"] == {"average": 5.0, "count": 1}


def test_events_end_to_end(client, shop_from):
    """Instantiate → the events listed with their next session and place → a free forum ticket
    (registration answers asked: paid at once, nothing to pay) and a VIP concert ticket (paid) →
    each checked in at the door by its code."""
    shop = shop_from("events")
    slug, headers = shop["tenant"].slug, shop["headers"]
    home = client.get(f"/s/{slug}/").get_data(as_text=True)
    assert "Coming up" in home and "Jazz concert by the river" in home and "Mud &amp; Fire Studio" in home
    cards = home[home.index("Coming up"):]
    listed = [cards.index(name) for name in ("Pottery workshop", "Jazz concert", "Startup forum")]
    assert listed == sorted(listed)  # by their next session: in 4, 9 and 13 days
    events = {event["name"]: event for event in
              client.get("/api/v1/booking/resources?shape=session", headers=headers).json["resources"]}
    assert len(events) == 3 and all(event["image"] for event in events.values())

    def ticket(name: str, kind: str | None, answers: dict) -> dict:
        found = client.get(f"/api/v1/booking/resources/{events[name]['id']}", headers=headers).json["resource"]
        sku = next(s["id"] for s in found["skus"] if kind is None or s["options"].get("Ticket") == kind)
        return place(client, shop, [{"sku_id": sku, "quantity": 1, "booking": {
            "session_id": found["sessions"][0]["id"], "answers": answers}}], {"type": "none"})

    refused = client.post("/api/v1/checkout", headers=headers, json={"lines": [{
        "sku_id": client.get(f"/api/v1/booking/resources/{events['Startup forum: AI in retail']['id']}",
                             headers=headers).json["resource"]["skus"][0]["id"],
        "booking": {"session_id": client.get(f"/api/v1/booking/resources/{events['Startup forum: AI in retail']['id']}",
                                             headers=headers).json["resource"]["sessions"][0]["id"]}}],
        "fulfillment": {"type": "none"}})
    assert refused.status_code == 422 and "booking.answers.name" in refused.json["error"]["fields"]
    forum = ticket("Startup forum: AI in retail", None, {"name": "Li Lei", "phone": "13800138000"})
    assert forum["status"] == "paid" and forum["total"]["amount"] == 0
    concert = ticket("Jazz concert by the river", "VIP", {"name": "Li Lei", "phone": "13800138000"})
    assert concert["total"]["amount"] == 28000
    pay(client, shop, concert)
    for order in (forum, concert):
        with tenant_scope(shop["tenant"]):
            code = db.session.get(Order, (shop["tenant"].id, int(order["id"]))).verification_code
        assert as_shop(shop, verify_code, code, actor="staff:1").status.value == "completed"


def test_homestay_end_to_end(client, shop_from):
    """Instantiate → the rooms listed with their price a night → a Friday and Saturday with
    breakfast priced at the weekend price plus breakfast → paid → checked in and out at the desk →
    reviewed."""
    import datetime as dt


    from tests.engines.booking.conftest import SHANGHAI

    shop = shop_from("homestay")
    slug, headers = shop["tenant"].slug, shop["headers"]
    home = client.get(f"/s/{slug}/").get_data(as_text=True)
    assert "Our rooms" in home and "From ¥388.00 a night" in home and "Family loft suite" in home
    rooms = {room["name"]: room for room in
             client.get("/api/v1/booking/resources?shape=night", headers=headers).json["resources"]}
    garden = client.get(f"/api/v1/booking/resources/{rooms['Garden double room']['id']}",
                        headers=headers).json["resource"]
    breakfast = next(s["id"] for s in garden["skus"] if s["options"]["Rate"] == "With breakfast")
    today = dt.datetime.now(SHANGHAI).date()
    friday = today + dt.timedelta(days=7 + (4 - today.weekday()) % 7)
    nights = client.get("/api/v1/booking/availability", headers=headers, query_string={
        "resource": garden["id"], "from": friday.isoformat(), "to": (friday + dt.timedelta(days=2)).isoformat(),
        "sku_id": breakfast}).json["nights"]
    assert [n["price"]["amount"] for n in nights] == [50800, 50800, 43800] and all(n["left"] == 4 for n in nights)
    order = place(client, shop, [{"sku_id": breakfast, "quantity": 1, "booking": {
        "from": friday.isoformat(), "to": (friday + dt.timedelta(days=2)).isoformat(), "guests": 2}}],
        {"type": "none"})
    assert order["total"]["amount"] == 2 * 50800
    pay(client, shop, order)
    served_and_reviewed(client, shop, order, "Woke up to the tea hills", lasting=dt.timedelta(days=2))


def test_a_shop_on_an_older_template_version_upgrades_keeping_its_edits(db_session, create_tenant):
    tenant = create_tenant("old-shop")
    with tenant_scope(tenant):
        template = templates()["ecommerce"]
        old = template.document("1.0.0")
        old["pages"]["home"]["sections"]["notice"]["settings"]["text"] = "Our own notice"  # the merchant's edit
        save_draft(document=old, revision=get_app().revision)
        result, version = upgrade_preview()
        assert version == template.version and result.conflicts == []
        home = result.document["pages"]["home"]
        assert home["sections"]["notice"]["settings"]["text"] == "Our own notice"
        assert home["sections"]["new"]["settings"]["title"] == "New arrivals"  # the template's change
        assert home["order"][-1] == "best"  # the template's new section
        apply_upgrade(actor="test")
        assert get_app().draft["app"]["template"]["version"] == template.version
        assert upgrade_preview() is None
        db_session.rollback()


def test_the_store_page_shows_the_demo_store(client, shop_from):
    shop = shop_from("ordering")
    page = client.get(f"/s/{shop['tenant'].slug}/p/store").get_data(as_text=True)
    assert "Noodle house" in page and "12 Wulumuqi Road" in page and "021-5555 0123" in page
