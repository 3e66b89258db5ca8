"""The coupons back office: the form (every rule, each bad field named, nothing written), the
list, pausing, resuming and ending, sending copies to customers by phone or email, the
permission and other shops' coupons."""

from __future__ import annotations

import datetime as dt
import html
import re
from functools import partial

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.services import create_category, create_item
from engines.marketing.models import ConsumerCoupon, Coupon, CouponStatus
from engines.marketing.services import CouponRules, claim, create_coupon
from tests.engines.marketing.admin_pages import audit_actions, field_errors, fresh_row, rows_of, text_of

PAGES = "/merchant/marketing/coupons"
LATER = dt.datetime(2030, 6, 30, 16, tzinfo=dt.UTC)  # the end of 30 June 2030 in Shanghai


fresh = partial(fresh_row, Coupon)
coupons = partial(rows_of, Coupon)
actions = partial(audit_actions, prefix="coupon")


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
        made = create_coupon(CouponRules(**{"name": "Save", "kind": "amount", "amount": 500, "ends_at": LATER, **rules}))
        db_session.commit()
        return made.id


def test_clerks_may_not_manage_coupons(client, enter, form_post, db_session, tenant_a):
    made = make(tenant_a, db_session)
    enter("clerk")
    for path in ("", "/new", f"/{made}"):
        assert client.get(PAGES + path).status_code == 403, path
    for path, data in (("/new", {"name": "Mine", "kind": "amount", "amount": "5"}), (f"/{made}/status", {"action": "end"}),
                       (f"/{made}/send", {"recipients": "a@example.com"})):
        assert form_post(PAGES + path, data, page="/merchant/").status_code == 403, path
    # and the navigation does not offer them
    assert f'href="{PAGES}"' not in client.get("/merchant/").get_data(as_text=True)
    assert [(c.name, c.status) for c in coupons(tenant_a)] == [("Save", CouponStatus.ACTIVE)]


def test_a_manager_is_offered_coupons_in_the_navigation(client, enter, db_session):
    enter("manager")
    page = client.get(PAGES)
    assert page.status_code == 200 and "No coupons yet" in page.get_data(as_text=True)
    assert f'href="{PAGES}"' in client.get("/merchant/").get_data(as_text=True)


def test_a_bad_coupon_form_names_each_field_and_writes_nothing(client, enter, form_post, db_session, tenant_a):
    enter("manager")
    # when a threshold coupon is saved with no name, an amount of three decimals, items chosen
    # as its scope but none ticked, no last day nor days of use, and limits that are not numbers
    refused = form_post(f"{PAGES}/new", {"name": "  ", "kind": "threshold", "amount": "12.345", "minimum": "50",
                                         "scope": "items", "ends_on": "", "valid_days": "", "total_limit": "many",
                                         "per_consumer_limit": "0", "starts_on": "2030-02-30"})
    # then the form comes back naming each of them
    assert refused.status_code == 400
    errors = field_errors(refused.get_data(as_text=True))
    assert errors == {
        "name": ["Give the coupon a name of up to 60 characters."],
        "amount": ["'12.345' has more than 2 decimal places for CNY"],
        "scope_items": ["Choose the items or categories it applies to."],
        "starts_on": ["A day, e.g. 2025-06-30."],
        "ends_on": ["Give the last day it can be used, or a number of days after it is claimed."],
        "total_limit": ["A whole number, e.g. 100."],
        "per_consumer_limit": ["From 1 to 100 per consumer."]}
    # and what was typed is still there
    assert 'value="12.345"' in refused.get_data(as_text=True)
    # and nothing was written
    assert coupons(tenant_a) == []
    assert "coupon.create" not in actions(tenant_a)
    # when a threshold's spend is not above what it takes off, and a percentage is nonsense
    again = form_post(f"{PAGES}/new", {"name": "Odd", "kind": "threshold", "amount": "50", "minimum": "50",
                                       "ends_on": "2030-06-30", "per_consumer_limit": "1"})
    assert field_errors(again.get_data(as_text=True)) == {
        "minimum": ["A threshold coupon needs a spend above the amount it takes off."]}
    percent = form_post(f"{PAGES}/new", {"name": "Odd", "kind": "percent", "percent": "100", "ends_on": "2030-06-30",
                                         "per_consumer_limit": "1"})
    assert field_errors(percent.get_data(as_text=True)) == {"percent": ["A percentage such as 15 or 8.5, below 100."]}
    assert coupons(tenant_a) == []


def test_a_manager_makes_a_threshold_coupon_on_a_category_with_every_rule(client, enter, form_post, db_session,
                                                                           tenant_a):
    # given a category and two items
    with tenant_scope(tenant_a):
        drinks = create_category(name="Drinks")
        tea = create_category(name="Tea", parent_id=drinks.id)
        cheap = create_item(kind="physical", name="Cheap tea", price=100, stock=1, category_id=tea.id)
        db_session.commit()
    enter("manager")
    form = client.get(f"{PAGES}/new").get_data(as_text=True)
    assert '<option value="{}">Drinks / Tea</option>'.format(tea.id) in form
    assert '<option value="{}">Cheap tea</option>'.format(cheap.id) in form
    # when ¥10 off a spend of ¥50 on drinks but the cheap tea, claimable from 1 June to 30 June
    # 2030 (Shanghai), 100 copies, 2 each, not in the claim centre, is saved
    saved = form_post(f"{PAGES}/new", {
        "name": " Summer drinks ", "kind": "threshold", "amount": "10", "minimum": "50.00", "percent": "12",
        "cap": "3", "scope": "categories", "scope_categories": [str(drinks.id)], "scope_items": [str(cheap.id)],
        "excluded_items": [str(cheap.id)], "starts_on": "2030-06-01", "ends_on": "2030-06-30", "valid_days": "",
        "total_limit": "100", "per_consumer_limit": "2"})
    # then it is made with exactly those rules, the days taken in the shop's time zone
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    (made,) = coupons(tenant_a)
    assert saved.headers["Location"].endswith(f"{PAGES}/{made.id}")
    assert (made.name, made.kind.value, made.amount, made.minimum, made.percent_bp, made.cap) == (
        "Summer drinks", "threshold", 1000, 5000, 0, None)  # the percentage's fields are not a threshold's
    assert (made.scope.value, made.scope_ids, made.excluded_item_ids) == ("categories", [str(drinks.id)], [str(cheap.id)])
    assert (made.starts_at, made.ends_at, made.valid_days) == (
        dt.datetime(2030, 5, 31, 16, tzinfo=dt.UTC), dt.datetime(2030, 6, 30, 16, tzinfo=dt.UTC), None)
    assert (made.total_limit, made.per_consumer_limit, made.public, made.funded_by) == (100, 2, False, "merchant")
    assert actions(tenant_a) == ["coupon.create"]
    # and its page says so in words
    page = text_of(client.get(saved.headers["Location"]))
    assert "Coupon saved." in page and "¥10.00 off a spend of ¥50.00" in page
    assert "2030-06-01 – 2030-06-30" in page and "1 chosen category(ies), never 1 item(s)" in page
    # when a percentage coupon good for 7 days after claiming is saved
    percent = form_post(f"{PAGES}/new", {"name": "Loyal", "kind": "percent", "percent": "8.5", "cap": "20",
                                         "minimum": "", "scope": "all", "valid_days": "7", "per_consumer_limit": "1",
                                         "public": "y"})
    assert percent.status_code == 302
    made = coupons(tenant_a)[-1]
    assert (made.percent_bp, made.cap, made.minimum, made.valid_days, made.ends_at, made.public) == (
        850, 2000, 0, 7, None, True)


def test_the_list_shows_each_coupon_in_words_newest_first_a_page_at_a_time(client, enter, db_session, tenant_a,
                                                                           tenant_b, create_consumer, monkeypatch):
    # given three coupons of shop A, one of them claimed once, and one of shop B
    threshold = make(tenant_a, db_session, name="Big spender", kind="threshold", amount=1000, minimum=5000,
                     total_limit=100, starts_at=dt.datetime(2030, 5, 31, 16, tzinfo=dt.UTC))
    make(tenant_a, db_session, name="Loyal", kind="percent", percent_bp=850, cap=2000, valid_days=7, ends_at=None,
         scope="items", scope_ids=(1, 2))
    make(tenant_a, db_session, name="Free delivery", kind="free_shipping", minimum=3000, public=False)
    make(tenant_b, db_session, name="Not ours")
    consumer = create_consumer(tenant_a)
    with tenant_scope(tenant_a):
        claim(threshold, consumer.id)
        db_session.commit()
    enter("manager")
    # when the list is read
    page = text_of(client.get(PAGES))
    # then each shows what it takes off, when it is good, its status and counts
    assert re.findall(r"(Free delivery|Loyal|Big spender) (?:In the claim centre|Sent only)", page) == [
        "Free delivery", "Loyal", "Big spender"]
    assert "Big spender In the claim centre ¥10.00 off a spend of ¥50.00 2030-06-01 – 2030-06-30 Running 1 / 100 0" in page
    assert "Loyal In the claim centre 8.5% off, at most ¥20.00 on 2 chosen item(s) 7 day(s) after claiming Running 0 / ∞" \
        in page
    assert "Free delivery Sent only Free delivery on a spend of ¥30.00 or more Until 2030-06-30 Running" in page
    assert "Not ours" not in page
    # and with two a page, the second page holds the oldest
    monkeypatch.setattr("engines.marketing.admin.PAGE", 2)
    first = client.get(PAGES).get_data(as_text=True)
    older = re.search(r'href="([^"]*before=\d+)"', first).group(1)
    second = text_of(client.get(html.unescape(older)))
    assert "Big spender" in second and "Loyal" not in second
    # and the tabs show one status
    with tenant_scope(tenant_a):
        fresh(tenant_a, threshold).status = CouponStatus.PAUSED
        db_session.commit()
    paused = text_of(client.get(f"{PAGES}?status=paused"))
    assert "Big spender" in paused and "Loyal" not in paused


def test_a_coupon_is_paused_resumed_and_ended(client, enter, form_post, db_session, tenant_a, create_consumer):
    made = make(tenant_a, db_session)
    enter("manager")
    page = f"{PAGES}/{made}"

    def act(action):
        return form_post(f"{page}/status", {"action": action}, page=page)

    assert act("pause").status_code == 302 and fresh(tenant_a, made).status == CouponStatus.PAUSED
    assert "Coupon paused" in text_of(client.get(page))
    # a paused coupon cannot be claimed
    consumer = create_consumer(tenant_a)
    with tenant_scope(tenant_a):
        from core.errors import APIError

        with pytest.raises(APIError):
            claim(made, consumer.id)
        db_session.rollback()
    assert act("resume").status_code == 302 and fresh(tenant_a, made).status == CouponStatus.ACTIVE
    assert act("end").status_code == 302 and fresh(tenant_a, made).status == CouponStatus.ENDED
    # an ended coupon stays ended
    assert act("resume").status_code == 302
    assert "An ended coupon stays ended" in text_of(client.get(page))
    assert fresh(tenant_a, made).status == CouponStatus.ENDED
    # an unknown action, or no CSRF token, is refused
    assert act("delete").status_code == 400
    assert client.post(f"{page}/status", data={"action": "pause"}).status_code == 400
    assert actions(tenant_a) == ["coupon.pause", "coupon.resume", "coupon.end"]


def test_copies_are_sent_to_customers_named_by_phone_or_email(client, enter, form_post, db_session, tenant_a,
                                                             tenant_b, create_consumer):
    # given a coupon only sent, never offered, and customers of this shop and another
    made = make(tenant_a, db_session, public=False, per_consumer_limit=1)
    ann = create_consumer(tenant_a, email="ann@example.com", phone="13800000001")
    bob = create_consumer(tenant_a, email="bob@example.com", phone="13900000002")
    has_one = create_consumer(tenant_a, email="has@example.com")
    create_consumer(tenant_b, email="other@example.com")
    with tenant_scope(tenant_a):
        from engines.marketing.services import issue

        issue(fresh(tenant_a, made), has_one.id, source="sent")
        db_session.commit()
    enter("manager")
    page = f"{PAGES}/{made}"
    # when they are named one a line: by email in capitals, by phone with dashes, and some that
    # are no customer of this shop or hold one already
    sent = form_post(f"{page}/send", {"recipients": "ANN@example.com\n139-0000-0002\n\nnobody@example.com\n"
                                                    "other@example.com\nhas@example.com\n13800000001\n"}, page=page)
    # then each customer got one copy, and the page says who was refused and why
    assert sent.status_code == 200
    shown = text_of(sent)
    assert "2 customer(s) got a copy." in shown
    assert ("Not sent: nobody@example.com — No customer with this phone number or email "
            "other@example.com — No customer with this phone number or email "
            "has@example.com — Already holds as many as one customer may") in shown
    with tenant_scope(tenant_a):
        held = sorted(db.session.execute(select(ConsumerCoupon.consumer_id, ConsumerCoupon.source)
                                         .where(ConsumerCoupon.coupon_id == made)).all())
    assert held == sorted([(ann.id, "sent"), (bob.id, "sent"), (has_one.id, "sent")])
    assert fresh(tenant_a, made).issued_count == 3
    assert "Copies issued 3 Copies used 0 Paid orders 0" in shown
    with tenant_scope(tenant_a):
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.tenant_id == tenant_a.id,
                                                           AuditEntry.action == "coupon.send"))
    assert entry.details == {"name": "Save", "issued": 2, "refused": 3}
    # when too many are named, or none, nothing is sent
    too_many = form_post(f"{page}/send", {"recipients": "\n".join(f"1380000{i:04d}" for i in range(501))}, page=page)
    empty = form_post(f"{page}/send", {"recipients": " \n "}, page=page)
    assert too_many.status_code == empty.status_code == 400
    assert "Name from 1 to 500 customers, one a line." in text_of(empty)
    # when the coupon is paused, nothing is sent and the reason is shown
    with tenant_scope(tenant_a):
        fresh(tenant_a, made).status = CouponStatus.PAUSED
        db_session.commit()
    refused = form_post(f"{page}/send", {"recipients": "bob@example.com"}, page=page)
    assert refused.status_code == 409 and "Only an active coupon that is not over can be sent." in text_of(refused)
    assert fresh(tenant_a, made).issued_count == 3


def test_another_shops_coupon_is_not_found(client, enter, form_post, db_session, tenant_a, tenant_b, create_consumer):
    theirs = make(tenant_b, db_session, name="Theirs")
    create_consumer(tenant_a, email="ann@example.com")
    enter("owner")
    assert client.get(f"{PAGES}/{theirs}").status_code == 404
    for path, data in (("status", {"action": "end"}), ("send", {"recipients": "ann@example.com"})):
        assert form_post(f"{PAGES}/{theirs}/{path}", data, page=f"{PAGES}/new").status_code == 404, path
    mine = fresh(tenant_b, theirs)
    assert (mine.status, mine.issued_count) == (CouponStatus.ACTIVE, 0)
    with tenant_scope(tenant_b):
        assert db.session.scalar(select(func.count()).select_from(ConsumerCoupon)) == 0


def test_the_list_costs_the_same_queries_however_many_coupons_it_shows(client, enter, db_session, tenant_a,
                                                                       count_queries):
    enter("manager")
    for name in ("A", "B"):
        make(tenant_a, db_session, name=name)
    client.get(PAGES)
    with count_queries() as few:
        assert client.get(PAGES).status_code == 200
    for name in "CDEFGH":
        make(tenant_a, db_session, name=name, kind="percent", percent_bp=1000, scope="items", scope_ids=(1,))
    with count_queries() as many:
        page = client.get(PAGES).get_data(as_text=True)
    assert page.count("data-coupon=") == 8
    assert len(many) == len(few)


def test_the_form_offers_a_daily_limit_and_both_flags_on_and_the_page_says_them(client, enter, form_post,
                                                                                db_session, tenant_a):
    enter("manager")
    # given the new coupon form: both flags ticked, no daily limit
    form = client.get(f"{PAGES}/new").get_data(as_text=True)
    assert re.search(r'<input [^>]*checked[^>]*name="on_special_prices"', form)
    assert re.search(r'<input [^>]*checked[^>]*name="combines_with_promotions"', form)
    assert 'name="per_day_limit"' in form and "Copies a day" in form
    # when a coupon is saved with 30 copies a day and both unticked
    base = {"name": "Daily", "kind": "amount", "amount": "5", "ends_on": "2030-06-30", "per_consumer_limit": "1"}
    saved = form_post(f"{PAGES}/new", {**base, "per_day_limit": " 30 "})
    # then it is made so, and its page says so in words
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    (made,) = coupons(tenant_a)
    assert (made.per_day_limit, made.on_special_prices, made.combines_with_promotions) == (30, False, False)
    page = text_of(client.get(saved.headers["Location"]))
    assert "Copies a day 30" in page
    assert "Not on items already at a special price" in page and "Cannot be used with order promotions" in page
    # when one is saved with both ticked and a blank daily limit
    ticked = form_post(f"{PAGES}/new", {**base, "per_day_limit": "", "on_special_prices": "y",
                                        "combines_with_promotions": "y"})
    assert ticked.status_code == 302
    made = coupons(tenant_a)[-1]
    assert (made.per_day_limit, made.on_special_prices, made.combines_with_promotions) == (None, True, True)
    page = text_of(client.get(ticked.headers["Location"]))
    assert "Copies a day No limit" in page
    assert "Also on items already at a special price" in page and "Can be used with order promotions" in page


@pytest.mark.parametrize("typed, says", [("0", "From 1 to 100,000,000 copies a day, or no limit."),
                                         ("100000001", "From 1 to 100,000,000 copies a day, or no limit."),
                                         ("lots", "A whole number, e.g. 100."),
                                         ("9" * 40, "A whole number, e.g. 100.")])
def test_a_bad_daily_limit_is_named_on_its_field_and_writes_nothing(client, enter, form_post, db_session, tenant_a,
                                                                   typed, says):
    enter("manager")
    refused = form_post(f"{PAGES}/new", {"name": "Daily", "kind": "amount", "amount": "5", "ends_on": "2030-06-30",
                                         "per_consumer_limit": "1", "per_day_limit": typed})
    assert refused.status_code == 400
    assert field_errors(refused.get_data(as_text=True)) == {"per_day_limit": [says]}
    assert coupons(tenant_a) == []
