"""The catalog in the Admin API: items, SKUs and categories through the catalog's services, with a
staff token carrying catalog.manage; refused without it, blind to other shops, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.catalog.models import Category, Item, ItemStatus, Sku
from engines.catalog.services import create_category, create_item, skus_by_item
from tests.admin_api import staff_token

API = "/admin/api/v1"


@pytest.fixture
def owner(db_session, tenant_a):
    return staff_token(db_session, tenant_a, email="olga@staff.example.com")


def _item_count(tenant) -> int:
    with tenant_scope(tenant):
        return db.session.scalar(select(func.count()).select_from(Item))


def _fresh(tenant, model, row_id):
    with tenant_scope(tenant):
        return db.session.scalar(select(model).where(model.id == row_id).execution_options(populate_existing=True))


def test_an_item_is_created_read_listed_and_changed(client, db_session, tenant_a, owner):
    # given a category
    with tenant_scope(tenant_a):
        tea_id = create_category(name="Tea").id
        db_session.commit()
    # when an integration creates a physical item with two sizes
    created = client.post(f"{API}/items", headers=owner.headers, json={
        "kind": "physical", "name": "Oolong", "price": 1250, "stock": 7, "category_id": str(tea_id),
        "subtitle": "Roasted", "description": "<p>Good</p><script>x()</script>",
        "options": [{"name": "Size", "values": ["S", "L"]}]})
    # then it exists as a draft with one SKU per size, at the price and stock given
    assert created.status_code == 201, created.json
    item = created.json["item"]
    assert created.headers["Location"] == f"{API}/items/{item['id']}"
    assert (item["name"], item["status"], item["category_id"], item["description"]) == (
        "Oolong", "draft", str(tea_id), "<p>Good</p>")
    assert [(s["options"], s["price"]["amount"], s["stock"]) for s in item["skus"]] == [
        ({"Size": "S"}, 1250, 7), ({"Size": "L"}, 1250, 7)]
    row = _fresh(tenant_a, Item, int(item["id"]))
    assert (row.name, row.status, row.category_id) == ("Oolong", ItemStatus.DRAFT, tea_id)
    # and it is read, and listed with drafts
    assert client.get(f"{API}/items/{item['id']}", headers=owner.headers).json == {"item": item}
    listed = client.get(f"{API}/items", headers=owner.headers).json
    assert ([i["id"] for i in listed["items"]], listed["next_cursor"]) == ([item["id"]], None)
    assert client.get("/api/v1/items", headers={"X-Tenant": "alpha-shop"}).json["items"] == []
    # when it is renamed and put on sale
    changed = client.patch(f"{API}/items/{item['id']}", headers=owner.headers,
                           json={"name": "Oolong tea", "status": "on_sale", "category_id": None})
    # then the item changed, and consumers see it
    assert changed.status_code == 200, changed.json
    assert (changed.json["item"]["name"], changed.json["item"]["status"], changed.json["item"]["category_id"]) == (
        "Oolong tea", "on_sale", None)
    row = _fresh(tenant_a, Item, int(item["id"]))
    assert (row.name, row.status, row.category_id, row.subtitle) == ("Oolong tea", ItemStatus.ON_SALE, None, "Roasted")
    assert [i["name"] for i in client.get("/api/v1/items", headers={"X-Tenant": "alpha-shop"}).json["items"]] == [
        "Oolong tea"]


def test_a_skus_price_stock_and_code_are_set(client, db_session, tenant_a, owner):
    # given an item on sale
    with tenant_scope(tenant_a):
        item_id = create_item(kind="physical", name="Cake", price=800, stock=3, status="on_sale", sku_code="CAKE-1").id
        sku_id = skus_by_item([item_id])[item_id][0].id
        db_session.commit()
    # when the warehouse sets its stock and the ERP its price
    response = client.patch(f"{API}/skus/{sku_id}", headers=owner.headers, json={"stock": 42, "price": 950})
    # then the SKU changed, its code stayed, and consumers see the new price
    assert response.status_code == 200, response.json
    assert (response.json["sku"]["price"]["amount"], response.json["sku"]["stock"], response.json["sku"]["code"]) == (
        950, 42, "CAKE-1")
    sku = _fresh(tenant_a, Sku, sku_id)
    assert (sku.price, sku.stock, sku.code) == (950, 42, "CAKE-1")
    shown = client.get(f"/api/v1/items/{item_id}", headers={"X-Tenant": "alpha-shop"}).json["item"]["skus"][0]
    assert (shown["price"]["amount"], shown["stock"]) == (950, 42)
    # when the code is cleared
    assert client.patch(f"{API}/skus/{sku_id}", headers=owner.headers, json={"code": None}).json["sku"]["code"] is None
    assert _fresh(tenant_a, Sku, sku_id).code is None


def test_creating_an_item_with_an_idempotency_key_replays_the_first_answer(client, db_session, tenant_a, owner):
    body = {"kind": "dish", "name": "Noodles", "price": 2200, "option_groups": [
        {"name": "Spiciness", "min": 1, "max": 1, "choices": [{"name": "Mild"}, {"name": "Hot", "price": 100}]}]}
    keyed = {**owner.headers, "Idempotency-Key": "import-42"}
    # when the same create is sent twice with one key
    first = client.post(f"{API}/items", headers=keyed, json=body)
    again = client.post(f"{API}/items", headers=keyed, json=body)
    # then one item exists and the retry got the first answer
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Location"] == first.headers["Location"]
    assert _item_count(tenant_a) == 1
    # when the key is reused for another body, it is refused and nothing is made
    other = client.post(f"{API}/items", headers=keyed, json={**body, "name": "Rice"})
    assert (other.status_code, other.json["error"]["code"]) == (422, "idempotency_key_reused")
    assert _item_count(tenant_a) == 1
    # and another token's key of the same text is its own
    second_token = staff_token(db_session, tenant_a)
    theirs = client.post(f"{API}/items", headers={**second_token.headers, "Idempotency-Key": "import-42"}, json=body)
    assert theirs.status_code == 201 and theirs.json["item"]["id"] != first.json["item"]["id"]
    assert _item_count(tenant_a) == 2


def test_items_are_listed_a_page_at_a_time(client, db_session, tenant_a, owner):
    # given three items, one of them off sale, and one deleted
    with tenant_scope(tenant_a):
        ids = [create_item(kind="physical", name=name, price=100, status=status).id
               for name, status in (("A", "on_sale"), ("B", "off_sale"), ("C", "draft"), ("D", "on_sale"))]
        db.session.get(Item, (tenant_a.id, ids[3])).deleted_at = db.func.now()
        db_session.commit()
    # when they are listed two at a time
    first = client.get(f"{API}/items?limit=2", headers=owner.headers).json
    second = client.get(f"{API}/items?limit=2&cursor={first['next_cursor']}", headers=owner.headers).json
    # then every status but the deleted item comes, newest first, and the pages end
    assert [i["name"] for i in first["items"]] + [i["name"] for i in second["items"]] == ["C", "B", "A"]
    assert second["next_cursor"] is None
    assert [i["name"] for i in client.get(f"{API}/items?status=off_sale", headers=owner.headers).json["items"]] == ["B"]
    for bad in ("limit=0", "limit=101", "limit=x", "cursor=abc", "status=sold", "category=-1"):
        response = client.get(f"{API}/items?{bad}", headers=owner.headers)
        assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input"), bad


def test_categories_are_created_and_listed(client, db_session, tenant_a, owner):
    # when a category and a subcategory are created
    drinks = client.post(f"{API}/categories", headers=owner.headers, json={"name": "Drinks"})
    tea = client.post(f"{API}/categories", headers=owner.headers,
                      json={"name": "Tea", "parent_id": drinks.json["category"]["id"], "sort_order": 2})
    # then the tree holds them
    assert drinks.status_code == tea.status_code == 201
    assert tea.headers["Location"] == f"{API}/categories/{tea.json['category']['id']}"
    assert client.get(tea.headers["Location"], headers=owner.headers).json == tea.json
    assert client.get(f"{API}/categories", headers=owner.headers).json == {"categories": [
        {"id": drinks.json["category"]["id"], "name": "Drinks", "image": "", "children": [
            {"id": tea.json["category"]["id"], "name": "Tea", "image": ""}]}]}
    # and a third level, or a taken name, is refused
    third = client.post(f"{API}/categories", headers=owner.headers,
                        json={"name": "Oolong", "parent_id": tea.json["category"]["id"]})
    taken = client.post(f"{API}/categories", headers=owner.headers, json={"name": "Drinks"})
    assert (third.status_code, third.json["error"]["fields"]) == (422, {"parent_id": ["Categories have two levels at most."]})
    assert (taken.status_code, taken.json["error"]["code"]) == (409, "already_exists")
    with tenant_scope(tenant_a):
        assert db.session.scalar(select(func.count()).select_from(Category)) == 2


def test_writes_are_audited_as_the_tokens_staff_member(client, db_session, tenant_a, owner):
    # when an item is created and its SKU changed
    item = client.post(f"{API}/items", headers=owner.headers, json={"kind": "virtual", "name": "Gift card",
                                                                     "price": 5000}).json["item"]
    client.patch(f"{API}/skus/{item['skus'][0]['id']}", headers=owner.headers, json={"stock": 9})
    # then each write left an audit row naming the person and the token
    rows = db.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant_a.id,
                                                       AuditEntry.action.in_(["item.create", "sku.update"]))
                              .order_by(AuditEntry.at)).all()
    assert [(r.action, r.actor_id, r.actor_email, r.target, r.details) for r in rows] == [
        ("item.create", owner.identity.id, "olga@staff.example.com", f"item {item['id']}",
         {"name": "Gift card", "api_token": str(owner.token_id)}),
        ("sku.update", owner.identity.id, "olga@staff.example.com", f"sku {item['skus'][0]['id']}",
         {"item": item["id"], "stock": 9, "api_token": str(owner.token_id)})]


def test_without_catalog_manage_every_catalog_route_is_forbidden(client, db_session, tenant_a):
    # given a manager's token carrying only stores.manage, and an item
    made = staff_token(db_session, tenant_a, role="manager", permissions=["stores.manage"])
    with tenant_scope(tenant_a):
        item_id = create_item(kind="physical", name="Cake", price=800, stock=3).id
        sku_id = skus_by_item([item_id])[item_id][0].id
        db_session.commit()
    # when it calls each catalog route
    for method, path, body in [("GET", "/items", None), ("POST", "/items", {"kind": "physical", "name": "X", "price": 1}),
                               ("GET", f"/items/{item_id}", None), ("PATCH", f"/items/{item_id}", {"name": "Pie"}),
                               ("PATCH", f"/skus/{sku_id}", {"stock": 0}), ("GET", "/categories", None),
                               ("POST", "/categories", {"name": "X"}), ("GET", "/categories/1", None)]:
        response = client.open(API + path, method=method, json=body, headers=made.headers)
        # then each is 403 forbidden
        assert (response.status_code, response.json["error"]["code"]) == (403, "forbidden"), path
    # and nothing changed
    assert (_fresh(tenant_a, Item, item_id).name, _fresh(tenant_a, Sku, sku_id).stock) == ("Cake", 3)
    assert _item_count(tenant_a) == 1
    with tenant_scope(tenant_a):
        assert db.session.scalar(select(func.count()).select_from(Category)) == 0


def test_another_shops_items_skus_and_categories_are_not_found(client, db_session, tenant_a, tenant_b, owner):
    # given shop B's item, SKU and category
    with tenant_scope(tenant_b):
        category_id = create_category(name="B's").id
        item_id = create_item(kind="physical", name="B's cake", price=800, stock=3, category_id=category_id).id
        sku_id = skus_by_item([item_id])[item_id][0].id
        db_session.commit()
    # when shop A's token names them
    for method, path, body in [("GET", f"/items/{item_id}", None), ("PATCH", f"/items/{item_id}", {"name": "Mine"}),
                               ("PATCH", f"/skus/{sku_id}", {"stock": 0, "price": 1}),
                               ("GET", f"/categories/{category_id}", None)]:
        response = client.open(API + path, method=method, json=body, headers=owner.headers)
        # then they do not exist
        assert (response.status_code, response.json["error"]["code"]) == (404, "not_found"), path
    # and B's category cannot be used by A, nor is any of it listed
    used = client.post(f"{API}/items", headers=owner.headers,
                       json={"kind": "physical", "name": "X", "price": 1, "category_id": str(category_id)})
    assert (used.status_code, used.json["error"]["fields"]) == (422, {"category_id": ["There is no such category."]})
    assert client.get(f"{API}/items", headers=owner.headers).json == {"items": [], "next_cursor": None}
    assert client.get(f"{API}/categories", headers=owner.headers).json == {"categories": []}
    # and nothing of B's changed
    assert (_fresh(tenant_b, Item, item_id).name, _fresh(tenant_b, Sku, sku_id).stock) == ("B's cake", 3)


@pytest.mark.parametrize("body, field", [
    ({"kind": "spaceship", "name": "X", "price": 1}, "kind"),
    ({"kind": "physical", "name": "", "price": 1}, "name"),
    ({"kind": "physical", "name": "X", "price": "12.50"}, "price"),
    ({"kind": "physical", "name": "X", "price": -1}, "price"),
    ({"kind": "physical", "name": "X", "price": 10**13}, "price"),
    ({"kind": "physical", "name": "X", "price": 1, "stock": 2**31}, "stock"),
    ({"kind": "physical", "name": "X", "price": 1, "images": ["javascript:alert(1)"]}, "images"),
    ({"kind": "physical", "name": "X", "price": 1, "category_id": "99999999999999999999"}, "category_id"),
    ({"kind": "physical", "name": "X", "price": 1, "options": [{"name": "Size"}]}, "options"),
    ({"kind": "physical", "name": "X", "price": 1, "sales_count": 10}, "sales_count"),
])
def test_bad_item_bodies_are_422_and_create_nothing(client, db_session, tenant_a, owner, body, field):
    response = client.post(f"{API}/items", headers=owner.headers, json=body)
    assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input")
    assert field in response.json["error"]["fields"]
    assert _item_count(tenant_a) == 0


def test_bad_patches_are_refused_and_change_nothing(client, db_session, tenant_a, owner):
    # given an item
    with tenant_scope(tenant_a):
        item_id = create_item(kind="physical", name="Cake", price=800, stock=3, sku_code="CAKE-1").id
        other_id = create_item(kind="physical", name="Pie", price=800, stock=3, sku_code="PIE-1").id
        sku_id = skus_by_item([item_id])[item_id][0].id
        db_session.commit()
    for path, body, status, code in [
        (f"/items/{item_id}", {}, 422, "invalid_input"),
        (f"/items/{item_id}", {"kind": "dish"}, 422, "invalid_input"),
        (f"/items/{item_id}", {"status": "gone"}, 422, "invalid_input"),
        (f"/items/{item_id}", [1], 400, "bad_request"),
        (f"/skus/{sku_id}", {"stock": -1}, 422, "invalid_input"),
        (f"/skus/{sku_id}", {"price": 1.5}, 422, "invalid_input"),
        (f"/skus/{sku_id}", {"code": "PIE-1"}, 422, "invalid_input"),
    ]:
        # when a bad change is sent
        response = client.patch(API + path, headers=owner.headers, json=body)
        # then it is refused with the error envelope
        assert (response.status_code, response.json["error"]["code"]) == (status, code), (path, body)
    not_json = client.patch(f"{API}/skus/{sku_id}", headers=owner.headers, data="stock=1")
    assert (not_json.status_code, not_json.json["error"]["code"]) == (415, "unsupported_media_type")
    # and nothing changed
    row, sku = _fresh(tenant_a, Item, item_id), _fresh(tenant_a, Sku, sku_id)
    assert (row.name, row.kind.value, row.status, sku.stock, sku.price, sku.code) == (
        "Cake", "physical", ItemStatus.DRAFT, 3, 800, "CAKE-1")
    assert _fresh(tenant_a, Item, other_id).name == "Pie"


def test_the_items_list_costs_the_same_queries_however_many_items_it_shows(client, db_session, tenant_a, owner,
                                                                           count_queries):
    # given two items (and the token's use already recorded)
    with tenant_scope(tenant_a):
        for name in ("A", "B"):
            create_item(kind="physical", name=name, price=100, options=[{"name": "Size", "values": ["S", "M"]}])
        db_session.commit()
    client.get(f"{API}/items", headers=owner.headers)
    with count_queries() as few:
        assert len(client.get(f"{API}/items", headers=owner.headers).json["items"]) == 2
    # when there are eight
    with tenant_scope(tenant_a):
        for name in "CDEFGH":
            create_item(kind="physical", name=name, price=100, options=[{"name": "Size", "values": ["S", "M"]}])
        db_session.commit()
    with count_queries() as many:
        assert len(client.get(f"{API}/items", headers=owner.headers).json["items"]) == 8
    # then the list costs the same: the token, the items, their SKUs
    assert len(many) == len(few) == 3
