"""Segments and tags in the members pages: the list's filters (through the segments service, so
the list and segments keep the same members), a bad filter named and nothing written, the filters
saved as a segment, applied and deleted (audited), a coupon sent to a segment in batches, a
member's tags set and shown (a bad one refused), clerks refused, another shop's segment not found."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.tenancy import tenant_scope
from engines.marketing.models import ConsumerCoupon
from engines.marketing.services import CouponRules, create_coupon
from engines.membership.ledger import member_of
from engines.membership.models import MemberSegment
from engines.membership.segments import set_tags
from tests.engines.marketing.admin_pages import audit_actions, text_of
from tests.engines.membership.test_membership_admin import PAGES, listed, make_member, member_row

MEMBERS = f"{PAGES}/members"


@pytest.fixture
def enter(client, create_staff, sign_in, tenant_a):
    def as_role(role):
        person = create_staff(tenant_a, role)
        sign_in("merchant", person.email)
        client.get("/merchant/shops")
        return person

    return as_role


def segments_of(tenant) -> list[tuple[str, dict]]:
    with tenant_scope(tenant):
        return [(s.name, s.filters) for s in db.session.scalars(select(MemberSegment).order_by(MemberSegment.id)
                                                                .execution_options(populate_existing=True))]


def segment_id(tenant, name: str) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(select(MemberSegment.id).where(MemberSegment.name == name))


@pytest.fixture
def crowd(tenant_a, db_session, create_consumer):
    """A rich tagged member who ordered lately, a sleeper, and a newcomer."""
    rich = make_member(tenant_a, db_session, create_consumer, name="Rich", points=500)
    sleeper = make_member(tenant_a, db_session, create_consumer, name="Sleeper", points=20)
    newcomer = make_member(tenant_a, db_session, create_consumer, name="Newcomer")
    with tenant_scope(tenant_a):
        member_of(rich).spent = 12_000
        member_of(rich).last_order_at = utcnow() - dt.timedelta(days=3)
        member_of(sleeper).last_order_at = utcnow() - dt.timedelta(days=90)
        set_tags(rich, ["vip", "tea"])
        db_session.commit()
    return {"rich": str(rich), "sleeper": str(sleeper), "newcomer": str(newcomer)}


def test_the_list_filters_as_segments_do_and_shows_tags(client, enter, crowd):
    enter("manager")
    everyone = client.get(MEMBERS)
    assert sorted(listed(everyone.get_data(as_text=True))) == sorted(crowd.values())
    assert re.search(r"Rich [^—]*— vip tea 0 500", text_of(everyone))
    for args, kept in (({"points_at_least": "100"}, ["rich"]), ({"spent_at_least": "120.00"}, ["rich"]),
                       ({"spent_at_least": "120.01"}, []), ({"ordered_within_days": "30"}, ["rich"]),
                       ({"not_ordered_for_days": "60"}, ["newcomer", "sleeper"]), ({"tag": "vip"}, ["rich"]),
                       ({"tag": "vi"}, []), ({"points_at_least": "10", "not_ordered_for_days": "60"}, ["sleeper"])):
        page = client.get(MEMBERS, query_string=args)
        assert page.status_code == 200, args
        assert sorted(listed(page.get_data(as_text=True))) == sorted(crowd[k] for k in kept), args


def test_a_bad_filter_is_a_form_message_and_nothing_is_written(client, enter, form_post, crowd, tenant_a):
    enter("manager")
    for args, message in (({"points_at_least": "lots"}, "A whole number, e.g. 100."),
                          ({"spent_at_least": "1.234"}, "decimal places"),
                          ({"tag": "x" * 21}, "Each tag 1 to 20 characters")):
        page = client.get(MEMBERS, query_string=args)
        assert page.status_code == 400 and message in text_of(page) and listed(page.get_data(as_text=True)) == []
        saved = form_post(f"{MEMBERS}/segments", {"segment_name": "Bad", **args}, page=MEMBERS)
        assert saved.status_code == 400 and message in text_of(saved), args
    nameless = form_post(f"{MEMBERS}/segments", {"segment_name": " ", "tag": "vip"}, page=MEMBERS)
    assert nameless.status_code == 400 and "A name of 1 to 60 characters." in text_of(nameless)
    assert segments_of(tenant_a) == [] and audit_actions(tenant_a, "segment") == []


def test_a_segment_is_saved_applied_and_deleted_audited(client, enter, form_post, crowd, tenant_a):
    enter("manager")
    saved = form_post(f"{MEMBERS}/segments", {"segment_name": "Big spenders", "spent_at_least": "100",
                                              "tag": "vip"}, page=MEMBERS)
    assert saved.status_code == 302
    assert segments_of(tenant_a) == [("Big spenders", {"spent_at_least": 10_000, "tags": ["vip"]})]
    made = segment_id(tenant_a, "Big spenders")
    assert saved.headers["Location"].endswith(f"{MEMBERS}?segment={made}")
    applied = client.get(saved.headers["Location"])
    assert listed(applied.get_data(as_text=True)) == [crowd["rich"]]
    assert "Segment Big spenders" in text_of(applied) and 'value="100.00"' in applied.get_data(as_text=True)
    assert re.search(rf'data-segment="{made}"', client.get(MEMBERS).get_data(as_text=True))
    deleted = form_post(f"{PAGES}/segments/{made}/delete", {}, page=MEMBERS)
    assert deleted.status_code == 302 and segments_of(tenant_a) == []
    assert audit_actions(tenant_a, "segment") == ["segment.create", "segment.delete"]
    assert client.get(MEMBERS, query_string={"segment": made}).status_code == 404


def test_a_coupon_goes_to_a_segment_in_batches(client, enter, form_post, crowd, tenant_a, db_session, monkeypatch):
    import engines.membership.segments as segments

    monkeypatch.setattr(segments, "MAX_SEND", 1)
    with tenant_scope(tenant_a):
        coupon = create_coupon(CouponRules(name="Welcome back", kind="amount", amount=300, valid_days=7,
                                           public=False))
        segment = MemberSegment(name="Has points", filters={"points_at_least": 1})
        db.session.add(segment)
        db_session.commit()
        coupon_id, made = coupon.id, segment.id
    enter("manager")
    page = client.get(MEMBERS, query_string={"segment": made}).get_data(as_text=True)
    assert "Send a coupon to this segment" in page and "Welcome back" in page
    send = f"{PAGES}/segments/{made}/send-coupon"
    first = form_post(send, {"coupon_id": str(coupon_id)}, page=MEMBERS)
    assert first.status_code == 302 and f"coupon={coupon_id}" in first.headers["Location"]
    after = re.search(r"after=(\d+)", first.headers["Location"]).group(1)
    shown = client.get(first.headers["Location"])
    words = text_of(shown)
    assert "Sent to 1, 0 refused." in words and "Send to the next batch" in words
    assert f'name="cursor" value="{after}"' in shown.get_data(as_text=True)
    second = form_post(send, {"coupon_id": str(coupon_id), "cursor": after}, page=MEMBERS)
    assert second.status_code == 302 and "after=" not in second.headers["Location"]
    assert "Send to the next batch" not in text_of(client.get(second.headers["Location"]))
    with tenant_scope(tenant_a):
        holders = sorted(str(c) for c in db.session.scalars(select(ConsumerCoupon.consumer_id)))
    assert holders == sorted([crowd["rich"], crowd["sleeper"]])
    again = form_post(send, {"coupon_id": str(coupon_id)}, page=MEMBERS)
    assert "Sent to 0, 1 refused (already holds as many as one customer may: 1)." in text_of(client.get(
        again.headers["Location"]))
    assert audit_actions(tenant_a, "segment") == ["segment.send_coupon"] * 3
    nothing = form_post(send, {"coupon_id": "999999"}, page=MEMBERS)
    assert nothing.status_code == 400 and "There is no such coupon." in text_of(nothing)
    assert audit_actions(tenant_a, "segment") == ["segment.send_coupon"] * 3


def test_a_members_tags_are_set_shown_and_a_bad_one_refused(client, enter, form_post, crowd, tenant_a):
    enter("manager")
    page = f"{MEMBERS}/{crowd['newcomer']}"
    done = form_post(f"{page}/tags", {"tags": " tea lover, vip,vip ,"}, page=page)
    assert done.status_code == 302 and member_row(tenant_a, int(crowd["newcomer"])).tags == "tea lover,vip"
    shown = text_of(client.get(page))
    assert "Tags saved." in shown and "Tags tea lover vip" in shown
    assert sorted(listed(client.get(MEMBERS, query_string={"tag": "tea lover"}).get_data(as_text=True))) == [
        crowd["newcomer"]]
    bad = form_post(f"{page}/tags", {"tags": "x" * 21}, page=page)
    assert bad.status_code == 400 and "Each tag 1 to 20 characters" in text_of(bad)
    many = form_post(f"{page}/tags", {"tags": ",".join(str(n) for n in range(11))}, page=page)
    assert many.status_code == 400 and "Up to 10 tags." in text_of(many)
    assert member_row(tenant_a, int(crowd["newcomer"])).tags == "tea lover,vip"
    assert audit_actions(tenant_a, "member") == ["member.tags"]


def test_clerks_are_refused_and_another_shops_segment_is_not_found(client, enter, form_post, crowd, tenant_a,
                                                                   tenant_b, db_session, create_consumer):
    with tenant_scope(tenant_b):
        theirs = MemberSegment(name="Theirs", filters={})
        db.session.add(theirs)
        db_session.commit()
        theirs_id = theirs.id
    stranger = make_member(tenant_b, db_session, create_consumer)
    with tenant_scope(tenant_a):
        mine = MemberSegment(name="Mine", filters={})
        db.session.add(mine)
        db_session.commit()
        mine_id = mine.id
    enter("owner")
    assert client.get(MEMBERS, query_string={"segment": theirs_id}).status_code == 404
    for path, data in ((f"/segments/{theirs_id}/delete", {}), (f"/segments/{theirs_id}/send-coupon",
                                                                {"coupon_id": "1"}),
                       (f"/members/{stranger}/tags", {"tags": "mine"})):
        assert form_post(PAGES + path, data, page=MEMBERS).status_code == 404, path
    assert segments_of(tenant_b) == [("Theirs", {})]
    client.post("/merchant/logout")
    enter("clerk")
    assert client.get(MEMBERS, query_string={"tag": "vip"}).status_code == 403
    for path, data in (("/members/segments", {"segment_name": "X"}), (f"/segments/{mine_id}/delete", {}),
                       (f"/segments/{mine_id}/send-coupon", {"coupon_id": "1"}),
                       (f"/members/{crowd['rich']}/tags", {"tags": "x"})):
        assert form_post(PAGES + path, data, page="/merchant/").status_code == 403, path
    assert segments_of(tenant_a) == [("Mine", {})]
    assert audit_actions(tenant_a, "segment") == audit_actions(tenant_a, "member") == []
