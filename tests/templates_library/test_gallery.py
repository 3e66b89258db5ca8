"""The template gallery in the merchant back office and the console."""

from __future__ import annotations

from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.models import Item
from runtime.services import get_app
from templates_library.registry import templates


def test_a_merchant_starts_the_shop_from_a_template(client, create_staff, sign_in, form_post, tenant_a):
    person = create_staff(tenant_a, "manager")
    sign_in("merchant", person.email)
    client.get("/merchant/shops")
    page = client.get("/merchant/templates/").get_data(as_text=True)
    assert all(t.name in page for t in templates().values())
    used = form_post("/merchant/templates/ordering/use", {"demo_data": "1"}, page="/merchant/templates/")
    assert used.status_code == 302 and used.headers["Location"].endswith("/merchant/designer/")
    with tenant_scope(tenant_a):
        app = get_app()
        assert app.draft["app"]["template"]["slug"] == "ordering" and app.published_number == 1
        assert db.session.query(Item).count() == len(templates()["ordering"].demo()["items"])
    menu = client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    assert "Beef noodle soup" in menu
    assert form_post("/merchant/templates/nope/use", {}, page="/merchant/templates/",
                     follow_redirects=True).get_data(as_text=True).count("no template") == 1


def test_clerks_cannot_change_the_template(client, create_staff, sign_in, tenant_a):
    person = create_staff(tenant_a, "clerk")
    sign_in("merchant", person.email)
    client.get("/merchant/shops")
    assert client.get("/merchant/templates/").status_code == 403


def test_a_platform_admin_applies_a_template_from_the_console(client, create_identity, sign_in, form_post, tenant_b):
    admin = create_identity(email="root@example.com", platform_admin=True)
    sign_in("console", admin.email)
    url = f"/console/tenants/{tenant_b.id}/template"
    assert "Choose a template" in client.get(f"/console/tenants/{tenant_b.id}").get_data(as_text=True)
    done = form_post(url, {"template": "ecommerce"}, page=url)
    assert done.status_code == 302
    with tenant_scope(tenant_b):
        assert get_app().draft["app"]["template"]["slug"] == "ecommerce"
        assert db.session.query(Item).count() == 0  # no demo data unless ticked


def test_an_upgrade_lands_in_the_draft_and_the_designer_lists_the_clashes(client, create_staff, sign_in, form_post,
                                                                          tenant_a):
    from runtime.services import save_draft

    with tenant_scope(tenant_a):
        old = templates()["ecommerce"].document("1.0.0")
        old["pages"]["home"]["sections"]["new"]["settings"]["title"] = "Fresh in"  # the template changed it too
        save_draft(document=old, revision=get_app().revision)
        db.session.commit()
    person = create_staff(tenant_a, "manager")
    sign_in("merchant", person.email)
    client.get("/merchant/shops")
    page = client.get("/merchant/templates/").get_data(as_text=True)
    current = templates()["ecommerce"].version
    assert f"Version {current} of your template is out." in page and "pages.home.sections.new.settings.title" in page
    designer = form_post("/merchant/templates/upgrade", {}, page="/merchant/templates/", follow_redirects=True)
    text = designer.get_data(as_text=True)
    assert "1 place(s) to check" in text and "pages.home.sections.new.settings.title" in text
    with tenant_scope(tenant_a):
        draft = get_app().draft
        assert draft["app"]["template"]["version"] == current and "best" in draft["pages"]["home"]["sections"]
        assert draft["pages"]["home"]["sections"]["new"]["settings"]["title"] == "Fresh in"
