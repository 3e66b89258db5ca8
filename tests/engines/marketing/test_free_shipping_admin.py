"""The free-delivery rules back office: the form (regions typed, items chosen, days in the shop's
time zone, each bad field named, nothing written), the list in words, pausing, resuming and
ending (audited, seen by checkout), the permission and other shops' rules."""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

import pytest

from core.db import utcnow
from core.tenancy import tenant_scope
from engines.catalog.services import create_item
from engines.marketing.models import CouponStatus, FreeShippingRule
from engines.marketing.shipping_rules import create_rule, live_rules
from tests.engines.marketing.admin_pages import audit_actions, rows_of
from tests.engines.marketing.test_promotions_admin import field_errors, text_of

PAGES = "/merchant/marketing/free-shipping"
STARTS = dt.datetime(2030, 5, 31, 16, tzinfo=dt.UTC)  # the start of 1 June 2030 in Shanghai
ENDS = dt.datetime(2030, 6, 30, 16, tzinfo=dt.UTC)  # the end of 30 June 2030 in Shanghai
GOOD = {"name": "Free over 99", "minimum": "99", "regions": "", "excluded_regions": "Xinjiang, Tibet",
        "starts_on": "2030-06-01", "ends_on": "2030-06-30", "funded_by": "merchant"}


rules = partial(rows_of, FreeShippingRule)
actions = partial(audit_actions, prefix="free_shipping_rule")


@pytest.fixture
def enter(client, create_staff, sign_in, tenant_a):
    def as_role(role):
        person = create_staff(tenant_a, role)
        sign_in("merchant", person.email)
        client.get("/merchant/shops")
        return person

    return as_role


def make(tenant, db_session, **fields) -> int:
    with tenant_scope(tenant):
        made = create_rule(**{"name": "Free delivery", "starts_at": STARTS, "ends_at": ENDS, **fields})
        db_session.commit()
        return made.id


def test_clerks_may_not_manage_free_delivery(client, enter, form_post, db_session, tenant_a):
    made = make(tenant_a, db_session)
    enter("clerk")
    for path in ("", "/new", f"/{made}"):
        assert client.get(PAGES + path).status_code == 403, path
    for path, data in (("/new", GOOD), (f"/{made}/status", {"action": "end"})):
        assert form_post(PAGES + path, data, page="/merchant/").status_code == 403, path
    assert f'href="{PAGES}"' not in client.get("/merchant/").get_data(as_text=True)
    assert [(r.name, r.status) for r in rules(tenant_a)] == [("Free delivery", CouponStatus.ACTIVE)]
    assert actions(tenant_a) == []


def test_a_manager_is_offered_free_delivery_in_the_navigation(client, enter, db_session):
    enter("manager")
    page = client.get(PAGES)
    assert page.status_code == 200 and "No free-delivery rules yet" in page.get_data(as_text=True)
    assert f'href="{PAGES}"' in client.get("/merchant/").get_data(as_text=True)


def test_a_bad_form_names_each_field_and_writes_nothing(client, enter, form_post, db_session, tenant_a):
    enter("manager")
    refused = form_post(f"{PAGES}/new", {"name": " ", "minimum": "9.999", "regions": "x" * 41,
                                         "excluded_regions": ",".join(f"R{n}" for n in range(51)),
                                         "starts_on": "2030-02-30", "ends_on": "", "funded_by": "merchant"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert field_errors(page) == {
        "name": ["Give the rule a name of up to 60 characters."],
        "minimum": ["'9.999' has more than 2 decimal places for CNY"],
        "regions": ["A region name is up to 40 characters."],
        "excluded_regions": ["Up to 50 regions."],
        "starts_on": ["A day, e.g. 2025-06-30."],
        "ends_on": ["Give the last day of the rule."]}
    assert 'value="9.999"' in page
    backwards = form_post(f"{PAGES}/new", {**GOOD, "starts_on": "2030-06-30", "ends_on": "2030-06-01"})
    assert field_errors(backwards.get_data(as_text=True)) == {"ends_on": ["It must end after it starts."]}
    negative = form_post(f"{PAGES}/new", {**GOOD, "minimum": "-5"})
    assert field_errors(negative.get_data(as_text=True))["minimum"] == ["Zero or more."]
    unknown = form_post(f"{PAGES}/new", {**GOOD, "items": ["999"]})
    assert unknown.status_code == 400 and {"items"} <= set(field_errors(unknown.get_data(as_text=True)))
    assert rules(tenant_a) == [] and actions(tenant_a) == []


def test_a_manager_makes_a_rule_with_every_condition(client, enter, form_post, db_session, tenant_a):
    with tenant_scope(tenant_a):
        tea = create_item(kind="physical", name="Tea", price=1250, stock=1).id
        cake = create_item(kind="physical", name="Cake", price=800, stock=1).id
        db_session.commit()
    enter("manager")
    form = client.get(f"{PAGES}/new").get_data(as_text=True)
    assert f'<option value="{tea}">Tea</option>' in form and "Asia/Shanghai" in form
    # when ¥99 or more to Jiangsu, Zhejiang and Shanghai (typed with Chinese commas too), never
    # Xinjiang or Tibet, on tea and cake (paid by the shop: no choice), from 1 to 30 June 2030, is saved
    saved = form_post(f"{PAGES}/new", {**GOOD, "name": " 江浙沪包邮 ", "regions": "Jiangsu，Zhejiang、 Shanghai",
                                       "items": [str(tea), str(cake)], "funded_by": "platform"})  # ignored
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    (made,) = rules(tenant_a)
    assert saved.headers["Location"].endswith(f"{PAGES}/{made.id}")
    assert (made.name, made.minimum, made.regions, made.excluded_regions, sorted(made.item_ids), made.funded_by) == (
        "江浙沪包邮", 9900, ["Jiangsu", "Zhejiang", "Shanghai"], ["Xinjiang", "Tibet"], sorted([str(tea), str(cake)]),
        "merchant")
    assert (made.starts_at, made.ends_at, made.status) == (STARTS, ENDS, CouponStatus.ACTIVE)
    assert actions(tenant_a) == ["free_shipping_rule.create"]
    page = text_of(client.get(saved.headers["Location"]))
    assert "Free-delivery rule saved." in page
    assert "Minimum spend ¥99.00" in page and "Regions Jiangsu, Zhejiang, Shanghai" in page
    assert "Never to Xinjiang, Tibet" in page and "Tea" in page and "Cake" in page
    assert "2030-06-01 – 2030-06-30" in page and "Paid for by The shop" in page
    # when a rule for any order, from today, is saved
    today = form_post(f"{PAGES}/new", {"name": "Always", "minimum": "", "regions": "", "excluded_regions": "",
                                       "ends_on": "2030-06-30", "funded_by": "merchant"})
    assert today.status_code == 302, field_errors(today.get_data(as_text=True))
    made = rules(tenant_a)[-1]
    local_today = utcnow().astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    assert (made.minimum, made.regions, made.item_ids) == (0, [], [])
    assert made.starts_at == dt.datetime.combine(local_today, dt.time(), tzinfo=dt.timezone(dt.timedelta(hours=8)))


def test_the_list_shows_each_rule_in_words_newest_first(client, enter, db_session, tenant_a, tenant_b, monkeypatch):
    with tenant_scope(tenant_a):
        tea = create_item(kind="physical", name="Tea", price=1250, stock=1).id
        db_session.commit()
    make(tenant_a, db_session, name="Big orders", minimum=9900, excluded_regions=["Xinjiang"])
    make(tenant_a, db_session, name="Nearby", regions=["Jiangsu", "Zhejiang"], item_ids=[tea], funded_by="platform")
    make(tenant_a, db_session, name="Long over", starts_at=STARTS - dt.timedelta(days=9000),
         ends_at=STARTS - dt.timedelta(days=8000))
    make(tenant_b, db_session, name="Not ours")
    enter("manager")
    page = text_of(client.get(PAGES))
    assert re.findall(r"(Long over|Nearby|Big orders) Paid", page) == ["Long over", "Nearby", "Big orders"]
    assert ("Big orders Paid for by the shop Orders of ¥99.00 or more · never to Xinjiang "
            "2030-06-01 – 2030-06-30 Scheduled") in page
    assert ("Nearby Paid for by the platform Any order · only to Jiangsu, Zhejiang · only of 1 chosen item "
            "2030-06-01 – 2030-06-30 Scheduled") in page
    assert "Long over Paid for by the shop Any order" in page and "Over" in page
    assert "Not ours" not in page
    monkeypatch.setattr("engines.marketing.admin_shipping.PAGE", 2)
    first = client.get(PAGES).get_data(as_text=True)
    older = re.search(r'href="([^"]*before=\d+)"', first).group(1)
    second = text_of(client.get(older.replace("&amp;", "&")))
    assert "Big orders" in second and "Nearby" not in second
    assert "Nothing here." in text_of(client.get(f"{PAGES}?status=paused"))


def test_a_rule_is_paused_resumed_and_ended_audited_and_checkout_sees_it(client, enter, form_post, db_session,
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
    assert act("pause").status_code == 302 and rules(tenant_a)[0].status == CouponStatus.PAUSED
    assert "Rule paused" in text_of(client.get(page))
    assert live() == []
    assert act("resume").status_code == 302 and live() == [made]
    assert act("end").status_code == 302 and rules(tenant_a)[0].status == CouponStatus.ENDED
    ended = client.get(page).get_data(as_text=True)
    assert 'value="resume"' not in ended and 'value="end"' not in ended
    # an ended rule is not resumed by a forged form
    refused = act("resume")
    assert refused.status_code == 302 and rules(tenant_a)[0].status == CouponStatus.ENDED
    assert "An ended rule stays ended" in text_of(client.get(page))
    assert act("explode").status_code == 400
    assert actions(tenant_a) == ["free_shipping_rule.pause", "free_shipping_rule.resume", "free_shipping_rule.end"]


def test_another_shops_rule_is_not_found(client, enter, form_post, db_session, tenant_a, tenant_b):
    theirs = make(tenant_b, db_session)
    enter("manager")
    assert client.get(f"{PAGES}/{theirs}").status_code == 404
    assert form_post(f"{PAGES}/{theirs}/status", {"action": "end"}, page=PAGES).status_code == 404
    assert client.get(f"{PAGES}/99999999999999999999").status_code == 404
    assert rules(tenant_b)[0].status == CouponStatus.ACTIVE


def test_the_list_costs_the_same_queries_however_many_it_shows(client, enter, db_session, tenant_a, count_queries):
    enter("manager")
    make(tenant_a, db_session, name="A")
    client.get(PAGES)
    with count_queries() as few:
        client.get(PAGES)
    for name in "BCDEF":
        make(tenant_a, db_session, name=name, regions=["Jiangsu"], item_ids=[])
    with count_queries() as many:
        assert client.get(PAGES).get_data(as_text=True).count("data-rule=") == 6
    assert len(many) == len(few)
