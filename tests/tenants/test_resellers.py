"""Resellers: the platform makes one (console, CLI) and prices the plans it may sell; its team
signs in at its own domain only, opens shops within its quota, suspends and resumes them, sets its
retail prices, brand, team and API tokens, and sees what its shops bring in and what it owes —
never another reseller's shop nor the platform's. Merchants of its shops see its brand, never the
platform's; merchants signing up at its domain open one of its shops. Every write is audited."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.identities import Identity
from core.plans import Plan
from core.resellers import Reseller, ResellerRole
from core.tenancy import Tenant, TenantStatus
from tenants.billing import Subscription
from tenants.plans import create_plan
from tenants.resellers import create_reseller, set_wholesale
from tests.conftest import csrf_token_of

ACME = "shops.acme.example"
ZENITH = "zenith.example"


@pytest.fixture
def acme(db_session):
    """A reseller with a quota of 3, selling the Basic plan (¥49 wholesale, ¥99 retail)."""
    reseller = create_reseller(slug="acme", name="Acme Shops", domain=ACME, quota=3,
                               owner_email="boss@acme.example", owner_password="password123")
    basic = create_plan(slug="basic", name="Basic", price=12900, limits={"items": 100})
    set_wholesale(reseller, basic, 4900, actor=None).retail = 9900
    db_session.commit()
    return reseller


@pytest.fixture
def zenith(db_session):
    reseller = create_reseller(slug="zenith", name="Zenith Stores", domain=ZENITH, quota=5,
                               owner_email="boss@zenith.example", owner_password="password123")
    db_session.commit()
    return reseller


def on(app, host: str):
    """A browser on `host`."""
    return app.test_client(), f"http://{host}"


def post(client, base: str, path: str, data: dict, page: str | None = None, **kwargs):
    token = csrf_token_of(client.get(base + (page or path)).get_data(as_text=True))
    return client.post(base + path, data={"csrf_token": token, **data}, **kwargs)


def sign_in(client, base: str, email: str = "boss@acme.example", area: str = "reseller"):
    answer = post(client, base, f"/{area}/login", {"email": email, "password": "password123"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[-500:]


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def open_shop(client, base: str, slug: str, **changes):
    return post(client, base, "/reseller/shops/new", {"name": slug.title(), "slug": slug,
                                                      "owner_email": f"owner@{slug}.example",
                                                      "owner_password": "password123", "plan": "basic",
                                                      "template": "", "currency": "CNY",
                                                      "timezone": "Asia/Shanghai", **changes})


def test_the_console_is_only_on_the_resellers_domain_and_only_for_its_team(app, db_session, acme, zenith):
    client, base = on(app, ACME)
    assert client.get(base + "/reseller/").status_code == 302
    assert app.test_client().get("/reseller/login").status_code == 404  # the platform's host has none
    answer = post(client, base, "/reseller/login", {"email": "boss@zenith.example", "password": "password123"})
    assert answer.status_code == 400 and "not on this team" in text(answer)  # another reseller's owner
    sign_in(client, base)
    page = client.get(base + "/reseller/")
    assert page.status_code == 200 and "Acme Shops Partner console" in text(page) and "0 / 3" in text(page)
    assert "Tessera" not in page.get_data(as_text=True)
    tls = app.test_client()  # the TLS proxy may ask a certificate for the reseller's domain, not for any name
    assert tls.get(f"/.well-known/tessera/tls-allowed?domain={ACME}").status_code == 200
    assert tls.get("/.well-known/tessera/tls-allowed?domain=shops.unknown.example").status_code == 404
    # another reseller's domain does not know the session (its cookie is this domain's): sign in there
    assert client.get(f"http://{ZENITH}/reseller/").headers["Location"].startswith("/reseller/login")


def test_a_reseller_opens_shops_within_its_quota_and_sees_only_its_own(app, db_session, acme, zenith, tenant_a):
    client, base = on(app, ACME)
    sign_in(client, base)
    for slug in ("one-shop", "two-shop", "three-shop"):
        assert open_shop(client, base, slug).status_code == 302
    shop = db_session.scalar(select(Tenant).where(Tenant.slug == "one-shop"))
    assert shop.reseller_id == acme.id and db_session.get(Plan, shop.plan_id).slug == "basic"
    assert db_session.scalar(select(Subscription).where(Subscription.tenant_id == shop.id)) is None  # billed by Acme
    full = open_shop(client, base, "four-shop")
    assert full.status_code == 400 and "You have 3 shops of the 3 your account allows" in text(full)
    assert db_session.scalar(select(Tenant).where(Tenant.slug == "four-shop")) is None
    listed = text(client.get(base + "/reseller/"))
    assert "3 / 3" in listed and "One-Shop" in listed and "Alpha Shop" not in listed
    assert "¥297.00" in listed and "You owe the platform ¥147.00 a month" in listed
    # another reseller's shop and the platform's are nothing here
    zenith_client, zenith_base = on(app, ZENITH)
    sign_in(zenith_client, zenith_base, "boss@zenith.example")
    assert zenith_client.get(f"{zenith_base}/reseller/shops/{shop.id}").status_code == 404
    assert client.get(f"{base}/reseller/shops/{tenant_a.id}").status_code == 404
    refused = post(zenith_client, zenith_base, f"/reseller/shops/{shop.id}/suspend", {"reason": "x"},
                   page="/reseller/")
    assert refused.status_code == 404 and not db_session.get(Tenant, shop.id).is_suspended
    actions = set(db_session.scalars(select(AuditEntry.action).where(AuditEntry.reseller_id == acme.id)))
    assert {"reseller.create", "reseller.tenant_create", "tenant.plan"} <= actions


def test_a_reseller_suspends_and_resumes_its_shop_but_not_one_the_platform_closed(app, db_session, acme):
    from tenants.services import suspend_tenant

    client, base = on(app, ACME)
    sign_in(client, base)
    open_shop(client, base, "tea-corner")
    shop = db_session.scalar(select(Tenant).where(Tenant.slug == "tea-corner"))
    page = f"/reseller/shops/{shop.id}"
    assert post(client, base, f"{page}/suspend", {"reason": ""}, page=page).status_code == 302
    assert not db_session.get(Tenant, shop.id).is_suspended  # a reason is needed
    post(client, base, f"{page}/suspend", {"reason": "Unpaid invoice"}, page=page)
    db_session.expire_all()
    assert db_session.get(Tenant, shop.id).suspended_by == "reseller"
    assert app.test_client().get("/s/tea-corner/").status_code == 403
    post(client, base, f"{page}/resume", {}, page=page)
    db_session.expire_all()
    assert db_session.get(Tenant, shop.id).status == TenantStatus.ACTIVE
    suspend_tenant(tenant=db_session.get(Tenant, shop.id), reason="fraud")
    db_session.commit()
    answer = post(client, base, f"{page}/resume", {}, page=page, follow_redirects=True)
    assert "The platform closed this shop" in text(answer) and db_session.get(Tenant, shop.id).is_suspended
    rows = db_session.execute(select(AuditEntry.action, AuditEntry.actor_email).where(
        AuditEntry.tenant_id == shop.id, AuditEntry.action.in_(("tenant.suspend", "tenant.resume")))).all()
    assert ("tenant.suspend", "boss@acme.example") in rows and ("tenant.resume", "boss@acme.example") in rows


def test_staff_run_shops_and_only_owners_set_prices_brand_team_and_tokens(app, db_session, acme, create_identity):
    client, base = on(app, ACME)
    sign_in(client, base)
    answer = post(client, base, "/reseller/team", {"email": "clerk@acme.example", "password": "password123",
                                                   "role": "staff"})
    assert answer.status_code == 302
    clerk, clerk_base = on(app, ACME)
    sign_in(clerk, clerk_base, "clerk@acme.example")
    assert clerk.get(clerk_base + "/reseller/").status_code == 200
    for path in ("/reseller/prices", "/reseller/brand", "/reseller/team", "/reseller/tokens"):
        assert clerk.get(clerk_base + path).status_code == 403, path
    nav = clerk.get(clerk_base + "/reseller/").get_data(as_text=True)
    assert "/reseller/tokens" not in nav

    assert post(client, base, "/reseller/prices", {f"retail-{_basic(db_session).id}": "89.50"}).status_code == 302
    assert "89.50" in client.get(base + "/reseller/prices").get_data(as_text=True)
    bad = post(client, base, "/reseller/prices", {f"retail-{_basic(db_session).id}": "lots"})
    assert bad.status_code == 400 and "Enter an amount such as 99.00." in text(bad)


def _basic(db_session) -> Plan:
    return db_session.scalar(select(Plan).where(Plan.slug == "basic"))


def _png(colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 20), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_brand_is_checked_and_its_merchants_see_it_never_the_platforms(app, db_session, acme, create_identity):
    client, base = on(app, ACME)
    sign_in(client, base)
    bad = post(client, base, "/reseller/brand", {"name": "Acme", "colour": "red;}body{x", "support_email": ""})
    assert bad.status_code == 400 and "A colour reads #rrggbb" in text(bad)
    not_image = post(client, base, "/reseller/brand", {"name": "Acme", "colour": "#0054a6", "support_email": "",
                                                       "logo": (io.BytesIO(b"<svg/>"), "logo.svg")},
                     content_type="multipart/form-data")
    assert not_image.status_code == 400 and "not a PNG, JPEG, GIF or WebP" in text(not_image)
    saved = post(client, base, "/reseller/brand", {"name": "Acme Cloud Shops", "colour": "#0054A6",
                                                   "support_email": "help@acme.example",
                                                   "logo": (io.BytesIO(_png()), "logo.png")},
                 content_type="multipart/form-data")
    assert saved.status_code == 302
    db_session.expire_all()
    reseller = db_session.get(Reseller, acme.id)
    assert reseller.colour == "#0054a6" and reseller.logo_key.startswith(f"resellers/{acme.id}/logo-")

    open_shop(client, base, "noodle-bar")
    merchant, merchant_base = on(app, ACME)
    sign_in(merchant, merchant_base, "owner@noodle-bar.example", area="merchant")
    dashboard = merchant.get(merchant_base + "/merchant/", follow_redirects=True)
    html = dashboard.get_data(as_text=True)
    assert dashboard.status_code == 200 and "Acme Cloud Shops" in html and "Tessera" not in html
    assert "help@acme.example" in html and f"/brand/{acme.id}.css" in html and reseller.logo_key in html
    css = merchant.get(merchant_base + f"/brand/{acme.id}.css?v=1")
    assert "--tblr-primary:#0054a6" in css.get_data(as_text=True) and css.headers["Content-Type"].startswith("text/css")
    # the platform's own host: the shop's reseller's brand still
    elsewhere = app.test_client()
    sign_in(elsewhere, "http://localhost", "owner@noodle-bar.example", area="merchant")
    assert "Tessera" not in elsewhere.get("/merchant/", follow_redirects=True).get_data(as_text=True)
    billing = text(merchant.get(merchant_base + "/merchant/billing/"))
    assert "Acme Cloud Shops bills your shop" in billing
    plan_page = text(merchant.get(merchant_base + "/merchant/plan"))
    assert "¥99.00" in plan_page and "¥129.00" not in plan_page  # the reseller's price, not the platform's


def test_on_a_resellers_domain_the_back_office_serves_its_shops_only(app, db_session, acme, create_staff, tenant_a):
    client, base = on(app, ACME)
    sign_in(client, base)
    open_shop(client, base, "acme-shop", owner_email="both@example.com")
    owner = db_session.scalar(select(Identity).where(Identity.email == "both@example.com"))
    from core.identities import add_staff
    from core.tenancy import tenant_scope

    with tenant_scope(tenant_a):
        add_staff(identity=owner, role="owner")
    db_session.commit()
    merchant, merchant_base = on(app, ACME)
    sign_in(merchant, merchant_base, "both@example.com", area="merchant")
    shops = merchant.get(merchant_base + "/merchant/shops", follow_redirects=True).get_data(as_text=True)
    assert "Alpha Shop" not in shops
    token = csrf_token_of(shops)
    assert merchant.post(merchant_base + "/merchant/shops", data={"csrf_token": token,
                                                                  "tenant_id": str(tenant_a.id)}).status_code == 403


def test_tokens_are_shown_once_and_revoked(app, db_session, acme):
    client, base = on(app, ACME)
    sign_in(client, base)
    made = post(client, base, "/reseller/tokens", {"name": "Our website"})
    secret = re.search(r"data-secret>([^<]+)<", made.get_data(as_text=True)).group(1)
    assert secret.startswith(f"trt_{acme.id}_")
    assert secret not in client.get(base + "/reseller/tokens").get_data(as_text=True)
    headers = {"Authorization": f"Bearer {secret}"}
    assert app.test_client().get("/reseller/api/v1/me", headers=headers).status_code == 200
    token_id = secret.split("_")[2]
    post(client, base, f"/reseller/tokens/{token_id}/revoke", {}, page="/reseller/tokens")
    assert app.test_client().get("/reseller/api/v1/me", headers=headers).status_code == 401
    assert {"reseller.token_create", "reseller.token_revoke"} <= set(db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.reseller_id == acme.id)))


def test_merchants_signing_up_at_a_resellers_domain_open_its_shop(app, db_session, acme):
    from tests.tenants.test_signup import GOOD, mails_to

    client, base = on(app, ACME)
    landing = client.get(base + "/").get_data(as_text=True)
    assert "Acme Shops" in landing and "Tessera" not in landing
    token = csrf_token_of(client.get(base + "/signup").get_data(as_text=True))
    mine = {**GOOD, "email": "owner@acme-tea.example"}  # (the mail folder is the session's: an address of its own)
    assert client.post(base + "/signup", data={"csrf_token": token, **mine}).status_code == 302
    shop = db_session.scalar(select(Tenant).where(Tenant.slug == GOOD["slug"]))
    assert shop.reseller_id == acme.id and shop.status == TenantStatus.PENDING
    assert db_session.get(Plan, shop.plan_id).slug == "basic"
    assert db_session.scalar(select(Subscription).where(Subscription.tenant_id == shop.id)) is None
    mail = mails_to(app, mine["email"])[-1]
    assert "Acme Shops" in mail["From"] and "Welcome to Acme Shops." in mail.get_content()
    assert f"http://{ACME}/signup/confirm/" in mail.get_content()

    acme_row = db_session.get(Reseller, acme.id)
    acme_row.quota = 1
    db_session.commit()
    other = app.test_client()
    token = csrf_token_of(other.get(base + "/signup").get_data(as_text=True))
    closed = other.post(base + "/signup", data={"csrf_token": token, **mine, "slug": "second-shop",
                                                "email": "second@example.com"})
    assert closed.status_code == 400 and "Sign-up is closed for now" in text(closed)
    assert db_session.scalar(select(Tenant).where(Tenant.slug == "second-shop")) is None


def test_the_platform_makes_and_prices_resellers_in_the_console(client, db_session, create_identity, sign_in):
    create_identity("root@example.com", platform_admin=True)
    create_plan(slug="pro", name="Pro", price=29900, limits={})
    db_session.commit()
    sign_in("console", "root@example.com")
    token = csrf_token_of(client.get("/console/resellers/new").get_data(as_text=True))
    form = {"csrf_token": token, "slug": "acme", "name": "Acme Shops", "domain": "localhost", "quota": "5",
            "owner_email": "boss@acme.example", "owner_password": "password123"}
    bad = client.post("/console/resellers/new", data=form)
    assert bad.status_code == 400 and "Enter a host name such as shops.example.com." in text(bad)
    made = client.post("/console/resellers/new", data={**form, "domain": "Shops.Acme.Example."})
    assert made.status_code == 302
    reseller = db_session.scalar(select(Reseller).where(Reseller.slug == "acme"))
    assert reseller.domain == ACME and reseller.quota == 5
    pro = db_session.scalar(select(Plan).where(Plan.slug == "pro"))
    page = f"/console/resellers/{reseller.id}"
    token = csrf_token_of(client.get(page).get_data(as_text=True))
    assert client.post(f"{page}/prices", data={"csrf_token": token, f"wholesale-{pro.id}": "-3"}).status_code == 400
    assert client.post(f"{page}/prices", data={"csrf_token": token, f"wholesale-{pro.id}": "149.00"}).status_code == 302
    shown = client.get(page).get_data(as_text=True)
    assert 'value="149.00"' in shown and "299.00" in shown  # wholesale, and its retail price (the plan's, to start)
    assert client.post(f"{page}/status", data={"csrf_token": token, "reason": ""}).status_code == 302
    assert db_session.get(Reseller, reseller.id).is_active  # a reason is needed
    client.post(f"{page}/status", data={"csrf_token": token, "reason": "Unpaid wholesale invoice"})
    db_session.expire_all()
    assert not db_session.get(Reseller, reseller.id).is_active
    listed = text(client.get("/console/resellers"))
    assert "Acme Shops" in listed and "0 / 5" in listed
    assert {"reseller.create", "reseller.wholesale", "reseller.suspend"} <= set(db_session.scalars(
        select(AuditEntry.action).where(AuditEntry.reseller_id == reseller.id)))
    # suspended: its team is refused
    owner, base = on(client.application, ACME)
    refused = post(owner, base, "/reseller/login", {"email": "boss@acme.example", "password": "password123"})
    assert refused.status_code == 400


def test_resellers_from_the_command_line(tessera):
    made = tessera("resellers", "create", "acme", "--name", "Acme Shops", "--domain", ACME, "--quota", "4",
                   "--owner-email", "boss@acme.example", "--owner-password", "password123")
    assert made.exit_code == 0 and f"https://{ACME}/reseller/" in made.output, made.output
    again = tessera("resellers", "create", "acme2", "--name", "Again", "--domain", ACME,
                    "--owner-email", "boss@acme.example")
    assert again.exit_code == 1 and "This name is taken." in again.output
    listed = json.loads(tessera("resellers", "list", "--json").output)
    assert [(r["slug"], r["domain"], r["quota"], r["shops"]) for r in listed] == [("acme", ACME, 4, 0)]
    assert "acme" in tessera("resellers", "list").output


def test_a_reseller_owner_keeps_the_team_owned(app, db_session, acme):
    from tenants.resellers import membership, remove_member, team

    owner_member, owner = team(acme)[0]
    assert owner_member.role == ResellerRole.OWNER and membership(acme, owner) is not None
    from core.errors import APIError

    with pytest.raises(APIError) as refused:
        remove_member(acme, owner_member, actor=None)
    assert refused.value.code == "conflict"
    assert db_session.scalar(select(func.count()).select_from(Reseller)) == 1
