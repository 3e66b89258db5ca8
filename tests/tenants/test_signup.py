"""Merchants sign themselves up: /signup makes the owner and a pending shop on the trial plan,
starts it from the chosen template with its demo items as the draft, and mails a link; the shop
cannot publish until the link is followed, then it can. Wrong input is a form message with
nothing written; bots meet the honeypot and a limit per address; no mail provider, no sign-up."""

from __future__ import annotations

import datetime as dt
import email
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db, utcnow
from core.identities import Identity
from core.plans import Plan
from core.tenancy import Tenant, TenantStatus, tenant_scope
from runtime.models import App, AppVersion
from tenants.billing import Subscription
from tests.conftest import csrf_token_of

GOOD = {"shop_name": "Tea Garden", "slug": "tea-garden", "email": "owner@teagarden.example",
        "password": "green-kettle-mountain-42", "template": "ecommerce"}


def mails_to(app, address: str) -> list[email.message.EmailMessage]:
    folder = Path(app.config["MAIL_FOLDER"])
    found = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
             for path in sorted(folder.glob("*.eml"))] if folder.exists() else []
    return [message for message in found if message["To"] == address]


def confirm_link(app, address: str) -> str:
    body = mails_to(app, address)[-1].get_content()
    return re.search(r"http://localhost(/signup/confirm/\S+)", body).group(1)


def follow(client, link: str):
    """Open the mailed link and press its button."""
    page = client.get(link)
    if page.status_code != 200:
        return page
    return client.post(link, data={"csrf_token": csrf_token_of(page.get_data(as_text=True))})


def sign_up(client, **changes):
    token = csrf_token_of(client.get("/signup").get_data(as_text=True))
    return client.post("/signup", data={"csrf_token": token, **GOOD, **changes})


def publish(client, designer_page: str, revision: int):
    token = re.search(r'data-csrf="([^"]+)"', designer_page).group(1)
    return client.post("/merchant/designer/api/publish", json={"note": "Opening", "revision": revision},
                       headers={"X-CSRFToken": token, "Accept": "application/json"})


def counts(db_session) -> tuple[int, int]:
    return (db_session.scalar(select(func.count()).select_from(Tenant)),
            db_session.scalar(select(func.count()).select_from(Identity)))


def test_a_merchant_signs_up_designs_and_opens_the_shop_by_the_mailed_link(app, client, db_session):
    from tenants.plans import create_plan

    create_plan(slug="free", name="Free", price=0, limits={"items": 5}, position=1)
    trial = create_plan(slug="pro", name="Pro", price=29900, limits={}, position=2)
    trial.trial_days = 14
    db_session.commit()
    landing = client.get("/").get_data(as_text=True)
    assert "Start your free trial" in landing and 'data-starter="ordering"' in landing
    assert 'value="homestay" checked' in client.get("/signup?template=homestay").get_data(as_text=True)

    made = sign_up(client)
    assert made.status_code == 302 and made.headers["Location"].endswith("/merchant/designer/")
    tenant = db_session.scalar(select(Tenant).where(Tenant.slug == "tea-garden"))
    owner = db_session.scalar(select(Identity).where(Identity.email == GOOD["email"]))
    assert (tenant.status, tenant.plan_id, owner.email_verified_at) == (TenantStatus.PENDING, trial.id, None)
    subscription = db_session.scalar(select(Subscription).where(Subscription.tenant_id == tenant.id))
    assert subscription.status == "trialing"
    assert dt.timedelta(days=13, hours=23) < subscription.trial_ends_at - tenant.created_at <= dt.timedelta(days=14, minutes=1)
    with tenant_scope(tenant):
        app_row = db.session.scalars(select(App)).one()
        assert app_row.published_number is None and app_row.draft["app"]["template"]["slug"] == "ecommerce"
        assert app_row.draft["app"]["name"] == "Tea Garden"
        assert db.session.scalar(select(func.count()).select_from(AppVersion)) == 0
    assert {e.action for e in db_session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant.id))} == {
        "tenant.signup", "template.use", "tenant.plan"}

    designer = client.get("/merchant/designer/").get_data(as_text=True)
    assert "data-awaiting-email" in designer and GOOD["email"] in designer and "Welcome!" in designer
    refused = publish(client, designer, app_row.revision)
    assert (refused.status_code, refused.json["error"]["code"]) == (403, "email_unconfirmed"), refused.json
    [mail] = mails_to(app, GOOD["email"])
    assert mail["Subject"] == "Confirm your e-mail to open your shop" and mail["From"].endswith("@localhost>")

    assert "Send the link again" in client.get("/merchant/").get_data(as_text=True)
    again = client.post("/signup/resend", data={"csrf_token": re.search(r'data-csrf="([^"]+)"', designer).group(1)})
    assert again.status_code == 302 and len(mails_to(app, GOOD["email"])) == 2
    back = client.post("/signup/resend", data={"csrf_token": re.search(r'data-csrf="([^"]+)"', designer).group(1),
                                               "next": "//evil.example/"})
    assert back.headers["Location"].endswith("/merchant/")  # back only to a path of this site

    assert client.get(confirm_link(app, GOOD["email"])).status_code == 200  # a GET confirms nothing
    db_session.expire_all()
    assert db_session.get(Tenant, tenant.id).status == TenantStatus.PENDING
    opened = follow(client, confirm_link(app, GOOD["email"]))
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/merchant/designer/")
    db_session.expire_all()
    assert db_session.get(Tenant, tenant.id).status == TenantStatus.ACTIVE
    assert db_session.get(Identity, owner.id).email_verified_at is not None
    designer = client.get("/merchant/designer/").get_data(as_text=True)
    assert "data-awaiting-email" not in designer and "your shop is open" in designer
    published = publish(client, designer, app_row.revision)
    assert published.status_code == 201, published.json
    assert "Tea Garden" in client.get("/s/tea-garden/").get_data(as_text=True)
    assert follow(client, confirm_link(app, GOOD["email"])).status_code == 302  # followed twice: still fine
    assert [e.action for e in db_session.scalars(select(AuditEntry).where(AuditEntry.action == "tenant.open"))] == [
        "tenant.open"]


@pytest.mark.parametrize("changes, field, said", [
    ({"slug": "Tea Garden!"}, "slug", "lowercase letters"),
    ({"slug": "console"}, "slug", "reserved"),
    ({"slug": "taken-shop"}, "slug", "taken"),
    ({"password": "password123"}, "password", "too easy to guess"),
    ({"password": "tea-garden"}, "password", "too easy to guess"),  # the shop's own name
    ({"password": "short"}, "password", "at least 8"),
    ({"email": "not-an-address"}, "email", "valid email"),
    ({"email": "taken@example.com"}, "email", "already has an account"),
    ({"shop_name": "  "}, "shop_name", "name"),
    ({"template": "no-such-template"}, "template", "Not a valid choice"),
    ({"website": "http://spam.example"}, "website", "leave the field “Leave this empty” empty"),
])
def test_wrong_input_is_said_on_the_form_and_nothing_is_written(client, db_session, create_identity, tenant_a,
                                                                 changes, field, said):
    create_identity("taken@example.com")
    db_session.get(Tenant, tenant_a.id).slug = "taken-shop"
    db_session.commit()
    before = counts(db_session)
    refused = sign_up(client, **changes)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400 and said.lower() in page.lower(), re.findall(r'invalid-feedback[^<]*<', page)
    assert counts(db_session) == before


def test_the_address_is_checked_as_it_is_typed(client, tenant_a):
    assert client.get("/signup/address?slug=fresh-tea").json == {
        "slug": "fresh-tea", "available": True, "message": "This address is free."}
    taken = client.get(f"/signup/address?slug={tenant_a.slug.upper()}").json
    assert (taken["available"], taken["message"]) == (False, "This name is taken.")
    assert client.get("/signup/address?slug=" + "x" * 5000).json["available"] is False


def test_a_bad_or_outdated_link_is_told_and_changes_nothing(app, client, db_session):
    from tenants.onboarding import confirmation_token

    assert sign_up(client).status_code == 302
    owner = db_session.scalar(select(Identity).where(Identity.email == GOOD["email"]))
    assert follow(client, "/signup/confirm/garbage").status_code == 400
    tampered = confirm_link(app, GOOD["email"])[:-3] + "abc"
    assert "copy the whole address" in follow(client, tampered).get_data(as_text=True)
    with app.test_request_context():
        token = confirmation_token(owner)
    owner.email = "new@teagarden.example"  # the link names the old address
    db_session.commit()
    assert "no longer the account" in follow(client, f"/signup/confirm/{token}").get_data(as_text=True)
    db_session.expire_all()
    assert db_session.scalar(select(Tenant.status).where(Tenant.slug == "tea-garden")) == TenantStatus.PENDING


def test_an_expired_link_says_so(app, client, db_session, monkeypatch):
    import time

    assert sign_up(client).status_code == 302
    link = confirm_link(app, GOOD["email"])
    later = time.time() + 8 * 86_400
    monkeypatch.setattr(time, "time", lambda: later)
    assert "expired" in follow(client, link).get_data(as_text=True)


def test_bots_are_slowed_per_address(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP_RATE_LIMIT", "2/hour")
    answers = [sign_up(client, slug=f"shop-{n}", email=f"o{n}@example.com", password="weak").status_code
               for n in range(3)]
    assert answers == [400, 400, 429]


def test_without_a_mail_provider_nobody_signs_up(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PROVIDER", "none")
    before = counts(db_session)
    refused = sign_up(client)
    assert refused.status_code == 400 and "cannot send e-mail" in refused.get_data(as_text=True)
    assert counts(db_session) == before


def test_staff_signed_in_go_from_the_front_page_to_the_back_office(client, tenant_a, enter):
    enter("owner")
    assert client.get("/").headers["Location"].endswith("/merchant/")


def test_a_shop_made_by_the_console_or_the_command_line_is_open_at_once(db_session, tenant_a):
    assert db_session.get(Tenant, tenant_a.id).status == TenantStatus.ACTIVE
    assert db_session.scalar(select(func.count()).select_from(Identity).where(Identity.email_verified_at.is_(None))) == 0
    assert db_session.scalar(select(func.count()).select_from(Plan)) == 0


@pytest.mark.live
def test_six_sign_ups_of_one_address_at_once_make_one_shop(live_server):
    from concurrent.futures import ThreadPoolExecutor

    import requests

    live_server.app.config["SIGNUP_RATE_LIMIT"] = "1000/minute"

    def attempt(index: int) -> int:
        with requests.Session() as browser:
            token = csrf_token_of(browser.get(f"{live_server.url}/signup", timeout=30).text)
            answer = browser.post(f"{live_server.url}/signup", timeout=60, allow_redirects=False,
                                  data={"csrf_token": token, **GOOD, "email": f"racer{index}@example.com"})
            return answer.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = sorted(pool.map(attempt, range(6)))
    assert answers == [302] + [400] * 5
    with live_server.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Tenant).where(Tenant.slug == GOOD["slug"])) == 1
        owners = db.session.scalar(select(func.count()).select_from(Identity).where(Identity.email.like("racer%")))
        assert owners == 1  # the others' accounts went with their refused shops


def test_a_plan_smaller_than_the_templates_demo_still_lets_a_merchant_start(client, db_session):
    from core.plans import Plan
    from tenants.plans import create_plan

    create_plan(slug="tiny", name="Tiny", price=0, limits={"items": 1, "pages": 1}, position=1)
    db_session.commit()
    assert sign_up(client).status_code == 302
    tenant = db_session.scalar(select(Tenant).where(Tenant.slug == "tea-garden"))
    assert db_session.get(Plan, tenant.plan_id).slug == "tiny"
    with tenant_scope(tenant):
        from engines.catalog.models import Item

        assert db.session.scalar(select(func.count()).select_from(Item)) > 1  # kept; the next one is refused


def test_a_sign_up_never_confirmed_goes_after_two_weeks_and_its_address_may_sign_up_again(app, client, db_session,
                                                                                          tenant_a):
    from tenants.onboarding import expire_unconfirmed

    assert sign_up(client).status_code == 302
    with app.test_request_context():
        assert expire_unconfirmed(utcnow() + dt.timedelta(days=13)) == 0
        assert expire_unconfirmed(utcnow() + dt.timedelta(days=15)) == 1
    db_session.expire_all()
    assert db_session.scalar(select(Tenant).where(Tenant.slug == "tea-garden")) is None
    assert db_session.scalar(select(Identity).where(Identity.email == GOOD["email"])) is None
    assert db_session.get(Tenant, tenant_a.id) is not None  # an open shop is not touched
    assert [e.target for e in db_session.scalars(select(AuditEntry).where(
        AuditEntry.action == "tenant.signup_expired"))] == ["tea-garden"]
    assert sign_up(client).status_code == 302  # the address and the name are free again


def test_the_sign_up_pages_switch_language_and_come_back(client):
    for page, chinese in (("/", "开始免费试用"), ("/signup?template=ordering", "开一家店")):  # and the trades in it
        link = re.search(r'href="([^"]+)"[^>]*data-language-switch>中文<', client.get(page).get_data(as_text=True))
        assert link is not None, page
        switched = client.get(link.group(1).replace("&amp;", "&"))
        assert switched.status_code == 302 and switched.headers["Location"] == page
        shown = client.get(page).get_data(as_text=True)
        assert chinese in shown and "餐饮" in shown and ">food<" not in shown
        client.get("/lang/en?next=/")
