"""Segments and tags through the Admin API: filters saved, checked and applied (tiers, growth,
points, spend, last order, tags), a coupon sent to a segment in batches, what a member spent
(paid orders less refunds), and isolation from other shops."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db import db, utcnow
from core.tenancy import tenant_scope
from engines.marketing.models import ConsumerCoupon
from engines.marketing.services import CouponRules, create_coupon
from engines.membership.ledger import credit, member_of
from engines.membership.models import MemberSegment, PointsKind
from engines.membership.tiers import add_growth, create_tier
from tests.admin_api import staff_token
from tests.engines.marketing.test_journey import _refund
from tests.engines.membership.test_points import placed
from tests.engines.orders.test_orders import pay

API = "/admin/api/v1"


@pytest.fixture
def owner(db_session, tenant_a):
    return staff_token(db_session, tenant_a)


def people(tenant, create_consumer, db_session, count: int) -> list[int]:
    ids = [create_consumer(tenant).id for _ in range(count)]
    return ids


def members_of(client, owner, segment_id: str) -> list[str]:
    answer = client.get(f"{API}/segments/{segment_id}/members", headers=owner.headers)
    assert answer.status_code == 200, answer.json
    return sorted(m["consumer_id"] for m in answer.json["members"])


def test_a_segment_keeps_the_members_its_filters_say(client, owner, tenant_a, create_consumer, db_session):
    rich, tagged, dormant, newcomer = people(tenant_a, create_consumer, db_session, 4)
    now = utcnow()
    with tenant_scope(tenant_a):
        gold = create_tier(name="Gold", threshold=100)
        add_growth(rich, 150, "adjustment")
        credit(rich, 500, PointsKind.ADJUSTMENT)
        member_of(rich).last_order_at = now - dt.timedelta(days=3)
        member_of(dormant).last_order_at = now - dt.timedelta(days=90)
        member_of(newcomer)
        db_session.commit()
        gold_id = gold.id
    tags = client.put(f"{API}/members/{tagged}/tags", json={"tags": [" vip ", "tea lover", "vip"]},
                      headers=owner.headers)
    assert tags.status_code == 200 and tags.json["member"]["tags"] == ["vip", "tea lover"]

    def segment(name, **filters) -> str:
        made = client.post(f"{API}/segments", json={"name": name, "filters": filters}, headers=owner.headers)
        assert made.status_code == 201, made.json
        return made.json["segment"]["id"]

    assert members_of(client, owner, segment("Gold", tier_ids=[str(gold_id)])) == [str(rich)]
    assert members_of(client, owner, segment("Points", points_at_least=100)) == [str(rich)]
    assert members_of(client, owner, segment("Recent", ordered_within_days=30)) == [str(rich)]
    assert members_of(client, owner, segment("Asleep", not_ordered_for_days=60)) == sorted(
        [str(tagged), str(dormant), str(newcomer)])
    assert members_of(client, owner, segment("VIP", tags=["vip"])) == [str(tagged)]
    assert members_of(client, owner, segment("Nobody", tags=["vi"])) == []  # whole tags only
    listed = client.get(f"{API}/segments", headers=owner.headers).json["segments"]
    assert [s["name"] for s in listed] == ["Asleep", "Gold", "Nobody", "Points", "Recent", "VIP"]


@pytest.mark.parametrize("filters, field", [
    ({"growth_at_least": -1}, "growth_at_least"), ({"tier_ids": ["12345"]}, "tier_ids"),
    ({"tags": ["a,b"]}, "tags"), ({"points_at_least": "5"}, "points_at_least")])
def test_a_bad_filter_is_named_and_nothing_saved(client, owner, tenant_a, filters, field):
    answer = client.post(f"{API}/segments", json={"name": "Bad", "filters": filters}, headers=owner.headers)
    fields = answer.json["error"]["fields"]
    assert answer.status_code == 422 and field in {**fields, **fields.get("filters", {})}, answer.json
    with tenant_scope(tenant_a):
        assert db.session.scalars(select(MemberSegment)).all() == []


def test_a_coupon_goes_to_everyone_in_a_segment_in_batches(client, owner, tenant_a, create_consumer, db_session,
                                                            monkeypatch):
    import engines.membership.segments as segments

    monkeypatch.setattr(segments, "MAX_SEND", 2)
    ids = people(tenant_a, create_consumer, db_session, 3)
    with tenant_scope(tenant_a):
        for consumer_id in ids:
            credit(consumer_id, 10, PointsKind.ADJUSTMENT)
        coupon = create_coupon(CouponRules(name="For you", kind="amount", amount=300, valid_days=7, public=False))
        db_session.commit()
        coupon_id = coupon.id
    segment = client.post(f"{API}/segments", json={"name": "Everyone", "filters": {"points_at_least": 1}},
                          headers=owner.headers).json["segment"]["id"]
    first = client.post(f"{API}/segments/{segment}/send-coupon", json={"coupon_id": str(coupon_id)},
                        headers=owner.headers)
    assert first.status_code == 200 and first.json["sent"] == 2 and first.json["next_cursor"], first.json
    second = client.post(f"{API}/segments/{segment}/send-coupon",
                         json={"coupon_id": str(coupon_id), "cursor": first.json["next_cursor"]}, headers=owner.headers)
    assert second.json["sent"] == 1 and second.json["next_cursor"] is None
    with tenant_scope(tenant_a):
        holders = sorted(db.session.scalars(select(ConsumerCoupon.consumer_id)))
    assert holders == sorted(ids)
    again = client.post(f"{API}/segments/{segment}/send-coupon", json={"coupon_id": str(coupon_id)},
                        headers=owner.headers).json
    assert again["sent"] == 0 and {r["code"] for r in again["refused"]} == {"coupon_limit_reached"}


def test_what_a_member_spent_counts_paid_orders_less_refunds(client, shop, db_session):
    order = placed(client, shop)
    pay(client, shop, order)
    with tenant_scope(shop["tenant"]):
        assert member_of(shop["consumer"].id).spent == 3300
    cake = next(line for line in order["lines"] if line["name"] == "Cake")
    _refund(client, shop, order, (cake["id"], 1))
    with tenant_scope(shop["tenant"]):
        assert member_of(shop["consumer"].id).spent == 2500


def test_another_shops_segment_and_member_are_not_found(client, owner, tenant_b, create_consumer, db_session):
    stranger = create_consumer(tenant_b).id
    with tenant_scope(tenant_b):
        theirs = MemberSegment(name="Theirs", filters={})
        db.session.add(theirs)
        db_session.commit()
        theirs_id = theirs.id
    assert client.get(f"{API}/segments/{theirs_id}/members", headers=owner.headers).status_code == 404
    assert client.delete(f"{API}/segments/{theirs_id}", headers=owner.headers).status_code == 404
    assert client.put(f"{API}/members/{stranger}/tags", json={"tags": ["x"]}, headers=owner.headers).status_code == 404
