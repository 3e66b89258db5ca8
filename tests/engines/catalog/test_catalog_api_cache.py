"""The catalog API's answer cache (engines/catalog/api.py): whole JSON answers kept per shop,
endpoint, normalised arguments and catalog stamp; a constant number of statements on a miss and
none on a hit; catalog writes show in the next answer; shops never share answers; ETag/304."""

from __future__ import annotations

from core.consumers import issue_token
from core.tenancy import tenant_scope
from engines.catalog.services import (create_category, create_item, reserve_stock, set_status, skus_by_item,
                                      update_sku)

LIST = "/api/v1/items?limit=20"


def put_on_sale(db_session, tenant, count: int, *, start: int = 0, **fields) -> list:
    """`count` physical items on sale, "Item <n>" at 10.00 + n cents, 50 in stock, committed."""
    with tenant_scope(tenant):
        items = [create_item(kind="physical", name=f"Item {start + n}", price=1000 + start + n, stock=50,
                             status="on_sale", **fields) for n in range(count)]
        db_session.commit()
    return items


def names(answer) -> list[str]:
    return [item["name"] for item in answer.json["items"]]


def shop(tenant) -> dict:
    return {"X-Tenant": tenant.slug}


def test_a_miss_costs_two_statements_for_5_or_20_items_and_a_hit_none(client, db_session, tenant_a, count_queries):
    # given five items on sale, and the shop's lookup cached by an earlier request
    put_on_sale(db_session, tenant_a, 5)
    client.get("/api/v1/categories", headers=shop(tenant_a))
    # when the list is asked for twice, then again after 15 more items
    with count_queries() as five:
        first = client.get(LIST, headers=shop(tenant_a))
    with count_queries() as hit:
        again = client.get(LIST, headers=shop(tenant_a))
    put_on_sale(db_session, tenant_a, 15, start=5)
    with count_queries() as twenty:
        grown = client.get(LIST, headers=shop(tenant_a))
    # then a miss reads the items and their SKUs, whatever their number; a hit reads nothing
    assert (len(first.json["items"]), len(grown.json["items"])) == (5, 20)
    assert (len(five), len(twenty)) == (2, 2)
    assert hit == []
    assert (again.status_code, again.data) == (200, first.data)


def test_a_hit_of_one_item_or_the_categories_costs_no_statement(client, db_session, tenant_a, count_queries):
    # given an item in a category, both answers asked for once
    with tenant_scope(tenant_a):
        category = create_category(name="Bread")
        db_session.commit()
    [item] = put_on_sale(db_session, tenant_a, 1, category_id=category.id)
    first_item = client.get(f"/api/v1/items/{item.id}", headers=shop(tenant_a))
    first_tree = client.get("/api/v1/categories", headers=shop(tenant_a))
    # when they are asked for again
    with count_queries() as queries:
        item_again = client.get(f"/api/v1/items/{item.id}", headers=shop(tenant_a))
        tree_again = client.get("/api/v1/categories", headers=shop(tenant_a))
    # then the same bytes come from the cache
    assert queries == []
    assert (item_again.data, tree_again.data) == (first_item.data, first_tree.data)
    assert item_again.json["item"]["category_id"] == str(category.id)
    assert [c["name"] for c in tree_again.json["categories"]] == ["Bread"]


def test_a_price_change_shows_in_the_next_answer(client, db_session, tenant_a):
    # given an item at 10.00 whose list and detail answers are cached
    [item] = put_on_sale(db_session, tenant_a, 1)
    before = client.get(LIST, headers=shop(tenant_a))
    client.get(f"/api/v1/items/{item.id}", headers=shop(tenant_a))
    # when the catalog service changes its price
    with tenant_scope(tenant_a):
        update_sku(skus_by_item([item.id])[item.id][0], price=1500, stock=50)
        db_session.commit()
    # then both answers show the new price at once
    after = client.get(LIST, headers=shop(tenant_a))
    detail = client.get(f"/api/v1/items/{item.id}", headers=shop(tenant_a))
    assert before.json["items"][0]["skus"][0]["price"] == {"amount": 1000, "currency": "CNY", "display": "¥10.00"}
    assert after.json["items"][0]["skus"][0]["price"] == {"amount": 1500, "currency": "CNY", "display": "¥15.00"}
    assert detail.json["item"]["skus"][0]["price"] == {"amount": 1500, "currency": "CNY", "display": "¥15.00"}
    assert after.headers["ETag"] != before.headers["ETag"]


def test_an_item_put_off_sale_leaves_the_next_answer(client, db_session, tenant_a):
    # given two items on sale, the list and one item's detail cached
    first, _second = put_on_sale(db_session, tenant_a, 2)
    before = client.get(LIST, headers=shop(tenant_a))
    client.get(f"/api/v1/items/{first.id}", headers=shop(tenant_a))
    # when the first is put off sale
    with tenant_scope(tenant_a):
        set_status(item_ids=[first.id], status="off_sale")
        db_session.commit()
    # then it is gone from the list and its detail at once
    assert names(before) == ["Item 1", "Item 0"]
    assert names(client.get(LIST, headers=shop(tenant_a))) == ["Item 1"]
    gone = client.get(f"/api/v1/items/{first.id}", headers=shop(tenant_a))
    assert (gone.status_code, gone.json["error"]["code"]) == (404, "not_found")


def test_a_new_item_and_a_new_category_show_in_the_next_answer(client, db_session, tenant_a):
    # given one item on sale and no category, both answers cached
    put_on_sale(db_session, tenant_a, 1)
    before = client.get(LIST, headers=shop(tenant_a))
    tree_before = client.get("/api/v1/categories", headers=shop(tenant_a))
    # when a category and an item in it are created
    with tenant_scope(tenant_a):
        category = create_category(name="Cakes")
        create_item(kind="dish", name="Cheesecake", price=2800, stock=5, category_id=category.id, status="on_sale")
        db_session.commit()
    # then both answers show them at once
    assert (names(before), tree_before.json["categories"]) == (["Item 0"], [])
    assert names(client.get(LIST, headers=shop(tenant_a))) == ["Cheesecake", "Item 0"]
    assert client.get("/api/v1/categories", headers=shop(tenant_a)).json["categories"] == [
        {"id": str(category.id), "name": "Cakes", "image": "", "children": []}]


def test_two_shops_never_see_each_others_answers(client, db_session, tenant_a, create_tenant, count_queries):
    # given two shops of the same currency, each with an item of the same name and price, their answers cached
    other = create_tenant("gamma-shop")
    [ours] = put_on_sale(db_session, tenant_a, 1)
    [theirs] = put_on_sale(db_session, other, 1)
    a_list = client.get(LIST, headers=shop(tenant_a))
    b_list = client.get(LIST, headers=shop(other))
    client.get(f"/api/v1/items/{theirs.id}", headers=shop(other))
    # when each shop asks for the other's answers, and shop A changes its catalog
    theirs_from_a = client.get(f"/api/v1/items/{theirs.id}", headers=shop(tenant_a))
    b_etag_at_a = client.get(LIST, headers={**shop(tenant_a), "If-None-Match": b_list.headers["ETag"]})
    with tenant_scope(tenant_a):
        set_status(item_ids=[ours.id], status="off_sale")
        db_session.commit()
    with count_queries() as b_queries:
        b_again = client.get(LIST, headers=shop(other))
    # then each shop sees only its own items, and A's change leaves B's cached answer as it was
    assert [i["id"] for i in a_list.json["items"]] == [str(ours.id)]
    assert [i["id"] for i in b_list.json["items"]] == [str(theirs.id)]
    assert (theirs_from_a.status_code, theirs_from_a.json["error"]["code"]) == (404, "not_found")
    assert (b_etag_at_a.status_code, b_etag_at_a.data) == (200, a_list.data)
    assert names(client.get(LIST, headers=shop(tenant_a))) == []
    assert (b_again.data, b_queries) == (b_list.data, [])


def test_the_shops_currency_is_part_of_the_answer(client, db_session, tenant_a, tenant_b):
    # given the same item in a CNY shop and a USD shop
    put_on_sale(db_session, tenant_a, 1)
    put_on_sale(db_session, tenant_b, 1)
    # when each lists its items
    prices = [client.get(LIST, headers=shop(t)).json["items"][0]["skus"][0]["price"] for t in (tenant_a, tenant_b)]
    # then each answer carries its shop's currency
    assert prices == [{"amount": 1000, "currency": "CNY", "display": "¥10.00"},
                      {"amount": 1000, "currency": "USD", "display": "$10.00"}]


def test_if_none_match_answers_304_until_the_catalog_changes(client, db_session, tenant_a, count_queries):
    # given a cached list and its ETag
    [item] = put_on_sale(db_session, tenant_a, 1)
    first = client.get(LIST, headers=shop(tenant_a))
    etag = first.headers["ETag"]
    # when the client revalidates, before and after the item's price changes
    with count_queries() as queries:
        unchanged = client.get(LIST, headers={**shop(tenant_a), "If-None-Match": etag})
    with tenant_scope(tenant_a):
        update_sku(skus_by_item([item.id])[item.id][0], price=900, stock=50)
        db_session.commit()
    changed = client.get(LIST, headers={**shop(tenant_a), "If-None-Match": etag})
    # then 304 with no body and no statement, then the new answer
    assert (unchanged.status_code, unchanged.data, unchanged.headers["ETag"]) == (304, b"", etag)
    assert queries == []
    assert changed.status_code == 200
    assert changed.json["items"][0]["skus"][0]["price"]["amount"] == 900
    assert changed.headers["ETag"] != etag
    assert (first.headers["Cache-Control"], first.headers["Vary"], first.mimetype) == (
        "public, max-age=0, must-revalidate", "X-Tenant, Authorization", "application/json")


def test_different_arguments_are_different_entries(client, db_session, tenant_a):
    # given two teas in Drinks and a dish, newest last
    with tenant_scope(tenant_a):
        drinks = create_category(name="Drinks")
        db_session.commit()
    put_on_sale(db_session, tenant_a, 2, category_id=drinks.id)  # Item 0, Item 1
    with tenant_scope(tenant_a):
        create_item(kind="dish", name="Noodles", price=2800, stock=5, status="on_sale")
        db_session.commit()

    def ask(query: str):
        return client.get(f"/api/v1/items{query}", headers=shop(tenant_a))

    # when the list is asked for with each argument
    first_page = ask("?limit=1")
    answers = {query: names(ask(query)) for query in (
        "?limit=2", f"?limit=1&cursor={first_page.json['next_cursor']}", "?kind=dish", "?kind=physical",
        "?q=item%201", f"?category={drinks.id}", "?order=best_selling&limit=1")}
    # then each answer is its own
    assert (names(first_page), first_page.json["next_cursor"] is not None) == (["Noodles"], True)
    assert answers == {
        "?limit=2": ["Noodles", "Item 1"],
        f"?limit=1&cursor={first_page.json['next_cursor']}": ["Item 1"],
        "?kind=dish": ["Noodles"],
        "?kind=physical": ["Item 1", "Item 0"],
        "?q=item%201": ["Item 1"],
        f"?category={drinks.id}": ["Item 1", "Item 0"],
        "?order=best_selling&limit=1": ["Noodles"],
    }


def test_arguments_that_mean_the_same_share_one_entry(client, db_session, tenant_a, count_queries):
    # given the default list and a search, cached
    put_on_sale(db_session, tenant_a, 2)
    default = client.get("/api/v1/items", headers=shop(tenant_a))
    search = client.get("/api/v1/items?q=item%201", headers=shop(tenant_a))
    # when they are asked for in other words
    with count_queries() as queries:
        spelled_out = client.get("/api/v1/items?limit=20&order=newest&kind=&unknown=1", headers=shop(tenant_a))
        padded = client.get("/api/v1/items?q=%20%20item%201%20", headers=shop(tenant_a))
    # then the cached answers come back
    assert queries == []
    assert (spelled_out.data, padded.data) == (default.data, search.data)
    assert (names(default), names(search)) == (["Item 1", "Item 0"], ["Item 1"])


def test_refused_arguments_are_not_cached(client, db_session, tenant_a):
    # given an item on sale
    put_on_sale(db_session, tenant_a, 1)
    # when the list is asked for with a bad limit, twice, and with a good one
    refused = [client.get("/api/v1/items?limit=0", headers=shop(tenant_a)) for _ in range(2)]
    good = client.get("/api/v1/items?limit=1", headers=shop(tenant_a))
    # then each refusal says why, and the good answer is unaffected
    assert [(r.status_code, r.json["error"]["fields"]) for r in refused] == [
        (422, {"limit": ["Use a limit from 1 to 50."]})] * 2
    assert "ETag" not in refused[1].headers
    assert names(good) == ["Item 0"]


def test_a_signed_in_consumer_gets_the_same_public_answer(client, db_session, tenant_a, create_consumer,
                                                          count_queries):
    # given the list cached for anonymous visitors, and a consumer's token
    put_on_sale(db_session, tenant_a, 1)
    anonymous = client.get(LIST, headers=shop(tenant_a))
    with tenant_scope(tenant_a):
        token = issue_token(create_consumer(tenant_a))
        db_session.commit()
    # when the consumer asks with the token alone (it names the shop)
    client.get("/api/v1/categories", headers={"Authorization": f"Bearer {token}"})  # the shop's lookup by id
    with count_queries() as queries:
        signed_in = client.get(LIST, headers={"Authorization": f"Bearer {token}"})
    # then the answer holds nothing personal: the same bytes, from the cache
    assert (signed_in.status_code, signed_in.data, queries) == (200, anonymous.data, [])


def test_the_stock_shown_follows_a_reservation_only_near_sell_out(client, db_session, tenant_a):
    # given an item with 50 in stock, its list cached
    [item] = put_on_sale(db_session, tenant_a, 1)
    with tenant_scope(tenant_a):
        sku_id = skus_by_item([item.id])[item.id][0].id

    def shown() -> int:
        return client.get(LIST, headers=shop(tenant_a)).json["items"][0]["skus"][0]["stock"]

    before = shown()
    # when checkouts reserve 30 (20 left), then 10 more (10 left: LOW_STOCK)
    with tenant_scope(tenant_a):
        reserve_stock(sku_id=sku_id, quantity=30)
        db_session.commit()
    lagging = shown()
    with tenant_scope(tenant_a):
        reserve_stock(sku_id=sku_id, quantity=10)
        db_session.commit()
    # then a large count may lag (display only), and at LOW_STOCK the count is exact
    assert (before, lagging, shown()) == (50, 50, 10)
