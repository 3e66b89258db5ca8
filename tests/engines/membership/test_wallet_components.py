"""Stored value as consumers meet it, server side: the recharge plans component renders as a mount
point of a published page (the same bytes for every visitor: the H5 module fills it from the
consumer API), its only setting is a title, it sits in the designer's member group once the
membership engine's features are on, and each view that draws the pay step — the recharge card,
checkout and an order — has every word it shows, the balance's among them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from core.components import registry
from core.engines import features_needed
from runtime.document import DocumentError, validate_document
from tests.builder.test_designer_api import designer  # noqa: F401  the designer's client, signed in
from tests.engines.membership.test_member_components import _covered, _section, _strings, _used_strings, document

ENGINES = Path(__file__).resolve().parents[3] / "engines"
MEMBERSHIP_JS = ENGINES / "membership" / "static" / "h5.js"
ORDERS_JS = ENGINES / "orders" / "static" / "h5.js"
BALANCE_WORDS = {"pay_balance", "balance_short", "recharge"}


def _used_in(script: Path, start: str, end: str | None = None) -> set[str]:
    """The keys of T a part of a module reads, from one comment ruler to the next (as
    _used_strings reads a whole module)."""
    text = script.read_text()
    part = text[text.index(start):text.index(end) if end else None]
    return set(re.findall(r"\bT\.([a-z_]+)", part)) | {f"{p}*" for p in re.findall(r'\bT\["([a-z_]+)" \+', part)}


def test_the_recharge_plans_render_a_mount_point_with_the_title_script_and_strings(client, publish_document,
                                                                                   tenant_a):
    publish_document(tenant_a, document({"type": "recharge_plans", "settings": {"title": "My balance"}},
                                        {"type": "title"}))
    response = client.get(f"/s/{tenant_a.slug}/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    section = _section(html, "s0")
    assert 'data-app="recharge_plans"' in section and 'data-title="My balance"' in section
    assert 'class="t-section t-section--recharge_plans"' in section
    assert f'src="/s/{tenant_a.slug}/h5/membership/h5.js"' in html
    strings = _strings(html)
    assert strings["wallet_balance"] == "Balance"
    assert strings["recharge_pay"] == "Pay {amount}" and strings["recharge_gets"] == "get {amount}"
    assert strings["wallet_more"] == "Load more"
    assert strings["pay_sandbox"] == "Sandbox (test payment, no money moves)"  # the pay step's, for a recharge
    assert "¥" not in section  # the balance comes from the API after load


def test_its_only_setting_is_a_title_of_at_most_forty_characters():
    loaded = validate_document(document({"type": "recharge_plans"}))
    assert loaded["pages"]["home"]["sections"]["s0"]["settings"] == {"title": ""}
    with pytest.raises(DocumentError) as error:
        validate_document(document({"type": "recharge_plans", "settings": {"title": "x" * 41}}))
    assert any(path.startswith("pages.home.sections.s0.settings") for path in error.value.errors), error.value.errors
    with pytest.raises(DocumentError):
        validate_document(document({"type": "recharge_plans"}, {"type": "recharge_plans"}))  # one a page


def test_the_page_is_the_same_for_every_visitor(client, publish_document, shop):
    tenant = shop["tenant"]
    publish_document(tenant, document({"type": "recharge_plans"}))
    anonymous = client.get(f"/s/{tenant.slug}/")
    signed_in = client.get(f"/s/{tenant.slug}/", headers=shop["headers"])
    assert anonymous.status_code == signed_in.status_code == 200
    assert anonymous.get_data() == signed_in.get_data()
    assert "Set-Cookie" not in signed_in.headers


def test_the_palette_offers_it_in_the_member_group_when_the_membership_engine_is_on(designer):  # noqa: F811
    component = registry.get("recharge_plans")
    assert (component.engine, component.group, component.script, component.limit, component.pages) == (
        "membership", "member", "h5.js", 1, None)
    assert [(f["id"], f["widget"], f["default"]) for f in component.descriptor()["settings"]] == [("title", "text", "")]
    assert "recharge_plans" in {c.type for c in registry.available(["catalog", "membership"])}
    assert "recharge_plans" not in {c.type for c in registry.available(["catalog"])}
    # the designer's palette: shown where the document turns on every feature the engine needs
    state = json.loads(re.search(r'<script type="application/json" id="designer-state">(.*?)</script>',
                                 designer.page, re.S).group(1))
    offered = next(c for c in state["components"] if c["type"] == "recharge_plans")
    assert (offered["engine"], offered["group"], offered["needs"]) == ("membership", "member",
                                                                        features_needed("membership"))
    assert offered["needs"] == next(c for c in state["components"] if c["type"] == "member_card")["needs"]
    assert str(offered["label"]) == "Stored value"


def test_the_recharge_card_has_every_string_it_and_the_pay_step_show():
    own = registry.get("recharge_plans").strings
    stored_value = _used_in(MEMBERSHIP_JS, "// -- stored value")
    pay_step = _used_in(ORDERS_JS, "// -- paying: the pay step", "// -- checkout")
    assert {"recharge_pay", "wallet_statement", "wallet_kind_*"} <= stored_value
    assert {"pay_with", "pay_*", *BALANCE_WORDS} <= pay_step
    assert _covered(stored_value | pay_step, own) == set()
    assert {"wallet_kind_" + kind for kind in ("recharge", "payment", "refund", "recharge_refund", "adjustment")} <= set(own)


def test_checkout_and_an_order_have_the_words_of_the_balance(client, publish_document, tenant_a):
    used = _used_strings(ORDERS_JS)
    for kind in ("checkout", "order_detail"):
        strings = registry.get(kind).strings
        assert BALANCE_WORDS | {"pay_with", "pay_sandbox", "pay_stripe", "no_payments"} <= set(strings), kind
    # every word the orders module shows is one of its pages' (the cart's, checkout's, the lists')
    everything = {key: text for kind in ("cart", "checkout", "order_list", "order_detail")
                  for key, text in registry.get(kind).strings.items()}
    assert _covered(used, everything) == set()
    publish_document(tenant_a, document({"type": "title"}))
    strings = _strings(client.get(f"/s/{tenant_a.slug}/checkout").get_data(as_text=True))
    assert strings["pay_balance"] == "Balance ({balance} available)"
    assert strings["balance_short"] == "Your balance ({balance}) does not cover this order ({total})."
    assert strings["recharge"] == "Recharge"
    # the orders engine's own words are still its own
    assert strings["place_order"] == "Place order and pay" and strings["use_points"] == "Use points ({n} available)"


def test_the_recharge_card_pays_through_the_orders_modules_pay_step(client, publish_document, tenant_a):
    """Reused, not copied: the membership module imports the pay step the storefront's checkout
    and order pages use, from where the storefront serves it."""
    publish_document(tenant_a, document({"type": "recharge_plans"}))
    served = {}
    for engine in ("membership", "orders"):
        response = client.get(f"/s/{tenant_a.slug}/h5/{engine}/h5.js")
        served[engine] = response.get_data(as_text=True)
        response.close()
        assert response.status_code == 200
    assert 'import { payChoice, payOrder, providers } from "../orders/h5.js";' in served["membership"]
    assert 'mount("recharge_plans"' in served["membership"]
    assert "/recharge-plans/" in served["membership"] and "/payments/" not in served["membership"]
    for name in ("payChoice", "payOrder", "providers"):
        assert f"export function {name}(" in served["orders"]
