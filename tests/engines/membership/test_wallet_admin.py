"""Stored value in the back office: recharge plans made as a person types amounts (each field wrong
named beside it, nothing written; a good one saved in minor units, audited, listed in words with
the paid orders that bought it), changed (a refused change writes nothing), taken off sale and put
back (audited as the Admin API's change of "active"); whether the shop keeps balances, and where
to turn that on; a member's page showing the balances and last movements of their wallet once a
recharge is paid, and the paged statement; the permission and another shop's plans and members."""

from __future__ import annotations

import re
from functools import partial

import pytest

from core.errors import APIError
from core.tenancy import tenant_scope
from engines.membership import admin as membership_admin
from engines.membership import admin_wallet
from engines.membership.models import RechargePlan
from engines.membership.wallet import create_recharge_plan, find_recharge_plan, move, update_recharge_plan
from tests.engines.marketing.admin_pages import audit_actions, field_errors, fresh_row, rows_of, text_of
from tests.engines.membership.test_automations_admin import row_text
from tests.engines.membership.test_membership_admin import audited, enter, make_member  # noqa: F401  enter: a fixture
from tests.engines.membership.test_points import placed, settings
from tests.engines.membership.test_stored_value import pay_from_balance
from tests.engines.orders.test_orders import pay

PAGES = "/merchant/membership/recharge-plans"
MEMBERS = "/merchant/membership/members"
GOOD = {"pay": "100", "bonus": "10.00", "active": "y"}

plans_of = partial(rows_of, RechargePlan)
fresh_plan = partial(fresh_row, RechargePlan)
plan_actions = partial(audit_actions, prefix="recharge_plan")


def make_plan(tenant, db_session, pay: int = 10000, bonus: int = 2000, **values) -> int:
    with tenant_scope(tenant):
        made = create_recharge_plan(pay=pay, bonus=bonus, **values)
        db_session.commit()
        return made.id


def listed(page: str) -> list[str]:
    return re.findall(r'data-plan="(\d+)"', page)


def moved(tenant, db_session, consumer_id: int, *amounts: tuple[int, int]) -> None:
    """Movements of the member's wallet, oldest first, each noted with its place."""
    with tenant_scope(tenant):
        for place, (principal, bonus) in enumerate(amounts, 1):
            move(consumer_id, principal, bonus, "adjustment", note=f"move {place}")
        db_session.commit()


def wallet_rows(page: str) -> list[str]:
    return re.findall(r'data-wallet="(\d+)"', page)


# -- permissions, other shops ------------------------------------------------------------------------

def test_clerks_may_not_manage_stored_value(client, enter, form_post, db_session, tenant_a,  # noqa: F811
                                            create_consumer):
    made = make_plan(tenant_a, db_session)
    member = make_member(tenant_a, db_session, create_consumer)
    enter("clerk")
    for path in (PAGES, f"{PAGES}/new", f"{PAGES}/{made}", f"{MEMBERS}/{member}/wallet"):
        assert client.get(path).status_code == 403, path
    for path, data in ((f"{PAGES}/new", GOOD), (f"{PAGES}/{made}", GOOD), (f"{PAGES}/{made}/sale", {"action": "off"})):
        assert form_post(path, data, page="/merchant/").status_code == 403, path
    assert f'href="{PAGES}"' not in client.get("/merchant/").get_data(as_text=True)
    (only,) = plans_of(tenant_a)
    assert (only.pay, only.bonus, only.active) == (10000, 2000, True)
    assert plan_actions(tenant_a) == []


def test_a_manager_is_offered_stored_value_and_told_it_is_off(client, enter, db_session):  # noqa: F811
    enter("manager")
    dashboard = client.get("/merchant/").get_data(as_text=True)
    assert f'href="{PAGES}"' in dashboard and "ti-wallet" in dashboard and "Stored value" in dashboard
    assert f'href="{PAGES}"' in client.get("/merchant/membership/cards").get_data(as_text=True)
    page = client.get(PAGES)
    assert page.status_code == 200
    words = text_of(page)
    assert "No recharge plans yet" in words
    assert "Stored value is off." in words and "Theme → Membership" in words
    assert 'href="/merchant/designer/"' in page.get_data(as_text=True)


def test_the_page_says_when_stored_value_is_on(client, enter, shop, db_session):  # noqa: F811
    settings(shop, db_session, stored_value=True, balance_order="bonus_first")
    enter("manager")
    words = text_of(client.get(PAGES))
    assert "Stored value is on" in words and "the bonus first, then what they paid in" in words
    assert "Stored value is off." not in words


def test_another_shops_plan_is_not_found(client, enter, form_post, db_session, tenant_a, tenant_b,  # noqa: F811
                                         create_consumer):
    theirs = make_plan(tenant_b, db_session)
    their_member = make_member(tenant_b, db_session, create_consumer)
    with tenant_scope(tenant_b):
        move(their_member, 5000, 0, "adjustment")
        db_session.commit()
    enter("owner")
    assert client.get(f"{PAGES}/{theirs}").status_code == 404
    assert client.get(f"{MEMBERS}/{their_member}/wallet").status_code == 404
    for path, data in ((f"{PAGES}/{theirs}", {**GOOD, "pay": "1"}), (f"{PAGES}/{theirs}/sale", {"action": "off"})):
        assert form_post(path, data, page=f"{PAGES}/new").status_code == 404, path
    (still,) = plans_of(tenant_b)
    assert (still.pay, still.bonus, still.active) == (10000, 2000, True)
    assert listed(client.get(PAGES).get_data(as_text=True)) == []
    assert plan_actions(tenant_a) == plan_actions(tenant_b) == []


# -- making and changing ------------------------------------------------------------------------------

def test_a_bad_plan_form_names_each_field_and_writes_nothing(client, enter, form_post, db_session,  # noqa: F811
                                                             tenant_a):
    enter("manager")
    for values, errors in (
            ({"pay": "0", "bonus": "-1"}, {"pay": ["More than zero."], "bonus": ["Zero or more: 0 adds nothing."]}),
            ({"pay": "", "bonus": "ten"}, {"pay": ["Give what the member pays, e.g. 100."],
                                           "bonus": ["An amount such as 100 or 99.50."]}),
            ({"pay": "abc", "bonus": "1.234"}, {"pay": ["An amount such as 100 or 99.50."],
                                                "bonus": ["An amount such as 100 or 99.50."]}),
            ({"pay": "-5"}, {"pay": ["More than zero."]}),
            ({"pay": "100000000.01", "bonus": "99999999999999"}, {"pay": ["At most ¥100,000,000.00."],
                                                                  "bonus": ["At most ¥100,000,000.00."]})):
        refused = form_post(f"{PAGES}/new", {**GOOD, **values})
        assert refused.status_code == 400, values
        page = refused.get_data(as_text=True)
        assert field_errors(page) == errors, values
        assert f'value="{values["pay"]}"' in page, values  # what was typed stays
    assert plans_of(tenant_a) == [] and plan_actions(tenant_a) == []


def test_a_manager_makes_plans_and_finds_them_listed_in_words(client, enter, form_post, db_session,  # noqa: F811
                                                              tenant_a):
    enter("manager")
    form = client.get(f"{PAGES}/new").get_data(as_text=True)
    assert 'value="0"' in form and re.search(r'<input checked[^>]*name="active"', form)  # bonus 0, on sale
    saved = form_post(f"{PAGES}/new", GOOD)
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    assert saved.headers["Location"].endswith(PAGES)
    (first,) = plans_of(tenant_a)
    assert (first.pay, first.bonus, first.active) == (10000, 1000, True)
    (entry,) = audited(tenant_a, "recharge_plan.create")
    assert (entry.target, entry.details) == (f"recharge_plan {first.id}", {"pay": 10000, "bonus": 1000})
    # a blank bonus adds nothing; left unticked, it is made off sale
    small = form_post(f"{PAGES}/new", {"pay": " 1,000.5 ", "bonus": ""})
    assert small.status_code == 302, field_errors(small.get_data(as_text=True))
    second = plans_of(tenant_a)[-1]
    assert (second.pay, second.bonus, second.active) == (100050, 0, False)
    page = client.get(PAGES)
    html = page.get_data(as_text=True)
    assert "Recharge plan saved: pay ¥1,000.50, get ¥1,000.50." in text_of(page)
    assert listed(html) == [str(first.id), str(second.id)]  # cheapest first
    assert row_text(html, "plan", first.id) == (
        "Recharge ¥100.00, get ¥110.00 ¥100.00 ¥10.00 ¥110.00 On sale 0 Take off sale Recharge ¥100.00, get ¥110.00")
    assert row_text(html, "plan", second.id) == (
        "Recharge ¥1,000.50 ¥1,000.50 — ¥1,000.50 Off sale 0 Put on sale Recharge ¥1,000.50")
    assert plan_actions(tenant_a) == ["recharge_plan.create"] * 2


def test_a_manager_changes_a_plan_and_a_refused_change_writes_nothing(client, enter, form_post,  # noqa: F811
                                                                      db_session, tenant_a):
    made = make_plan(tenant_a, db_session, pay=10000, bonus=1500)
    enter("manager")
    form = client.get(f"{PAGES}/{made}").get_data(as_text=True)
    assert 'value="100.00"' in form and 'value="15.00"' in form and "Recharge ¥100.00, get ¥115.00" in form
    refused = form_post(f"{PAGES}/{made}", {"pay": "0", "bonus": "20", "active": "y"})
    assert refused.status_code == 400
    assert field_errors(refused.get_data(as_text=True)) == {"pay": ["More than zero."]}
    plan = fresh_plan(tenant_a, made)
    assert (plan.pay, plan.bonus, plan.active) == (10000, 1500, True) and plan_actions(tenant_a) == []
    saved = form_post(f"{PAGES}/{made}", {"pay": "200", "bonus": "15", "active": "y"})
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    plan = fresh_plan(tenant_a, made)
    assert (plan.pay, plan.bonus, plan.active) == (20000, 1500, True)
    (entry,) = audited(tenant_a, "recharge_plan.update")
    assert (entry.target, entry.details) == (f"recharge_plan {made}", {"fields": ["pay"]})
    assert "Recharge plan saved: pay ¥200.00, get ¥215.00." in text_of(client.get(PAGES))


def test_the_service_checks_a_change_as_it_checks_a_new_plan(db_session, tenant_a):
    made = make_plan(tenant_a, db_session, pay=10000, bonus=1500)
    with tenant_scope(tenant_a):
        plan = find_recharge_plan(made)
        for changes, named in (({"pay": 0}, ["pay"]), ({"pay": 10**10 + 1}, ["pay"]), ({"pay": "100"}, ["pay"]),
                               ({"bonus": -1}, ["bonus"]), ({"bonus": True}, ["bonus"]),
                               ({"pay": 0, "bonus": -1, "name": "x"}, ["bonus", "name", "pay"])):
            with pytest.raises(APIError) as refused:
                update_recharge_plan(plan, **changes)
            assert sorted(refused.value.fields) == named, changes
        assert (plan.pay, plan.bonus, plan.active) == (10000, 1500, True)
        assert update_recharge_plan(plan, bonus=0, active=False) is plan
        db_session.commit()
    changed = fresh_plan(tenant_a, made)
    assert (changed.pay, changed.bonus, changed.active) == (10000, 0, False)


def test_a_plan_is_taken_off_sale_and_put_back(client, enter, form_post, db_session, tenant_a):  # noqa: F811
    made = make_plan(tenant_a, db_session)
    enter("manager")
    off = form_post(f"{PAGES}/{made}/sale", {"action": "off"}, page=PAGES)
    assert off.status_code == 302 and off.headers["Location"].endswith(PAGES)
    assert fresh_plan(tenant_a, made).active is False
    page = client.get(PAGES)
    assert "Pay ¥100.00, get ¥120.00 is off sale" in text_of(page)
    assert row_text(page.get_data(as_text=True), "plan", made).endswith("Off sale 0 Put on sale Recharge ¥100.00, get ¥120.00")
    on = form_post(f"{PAGES}/{made}/sale", {"action": "on"}, page=PAGES)
    assert on.status_code == 302 and fresh_plan(tenant_a, made).active is True
    entries = audited(tenant_a, "recharge_plan.update")
    assert [(e.target, e.details) for e in entries] == [(f"recharge_plan {made}", {"active": False}),
                                                        (f"recharge_plan {made}", {"active": True})]
    assert form_post(f"{PAGES}/{made}/sale", {"action": "sometimes"}, page=PAGES).status_code == 400
    assert client.post(f"{PAGES}/{made}/sale", data={"action": "off"}).status_code == 400  # no CSRF token
    assert fresh_plan(tenant_a, made).active is True and len(audited(tenant_a, "recharge_plan.update")) == 2


# -- a member's wallet ------------------------------------------------------------------------------------

def test_the_member_page_shows_the_balance_and_movements_once_a_recharge_is_paid(client, enter, shop,  # noqa: F811
                                                                                  db_session, count_queries,
                                                                                  monkeypatch):
    settings(shop, db_session, stored_value=True)
    plan = make_plan(shop["tenant"], db_session, pay=10000, bonus=2000)
    consumer = shop["consumer"].id
    enter("manager")
    before = client.get(f"{MEMBERS}/{consumer}")
    assert "No recharges or payments from the balance yet." in text_of(before)
    recharge = client.post(f"/api/v1/recharge-plans/{plan}/buy", headers=shop["headers"]).json["order"]
    pay(client, shop, recharge)
    order = placed(client, shop)  # 33.00, paid from the balance: principal first
    assert pay_from_balance(client, shop, order).status_code == 200

    page = client.get(f"{MEMBERS}/{consumer}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert [re.search(rf'id="wallet-{part}">([^<]+)<', html).group(1) for part in ("total", "principal", "bonus")] == [
        "¥87.00", "¥67.00", "¥20.00"]
    paid, credited = wallet_rows(html)  # newest first
    assert row_text(html, "wallet", credited).split(" ", 2)[2] == (
        "Recharge +¥100.00 +¥20.00 ¥120.00 ¥100.00 paid in + ¥20.00 bonus "
        f"Order {recharge['number']} Recharge ¥100.00, get ¥120.00")
    assert row_text(html, "wallet", paid).split(" ", 2)[2] == (
        f"Paid an order −¥33.00 — ¥87.00 ¥67.00 paid in + ¥20.00 bonus Order {order['number']} —")
    for placed_order in (recharge, order):  # the order's page, a click away
        assert f'<a href="/merchant/orders/{placed_order["id"]}">Order {placed_order["number"]}</a>' in html
    assert f'href="{MEMBERS}/{consumer}/wallet"' in html
    # bought once: an order of it not paid yet is not counted, nor are other orders
    client.post(f"/api/v1/recharge-plans/{plan}/buy", headers=shop["headers"])
    assert row_text(client.get(PAGES).get_data(as_text=True), "plan", plan).endswith(
        "On sale 1 Take off sale Recharge ¥100.00, get ¥120.00")
    # staff who may not open orders read the number alone
    monkeypatch.setattr(membership_admin, "ORDERS", "payments.manage")
    unlinked = client.get(f"{MEMBERS}/{consumer}").get_data(as_text=True)
    assert f"Order {order['number']}" in unlinked and f'href="/merchant/orders/{order["id"]}"' not in unlinked
    monkeypatch.undo()

    # the statement costs the same queries however many movements, and orders, it shows
    with count_queries() as few:
        assert len(wallet_rows(client.get(f"{MEMBERS}/{consumer}/wallet").get_data(as_text=True))) == 2
    pay(client, shop, client.post(f"/api/v1/recharge-plans/{plan}/buy", headers=shop["headers"]).json["order"])
    assert pay_from_balance(client, shop, placed(client, shop)).status_code == 200
    with count_queries() as many:
        assert len(wallet_rows(client.get(f"{MEMBERS}/{consumer}/wallet").get_data(as_text=True))) == 4
    assert len(many) == len(few)


def test_the_card_shows_where_the_shop_keeps_balances_or_the_member_had_one(client, enter, db_session,  # noqa: F811
                                                                             tenant_a, create_consumer):
    quiet, recharged = (make_member(tenant_a, db_session, create_consumer) for _ in range(2))
    moved(tenant_a, db_session, recharged, (500, 0))
    enter("manager")
    assert 'id="member-wallet"' not in client.get(f"{MEMBERS}/{quiet}").get_data(as_text=True)
    kept = client.get(f"{MEMBERS}/{recharged}").get_data(as_text=True)
    assert 'id="member-wallet"' in kept and len(wallet_rows(kept)) == 1
    assert row_text(kept, "wallet", wallet_rows(kept)[0]).split(" ", 2)[2] == (
        "Adjusted by staff +¥5.00 — ¥5.00 ¥5.00 paid in + ¥0.00 bonus — move 1")


def test_the_statement_is_paged_newest_first(client, enter, db_session, tenant_a, create_consumer,  # noqa: F811
                                             monkeypatch):
    monkeypatch.setattr(admin_wallet, "SHOWN", 2)
    monkeypatch.setattr(admin_wallet, "STATEMENT_PAGE", 2)
    member = make_member(tenant_a, db_session, create_consumer)
    moved(tenant_a, db_session, member, (1000, 0), (0, 500), (-300, 0), (200, 100), (-100, -100))
    enter("manager")

    card = client.get(f"{MEMBERS}/{member}").get_data(as_text=True)
    assert [row_text(card, "wallet", row).rsplit(" ", 2)[1:] for row in wallet_rows(card)] == [
        ["move", "5"], ["move", "4"]]
    more = re.search(r'<a class="btn ms-auto" href="([^"]+)">More', card)
    assert more and more.group(1) == f"{MEMBERS}/{member}/wallet"

    seen, address = [], f"{MEMBERS}/{member}/wallet"
    while address and len(seen) < 5:  # a paging that goes nowhere fails rather than runs on
        answer = client.get(address)
        assert answer.status_code == 200
        html = answer.get_data(as_text=True)
        seen.append([row_text(html, "wallet", row).rsplit(" ", 1)[1] for row in wallet_rows(html)])
        older = re.search(r'href="([^"]+before=\d+)"', html)
        address = older.group(1).replace("&amp;", "&") if older else None
        if len(seen) > 1:
            assert f'href="{MEMBERS}/{member}/wallet"' in html  # back to the newest
    assert seen == [["5", "4"], ["3", "2"], ["1"]]
    words = text_of(client.get(f"{MEMBERS}/{member}/wallet"))
    assert "¥13.00" in words and "Stored value is off in this shop" in words  # 8.00 paid in + 5.00 bonus
    assert wallet_rows(client.get(f"{MEMBERS}/{member}/wallet?before=nonsense").get_data(as_text=True))[:1] == \
        wallet_rows(card)[:1]
