"""Bundles at checkout and in the consumer API: each complete set in an order at the set price
(mixed quantities counted right, the dearest units first, never a raise, a unit in one set at most),
windows and pauses, order promotions not counting the set's lines, the sets sold counted when an
order is paid (and only then); the live bundles answered from the cache with their items."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core.db import db
from core.errors import APIError
from core.tenancy import tenant_scope
from engines.catalog.models import Sku
from engines.catalog.services import create_item, set_status, skus_by_item, update_sku
from engines.marketing.bundles import create_bundle, update_bundle
from engines.marketing.models import Bundle
from engines.marketing.promotions import create_promotion
from tests.engines.orders.test_orders import pay

NOW = dt.datetime.now(dt.UTC)
WINDOW = {"starts_at": NOW - dt.timedelta(hours=1), "ends_at": NOW + dt.timedelta(days=7)}


def item_of(shop, key: str) -> str:
    with tenant_scope(shop["tenant"]):
        return str(db.session.get(Sku, (shop["tenant"].id, int(shop[key]))).item_id)


def bundle(shop, db_session, items: dict[str, int], price: int, **rules) -> str:
    """A bundle of the shop's items named by their key in `shop` ({"tea": 2, "cake": 1})."""
    wanted = [{"item_id": item_of(shop, key), "quantity": quantity} for key, quantity in items.items()]
    with tenant_scope(shop["tenant"]):
        made = create_bundle(**{"name": "Tea time", "items": wanted, "price": price, **WINDOW, **rules})
        db_session.commit()
        return str(made.id)


def order_of(shop, **quantities) -> dict:
    return {"lines": [{"sku_id": shop[key], "quantity": n} for key, n in quantities.items()],
            "fulfillment": {"type": "pickup", "store_id": shop["store"]}}


def quoted(client, shop, **quantities) -> dict:
    answer = client.post("/api/v1/checkout/quote", json=order_of(shop, **quantities), headers=shop["headers"])
    assert answer.status_code == 200, answer.json
    return answer.json


def bundle_steps(answer) -> list[tuple[str, int]]:
    return [(s["label"], s["amount"]["amount"]) for s in answer["pricing"] if s["step"] == "bundles"]


def sold(shop, bundle_id: str) -> int:
    with tenant_scope(shop["tenant"]):
        return db.session.scalar(select(Bundle.sold_count).where(Bundle.id == int(bundle_id))
                                 .execution_options(populate_existing=True))


def test_a_complete_set_costs_the_set_price(client, shop, db_session):
    # given tea (12.50) and cake (8.00) at 18.00 the pair
    bundle(shop, db_session, {"tea": 1, "cake": 1}, 1800)
    # when an order holds two teas and a cake: one set, the second tea at its own price
    answer = quoted(client, shop, tea=2, cake=1)
    # then 2.50 comes off the set's lines, and the order pays 18.00 + 12.50
    assert bundle_steps(answer) == [("Tea time (1 × ¥18.00)", -250)]
    assert answer["total"]["amount"] == 1800 + 1250
    assert sum(line["discount"]["amount"] for line in answer["lines"]) == 250
    # and a tea alone is no set
    assert bundle_steps(quoted(client, shop, tea=3)) == []


def test_sets_are_counted_with_mixed_quantities(client, shop, db_session):
    # given two teas and a cake at 28.00 the set (33.00 one by one)
    bundle(shop, db_session, {"tea": 2, "cake": 1}, 2800)
    # five teas and three cakes hold two sets (the fifth tea and the third cake stay out)
    answer = quoted(client, shop, tea=5, cake=3)
    assert bundle_steps(answer) == [("Tea time (2 × ¥28.00)", -1000)]
    assert answer["total"]["amount"] == 2 * 2800 + 1250 + 800
    # three teas and three cakes hold one
    assert bundle_steps(quoted(client, shop, tea=3, cake=3)) == [("Tea time (1 × ¥28.00)", -500)]


def test_a_bundle_never_raises_a_price(client, shop, db_session):
    # given tea and cake at 18.00, and the tea's price cut to 9.00 since
    bundle(shop, db_session, {"tea": 1, "cake": 1}, 1800)
    with tenant_scope(shop["tenant"]):
        update_sku(db.session.get(Sku, (shop["tenant"].id, int(shop["tea"]))), price=900, stock=5)
        db_session.commit()
    # then the pair costs what its items cost (17.00), not the set price
    answer = quoted(client, shop, tea=1, cake=1)
    assert bundle_steps(answer) == [] and answer["total"]["amount"] == 1700


def test_a_set_priced_at_what_its_items_cost_at_their_dearest_is_refused(shop, db_session):
    with pytest.raises(APIError) as refused:
        bundle(shop, db_session, {"tea": 2, "cake": 1}, 3300)
    assert refused.value.fields == {"price": [
        "Less than its items cost one by one at their dearest (¥33.00): else a set never saves."]}


def test_two_bundles_sharing_an_item_do_not_count_a_unit_twice(client, shop, db_session):
    # given tea and cake at 18.00 (made first), and tea and noodles at 30.00 (34.50 one by one)
    bundle(shop, db_session, {"tea": 1, "cake": 1}, 1800, name="Tea and cake")
    bundle(shop, db_session, {"tea": 1, "noodles": 1}, 3000, name="Tea and noodles")
    # one tea: the first bundle takes it, the second finds none left
    one = quoted(client, shop, tea=1, cake=1, noodles=1)
    assert bundle_steps(one) == [("Tea and cake (1 × ¥18.00)", -250)]
    assert one["total"]["amount"] == 1800 + 2200
    # two teas: each bundle takes one
    two = quoted(client, shop, tea=2, cake=1, noodles=1)
    assert bundle_steps(two) == [("Tea and cake (1 × ¥18.00)", -250), ("Tea and noodles (1 × ¥30.00)", -450)]
    assert two["total"]["amount"] == 1800 + 3000


def test_a_set_takes_the_dearest_units_of_an_item(client, shop, db_session):
    # given an item with two SKUs (a small and a large cup) in a set with cake
    with tenant_scope(shop["tenant"]):
        cups = create_item(kind="physical", name="Cups", price=1000, stock=10, status="on_sale",
                           options=[{"name": "Size", "values": ["S", "L"]}])
        small, large = skus_by_item([cups.id])[cups.id]
        update_sku(large, price=1600, stock=10)
        db_session.commit()
        create_bundle(name="Cup and cake", items=[{"item_id": str(cups.id), "quantity": 1},
                                                  {"item_id": item_of(shop, "cake"), "quantity": 1}], price=2000,
                      **WINDOW)
        db_session.commit()
    lines = [{"sku_id": str(small.id), "quantity": 1}, {"sku_id": str(large.id), "quantity": 1},
             {"sku_id": shop["cake"], "quantity": 1}]
    answer = client.post("/api/v1/checkout/quote", json={"lines": lines, "fulfillment": {"type": "pickup",
                         "store_id": shop["store"]}}, headers=shop["headers"]).json
    # then the large cup (16.00) makes the set with the cake: 24.00 for 20.00, the small cup as it is
    assert bundle_steps(answer) == [("Cup and cake (1 × ¥20.00)", -400)]
    assert [line["discount"]["amount"] for line in answer["lines"]] == [0, 267, 133]


def test_a_bundle_outside_its_window_or_paused_does_nothing(client, shop, db_session):
    bundle(shop, db_session, {"tea": 1, "cake": 1}, 1800, starts_at=NOW + dt.timedelta(days=1),
           ends_at=NOW + dt.timedelta(days=2))
    bundle(shop, db_session, {"tea": 1, "cake": 1}, 1800, starts_at=NOW - dt.timedelta(days=2),
           ends_at=NOW - dt.timedelta(days=1))
    paused = bundle(shop, db_session, {"tea": 1, "cake": 1}, 1800)
    with tenant_scope(shop["tenant"]):
        update_bundle(db.session.get(Bundle, (shop["tenant"].id, int(paused))), status="paused")
        db_session.commit()
    assert bundle_steps(quoted(client, shop, tea=1, cake=1)) == []


def test_order_promotions_do_not_count_the_lines_a_bundle_priced(client, shop, db_session):
    bundle(shop, db_session, {"tea": 1, "cake": 1}, 1800)
    with tenant_scope(shop["tenant"]):
        create_promotion(name="Spend more", kind="spend", tiers=[{"threshold": 2000, "amount_off": 300}], **WINDOW)
        db_session.commit()
    # the set's lines are out of the promotion's count: 18.00 does not reach 20.00
    answer = quoted(client, shop, tea=1, cake=1)
    assert [s["step"] for s in answer["pricing"] if s["step"] in ("bundles", "order_promotions")] == ["bundles"]


def test_the_sets_are_sold_when_the_order_is_paid_and_a_cancelled_order_sells_none(client, shop, db_session):
    made = bundle(shop, db_session, {"tea": 1, "cake": 1}, 1800)
    placed = client.post("/api/v1/checkout", json=order_of(shop, tea=2, cake=2), headers=shop["headers"])
    assert placed.status_code == 201, placed.json
    order = placed.json["order"]
    assert order["total"]["amount"] == 2 * 1800 and sold(shop, made) == 0  # placed, not paid: none sold yet
    pay(client, shop, order)
    assert sold(shop, made) == 2
    # an order cancelled unpaid sells nothing
    other = client.post("/api/v1/checkout", json=order_of(shop, tea=1, cake=1), headers=shop["headers"]).json["order"]
    assert client.post(f"/api/v1/orders/{other['id']}/cancel", headers=shop["headers"]).status_code == 200
    assert sold(shop, made) == 2


@pytest.mark.parametrize("rules, field", [
    ({"name": " "}, "name"),
    ({"items": []}, "items"),
    ({"items": "tea"}, "items"),
    ({"items": [{"item_id": "1", "quantity": 1}]}, "items"),
    ({"items": [{"item_id": "x", "quantity": 1}, {"item_id": "2", "quantity": 1}]}, "items"),
    ({"price": 0}, "price"),
    ({"price": True}, "price"),
    ({"price": 10**11}, "price"),
    ({"ends_at": NOW - dt.timedelta(days=1)}, "ends_at"),
    ({"starts_at": dt.datetime(2030, 1, 1)}, "starts_at"),
    ({"funded_by": "sub_merchant:1"}, "funded_by"),
])
def test_a_bundle_that_makes_no_sense_is_refused_naming_the_field(shop, db_session, rules, field):
    pair = [{"item_id": item_of(shop, "tea"), "quantity": 1}, {"item_id": item_of(shop, "cake"), "quantity": 1}]
    with tenant_scope(shop["tenant"]):
        with pytest.raises(APIError) as refused:
            create_bundle(**{"name": "Tea time", "items": pair, "price": 1800, **WINDOW, **rules})
        assert list(refused.value.fields) == [field]
        assert db.session.scalars(select(Bundle)).all() == []


@pytest.mark.parametrize("items, message", [
    ([("tea", 1), ("tea", 2)], "Each item once: give it a quantity instead."),
    ([("tea", 0), ("cake", 1)], "Each item's quantity is a whole number from 1 to 99."),
    ([("tea", 100), ("cake", 1)], "Each item's quantity is a whole number from 1 to 99."),
    ([("tea", 1), ("cake", 1), ("noodles", 1), ("massage", 1), ("tea", 1), ("cake", 1), ("noodles", 1)],
     "Choose from 2 to 6 items."),
])
def test_the_set_is_two_to_six_items_each_once(shop, db_session, items, message):
    wanted = [{"item_id": item_of(shop, key), "quantity": n} for key, n in items]
    with tenant_scope(shop["tenant"]), pytest.raises(APIError) as refused:
        create_bundle(name="Odd", items=wanted, price=100, **WINDOW)
    assert refused.value.fields == {"items": [message]}


def test_another_shops_item_cannot_be_in_a_bundle(shop, db_session, tenant_b):
    with tenant_scope(tenant_b):
        theirs = create_item(kind="physical", name="Their tea", price=100, status="on_sale").id
        db_session.commit()
    with tenant_scope(shop["tenant"]), pytest.raises(APIError) as refused:
        create_bundle(name="Mixed", items=[{"item_id": item_of(shop, "tea"), "quantity": 1},
                                           {"item_id": str(theirs), "quantity": 1}], price=100, **WINDOW)
    assert refused.value.fields == {"items": ["There is no such item."]}


# -- the consumer API -----------------------------------------------------------------------------

def test_the_live_bundles_are_listed_with_their_items_and_what_they_save(client, shop, db_session, tenant_b,
                                                                          count_queries):
    made = bundle(shop, db_session, {"tea": 2, "cake": 1}, 2800)
    bundle(shop, db_session, {"tea": 1, "cake": 1}, 1800, name="Later", starts_at=NOW + dt.timedelta(days=1),
           ends_at=NOW + dt.timedelta(days=2))
    headers = {"X-Tenant": shop["tenant"].slug}
    answer = client.get("/api/v1/bundles", headers=headers)
    assert answer.status_code == 200
    shown = answer.json["bundles"]
    assert [b["id"] for b in shown] == [made]
    money = {"currency": "CNY"}
    assert {k: shown[0][k] for k in ("name", "price", "separately", "saving")} == {
        "name": "Tea time", "price": {"amount": 2800, "display": "¥28.00", **money},
        "separately": {"amount": 3300, "display": "¥33.00", **money},
        "saving": {"amount": 500, "display": "¥5.00", **money}}
    tea = shown[0]["items"][0]
    assert {k: tea[k] for k in ("id", "name", "quantity", "needs_choices")} == {
        "id": item_of(shop, "tea"), "name": "Tea", "quantity": 2, "needs_choices": False}
    assert tea["price"]["amount"] == 1250 and [s["id"] for s in tea["skus"]] == [shop["tea"]]
    assert client.get(f"/api/v1/bundles/{made}", headers=headers).json == {"bundle": shown[0]}
    # a second look costs no query, and a client holding the answer gets 304
    with count_queries() as none:
        again = client.get("/api/v1/bundles", headers=headers)
    assert none == [] and again.json == answer.json
    held = {**headers, "If-None-Match": answer.headers["ETag"]}
    assert client.get("/api/v1/bundles", headers=held).status_code == 304
    # another shop sees none of it
    assert client.get("/api/v1/bundles", headers={"X-Tenant": tenant_b.slug}).json == {"bundles": []}
    missing = client.get(f"/api/v1/bundles/{made}", headers={"X-Tenant": tenant_b.slug})
    assert (missing.status_code, missing.json["error"]["code"]) == (404, "bundle_not_found")


def test_a_bundle_with_an_item_off_sale_or_paused_is_not_shown(client, shop, db_session):
    made = bundle(shop, db_session, {"tea": 1, "cake": 1}, 1800)
    headers = {"X-Tenant": shop["tenant"].slug}
    assert len(client.get("/api/v1/bundles", headers=headers).json["bundles"]) == 1
    with tenant_scope(shop["tenant"]):
        set_status(item_ids=[int(item_of(shop, "cake"))], status="off_sale")
        db_session.commit()
    assert client.get("/api/v1/bundles", headers=headers).json == {"bundles": []}
    assert client.get(f"/api/v1/bundles/{made}", headers=headers).status_code == 404
    with tenant_scope(shop["tenant"]):
        set_status(item_ids=[int(item_of(shop, "cake"))], status="on_sale")
        update_bundle(db.session.get(Bundle, (shop["tenant"].id, int(made))), status="paused")
        db_session.commit()
    assert client.get("/api/v1/bundles", headers=headers).json == {"bundles": []}


# -- properties over random carts and bundles --------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from engines.marketing.bundles import BundleRule, apply_bundles  # noqa: E402
from engines.orders.pricing import Quote, QuoteLine  # noqa: E402

PROPERTIES = settings(max_examples=300, deadline=None, database=None, derandomize=True)


@st.composite
def carts(draw):
    """Lines of items 0 to 4 (an item on several lines: its SKUs), some already discounted."""
    lines = []
    for i in range(draw(st.integers(1, 8))):
        line = QuoteLine(sku_id=i, item_id=draw(st.integers(0, 4)), kind="physical", name=f"line {i}", options={},
                         sku_code="", image="", unit_price=draw(st.integers(0, 20_000)),
                         quantity=draw(st.integers(1, 6)))
        line.discount = draw(st.integers(0, line.subtotal))
        lines.append(line)
    return lines


@st.composite
def bundle_sets(draw):
    rules = []
    for bundle_id in range(1, draw(st.integers(1, 4)) + 1):
        items = draw(st.lists(st.integers(0, 4), min_size=2, max_size=4, unique=True))
        rules.append(BundleRule(bundle_id, f"B{bundle_id}", tuple((i, draw(st.integers(1, 3))) for i in items),
                                draw(st.integers(1, 40_000)), NOW, NOW, "merchant"))
    return rules


@PROPERTIES
@given(carts(), bundle_sets())
def test_any_bundles_on_any_cart_keep_every_line_whole_and_never_raise(lines, rules):
    before = [line.payable for line in lines]
    quote = Quote(currency="CNY", consumer_id=1, lines=lines, fulfillment={"type": "pickup"})
    apply_bundles(quote, rules)
    # nothing raised, nothing below zero, every discount allocated exactly
    assert all(0 <= line.payable <= was for line, was in zip(quote.lines, before))
    for adjustment in quote.adjustments:
        assert adjustment.amount < 0 and sum(adjustment.allocations.values()) == adjustment.amount
    # the sets never hold more units of an item than the order has, and never cost below their price
    by_rule = {rule.id: rule for rule in rules}
    units: dict[int, int] = {}
    for adjustment in quote.adjustments:
        rule, sets = by_rule[adjustment.source_id], adjustment.entry["sets"]
        for item_id, quantity in rule.items:
            units[item_id] = units.get(item_id, 0) + sets * quantity
    for item_id, used in units.items():
        assert used <= sum(line.quantity for line in lines if line.item_id == item_id)
    assert quote.total >= sum(by_rule[a.source_id].price * a.entry["sets"] for a in quote.adjustments)


@PROPERTIES
@given(st.lists(st.integers(1, 30), min_size=2, max_size=4), st.lists(st.integers(1, 5), min_size=4, max_size=4))
def test_a_cheap_set_is_made_as_often_as_the_units_allow(units, quantities):
    """At a price of 1, a set of units costing 100 each always saves: the sets are the fewest
    times any item's units hold its quantity."""
    lines = [QuoteLine(sku_id=i, item_id=i, kind="physical", name=f"line {i}", options={}, sku_code="", image="",
                       unit_price=100, quantity=n) for i, n in enumerate(units)]
    rule = BundleRule(1, "Set", tuple((i, quantities[i]) for i in range(len(units))), 1, NOW, NOW, "merchant")
    quote = Quote(currency="CNY", consumer_id=1, lines=lines, fulfillment={"type": "pickup"})
    apply_bundles(quote, [rule])
    expected = min(n // quantities[i] for i, n in enumerate(units))
    assert [a.entry["sets"] for a in quote.adjustments] == ([expected] if expected else [])
    if expected:
        assert -quote.adjustments[0].amount == expected * (100 * sum(quantities[:len(units)]) - 1)


# -- the bundle card -----------------------------------------------------------------------------

def card_document(*sections: dict) -> dict:
    return {"schema_version": 1, "app": {"name": "Shop", "engines": ["catalog", "orders", "marketing"]},
            "pages": {"home": {"title": "Home", "sections": {f"b{n}": s for n, s in enumerate(sections)},
                               "order": [f"b{n}" for n in range(len(sections))]},
                      "item": {"title": "Item", "kind": "item", "sections": {"main": {"type": "item_detail"}},
                               "order": ["main"]}}}


def test_the_bundle_card_shows_the_newest_live_bundle_or_the_one_it_names(client, shop, db_session, tenant_b,
                                                                          publish_document):
    # given an older bundle of tea and cake, and a newer one of two teas and a cup in two sizes
    older = bundle(shop, db_session, {"tea": 1, "cake": 1}, 1800, name="Tea and cake")
    with tenant_scope(shop["tenant"]):
        cups = create_item(kind="physical", name="Cups", price=1000, stock=10, status="on_sale",
                           options=[{"name": "Size", "values": ["S", "L"]}])
        small, large = skus_by_item([cups.id])[cups.id]
        newer = create_bundle(name="Tea for two", items=[{"item_id": item_of(shop, "tea"), "quantity": 2},
                                                         {"item_id": str(cups.id), "quantity": 1}],
                               price=3000, **WINDOW)
        db_session.commit()
        newer = str(newer.id)
    # and a page with a card naming none, one naming the older, one naming another shop's bundle
    with tenant_scope(tenant_b):
        pair = [str(create_item(kind="physical", name=n, price=100, status="on_sale").id) for n in ("B1", "B2")]
        theirs = create_bundle(name="Theirs", items=[{"item_id": i, "quantity": 1} for i in pair], price=100,
                               **WINDOW).id
        db_session.commit()
    publish_document(shop["tenant"], card_document(
        {"type": "bundle_card", "settings": {"title": "Better together"}},
        {"type": "bundle_card", "settings": {"bundle": f"bundle:{older}"}},
        {"type": "bundle_card", "settings": {"bundle": f"bundle:{theirs}"}}))
    home = client.get(f"/s/{shop['tenant'].slug}/").get_data(as_text=True)
    # then the first shows the newest, its cup chosen in the card and its tea added as it is
    cards = re.findall(r'<div class="t-bundle" data-bundle="(\d+)">', home)
    assert cards == [newer, older]
    assert "Better together" in home and "Tea for two" in home and "Tea and cake" in home and "Theirs" not in home
    assert f'<input type="hidden" name="sku" value="{shop["tea"]}">' in home
    assert re.search(rf'<option value="{small.id}" selected>S</option>\s*<option value="{large.id}">L</option>', home)
    assert 'data-quantity="2"' in home and "Set price" in home and "Save ¥5.00" in home
    assert f'href="/s/{shop["tenant"].slug}/p/item?id={cups.id}"' in home
    assert "/h5/marketing/bundles.js" in home
    # and native clients get the same bundle in the page API
    sections = client.get("/api/v1/pages/home", headers={"X-Tenant": shop["tenant"].slug}).json["sections"]
    assert [s["data"]["id"] if s.get("data") else None for s in sections] == [newer, older, None]
    # when the newest is paused, the page shows the next one at once
    with tenant_scope(shop["tenant"]):
        update_bundle(db.session.get(Bundle, (shop["tenant"].id, int(newer))), status="paused")
        db_session.commit()
    again = client.get(f"/s/{shop['tenant'].slug}/").get_data(as_text=True)
    assert re.findall(r'<div class="t-bundle" data-bundle="(\d+)">', again) == [older, older]


def test_a_bundle_card_with_a_dish_to_choose_sends_the_shopper_to_its_page(client, shop, db_session, publish_document):
    with tenant_scope(shop["tenant"]):
        soup = create_item(kind="dish", name="Soup", price=900, stock=10, status="on_sale", option_groups=[
            {"name": "Spiciness", "min": 1, "max": 1, "choices": [{"name": "Mild", "price": 0}]}])
        create_bundle(name="Soup and tea", items=[{"item_id": str(soup.id), "quantity": 1},
                                                  {"item_id": item_of(shop, "tea"), "quantity": 1}], price=2000,
                      **WINDOW)
        db_session.commit()
    publish_document(shop["tenant"], card_document({"type": "bundle_card", "settings": {}}))
    home = client.get(f"/s/{shop['tenant'].slug}/").get_data(as_text=True)
    assert "Choose its options" in home and "data-add-bundle" not in home
    assert "the set price comes off at checkout" in home
