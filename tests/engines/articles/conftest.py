"""Fixtures of the articles tests: committed articles, app documents that show them, and a
signed-in member of staff."""

from __future__ import annotations

import pytest

from core.tenancy import tenant_scope
from engines.articles.services import create_article


@pytest.fixture
def write(db_session):
    """write(tenant, "Title", publish=True, **fields): a committed article of `tenant`."""

    def make(tenant, title, *, publish=True, **kwargs):
        with tenant_scope(tenant):
            article = create_article(title=title, publish=publish, **kwargs)
            db_session.commit()
            return article

    return make


@pytest.fixture
def document():
    """document(*sections): an app with the articles engine, a home page of these sections and
    an article page."""

    def make(*sections, engines=("articles",)):
        body = {f"s{i}": s for i, s in enumerate(sections)}
        return {"schema_version": 1, "app": {"name": "News", "engines": list(engines)},
                "pages": {"home": {"title": "Home", "sections": body, "order": list(body)},
                          "article": {"title": "Article", "kind": "article",
                                      "sections": {"main": {"type": "article_detail"}}, "order": ["main"]}}}

    return make


@pytest.fixture
def staff_client(client, create_staff, sign_in, tenant_a):
    """staff_client("manager"): signs a new member of tenant A's staff in; returns the identity."""

    def enter(role):
        person = create_staff(tenant_a, role)
        sign_in("merchant", person.email)
        client.get("/merchant/shops")  # one shop: it is chosen
        return person

    return enter
