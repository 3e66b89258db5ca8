"""Timed discounts: a percentage or an amount off each unit of chosen items for a window, taken
off at checkout line by line; order promotions leave such lines alone; the catalog shows the
offer with its countdown, and the cached page changes when the offer starts or ends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.models import Sku
from engines.marketing.discounts import create_discount
from tests.engines.marketing.test_coupons import body
from tests.engines.marketing.test_promotions import promotion, quoted, steps

NOW = dt.datetime.now(dt.UTC)


def item_of(shop, sku_key: str) -> int:
    with tenant_scope(shop["tenant"]):
        return db.session.scalar(select(Sku.item_id).where(Sku.id == int(shop[sku_key])))


def discount(shop, db_session, **rules) -> str:
    values = {"name": "Flash", "item_ids": [item_of(shop, "tea")], "percent_bp": 2000,
              "starts_at": NOW - dt.timedelta(hours=1), "ends_at": NOW + dt.timedelta(hours=5), **rules}
    with tenant_scope(shop["tenant"]):
        made = create_discount(**values)
        db_session.commit()
        return str(made.id)


def test_a_timed_discount_takes_its_cut_off_each_unit_of_its_items(client, shop, db_session):
    discount(shop, db_session)  # 20 % off the tea
    answer = quoted(client, shop, body(shop))  # 2 tea (12.50) and 1 cake (8.00)
    assert ("item_promotions", -500) in steps(answer)
    tea, cake = answer["lines"]
    assert (tea["discount"]["amount"], cake["discount"]["amount"]) == (500, 0)
    assert answer["total"]["amount"] == 3300 - 500


def test_an_amount_off_never_takes_a_unit_below_nothing_and_a_discount_out_of_its_window_does_nothing(
        client, shop, db_session):
    discount(shop, db_session, percent_bp=0, amount_off=100_000)
    assert quoted(client, shop, body(shop))["lines"][0]["discount"]["amount"] == 2 * 1250
    later = quoted(client, shop, body(shop, lines=[{"sku_id": shop["cake"]}]))
    assert "item_promotions" not in [s for s, _ in steps(later)]


def test_a_window_not_started_gives_nothing_yet(client, shop, db_session):
    discount(shop, db_session, starts_at=NOW + dt.timedelta(hours=2), ends_at=NOW + dt.timedelta(hours=3))
    assert "item_promotions" not in [s for s, _ in steps(quoted(client, shop, body(shop)))]


def test_order_promotions_leave_lines_at_a_special_price_alone(client, shop, db_session):
    discount(shop, db_session)
    promotion(shop, db_session, tiers=[{"threshold": 500, "percent_bp": 1000}])  # 10 % off a spend of 5.00
    answer = quoted(client, shop, body(shop))
    # the promotion covers only the cake (8.00): 10 % is 0.80
    assert ("order_promotions", -80) in steps(answer)
    tea, cake = answer["lines"]
    assert (tea["discount"]["amount"], cake["discount"]["amount"]) == (500, 80)


@pytest.mark.parametrize("rules, field", [({"percent_bp": 0}, "percent_bp"), ({"amount_off": 100}, "percent_bp"),
                                          ({"item_ids": []}, "item_ids"),
                                          ({"ends_at": NOW - dt.timedelta(days=1)}, "ends_at")])
def test_a_discount_that_makes_no_sense_is_refused(shop, db_session, rules, field):
    from core.errors import APIError

    with pytest.raises(APIError) as refused:
        discount(shop, db_session, **rules)
    assert field in refused.value.fields


def _shop_document() -> dict:
    return {"schema_version": 1, "app": {"name": "Tea", "engines": ["catalog"], "home": "home"},
            "pages": {"home": {"title": "Home", "order": ["grid"],
                               "sections": {"grid": {"type": "item_grid", "settings": {"source": "newest"}}}},
                      "item": {"title": "Item", "kind": "item", "order": ["main"],
                               "sections": {"main": {"type": "item_detail", "settings": {}}}}}}


def test_the_storefront_shows_the_offer_with_its_countdown_and_drops_it_when_it_stops(client, shop, db_session,
                                                                                      publish_document):
    from engines.marketing.discounts import set_discount_status
    from engines.marketing.models import TimedDiscount

    publish_document(shop["tenant"], _shop_document())
    slug = shop["tenant"].slug
    made = discount(shop, db_session)  # 20 % off the tea: 12.50 → 10.00
    home = client.get(f"/s/{slug}/").get_data(as_text=True)
    assert "¥10.00" in home and '<s class="t-was">¥12.50</s>' in home and "Flash: 20% off" in home
    page = client.get(f"/s/{slug}/p/item?id={item_of(shop, 'tea')}").get_data(as_text=True)
    assert 'data-countdown="' in page and 'data-price="¥10.00"' in page  # the SKU is priced under the offer too
    # paused: the cached pages change at once (they follow the marketing stamp)
    with tenant_scope(shop["tenant"]):
        set_discount_status(db.session.get(TimedDiscount, (shop["tenant"].id, int(made))), "paused")
        db_session.commit()
    home = client.get(f"/s/{slug}/").get_data(as_text=True)
    assert "t-was" not in home and "¥12.50" in home


@pytest.mark.parametrize("member_bp, timed_percent, paid", [(1000, 15, 2126), (1000, 5, 2250)])  # 15 % wins (12.50 → 10.63 a unit); 10 %
def test_a_timed_discount_and_a_member_price_do_not_stack_the_lower_price_wins(
        client, shop, db_session, monkeypatch, member_bp, timed_percent, paid):
    from engines.membership.tiers import create_tier

    with tenant_scope(shop["tenant"]):  # the membership engine's member price: every member's tier, 10 % off
        create_tier(name="Member", threshold=0, discount_bp=member_bp)
        db_session.commit()
    discount(shop, db_session, percent_bp=timed_percent * 100)
    answer = quoted(client, shop, body(shop, lines=[{"sku_id": shop["tea"], "quantity": 2}]))  # 2 × 12.50
    assert answer["total"]["amount"] == paid
