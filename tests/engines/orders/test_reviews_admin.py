"""The reviews' back-office page: the shop's reviews newest first with the item, the order (a link
to it), the stars and the words; all, only shown or only hidden ones, a page at a time; hiding one
from the item page and showing it again (audited as the Admin API audits it); clerks refused,
another shop's review not found, and the page's queries the same however many rows it shows."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db
from core.tenancy import tenant_scope
from engines.orders.models import Review
from tests.engines.marketing.admin_pages import text_of
from tests.engines.orders.conftest import make_shop
from tests.engines.orders.test_orders_admin import api_client, enter  # noqa: F401  enter: a fixture
from tests.engines.orders.test_reviews import completed, review

PAGE = "/merchant/orders/reviews"


def reviewed(app, shop, key: str, rating: int, body: str) -> tuple[dict, dict]:
    """A completed order of one `key` item and its line's review, by the shop's consumer."""
    consumer = api_client(app)
    order = completed(consumer, shop, key)
    made = review(consumer, shop, order, rating=rating, body=body)
    assert made.status_code == 201, made.json
    return order, made.json["review"]


def listed(page: str) -> list[str]:
    """The review ids of the list's rows, in order."""
    return re.findall(r'data-review="(\d+)"', page)


def cells(page: str, review_id: str) -> dict[str, str]:
    """A row's cells as text, by their data-cell name."""
    row = re.search(rf'<tr data-review="{review_id}">(.*?)</tr>', page, re.S).group(1)
    return {name: html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell))).strip()
            for name, cell in re.findall(r'data-cell="(\w+)">(.*?)</td>', row, re.S)}


def hidden_of(tenant, review_id: str) -> bool:
    with tenant_scope(tenant):
        return db.session.scalars(select(Review.hidden).where(Review.id == int(review_id))
                                  .execution_options(populate_existing=True)).one()


def audited(tenant) -> list[tuple[str, str]]:
    return [(entry.action, entry.target) for entry in db.session.scalars(
        select(AuditEntry).where(AuditEntry.tenant_id == tenant.id, AuditEntry.action.like("review.%"))
        .order_by(AuditEntry.at, AuditEntry.id))]


def shown_on_item(client, shop, item_id: str) -> dict:
    return client.get(f"/api/v1/items/{item_id}/reviews", headers={"X-Tenant": shop["tenant"].slug}).json


# -- the list ---------------------------------------------------------------------------------------

def test_a_manager_sees_the_reviews_newest_first_with_their_item_order_and_stars(client, app, shop, enter):  # noqa: F811
    tea_order, tea = reviewed(app, shop, "tea", 4, "Fresh & fragrant")
    cake_order, cake = reviewed(app, shop, "cake", 2, "")
    enter("manager")
    dashboard = client.get("/merchant/").get_data(as_text=True)
    assert f'href="{PAGE}"' in dashboard and "ti-star" in dashboard  # in the navigation
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert listed(page) == [cake["id"], tea["id"]]
    tea_row = cells(page, tea["id"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", tea_row.pop("date"))
    assert tea_row == {"item": "Tea", "order": tea_order["number"], "rating": "★★★★ ★",
                       "body": "Fresh & fragrant", "status": "Shown"}
    assert f'href="/merchant/orders/{tea_order["id"]}">{tea_order["number"]}</a>' in page
    assert 'aria-label="4 stars"' in page and 'aria-label="2 stars"' in page
    assert cells(page, cake["id"])["body"] == "No words, only stars"
    assert cells(page, cake["id"])["order"] == cake_order["number"]
    assert page.count('value="hide"') == 2 and 'value="show"' not in page


def test_the_list_filters_shown_and_hidden_reviews(client, app, shop, enter):  # noqa: F811
    _, tea = reviewed(app, shop, "tea", 5, "Lovely")
    _, cake = reviewed(app, shop, "cake", 1, "Stale")
    with tenant_scope(shop["tenant"]):
        db.session.execute(Review.__table__.update().where(Review.id == int(cake["id"])).values(hidden=True))
        db.session.commit()
    enter("manager")
    assert listed(client.get(PAGE).get_data(as_text=True)) == [cake["id"], tea["id"]]
    assert listed(client.get(f"{PAGE}?showing=shown").get_data(as_text=True)) == [tea["id"]]
    hidden = client.get(f"{PAGE}?showing=hidden").get_data(as_text=True)
    assert listed(hidden) == [cake["id"]] and cells(hidden, cake["id"])["status"] == "Hidden"
    assert 'value="show"' in hidden and 'value="hide"' not in hidden
    assert re.search(r'class="nav-link active" href="[^"]*showing=hidden" aria-current="page"', hidden)
    assert listed(client.get(f"{PAGE}?showing=maybe").get_data(as_text=True)) == [cake["id"], tea["id"]]


def test_the_list_pages_by_keyset(client, app, shop, enter, monkeypatch):  # noqa: F811
    monkeypatch.setattr("engines.orders.admin_reviews.PAGE", 1)
    _, tea = reviewed(app, shop, "tea", 5, "Lovely")
    _, cake = reviewed(app, shop, "cake", 3, "Fine")
    enter("manager")
    first = client.get(PAGE).get_data(as_text=True)
    assert listed(first) == [cake["id"]]
    older = re.search(r'href="([^"]*before=\d+)"', first).group(1).replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert listed(second) == [tea["id"]] and "Older" not in second  # the last page
    assert re.search(rf'<a class="btn" href="{PAGE}">.*?Newest', second, re.S)  # and back to the first
    assert "Newest" not in first
    assert listed(client.get(f"{PAGE}?before=nonsense").get_data(as_text=True)) == [cake["id"]]


def test_the_page_costs_the_same_queries_however_many_reviews_it_shows(client, app, shop, enter,  # noqa: F811
                                                                       count_queries):
    reviewed(app, shop, "tea", 5, "Lovely")
    enter("manager")
    with count_queries() as few:
        assert client.get(PAGE).status_code == 200
    reviewed(app, shop, "cake", 4, "Good")
    reviewed(app, shop, "tea", 3, "Fine")
    with count_queries() as many:
        page = client.get(PAGE)
    assert page.status_code == 200 and len(listed(page.get_data(as_text=True))) == 3
    assert len(many) == len(few)


# -- hiding and showing -----------------------------------------------------------------------------

def test_a_manager_hides_a_review_and_shows_it_again_audited(client, app, shop, enter, form_post):  # noqa: F811
    order, made = reviewed(app, shop, "tea", 4, "Fresh and fragrant")
    item = order["lines"][0]["item_id"]
    enter("manager")
    hidden = form_post(f"{PAGE}/{made['id']}", {"action": "hide", "showing": "shown"}, page=PAGE)
    assert hidden.status_code == 302 and hidden.headers["Location"] == f"{PAGE}?showing=shown"
    assert hidden_of(shop["tenant"], made["id"]) is True
    assert audited(shop["tenant"]) == [("review.hide", f"review {made['id']}")]
    assert shown_on_item(client, shop, item) == {"rating": {"average": None, "count": 0}, "reviews": [],
                                                 "next_cursor": None}
    said = text_of(client.get(f"{PAGE}?showing=hidden"))
    assert "Review hidden: the item page no longer shows it." in said
    # hiding what is hidden already changes nothing and audits nothing
    again = form_post(f"{PAGE}/{made['id']}", {"action": "hide"}, page=PAGE)
    assert again.status_code == 302 and again.headers["Location"] == PAGE
    assert audited(shop["tenant"]) == [("review.hide", f"review {made['id']}")]
    shown = form_post(f"{PAGE}/{made['id']}", {"action": "show"}, page=PAGE, follow_redirects=True)
    assert "Review shown on the item page again." in text_of(shown)
    assert cells(shown.get_data(as_text=True), made["id"])["status"] == "Shown"
    assert hidden_of(shop["tenant"], made["id"]) is False
    assert audited(shop["tenant"]) == [("review.hide", f"review {made['id']}"), ("review.show", f"review {made['id']}")]
    assert shown_on_item(client, shop, item)["rating"] == {"average": 4.0, "count": 1}


def test_a_bad_or_expired_form_changes_nothing(client, app, shop, enter, form_post):  # noqa: F811
    _, made = reviewed(app, shop, "tea", 4, "Fine")
    enter("manager")
    assert form_post(f"{PAGE}/{made['id']}", {"action": "delete"}, page=PAGE).status_code == 400
    assert client.post(f"{PAGE}/{made['id']}", data={"action": "hide"}).status_code == 400  # no CSRF token
    assert form_post(f"{PAGE}/999999", {"action": "hide"}, page=PAGE).status_code == 404
    assert hidden_of(shop["tenant"], made["id"]) is False and audited(shop["tenant"]) == []


def test_clerks_may_not_see_or_hide_reviews(client, app, shop, enter, form_post):  # noqa: F811
    _, made = reviewed(app, shop, "tea", 4, "Fine")
    enter("clerk")
    assert client.get(PAGE).status_code == 403
    refused = form_post(f"{PAGE}/{made['id']}", {"action": "hide"}, page="/merchant/orders/verify")
    assert refused.status_code == 403
    assert f'href="{PAGE}"' not in client.get("/merchant/").get_data(as_text=True)
    assert hidden_of(shop["tenant"], made["id"]) is False and audited(shop["tenant"]) == []


def test_another_shops_review_is_not_found(client, app, shop, enter, form_post, tenant_b,  # noqa: F811
                                           create_consumer, db_session):
    theirs = make_shop(tenant_b, create_consumer)
    db_session.commit()
    _, their_review = reviewed(app, theirs, "tea", 1, "Theirs")
    enter("manager")
    assert listed(client.get(PAGE).get_data(as_text=True)) == []
    for action in ("hide", "show"):
        assert form_post(f"{PAGE}/{their_review['id']}", {"action": action}, page=PAGE).status_code == 404
    assert hidden_of(tenant_b, their_review["id"]) is False
    assert audited(shop["tenant"]) == audited(tenant_b) == []
