"""Membership in the Admin API: tiers made, changed and removed; members listed and read; points
and growth adjusted with a reason — refused without membership.manage, blind to other shops'
members, audited, each bad field named, nothing written by a refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.membership.models import Member, MemberTier, PointsEntry
from tests.admin_api import staff_token

API = "/admin/api/v1"


@pytest.fixture
def owner(db_session, tenant_a):
    return staff_token(db_session, tenant_a, email="olga@staff.example.com")


def audits(tenant, action: str) -> list[dict]:
    with tenant_scope(tenant):
        return [entry.details for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.at, AuditEntry.id))]


def test_tiers_are_made_listed_changed_and_removed(client, owner, tenant_a):
    made = client.post(f"{API}/member-tiers", json={"name": "Gold", "threshold": 1000, "discount_bp": 500,
                                                    "free_shipping": True}, headers=owner.headers)
    assert made.status_code == 201, made.json
    tier = made.json["tier"]
    assert (tier["name"], tier["threshold"], tier["discount_bp"], tier["free_shipping"],
            tier["points_multiplier_bp"]) == ("Gold", 1000, 500, True, 10_000)
    client.post(f"{API}/member-tiers", json={"name": "Silver", "threshold": 100}, headers=owner.headers)
    listed = client.get(f"{API}/member-tiers", headers=owner.headers).json["tiers"]
    assert [t["name"] for t in listed] == ["Silver", "Gold"]
    changed = client.patch(f"{API}/member-tiers/{tier['id']}", json={"discount_bp": 800}, headers=owner.headers)
    assert changed.status_code == 200 and changed.json["tier"]["discount_bp"] == 800
    # the storefront sees the change at once
    public = client.get("/api/v1/member-tiers", headers={"X-Tenant": tenant_a.slug}).json["tiers"]
    assert [(t["name"], t["discount_bp"]) for t in public] == [("Silver", 0), ("Gold", 800)]
    assert client.delete(f"{API}/member-tiers/{tier['id']}", headers=owner.headers).status_code == 204
    assert [t["name"] for t in client.get(f"{API}/member-tiers", headers=owner.headers).json["tiers"]] == ["Silver"]
    assert [a["name"] for a in audits(tenant_a, "member_tier.create")] == ["Gold", "Silver"]
    assert len(audits(tenant_a, "member_tier.update")) == 1 and len(audits(tenant_a, "member_tier.delete")) == 1


@pytest.mark.parametrize("body, field", [
    ({"name": "", "threshold": 1}, "name"),
    ({"name": "Gold", "threshold": -1}, "threshold"),
    ({"name": "Gold", "threshold": "10"}, "threshold"),
    ({"name": "Gold", "threshold": 10, "discount_bp": 9500}, "discount_bp"),
    ({"name": "Gold", "threshold": 10, "points_multiplier_bp": -5}, "points_multiplier_bp"),
])
def test_a_bad_tier_names_its_field_and_writes_nothing(client, owner, tenant_a, body, field):
    answer = client.post(f"{API}/member-tiers", json=body, headers=owner.headers)
    assert answer.status_code == 422 and field in answer.json["error"]["fields"], answer.json
    with tenant_scope(tenant_a):
        assert db.session.scalar(select(func.count()).select_from(MemberTier)) == 0


def test_two_tiers_cannot_start_at_the_same_growth(client, owner):
    client.post(f"{API}/member-tiers", json={"name": "Gold", "threshold": 100}, headers=owner.headers)
    again = client.post(f"{API}/member-tiers", json={"name": "Other", "threshold": 100}, headers=owner.headers)
    assert again.status_code == 422 and again.json["error"]["fields"]["threshold"] == [
        "Another tier starts at this growth."]


def test_points_and_growth_adjusted_with_a_reason(client, owner, tenant_a, create_consumer):
    consumer = create_consumer(tenant_a).id
    client.post(f"{API}/member-tiers", json={"name": "Gold", "threshold": 50}, headers=owner.headers)
    added = client.post(f"{API}/members/{consumer}/points", json={"amount": 300, "reason": "Apology for delay"},
                        headers=owner.headers)
    assert added.status_code == 201 and added.json["member"]["points"] == 300
    taken = client.post(f"{API}/members/{consumer}/points", json={"amount": -100, "reason": "Double credit"},
                        headers=owner.headers)
    assert taken.json["member"]["points"] == 200
    grown = client.post(f"{API}/members/{consumer}/growth", json={"amount": 60, "reason": "Event"},
                        headers=owner.headers)
    assert grown.json["member"]["growth"] == 60 and grown.json["member"]["tier"] == "Gold"
    ledger = client.get(f"{API}/members/{consumer}/points", headers=owner.headers).json["entries"]
    assert [(e["kind"], e["amount"], e["balance_after"], e["note"]) for e in ledger] == [
        ("adjustment", -100, 200, "Double credit"), ("adjustment", 300, 300, "Apology for delay")]
    assert [(a["amount"], a["reason"]) for a in audits(tenant_a, "member.points")] == [
        (300, "Apology for delay"), (-100, "Double credit")]
    members = client.get(f"{API}/members", headers=owner.headers).json["members"]
    assert [(m["consumer_id"], m["points"], m["tier"]) for m in members] == [(str(consumer), 200, "Gold")]
    gold = client.get(f"{API}/member-tiers", headers=owner.headers).json["tiers"][0]["id"]
    assert len(client.get(f"{API}/members?tier_id={gold}", headers=owner.headers).json["members"]) == 1
    assert client.get(f"{API}/members?tier_id=1", headers=owner.headers).json["members"] == []


def test_taking_more_points_than_the_member_has_writes_nothing(client, owner, tenant_a, create_consumer):
    consumer = create_consumer(tenant_a).id
    client.post(f"{API}/members/{consumer}/points", json={"amount": 50, "reason": "Gift"}, headers=owner.headers)
    refused = client.post(f"{API}/members/{consumer}/points", json={"amount": -51, "reason": "Oops"},
                          headers=owner.headers)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "points_insufficient"
    with tenant_scope(tenant_a):
        assert db.session.scalar(select(func.count()).select_from(PointsEntry)) == 1
        assert db.session.scalars(select(Member)).one().points == 50
    assert len(audits(tenant_a, "member.points")) == 1


@pytest.mark.parametrize("body, field", [({"amount": 0, "reason": "x"}, "amount"), ({"amount": 5, "reason": " "}, "reason"),
                                         ({"amount": 10**9, "reason": "x"}, "amount"), ({"amount": 5}, "reason")])
def test_a_bad_adjustment_names_its_field(client, owner, tenant_a, create_consumer, body, field):
    consumer = create_consumer(tenant_a).id
    answer = client.post(f"{API}/members/{consumer}/points", json=body, headers=owner.headers)
    assert answer.status_code == 422 and field in answer.json["error"]["fields"], answer.json


def test_another_shops_member_is_not_found(client, owner, tenant_b, create_consumer):
    stranger = create_consumer(tenant_b).id
    for method, path, body in [("get", f"/members/{stranger}", None), ("get", f"/members/{stranger}/points", None),
                               ("post", f"/members/{stranger}/points", {"amount": 5, "reason": "x"}),
                               ("post", f"/members/{stranger}/growth", {"amount": 5, "reason": "x"})]:
        answer = getattr(client, method)(f"{API}{path}", json=body, headers=owner.headers)
        assert answer.status_code == 404, (path, answer.json)
    with tenant_scope(tenant_b):
        assert db.session.scalar(select(func.count()).select_from(Member)) == 0


def test_a_token_without_membership_manage_is_refused(client, db_session, tenant_a, create_consumer):
    clerk = staff_token(db_session, tenant_a, role="clerk")
    consumer = create_consumer(tenant_a).id
    answer = client.post(f"{API}/members/{consumer}/points", json={"amount": 5, "reason": "x"}, headers=clerk.headers)
    assert answer.status_code == 403
    assert client.get(f"{API}/member-tiers", headers=clerk.headers).status_code == 403
