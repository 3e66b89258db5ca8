"""Engines' flow settings live in the app document: validated by each engine's schema when the
draft is saved, read by the services from the published version, defaults until then."""

from __future__ import annotations

import pytest

from core.engines import flow_settings
from core.errors import APIError
from core.tenancy import tenant_scope
from runtime.services import ensure_app, get_app, publish, save_draft


def _document(settings: dict, engines: list | None = None) -> dict:
    return {"schema_version": 1, "app": {"name": "Shop", "engines": engines or [], "settings": settings},
            "pages": {"home": {"title": "Home", "sections": {}, "order": []}}}


def test_the_defaults_hold_until_a_version_says_otherwise(client, db_session, tenant_a):
    with tenant_scope(tenant_a):
        assert flow_settings("orders")["pay_minutes"] == 30
        save_draft(document=_document({"orders": {"pay_minutes": 45, "dine_in": False}}),
                   revision=ensure_app().revision)
        assert flow_settings("orders")["pay_minutes"] == 30  # a draft changes nothing
        publish(note="settings")
        db_session.commit()
        settings = flow_settings("orders")
    assert (settings["pay_minutes"], settings["dine_in"], settings["express"]) == (45, False, True)


@pytest.mark.parametrize(("settings", "path"), [
    ({"orders": {"pay_minutes": 1}}, "app.settings.orders.pay_minutes"),
    ({"orders": {"express": False, "same_city": False, "pickup": False, "dine_in": False}}, "app.settings.orders.express"),
    ({"orders": {"pickup_prefix": "a1"}}, "app.settings.orders.pickup_prefix"),
    ({"orders": {"colour": "red"}}, "app.settings.orders.colour"),
    ({"articles": {}}, "app.settings.articles"),  # an engine without settings
    ({"nowhere": {}}, "app.settings.nowhere"),
])
def test_bad_settings_are_refused_with_their_path(db_session, tenant_a, settings, path):
    with tenant_scope(tenant_a):
        before = get_app().draft
        with pytest.raises(APIError) as refused:
            save_draft(document=_document(settings, engines=["articles"]), revision=ensure_app().revision)
        assert path in refused.value.fields, refused.value.fields
        assert get_app().draft == before


def test_the_designer_draws_each_engines_settings(client, db_session, create_staff, sign_in, tenant_a):
    import json
    import re

    owner = create_staff(tenant_a)
    sign_in("merchant", owner.email)
    client.get("/merchant/shops")
    page = client.get("/merchant/designer/").get_data(as_text=True)
    state = json.loads(re.search(r'id="designer-state"[^>]*>(.*?)</script>', page, re.S).group(1))
    engines = {engine["name"]: engine for engine in state["engines"]}
    assert [field["id"] for field in engines["orders"]["settings"]][:3] == ["pay_minutes", "complete_days",
                                                                           "after_sales_days"]
    assert engines["orders"]["feature"] is False and engines["catalog"]["feature"] is True
    assert {picker["kind"] for picker in state["pickers"]} == {"item", "category", "article", "bundle"}
