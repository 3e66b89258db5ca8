"""Custom domains: the owner adds a name, is shown the TXT record that proves it, and checks it
(the resolver injected: offline); once verified the storefront answers there, it becomes the
primary address, and a TLS proxy may get its certificate. Wrong names, another shop's name or
domain, too many for the plan, and staff who are not owners are refused; the sweeper verifies a
name whose record appears later, for a week."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.db import utcnow
from core.tenancy import Domain, Tenant
from tests.conftest import csrf_token_of

RECORDS: dict[str, list[str]] = {}


@pytest.fixture
def dns(app, monkeypatch):
    """The TXT records the world has, as the test sets them."""
    RECORDS.clear()
    monkeypatch.setitem(app.extensions, "tessera_txt_resolver", lambda name: list(RECORDS.get(name, [])))
    return RECORDS


def post(client, path: str, data: dict | None = None):
    token = csrf_token_of(client.get("/merchant/domains/").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **(data or {})})


def shown(client) -> str:
    return client.get("/merchant/domains/").get_data(as_text=True)


def platform_or_shop(client) -> str:
    """What the name shop.alpha.example shows a visitor (not signed in to the back office)."""
    return client.application.test_client().get("/", headers={"Host": "shop.alpha.example"}).get_data(as_text=True)


def the(db_session, host: str) -> Domain:
    db_session.expire_all()
    return db_session.scalar(select(Domain).where(Domain.host == host))


def test_an_owner_proves_a_domain_and_the_shop_answers_there(client, db_session, enter, dns, tenant_a):
    enter("owner")
    assert post(client, "/merchant/domains/", {"host": "https://Shop.Alpha.Example./path"}).status_code == 302
    domain = the(db_session, "shop.alpha.example")
    page = shown(client)
    assert "_tessera.shop.alpha.example" in page and f"tessera-verify={domain.token}" in page
    assert "Start your free trial" in platform_or_shop(client)  # not yet the shop's: the platform's front page

    post(client, f"/merchant/domains/{domain.id}/check")
    assert "No TXT record at _tessera.shop.alpha.example yet" in shown(client)
    dns["_tessera.shop.alpha.example"] = ["tessera-verify=someone-elses"]
    post(client, f"/merchant/domains/{domain.id}/check")
    assert "does not carry this shop" in shown(client) and the(db_session, domain.host).verified_at is None
    dns["_tessera.shop.alpha.example"] = ["v=spf1 -all", f"tessera-verify={domain.token}"]
    post(client, f"/merchant/domains/{domain.id}/check")
    domain = the(db_session, domain.host)
    assert domain.verified_at is not None and domain.is_primary
    assert 'data-state="verified"' in shown(client)
    assert "Start your free trial" not in platform_or_shop(client)  # the shop's storefront
    assert client.get("/.well-known/tessera/tls-allowed?domain=shop.alpha.example").status_code == 200
    assert client.get("/.well-known/tessera/tls-allowed?domain=other.example").status_code == 404

    post(client, "/merchant/domains/", {"host": "www.alpha.example"})
    second = the(db_session, "www.alpha.example")
    dns["_tessera.www.alpha.example"] = [f"tessera-verify={second.token}"]
    post(client, f"/merchant/domains/{second.id}/check")
    assert not the(db_session, "www.alpha.example").is_primary  # the first stays primary
    post(client, f"/merchant/domains/{second.id}/primary")
    assert the(db_session, "www.alpha.example").is_primary and not the(db_session, "shop.alpha.example").is_primary
    post(client, f"/merchant/domains/{domain.id}/remove")
    assert the(db_session, "shop.alpha.example") is None
    assert "Start your free trial" in platform_or_shop(client)
    assert [e.action for e in db_session.scalars(select(AuditEntry).where(AuditEntry.action.like("domain.%"))
                                                 .order_by(AuditEntry.at, AuditEntry.id))] == [
        "domain.add", "domain.verify", "domain.add", "domain.verify", "domain.primary", "domain.remove"]


@pytest.mark.parametrize("host, said", [
    ("shop", "such as shop.example.com"),
    ("1.2.3.4", "such as shop.example.com"),
    ("a..b.example", "such as shop.example.com"),
    ("-bad-.example", "such as shop.example.com"),
    ("x" * 64 + ".example", "such as shop.example.com"),
    ("alpha.localhost", "own address: enter yours"),
    ("taken.example", "already added to a shop"),
])
def test_names_that_cannot_be_the_shops_are_refused(client, db_session, enter, dns, tenant_b, host, said):
    db_session.add(Domain(host="taken.example", tenant_id=tenant_b.id))
    db_session.commit()
    enter("owner")
    refused = post(client, "/merchant/domains/", {"host": host})
    assert said in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert db_session.scalar(select(Domain.id).where(Domain.tenant_id != tenant_b.id)) is None


def test_a_plan_limits_the_domains_and_only_owners_manage_them(client, db_session, enter, dns, tenant_a, tenant_b):
    from tenants.plans import assign_plan, create_plan

    theirs = Domain(host="beta.example", tenant_id=tenant_b.id, token="t")
    db_session.add(theirs)
    one = create_plan(slug="one", name="One", price=0, limits={"domains": 1}, position=1)
    create_plan(slug="more", name="More", price=100, limits={}, position=2)
    assign_plan(db_session.get(Tenant, tenant_a.id), one)
    db_session.commit()
    enter("manager")
    assert client.get("/merchant/domains/").status_code == 403
    enter("owner")
    post(client, "/merchant/domains/", {"host": "one.example"})
    refused = post(client, "/merchant/domains/", {"host": "two.example"})
    assert "the One plan allows 1. The More plan allows more." in client.get(refused.headers["Location"]).get_data(
        as_text=True)
    assert the(db_session, "two.example") is None
    for action in ("check", "primary", "remove"):
        assert post(client, f"/merchant/domains/{theirs.id}/{action}").status_code == 404
    assert the(db_session, "beta.example") is not None
    assert post(client, f"/merchant/domains/{the(db_session, 'one.example').id}/fly").status_code == 404


def test_the_sweeper_verifies_a_record_that_appears_later_for_a_week(app, db_session, dns, tenant_a, tenant_b):
    from tenants.domains import check_pending

    fresh = Domain(host="fresh.example", tenant_id=tenant_a.id, token="fresh-token")
    stale = Domain(host="stale.example", tenant_id=tenant_b.id, token="stale-token",
                   created_at=utcnow() - dt.timedelta(days=8))
    db_session.add_all([fresh, stale])
    db_session.commit()
    dns.update({"_tessera.fresh.example": ["tessera-verify=fresh-token"],
                "_tessera.stale.example": ["tessera-verify=stale-token"]})
    with app.test_request_context():
        assert check_pending() == 1
    assert the(db_session, "fresh.example").verified_at is not None
    assert the(db_session, "stale.example").verified_at is None
