"""Reviews through the consumer and Admin APIs: a line of one's completed order is reviewed once
(also when two requests race), an item shows its shown reviews with their average, the shop hides
one, and the member gets the shop's growth for a review."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from core.tenancy import tenant_scope
from engines.orders.lifecycle import find_order, verify_code
from tests.admin_api import staff_token
from tests.conftest import http_json
from tests.engines.orders.test_orders import as_shop, pay, place


def completed(client, shop, key="tea", quantity=1) -> dict:
    order = place(client, shop, [{"sku_id": shop[key], "quantity": quantity}],
                  {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    with tenant_scope(shop["tenant"]):
        code = find_order(int(order["id"])).verification_code
    as_shop(shop, verify_code, code, actor="staff:1")
    return order


def review(client, shop, order, rating=5, body="Lovely", headers=None, line=None):
    return client.post(f"/api/v1/orders/{order['id']}/reviews", headers=headers or shop["headers"],
                       json={"line_id": line or order["lines"][0]["id"], "rating": rating, "body": body})


def test_a_line_of_a_completed_order_is_reviewed_once_and_shown_on_its_item(client, shop):
    order = completed(client, shop)
    made = review(client, shop, order, rating=4, body="  Fresh and fragrant  ")
    assert made.status_code == 201, made.json
    assert (made.json["review"]["rating"], made.json["review"]["body"]) == (4, "Fresh and fragrant")
    again = review(client, shop, order)
    assert (again.status_code, again.json["error"]["code"]) == (409, "already_reviewed")
    mine = client.get(f"/api/v1/orders/{order['id']}/reviews", headers=shop["headers"]).json["reviews"]
    assert [(r["line_id"], r["rating"]) for r in mine] == [(order["lines"][0]["id"], 4)]
    item = order["lines"][0]["item_id"]
    shown = client.get(f"/api/v1/items/{item}/reviews", headers={"X-Tenant": shop["tenant"].slug}).json
    assert shown["rating"] == {"average": 4.0, "count": 1}
    assert [r["body"] for r in shown["reviews"]] == ["Fresh and fragrant"] and shown["reviews"][0]["author"]


def test_only_a_completed_order_of_ones_own_is_reviewed(client, shop, create_consumer):
    from core.consumers import issue_token

    unpaid = place(client, shop, [{"sku_id": shop["tea"], "quantity": 1}], {"type": "pickup", "store_id": shop["store"]})
    refused = review(client, shop, unpaid)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "review_not_allowed")
    order = completed(client, shop)
    with tenant_scope(shop["tenant"]):
        other = {"Authorization": f"Bearer {issue_token(create_consumer(shop['tenant'], email='x@example.com'))}"}
    from core.db import db
    db.session.commit()
    assert review(client, shop, order, headers=other).status_code == 404
    assert review(client, shop, order, line="123").status_code == 422
    for body in ({"line_id": order["lines"][0]["id"], "rating": 0}, {"line_id": order["lines"][0]["id"], "rating": "5"},
                 {"line_id": order["lines"][0]["id"], "rating": 5, "body": "x" * 501}, {"rating": 5}):
        answer = client.post(f"/api/v1/orders/{order['id']}/reviews", json=body, headers=shop["headers"])
        assert answer.status_code == 422 and answer.json["error"]["code"] == "invalid_input", body


def test_the_shop_hides_a_review_and_the_item_stops_showing_it(client, shop, db_session):
    order = completed(client, shop)
    made = review(client, shop, order, rating=1, body="Rude words").json["review"]
    owner = staff_token(db_session, shop["tenant"])
    listed = client.get("/admin/api/v1/reviews", headers=owner.headers).json["reviews"]
    assert [(r["id"], r["hidden"]) for r in listed] == [(made["id"], False)]
    hidden = client.patch(f"/admin/api/v1/reviews/{made['id']}", json={"hidden": True}, headers=owner.headers)
    assert hidden.status_code == 200 and hidden.json["review"]["hidden"] is True
    shown = client.get(f"/api/v1/items/{made['item_id']}/reviews", headers={"X-Tenant": shop["tenant"].slug}).json
    assert shown == {"rating": {"average": None, "count": 0}, "reviews": [], "next_cursor": None}
    assert client.get("/admin/api/v1/reviews?hidden=true", headers=owner.headers).json["reviews"][0]["id"] == made["id"]
    assert client.get("/admin/api/v1/reviews?hidden=maybe", headers=owner.headers).status_code == 422
    assert client.patch("/admin/api/v1/reviews/999", json={"hidden": True}, headers=owner.headers).status_code == 404
    clerk = staff_token(db_session, shop["tenant"], role="clerk")
    assert client.get("/admin/api/v1/reviews", headers=clerk.headers).status_code == 403


def test_a_review_gives_the_member_the_shops_growth(client, shop, db_session):
    order = completed(client, shop)
    before = client.get("/api/v1/me/member", headers=shop["headers"]).json["member"]["growth"]
    assert review(client, shop, order).status_code == 201
    after = client.get("/api/v1/me/member", headers=shop["headers"]).json["member"]["growth"]
    assert after - before == 5  # the default growth for a review


@pytest.mark.live
def test_two_reviews_of_a_line_at_once_make_one(live_server):
    from tests.engines.membership.test_points_concurrency import open_shop

    shop = open_shop(live_server.app, "reviewers", points=0)
    url = live_server.url
    body = {"lines": [{"sku_id": shop["sku"], "quantity": 1}], "fulfillment": {"type": "pickup",
                                                                              "store_id": shop["store"]}}
    status, placed = http_json("POST", f"{url}/api/v1/checkout", body, shop["headers"])
    assert status == 201, placed
    order_id = placed["order"]["id"]
    with live_server.app.app_context(), tenant_scope(shop["tenant"]):
        from core.db import db
        from engines.orders.lifecycle import mark_paid

        order = find_order(int(order_id))
        mark_paid(order, actor="test")
        verify_code(order.verification_code, actor="staff:1")
        db.session.commit()
    review_body = {"line_id": placed["order"]["lines"][0]["id"], "rating": 5, "body": "Twice?"}
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: http_json("POST", f"{url}/api/v1/orders/{order_id}/reviews", review_body,
                                                    shop["headers"]), range(8)))
    statuses = sorted(status for status, _ in results)
    assert statuses.count(201) == 1 and statuses.count(409) == 7, results
