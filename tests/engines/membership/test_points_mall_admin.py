"""The points mall's back-office page: adding a catalog SKU (each field wrong named beside it,
nothing written — a cash part not under the item's price, no points, an item already in the mall;
a good one saved in minor units, audited, listed in words with its picture, price, stock, tier,
limit and the paid orders that redeemed it), changing one (its SKU stays; a refused change writes
nothing), taking it off the mall and putting it back (audited as the Admin API's change of
"active"), the permission, another shop's offer and the list's queries."""

from __future__ import annotations

import re
from functools import partial

from core.tenancy import tenant_scope
from engines.catalog.services import create_item, skus_by_item
from engines.membership.models import RedemptionItem
from engines.membership.redemption import create_offer
from tests.engines.marketing.admin_pages import audit_actions, field_errors, fresh_row, rows_of, text_of
from tests.engines.membership.test_automations_admin import row_text
from tests.engines.membership.test_membership_admin import audited, enter, make_tier  # noqa: F401  enter: a fixture
from tests.engines.membership.test_points import give

PAGES = "/merchant/membership/points-mall"
TEA_CASH = "Must be less than the item's price, ¥12.50: the points pay the rest."

offers_of = partial(rows_of, RedemptionItem)
fresh_offer = partial(fresh_row, RedemptionItem)
mall_actions = partial(audit_actions, prefix="points_mall")


def make_offer(tenant, db_session, sku_id, **values) -> int:
    with tenant_scope(tenant):
        made = create_offer(sku_id=int(sku_id), **{"points": 500, **values})
        db_session.commit()
        return made.id


def make_cups(tenant, db_session) -> dict[str, str]:
    """A tea cup in two colours, with a picture: its SKUs' ids by colour."""
    with tenant_scope(tenant):
        cup = create_item(kind="physical", name="Tea cup", price=2900, stock=40, status="on_sale",
                          images=["https://cdn.example.com/cup.png"],
                          options=[{"name": "Colour", "values": ["White", "Celadon"]}])
        skus = {sku.options["Colour"]: str(sku.id) for sku in skus_by_item([cup.id])[cup.id]}
        db_session.commit()
    return skus


def listed(page: str) -> list[str]:
    return re.findall(r'data-offer="(\d+)"', page)


def choices(page: str) -> list[str]:
    """The item select's options, as a person reads them."""
    select = re.search(r'<select[^>]*name="sku_id".*?</select>', page, re.S).group(0)
    return [re.sub(r"\s+", " ", text).replace("&amp;", "&") for text in re.findall(r"<option[^>]*>([^<]*)</option>",
                                                                                    select)]


# -- permissions, other shops ------------------------------------------------------------------------

def test_clerks_may_not_manage_the_points_mall(client, enter, form_post, db_session, shop, tenant_a):  # noqa: F811
    made = make_offer(tenant_a, db_session, shop["tea"])
    enter("clerk")
    for path in ("", "/new", f"/{made}"):
        assert client.get(PAGES + path).status_code == 403, path
    for path, data in (("/new", {"sku_id": shop["cake"], "points": "100"}), (f"/{made}", {"points": "1"}),
                       (f"/{made}/shown", {"action": "off"})):
        assert form_post(PAGES + path, data, page="/merchant/").status_code == 403, path
    assert f'href="{PAGES}"' not in client.get("/merchant/").get_data(as_text=True)
    (only,) = offers_of(tenant_a)
    assert (only.points, only.active) == (500, True) and mall_actions(tenant_a) == []


def test_a_manager_is_offered_the_points_mall_in_the_navigation(client, enter, db_session):  # noqa: F811
    enter("manager")
    dashboard = client.get("/merchant/").get_data(as_text=True)
    assert f'href="{PAGES}"' in dashboard and "ti-gift" in dashboard
    page = client.get(PAGES)
    assert page.status_code == 200
    words = text_of(page)
    assert "Nothing in the points mall yet" in words
    assert ("The points are taken when they place the order and given back if the order is cancelled or refunded."
            in words)


def test_another_shops_offer_is_not_found(client, enter, form_post, db_session, tenant_a, tenant_b):  # noqa: F811
    with tenant_scope(tenant_b):
        theirs_item = create_item(kind="physical", name="Theirs", price=1000, stock=3, status="on_sale")
        sku = skus_by_item([theirs_item.id])[theirs_item.id][0].id
        db_session.commit()
    theirs = make_offer(tenant_b, db_session, sku)
    enter("owner")
    assert client.get(f"{PAGES}/{theirs}").status_code == 404
    for path, data in ((f"/{theirs}", {"points": "1", "per_member_limit": "0", "position": "0"}),
                       (f"/{theirs}/shown", {"action": "off"})):
        assert form_post(PAGES + path, data, page=f"{PAGES}/new").status_code == 404, path
    # nor can their SKU be added to this shop's mall
    refused = form_post(f"{PAGES}/new", {"sku_id": str(sku), "points": "100", "active": "y"})
    assert refused.status_code == 400
    assert field_errors(refused.get_data(as_text=True)) == {"sku_id": ["There is no such item in the catalog."]}
    (still,) = offers_of(tenant_b)
    assert (still.points, still.active) == (500, True)
    assert offers_of(tenant_a) == [] and listed(client.get(PAGES).get_data(as_text=True)) == []
    assert mall_actions(tenant_a) == mall_actions(tenant_b) == []


# -- adding and changing ------------------------------------------------------------------------------

def test_a_bad_offer_names_each_field_and_writes_nothing(client, enter, form_post, db_session, shop,  # noqa: F811
                                                         tenant_a):
    make_offer(tenant_a, db_session, shop["cake"], points=200)
    enter("manager")
    good = {"sku_id": shop["tea"], "points": "500", "cash": "9.90", "per_member_limit": "2", "min_tier_id": "",
            "position": "0", "active": "y"}
    refused = form_post(f"{PAGES}/new", {**good, "points": "0", "cash": "12.50", "per_member_limit": "two",
                                         "position": "-1"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert field_errors(page) == {"points": ["Points from 1 to 10,000,000."], "cash": [TEA_CASH],
                                  "per_member_limit": ["A whole number, e.g. 2; 0 for no limit."],
                                  "position": ["A whole number, e.g. 10; lower comes first."]}
    assert 'value="12.50"' in page and 'value="two"' in page  # what was typed stays
    for values, named, message in (({"sku_id": ""}, "sku_id", "Choose an item of the catalog."),
                                   ({"points": ""}, "points", "Give the points for one, e.g. 500."),
                                   ({"points": "lots"}, "points", "A whole number of points, e.g. 500."),
                                   ({"cash": "9.999"}, "cash", "An amount such as 9.90; blank or 0 for points only."),
                                   ({"cash": "20"}, "cash", TEA_CASH),
                                   ({"min_tier_id": "12345"}, "min_tier_id", "There is no such tier."),
                                   ({"sku_id": shop["cake"], "cash": ""}, "sku_id",
                                    "This item is in the points mall already: change its offer instead.")):
        answer = form_post(f"{PAGES}/new", {**good, **values})
        assert answer.status_code == 400, values
        assert field_errors(answer.get_data(as_text=True)) == {named: [message]}, values
    assert [offer.sku_id for offer in offers_of(tenant_a)] == [int(shop["cake"])] and mall_actions(tenant_a) == []


def test_a_manager_adds_items_and_finds_them_listed_in_words(client, enter, form_post, db_session, shop,  # noqa: F811
                                                             tenant_a):
    gold = make_tier(tenant_a, db_session, "Gold", 1000)
    cups = make_cups(tenant_a, db_session)
    enter("manager")
    form = client.get(f"{PAGES}/new").get_data(as_text=True)
    assert choices(form) == ["Choose an item", "Cake (¥8.00)", "Massage (¥99.00)", "Noodles (¥22.00)", "Tea (¥12.50)",
                             "Tea cup — Colour: Celadon (¥29.00)", "Tea cup — Colour: White (¥29.00)"]
    assert "Everyone" in form and "Gold members and above" in form
    saved = form_post(f"{PAGES}/new", {"sku_id": cups["White"], "points": "1,500", "cash": "9.90",
                                       "per_member_limit": "2", "min_tier_id": str(gold), "position": "5",
                                       "active": "y"})
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    assert saved.headers["Location"].endswith(PAGES)
    assert "Tea cup — Colour: White is in the points mall." in text_of(client.get(PAGES))
    (cup,) = offers_of(tenant_a)
    assert (cup.sku_id, cup.points, cup.cash, cup.per_member_limit, cup.min_tier_id, cup.position, cup.active) == (
        int(cups["White"]), 1500, 990, 2, gold, 5, True)
    (entry,) = audited(tenant_a, "points_mall.create")
    assert (entry.target, entry.details) == (f"redemption_item {cup.id}",
                                            {"sku_id": cups["White"], "points": 1500, "cash": 990})
    # points only: blank cash, blank limit, everyone
    plain = form_post(f"{PAGES}/new", {"sku_id": shop["tea"], "points": "500", "cash": "", "per_member_limit": "",
                                       "min_tier_id": "", "position": "", "active": "y"})
    assert plain.status_code == 302, field_errors(plain.get_data(as_text=True))
    tea = offers_of(tenant_a)[-1]
    assert (tea.points, tea.cash, tea.per_member_limit, tea.min_tier_id, tea.position) == (500, 0, 0, None, 0)
    # a member redeems two teas in one paid order
    give(shop, db_session, 1000)
    redeemed = client.post(f"/api/v1/points-mall/{tea.id}/redeem", headers=shop["headers"],
                           json={"quantity": 2, "fulfillment": {"type": "pickup", "store_id": shop["store"]}})
    assert redeemed.status_code == 201 and redeemed.json["order"]["status"] == "paid", redeemed.json
    page = client.get(PAGES)
    html = page.get_data(as_text=True)
    assert listed(html) == [str(tea.id), str(cup.id)]  # by position
    assert row_text(html, "offer", cup.id) == ("Tea cup Colour: White 1,500 points + ¥9.90 ¥29.00 40 Gold and above 2 "
                                              "On the mall 0 Take off Tea cup Colour: White")
    assert row_text(html, "offer", tea.id) == "Tea 500 points ¥12.50 3 Everyone No limit On the mall 1 Take off Tea"
    assert 'src="https://cdn.example.com/cup.png"' in html
    # what is in the mall is no longer offered to add
    assert "Tea (¥12.50)" not in choices(client.get(f"{PAGES}/new").get_data(as_text=True))
    assert mall_actions(tenant_a) == ["points_mall.create"] * 2


def test_a_manager_changes_an_offer_and_a_refused_change_writes_nothing(client, enter, form_post,  # noqa: F811
                                                                        db_session, shop, tenant_a):
    gold = make_tier(tenant_a, db_session, "Gold", 1000)
    made = make_offer(tenant_a, db_session, shop["tea"], points=800, cash=300, per_member_limit=1, min_tier_id=gold)
    enter("manager")
    form = client.get(f"{PAGES}/{made}").get_data(as_text=True)
    for shown in ('value="800"', 'value="3.00"', 'value="1"', f'<option selected value="{gold}">',
                  '<input checked class="form-check-input" id="active" name="active"'):
        assert shown in form, shown
    assert 'name="sku_id"' not in form and "Price ¥12.50 · 5 in stock" in text_of(client.get(f"{PAGES}/{made}"))
    edit = {"points": "800", "cash": "3", "per_member_limit": "1", "min_tier_id": str(gold), "position": "0",
            "active": "y"}
    refused = form_post(f"{PAGES}/{made}", {**edit, "points": "0", "cash": "12.50"})
    assert refused.status_code == 400
    assert field_errors(refused.get_data(as_text=True)) == {"points": ["Points from 1 to 10,000,000."],
                                                            "cash": [TEA_CASH]}
    offer = fresh_offer(tenant_a, made)
    assert (offer.points, offer.cash) == (800, 300) and mall_actions(tenant_a) == []
    # the SKU posted along is not taken: another item is another offer
    saved = form_post(f"{PAGES}/{made}", {**edit, "points": "600", "cash": "", "min_tier_id": "",
                                          "sku_id": shop["cake"]})
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    offer = fresh_offer(tenant_a, made)
    assert (offer.sku_id, offer.points, offer.cash, offer.per_member_limit, offer.min_tier_id) == (
        int(shop["tea"]), 600, 0, 1, None)
    (entry,) = audited(tenant_a, "points_mall.update")
    assert (entry.target, entry.details) == (f"redemption_item {made}", {"fields": ["points", "cash", "min_tier_id"]})
    assert "Tea saved." in text_of(client.get(PAGES))


def test_an_offer_is_taken_off_the_mall_and_put_back(client, enter, form_post, db_session, shop,  # noqa: F811
                                                     tenant_a):
    made = make_offer(tenant_a, db_session, shop["tea"])
    enter("manager")
    off = form_post(f"{PAGES}/{made}/shown", {"action": "off"}, page=PAGES)
    assert off.status_code == 302 and off.headers["Location"].endswith(PAGES)
    assert fresh_offer(tenant_a, made).active is False
    page = client.get(PAGES)
    assert "Tea is off the points mall: members cannot redeem it now" in text_of(page)
    assert row_text(page.get_data(as_text=True), "offer", made).endswith("Off the mall 0 Put back Tea")
    shown = client.get("/api/v1/points-mall", headers={"X-Tenant": tenant_a.slug})
    assert shown.json["items"] == []
    on = form_post(f"{PAGES}/{made}/shown", {"action": "on"}, page=PAGES)
    assert on.status_code == 302 and fresh_offer(tenant_a, made).active is True
    assert "Tea is back in the points mall." in text_of(client.get(PAGES))
    entries = audited(tenant_a, "points_mall.update")
    assert [(e.target, e.details) for e in entries] == [(f"redemption_item {made}", {"fields": ["active"]})] * 2
    assert form_post(f"{PAGES}/{made}/shown", {"action": "sometimes"}, page=PAGES).status_code == 400
    assert client.post(f"{PAGES}/{made}/shown", data={"action": "off"}).status_code == 400  # no CSRF token
    assert fresh_offer(tenant_a, made).active is True and len(audited(tenant_a, "points_mall.update")) == 2


def test_the_list_costs_the_same_queries_however_many_it_shows(client, enter, db_session, shop, tenant_a,  # noqa: F811
                                                               count_queries):
    make_tier(tenant_a, db_session, "Gold", 1000)
    make_offer(tenant_a, db_session, shop["tea"])
    enter("manager")
    client.get(PAGES)
    with count_queries() as few:
        assert client.get(PAGES).status_code == 200
    for key in ("cake", "noodles", "massage"):
        make_offer(tenant_a, db_session, shop[key], points=100, cash=100)
    for sku in make_cups(tenant_a, db_session).values():
        make_offer(tenant_a, db_session, sku, points=100)
    client.get(PAGES)
    with count_queries() as many:
        page = client.get(PAGES)
    assert len(listed(page.get_data(as_text=True))) == 6
    assert len(many) == len(few), many
