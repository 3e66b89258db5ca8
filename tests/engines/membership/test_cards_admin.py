"""The paid member cards' back-office pages: making a plan (each field wrong named beside it,
nothing written; a good one saved in minor units and basis points, audited, listed in words with
the cards running now), changing one (a refused change writes nothing), taking it off sale and
putting it back (audited as the Admin API's change of "active"), activation codes made in a batch
(audited, shown, downloaded as CSV; a refusal makes none), the permission and another shop's plan."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from functools import partial

from core.tenancy import tenant_scope
from engines.membership.cards import create_plan, grant
from engines.membership.models import CardCode, CardPeriod, CardPlan
from tests.engines.marketing.admin_pages import audit_actions, field_errors, fresh_row, rows_of, text_of
from tests.engines.membership.test_automations_admin import row_text
from tests.engines.membership.test_membership_admin import audited, enter  # noqa: F401  enter: a fixture

PAGES = "/merchant/membership/cards"
GOLD = {"name": "Gold card", "period": "year", "price": "199.00", "first_price": "99", "discount": "10",
        "free_shipping": "y", "multiplier": "2"}

plans_of = partial(rows_of, CardPlan)
codes_of = partial(rows_of, CardCode)
fresh_plan = partial(fresh_row, CardPlan)
card_actions = partial(audit_actions, prefix="card_plan")


def make_plan(tenant, db_session, **values) -> int:
    with tenant_scope(tenant):
        made = create_plan(**{"name": "Plus", "period": "month", "price": 1990, **values})
        db_session.commit()
        return made.id


def listed(page: str) -> list[str]:
    return re.findall(r'data-plan="(\d+)"', page)


# -- permissions, other shops ------------------------------------------------------------------------

def test_clerks_may_not_manage_member_cards(client, enter, form_post, db_session, tenant_a):  # noqa: F811
    made = make_plan(tenant_a, db_session)
    enter("clerk")
    for path in ("", "/new", f"/{made}", f"/{made}/codes.csv"):
        assert client.get(PAGES + path).status_code == 403, path
    for path, data in (("/new", GOLD), (f"/{made}", GOLD), (f"/{made}/sale", {"action": "off"}),
                       (f"/{made}/codes", {"count": "3", "batch": "Fair"})):
        assert form_post(PAGES + path, data, page="/merchant/").status_code == 403, path
    assert f'href="{PAGES}"' not in client.get("/merchant/").get_data(as_text=True)
    (only,) = plans_of(tenant_a)
    assert (only.name, only.active) == ("Plus", True)
    assert codes_of(tenant_a) == [] and card_actions(tenant_a) == []


def test_a_manager_is_offered_member_cards_in_the_navigation(client, enter, db_session):  # noqa: F811
    enter("manager")
    dashboard = client.get("/merchant/").get_data(as_text=True)
    assert f'href="{PAGES}"' in dashboard and "ti-id-badge-2" in dashboard
    page = client.get(PAGES)
    assert page.status_code == 200 and "No member cards yet" in text_of(page)


def test_another_shops_plan_is_not_found(client, enter, form_post, db_session, tenant_a, tenant_b):  # noqa: F811
    theirs = make_plan(tenant_b, db_session, name="Theirs")
    enter("owner")
    for path in (f"/{theirs}", f"/{theirs}/codes.csv"):
        assert client.get(PAGES + path).status_code == 404, path
    for path, data in ((f"/{theirs}", {**GOLD, "name": "Mine now"}), (f"/{theirs}/sale", {"action": "off"}),
                       (f"/{theirs}/codes", {"count": "3", "batch": "Fair"})):
        assert form_post(PAGES + path, data, page=f"{PAGES}/new").status_code == 404, path
    (still,) = plans_of(tenant_b)
    assert (still.name, still.active) == ("Theirs", True)
    assert codes_of(tenant_b) == [] and listed(client.get(PAGES).get_data(as_text=True)) == []
    assert card_actions(tenant_a) == card_actions(tenant_b) == []


# -- making and changing ------------------------------------------------------------------------------

def test_a_bad_plan_form_names_each_field_and_writes_nothing(client, enter, form_post, db_session,  # noqa: F811
                                                             tenant_a):
    enter("manager")
    refused = form_post(f"{PAGES}/new", {**GOLD, "name": " ", "price": "19.999", "first_price": "abc",
                                         "discount": "95", "multiplier": "lots"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert field_errors(page) == {"name": ["A name of 1 to 40 characters."], "price": ["A price such as 19.90."],
                                  "first_price": ["A price such as 19.90."],
                                  "discount": ["A percentage from 0 to 90, e.g. 10 or 7.5."],
                                  "multiplier": ["A number from 0 to 10, e.g. 1 or 2."]}
    assert 'value="19.999"' in page and 'value="lots"' in page  # what was typed stays
    # the service's rules, beside their fields; a blank price is asked for once
    above = form_post(f"{PAGES}/new", {**GOLD, "first_price": "250"})
    assert above.status_code == 400
    assert field_errors(above.get_data(as_text=True)) == {
        "first_price": ["The first-purchase price is at most the list price."]}
    blank = form_post(f"{PAGES}/new", {**GOLD, "price": "", "first_price": ""})
    assert blank.status_code == 400
    assert field_errors(blank.get_data(as_text=True)) == {"price": ["Give the price, e.g. 19.90."]}
    nothing = form_post(f"{PAGES}/new", {**GOLD, "price": "0"})
    assert field_errors(nothing.get_data(as_text=True)) == {"price": ["More than zero."]}
    made_up = form_post(f"{PAGES}/new", {**GOLD, "period": "fortnight"})
    assert made_up.status_code == 400 and list(field_errors(made_up.get_data(as_text=True))) == ["period"]
    assert plans_of(tenant_a) == [] and card_actions(tenant_a) == []


def test_a_manager_makes_a_plan_and_finds_it_listed_in_words(client, enter, form_post, db_session,  # noqa: F811
                                                             tenant_a, create_consumer):
    enter("manager")
    saved = form_post(f"{PAGES}/new", {**GOLD, "name": " Gold card "})
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    assert saved.headers["Location"].endswith(PAGES)
    (gold,) = plans_of(tenant_a)
    assert (gold.name, gold.period, gold.price, gold.first_price, gold.discount_bp, gold.free_shipping,
            gold.points_multiplier_bp, gold.active) == ("Gold card", CardPeriod.YEAR, 19900, 9900, 1000, True,
                                                        20000, True)
    (entry,) = audited(tenant_a, "card_plan.create")
    assert (entry.target, entry.details) == (f"card_plan {gold.id}", {"name": "Gold card"})
    # a blank first-purchase price is the price; nothing given is "—"
    plain = form_post(f"{PAGES}/new", {"name": "Plain", "period": "month", "price": "19.90", "first_price": "",
                                       "discount": "", "multiplier": ""})
    assert plain.status_code == 302, field_errors(plain.get_data(as_text=True))
    plain_id = plans_of(tenant_a)[-1].id
    # two of Gold's cards run, one ended
    with tenant_scope(tenant_a):
        now = dt.datetime.now(dt.UTC)
        plan = fresh_plan(tenant_a, gold.id)
        for when in (now, now, now - dt.timedelta(days=800)):
            grant(create_consumer(tenant_a).id, plan, source="code", now=when)
        db_session.commit()
    page = client.get(PAGES)
    html = page.get_data(as_text=True)
    assert "Member card Plain saved." in text_of(page)
    assert listed(html) == [str(plain_id), str(gold.id)]  # cheapest first
    assert row_text(html, "plan", gold.id) == (
        "Gold card 1 year ¥199.00 ¥99.00 10% off, free delivery, ×2 points On sale 2 Take off sale Gold card")
    assert row_text(html, "plan", plain_id) == "Plain 1 month ¥19.90 ¥19.90 — On sale 0 Take off sale Plain"
    assert card_actions(tenant_a) == ["card_plan.create"] * 2


def test_a_manager_changes_a_plan_and_a_refused_change_writes_nothing(client, enter, form_post,  # noqa: F811
                                                                      db_session, tenant_a):
    made = make_plan(tenant_a, db_session, first_price=990, discount_bp=750)
    enter("manager")
    form = client.get(f"{PAGES}/{made}").get_data(as_text=True)
    for shown in ('value="Plus"', 'value="19.90"', 'value="9.90"', 'value="7.5"', 'value="1"',
                  '<option selected value="month">'):
        assert shown in form, shown
    refused = form_post(f"{PAGES}/{made}", {**GOLD, "name": "Plus", "price": "5", "first_price": "9.90"})
    assert refused.status_code == 400
    assert field_errors(refused.get_data(as_text=True)) == {
        "first_price": ["The first-purchase price is at most the list price."]}
    assert fresh_plan(tenant_a, made).price == 1990 and card_actions(tenant_a) == []
    saved = form_post(f"{PAGES}/{made}", {"name": "Plus", "period": "quarter", "price": "49.90",
                                          "first_price": "9.90", "discount": "7.5", "multiplier": "1.5"})
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    plan = fresh_plan(tenant_a, made)
    assert (plan.period, plan.price, plan.first_price, plan.discount_bp, plan.free_shipping,
            plan.points_multiplier_bp) == (CardPeriod.QUARTER, 4990, 990, 750, False, 15000)
    (entry,) = audited(tenant_a, "card_plan.update")
    assert (entry.target, entry.details) == (f"card_plan {made}",
                                            {"fields": ["period", "price", "points_multiplier_bp"]})


def test_a_plan_is_taken_off_sale_and_put_back(client, enter, form_post, db_session, tenant_a):  # noqa: F811
    made = make_plan(tenant_a, db_session)
    enter("manager")
    off = form_post(f"{PAGES}/{made}/sale", {"action": "off"}, page=PAGES)
    assert off.status_code == 302 and off.headers["Location"].endswith(PAGES)
    assert fresh_plan(tenant_a, made).active is False
    page = client.get(PAGES)
    assert "Plus is off sale" in text_of(page)
    assert row_text(page.get_data(as_text=True), "plan", made).endswith("Off sale 0 Put on sale Plus")
    on = form_post(f"{PAGES}/{made}/sale", {"action": "on"}, page=PAGES)
    assert on.status_code == 302 and fresh_plan(tenant_a, made).active is True
    entries = audited(tenant_a, "card_plan.update")
    assert [(e.target, e.details) for e in entries] == [(f"card_plan {made}", {"fields": ["active"]})] * 2
    assert form_post(f"{PAGES}/{made}/sale", {"action": "sometimes"}, page=PAGES).status_code == 400
    assert client.post(f"{PAGES}/{made}/sale", data={"action": "off"}).status_code == 400  # no CSRF token
    assert fresh_plan(tenant_a, made).active is True and len(audited(tenant_a, "card_plan.update")) == 2


# -- activation codes -----------------------------------------------------------------------------------

def test_codes_are_made_in_a_batch_shown_and_downloaded(client, enter, form_post, db_session, tenant_a):  # noqa: F811
    made = make_plan(tenant_a, db_session)
    other = make_plan(tenant_a, db_session, name="Other")
    enter("manager")
    assert "No codes yet." in text_of(client.get(f"{PAGES}/{made}"))
    for values, named, message in (({"count": "0"}, "count", "From 1 to 5000 codes at a time."),
                                   ({"count": "9000"}, "count", "From 1 to 5000 codes at a time."),
                                   ({"count": "three"}, "count", "A whole number of codes, e.g. 100."),
                                   ({"batch": ""}, "batch", "Name the batch: up to 40 letters, digits, spaces and . : - _"),
                                   ({"batch": "<fair>"}, "batch",
                                    "Name the batch: up to 40 letters, digits, spaces and . : - _")):
        refused = form_post(f"{PAGES}/{made}/codes", {"count": "3", "batch": "Spring fair", **values},
                            page=f"{PAGES}/{made}")
        assert refused.status_code == 400, values
        assert field_errors(refused.get_data(as_text=True)) == {named: [message]}, values
    assert codes_of(tenant_a) == [] and card_actions(tenant_a) == []
    answer = form_post(f"{PAGES}/{made}/codes", {"count": "3", "batch": "Spring fair"}, page=f"{PAGES}/{made}")
    assert answer.status_code == 302
    codes = codes_of(tenant_a)
    assert len(codes) == 3 and {(c.plan_id, c.batch) for c in codes} == {(made, "Spring fair")}
    (entry,) = audited(tenant_a, "card_plan.codes")
    assert (entry.target, entry.details) == (f"card_plan {made}", {"count": 3, "batch": "Spring fair"})
    shown = client.get(answer.headers["Location"])
    page = shown.get_data(as_text=True)
    assert "3 codes made in batch Spring fair." in text_of(shown)
    assert sorted(re.findall(r"<span [^>]*data-code>([^<]+)</span>", page)) == sorted(c.code for c in codes)
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.search(
        r'<tr data-batch="Spring fair">(.*?)</tr>', page, re.S).group(1))).strip() == "Spring fair 3 0 CSV Spring fair"
    form_post(f"{PAGES}/{other}/codes", {"count": "2", "batch": "Spring fair"}, page=f"{PAGES}/{other}")
    download = client.get(f"{PAGES}/{made}/codes.csv?batch=Spring+fair")
    assert download.status_code == 200 and download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"] == f"attachment; filename=alpha-shop-card-{made}-Spring-fair.csv"
    rows = list(csv.reader(io.StringIO(download.get_data(as_text=True))))
    assert rows[0] == ["code", "batch"]
    assert sorted(rows[1:]) == sorted([c.code, "Spring fair"] for c in codes)  # only this plan's
    assert card_actions(tenant_a) == ["card_plan.codes"] * 2
