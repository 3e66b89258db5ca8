"""What consumers see of membership, server side: the member card and the points ledger render as
mount points of a published page (the same bytes for every visitor: the H5 module fills them from
the consumer API), their settings validate, "My points" is a page of the member centre, the
engine's module is served and has every string it shows, and checkout's points row gets what it
draws from the quote."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.components import SYSTEM_PAGES, registry
from core.consumers import issue_token
from core.engines import engine
from core.tenancy import tenant_scope
from engines.membership.ledger import credit
from engines.membership.models import PointsKind
from runtime.document import DocumentError, validate_document

STATIC = Path(__file__).resolve().parents[3] / "engines"


def document(*sections, **pages) -> dict:
    body = {f"s{i}": s for i, s in enumerate(sections)}
    return {"schema_version": 1, "app": {"name": "Club shop", "engines": ["catalog"]},
            "pages": {"home": {"title": "Home", "sections": body, "order": list(body)}, **pages}}


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section [^>]*id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def _strings(html: str) -> dict:
    return json.loads(re.search(r'<template id="t-strings">(.*?)</template>', html, re.S).group(1))


def _used_strings(script: Path) -> set[str]:
    """The keys of T a module reads (T.key and T["key_" + …] prefixes, the latter as "key_*")."""
    text = script.read_text()
    return set(re.findall(r"\bT\.([a-z_]+)", text)) | {f"{p}*" for p in re.findall(r'\bT\["([a-z_]+)" \+', text)}


def _covered(used: set[str], strings: dict) -> set[str]:
    return {key for key in used if not (key in strings or key.endswith("*") and any(
        s.startswith(key[:-1]) for s in strings))}


def test_the_member_card_renders_a_mount_point_with_its_settings_script_and_strings(client, publish_document,
                                                                                     tenant_a):
    publish_document(tenant_a, document({"type": "member_card", "settings": {"title": "Club", "show_sign_in": False}},
                                        {"type": "title"}))
    response = client.get(f"/s/{tenant_a.slug}/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    card = _section(html, "s0")
    assert 'data-app="member_card"' in card and 'data-title="Club"' in card and 'data-show-sign-in="false"' in card
    assert 'class="t-section t-section--member_card"' in card
    assert f'src="/s/{tenant_a.slug}/h5/membership/h5.js"' in html
    strings = _strings(html)
    assert strings["member_sign_in"] == "Sign in today"
    assert strings["member_to_next"] == "{n} more to {tier}"
    assert strings["member_signed_in"] == "Signed in · day {n} in a row"


def test_a_member_card_with_only_its_type_is_valid_and_offers_the_sign_in(client, publish_document, tenant_a):
    loaded = validate_document(document({"type": "member_card"}))
    assert loaded["pages"]["home"]["sections"]["s0"]["settings"] == {"title": "", "show_sign_in": True}
    publish_document(tenant_a, document({"type": "member_card"}))
    card = _section(client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True), "s0")
    assert 'data-show-sign-in="true"' in card and 'data-title=""' in card


@pytest.mark.parametrize(("settings", "field"), [
    ({"title": "x" * 41}, "title"),
    ({"show_sign_in": "yes"}, "show_sign_in"),
    ({"colour": "red"}, "colour"),
])
def test_bad_member_card_settings_name_their_path(settings, field):
    with pytest.raises(DocumentError) as error:
        validate_document(document({"type": "member_card", "settings": settings}))
    assert any(path.startswith("pages.home.sections.s0.settings") and (field in path or field in str(messages))
               for path, messages in error.value.errors.items()), error.value.errors


def test_one_member_card_a_page_and_the_ledger_only_on_its_own_page():
    with pytest.raises(DocumentError):
        validate_document(document({"type": "member_card"}, {"type": "member_card"}))
    with pytest.raises(DocumentError):
        validate_document(document({"type": "points_history"}))
    points = {"title": "My points", "kind": "points_history", "sections": {"main": {"type": "points_history"}},
              "order": ["main"]}
    validate_document(document(points_history=points))


def test_the_components_are_the_engines_and_in_the_member_group_of_the_palette():
    from builder.designer import GROUPS

    assert engine("membership").components == "engines.membership.components"
    card, ledger = registry.get("member_card"), registry.get("points_history")
    assert (card.engine, card.group, card.script, card.limit) == ("membership", "member", "h5.js", 1)
    assert (ledger.engine, ledger.pages, ledger.script) == ("membership", ("points_history",), "h5.js")
    assert str(GROUPS["member"]) == "Membership"
    descriptor = card.descriptor()
    assert [(f["id"], f["widget"], f["default"]) for f in descriptor["settings"]] == [
        ("title", "text", ""), ("show_sign_in", "checkbox", True)]


def test_my_points_is_a_page_of_the_member_centre(client, publish_document, tenant_a):
    page = SYSTEM_PAGES["points_history"]
    assert (page.main, page.engine, page.member_centre, str(page.label)) == ("points_history", "membership", True,
                                                                             "My points")
    publish_document(tenant_a, document({"type": "title"}))
    response = client.get(f"/s/{tenant_a.slug}/my/points_history")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-app="points_history"' in html and "<title>My points · Club shop</title>" in html
    assert f'src="/s/{tenant_a.slug}/h5/membership/h5.js"' in html
    assert _strings(html)["points_more"] == "Load more"
    centre = client.get(f"/s/{tenant_a.slug}/me").get_data(as_text=True)
    extra = json.loads(re.search(r'data-extra="([^"]*)"', centre).group(1).replace("&#34;", '"'))
    assert {"url": f"/s/{tenant_a.slug}/my/points_history", "label": "My points"} in extra["links"]


def test_the_page_is_the_same_for_every_visitor(client, publish_document, shop, create_consumer, db_session):
    tenant = shop["tenant"]
    publish_document(tenant, document({"type": "member_card"}, {"type": "title"}))
    other = create_consumer(tenant)
    with tenant_scope(tenant):
        credit(shop["consumer"].id, 1234, PointsKind.ADJUSTMENT, note="welcome")
        other_token = issue_token(other)
        db_session.commit()
    assert client.post("/api/v1/me/sign-in", headers=shop["headers"]).status_code == 201
    anonymous = client.get(f"/s/{tenant.slug}/")
    first = client.get(f"/s/{tenant.slug}/", headers=shop["headers"])
    second = client.get(f"/s/{tenant.slug}/", headers={"Authorization": f"Bearer {other_token}"})
    assert first.status_code == second.status_code == anonymous.status_code == 200
    assert first.get_data() == second.get_data() == anonymous.get_data()
    assert first.headers["ETag"] == second.headers["ETag"]
    assert "Set-Cookie" not in first.headers and "Set-Cookie" not in second.headers
    html = first.get_data(as_text=True)
    assert "1,234" not in html and "1239" not in html  # the balance comes from the API after load


def test_the_engines_module_is_served_and_has_every_string_it_shows(client, publish_document, tenant_a):
    publish_document(tenant_a, document({"type": "member_card"}))
    response = client.get(f"/s/{tenant_a.slug}/h5/membership/h5.js")
    served = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200 and "javascript" in response.content_type
    assert 'mount("member_card"' in served and 'mount("points_history"' in served
    strings = {**registry.get("member_card").strings, **registry.get("points_history").strings,
               **registry.get("recharge_plans").strings}
    assert _covered(_used_strings(STATIC / "membership" / "static" / "h5.js"), strings) == set()
    assert {"points_kind_" + kind.value for kind in PointsKind} <= set(registry.get("points_history").strings)


def test_checkout_has_the_strings_of_its_points_row():
    used = _used_strings(STATIC / "orders" / "static" / "h5.js")
    assert {"use_points", "points_step", "n_points"} <= used
    assert {"use_points", "points_step", "n_points"} <= set(registry.get("checkout").strings)
    assert {"points_step", "n_points"} <= set(registry.get("order_detail").strings)


def _order_body(shop, points: int) -> dict:
    return {"lines": [{"sku_id": shop["tea"], "quantity": 2}], "fulfillment": {"type": "pickup", "store_id": shop["store"]},
            "points": points}


def test_the_quote_and_the_order_tell_checkout_how_many_points_paid(client, shop, db_session):
    """What the points row draws: the `points` step's money and its `points` (as many as the shop
    lets pay of what was asked), in the quote and in the order placed."""
    with tenant_scope(shop["tenant"]):
        credit(shop["consumer"].id, 5000, PointsKind.ADJUSTMENT, note="welcome")
        db_session.commit()
    quote = client.post("/api/v1/checkout/quote", json=_order_body(shop, 5000), headers=shop["headers"])
    assert quote.status_code == 200, quote.json
    step = next(s for s in quote.json["pricing"] if s["step"] == "points")
    # 2 × ¥12.50; half of it at most (the default cap), at 100 points to ¥1
    assert (step["amount"]["amount"], step["points"], quote.json["total"]["amount"]) == (-1250, 1250, 1250)
    placed = client.post("/api/v1/checkout", json=_order_body(shop, 5000), headers=shop["headers"])
    assert placed.status_code == 201, placed.json
    kept = next(s for s in placed.json["order"]["pricing"] if s["step"] == "points")
    assert (kept["amount"]["display"], kept["points"]) == ("-¥12.50", 1250)
    member = client.get("/api/v1/me/member", headers=shop["headers"]).json["member"]
    assert member["points"]["available"] == 5000 - 1250


def test_the_ledger_pages_newest_first_by_its_cursor(client, shop, db_session):
    """What "Load more" walks: every entry once, newest first, then no cursor."""
    with tenant_scope(shop["tenant"]):
        for amount in range(1, 26):
            credit(shop["consumer"].id, amount, PointsKind.ADJUSTMENT, note=f"gift {amount}")
        db_session.commit()
    first = client.get("/api/v1/me/points?limit=20", headers=shop["headers"]).json
    second = client.get(f"/api/v1/me/points?limit=20&cursor={first['next_cursor']}", headers=shop["headers"]).json
    assert [e["amount"] for e in first["entries"] + second["entries"]] == list(range(25, 0, -1))
    assert second["next_cursor"] is None
    assert first["entries"][0]["balance_after"] == sum(range(1, 26)) and first["entries"][0]["note"] == "gift 25"
