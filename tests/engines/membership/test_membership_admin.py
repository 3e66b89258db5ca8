"""The membership back office: member tiers (made and changed as a person types them — a
percentage, a multiplier — each bad field named and nothing written; deleted after a
confirmation, its members moved), the members list (newest first, by tier, found by phone or
email, its query count), a member's page (the card, the points ledger and the growth entries),
adjusting points and growth with a reason (the ledger says who and why, the audit row too; taking
more points than there are is a form message and writes nothing), the permission and other
shops' members and tiers."""

from __future__ import annotations

import re
from functools import partial

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.membership.ledger import credit, ensure_member
from engines.membership.models import GrowthEntry, Member, MemberTier, PointsEntry, PointsKind
from engines.membership.tiers import add_growth, create_tier
from tests.engines.marketing.admin_pages import audit_actions, field_errors, fresh_row, rows_of, text_of

PAGES = "/merchant/membership"
GOOD = {"name": "Gold", "threshold": "1,000", "discount": "5", "multiplier": "1.5", "birthday_points": "100",
        "free_shipping": "y"}

tiers_of = partial(rows_of, MemberTier)
fresh_tier = partial(fresh_row, MemberTier)
tier_actions = partial(audit_actions, prefix="member_tier")
member_actions = partial(audit_actions, prefix="member")


@pytest.fixture
def enter(client, create_staff, sign_in, tenant_a):
    def as_role(role):
        person = create_staff(tenant_a, role)
        sign_in("merchant", person.email)
        client.get("/merchant/shops")
        return person

    return as_role


def make_tier(tenant, db_session, name: str, threshold: int, **benefits) -> int:
    with tenant_scope(tenant):
        made = create_tier(name=name, threshold=threshold, **benefits)
        db_session.commit()
        return made.id


def make_member(tenant, db_session, create_consumer, *, growth: int = 0, points: int = 0, **who) -> int:
    """A consumer of `tenant` with `growth` and `points` (a credit noted "welcome")."""
    consumer = create_consumer(tenant, **who)
    with tenant_scope(tenant):
        if growth:
            add_growth(consumer.id, growth, "order", note="first order")
        if points:
            credit(consumer.id, points, PointsKind.ORDER, note="welcome")
        if not (growth or points):
            ensure_member(consumer.id)
        db_session.commit()
    return consumer.id


def member_row(tenant, consumer_id: int) -> Member:
    with tenant_scope(tenant):
        return db.session.scalar(select(Member).where(Member.consumer_id == consumer_id)
                                 .execution_options(populate_existing=True))


def ledger(tenant, consumer_id: int) -> list[tuple]:
    with tenant_scope(tenant):
        return [(e.kind, e.amount, e.balance_after, e.note, e.actor) for e in db.session.scalars(
            select(PointsEntry).where(PointsEntry.consumer_id == consumer_id).order_by(PointsEntry.id))]


def audited(tenant, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant.id,
                                                            AuditEntry.action == action)
                                   .order_by(AuditEntry.at, AuditEntry.id)))  # PostgreSQL keeps no order of its own


def listed(page: str) -> list[str]:
    """The consumer ids of the members list's rows, in order."""
    return re.findall(r'data-member="(\d+)"', page)


# -- permissions, other shops ------------------------------------------------------------------------

def test_clerks_may_not_manage_membership(client, enter, form_post, db_session, tenant_a, create_consumer):
    tier = make_tier(tenant_a, db_session, "Silver", 0)
    member = make_member(tenant_a, db_session, create_consumer, points=50)
    enter("clerk")
    for path in ("/tiers", "/tiers/new", f"/tiers/{tier}", f"/tiers/{tier}/delete", "/members",
                 f"/members/{member}"):
        assert client.get(PAGES + path).status_code == 403, path
    for path, data in (("/tiers/new", GOOD), (f"/tiers/{tier}", GOOD), (f"/tiers/{tier}/delete", {}),
                       (f"/members/{member}/points", {"points_amount": "-50", "points_reason": "Take"}),
                       (f"/members/{member}/growth", {"growth_amount": "10", "growth_reason": "Give"})):
        assert form_post(PAGES + path, data, page="/merchant/").status_code == 403, path
    dashboard = client.get("/merchant/").get_data(as_text=True)
    assert f'href="{PAGES}/members"' not in dashboard and f'href="{PAGES}/tiers"' not in dashboard
    assert [(t.name, t.threshold) for t in tiers_of(tenant_a)] == [("Silver", 0)]
    assert member_row(tenant_a, member).points == 50 and member_row(tenant_a, member).growth == 0
    assert tier_actions(tenant_a) == member_actions(tenant_a) == []


def test_a_manager_is_offered_members_and_tiers_in_the_navigation(client, enter, db_session):
    enter("manager")
    dashboard = client.get("/merchant/").get_data(as_text=True)
    assert f'href="{PAGES}/members"' in dashboard and f'href="{PAGES}/tiers"' in dashboard
    assert "No tiers yet" in client.get(f"{PAGES}/tiers").get_data(as_text=True)
    assert "No members yet" in client.get(f"{PAGES}/members").get_data(as_text=True)


def test_another_shops_members_and_tiers_are_not_found(client, enter, form_post, db_session, tenant_a, tenant_b,
                                                       create_consumer):
    theirs = make_member(tenant_b, db_session, create_consumer, points=80)
    their_tier = make_tier(tenant_b, db_session, "Theirs", 0)
    enter("owner")
    assert client.get(f"{PAGES}/members/{theirs}").status_code == 404
    assert client.get(f"{PAGES}/tiers/{their_tier}").status_code == 404
    assert client.get(f"{PAGES}/tiers/{their_tier}/delete").status_code == 404
    for path, data in ((f"/members/{theirs}/points", {"points_amount": "-80", "points_reason": "Mine now"}),
                       (f"/members/{theirs}/growth", {"growth_amount": "10", "growth_reason": "Mine now"}),
                       (f"/tiers/{their_tier}", GOOD), (f"/tiers/{their_tier}/delete", {})):
        assert form_post(PAGES + path, data, page=f"{PAGES}/tiers/new").status_code == 404, path
    assert member_row(tenant_b, theirs).points == 80
    assert [t.name for t in tiers_of(tenant_b)] == ["Theirs"]
    # nor does the list show them, nor does finding their email open them
    assert listed(client.get(f"{PAGES}/members").get_data(as_text=True)) == []
    with tenant_scope(tenant_b):
        from core.consumers import Consumer
        email = db.session.get(Consumer, (tenant_b.id, theirs)).email
    found = client.get(f"{PAGES}/members", query_string={"q": email})
    assert found.status_code == 200 and "No customer of the shop has the phone number or email" in text_of(found)
    assert tier_actions(tenant_a) == member_actions(tenant_a) == tier_actions(tenant_b) == []


# -- tiers ---------------------------------------------------------------------------------------------

def test_a_bad_tier_form_names_each_field_and_writes_nothing(client, enter, form_post, db_session, tenant_a):
    enter("manager")
    refused = form_post(f"{PAGES}/tiers/new", {"name": " ", "threshold": "lots", "discount": "95",
                                               "multiplier": "double", "birthday_points": "-5"})
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert field_errors(page) == {
        "name": ["A name of 1 to 40 characters."],
        "threshold": ["Give the growth that reaches it: a whole number, e.g. 0 or 1000."],
        "discount": ["A percentage from 0 to 90, e.g. 5 or 7.5."],
        "multiplier": ["A number from 0 to 10, e.g. 1 or 1.5."],
        "birthday_points": ["A whole number of points, e.g. 100; 0 for none."]}
    assert 'value="95"' in page and 'value="double"' in page  # what was typed stays
    # a threshold another tier starts at is named by the service's rule
    make_tier(tenant_a, db_session, "Silver", 1000)
    taken = form_post(f"{PAGES}/tiers/new", GOOD)
    assert taken.status_code == 400
    assert field_errors(taken.get_data(as_text=True)) == {"threshold": ["Another tier starts at this growth."]}
    assert [t.name for t in tiers_of(tenant_a)] == ["Silver"]
    assert tier_actions(tenant_a) == []


def test_a_manager_makes_a_tier_as_a_person_types_it_and_finds_it_listed(client, enter, form_post, db_session,
                                                                         tenant_a, create_consumer):
    enter("manager")
    saved = form_post(f"{PAGES}/tiers/new", {**GOOD, "name": " Gold "})
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    assert saved.headers["Location"].endswith(f"{PAGES}/tiers")
    (gold,) = tiers_of(tenant_a)
    assert (gold.name, gold.threshold, gold.discount_bp, gold.free_shipping, gold.points_multiplier_bp,
            gold.birthday_points) == ("Gold", 1000, 500, True, 15000, 100)
    (entry,) = audited(tenant_a, "member_tier.create")
    assert (entry.target, entry.details) == (f"member_tier {gold.id}", {"name": "Gold"})
    # blanks are a tier with no benefits; a member with growth is counted in their tier
    base = form_post(f"{PAGES}/tiers/new", {"name": "Member", "threshold": "0", "discount": "", "multiplier": "",
                                            "birthday_points": ""})
    assert base.status_code == 302, field_errors(base.get_data(as_text=True))
    make_member(tenant_a, db_session, create_consumer, growth=1500)
    make_member(tenant_a, db_session, create_consumer)  # no growth: the base tier's
    page = client.get(f"{PAGES}/tiers")
    words = text_of(page)
    assert "Member 0 — No ×1 — 1 Gold 1,000 5% off Yes ×1.5 100 1" in words
    member_tier = next(t for t in tiers_of(tenant_a) if t.name == "Member")
    assert (member_tier.discount_bp, member_tier.points_multiplier_bp, member_tier.birthday_points,
            member_tier.free_shipping) == (0, 10000, 0, False)


def test_a_manager_changes_a_tier_and_a_refused_change_writes_nothing(client, enter, form_post, db_session,
                                                                      tenant_a):
    gold = make_tier(tenant_a, db_session, "Gold", 1000, discount_bp=750, points_multiplier_bp=15000)
    make_tier(tenant_a, db_session, "Silver", 500)
    enter("manager")
    form = client.get(f"{PAGES}/tiers/{gold}").get_data(as_text=True)
    assert 'value="7.5"' in form and 'value="1.5"' in form and 'value="1000"' in form
    refused = form_post(f"{PAGES}/tiers/{gold}", {**GOOD, "threshold": "500", "discount": "half"})
    assert refused.status_code == 400
    assert field_errors(refused.get_data(as_text=True)) == {
        "threshold": ["Another tier starts at this growth."],
        "discount": ["A percentage from 0 to 90, e.g. 5 or 7.5."]}
    after = fresh_tier(tenant_a, gold)
    assert (after.name, after.threshold, after.discount_bp) == ("Gold", 1000, 750)
    assert tier_actions(tenant_a) == []
    changed = form_post(f"{PAGES}/tiers/{gold}", {"name": "Gold", "threshold": "1000", "discount": "8",
                                                  "multiplier": "1.5", "birthday_points": "0"})
    assert changed.status_code == 302, field_errors(changed.get_data(as_text=True))
    assert fresh_tier(tenant_a, gold).discount_bp == 800
    (entry,) = audited(tenant_a, "member_tier.update")
    assert (entry.target, entry.details) == (f"member_tier {gold}", {"fields": ["discount_bp"]})
    assert "Tier Gold saved." in text_of(client.get(f"{PAGES}/tiers"))


def test_deleting_a_tier_asks_first_and_moves_its_members(client, enter, form_post, db_session, tenant_a,
                                                          create_consumer):
    make_tier(tenant_a, db_session, "Silver", 0)
    gold = make_tier(tenant_a, db_session, "Gold", 1000)
    rich = make_member(tenant_a, db_session, create_consumer, growth=1200)
    assert member_row(tenant_a, rich).tier_id == gold
    enter("manager")
    asked = client.get(f"{PAGES}/tiers/{gold}/delete")
    assert asked.status_code == 200
    assert "Its 1 member moves to the highest tier their growth reaches without it" in text_of(asked)
    assert [t.name for t in tiers_of(tenant_a)] == ["Silver", "Gold"]  # asking deletes nothing
    done = form_post(f"{PAGES}/tiers/{gold}/delete", {})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{PAGES}/tiers")
    assert [t.name for t in tiers_of(tenant_a)] == ["Silver"]
    assert member_row(tenant_a, rich).tier_id == tiers_of(tenant_a)[0].id
    (entry,) = audited(tenant_a, "member_tier.delete")
    assert (entry.target, entry.details) == (f"member_tier {gold}", {"name": "Gold"})
    assert "Tier Gold deleted." in text_of(client.get(f"{PAGES}/tiers"))


# -- members -------------------------------------------------------------------------------------------

def test_the_members_list_is_newest_first_by_tier_and_finds_people(client, enter, db_session, tenant_a,
                                                                    create_consumer):
    silver = make_tier(tenant_a, db_session, "Silver", 0)
    gold = make_tier(tenant_a, db_session, "Gold", 1000)
    first = make_member(tenant_a, db_session, create_consumer, name="Li Lei", phone="13800138000",
                        email="li@example.com", growth=1500, points=300)
    second = make_member(tenant_a, db_session, create_consumer, email="han@example.com")
    third = make_member(tenant_a, db_session, create_consumer, name="Wang", growth=200, points=20)
    enter("manager")
    page = client.get(f"{PAGES}/members")
    assert listed(page.get_data(as_text=True)) == [str(third), str(second), str(first)]
    words = text_of(page)
    assert "Li Lei 13800138000 · li@example.com Gold — 1,500 300 0 —" in words
    assert "han@example.com Silver — 0 0 0 —" in words  # no tier yet: the base tier's
    # by tier: the base tier takes in those with no tier yet
    assert listed(client.get(f"{PAGES}/members?tier={gold}").get_data(as_text=True)) == [str(first)]
    assert listed(client.get(f"{PAGES}/members?tier={silver}").get_data(as_text=True)) == [str(third), str(second)]
    assert listed(client.get(f"{PAGES}/members?tier=nonsense").get_data(as_text=True)) == [str(third), str(second),
                                                                                          str(first)]
    # found by phone (as typed, with spaces) or email (any case): their page
    for login in ("138 0013 8000", "HAN@example.com"):
        found = client.get(f"{PAGES}/members", query_string={"q": login})
        assert found.status_code == 302, login
    assert client.get(f"{PAGES}/members", query_string={"q": "138 0013 8000"}).headers["Location"].endswith(
        f"{PAGES}/members/{first}")
    assert client.get(f"{PAGES}/members", query_string={"q": "HAN@example.com"}).headers["Location"].endswith(
        f"{PAGES}/members/{second}")
    missing = client.get(f"{PAGES}/members", query_string={"q": "nobody@example.com"})
    assert missing.status_code == 200 and listed(missing.get_data(as_text=True)) == []
    assert "No customer of the shop has the phone number or email nobody@example.com." in text_of(missing)


def test_the_members_list_pages_by_keyset(client, enter, db_session, tenant_a, create_consumer, monkeypatch):
    from engines.membership import admin_members

    monkeypatch.setattr(admin_members, "PAGE", 2)
    made = [make_member(tenant_a, db_session, create_consumer) for _ in range(3)]
    enter("manager")
    page = client.get(f"{PAGES}/members").get_data(as_text=True)
    assert listed(page) == [str(made[2]), str(made[1])]
    older = re.search(r'href="([^"]*before=\d+)"', page).group(1).replace("&amp;", "&")
    assert listed(client.get(older).get_data(as_text=True)) == [str(made[0])]


def test_the_members_list_costs_the_same_queries_however_many_it_shows(client, enter, db_session, tenant_a,
                                                                        create_consumer, count_queries):
    make_tier(tenant_a, db_session, "Silver", 0)
    make_tier(tenant_a, db_session, "Gold", 100)
    enter("manager")
    for growth in (0, 150):
        make_member(tenant_a, db_session, create_consumer, growth=growth, points=5)
    client.get(f"{PAGES}/members")
    with count_queries() as few:
        assert client.get(f"{PAGES}/members").status_code == 200
    for growth in (0, 10, 150, 200, 0, 300):
        make_member(tenant_a, db_session, create_consumer, growth=growth, points=5)
    with count_queries() as many:
        page = client.get(f"{PAGES}/members").get_data(as_text=True)
    assert len(listed(page)) == 8
    assert len(many) == len(few)


def test_a_members_page_shows_the_card_the_ledger_and_the_growth(client, enter, db_session, tenant_a,
                                                                 create_consumer):
    make_tier(tenant_a, db_session, "Silver", 0)
    make_tier(tenant_a, db_session, "Gold", 1000, discount_bp=500)
    member = make_member(tenant_a, db_session, create_consumer, name="Li Lei", phone="13800138000", growth=400,
                         points=120)
    enter("manager")
    answer = client.get(f"{PAGES}/members/{member}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert re.search(r'id="member-tier">Silver<', page)
    assert re.search(r'id="points-available">120<', page) and re.search(r'id="member-growth">400<', page)
    words = text_of(answer)
    assert "Gold at 1,000 growth: 600 more" in words
    assert "Order +120 120 welcome —" in words  # kind, amount signed, balance after, note, who
    assert "Order +400 400 first order —" in words


def test_a_customer_found_before_they_are_a_member_gets_an_empty_card(client, enter, db_session, tenant_a,
                                                                      create_consumer):
    consumer = create_consumer(tenant_a, phone="13900139000")
    enter("manager")
    opened = client.get(f"{PAGES}/members", query_string={"q": "13900139000"})
    assert opened.headers["Location"].endswith(f"{PAGES}/members/{consumer.id}")
    page = client.get(opened.headers["Location"])
    assert page.status_code == 200 and "No points yet." in text_of(page)
    assert member_row(tenant_a, consumer.id).points == 0


def test_a_manager_adjusts_points_with_a_reason_and_the_ledger_says_who(client, enter, form_post, db_session,
                                                                        tenant_a, create_consumer):
    member = make_member(tenant_a, db_session, create_consumer, points=100)
    person = enter("manager")
    page = f"{PAGES}/members/{member}"
    added = form_post(f"{page}/points", {"points_amount": "+250", "points_reason": " Late delivery "}, page=page)
    assert added.status_code == 302 and added.headers["Location"].endswith(page)
    taken = form_post(f"{page}/points", {"points_amount": "-30", "points_reason": "Wrong order"}, page=page)
    assert taken.status_code == 302
    assert member_row(tenant_a, member).points == 320
    with tenant_scope(tenant_a):
        from core.identities import staff_member_for
        actor = f"staff:{staff_member_for(person.id).id}"
    assert ledger(tenant_a, member) == [(PointsKind.ORDER, 100, 100, "welcome", ""),
                                        (PointsKind.ADJUSTMENT, 250, 350, "Late delivery", actor),
                                        (PointsKind.ADJUSTMENT, -30, 320, "Wrong order", actor)]
    assert [(e.target, e.details) for e in audited(tenant_a, "member.points")] == [
        (f"consumer {member}", {"amount": 250, "reason": "Late delivery"}),
        (f"consumer {member}", {"amount": -30, "reason": "Wrong order"})]
    assert all(e.actor_email == person.email for e in audited(tenant_a, "member.points"))
    shown = client.get(page)
    words = text_of(shown)
    assert "Points adjusted: 320 available now." in words
    assert f"Adjusted by staff −30 320 Wrong order {person.email}" in words
    assert f"Adjusted by staff +250 350 Late delivery {person.email}" in words


def test_taking_more_points_than_the_member_has_is_refused_and_writes_nothing(client, enter, form_post, db_session,
                                                                             tenant_a, create_consumer):
    member = make_member(tenant_a, db_session, create_consumer, points=40)
    enter("manager")
    page = f"{PAGES}/members/{member}"
    refused = form_post(f"{page}/points", {"points_amount": "-50", "points_reason": "Too many"}, page=page)
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert field_errors(html)["points_amount"] == ["The member has 40 points available: take at most that many."]
    assert 'value="-50"' in html and 'value="Too many"' in html
    assert member_row(tenant_a, member).points == 40
    assert ledger(tenant_a, member) == [(PointsKind.ORDER, 40, 40, "welcome", "")]
    assert member_actions(tenant_a) == []


def test_a_bad_adjustment_names_each_field_and_writes_nothing(client, enter, form_post, db_session, tenant_a,
                                                              create_consumer):
    member = make_member(tenant_a, db_session, create_consumer, points=40, growth=10)
    enter("manager")
    page = f"{PAGES}/members/{member}"
    for amount in ("0", "lots", "", "1.5", "20000000"):
        refused = form_post(f"{page}/points", {"points_amount": amount, "points_reason": " "}, page=page)
        assert refused.status_code == 400, amount
        assert field_errors(refused.get_data(as_text=True)) == {
            "points_amount": ["A whole number, not 0, from -10,000,000 to 10,000,000: e.g. 100 to add, -50 to take "
                              "away."],
            "points_reason": ["Say why, in 1 to 200 characters."]}, amount
    growth = form_post(f"{page}/growth", {"growth_amount": "5", "growth_reason": ""}, page=page)
    assert growth.status_code == 400
    assert field_errors(growth.get_data(as_text=True)) == {"growth_reason": ["Say why, in 1 to 200 characters."]}
    assert (member_row(tenant_a, member).points, member_row(tenant_a, member).growth) == (40, 10)
    assert member_actions(tenant_a) == []


def test_a_manager_adjusts_growth_and_the_member_rises_a_tier(client, enter, form_post, db_session, tenant_a,
                                                              create_consumer):
    make_tier(tenant_a, db_session, "Silver", 0)
    gold = make_tier(tenant_a, db_session, "Gold", 500)
    member = make_member(tenant_a, db_session, create_consumer, growth=100)
    enter("owner")
    page = f"{PAGES}/members/{member}"
    done = form_post(f"{page}/growth", {"growth_amount": "450", "growth_reason": "Store opening gift"}, page=page)
    assert done.status_code == 302
    assert (member_row(tenant_a, member).growth, member_row(tenant_a, member).tier_id) == (550, gold)
    with tenant_scope(tenant_a):
        last = db.session.scalars(select(GrowthEntry).where(GrowthEntry.consumer_id == member)
                                  .order_by(GrowthEntry.id.desc())).first()
    assert (last.kind, last.amount, last.total_after, last.note, last.actor.startswith("staff:")) == (
        "adjustment", 450, 550, "Store opening gift", True)
    (entry,) = audited(tenant_a, "member.growth")
    assert entry.details == {"amount": 450, "reason": "Store opening gift"}
    words = text_of(client.get(page))
    assert "Growth adjusted: 550 now." in words and "None: this is the highest tier" in words


def test_the_points_ledger_pages_newest_first(client, enter, db_session, tenant_a, create_consumer):
    member = make_member(tenant_a, db_session, create_consumer)
    with tenant_scope(tenant_a):
        for n in range(1, 23):
            credit(member, n, PointsKind.SIGN_IN, note=f"day {n}")
        db_session.commit()
    enter("manager")
    page = client.get(f"{PAGES}/members/{member}").get_data(as_text=True)
    notes = re.findall(r'data-cell="note">day (\d+)<', page)
    assert notes == [str(n) for n in range(22, 2, -1)]
    older = re.search(r'href="([^"]*points_before=\d+)[^"]*"', page).group(1)
    rest = client.get(older).get_data(as_text=True)
    assert re.findall(r'data-cell="note">day (\d+)<', rest) == ["2", "1"]
