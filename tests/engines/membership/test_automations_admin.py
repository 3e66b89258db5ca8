"""The automations' back-office pages: making one (each field wrong named beside it, nothing
written; a good one saved and audited, its trigger, gifts, quiet hours and cap in words in the
list), changing one (a refused change writes nothing), pausing and resuming it (audited as the
Admin API's change of status), its log (the runs newest first, a page at a time: for whom, on what
occasion, waiting until when, done or skipped and why), the permission, another shop's automation,
and the query counts of the list and the log."""

from __future__ import annotations

import datetime as dt
import re
from functools import partial

from core.tenancy import tenant_scope
from engines.marketing.services import CouponRules, create_coupon
from engines.membership.automation_models import Automation, AutomationStatus, Trigger
from engines.membership.automations import create_automation, fire
from tests.engines.marketing.admin_pages import audit_actions, field_errors, fresh_row, rows_of, text_of
from tests.engines.membership.test_membership_admin import audited, enter, make_tier  # noqa: F401  enter: a fixture

PAGES = "/merchant/membership/automations"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))  # tenant_a's time zone (Asia/Shanghai)
WELCOME = {"name": "Welcome", "trigger": "registration", "days": "", "tier_id": "", "coupon_id": "", "points": "50",
           "message_title": "Welcome!", "message_body": "Here are 50 points.", "quiet_start": "22", "quiet_end": "8",
           "cap_count": "1", "cap_days": "30"}

automations_of = partial(rows_of, Automation)
fresh_automation = partial(fresh_row, Automation)
automation_actions = partial(audit_actions, prefix="automation")


def make_automation(tenant, db_session, **values) -> int:
    with tenant_scope(tenant):
        made = create_automation(**{"name": "Welcome", "trigger": "registration", "points": 50, **values})
        db_session.commit()
        return made.id


def make_coupon(tenant, db_session, name: str = "Welcome ¥5") -> int:
    with tenant_scope(tenant):
        made = create_coupon(CouponRules(name=name, kind="amount", amount=500, valid_days=7, public=False))
        db_session.commit()
        return made.id


def fire_at(tenant, db_session, trigger: Trigger, consumer_id: int, occasion: str, when: dt.datetime) -> None:
    with tenant_scope(tenant):
        fire(trigger, consumer_id, occasion, when)
        db_session.commit()


def listed(page: str) -> list[str]:
    """The automation ids of the list's rows, in order."""
    return re.findall(r'data-automation="(\d+)"', page)


def logged(page: str) -> list[str]:
    """The run ids of the log's rows, in order."""
    return re.findall(r'data-run="(\d+)"', page)


def row_text(page: str, attribute: str, row_id: int | str) -> str:
    """The words of one table row (data-<attribute>="<row_id>")."""
    match = re.search(rf'<tr data-{attribute}="{row_id}">(.*?)</tr>', page, re.S)
    assert match, f"no row {row_id}"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).replace("&amp;", "&").strip()


# -- permissions, other shops ------------------------------------------------------------------------

def test_clerks_may_not_manage_automations(client, enter, form_post, db_session, tenant_a):  # noqa: F811
    made = make_automation(tenant_a, db_session)
    enter("clerk")
    for path in ("", "/new", f"/{made}", f"/{made}/edit"):
        assert client.get(PAGES + path).status_code == 403, path
    for path, data in (("/new", WELCOME), (f"/{made}/edit", {**WELCOME, "points": "999"}),
                       (f"/{made}/status", {"action": "pause"})):
        assert form_post(PAGES + path, data, page="/merchant/").status_code == 403, path
    assert f'href="{PAGES}"' not in client.get("/merchant/").get_data(as_text=True)
    (only,) = automations_of(tenant_a)
    assert (only.id, only.points, only.status) == (made, 50, AutomationStatus.ACTIVE)
    assert automation_actions(tenant_a) == []


def test_a_manager_is_offered_automations_in_the_navigation(client, enter, db_session):  # noqa: F811
    enter("manager")
    dashboard = client.get("/merchant/").get_data(as_text=True)
    assert f'href="{PAGES}"' in dashboard and "ti-automation" in dashboard
    page = client.get(PAGES)
    assert page.status_code == 200 and "No automations yet" in text_of(page)


def test_another_shops_automation_is_not_found(client, enter, form_post, db_session, tenant_a,  # noqa: F811
                                               tenant_b):
    theirs = make_automation(tenant_b, db_session, name="Theirs")
    enter("owner")
    for path in (f"/{theirs}", f"/{theirs}/edit"):
        assert client.get(PAGES + path).status_code == 404, path
    for path, data in ((f"/{theirs}/edit", {**WELCOME, "name": "Mine now"}),
                       (f"/{theirs}/status", {"action": "pause"})):
        assert form_post(PAGES + path, data, page=f"{PAGES}/new").status_code == 404, path
    (still,) = automations_of(tenant_b)
    assert (still.name, still.status) == ("Theirs", AutomationStatus.ACTIVE)
    assert listed(client.get(PAGES).get_data(as_text=True)) == []
    assert automation_actions(tenant_a) == automation_actions(tenant_b) == []


# -- making and changing ------------------------------------------------------------------------------

def test_a_bad_automation_form_names_each_field_and_writes_nothing(client, enter, form_post,  # noqa: F811
                                                                   db_session, tenant_a):
    enter("manager")
    refused = form_post(f"{PAGES}/new", {**WELCOME, "name": " ", "trigger": "dormant", "days": "lots",
                                         "points": "-5", "message_title": "", "quiet_end": "", "cap_count": "0",
                                         "cap_days": "a month"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert field_errors(page) == {
        "name": ["A name of 1 to 60 characters."],
        "days": ["Give the days without an order: a whole number from 1 to 365."],
        "points": ["A whole number of points, e.g. 50; 0 for none."],
        "message_title": ["A message needs a title."],
        "quiet_start": ["Quiet hours are two different hours from 0 to 23, or none."],
        "cap_count": ["From 1 to 100 times."],
        "cap_days": ["In how many days: a whole number from 1 to 365."]}
    assert 'value="lots"' in page and 'value="a month"' in page  # what was typed stays
    # giving nothing, or days out of range: the service's rule, beside the field
    nothing = form_post(f"{PAGES}/new", {**WELCOME, "points": "0", "message_title": "", "message_body": ""})
    assert nothing.status_code == 400
    assert field_errors(nothing.get_data(as_text=True)) == {
        "points": ["Give something: a coupon, points or a message."]}
    too_long = form_post(f"{PAGES}/new", {**WELCOME, "trigger": "dormant", "days": "400"})
    assert too_long.status_code == 400
    assert field_errors(too_long.get_data(as_text=True)) == {"days": ["Days without an order: 1 to 365."]}
    # what no form offers (a made-up trigger, hour or id) is a form message too, never a 500
    made_up = form_post(f"{PAGES}/new", {**WELCOME, "trigger": "sometimes", "quiet_start": "25"})
    assert made_up.status_code == 400
    assert set(field_errors(made_up.get_data(as_text=True))) == {"trigger", "quiet_start"}
    for values, named in (({"coupon_id": "12x"}, "coupon_id"), ({"coupon_id": "99999"}, "coupon_id"),
                          ({"trigger": "tier_change", "tier_id": "99999"}, "tier_id")):
        refused = form_post(f"{PAGES}/new", {**WELCOME, **values})
        assert refused.status_code == 400, values
        assert list(field_errors(refused.get_data(as_text=True))) == [named], values
    assert automations_of(tenant_a) == []
    assert automation_actions(tenant_a) == []


def test_a_manager_makes_an_automation_and_finds_it_listed_in_words(client, enter, form_post, db_session,  # noqa: F811
                                                                    tenant_a):
    gift = make_coupon(tenant_a, db_session)
    gold = make_tier(tenant_a, db_session, "Gold", 1000)
    enter("manager")
    form = client.get(f"{PAGES}/new").get_data(as_text=True)
    assert f'<option value="{gift}">Welcome ¥5 (¥5.00 off)</option>' in form
    assert f'<option value="{gold}">Gold</option>' in form
    assert "automation_form.js" in form
    # the days and the tier are read for the trigger that uses them only
    saved = form_post(f"{PAGES}/new", {**WELCOME, "name": " Welcome ", "coupon_id": str(gift), "days": "12",
                                       "tier_id": str(gold)})
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    (welcome,) = automations_of(tenant_a)
    assert saved.headers["Location"].endswith(f"{PAGES}/{welcome.id}")
    assert (welcome.name, welcome.trigger, welcome.days, welcome.tier_id, welcome.coupon_id, welcome.points,
            welcome.message_title, welcome.message_body, welcome.quiet_start, welcome.quiet_end, welcome.cap_count,
            welcome.cap_days, welcome.status) == (
        "Welcome", Trigger.REGISTRATION, None, None, gift, 50, "Welcome!", "Here are 50 points.", 22, 8, 1, 30,
        AutomationStatus.ACTIVE)
    (entry,) = audited(tenant_a, "automation.create")
    assert (entry.target, entry.details) == (f"automation {welcome.id}", {"name": "Welcome"})
    for values in ({"name": "Gold gift", "trigger": "tier_change", "tier_id": str(gold), "coupon_id": "",
                    "message_title": "", "message_body": "", "quiet_start": "", "quiet_end": "", "points": "1,000",
                    "cap_count": "2", "cap_days": "1"},
                   {"name": "Any tier", "trigger": "tier_change", "tier_id": ""},
                   {"name": "Come back", "trigger": "dormant", "days": "30", "points": "0"},
                   {"name": "Birthday", "trigger": "birthday"}, {"name": "First", "trigger": "first_order"},
                   {"name": "Expiring", "trigger": "points_expiring"}):
        made = form_post(f"{PAGES}/new", {**WELCOME, **values})
        assert made.status_code == 302, (values, field_errors(made.get_data(as_text=True)))
    ids = {row.name: row.id for row in automations_of(tenant_a)}
    page = client.get(PAGES)
    html = page.get_data(as_text=True)
    assert listed(html) == [str(ids[name]) for name in ("Expiring", "First", "Birthday", "Come back", "Any tier",
                                                        "Gold gift", "Welcome")]
    assert "Automation Expiring saved." in text_of(page)
    assert row_text(html, "automation", ids["Welcome"]) == (
        "Welcome When a customer registers Coupon: Welcome ¥5 50 points Message: Welcome! 22:00–08:00 "
        "1 time per 30 days Active 0 0 Pause Welcome")
    assert row_text(html, "automation", ids["Gold gift"]) == (
        "Gold gift When they reach Gold 1,000 points — 2 times per day Active 0 0 Pause Gold gift")
    assert row_text(html, "automation", ids["Any tier"]).startswith("Any tier When their tier changes")
    assert row_text(html, "automation", ids["Come back"]).startswith(
        "Come back After 30 days without an order Message: Welcome!")
    assert row_text(html, "automation", ids["Birthday"]).startswith("Birthday On their birthday")
    assert row_text(html, "automation", ids["First"]).startswith("First On their first paid order")
    assert row_text(html, "automation", ids["Expiring"]).startswith("Expiring When points are about to expire")
    assert automation_actions(tenant_a) == ["automation.create"] * 7


def test_a_manager_changes_an_automation_and_a_refused_change_writes_nothing(client, enter, form_post,  # noqa: F811
                                                                             db_session, tenant_a):
    gold = make_tier(tenant_a, db_session, "Gold", 1000)
    made = make_automation(tenant_a, db_session, name="Gold gift", trigger="tier_change", tier_id=gold, points=200,
                           quiet_start=22, quiet_end=8)
    enter("manager")
    edit = f"{PAGES}/{made}/edit"
    form = client.get(edit).get_data(as_text=True)
    assert 'value="Gold gift"' in form and 'value="200"' in form
    assert f'<option selected value="{gold}">Gold</option>' in form
    assert '<option selected value="22">22:00</option>' in form and '<option selected value="8">08:00</option>' in form
    current = {**WELCOME, "name": "Gold gift", "trigger": "tier_change", "tier_id": str(gold), "points": "200",
               "message_title": "", "message_body": ""}
    refused = form_post(edit, {**current, "points": "2000000", "cap_days": "0"})
    assert refused.status_code == 400
    assert field_errors(refused.get_data(as_text=True)) == {"points": ["From 0 to 1,000,000."],
                                                             "cap_days": ["From 1 to 365 days."]}
    after = fresh_automation(tenant_a, made)
    assert (after.points, after.cap_days) == (200, 30)
    assert automation_actions(tenant_a) == []
    # another trigger: the tier it had goes (the service takes a tier for tier_change only)
    changed = form_post(edit, {**current, "trigger": "dormant", "days": "45", "points": "80"})
    assert changed.status_code == 302, field_errors(changed.get_data(as_text=True))
    assert changed.headers["Location"].endswith(f"{PAGES}/{made}")
    after = fresh_automation(tenant_a, made)
    assert (after.trigger, after.days, after.tier_id, after.points, after.quiet_start, after.quiet_end) == (
        Trigger.DORMANT, 45, None, 80, 22, 8)
    (entry,) = audited(tenant_a, "automation.update")
    assert (entry.target, entry.details) == (f"automation {made}", {"fields": ["trigger", "days", "tier_id", "points"]})
    words = text_of(client.get(f"{PAGES}/{made}"))
    assert "Automation Gold gift saved." in words and "After 45 days without an order" in words


def test_pausing_and_resuming_an_automation_is_audited(client, enter, form_post, db_session, tenant_a,  # noqa: F811
                                                       create_consumer):
    made = make_automation(tenant_a, db_session)
    enter("manager")
    log = f"{PAGES}/{made}"
    paused = form_post(f"{log}/status?next={log}", {"action": "pause"}, page=log)
    assert paused.status_code == 302 and paused.headers["Location"].endswith(log)
    assert fresh_automation(tenant_a, made).status == AutomationStatus.PAUSED
    shown = client.get(log)
    assert "Automation paused: it gives nothing until it is resumed." in text_of(shown)
    assert re.search(r'id="automation-state">Paused<', shown.get_data(as_text=True))
    # paused, what happens to a member runs nothing
    first = create_consumer(tenant_a)
    fire_at(tenant_a, db_session, Trigger.REGISTRATION, first.id, "registration", dt.datetime.now(dt.UTC))
    assert logged(client.get(log).get_data(as_text=True)) == []
    listed_page = client.get(PAGES).get_data(as_text=True)
    assert "Paused" in row_text(listed_page, "automation", made) and 'value="resume"' in listed_page
    # resumed from the list (and back to it; never to another site)
    resumed = form_post(f"{PAGES}/{made}/status?next=//evil.example/", {"action": "resume"}, page=PAGES)
    assert resumed.status_code == 302 and resumed.headers["Location"].endswith(PAGES)
    assert fresh_automation(tenant_a, made).status == AutomationStatus.ACTIVE
    assert "Automation resumed." in text_of(client.get(PAGES))
    assert [(e.target, e.details) for e in audited(tenant_a, "automation.update")] == [
        (f"automation {made}", {"fields": ["status"]}), (f"automation {made}", {"fields": ["status"]})]
    # an action it does not know changes nothing
    assert form_post(f"{log}/status", {"action": "delete"}, page=log).status_code == 400
    assert fresh_automation(tenant_a, made).status == AutomationStatus.ACTIVE
    assert automation_actions(tenant_a) == ["automation.update", "automation.update"]
    # resumed, it runs again
    second = create_consumer(tenant_a, email="next@example.com")
    fire_at(tenant_a, db_session, Trigger.REGISTRATION, second.id, "registration", dt.datetime.now(dt.UTC))
    page = client.get(log).get_data(as_text=True)
    (run,) = logged(page)
    assert "next@example.com Registered" in row_text(page, "run", run)


# -- the log ----------------------------------------------------------------------------------------

def test_the_log_lists_the_runs_newest_first_and_what_they_did(client, enter, db_session, tenant_a,  # noqa: F811
                                                               create_consumer):
    li = create_consumer(tenant_a, name="Li Lei", phone="13800138000", email="li@example.com")
    han = create_consumer(tenant_a, email="han@example.com")
    made = make_automation(tenant_a, db_session, name="Come back", trigger="dormant", days=30, points=50,
                           quiet_start=22, quiet_end=8)
    fire_at(tenant_a, db_session, Trigger.DORMANT, li.id, "dormant:30:2030-01-01",
            dt.datetime(2030, 3, 1, 12, 0, tzinfo=SHANGHAI))
    fire_at(tenant_a, db_session, Trigger.DORMANT, li.id, "dormant:30:2030-02-01",
            dt.datetime(2030, 3, 5, 12, 0, tzinfo=SHANGHAI))
    fire_at(tenant_a, db_session, Trigger.DORMANT, han.id, "dormant:30:2030-01-15",
            dt.datetime(2030, 3, 5, 23, 30, tzinfo=SHANGHAI))
    enter("manager")
    answer = client.get(f"{PAGES}/{made}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    waiting, skipped, done = logged(page)
    assert row_text(page, "run", waiting) == (
        "2030-03-05 23:30 han@example.com 30 days after the order of 2030-01-15 Waiting until 2030-03-06 08:00 —")
    assert row_text(page, "run", skipped) == (
        "2030-03-05 12:00 Li Lei 13800138000 · li@example.com 30 days after the order of 2030-02-01 Skipped "
        "Frequency cap: 1 in the last 30 days.")
    assert row_text(page, "run", done) == (
        "2030-03-01 12:00 Li Lei 13800138000 · li@example.com 30 days after the order of 2030-01-01 Done "
        "Gave 50 points.")
    assert f'href="/merchant/membership/members/{li.id}"' in page
    assert f'href="/merchant/membership/members/{han.id}"' in page
    words = text_of(answer)
    assert "After 30 days without an order" in words and "22:00–08:00" in words
    assert "1 time per 30 days per member" in words and "1 done · 1 skipped · 1 waiting" in words
    listed_row = row_text(client.get(PAGES).get_data(as_text=True), "automation", made)
    assert listed_row.endswith("Active 1 waiting 1 1 Pause Come back")


def test_the_log_pages_by_keyset(client, enter, db_session, tenant_a, create_consumer, monkeypatch):  # noqa: F811
    from engines.membership import admin_automations

    monkeypatch.setattr(admin_automations, "LOG", 2)
    made = make_automation(tenant_a, db_session, trigger="birthday")
    people = [create_consumer(tenant_a).id for _ in range(3)]
    for n, consumer_id in enumerate(people):
        fire_at(tenant_a, db_session, Trigger.BIRTHDAY, consumer_id, "birthday:2030",
                dt.datetime(2030, 3, 1 + n, 12, 0, tzinfo=SHANGHAI))
    enter("manager")
    page = client.get(f"{PAGES}/{made}").get_data(as_text=True)
    assert [row_text(page, "run", run).split(" ")[:2] for run in logged(page)] == [["2030-03-03", "12:00"],
                                                                                 ["2030-03-02", "12:00"]]
    older = re.search(r'href="([^"]*before=\d+)"', page).group(1).replace("&amp;", "&")
    rest = client.get(older).get_data(as_text=True)
    assert [row_text(rest, "run", run).split(" ")[:2] for run in logged(rest)] == [["2030-03-01", "12:00"]]
    assert "Birthday 2030" in row_text(rest, "run", logged(rest)[0])


# -- what the pages cost ------------------------------------------------------------------------------

def _automations_with_runs(tenant, db_session, consumer_ids: list[int], n: int, tier_id: int) -> None:
    """`n` automations, each with its own coupon, and a run for each consumer."""
    for i in range(n):
        coupon = make_coupon(tenant, db_session, name=f"Gift {i}")
        make_automation(tenant, db_session, name=f"Birthday {i}", trigger="birthday", coupon_id=coupon,
                        message_title="Happy birthday", cap_count=5)
        make_automation(tenant, db_session, name=f"Gold {i}", trigger="tier_change", tier_id=tier_id)
    for consumer_id in consumer_ids:
        fire_at(tenant, db_session, Trigger.BIRTHDAY, consumer_id, f"birthday:{2030 + n}",
                dt.datetime(2030, 3, 1, 12, 0, tzinfo=SHANGHAI))


def test_the_list_and_the_log_cost_the_same_queries_however_many_they_show(client, enter, db_session,  # noqa: F811
                                                                           tenant_a, create_consumer,
                                                                           count_queries):
    gold = make_tier(tenant_a, db_session, "Gold", 100)
    people = [create_consumer(tenant_a).id for _ in range(6)]
    log = f"{PAGES}/{make_automation(tenant_a, db_session, name='Birthday', trigger='birthday', cap_count=10)}"
    enter("manager")
    _automations_with_runs(tenant_a, db_session, people[:1], 1, gold)
    client.get(PAGES), client.get(log)
    with count_queries() as few:
        assert client.get(PAGES).status_code == 200
    with count_queries() as few_runs:
        assert client.get(log).status_code == 200
    _automations_with_runs(tenant_a, db_session, people, 4, gold)
    with count_queries() as many:
        page = client.get(PAGES).get_data(as_text=True)
    with count_queries() as many_runs:
        runs = client.get(log).get_data(as_text=True)
    assert len(listed(page)) == 11 and len(logged(runs)) == 7
    assert len(many) == len(few)
    assert len(many_runs) == len(few_runs)


def test_every_trigger_has_its_words():
    from engines.membership.admin_automations import TRIGGER_WORDS

    assert {trigger.value for trigger in Trigger} <= set(TRIGGER_WORDS)
