"""What consumers see of the points mall and the task centre, server side: the grid and the task
list render as mount points of a published page (filled by static/mall.js from the consumer API),
"My redemptions" is a page of the member centre, and the module is served with every string it
shows."""

from __future__ import annotations

import re

from core.components import SYSTEM_PAGES, registry
from tests.engines.membership.test_member_components import (STATIC, _covered, _section, _strings, _used_strings,
                                                             document)


def test_the_grid_and_the_task_list_render_mount_points_with_their_settings(client, publish_document, tenant_a):
    publish_document(tenant_a, document({"type": "redemption_grid", "settings": {"title": "Rewards",
                                                                                   "show_balance": False}},
                                        {"type": "task_list", "settings": {"title": "Earn points"}}))
    html = client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    grid, tasks = _section(html, "s0"), _section(html, "s1")
    assert 'data-app="redemption_grid"' in grid and 'data-title="Rewards"' in grid
    assert 'data-show-balance="false"' in grid
    assert 'data-app="task_list"' in tasks and 'data-title="Earn points"' in tasks
    assert f'src="/s/{tenant_a.slug}/h5/membership/mall.js"' in html
    strings = _strings(html)
    assert strings["mall_plus"] == "{points} + {cash}" and strings["task_first_order"] == "Place your first order"
    assert strings["pickup"] == "Pickup at a store"  # the ways to receive, as checkout names them


def test_my_redemptions_is_a_page_of_the_member_centre(client, publish_document, tenant_a):
    assert SYSTEM_PAGES["redemptions"].member_centre
    publish_document(tenant_a, document({"type": "title"}))
    html = client.get(f"/s/{tenant_a.slug}/my/redemptions").get_data(as_text=True)
    assert 'data-app="redemption_records"' in html and "My redemptions" in html


def test_the_module_is_served_and_has_every_string_it_shows(client, publish_document, tenant_a):
    publish_document(tenant_a, document({"type": "redemption_grid"}))
    response = client.get(f"/s/{tenant_a.slug}/h5/membership/mall.js")
    served = response.get_data(as_text=True)
    response.close()
    assert response.status_code == 200 and "javascript" in response.content_type
    for kind in ("redemption_grid", "task_list", "redemption_records", "points_balance"):
        assert f'mount("{kind}"' in served
        assert registry.get(kind).engine == "membership" and registry.get(kind).script == "mall.js"
    assert _covered(_used_strings(STATIC / "membership" / "static" / "mall.js"), {}) != set()  # it reads strings
    for kind, used in strings_by_view(STATIC / "membership" / "static" / "mall.js").items():
        assert _covered(used, registry.get(kind).strings) == set(), kind  # a page holding only this view has them


def strings_by_view(script) -> dict[str, set[str]]:
    """The keys of T each mounted view reads: in its own body and in the module's functions it
    calls (a page carries the strings of the components on it only)."""
    text = script.read_text()
    head, *views = re.split(r'\nmount\("', text)
    helpers = {match.group(1): set(re.findall(r"\bT\.([a-z_]+)", match.group(2)))
               for match in re.finditer(r"\nfunction ([A-Za-z]+)\((.*?)\n}", head, re.S)}
    found = {}
    for view in views:
        kind = view.split('"', 1)[0]
        used = set(re.findall(r"\bT\.([a-z_]+)", view))
        for name, keys in helpers.items():
            if re.search(rf"\b{name}\(", view):
                used |= keys
        found[kind] = used
    return found


def test_the_inbox_is_a_page_of_the_member_centre_with_every_string_it_shows(client, publish_document, tenant_a):
    assert SYSTEM_PAGES["inbox"].member_centre
    publish_document(tenant_a, document({"type": "title"}))
    html = client.get(f"/s/{tenant_a.slug}/my/inbox").get_data(as_text=True)
    assert 'data-app="inbox"' in html and f'src="/s/{tenant_a.slug}/h5/membership/inbox.js"' in html
    views = strings_by_view(STATIC / "membership" / "static" / "inbox.js")
    assert set(views) == {"inbox"} and views["inbox"]
    assert _covered(views["inbox"], registry.get("inbox").strings) == set()
