"""The provisioning API: a reseller's token opens, lists, reads, suspends and resumes the reseller's
shops, and nothing else — another reseller's shop and the platform's are 404, another reseller's
domain refuses the token. Creating a shop takes an Idempotency-Key; the quota holds when many
creates arrive at once. Bad input is a 4xx with a code, never a 500, and writes nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.resellers import Reseller, ResellerStatus
from core.tenancy import Tenant
from tenants.plans import create_plan
from tenants.resellers import create_reseller, create_token, set_wholesale
from tests.tenants.test_resellers import ACME, ZENITH

API = "/reseller/api/v1"
SHOP = {"slug": "api-shop", "name": "API Shop", "owner_email": "owner@api-shop.example",
        "owner_password": "password123", "template": "ecommerce"}


def make_reseller(slug: str, domain: str, quota: int) -> tuple[Reseller, str]:
    from core.identities import find_identity

    reseller = create_reseller(slug=slug, name=slug.title(), domain=domain, quota=quota,
                               owner_email=f"boss@{slug}.example", owner_password="password123")
    _token, secret = create_token(reseller, identity=find_identity(f"boss@{slug}.example"), name="site")
    return reseller, secret


@pytest.fixture
def resellers(db_session):
    """(acme, its token, zenith, its token); Acme sells Basic."""
    acme, acme_token = make_reseller("acme", ACME, 3)
    zenith, zenith_token = make_reseller("zenith", ZENITH, 3)
    set_wholesale(acme, create_plan(slug="basic", name="Basic", price=9900, limits={}), 4900, actor=None)
    db_session.commit()
    return acme, acme_token, zenith, zenith_token


def call(client, method: str, path: str, token: str | None, body=None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.open(API + path, method=method, json=body, headers=headers)


def test_callers_without_a_live_reseller_token_are_refused(client, db_session, resellers, tenant_a):
    acme, acme_token, _zenith, zenith_token = resellers
    assert call(client, "GET", "/me", None).json["error"]["code"] == "unauthenticated"
    for wrong in ("trt_1_2_x", acme_token[:-2] + "zz", "tst_1_2_secret", "garbage"):
        answer = call(client, "GET", "/tenants", wrong)
        assert answer.status_code == 401 and answer.json["error"]["code"] == "invalid_token", wrong
    me = call(client, "GET", "/me", acme_token)
    assert me.status_code == 200 and me.json["slug"] == "acme" and me.json["quota"] == 3
    on_zenith = client.get(API + "/me", headers={"Authorization": f"Bearer {acme_token}", "Host": ZENITH})
    assert on_zenith.status_code == 403
    db_session.get(Reseller, acme.id).status = ResellerStatus.SUSPENDED
    db_session.commit()
    assert call(client, "GET", "/me", acme_token).status_code == 401


def test_a_shop_is_created_once_per_idempotency_key(client, db_session, resellers):
    acme, acme_token, *_ = resellers
    first = call(client, "POST", "/tenants", acme_token, SHOP, **{"Idempotency-Key": "order-77"})
    assert first.status_code == 201, first.json
    assert first.headers["Location"] == f"{API}/tenants/{first.json['id']}"
    assert first.json["plan"] == "basic" and first.json["back_office"] == f"https://{ACME}/merchant/"
    again = call(client, "POST", "/tenants", acme_token, SHOP, **{"Idempotency-Key": "order-77"})
    assert again.status_code == 201 and again.json == first.json
    other = call(client, "POST", "/tenants", acme_token, {**SHOP, "slug": "else"}, **{"Idempotency-Key": "order-77"})
    assert other.status_code == 422 and other.json["error"]["code"] == "idempotency_key_reused"
    assert db_session.scalar(select(func.count()).select_from(Tenant).where(Tenant.reseller_id == acme.id)) == 1
    shop = db_session.get(Tenant, int(first.json["id"]))
    from core.tenancy import tenant_scope
    from engines.catalog.models import Item

    with tenant_scope(shop):
        assert db.session.scalar(select(func.count()).select_from(Item)) > 0  # the template's demo items
    assert db_session.scalar(select(AuditEntry.actor_email).where(
        AuditEntry.action == "reseller.tenant_create", AuditEntry.tenant_id == shop.id)) == "boss@acme.example"


@pytest.mark.parametrize("body, field", [
    ({**SHOP, "slug": "A B"}, "slug"), ({**SHOP, "slug": "admin"}, "slug"), ({**SHOP, "owner_email": "x"}, "email"),
    ({**SHOP, "plan": "pro"}, "plan"), ({**SHOP, "template": "nothing"}, "template"), ({**SHOP, "currency": "XX"}, "currency"),
    ({"name": "No slug"}, "slug"), ({**SHOP, "name": "x" * 500}, "name"), ({**SHOP, "owner_password": None}, "owner_password"),
])
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(client, db_session, resellers, body, field):
    acme, acme_token, *_ = resellers
    if field == "owner_password":
        body = {**body, "owner_email": "nobody-yet@example.com"}
    answer = call(client, "POST", "/tenants", acme_token, body)
    assert answer.status_code == 422 and field in answer.json["error"]["fields"], answer.json
    assert db_session.scalar(select(func.count()).select_from(Tenant).where(Tenant.reseller_id == acme.id)) == 0


def test_a_body_that_is_not_an_object_is_a_400(client, db_session, resellers):
    _acme, acme_token, *_ = resellers
    answer = client.post(API + "/tenants", data="[1,2", headers={"Authorization": f"Bearer {acme_token}",
                                                                 "Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json["error"]["code"] == "bad_request"


def test_a_reseller_reads_and_changes_only_its_own_shops(client, db_session, resellers, tenant_a):
    _acme, acme_token, _zenith, zenith_token = resellers
    made = call(client, "POST", "/tenants", acme_token, {**SHOP, "template": None}).json
    theirs = call(client, "POST", "/tenants", zenith_token, {**SHOP, "slug": "zenith-shop", "template": None,
                                                              "owner_email": "z@zenith-shop.example"}).json
    listed = call(client, "GET", "/tenants", acme_token).json
    assert [shop["slug"] for shop in listed["items"]] == ["api-shop"] and listed["next_cursor"] is None
    for shop_id in (theirs["id"], str(tenant_a.id), "12x", "99999999999999999999999"):
        for method, path, body in (("GET", "", None), ("POST", "/suspend", {"reason": "x"}), ("POST", "/resume", None)):
            answer = call(client, method, f"/tenants/{shop_id}{path}", acme_token, body)
            assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found", (shop_id, path)
    assert not db_session.get(Tenant, int(theirs["id"])).is_suspended
    assert call(client, "POST", f"/tenants/{made['id']}/suspend", acme_token, {}).status_code == 422
    suspended = call(client, "POST", f"/tenants/{made['id']}/suspend", acme_token, {"reason": "Unpaid"})
    assert suspended.status_code == 200 and suspended.json["suspended_by"] == "reseller"
    assert client.get("/s/api-shop/").status_code == 403
    resumed = call(client, "POST", f"/tenants/{made['id']}/resume", acme_token)
    assert resumed.status_code == 200 and resumed.json["status"] == "active"
    from tenants.services import suspend_tenant

    suspend_tenant(tenant=db_session.get(Tenant, int(made["id"])), reason="fraud")
    db_session.commit()
    assert call(client, "POST", f"/tenants/{made['id']}/resume", acme_token).status_code == 409


def test_paging_and_the_quota(client, db_session, resellers):
    _acme, acme_token, *_ = resellers
    for index in range(3):
        assert call(client, "POST", "/tenants", acme_token, {**SHOP, "slug": f"shop-{index}", "template": None,
                                                             "owner_email": f"o{index}@example.com"}).status_code == 201
    full = call(client, "POST", "/tenants", acme_token, {**SHOP, "slug": "shop-9", "template": None})
    assert full.status_code == 403 and full.json["error"]["code"] == "reseller_quota_reached"
    page = call(client, "GET", "/tenants?limit=2", acme_token).json
    rest = call(client, "GET", f"/tenants?limit=2&cursor={page['next_cursor']}", acme_token).json
    assert [s["slug"] for s in page["items"] + rest["items"]] == ["shop-2", "shop-1", "shop-0"]
    assert call(client, "GET", "/tenants?limit=500", acme_token).status_code == 422


def test_the_document_describes_every_operation_and_validates(app, client, db_session):
    from openapi_spec_validator import validate

    spec = client.get(API + "/openapi.json").json
    validate(spec)
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    routes = {(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith(API + "/")
              and rule.endpoint != "reseller_api.document" for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented and (f"{API}/tenants", "post") in documented
    assert "reseller_quota_reached" in str(spec["components"]["schemas"])


def test_eight_creates_at_once_stop_at_the_quota(live_server):
    from concurrent.futures import ThreadPoolExecutor

    from tests.conftest import http_json

    with live_server.app.app_context():
        _reseller, token = make_reseller("racer", "racer.example", 3)
        db.session.commit()

    def attempt(index: int) -> int:
        status, _body = http_json("POST", f"{live_server.url}{API}/tenants",
                                  {"slug": f"race-{index}", "name": f"Race {index}", "owner_email": f"r{index}@example.com",
                                   "owner_password": "password123"}, {"Authorization": f"Bearer {token}"})
        return status

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = sorted(pool.map(attempt, range(8)))
    assert answers == [201] * 3 + [403] * 5
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tenant).where(Tenant.slug.like("race-%"))) == 3
