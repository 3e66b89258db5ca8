"""Each shop chooses how it takes payments: checkout offers only the providers it enabled, a shop
with none says so, Stripe keys are stored encrypted and never shown again, and production has no
sandbox at all."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.orders.models import Order
from engines.payments.accounts import configure_stripe, secrets_of, set_sandbox
from engines.payments.models import Payment, PaymentAccount
from tests.conftest import csrf_token_of, dispose_app, make_app
from tests.core.test_security import production_settings
from tests.engines.orders.conftest import make_shop

SECRET, PUBLISHABLE, WEBHOOK_SECRET = "sk_test_51Habcdefgh0123456789", "pk_test_51Habcdefgh0123456789", "whsec_abcdef123456"
PAY = "/api/v1/checkout/pay"


def _body(shop, **extra) -> dict:
    return {"lines": [{"sku_id": shop["tea"], "quantity": 1}],
            "fulfillment": {"type": "pickup", "store_id": shop["store"]}, **extra}


def _counts(shop) -> tuple[int, int]:
    with tenant_scope(shop["tenant"]):
        return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Order, Payment))


def _offered(client, shop) -> list:
    answer = client.get("/api/v1/payments/providers", headers={"X-Tenant": shop["tenant"].slug})
    assert answer.status_code == 200
    return answer.json["providers"]


def test_a_new_shop_in_development_offers_the_sandbox_only(client, shop):
    assert _offered(client, shop) == [{"name": "sandbox"}]


def test_checkout_offers_only_what_the_shop_enabled(client, shop, db_session):
    with tenant_scope(shop["tenant"]):
        configure_stripe(secret_key=SECRET, publishable_key=PUBLISHABLE, webhook_secret=WEBHOOK_SECRET, enabled=True)
        set_sandbox(enabled=False)
        db_session.commit()
    assert _offered(client, shop) == [{"name": "stripe", "publishable_key": PUBLISHABLE}]
    refused = client.post(PAY, json=_body(shop, provider="sandbox"), headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (422, "unknown_provider")
    assert refused.json["error"]["fields"] == {"provider": ["Use one of stripe."]}
    assert _counts(shop) == (0, 0)


def test_a_shop_with_no_way_to_pay_takes_no_orders_and_says_so(client, shop, db_session):
    with tenant_scope(shop["tenant"]):
        set_sandbox(enabled=False)
        db_session.commit()
    assert _offered(client, shop) == []
    for url, body in ((PAY, _body(shop, provider="sandbox")), (PAY, _body(shop)), ("/api/v1/checkout", _body(shop))):
        refused = client.post(url, json=body, headers=shop["headers"])
        assert (refused.status_code, refused.json["error"]["code"]) == (409, "payments_not_set_up"), url
        assert "not taking paid orders" in refused.json["error"]["message"]
    assert _counts(shop) == (0, 0)


def test_checkout_learns_of_a_change_at_once_and_never_of_one_rolled_back(client, shop, db_session):
    """Checkout remembers the shop's accounts per process (no query an order) until they change."""
    assert client.post(PAY, json=_body(shop), headers=shop["headers"]).status_code == 201  # remembered now
    with tenant_scope(shop["tenant"]):
        set_sandbox(enabled=False)
        assert _offered(client, shop) == []  # the session that changed them reads them
        db_session.rollback()
    assert _offered(client, shop) == [{"name": "sandbox"}]
    assert client.post(PAY, json=_body(shop), headers=shop["headers"]).status_code == 201
    with tenant_scope(shop["tenant"]):
        set_sandbox(enabled=False)
        db_session.commit()
    refused = client.post(PAY, json=_body(shop), headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "payments_not_set_up")
    assert _offered(client, shop) == []


def test_the_provider_may_be_left_out_and_is_the_first_offered(client, shop):
    answer = client.post(PAY, json=_body(shop), headers=shop["headers"])
    assert answer.status_code == 201 and answer.json["payment"]["provider"] == "sandbox"


def test_stripe_keys_are_encrypted_at_rest_and_shown_only_by_their_end(db_session, tenant_a):
    with tenant_scope(tenant_a):
        configure_stripe(secret_key=SECRET, publishable_key=PUBLISHABLE, webhook_secret=WEBHOOK_SECRET, enabled=True)
        db_session.flush()
        stored = db_session.scalar(select(PaymentAccount).where(PaymentAccount.provider == "stripe"))
        assert SECRET not in stored.credentials and WEBHOOK_SECRET not in stored.credentials
        assert SECRET not in json.dumps(stored.public) and WEBHOOK_SECRET not in json.dumps(stored.public)
        assert stored.public == {"publishable_key": PUBLISHABLE, "secret_key_hint": "sk_test_…6789",
                                 "webhook_secret_hint": "whsec_…3456"}
        assert secrets_of("stripe") == {"secret_key": SECRET, "webhook_secret": WEBHOOK_SECRET}
        configure_stripe(publishable_key=PUBLISHABLE, enabled=False)  # blanks keep the saved secrets
        assert secrets_of("stripe") == {"secret_key": SECRET, "webhook_secret": WEBHOOK_SECRET}


@pytest.mark.parametrize(("keys", "field"), [
    ({"secret_key": "pk_test_123456789"}, "secret_key"),
    ({"publishable_key": "sk_test_123456789"}, "publishable_key"),
    ({"webhook_secret": "secret"}, "webhook_secret"),
    ({"secret_key": SECRET}, "publishable_key"),  # enabling needs all three
    ({"secret_key": "sk_live_51Habcdefgh0123456789", "publishable_key": PUBLISHABLE, "webhook_secret": WEBHOOK_SECRET},
     "publishable_key"),  # live and test keys mixed
])
def test_bad_stripe_keys_are_refused_and_nothing_is_saved(client, db_session, create_staff, sign_in, tenant_a, keys,
                                                          field):
    owner = create_staff(tenant_a)
    sign_in("merchant", owner.email)
    client.get("/merchant/shops")  # one shop: chosen
    page = client.get("/merchant/payments/")
    form = {"csrf_token": csrf_token_of(page.get_data(as_text=True)), "enabled": "y", **keys}
    refused = client.post("/merchant/payments/", data=form)
    assert refused.status_code == 400
    assert 'is-invalid' in refused.get_data(as_text=True)
    with tenant_scope(tenant_a):
        assert db_session.scalars(select(PaymentAccount)).all() == []
    assert db_session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "payments.stripe.update")) == 0
    del field


def test_the_owner_sets_up_stripe_in_the_back_office(client, db_session, create_staff, sign_in, tenant_a):
    owner = create_staff(tenant_a)
    sign_in("merchant", owner.email)
    client.get("/merchant/shops")  # one shop: chosen
    page = client.get("/merchant/payments/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Your shop cannot take paid orders yet" not in html  # the sandbox is on
    assert f"/s/{tenant_a.slug}/api/v1/payments/stripe/webhook" in html
    saved = client.post("/merchant/payments/", data={
        "csrf_token": csrf_token_of(html), "secret_key": SECRET, "publishable_key": PUBLISHABLE,
        "webhook_secret": WEBHOOK_SECRET, "enabled": "y"})
    assert saved.status_code == 302
    shown = client.get("/merchant/payments/").get_data(as_text=True)
    assert "sk_test_…6789" in shown and SECRET not in shown and WEBHOOK_SECRET not in shown
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "payments.stripe.update"))
    assert entry.details == {"provider": "stripe", "enabled": True, "secret_key_changed": True,
                             "webhook_secret_changed": True}
    assert SECRET not in json.dumps(entry.details)
    off = client.post("/merchant/payments/sandbox", data={"csrf_token": csrf_token_of(shown), "enabled": "0"})
    assert off.status_code == 302
    with tenant_scope(tenant_a):
        assert db_session.scalar(select(PaymentAccount.enabled).where(PaymentAccount.provider == "sandbox")) is False


@pytest.mark.parametrize("role", ["manager", "clerk"])
def test_only_owners_handle_payment_keys(client, db_session, create_staff, sign_in, tenant_a, role):
    staff = create_staff(tenant_a, role)
    sign_in("merchant", staff.email)
    client.get("/merchant/shops")
    assert client.get("/merchant/payments/").status_code == 403
    assert client.post("/merchant/payments/sandbox", data={"enabled": "0"}).status_code in (400, 403)


@pytest.mark.live
def test_production_has_no_sandbox_anywhere(live_database, tmp_path):
    from core.consumers import register_consumer
    from core.identities import add_staff, create_identity
    from core.security import limiter
    from tenants.services import create_tenant

    app = make_app(live_database, tmp_path, **production_settings(tmp_path))
    with app.app_context():
        tenant = create_tenant(slug="live-shop", name="Live")
        shop = make_shop(tenant, lambda t: register_consumer(email="buyer@live.example", password="password123"))
        with tenant_scope(tenant):
            # left over from a development past: still never offered
            db.session.add(PaymentAccount(provider="sandbox", enabled=True, public={}, credentials=""))
            add_staff(identity=create_identity(email="owner@live.example", password="password123"), role="owner")
        db.session.commit()
    client = app.test_client()
    assert client.get("/api/v1/payments/providers", headers={"X-Tenant": "live-shop"}).json == {"providers": []}
    unknown = client.post(PAY, json=_body(shop, provider="sandbox"), headers=shop["headers"])
    assert (unknown.status_code, unknown.json["error"]["code"]) == (422, "unknown_provider")
    not_set_up = client.post(PAY, json=_body(shop), headers=shop["headers"])
    assert (not_set_up.status_code, not_set_up.json["error"]["code"]) == (409, "payments_not_set_up")
    assert not any(rule.rule.startswith("/pay/sandbox") for rule in app.url_map.iter_rules())
    assert client.get("/s/live-shop/pay/sandbox/1?token=x").status_code == 404
    with app.app_context(), tenant_scope(tenant):
        configure_stripe(secret_key=SECRET, publishable_key=PUBLISHABLE, webhook_secret=WEBHOOK_SECRET, enabled=True)
        db.session.commit()
    unknown = client.post(PAY, json=_body(shop, provider="sandbox"), headers=shop["headers"])
    assert (unknown.status_code, unknown.json["error"]["code"]) == (422, "unknown_provider")
    limiter.reset()
    https = "https://localhost"
    login = client.get("/merchant/login", base_url=https)
    client.post("/merchant/login", base_url=https, headers={"Referer": f"{https}/merchant/login"}, data={
        "csrf_token": csrf_token_of(login.get_data(as_text=True)), "email": "owner@live.example",
        "password": "password123"})
    client.get("/merchant/shops", base_url=https)
    page = client.get("/merchant/payments/", base_url=https)
    assert page.status_code == 200 and 'id="sandbox-card"' not in page.get_data(as_text=True)
    turned_on = client.post("/merchant/payments/sandbox", base_url=https, headers={"Referer": f"{https}/merchant/"},
                            data={"enabled": "1", "csrf_token": csrf_token_of(page.get_data(as_text=True))})
    assert turned_on.status_code == 404
    with app.app_context(), tenant_scope(tenant):
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
    dispose_app(app)
