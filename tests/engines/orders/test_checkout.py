"""Checkout through the API: fulfilment choices and their prices, the price steps recorded,
stock reserved, and the Idempotency-Key."""

from __future__ import annotations

import pytest

from core.tenancy import tenant_scope
from engines.catalog.models import Sku
from engines.orders.models import Order, OrderTransition


def checkout(client, shop, lines, fulfillment, **extra):
    return client.post("/api/v1/checkout", json={"lines": lines, "fulfillment": fulfillment, **extra},
                       headers={**shop["headers"], **extra.pop("headers", {})})


def stock_of(tenant, sku_id):
    with tenant_scope(tenant):
        from core.db import db

        return db.session.get(Sku, (tenant.id, int(sku_id))).stock


def test_express_checkout_prices_items_and_shipping_and_reserves_stock(client, shop):
    response = checkout(client, shop, [{"sku_id": shop["tea"], "quantity": 2}, {"sku_id": shop["cake"]}],
                        {"type": "express", "address_id": shop["address"]}, note="Ring twice")
    assert response.status_code == 201, response.json
    order = response.json["order"]
    assert order["status"] == "pending_payment" and len(order["number"]) == 11 and order["note"] == "Ring twice"
    # 2 × 12.50 + 8.00 = 33.00; 3 items: 10.00 + 2 × 2.00 shipping
    assert order["items_total"]["amount"] == 3300 and order["shipping"]["amount"] == 1400
    assert order["total"] == {"amount": 4700, "currency": "CNY", "display": "¥47.00"}
    assert [(s["step"], s["amount"]["amount"]) for s in order["pricing"]] == [("items", 3300), ("shipping", 1400)]
    assert [(line["name"], line["quantity"], line["paid"]["amount"]) for line in order["lines"]] == [
        ("Tea", 2, 2500), ("Cake", 1, 800)]
    assert order["fulfillment"]["address"]["line"] == "2 Nanjing Rd"
    assert order["verification_code"] is None and order["actions"] == ["pay", "cancel"]
    assert stock_of(shop["tenant"], shop["tea"]) == 3


def test_express_is_free_above_the_threshold_and_priced_by_region(client, shop):
    free = checkout(client, shop, [{"sku_id": shop["tea"], "quantity": 5}, {"sku_id": shop["cake"], "quantity": 5}],
                    {"type": "express", "address_id": shop["address"]}).json["order"]
    assert free["shipping"]["amount"] == 0 and free["total"]["amount"] == 5 * 1250 + 5 * 800
    far = checkout(client, shop, [{"sku_id": shop["cake"], "quantity": 2}],
                   {"type": "express", "address_id": shop["far"]}).json["order"]
    assert far["shipping"]["amount"] == 2500 + 800


def test_same_city_is_priced_by_distance_band(client, shop):
    order = checkout(client, shop, [{"sku_id": shop["noodles"]}],
                     {"type": "same_city", "address_id": shop["address"], "store_id": shop["store"]}).json["order"]
    assert order["shipping"]["amount"] == 500 and order["total"]["amount"] == 2700
    assert 1 < order["fulfillment"]["distance_km"] < 3
    too_far = checkout(client, shop, [{"sku_id": shop["noodles"]}],
                       {"type": "same_city", "address_id": shop["far"], "store_id": shop["store"]})
    assert (too_far.status_code, too_far.json["error"]["code"]) == (422, "not_deliverable")


def test_pickup_dine_in_and_services_get_a_verification_code(client, shop):
    pickup = checkout(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
    dine_in = checkout(client, shop, [{"sku_id": shop["noodles"]}], {"type": "dine_in", "table": shop["table"]})
    service = checkout(client, shop, [{"sku_id": shop["massage"]}], {})
    for answer in (pickup, dine_in, service):
        assert answer.status_code == 201, answer.json
        assert answer.json["order"]["shipping"]["amount"] == 0
    assert dine_in.json["order"]["fulfillment"]["table"] == "A3"
    assert service.json["order"]["fulfillment"] == {"type": "none"}
    with tenant_scope(shop["tenant"]):
        from core.db import db

        codes = [db.session.get(Order, (shop["tenant"].id, int(a.json["order"]["id"]))).verification_code
                 for a in (pickup, dine_in, service)]
    assert all(code and len(code) == 12 for code in codes) and len(set(codes)) == 3


@pytest.mark.parametrize("lines, fulfillment, field", [
    ([], {"type": "pickup"}, "lines"),
    ([{"sku_id": "x"}], {"type": "pickup"}, "lines.0"),
    ([{"sku_id": "1", "quantity": 0}], {"type": "pickup"}, "lines.0"),
    ("tea", {"type": "pickup"}, "lines"),
    ([{"sku_id": "CAKE"}], {"type": "teleport"}, "fulfillment.type"),
    ([{"sku_id": "CAKE"}], {"type": "express"}, "fulfillment.address_id"),
    ([{"sku_id": "CAKE"}], {"type": "express", "address_id": "²"}, "fulfillment.address_id"),
    ([{"sku_id": "CAKE"}], {"type": "pickup", "store_id": None}, "fulfillment.store_id"),
    ([{"sku_id": "CAKE"}], {"type": "dine_in", "table": "nope"}, "fulfillment.table"),
    ([{"sku_id": "CAKE"}], {"type": "none"}, "fulfillment.type"),
    ([{"sku_id": "NOODLES"}], {"type": "express", "address_id": "ADDRESS"}, "fulfillment.type"),
])
def test_bad_checkouts_are_refused_and_leave_nothing(client, shop, lines, fulfillment, field):
    if isinstance(lines, list):
        lines = [{**line, "sku_id": shop.get(line["sku_id"].lower(), line["sku_id"])} for line in lines]
    fulfillment = {k: (shop["address"] if v == "ADDRESS" else v) for k, v in fulfillment.items()}
    response = checkout(client, shop, lines, fulfillment)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["fields"]
    with tenant_scope(shop["tenant"]):
        from core.db import db

        assert db.session.query(Order).count() == 0
    assert stock_of(shop["tenant"], shop["cake"]) == 10


def test_out_of_stock_is_409_and_reserves_nothing(client, shop):
    response = checkout(client, shop, [{"sku_id": shop["cake"]}, {"sku_id": shop["tea"], "quantity": 6}],
                        {"type": "pickup", "store_id": shop["store"]})
    assert (response.status_code, response.json["error"]["code"]) == (409, "out_of_stock")
    assert response.json["error"]["sku_id"] == shop["tea"]
    assert stock_of(shop["tenant"], shop["cake"]) == 10 and stock_of(shop["tenant"], shop["tea"]) == 5


def test_checkout_of_the_cart_takes_its_available_lines_and_empties_them(client, shop):
    client.post("/api/v1/cart/lines", json={"sku_id": shop["cake"], "quantity": 2}, headers=shop["headers"])
    client.post("/api/v1/cart/lines", json={"sku_id": shop["tea"], "quantity": 1}, headers=shop["headers"])
    response = client.post("/api/v1/checkout", json={"fulfillment": {"type": "pickup", "store_id": shop["store"]}},
                           headers=shop["headers"])
    assert response.status_code == 201
    assert sorted(line["name"] for line in response.json["order"]["lines"]) == ["Cake", "Tea"]
    assert client.get("/api/v1/cart", headers=shop["headers"]).json["lines"] == []


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(client, shop):
    body = {"lines": [{"sku_id": shop["tea"]}], "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    headers = {**shop["headers"], "Idempotency-Key": "order-1"}
    first = client.post("/api/v1/checkout", json=body, headers=headers)
    replay = client.post("/api/v1/checkout", json=body, headers=headers)
    assert first.status_code == replay.status_code == 201 and first.json == replay.json
    other = client.post("/api/v1/checkout", json={**body, "note": "different"}, headers=headers)
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
    assert stock_of(shop["tenant"], shop["tea"]) == 4
    with tenant_scope(shop["tenant"]):
        from core.db import db

        assert db.session.query(Order).count() == 1
        assert db.session.query(OrderTransition).count() == 1


def test_idempotency_key_also_replays_a_refusal(client, shop):
    body = {"lines": [{"sku_id": shop["tea"], "quantity": 9}], "fulfillment": {"type": "pickup",
                                                                               "store_id": shop["store"]}}
    headers = {**shop["headers"], "Idempotency-Key": "order-2"}
    assert client.post("/api/v1/checkout", json=body, headers=headers).status_code == 409
    assert client.post("/api/v1/checkout", json=body, headers=headers).json["error"]["code"] == "out_of_stock"


def test_checkout_numbers_count_up_per_day(client, shop):
    numbers = [checkout(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]})
               .json["order"]["number"] for _ in range(3)]
    assert [int(n[-5:]) for n in numbers] == [1, 2, 3] and len({n[:6] for n in numbers}) == 1


def test_a_days_hundred_thousandth_order_gets_six_digits_not_a_number_cut_short(client, shop, db_session):
    from sqlalchemy import update

    from engines.orders.models import OrderSequence

    pickup = {"type": "pickup", "store_id": shop["store"]}
    first = checkout(client, shop, [{"sku_id": shop["cake"]}], pickup).json["order"]["number"]
    with tenant_scope(shop["tenant"]):
        db_session.execute(update(OrderSequence).values(value=99_999))
        db_session.commit()
    then = checkout(client, shop, [{"sku_id": shop["cake"]}], pickup).json["order"]["number"]
    assert (first[6:], then) == ("00001", first[:6] + "100000")
    with tenant_scope(shop["tenant"]):
        assert db_session.query(Order.number).order_by(Order.number).all() == [(first,), (then,)]


def test_the_stock_of_each_sku_the_number_and_the_order_go_in_one_statement_and_a_refusal_takes_no_number(
        client, shop, backend, count_queries):
    pickup = {"type": "pickup", "store_id": shop["store"]}
    with count_queries() as statements:
        first = checkout(client, shop, [{"sku_id": shop["cake"]}, {"sku_id": shop["tea"], "quantity": 2}], pickup)
    assert first.status_code == 201 and stock_of(shop["tenant"], shop["tea"]) == 3
    taking = [s for s in statements if "UPDATE skus" in s or "order_sequences" in s]
    if backend == "postgresql":  # data-modifying CTEs; SQLite (and Citus) run them one by one, in order
        assert len(taking) == 1 and taking[0].count("UPDATE skus") == 2 and "INSERT INTO order_sequences" in taking[0]
        assert "INSERT INTO orders " in taking[0] and "INSERT INTO order_lines " in taking[0]
    else:
        assert len(taking) == 3
    refused = checkout(client, shop, [{"sku_id": shop["cake"]}, {"sku_id": shop["tea"], "quantity": 4}], pickup)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "out_of_stock")
    assert stock_of(shop["tenant"], shop["cake"]) == 9 and stock_of(shop["tenant"], shop["tea"]) == 3
    then = checkout(client, shop, [{"sku_id": shop["tea"], "quantity": 3}], pickup).json["order"]["number"]
    assert int(then[-5:]) == int(first.json["order"]["number"][-5:]) + 1  # the refused order's number was not spent
    assert stock_of(shop["tenant"], shop["tea"]) == 0


@pytest.fixture
def dumplings(shop, db_session):
    from engines.catalog.services import create_item, skus_by_item

    with tenant_scope(shop["tenant"]):
        item = create_item(kind="dish", name="Dumplings", price=1800, stock=30, status="on_sale", option_groups=[
            {"name": "Spiciness", "min": 1, "max": 1, "choices": [{"name": "Mild"}, {"name": "Hot"}]},
            {"name": "Add-ons", "min": 0, "max": 2, "choices": [{"name": "Egg", "price": 300},
                                                                 {"name": "Tofu", "price": 200},
                                                                 {"name": "Chili oil", "price": 0}]}])
        sku = str(skus_by_item([item.id])[item.id][0].id)
        db_session.commit()
    return sku


def test_a_dishs_options_are_checked_priced_and_recorded(client, shop, dumplings):
    table = {"type": "dine_in", "table": shop["table"]}
    order = checkout(client, shop, [
        {"sku_id": dumplings, "quantity": 2, "choices": {"Spiciness": ["Hot"], "Add-ons": ["Tofu", "Egg"]}},
        {"sku_id": dumplings, "choices": {"Spiciness": "Mild"}}], table).json["order"]
    assert [(line["unit_price"]["amount"], line["quantity"], line["options"]) for line in order["lines"]] == [
        (2300, 2, {"Spiciness": "Hot", "Add-ons": "Egg, Tofu"}), (1800, 1, {"Spiciness": "Mild"})]
    assert order["total"]["amount"] == 2 * 2300 + 1800
    for choices, field in (({}, "choices.Spiciness"), ({"Spiciness": ["Hot", "Mild"]}, "choices.Spiciness"),
                           ({"Spiciness": ["Hot"], "Add-ons": ["Egg", "Tofu", "Chili oil"]}, "choices.Add-ons"),
                           ({"Spiciness": ["Numbing"]}, "choices.Spiciness"), ({"Sauce": ["Soy"]}, "choices")):
        refused = checkout(client, shop, [{"sku_id": dumplings, "choices": choices}], table)
        assert refused.status_code == 422 and field in refused.json["error"]["fields"], (choices, refused.json)
    assert stock_of(shop["tenant"], dumplings) == 27


def test_the_cart_keeps_a_dish_with_other_options_on_another_line(client, shop, dumplings):
    add = lambda choices: client.post("/api/v1/cart/lines", json={"sku_id": dumplings, "choices": choices},  # noqa: E731
                                      headers=shop["headers"])
    add({"Spiciness": ["Hot"], "Add-ons": ["Egg"]})
    add({"Spiciness": ["Hot"], "Add-ons": ["Egg"]})
    cart = add({"Spiciness": ["Mild"]}).json
    assert [(line["quantity"], line["price"]["amount"], line["choices"]) for line in cart["lines"]] == [
        (2, 2100, {"Spiciness": ["Hot"], "Add-ons": ["Egg"]}), (1, 1800, {"Spiciness": ["Mild"]})]
    assert add({"Spiciness": ["Medium"]}).status_code == 422
    placed = client.post("/api/v1/checkout", json={"fulfillment": {"type": "dine_in", "table": shop["table"]}},
                         headers=shop["headers"]).json["order"]
    assert placed["total"]["amount"] == 2 * 2100 + 1800


def test_a_sold_out_answer_is_remembered_until_stock_comes_back(client, shop):
    body = {"lines": [{"sku_id": shop["tea"], "quantity": 5}], "fulfillment": {"type": "pickup",
                                                                              "store_id": shop["store"]}}
    first = client.post("/api/v1/checkout", json=body, headers=shop["headers"]).json["order"]
    for _ in range(2):  # the second refusal is answered from memory
        refused = client.post("/api/v1/checkout", json=body, headers=shop["headers"])
        assert (refused.status_code, refused.json["error"]["code"]) == (409, "out_of_stock")
    client.post(f"/api/v1/orders/{first['id']}/cancel", headers=shop["headers"])  # the stock comes back
    again = client.post("/api/v1/checkout", json=body, headers=shop["headers"])
    assert again.status_code == 201


def test_the_remembered_prices_follow_the_catalog(client, db_session, shop):
    """Checkout remembers an item's facts per process until the catalog changes: a new price, or
    the item leaving sale, reaches the very next checkout."""
    from core.db import db
    from engines.catalog.services import set_status, update_sku

    body = {"lines": [{"sku_id": shop["cake"]}], "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    assert client.post("/api/v1/checkout/quote", json=body, headers=shop["headers"]).json["total"]["amount"] == 800
    with tenant_scope(shop["tenant"]):
        sku = db.session.get(Sku, (shop["tenant"].id, int(shop["cake"])))
        update_sku(sku, price=950, stock=sku.stock)
        db_session.commit()
    assert client.post("/api/v1/checkout", json=body, headers=shop["headers"]).json["order"]["total"]["amount"] == 950
    with tenant_scope(shop["tenant"]):
        set_status(item_ids=[sku.item_id], status="off_sale")
        db_session.commit()
    refused = client.post("/api/v1/checkout", json=body, headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "not_on_sale")


def test_a_reservation_refreshes_the_pages_only_near_sell_out(client, db_session, tenant_a, create_consumer):
    from core.cache import stamps
    from tests.engines.orders.conftest import make_shop

    made = make_shop(tenant_a, create_consumer, stock=13)
    db_session.commit()
    body = {"fulfillment": {"type": "pickup", "store_id": made["store"]}}

    def catalog_stamp():
        return stamps().all(tenant_a.id).get("catalog", 0)

    before = catalog_stamp()
    client.post("/api/v1/checkout", json={**body, "lines": [{"sku_id": made["tea"], "quantity": 2}]},
                headers=made["headers"])  # 11 left: the pages' "11 left" may lag
    assert catalog_stamp() == before
    client.post("/api/v1/checkout", json={**body, "lines": [{"sku_id": made["tea"], "quantity": 1}]},
                headers=made["headers"])  # 10 left: from here on the count shown is exact
    assert catalog_stamp() == before + 1


def test_a_known_sold_out_answer_needs_no_sign_in(client, shop):
    """The flash-sale gate: once a SKU is known to be short, a checkout naming it is refused before
    the token is looked up; a request with an Idempotency-Key, or without lines, takes the full
    path (and is refused for its token first)."""
    body = {"lines": [{"sku_id": shop["tea"], "quantity": 6}], "fulfillment": {"type": "pickup",
                                                                              "store_id": shop["store"]}}
    stranger = {"Authorization": f"Bearer tsk_{shop['tenant'].id}_1_forged"}
    assert client.post("/api/v1/checkout", json=body, headers=stranger).status_code == 401  # not known yet
    refused = client.post("/api/v1/checkout", json=body, headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "out_of_stock")  # now it is
    gated = client.post("/api/v1/checkout", json=body, headers=stranger)
    assert (gated.status_code, gated.json["error"]["code"], gated.json["error"]["sku_id"]) == (
        409, "out_of_stock", shop["tea"])
    keyed = client.post("/api/v1/checkout", json=body, headers={**stranger, "Idempotency-Key": "k1"})
    assert keyed.status_code == 401
    cart = client.post("/api/v1/checkout", json={"fulfillment": body["fulfillment"]}, headers=stranger)
    assert cart.status_code == 401
    fewer = client.post("/api/v1/checkout", json={**body, "lines": [{"sku_id": shop["tea"], "quantity": 5}]},
                        headers=stranger)
    assert fewer.status_code == 401  # 5 are left: not known to be short


def test_a_payment_started_with_the_order_starts_before_any_stock_is_reserved(shop):
    """place_order(pay=…) hands the order to the payment before taking any lock (a provider may
    call out to start it), and writes the payment with the order's rows."""
    from sqlalchemy import select

    from core.db import db
    from engines.orders.checkout import place_order

    seen = []

    def pay(order):
        seen.append((order.total, db.session.scalar(select(Sku.stock).where(Sku.id == int(shop["tea"])))))
        return lambda: seen.append("written")

    with tenant_scope(shop["tenant"]):
        order, _ = place_order(consumer_id=shop["consumer"].id, lines=[{"sku_id": shop["tea"], "quantity": 2}],
                               fulfillment_choice={"type": "pickup", "store_id": shop["store"]}, pay=pay)
        reserved = db.session.scalar(select(Sku.stock).where(Sku.id == int(shop["tea"])))
    assert seen == [(2500, 5), "written"] and reserved == 3 and order.number


def test_lines_nested_900_deep_holding_nul_are_refused(client, shop):
    # given lines nested 900 deep around "\u0000" (written out: json.dumps would recurse as deep)
    body = '{"lines": ' + "[" * 900 + '"\\u0000"' + "]" * 900 + ', "fulfillment": {"type": "pickup"}}'
    # when they are quoted and ordered
    for path in ("/api/v1/checkout/quote", "/api/v1/checkout"):
        response = client.post(path, data=body, content_type="application/json", headers=shop["headers"])
        # then the body is refused before any view walks it
        assert (response.status_code, response.json["error"]["code"]) == (400, "bad_request")
    with tenant_scope(shop["tenant"]):
        from core.db import db

        assert db.session.query(Order).count() == 0


def test_a_note_with_a_lone_surrogate_is_refused_and_nothing_is_ordered(client, shop):
    # given a checkout whose note holds a lone surrogate
    # when it is placed
    response = checkout(client, shop, [{"sku_id": shop["cake"]}], {"type": "pickup", "store_id": shop["store"]},
                        note="Ring \udfff twice")
    # then it is refused as invalid text, with no order and no stock taken
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_text")
    with tenant_scope(shop["tenant"]):
        from core.db import db

        assert db.session.query(Order).count() == 0
    assert stock_of(shop["tenant"], shop["cake"]) == 10


@pytest.mark.parametrize("phone", ["call me", "12", "1234567890123456", "+86 138 0013 800x", 13800138000, ["1"]])
def test_a_pickup_phone_must_be_a_phone_number(client, shop, phone):
    # given a pickup whose phone is not a phone number
    # when it is quoted and placed
    fulfillment = {"type": "pickup", "store_id": shop["store"], "phone": phone}
    quoted = client.post("/api/v1/checkout/quote", json={"lines": [{"sku_id": shop["cake"]}],
                                                         "fulfillment": fulfillment}, headers=shop["headers"])
    placed = checkout(client, shop, [{"sku_id": shop["cake"]}], fulfillment)
    # then both are refused on the field, and nothing is ordered
    for response in (quoted, placed):
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), response.json
        assert list(response.json["error"]["fields"]) == ["fulfillment.phone"]
    with tenant_scope(shop["tenant"]):
        from core.db import db

        assert db.session.query(Order).count() == 0
    assert stock_of(shop["tenant"], shop["cake"]) == 10


def test_a_pickup_phone_is_stored_normalised(client, shop):
    # given a pickup phone written with spaces, dashes and parentheses
    fulfillment = {"type": "pickup", "store_id": shop["store"], "phone": "+86 (138) 0013-8000"}
    # when the order is placed
    response = checkout(client, shop, [{"sku_id": shop["cake"]}], fulfillment)
    # then the phone is kept as digits
    assert response.status_code == 201, response.json
    assert response.json["order"]["fulfillment"]["phone"] == "+8613800138000"


def _behind_this_process(shop, sku_key, **changes):
    """Change a SKU or its item in the database as another process would, whose invalidation has
    not reached this one (no stamp bump here)."""
    from sqlalchemy import update

    from core.db import db
    from engines.catalog.models import Item

    with tenant_scope(shop["tenant"]):
        sku = db.session.get(Sku, (shop["tenant"].id, int(shop[sku_key])))
        item_changes = {k: v for k, v in changes.items() if k != "price"}
        if "price" in changes:
            db.session.execute(update(Sku).where(Sku.id == sku.id).values(price=changes["price"])
                               .execution_options(synchronize_session=False))
        if item_changes:
            db.session.execute(update(Item).where(Item.id == sku.item_id).values(**item_changes)
                               .execution_options(synchronize_session=False))
        db.session.commit()


@pytest.mark.parametrize(("changes", "code"), [({"price": 1}, "price_changed"), ({"status": "off_sale"}, "not_on_sale")])
def test_checkout_charges_what_the_database_says_not_what_this_process_remembers(client, shop, changes, code):
    from core.db import db

    body = {"lines": [{"sku_id": shop["tea"], "quantity": 1}], "fulfillment": {"type": "pickup",
                                                                                 "store_id": shop["store"]}}
    quoted = client.post("/api/v1/checkout/quote", json=body, headers=shop["headers"])
    assert quoted.json["total"]["amount"] == 1250  # remembered by this process now
    _behind_this_process(shop, "tea", **changes)
    refused = client.post("/api/v1/checkout", json=body, headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (409, code)
    assert refused.json["error"]["sku_id"] == shop["tea"]
    db.session.rollback()  # as the end of the refused request does (the test shares its session)
    with tenant_scope(shop["tenant"]):
        assert db.session.query(Order).count() == 0
    assert stock_of(shop["tenant"], shop["tea"]) == 5
    again = client.post("/api/v1/checkout", json=body, headers=shop["headers"])  # the quote is read afresh now
    if code == "price_changed":
        assert again.status_code == 201 and again.json["order"]["total"]["amount"] == 1
    else:
        assert (again.status_code, again.json["error"]["code"]) == (409, "not_on_sale")


def test_a_dish_whose_option_prices_changed_is_not_charged_the_old_price(client, shop, db_session):
    from core.db import db
    from engines.catalog.models import Item

    with tenant_scope(shop["tenant"]):
        item_id = db.session.get(Sku, (shop["tenant"].id, int(shop["noodles"]))).item_id
        db.session.get(Item, (shop["tenant"].id, item_id)).option_groups = [
            {"name": "Egg", "min": 0, "max": 1, "choices": [{"name": "Fried", "price": 200}]}]
        db_session.commit()
    from engines.catalog.services import forget_remembered_facts

    forget_remembered_facts()
    body = {"lines": [{"sku_id": shop["noodles"], "quantity": 1, "choices": {"Egg": ["Fried"]}}],
            "fulfillment": {"type": "pickup", "store_id": shop["store"]}}
    assert client.post("/api/v1/checkout/quote", json=body, headers=shop["headers"]).json["total"]["amount"] == 2400
    _behind_this_process(shop, "noodles", option_groups=[
        {"name": "Egg", "min": 0, "max": 1, "choices": [{"name": "Fried", "price": 900}]}])
    refused = client.post("/api/v1/checkout", json=body, headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "price_changed")
    db.session.rollback()
    again = client.post("/api/v1/checkout", json=body, headers=shop["headers"])
    assert again.status_code == 201 and again.json["order"]["total"]["amount"] == 3100
