"""The order promotions back office: the form (tiers by spend or quantity, each bad field named,
nothing written), the list in words, pausing, resuming and ending (audited, seen by checkout),
the permission and other shops' promotions."""

from __future__ import annotations

import datetime as dt
import html
import re
from functools import partial

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db, utcnow
from core.tenancy import tenant_scope
from engines.catalog.services import create_category, create_item
from engines.marketing.models import CouponStatus, Promotion
from engines.marketing.promotions import create_promotion, live_rules
from tests.engines.marketing.admin_pages import audit_actions, field_errors, fresh_row, rows_of, text_of

PAGES = "/merchant/marketing/promotions"
STARTS = dt.datetime(2030, 5, 31, 16, tzinfo=dt.UTC)  # the start of 1 June 2030 in Shanghai
ENDS = dt.datetime(2030, 6, 30, 16, tzinfo=dt.UTC)  # the end of 30 June 2030 in Shanghai
TWO_TIERS = [{"threshold": 5000, "amount_off": 1000}, {"threshold": 10000, "amount_off": 2500}]
GOOD = {"name": "Summer", "kind": "spend", "threshold_1": "50", "amount_off_1": "10", "scope": "all",
        "starts_on": "2030-06-01", "ends_on": "2030-06-30", "priority": "0", "combines_with_coupons": "y"}


fresh = partial(fresh_row, Promotion)
promotions = partial(rows_of, Promotion)
actions = partial(audit_actions, prefix="promotion")


@pytest.fixture
def enter(client, create_staff, sign_in, tenant_a):
    def as_role(role):
        person = create_staff(tenant_a, role)
        sign_in("merchant", person.email)
        client.get("/merchant/shops")
        return person

    return as_role


def make(tenant, db_session, **rules) -> int:
    with tenant_scope(tenant):
        made = create_promotion(**{"name": "Spend more", "kind": "spend", "tiers": TWO_TIERS, "starts_at": STARTS,
                                   "ends_at": ENDS, **rules})
        db_session.commit()
        return made.id


def test_clerks_may_not_manage_promotions(client, enter, form_post, db_session, tenant_a):
    made = make(tenant_a, db_session)
    enter("clerk")
    for path in ("", "/new", f"/{made}"):
        assert client.get(PAGES + path).status_code == 403, path
    for path, data in (("/new", GOOD), (f"/{made}/status", {"action": "end"})):
        assert form_post(PAGES + path, data, page="/merchant/").status_code == 403, path
    # and the navigation does not offer them
    assert f'href="{PAGES}"' not in client.get("/merchant/").get_data(as_text=True)
    assert [(p.name, p.status) for p in promotions(tenant_a)] == [("Spend more", CouponStatus.ACTIVE)]
    assert actions(tenant_a) == []


def test_a_manager_is_offered_promotions_in_the_navigation(client, enter, db_session):
    enter("manager")
    page = client.get(PAGES)
    assert page.status_code == 200 and "No promotions yet" in page.get_data(as_text=True)
    assert f'href="{PAGES}"' in client.get("/merchant/").get_data(as_text=True)


def test_a_bad_promotion_form_names_each_field_and_writes_nothing(client, enter, form_post, db_session, tenant_a):
    enter("manager")
    # when a spend promotion is saved with no name; a first tier off by three decimals; a second
    # below the first that gives both an amount and a percentage; a third with nothing needed;
    # items chosen as its scope but none ticked; a day that does not exist and no last day; a
    # priority in words and a budget of nothing
    refused = form_post(f"{PAGES}/new", {
        "name": "  ", "kind": "spend", "threshold_1": "50", "amount_off_1": "12.345",
        "threshold_2": "40", "amount_off_2": "5", "percent_off_2": "10", "amount_off_3": "1",
        "scope": "items", "starts_on": "2030-02-30", "ends_on": "", "priority": "high", "budget": "0"})
    # then the form comes back naming each of them
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert field_errors(page) == {
        "name": ["Give the promotion a name of up to 60 characters."],
        "amount_off_1": ["'12.345' has more than 2 decimal places for CNY"],
        "threshold_2": ["More than the tier before."],
        "percent_off_2": ["An amount off or a percentage off, not both."],
        "threshold_3": ["Give what this tier needs."],
        "scope_items": ["Choose the items or categories it applies to."],
        "starts_on": ["A day, e.g. 2025-06-30."],
        "ends_on": ["Give the last day of the promotion."],
        "priority": ["A whole number from -1000 to 1000."],
        "budget": ["A budget must be more than nothing, or none."]}
    # and what was typed is still there
    assert 'value="12.345"' in page and 'value="high"' in page
    # and nothing was written
    assert promotions(tenant_a) == []
    assert actions(tenant_a) == []
    # when no tier is given, or one that takes off as much as it needs, or it ends before it starts
    empty = form_post(f"{PAGES}/new", {**GOOD, "threshold_1": "", "amount_off_1": ""})
    assert field_errors(empty.get_data(as_text=True)) == {"threshold_1": ["Give at least one tier."]}
    greedy = form_post(f"{PAGES}/new", {**GOOD, "threshold_1": "50", "amount_off_1": "50"})
    assert field_errors(greedy.get_data(as_text=True)) == {"amount_off_1": ["Less than the spend it needs."]}
    backwards = form_post(f"{PAGES}/new", {**GOOD, "starts_on": "2030-06-30", "ends_on": "2030-06-01"})
    assert field_errors(backwards.get_data(as_text=True)) == {"ends_on": ["It must end after it starts."]}
    # when a quantity promotion counts in fractions and takes off everything
    counted = form_post(f"{PAGES}/new", {**GOOD, "kind": "quantity", "threshold_1": "2.5", "amount_off_1": "",
                                         "percent_off_1": "100", "threshold_2": "0", "percent_off_2": "0"})
    assert field_errors(counted.get_data(as_text=True)) == {
        "threshold_1": ["A whole number, e.g. 100."], "percent_off_1": ["A percentage such as 15 or 8.5, below 100."],
        "threshold_2": ["More than zero."], "percent_off_2": ["A percentage such as 15 or 8.5, below 100."]}
    unknown = form_post(f"{PAGES}/new", {**GOOD, "kind": "bogof"})
    assert unknown.status_code == 400 and "kind" in field_errors(unknown.get_data(as_text=True))
    assert promotions(tenant_a) == []
    assert actions(tenant_a) == []


def test_a_manager_makes_a_two_tier_spend_promotion_on_a_category_with_every_rule(client, enter, form_post,
                                                                                   db_session, tenant_a):
    # given a category and an item
    with tenant_scope(tenant_a):
        drinks = create_category(name="Drinks")
        tea = create_category(name="Tea", parent_id=drinks.id)
        cheap = create_item(kind="physical", name="Cheap tea", price=100, stock=1, category_id=tea.id)
        db_session.commit()
    enter("manager")
    form = client.get(f"{PAGES}/new").get_data(as_text=True)
    assert f'<option value="{tea.id}">Drinks / Tea</option>' in form
    assert f'<option value="{cheap.id}">Cheap tea</option>' in form
    assert form.count("data-tier=") == 5
    # when ¥10 off a spend of ¥50 and ¥25 off ¥100, on drinks but the cheap tea, from 1 to 30 June
    # 2030 (Shanghai), alone, without coupons, first among promotions, with a budget of ¥500 and at most 80
    # orders, is saved
    saved = form_post(f"{PAGES}/new", {
        "name": " Summer drinks ", "kind": "spend", "threshold_1": "50", "amount_off_1": "10",
        "threshold_2": "100.00", "amount_off_2": "25", "threshold_3": " ", "scope": "categories",
        "scope_categories": [str(drinks.id)], "scope_items": [str(cheap.id)], "excluded_items": [str(cheap.id)],
        "starts_on": "2030-06-01", "ends_on": "2030-06-30", "priority": "-5", "exclusive": "y", "budget": "500",
        "use_limit": "80"})
    # then it is made with exactly those rules, the days taken in the shop's time zone
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    (made,) = promotions(tenant_a)
    assert saved.headers["Location"].endswith(f"{PAGES}/{made.id}")
    assert (made.name, made.kind.value, made.tiers) == ("Summer drinks", "spend", TWO_TIERS)
    assert (made.scope.value, made.scope_ids, made.excluded_item_ids) == ("categories", [str(drinks.id)],
                                                                          [str(cheap.id)])
    assert (made.starts_at, made.ends_at) == (STARTS, ENDS)
    assert (made.priority, made.exclusive, made.combines_with_coupons, made.budget, made.budget_used,
            made.funded_by, made.status, made.use_limit) == (-5, True, False, 50000, 0, "merchant",
                                                             CouponStatus.ACTIVE, 80)
    assert actions(tenant_a) == ["promotion.create"]
    # and its page says so in words
    page = text_of(client.get(saved.headers["Location"]))
    assert "Promotion saved." in page
    assert "¥10.00 off a spend of ¥50.00 ¥25.00 off a spend of ¥100.00" in page
    assert "2030-06-01 – 2030-06-30" in page and "1 chosen category(ies), never 1 item(s)" in page
    assert "Never on the same order: it applies alone" in page and "Cannot be used with it" in page
    assert "¥0.00 of ¥500.00 given" in page and "0 of 80 orders" in page
    # when 10 % off 3 items or more is saved from today, with a blank priority and no budget
    quantity = form_post(f"{PAGES}/new", {"name": "Three", "kind": "quantity", "threshold_1": "3",
                                          "percent_off_1": "10", "scope": "all", "ends_on": "2030-06-30",
                                          "priority": "", "combines_with_coupons": "y"})
    assert quantity.status_code == 302, field_errors(quantity.get_data(as_text=True))
    made = promotions(tenant_a)[-1]
    today = utcnow().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert (made.kind.value, made.tiers, made.priority, made.budget, made.combines_with_coupons) == (
        "quantity", [{"threshold": 3, "percent_bp": 1000}], 0, None, True)
    assert made.starts_at == dt.datetime.combine(today, dt.time(), tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert "10% off 3 items or more" in text_of(client.get(quantity.headers["Location"]))
    assert actions(tenant_a) == ["promotion.create", "promotion.create"]


def test_the_list_shows_each_promotion_in_words_newest_first_a_page_at_a_time(client, enter, db_session, tenant_a,
                                                                              tenant_b, monkeypatch):
    # given three promotions of shop A, one with a budget partly spent, and one of shop B
    spend = make(tenant_a, db_session, name="Big spender", budget=50000)
    with tenant_scope(tenant_a):
        fresh(tenant_a, spend).budget_used = 3500
        db_session.commit()
    make(tenant_a, db_session, name="Three or more", kind="quantity",
         tiers=[{"threshold": 3, "percent_bp": 1000}, {"threshold": 5, "percent_bp": 1550}])
    make(tenant_a, db_session, name="Long over", starts_at=STARTS - dt.timedelta(days=9000),
         ends_at=STARTS - dt.timedelta(days=8000))
    make(tenant_b, db_session, name="Not ours")
    enter("manager")
    # when the list is read
    page = text_of(client.get(PAGES))
    # then each shows its kind, tiers in words, window, status and budget, newest first
    assert re.findall(r"(Long over|Three or more|Big spender) By", page) == ["Long over", "Three or more",
                                                                            "Big spender"]
    assert ("Big spender By spend ¥10.00 off a spend of ¥50.00; ¥25.00 off a spend of ¥100.00 "
            "2030-06-01 – 2030-06-30 Scheduled ¥35.00 / ¥500.00") in page
    assert ("Three or more By number of items 10% off 3 items or more; 15.5% off 5 items or more "
            "2030-06-01 – 2030-06-30 Scheduled ¥0.00 / ∞ no limit") in page
    assert "Long over By spend" in page and "Over ¥0.00 / ∞" in page
    assert "Not ours" not in page
    # and with two a page, the second page holds the oldest
    monkeypatch.setattr("engines.marketing.admin.PAGE", 2)
    first = client.get(PAGES).get_data(as_text=True)
    older = re.search(r'href="([^"]*before=\d+)"', first).group(1)
    second = text_of(client.get(html.unescape(older)))
    assert "Big spender" in second and "Three or more" not in second
    # and the tabs show one status
    with tenant_scope(tenant_a):
        fresh(tenant_a, spend).status = CouponStatus.PAUSED
        db_session.commit()
    paused = text_of(client.get(f"{PAGES}?status=paused"))
    assert "Big spender" in paused and "Three or more" not in paused
    assert "Nothing here." in text_of(client.get(f"{PAGES}?status=ended"))


def test_a_promotion_is_paused_resumed_and_ended_audited_and_checkout_sees_it(client, enter, form_post, db_session,
                                                                              tenant_a):
    now = utcnow()
    made = make(tenant_a, db_session, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=1))
    enter("manager")
    page = f"{PAGES}/{made}"

    def act(action):
        return form_post(f"{page}/status", {"action": action}, page=page)

    def live() -> list[int]:
        with tenant_scope(tenant_a):
            return [rule.id for rule in live_rules(utcnow())]

    assert live() == [made]
    assert act("pause").status_code == 302 and fresh(tenant_a, made).status == CouponStatus.PAUSED
    assert "Promotion paused" in text_of(client.get(page))
    assert live() == []  # checkout no longer gives it
    assert act("resume").status_code == 302 and fresh(tenant_a, made).status == CouponStatus.ACTIVE
    assert live() == [made]
    assert act("end").status_code == 302 and fresh(tenant_a, made).status == CouponStatus.ENDED
    assert live() == []
    # an ended promotion stays ended
    assert act("resume").status_code == 302
    assert "An ended promotion stays ended" in text_of(client.get(page))
    assert fresh(tenant_a, made).status == CouponStatus.ENDED
    # an unknown action, or no CSRF token, is refused
    assert act("delete").status_code == 400
    assert client.post(f"{page}/status", data={"action": "pause"}).status_code == 400
    assert fresh(tenant_a, made).status == CouponStatus.ENDED
    assert actions(tenant_a) == ["promotion.pause", "promotion.resume", "promotion.end"]
    with tenant_scope(tenant_a):
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.tenant_id == tenant_a.id,
                                                           AuditEntry.action == "promotion.end"))
    assert (entry.target, entry.details) == (f"promotion {made}", {"name": "Spend more"})


def test_another_shops_promotion_is_not_found(client, enter, form_post, db_session, tenant_a, tenant_b):
    theirs = make(tenant_b, db_session, name="Theirs")
    enter("owner")
    assert client.get(f"{PAGES}/{theirs}").status_code == 404
    assert form_post(f"{PAGES}/{theirs}/status", {"action": "end"}, page=f"{PAGES}/new").status_code == 404
    assert fresh(tenant_b, theirs).status == CouponStatus.ACTIVE
    assert actions(tenant_a) == actions(tenant_b) == []


def test_the_list_costs_the_same_queries_however_many_promotions_it_shows(client, enter, db_session, tenant_a,
                                                                          count_queries):
    enter("manager")
    for name in ("A", "B"):
        make(tenant_a, db_session, name=name)
    client.get(PAGES)
    with count_queries() as few:
        assert client.get(PAGES).status_code == 200
    for name in "CDEFGH":
        make(tenant_a, db_session, name=name, kind="quantity", tiers=[{"threshold": 2, "amount_off": 100}],
             scope="items", scope_ids=(1,), budget=1000)
    with count_queries() as many:
        page = client.get(PAGES).get_data(as_text=True)
    assert page.count("data-promotion=") == 8
    assert len(many) == len(few)


def _gift_and_coupons(tenant, db_session) -> tuple[str, str, str]:
    """A SKU on sale, an active coupon and a paused one of `tenant`."""
    from engines.catalog.services import skus_by_item
    from engines.marketing.services import CouponRules, create_coupon, set_coupon_status
    with tenant_scope(tenant):
        cake = create_item(kind="physical", name="Gift cake", price=800, stock=5, status="on_sale")
        active = create_coupon(CouponRules(name="Next time", kind="amount", amount=500, valid_days=30))
        paused = set_coupon_status(create_coupon(CouponRules(name="Resting", kind="amount", amount=500,
                                                             valid_days=30)), "paused")
        db_session.commit()
        return str(skus_by_item([cake.id])[cake.id][0].id), str(active.id), str(paused.id)


def test_a_tier_gives_free_delivery_points_a_gift_and_a_coupon_and_the_pages_say_so(client, enter, form_post,
                                                                                    db_session, tenant_a):
    # given a SKU on sale, a draft item, an active coupon and a paused one
    sku_id, coupon_id, paused_id = _gift_and_coupons(tenant_a, db_session)
    with tenant_scope(tenant_a):
        create_item(kind="physical", name="Unlisted tart", price=100)
        db_session.commit()
    enter("manager")
    # then the form offers the SKU on sale and the active coupon, and does not count special prices
    form = client.get(f"{PAGES}/new").get_data(as_text=True)
    assert f'<option value="{sku_id}">Gift cake — ¥8.00</option>' in form and "Unlisted tart —" not in form
    assert f'<option value="{coupon_id}">Next time (¥5.00 off)</option>' in form
    assert f'value="{paused_id}"' not in form
    assert re.search(r'<input [^>]*name="on_special_prices"[^>]*>', form)
    assert not re.search(r'<input [^>]*checked[^>]*name="on_special_prices"', form)
    # when tier 1 gives free delivery, 100 points, two cakes and the coupon, tier 2 ¥25 off, counting
    # items at a special price too
    saved = form_post(f"{PAGES}/new", {
        **GOOD, "free_shipping_1": "y", "amount_off_1": "", "points_1": "100", "gift_1": sku_id,
        "gift_quantity_1": "2", "coupon_1": coupon_id, "threshold_2": "100", "amount_off_2": "25",
        "on_special_prices": "y"})
    # then it is made with exactly those tiers
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    (made,) = promotions(tenant_a)
    assert made.tiers == [{"threshold": 5000, "free_shipping": True, "points": 100,
                           "gifts": [{"sku_id": sku_id, "quantity": 2}], "coupon_ids": [coupon_id]},
                          {"threshold": 10000, "amount_off": 2500}]
    assert made.on_special_prices is True
    # and its page and the list say each tier's benefits in words
    page = text_of(client.get(saved.headers["Location"]))
    assert "free delivery, 100 points, 2 gifts, 1 coupon for a spend of ¥50.00" in page
    assert "¥25.00 off a spend of ¥100.00" in page
    assert "Also counts items already at a special price" in page
    assert "free delivery, 100 points, 2 gifts, 1 coupon for a spend of ¥50.00" in text_of(client.get(PAGES))
    # when a quantity promotion gives 10 % off and a gift of one cake (quantity left blank), not
    # counting special prices
    quantity = form_post(f"{PAGES}/new", {**GOOD, "kind": "quantity", "threshold_1": "3", "amount_off_1": "",
                                          "percent_off_1": "10", "gift_1": sku_id})
    assert quantity.status_code == 302, field_errors(quantity.get_data(as_text=True))
    made = promotions(tenant_a)[-1]
    assert (made.tiers, made.on_special_prices) == (
        [{"threshold": 3, "percent_bp": 1000, "gifts": [{"sku_id": sku_id, "quantity": 1}]}], False)
    page = text_of(client.get(quantity.headers["Location"]))
    assert "10% off, 1 gift for 3 items or more" in page
    assert "Does not count items already at a special price" in page


def test_bad_tier_benefits_are_named_on_their_fields_and_write_nothing(client, enter, form_post, db_session,
                                                                      tenant_a, tenant_b):
    sku_id, coupon_id, paused_id = _gift_and_coupons(tenant_a, db_session)
    _their_sku, theirs, _paused = _gift_and_coupons(tenant_b, db_session)
    enter("manager")
    # when tier 1 gives nothing, tier 2 too many points, tier 3 eleven gifts, tier 4 a quantity
    # without a gift and tier 5 another shop's coupon
    refused = form_post(f"{PAGES}/new", {
        **GOOD, "amount_off_1": "", "threshold_2": "60", "points_2": "1000001", "threshold_3": "70",
        "gift_3": sku_id, "gift_quantity_3": "11", "threshold_4": "80", "gift_quantity_4": "2",
        "threshold_5": "90", "coupon_5": theirs})
    # then each is named on its field
    assert refused.status_code == 400
    assert field_errors(refused.get_data(as_text=True)) == {
        "amount_off_1": ["Give what this tier gives: an amount or a percentage off, free delivery, points, a gift "
                         "or a coupon."],
        "points_2": ["From 1 to 1,000,000 points."], "gift_quantity_3": ["From 1 to 10."],
        "gift_4": ["Choose the gift."], "coupon_5": ["Choose from the list."]}
    # when the points are not a number, a paused coupon is given and the gift is not the shop's
    again = form_post(f"{PAGES}/new", {**GOOD, "points_1": "lots", "threshold_2": "60", "coupon_2": paused_id,
                                       "threshold_3": "70", "gift_3": "999999"})
    assert field_errors(again.get_data(as_text=True)) == {
        "points_1": ["A whole number, e.g. 100."], "coupon_2": ["Choose from the list."],
        "gift_3": ["Choose from the list."]}
    # and nothing was written
    assert promotions(tenant_a) == [] and promotions(tenant_b) == []
    assert "promotion.create" not in actions(tenant_a)
