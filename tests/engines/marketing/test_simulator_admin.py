"""The price simulator's back-office page: a manager builds a cart, names a customer (their coupons
and addresses are offered then), adds a draft promotion and sees both columns priced by checkout's
pipeline; refusals of the pipeline as messages; bad input named on its field; another shop's
customer refused; publishing the draft (audited); clerks refused. Nothing is written but what
publishing writes."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.marketing.models import ConsumerCoupon, HeldStatus, Promotion
from engines.orders.models import Order, OrderAdjustment
from tests.engines.marketing.test_promotions_admin import field_errors, text_of
from tests.engines.marketing.test_simulator import make_rules

PAGE = "/merchant/marketing/simulator"
DRAFT = {"name": "Two or more", "kind": "quantity", "threshold_1": "2", "percent_off_1": "10", "scope": "all",
         "ends_on": "2099-12-31", "priority": "0", "combines_with_coupons": "y"}


@pytest.fixture
def rules(shop, db_session):
    """The live rules and the customer's coupon of the service's tests."""
    return make_rules(shop, db_session)


def enter(create_staff, sign_in, client, tenant, role: str) -> None:
    person = create_staff(tenant, role)
    sign_in("merchant", person.email)
    client.get("/merchant/shops")


def cart(shop) -> dict:
    return {"sku_1": shop["tea"], "quantity_1": "2", "sku_2": shop["cake"], "quantity_2": "2"}


def totals(page: str) -> dict[str, int]:
    return {column: int(total) for column, total in
            re.findall(r'data-column="([^"]+)">\s*<div class="card-header">.*?data-total="(-?\d+)"', page, re.S)}


def draft_steps(page: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", " ", row)).split("  ")[0].strip()
            for row in re.findall(r"<tr data-step=\"order_promotions\" data-draft-step[^>]*>\s*<td>(.*?)</td>", page, re.S)]


def nothing_written(shop, rules) -> tuple:
    with tenant_scope(shop["tenant"]):
        copy = db.session.get(ConsumerCoupon, (shop["tenant"].id, rules["copy"]), populate_existing=True)
        return (db.session.scalar(select(func.count()).select_from(Order)),
                db.session.scalar(select(func.count()).select_from(OrderAdjustment)),
                db.session.scalar(select(func.count()).select_from(Promotion)), copy.status)


def test_clerks_may_not_simulate_or_publish(client, create_staff, sign_in, form_post, shop, db_session, tenant_a):
    enter(create_staff, sign_in, client, tenant_a, "clerk")
    assert client.get(PAGE).status_code == 403
    for path in ("", "/publish"):
        assert form_post(PAGE + path, {**cart(shop), **DRAFT}, page="/merchant/").status_code == 403, path
    assert f'href="{PAGE}"' not in client.get("/merchant/").get_data(as_text=True)
    with tenant_scope(tenant_a):
        assert db.session.scalar(select(func.count()).select_from(Promotion)) == 0


def test_a_cart_with_a_customer_their_coupon_and_a_draft_in_two_columns(client, create_staff, sign_in, form_post, shop,
                                                                          rules, db_session, tenant_a):
    before = nothing_written(shop, rules)
    enter(create_staff, sign_in, client, tenant_a, "manager")
    page = client.get(PAGE)
    assert page.status_code == 200 and f'href="{PAGE}"' in client.get("/merchant/").get_data(as_text=True)
    assert "Describe a draft promotion" not in page.get_data(as_text=True)  # no result before the first pricing

    # the customer named: their coupon and their addresses are offered, the default address chosen
    first = form_post(PAGE, {**cart(shop), "customer": shop["consumer"].email})
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert f'<option value="{rules["copy"]}">Five off (¥5.00 off), until' in page
    assert f'<option selected value="express:{shop["address"]}">Express delivery to Shanghai Huangpu' in page
    assert f'name="customer_seen" type="hidden" value="{shop["consumer"].id}"' in page
    # Tea 2 × 12.50, Cake 2 × 8.00 at 25 % off, ¥3 off ¥20 on Tea, express 16.00; no coupon yet
    assert totals(page) == {"live": 4100 - 400 - 300 + 1600}
    assert "Describe a draft promotion below" in page

    # with the coupon and a draft
    second = form_post(PAGE, {**cart(shop), "customer": shop["consumer"].email,
                              "customer_seen": str(shop["consumer"].id), "coupon": str(rules["copy"]),
                              "fulfillment": f"express:{shop['address']}", "member_tier": "Gold", **DRAFT})
    assert second.status_code == 200
    page = second.get_data(as_text=True)
    assert totals(page) == {"live": 4500, "with-draft": 4280}
    assert draft_steps(page) == ["Two or more: 10% off 2 items or more"]
    words = text_of(second)
    assert "With the draft this order costs ¥2.20 less: ¥42.80 instead of ¥45.00." in words
    assert "This shop gives ¥2.20 more." in words
    assert "Five off (¥5.00 off) Tea: -¥3.24 · Cake: -¥1.76 The platform funds this discount -¥5.00" in words
    assert "Cake hour: 25% off Cake: -¥4.00 This shop funds this discount -¥4.00" in words
    assert "Express delivery This shop is owed this fee ¥16.00" in words
    assert "Given by This shop ¥7.00 Given by The platform ¥5.00" in words
    assert nothing_written(shop, rules) == before == (0, 0, 1, HeldStatus.AVAILABLE)


def test_refusals_of_checkout_are_messages(client, create_staff, sign_in, form_post, shop, rules, db_session,
                                           tenant_a):
    enter(create_staff, sign_in, client, tenant_a, "manager")
    # a guest: picked up at a store by default (Tea 2 × 12.50, Cake 2 × 8.00 at 25 % off, ¥3 off ¥20 on Tea)
    guest = form_post(PAGE, cart(shop))
    assert guest.status_code == 200
    assert f'<option selected value="pickup:{shop["store"]}">Pickup at Bund store' in guest.get_data(as_text=True)
    assert totals(guest.get_data(as_text=True)) == {"live": 4100 - 400 - 300}
    # goods with nothing to deliver them by: no way to receive them
    nowhere = form_post(PAGE, {**cart(shop), "customer_seen": "", "coupon": "", "fulfillment": "none"})
    assert "Checkout would refuse this cart These items need delivery, pickup or a table." in text_of(nowhere)
    # the coupon needs a spend of ¥10 on what it covers
    small = form_post(PAGE, {"sku_1": shop["cake"], "quantity_1": "1", "customer": shop["consumer"].email,
                             "customer_seen": str(shop["consumer"].id), "coupon": str(rules["copy"]),
                             "fulfillment": f"express:{shop['address']}"})
    assert small.status_code == 200
    assert "Spend ¥4.00 more on the items this coupon covers to use it." in text_of(small)


def test_bad_input_is_named_on_its_field_and_nothing_is_written(client, create_staff, sign_in, form_post, shop, rules,
                                                                 db_session, tenant_a, tenant_b,
                                                                 create_consumer):
    before = nothing_written(shop, rules)
    stranger = create_consumer(tenant_b)
    with tenant_scope(tenant_b):
        from engines.catalog.services import create_item, skus_by_item

        theirs = create_item(kind="physical", name="Their tea", price=100, stock=5, status="on_sale")
        their_sku = str(skus_by_item([theirs.id])[theirs.id][0].id)
        db_session.commit()
    enter(create_staff, sign_in, client, tenant_a, "manager")
    refused = form_post(PAGE, {"sku_1": their_sku, "quantity_1": "1", "sku_2": shop["tea"], "quantity_2": "0",
                               "sku_3": shop["cake"], "quantity_3": "1000", "at": "next week",
                               "customer": stranger.email, "member_tier": "x" * 41,
                               "name": "Broken", "threshold_1": "2", "amount_off_1": "5", "percent_off_1": "10"})
    assert refused.status_code == 400
    assert field_errors(refused.get_data(as_text=True)) == {
        "sku_1": ["Choose an item from the list."],
        "quantity_2": ["More than zero."],
        "quantity_3": ["At most 999."],
        "at": ["A day and a time, e.g. 2025-06-30 20:00."],
        "customer": ["No customer of this shop has this phone number or email."],
        "percent_off_1": ["An amount off or a percentage off, not both."],
        "ends_on": ["Give the last day of the promotion."],
        "member_tier": ["At most 40 characters."],
    }
    assert 'data-column=' not in refused.get_data(as_text=True)
    # a coupon copy that is not this customer's (another shop's id, or made up)
    other = form_post(PAGE, {**cart(shop), "customer": shop["consumer"].email,
                             "customer_seen": str(shop["consumer"].id), "coupon": "123456789"})
    assert other.status_code == 400
    assert field_errors(other.get_data(as_text=True)) == {"coupon": ["Choose one of this customer's coupons."]}
    # no item at all
    empty = form_post(PAGE, {"sku_1": "", "quantity_1": "1"})
    assert field_errors(empty.get_data(as_text=True)) == {"sku_1": ["Add at least one item."]}
    # a huge body: refused, not a 500
    huge = form_post(PAGE, {**cart(shop), "customer": "1" * 10_000, "name": "x" * 10_000})
    assert huge.status_code == 400
    assert nothing_written(shop, rules) == before


def test_publishing_the_draft_saves_it_audited_and_refuses_a_wrong_one(client, create_staff, sign_in, form_post, shop,
                                                                        db_session, tenant_a):
    enter(create_staff, sign_in, client, tenant_a, "manager")
    nothing = form_post(PAGE + "/publish", cart(shop), page=PAGE)
    assert nothing.status_code == 400
    assert "Describe the draft promotion first: its name, a tier and its last day." in text_of(nothing)
    wrong = form_post(PAGE + "/publish", {**cart(shop), **DRAFT, "ends_on": ""}, page=PAGE)
    assert wrong.status_code == 400
    assert field_errors(wrong.get_data(as_text=True)) == {"ends_on": ["Give the last day of the promotion."]}
    with tenant_scope(tenant_a):
        assert db.session.scalar(select(func.count()).select_from(Promotion)) == 0

    done = form_post(PAGE + "/publish", {**cart(shop), **DRAFT, "budget": "500"}, page=PAGE)
    assert done.status_code == 302
    with tenant_scope(tenant_a):
        made = db.session.scalar(select(Promotion))
        assert (made.name, made.kind.value, made.tiers, made.budget, made.combines_with_coupons) == (
            "Two or more", "quantity", [{"threshold": 2, "percent_bp": 1000}], 50000, True)
    assert done.headers["Location"].endswith(f"/merchant/marketing/promotions/{made.id}")
    assert list(db.session.execute(select(AuditEntry.action, AuditEntry.target, AuditEntry.details)
                                   .where(AuditEntry.tenant_id == tenant_a.id,
                                          AuditEntry.action == "promotion.create"))) == [
        ("promotion.create", f"promotion {made.id}", {"name": "Two or more", "from": "price simulator"})]


def test_a_draft_not_running_at_the_time_priced_says_so(client, create_staff, sign_in, form_post, shop, rules,
                                                        db_session, tenant_a):
    enter(create_staff, sign_in, client, tenant_a, "manager")
    later = form_post(PAGE, {**cart(shop), "customer": shop["consumer"].email, **DRAFT, "starts_on": "2099-01-01"})
    assert later.status_code == 200
    words = text_of(later)
    assert "The draft changes nothing on this cart." in words
    assert "The draft is not running at the time priced" in words
    assert totals(later.get_data(as_text=True)) == {"live": 4500 + 500, "with-draft": 4500 + 500}


def test_a_draft_tier_giving_free_delivery_is_priced_too(client, create_staff, sign_in, form_post, shop, rules,
                                                          db_session, tenant_a):
    enter(create_staff, sign_in, client, tenant_a, "manager")
    page = client.get(PAGE).get_data(as_text=True)
    assert 'name="free_shipping_1"' in page and 'name="gift_1"' in page and 'name="on_special_prices"' in page
    answer = form_post(PAGE, {**cart(shop), "customer": shop["consumer"].email,
                              "customer_seen": str(shop["consumer"].id), "coupon": str(rules["copy"]),
                              "fulfillment": f"express:{shop['address']}", **DRAFT, "free_shipping_1": "y"})
    assert answer.status_code == 200
    # as the two-column test: ¥45.00 live, ¥42.80 with 10 % off — and now the ¥16.00 express fee waived
    assert totals(answer.get_data(as_text=True)) == {"live": 4500, "with-draft": 4280 - 1600}
    assert nothing_written(shop, rules)[:3] == (0, 0, 1)
