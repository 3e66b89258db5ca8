"""The consumer API of articles: keyset paging, published articles of the request's shop only,
clear 4xx answers, and a query count that does not grow with the items shown."""

from __future__ import annotations

import pytest

from core.tenancy import tenant_scope
from engines.articles.models import Article
from engines.articles.services import delete_article


def test_the_list_pages_with_cursors(client, write, db_session, tenant_a):
    made = [write(tenant_a, f"Story {index}", summary=f"Summary {index}") for index in range(5)]
    write(tenant_a, "A draft", publish=False)
    gone = write(tenant_a, "Gone")
    with tenant_scope(tenant_a):
        delete_article(Article.get(gone.id))
        db_session.commit()
    headers = {"X-Tenant": tenant_a.slug}

    first = client.get("/api/v1/articles?limit=2", headers=headers).json
    second = client.get(f"/api/v1/articles?limit=2&cursor={first['next_cursor']}", headers=headers).json
    third = client.get(f"/api/v1/articles?limit=2&cursor={second['next_cursor']}", headers=headers).json

    assert [a["title"] for a in first["items"]] == ["Story 4", "Story 3"]
    assert [a["title"] for a in second["items"] + third["items"]] == ["Story 2", "Story 1", "Story 0"]
    assert third["next_cursor"] is None and isinstance(first["next_cursor"], str)
    item = first["items"][0]
    assert item == {"id": str(made[4].id), "title": "Story 4", "summary": "Summary 4", "cover": "",
                    "published_at": made[4].published_at.isoformat()}
    everything = client.get("/api/v1/articles", headers=headers).json
    assert (len(everything["items"]), everything["next_cursor"]) == (5, None)


def test_covers_come_with_their_files(client, write, tenant_a):
    write(tenant_a, "Pictured", cover="https://cdn.example/cover.jpg")
    body = client.get("/api/v1/articles", headers={"X-Tenant": tenant_a.slug}).json
    assert body["items"][0]["cover"] == "https://cdn.example/cover.jpg"
    assert body["media"]["https://cdn.example/cover.jpg"]["url"] == "https://cdn.example/cover.jpg"


@pytest.mark.parametrize(("query", "field"), [("limit=0", "limit"), ("limit=51", "limit"), ("limit=ten", "limit"),
                                              ("limit=1.5", "limit"), ("cursor=nonsense", "cursor"),
                                              ("cursor=1.99999999999999999999", "cursor"),
                                              (f"cursor={'1' * 41}", "cursor")])
def test_bad_arguments_get_a_clear_422(client, tenant_a, query, field):
    response = client.get(f"/api/v1/articles?{query}", headers={"X-Tenant": tenant_a.slug})
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid_input"
    assert list(response.json["error"]["fields"]) == [field]


def test_the_list_costs_the_same_queries_for_one_item_or_twenty(client, write, tenant_a, count_queries):
    for index in range(20):
        write(tenant_a, f"Story {index}", cover="https://cdn.example/c.jpg")
    headers = {"X-Tenant": tenant_a.slug}
    client.get("/api/v1/articles?limit=1", headers=headers)  # warm the tenant lookup
    with count_queries() as one:
        assert len(client.get("/api/v1/articles?limit=1", headers=headers).json["items"]) == 1
    with count_queries() as twenty:
        assert len(client.get("/api/v1/articles?limit=20", headers=headers).json["items"]) == 20
    assert len(twenty) == len(one)
    assert sum("articles" in s for s in twenty) == 1


def test_one_article(client, write, tenant_a):
    article = write(tenant_a, "Our story", summary="Since 1998", body="<p>Hello</p>")
    response = client.get(f"/api/v1/articles/{article.id}", headers={"X-Tenant": tenant_a.slug})
    assert response.status_code == 200
    assert response.json["article"] == {"id": str(article.id), "title": "Our story", "summary": "Since 1998",
                                        "cover": "", "body": "<p>Hello</p>",
                                        "published_at": article.published_at.isoformat()}
    assert response.json["media"] == {}


def test_drafts_deleted_and_other_shops_articles_are_404(client, write, db_session, tenant_a, tenant_b):
    draft = write(tenant_a, "Draft", publish=False)
    gone = write(tenant_a, "Gone")
    with tenant_scope(tenant_a):
        delete_article(Article.get(gone.id))
        db_session.commit()
    theirs = write(tenant_b, "Theirs")
    ours = write(tenant_a, "Ours")
    headers = {"X-Tenant": tenant_a.slug}
    for article_id in (draft.id, gone.id, theirs.id, 1, 2**63 - 1, 99999999999999999999):
        response = client.get(f"/api/v1/articles/{article_id}", headers=headers)
        assert (response.status_code, response.json["error"]["code"]) == (404, "not_found"), article_id
    assert client.get("/api/v1/articles/abc", headers=headers).json["error"]["code"] == "not_found"
    assert [a["title"] for a in client.get("/api/v1/articles", headers=headers).json["items"]] == ["Ours"]
    # The other shop sees its own article, and not ours.
    theirs_headers = {"X-Tenant": tenant_b.slug}
    assert client.get(f"/api/v1/articles/{theirs.id}", headers=theirs_headers).json["article"]["title"] == "Theirs"
    assert client.get(f"/api/v1/articles/{ours.id}", headers=theirs_headers).status_code == 404
    assert [a["title"] for a in client.get("/api/v1/articles", headers=theirs_headers).json["items"]] == ["Theirs"]


def test_a_cursor_of_another_shop_shows_nothing_of_it(client, write, tenant_a, tenant_b):
    write(tenant_a, "Ours")
    for index in range(3):
        write(tenant_b, f"Theirs {index}")
    cursor = client.get("/api/v1/articles?limit=1", headers={"X-Tenant": tenant_b.slug}).json["next_cursor"]
    page = client.get(f"/api/v1/articles?cursor={cursor}", headers={"X-Tenant": tenant_a.slug}).json
    assert [a["title"] for a in page["items"]] == ["Ours"]


def test_the_api_needs_a_shop(client, db_session):
    assert client.get("/api/v1/articles").json["error"]["code"] == "tenant_required"


def test_the_routes_are_documented_with_their_arguments(client, db_session):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    listing = paths["/api/v1/articles"]["get"]
    assert {"limit", "cursor"} <= {p.get("name") for p in listing["parameters"]}
    assert {"200", "422"} <= set(listing["responses"])
    assert "404" in paths["/api/v1/articles/{article_id}"]["get"]["responses"]
