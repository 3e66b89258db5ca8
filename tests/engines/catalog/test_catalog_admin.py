"""The catalog back office: permissions, item and variant forms, bulk status, categories, CSV."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.tenancy import tenant_scope
from engines.catalog.models import Category, Item, ItemStatus, Sku
from engines.catalog.services import skus_by_item
from tests.engines.catalog.test_catalog import GOOD_CSV


@pytest.fixture
def enter(client, create_staff, sign_in, tenant_a):
    def as_role(role):
        person = create_staff(tenant_a, role)
        sign_in("merchant", person.email)
        client.get("/merchant/shops")

    return as_role


def _items(db_session, tenant):
    with tenant_scope(tenant):
        return list(db_session.scalars(select(Item).order_by(Item.id)))


def test_clerks_cannot_manage_the_catalog(client, enter):
    enter("clerk")
    assert client.get("/merchant/catalog/").status_code == 403
    assert client.get("/merchant/catalog/export.csv").status_code == 403


def test_a_manager_creates_an_item_with_variants_and_edits_them(client, enter, form_post, db_session, tenant_a):
    enter("manager")
    bad = form_post("/merchant/catalog/new", {"kind": "physical", "name": "Shirt", "price": "12.345", "stock": "3",
                                              "status": "on_sale", "category_id": ""})
    assert bad.status_code == 400 and "more than 2 decimal places" in bad.get_data(as_text=True)
    assert _items(db_session, tenant_a) == []
    created = form_post("/merchant/catalog/new", {"kind": "physical", "name": "Shirt", "price": "99.00", "stock": "3",
                                                  "status": "on_sale", "category_id": "", "options": "Size:S|M"})
    assert created.status_code == 302
    (item,) = _items(db_session, tenant_a)
    with tenant_scope(tenant_a):
        skus = skus_by_item([item.id])[item.id]
        assert [(s.options, s.price, s.stock) for s in skus] == [({"Size": "S"}, 9900, 3), ({"Size": "M"}, 9900, 3)]
        first, second = (s.id for s in skus)
        item_id = item.id
    page = f"/merchant/catalog/{item_id}"
    fields = {"name": "Shirt", "status": "on_sale", "category_id": "", "kind": "physical",
              f"price_{first}": "89.00", f"stock_{first}": "10", f"code_{first}": "SH-S",
              f"price_{second}": "99.00", f"stock_{second}": "-1", f"code_{second}": ""}
    refused = form_post(page, fields)
    assert refused.status_code == 400 and "Stock is a whole number" in refused.get_data(as_text=True)
    with tenant_scope(tenant_a):
        db_session.expire_all()
        assert db_session.get(Sku, (tenant_a.id, first)).price == 9900  # nothing half-written
    fields[f"stock_{second}"] = "7"
    assert form_post(page, fields).status_code == 302
    with tenant_scope(tenant_a):
        db_session.expire_all()
        assert [(s.price, s.stock, s.code) for s in skus_by_item([item_id])[item_id]] == [(8900, 10, "SH-S"), (9900, 7, None)]
    actions = set(db_session.scalars(select(AuditEntry.action).where(AuditEntry.tenant_id == tenant_a.id)))
    assert {"item.create", "item.update"} <= actions


def test_bulk_status_import_and_export(client, enter, form_post, db_session, tenant_a):
    from tests.conftest import csrf_token_of

    enter("owner")
    token = csrf_token_of(client.get("/merchant/catalog/").get_data(as_text=True))
    uploaded = client.post("/merchant/catalog/import", data={"csrf_token": token,
                                                              "file": (io.BytesIO(GOOD_CSV.encode()), "items.csv")})
    assert uploaded.status_code == 302
    items = _items(db_session, tenant_a)
    assert len(items) == 3
    bad = client.post("/merchant/catalog/import", data={"csrf_token": token, "file": (
        io.BytesIO(b"name,category,kind,price,stock\nX,Y,physical,abc,1\n"), "bad.csv")})
    assert bad.status_code == 302
    assert "line 2: price" in client.get("/merchant/catalog/").get_data(as_text=True)
    assert len(_items(db_session, tenant_a)) == 3
    assert client.post("/merchant/catalog/bulk", data={"csrf_token": token, "status": "off_sale",
                                                        "item_id": [str(items[0].id), str(items[1].id)]}).status_code == 302
    db_session.expire_all()
    assert [i.status for i in _items(db_session, tenant_a)] == [ItemStatus.OFF_SALE, ItemStatus.OFF_SALE, ItemStatus.ON_SALE]
    export = client.get("/merchant/catalog/export.csv")
    assert export.mimetype == "text/csv" and export.get_data(as_text=True).startswith("name,category,kind,price,stock")


def test_categories_page(client, enter, form_post, db_session, tenant_a):
    enter("manager")
    assert form_post("/merchant/catalog/categories", {"name": "Drinks", "parent_id": ""}).status_code == 302
    with tenant_scope(tenant_a):
        drinks = db_session.scalar(select(Category).where(Category.name == "Drinks"))
    assert form_post("/merchant/catalog/categories", {"name": "Tea", "parent_id": str(drinks.id)}).status_code == 302
    again = form_post("/merchant/catalog/categories", {"name": "Drinks", "parent_id": ""})
    assert again.status_code == 400 and "Taken." in again.get_data(as_text=True)
    page = client.get("/merchant/catalog/categories").get_data(as_text=True)
    assert "Drinks" in page and "Tea" in page


def test_another_shops_item_is_not_found(client, enter, db_session, tenant_b):
    from engines.catalog.services import create_item

    with tenant_scope(tenant_b):
        theirs = create_item(kind="physical", name="Theirs", price=1)
        db_session.commit()
    enter("owner")
    assert client.get(f"/merchant/catalog/{theirs.id}").status_code == 404


def _field_errors(html: str, name: str) -> list[str]:
    """The messages shown under the input named `name` (the `field` macro, or a variant's cell)."""
    match = re.search(rf'<input [^>]*name="{re.escape(name)}"[^>]*>((?:\s*<div class="invalid-feedback[^"]*">[^<]*</div>)*)',
                      html)
    assert match, f"no input named {name}"
    return re.findall(r'<div class="invalid-feedback[^"]*">([^<]*)</div>', match.group(1))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("price", "99999999999999999999", "At most ¥10,000,000,000.00."),
    ("price", "10000000000.01", "At most ¥10,000,000,000.00."),
    ("stock", "99999999999999999999", "Number must be between 0 and 2147483647."),
    ("stock", "2147483648", "Number must be between 0 and 2147483647."),
])
def test_a_new_items_price_or_stock_beyond_its_column_is_a_form_error(client, enter, form_post, db_session, tenant_a,
                                                                     field, value, message):
    # given a manager signed in
    enter("manager")
    # when they create an item whose price or stock is too large for its column
    response = form_post("/merchant/catalog/new", {"kind": "physical", "name": "Gold", "price": "10.00", "stock": "3",
                                                   "status": "on_sale", "category_id": "", field: value})
    # then the form shows the message on that field, and nothing is written
    assert response.status_code == 400
    assert _field_errors(response.get_data(as_text=True), field) == [message]
    assert _items(db_session, tenant_a) == []


def test_the_largest_price_and_stock_are_accepted(client, enter, form_post, db_session, tenant_a):
    # given a manager signed in
    enter("manager")
    # when they create an item at the price cap and the largest stock a 32-bit column holds
    response = form_post("/merchant/catalog/new", {"kind": "physical", "name": "Gold", "price": "10000000000.00",
                                                   "stock": "2147483647", "status": "on_sale", "category_id": ""})
    # then it is saved with them
    assert response.status_code == 302
    (item,) = _items(db_session, tenant_a)
    with tenant_scope(tenant_a):
        assert [(s.price, s.stock) for s in skus_by_item([item.id])[item.id]] == [(10**12, 2**31 - 1)]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("price", "99999999999999999999", "At most ¥10,000,000,000.00."),
    ("stock", "99999999999999999999", "Stock is a whole number from 0 to 2147483647."),
    ("stock", "2147483648", "Stock is a whole number from 0 to 2147483647."),
    ("stock", "\u00b2", "Stock is a whole number from 0 to 2147483647."),
    ("code", "X" * 65, "Codes are 1 to 64 characters."),
])
def test_a_variants_price_or_stock_beyond_its_column_is_shown_on_the_variant(client, enter, form_post, db_session,
                                                                             tenant_a, field, value, message):
    # given an item with one variant
    with tenant_scope(tenant_a):
        from engines.catalog.services import create_item

        item = create_item(kind="physical", name="Gold", price=1000, stock=3, status="on_sale")
        sku = skus_by_item([item.id])[item.id][0]
        db_session.commit()
    enter("manager")
    # when the edit form sends a price, stock or code too large for its column
    fields = {"name": "Gold renamed", "status": "on_sale", "category_id": "", "kind": "physical",
              f"price_{sku.id}": "10.00", f"stock_{sku.id}": "3", f"code_{sku.id}": "", f"{field}_{sku.id}": value}
    response = form_post(f"/merchant/catalog/{item.id}", fields)
    # then the variant's cell shows the message, and nothing is written (not even the new name)
    assert response.status_code == 400
    assert _field_errors(response.get_data(as_text=True), f"{field}_{sku.id}") == [message]
    with tenant_scope(tenant_a):
        db_session.expire_all()
        assert db_session.get(Item, (tenant_a.id, item.id)).name == "Gold"
        assert (db_session.get(Sku, (tenant_a.id, sku.id)).price, db_session.get(Sku, (tenant_a.id, sku.id)).stock) == (
            1000, 3)


def test_an_item_saves_again_as_its_form_shows_it(client, enter, form_post, db_session, tenant_a):
    """A new merchant's item, with no image and no category, saved again without a change: the
    form shows every field as it can be sent back."""
    from tests.conftest import form_values

    enter("owner")
    created = form_post("/merchant/catalog/new", {"kind": "physical", "name": "Plain tea", "price": "9.90",
                                                   "stock": "3", "status": "on_sale", "category_id": ""})
    assert created.status_code == 302
    edit_url = created.headers["Location"]
    page = client.get(edit_url).get_data(as_text=True)
    shown = form_values(page, "item-form")
    assert shown["images"] == "" and shown["name"] == "Plain tea"
    saved = client.post(edit_url, data=shown)
    assert saved.status_code == 302, re.findall(r'invalid-feedback[^>]*>([^<]+)', saved.get_data(as_text=True))
    item = _items(db_session, tenant_a)[0]
    assert (item.name, item.images, item.status) == ("Plain tea", [], ItemStatus.ON_SALE)
