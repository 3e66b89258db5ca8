"""The back office of articles: the permission on every view, CSRF on every form, errors on
their fields with nothing written, and an audit row for every write."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.tenancy import tenant_scope
from engines.articles.models import Article, ArticleStatus


def _articles(db_session, tenant) -> list[Article]:
    with tenant_scope(tenant):
        return list(db_session.scalars(select(Article).order_by(Article.id)))


def _audit(db_session, tenant) -> list[tuple[str, str, dict]]:
    rows = db_session.execute(select(AuditEntry.action, AuditEntry.target, AuditEntry.details)
                              .where(AuditEntry.tenant_id == tenant.id, AuditEntry.action.like("article.%"))
                              .order_by(AuditEntry.at, AuditEntry.id))
    return [tuple(row) for row in rows]


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_clerks_are_refused_everywhere(client, staff_client, form_post, write, db_session, tenant_a):
    article = write(tenant_a, "Menu", publish=False)
    staff_client("clerk")
    page = f"/merchant/articles/{article.id}"
    for url in ("/merchant/articles/", "/merchant/articles/new", page, f"{page}/delete"):
        assert client.get(url).status_code == 403, url
    # With a valid CSRF token (from the dashboard), the permission still refuses.
    for url in ("/merchant/articles/new", page, f"{page}/publish", f"{page}/unpublish", f"{page}/delete"):
        assert form_post(url, {"title": "Mine now"}, page="/merchant/").status_code == 403, url
    assert [(a.title, a.status, a.deleted_at) for a in _articles(db_session, tenant_a)] == [
        ("Menu", ArticleStatus.DRAFT, None)]
    assert _audit(db_session, tenant_a) == []
    assert "/merchant/articles" not in client.get("/merchant/").get_data(as_text=True)


def test_signed_out_people_are_sent_to_sign_in(client, db_session):
    response = client.get("/merchant/articles/")
    assert response.status_code == 302 and "/merchant/login" in response.headers["Location"]


def test_managers_and_owners_see_the_articles(client, staff_client, write, tenant_a):
    write(tenant_a, "Published one")
    write(tenant_a, "Draft one", publish=False)
    staff_client("manager")
    page = client.get("/merchant/articles/")
    assert page.status_code == 200
    assert "Published one" in _text(page) and "Draft one" in _text(page)
    assert 'href="/merchant/articles/"' in client.get("/merchant/").get_data(as_text=True)  # the nav entry
    form = _text(client.get("/merchant/articles/new"))
    assert 'name="csrf_token"' in form and "media:123 from the media library" in form


def test_forms_without_a_csrf_token_are_refused(client, staff_client, write, db_session, tenant_a):
    article = write(tenant_a, "Menu", publish=False)
    staff_client("manager")
    page = f"/merchant/articles/{article.id}"
    assert client.post("/merchant/articles/new", data={"title": "Forged"}).status_code == 400
    for url in (page, f"{page}/publish", f"{page}/delete"):
        assert client.post(url, data={"title": "Forged", "csrf_token": "wrong"}).status_code == 400, url
    assert [(a.title, a.status, a.deleted_at) for a in _articles(db_session, tenant_a)] == [
        ("Menu", ArticleStatus.DRAFT, None)]
    assert _audit(db_session, tenant_a) == []


@pytest.mark.parametrize(("data", "message"), [
    ({"title": "", "body": "<p>x</p>"}, "This field is required."),
    ({"title": "x" * 121}, "Field cannot be longer than 120 characters."),
    ({"title": "Cover", "cover": "ftp://x"}, "Use an image from the media library (media:&lt;id&gt;) or an https address."),
    ({"title": "Cover", "cover": "media:42"}, "There is no such image in the media library."),
])
def test_form_errors_are_shown_on_their_fields_and_nothing_is_written(staff_client, form_post, db_session, tenant_a,
                                                                      data, message):
    staff_client("manager")
    response = form_post("/merchant/articles/new", data)
    assert response.status_code == 400
    assert re.search(r'is-invalid[^>]*>\s*<div class="invalid-feedback d-block">' + re.escape(message), _text(response))
    assert _articles(db_session, tenant_a) == []
    assert _audit(db_session, tenant_a) == []


def test_a_manager_writes_publishes_and_deletes(client, staff_client, form_post, db_session, tenant_a):
    manager = staff_client("manager")
    created = form_post("/merchant/articles/new", {"title": "Autumn menu", "summary": "Chestnuts",
                                                   "body": '<p>Roasted<script>x()</script></p>', "save": "1"})
    assert created.status_code == 302
    [article] = _articles(db_session, tenant_a)
    assert (article.title, article.body, article.status, article.author_id) == (
        "Autumn menu", "<p>Roasted</p>", ArticleStatus.DRAFT, manager.id)
    page = f"/merchant/articles/{article.id}"
    assert created.headers["Location"] == page

    assert form_post(f"{page}/publish", {}, page=page).status_code == 302
    assert article.status == ArticleStatus.PUBLISHED
    assert form_post(f"{page}/unpublish", {}, page=page).status_code == 302
    assert article.status == ArticleStatus.DRAFT
    assert form_post(page, {"title": "Autumn menu, updated", "summary": "Chestnuts", "body": "<p>More</p>"}
                     ).status_code == 302
    assert (article.title, article.body) == ("Autumn menu, updated", "<p>More</p>")
    assert form_post(page, {"title": "Autumn menu, final", "summary": "Chestnuts", "body": "<p>More</p>",
                            "publish": "1"}).status_code == 302
    assert (article.title, article.status) == ("Autumn menu, final", ArticleStatus.PUBLISHED)

    confirm = client.get(f"{page}/delete")
    assert confirm.status_code == 200 and "Autumn menu, final" in _text(confirm)
    assert article.deleted_at is None  # asking is not deleting
    deleted = form_post(f"{page}/delete", {}, page=f"{page}/delete")
    assert (deleted.status_code, deleted.headers["Location"]) == (302, "/merchant/articles/")
    assert article.deleted_at is not None and len(_articles(db_session, tenant_a)) == 1  # soft: the row stays
    assert client.get(page).status_code == 404
    assert "Autumn menu" not in _text(client.get("/merchant/articles/"))

    target = f"article {article.id}"
    assert _audit(db_session, tenant_a) == [
        ("article.create", target, {"title": "Autumn menu", "status": "draft"}),
        ("article.publish", target, {"title": "Autumn menu"}),
        ("article.unpublish", target, {"title": "Autumn menu"}),
        ("article.update", target, {"title": "Autumn menu, updated", "changed": ["title", "body"]}),
        ("article.update", target, {"title": "Autumn menu, final", "changed": ["title"]}),
        ("article.publish", target, {"title": "Autumn menu, final"}),
        ("article.delete", target, {"title": "Autumn menu, final"}),
    ]
    actors = db_session.scalars(select(func.count(func.distinct(AuditEntry.actor_id)))
                                .where(AuditEntry.tenant_id == tenant_a.id, AuditEntry.action.like("article.%")))
    assert list(actors) == [1]


def test_save_and_publish_a_new_article(staff_client, form_post, db_session, tenant_a):
    staff_client("owner")
    assert form_post("/merchant/articles/new", {"title": "Grand opening", "publish": "1"}).status_code == 302
    [article] = _articles(db_session, tenant_a)
    assert article.status == ArticleStatus.PUBLISHED
    assert _audit(db_session, tenant_a) == [("article.create", f"article {article.id}",
                                             {"title": "Grand opening", "status": "published"})]


def test_an_edit_refused_by_the_service_changes_nothing(staff_client, form_post, write, db_session, tenant_a):
    article = write(tenant_a, "Menu", summary="Short")
    staff_client("manager")
    page = f"/merchant/articles/{article.id}"
    response = form_post(page, {"title": "New title", "summary": "New summary", "cover": "media:1"})
    assert response.status_code == 400
    assert "There is no such image in the media library." in _text(response)
    assert 'value="New title"' in _text(response)  # what was typed is kept for correcting
    [stored] = _articles(db_session, tenant_a)
    assert (stored.title, stored.summary) == ("Menu", "Short")
    assert _audit(db_session, tenant_a) == []


def test_the_list_filters_by_status_and_pages(client, staff_client, write, tenant_a, monkeypatch):
    from engines.articles import admin

    for index in range(3):
        write(tenant_a, f"Published {index}")
    write(tenant_a, "Draft 0", publish=False)
    staff_client("manager")
    drafts = _text(client.get("/merchant/articles/?status=draft"))
    assert "Draft 0" in drafts and "Published" not in drafts.split("<tbody>")[1]
    assert "Draft 0" not in _text(client.get("/merchant/articles/?status=published"))
    assert "Draft 0" in _text(client.get("/merchant/articles/?status=nonsense"))  # an unknown filter shows all

    monkeypatch.setattr(admin, "PAGE_SIZE", 2)
    first = _text(client.get("/merchant/articles/?status=published"))
    assert "Published 2" in first and "Published 1" in first and "Published 0" not in first
    older = re.search(r'href="(/merchant/articles/\?[^"]*before=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    second = _text(client.get(older))
    assert "Published 0" in second and "Published 1" not in second and "Draft 0" not in second
    assert not re.search(r"before=\d+", second)  # the last page


def test_other_shops_articles_and_bad_ids_are_404(client, staff_client, form_post, write, db_session, tenant_a,
                                                  tenant_b):
    theirs = write(tenant_b, "Theirs")
    staff_client("owner")
    page = f"/merchant/articles/{theirs.id}"
    assert client.get(page).status_code == 404
    assert client.get(f"{page}/delete").status_code == 404
    for url in (page, f"{page}/unpublish", f"{page}/delete"):
        assert form_post(url, {"title": "Mine now"}, page="/merchant/articles/").status_code == 404, url
    [stored] = _articles(db_session, tenant_b)
    assert (stored.title, stored.status, stored.deleted_at) == ("Theirs", ArticleStatus.PUBLISHED, None)
    for url in ("/merchant/articles/99999999999999999999", "/merchant/articles/9223372036854775808/delete"):
        assert client.get(url).status_code == 404
    assert client.get("/merchant/articles/?before=99999999999999999999999").status_code == 200
