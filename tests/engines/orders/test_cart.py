"""The cart API: a consumer's own cart, priced now, with unavailable lines flagged."""

from __future__ import annotations

import pytest

from core.consumers import issue_token
from core.tenancy import tenant_scope
from engines.catalog.services import create_item, set_status, skus_by_item


@pytest.fixture
def shop(db_session, tenant_a, create_consumer):
    with tenant_scope(tenant_a):
        tea = create_item(kind="physical", name="Tea", price=1250, stock=3, status="on_sale")
        cake = create_item(kind="physical", name="Cake", price=800, stock=10, status="on_sale")
        draft = create_item(kind="physical", name="Secret", price=100, stock=10)
        skus = skus_by_item([tea.id, cake.id, draft.id])
        consumer = create_consumer(tenant_a)
        token = issue_token(consumer)
        db_session.commit()
    return {"tea": skus[tea.id][0].id, "cake": skus[cake.id][0].id, "draft": skus[draft.id][0].id,
            "tea_item": tea.id, "headers": {"Authorization": f"Bearer {token}"}}


def test_the_cart_needs_a_signed_in_consumer(client, db_session, tenant_a):
    response = client.get("/api/v1/cart", headers={"X-Tenant": tenant_a.slug})
    assert (response.status_code, response.json["error"]["code"]) == (401, "unauthenticated")


def test_add_change_remove(client, shop):
    headers = shop["headers"]
    assert client.get("/api/v1/cart", headers=headers).json == {
        "lines": [], "total": {"amount": 0, "currency": "CNY", "display": "¥0.00"}, "count": 0}
    added = client.post("/api/v1/cart/lines", json={"sku_id": str(shop["tea"]), "quantity": 2}, headers=headers)
    assert added.status_code == 201
    client.post("/api/v1/cart/lines", json={"sku_id": str(shop["cake"])}, headers=headers)
    again = client.post("/api/v1/cart/lines", json={"sku_id": str(shop["cake"]), "quantity": 2}, headers=headers).json
    assert [(line["name"], line["quantity"]) for line in again["lines"]] == [("Tea", 2), ("Cake", 3)]
    assert again["total"] == {"amount": 2 * 1250 + 3 * 800, "currency": "CNY", "display": "¥49.00"}
    tea_line = again["lines"][0]["id"]
    changed = client.patch(f"/api/v1/cart/lines/{tea_line}", json={"quantity": 1}, headers=headers).json
    assert changed["total"]["amount"] == 1250 + 3 * 800
    removed = client.delete(f"/api/v1/cart/lines/{tea_line}", headers=headers).json
    assert [line["name"] for line in removed["lines"]] == ["Cake"]


@pytest.mark.parametrize("quantity", [0, -1, 1000, 1.5, "2"])
def test_bad_quantities_are_refused(client, shop, quantity):
    response = client.post("/api/v1/cart/lines", json={"sku_id": str(shop["tea"]), "quantity": quantity},
                           headers=shop["headers"])
    assert response.status_code == 422
    assert client.get("/api/v1/cart", headers=shop["headers"]).json["lines"] == []


def test_items_not_on_sale_cannot_be_added(client, shop):
    response = client.post("/api/v1/cart/lines", json={"sku_id": str(shop["draft"])}, headers=shop["headers"])
    assert (response.status_code, response.json["error"]["code"]) == (409, "not_on_sale")
    missing = client.post("/api/v1/cart/lines", json={"sku_id": "123"}, headers=shop["headers"])
    assert missing.status_code == 409


def test_unavailable_lines_are_flagged_and_left_out_of_the_total(client, db_session, shop, tenant_a):
    headers = shop["headers"]
    client.post("/api/v1/cart/lines", json={"sku_id": str(shop["tea"]), "quantity": 3}, headers=headers)
    client.post("/api/v1/cart/lines", json={"sku_id": str(shop["cake"]), "quantity": 1}, headers=headers)
    line = client.get("/api/v1/cart", headers=headers).json["lines"][0]
    client.patch(f"/api/v1/cart/lines/{line['id']}", json={"quantity": 5}, headers=headers)
    cart = client.get("/api/v1/cart", headers=headers).json
    assert (cart["lines"][0]["available"], cart["lines"][0]["unavailable_reason"]) == (False, "out_of_stock")
    with tenant_scope(tenant_a):
        set_status(item_ids=[shop["tea_item"]], status="off_sale")
        db_session.commit()
    cart = client.get("/api/v1/cart", headers=headers).json
    assert cart["lines"][0]["unavailable_reason"] == "not_on_sale"
    assert (cart["total"]["amount"], cart["count"]) == (800, 1)


def test_nobody_touches_another_consumers_lines(client, db_session, shop, tenant_a, tenant_b, create_consumer):
    client.post("/api/v1/cart/lines", json={"sku_id": str(shop["tea"])}, headers=shop["headers"])
    line_id = client.get("/api/v1/cart", headers=shop["headers"]).json["lines"][0]["id"]
    with tenant_scope(tenant_a):
        other = issue_token(create_consumer(tenant_a))
        db_session.commit()
    with tenant_scope(tenant_b):
        foreign = issue_token(create_consumer(tenant_b))
        db_session.commit()
    for token in (other, foreign):
        headers = {"Authorization": f"Bearer {token}"}
        assert client.patch(f"/api/v1/cart/lines/{line_id}", json={"quantity": 9}, headers=headers).status_code == 404
        assert client.delete(f"/api/v1/cart/lines/{line_id}", headers=headers).status_code == 404
        assert client.get("/api/v1/cart", headers=headers).json["lines"] == []
    assert client.get("/api/v1/cart", headers=shop["headers"]).json["lines"][0]["quantity"] == 1
    # a SKU of tenant A cannot go into a cart at tenant B
    response = client.post("/api/v1/cart/lines", json={"sku_id": str(shop["tea"])}, headers={"Authorization": f"Bearer {foreign}"})
    assert response.status_code == 409


@pytest.mark.parametrize("sku_id", ["9223372036854775808", "99999999999999999999", "0", "\u0661\u0662"])
def test_a_sku_id_no_row_can_have_is_invalid_input(client, shop, sku_id):
    # given a sku_id beyond BIGINT, zero, or written in non-ASCII digits
    # when it is put in the cart
    response = client.post("/api/v1/cart/lines", json={"sku_id": sku_id}, headers=shop["headers"])
    # then it is refused on the field, and the cart stays empty
    assert (response.status_code, response.json["error"]["code"]) == (422, "invalid_input")
    assert list(response.json["error"]["fields"]) == ["sku_id"]
    assert client.get("/api/v1/cart", headers=shop["headers"]).json["lines"] == []
