"""Tenant resolution: custom domain, subdomain of the base domain, /s/<slug>/ prefix, X-Tenant,
the bearer token; unknown tenants 404, suspended ones 403."""

from __future__ import annotations

from flask import jsonify, url_for

from core.db import utcnow
from core.tenancy import Domain, current_tenant, tenant_scope
from tenants.services import resume_tenant, suspend_tenant
from tests.conftest import dispose_app, make_app


def _register(client, **headers):
    return client.post("/api/v1/auth/register", json={"email": "r@example.com", "password": "password123"},
                       headers=headers)


def test_x_tenant_header_picks_the_tenant(client, db_session, tenant_a):
    response = _register(client, **{"X-Tenant": tenant_a.slug})
    assert response.status_code == 201
    assert response.json["token"].startswith(f"tsk_{tenant_a.id}_")


def test_api_without_a_tenant_is_refused(client, db_session):
    response = _register(client)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "tenant_required"


def test_unknown_tenant_is_404_json_for_the_api(client, db_session):
    response = _register(client, **{"X-Tenant": "no-such-shop"})
    assert response.status_code == 404
    assert response.json == {"error": {"code": "tenant_not_found", "message": "There is no such shop."}}


def test_unknown_tenant_prefix_is_404_page(client, db_session):
    response = client.get("/s/no-such-shop/")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_path_prefix_picks_the_tenant(client, db_session, tenant_a):
    response = client.post(f"/s/{tenant_a.slug}/api/v1/auth/register",
                           json={"email": "p@example.com", "password": "password123"})
    assert response.status_code == 201
    assert response.json["token"].startswith(f"tsk_{tenant_a.id}_")


def test_subdomain_of_the_base_domain_picks_the_tenant(client, db_session, tenant_a):
    response = client.post("/api/v1/auth/register", json={"email": "s@example.com", "password": "password123"},
                           base_url=f"http://{tenant_a.slug}.localhost")
    assert response.status_code == 201
    assert response.json["token"].startswith(f"tsk_{tenant_a.id}_")


def test_unknown_subdomain_is_404(client, db_session):
    response = client.post("/api/v1/auth/register", json={}, base_url="http://nobody.localhost")
    assert response.status_code == 404


def test_verified_custom_domain_picks_the_tenant(client, db_session, tenant_a, tenant_b):
    db_session.add(Domain(host="shop.alpha.example", tenant_id=tenant_a.id, verified_at=utcnow()))
    db_session.add(Domain(host="unverified.example", tenant_id=tenant_a.id))
    db_session.flush()
    ok = client.post("/api/v1/auth/register", json={"email": "d@example.com", "password": "password123"},
                     base_url="http://shop.alpha.example")
    assert ok.status_code == 201
    assert ok.json["token"].startswith(f"tsk_{tenant_a.id}_")
    unverified = client.post("/api/v1/auth/register", json={"email": "e@example.com", "password": "password123"},
                             base_url="http://unverified.example")
    assert unverified.status_code == 400  # no tenant: an unverified domain serves nothing
    conflict = client.post("/api/v1/auth/register", json={"email": "f@example.com", "password": "password123"},
                           base_url="http://shop.alpha.example", headers={"X-Tenant": tenant_b.slug})
    assert conflict.status_code == 403
    assert conflict.json["error"]["code"] == "tenant_mismatch"


def test_suspended_tenant_is_refused_and_resumed_tenant_served(client, db_session, tenant_a, create_consumer):
    create_consumer(tenant_a, email="kept@example.com", password="password123")
    suspend_tenant(tenant=tenant_a)
    login = {"login": "kept@example.com", "password": "password123"}
    refused = client.post("/api/v1/auth/login", json=login, headers={"X-Tenant": tenant_a.slug})
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "tenant_suspended"
    assert client.get(f"/s/{tenant_a.slug}/").status_code == 403
    resume_tenant(tenant=tenant_a)
    assert client.post("/api/v1/auth/login", json=login, headers={"X-Tenant": tenant_a.slug}).status_code == 200


def test_a_closed_or_unknown_shop_on_its_own_host_still_gets_the_stylesheets(client, db_session, tenant_a):
    # given a suspended shop on its subdomain, and a host no shop has
    suspend_tenant(tenant=tenant_a)
    for host in (f"http://{tenant_a.slug}.localhost", "http://nobody.localhost"):
        # when its page asks for the stylesheet the "closed" or "no shop here" page links to
        page = client.get("/", base_url=host)
        sheet = client.get("/static/vendor/tabler/tabler.min.css", base_url=host)
        # then the page refuses and the stylesheet comes (assets are the same for every shop)
        assert page.status_code in (403, 404) and "/static/" in page.get_data(as_text=True)
        assert (sheet.status_code, sheet.mimetype) == (200, "text/css")
        sheet.close()


def test_url_for_keeps_the_prefix(live_database, tmp_path):
    app = make_app(live_database, tmp_path)

    @app.get("/probe")
    def probe():
        return jsonify(url=url_for("probe"), tenant=current_tenant().slug)

    with app.app_context():
        from core.db import db
        from tenants.services import create_tenant

        create_tenant(slug="probe-shop", name="Probe")
        db.session.commit()
    response = app.test_client().get("/s/probe-shop/probe")
    assert response.json == {"url": "/s/probe-shop/probe", "tenant": "probe-shop"}
    dispose_app(app)


def test_tenant_context_ends_with_the_request(client, db_session, tenant_a):
    _register(client, **{"X-Tenant": tenant_a.slug})
    assert current_tenant() is None
    with tenant_scope(tenant_a):
        assert current_tenant().id == tenant_a.id
    assert current_tenant() is None
