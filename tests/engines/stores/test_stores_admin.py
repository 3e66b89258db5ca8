"""The stores back office: stores with delivery bands, tables and their printable QR codes; and
the delivery fees page (the shop's shipping template)."""

from __future__ import annotations

import pytest

from core.db import db
from core.tenancy import tenant_scope
from engines.orders.fulfillment import default_template
from engines.stores.models import DiningTable, Store
from engines.stores.services import delivery_fee, table_by_code


@pytest.fixture
def manager(client, create_staff, sign_in, tenant_a):
    person = create_staff(tenant_a, "manager")
    sign_in("merchant", person.email)
    client.get("/merchant/shops")
    return tenant_a


GOOD = {"name": "Bund store", "address": "1 Zhongshan Rd", "phone": "021-1234", "hours": "9-21",
        "latitude": "31.2304", "longitude": "121.4737", "pickup": "y",
        "delivery_bands": "3 km: 5.00, 8 km: 12.00", "delivery_minimum": "20.00"}


def test_a_manager_adds_a_store_with_bands_and_tables(client, form_post, manager):
    bad = form_post("/merchant/stores/new", {**GOOD, "delivery_bands": "far: cheap"})
    assert bad.status_code == 400 and "is not one" in bad.get_data(as_text=True)
    added = form_post("/merchant/stores/new", GOOD)
    assert added.status_code == 302
    with tenant_scope(manager):
        store = db.session.query(Store).one()
        assert store.delivery_bands == [{"up_to_km": 3.0, "fee": 500}, {"up_to_km": 8.0, "fee": 1200}]
        assert store.delivery_minimum == 2000 and store.pickup
        assert delivery_fee(store, 31.27, 121.4737)[0] == 1200  # about 4.4 km
    edit = f"/merchant/stores/{store.id}"
    page = client.get(edit).get_data(as_text=True)
    assert "3 km: 5.00, 8 km: 12.00" in page
    assert form_post(f"{edit}/tables", {"name": "A3", "seats": "4"}, page=edit).status_code == 302
    twice = form_post(f"{edit}/tables", {"name": "A3", "seats": "2"}, page=edit, follow_redirects=True)
    assert "already has a table" in twice.get_data(as_text=True)
    with tenant_scope(manager):
        table = db.session.query(DiningTable).one()
        assert table_by_code(table.code)[1].id == store.id
    sheet = client.get(f"{edit}/qr").get_data(as_text=True)
    assert "<svg" in sheet and "Table A3" in sheet
    assert form_post(f"{edit}/tables/{table.id}/remove", {}, page=edit).status_code == 302
    with tenant_scope(manager):
        assert db.session.query(DiningTable).count() == 0


def test_clerks_cannot_manage_stores(client, create_staff, sign_in, tenant_a):
    person = create_staff(tenant_a, "clerk")
    sign_in("merchant", person.email)
    client.get("/merchant/shops")
    assert client.get("/merchant/stores/").status_code == 403
    assert client.get("/merchant/orders/shipping").status_code == 403


def test_delivery_fees_are_saved_and_shown_again(client, form_post, manager):
    refused = form_post("/merchant/orders/shipping", {"name": "Standard", "basis": "per_item", "free_above": "",
                                                      "rules": "Xinjiang | 1 | 25.00 | 1 | 8.00"})
    assert refused.status_code == 400 and "without regions" in refused.get_data(as_text=True)
    garbled = form_post("/merchant/orders/shipping", {"name": "Standard", "basis": "per_item", "free_above": "",
                                                      "rules": "| one | 10"})
    assert garbled.status_code == 400 and "Line 1" in garbled.get_data(as_text=True)
    saved = form_post("/merchant/orders/shipping", {"name": "Standard", "basis": "per_item", "free_above": "99.00",
                                                    "rules": "| 1 | 10.00 | 1 | 2.00\nXinjiang, Tibet | 1 | 25.00 | 1 | 8.00"})
    assert saved.status_code == 302
    with tenant_scope(manager):
        template = default_template()
        assert template.free_above == 9900 and template.rules[1]["regions"] == ["Xinjiang", "Tibet"]
    shown = client.get("/merchant/orders/shipping").get_data(as_text=True)
    assert "Xinjiang, Tibet | 1 | 25.00 | 1 | 8.00" in shown
    form_post("/merchant/orders/shipping", {"name": "Standard", "basis": "per_weight", "free_above": "",
                                            "rules": "| 1 | 12.00 | 1 | 3.00"})
    with tenant_scope(manager):
        template = default_template()
        assert (template.basis, template.free_above, len(template.rules)) == ("per_weight", None, 1)


HUGE = "99999999999999999999"


@pytest.mark.parametrize("field", ["free_above", "rules"])
def test_fees_beyond_any_column_are_a_form_message(client, form_post, manager, field):
    form = {"name": "Standard", "basis": "per_item", "free_above": "99.00", "rules": "| 1 | 10.00 | 1 | 2.00"}
    form[field] = HUGE if field == "free_above" else f"| 1 | {HUGE} | 1 | 2.00"
    refused = form_post("/merchant/orders/shipping", form)
    assert refused.status_code == 400
    with tenant_scope(manager):
        assert default_template() is None


@pytest.mark.parametrize("field", ["delivery_minimum", "delivery_bands"])
def test_store_amounts_beyond_any_column_are_a_form_message(client, form_post, manager, field):
    form = {**GOOD, field: HUGE if field == "delivery_minimum" else f"3 km: {HUGE}"}
    refused = form_post("/merchant/stores/new", form)
    assert refused.status_code == 400 and "invalid-feedback" in refused.get_data(as_text=True)
    with tenant_scope(manager):
        assert db.session.query(Store).count() == 0


def test_back_office_cursors_beyond_bigint_are_ignored(client, manager, create_identity, sign_in):
    assert client.get(f"/merchant/designer/api/media?cursor={HUGE}").status_code == 200
    assert client.get(f"/merchant/designer/api/versions/1/diff?against={HUGE}").status_code in (200, 404)
    admin = create_identity(platform_admin=True)
    sign_in("console", admin.email)
    assert client.get(f"/console/audit?before={HUGE}").status_code == 200
