"""Upgrading a tenant's app to a new template version: a three-way merge of (the template version
the app was built from, the new template version, the merchant's draft).

Pages, sections and blocks are matched by their stable ids; settings merge key by key. For every
value: unchanged by the merchant → the template's new value; unchanged by the template → the
merchant's value; changed the same way by both → that value; changed differently → the merchant's
value is kept and the place is listed as a conflict for the merchant to settle in the designer.
Deleting something the other side changed is a conflict too (the change is kept). Orders of
sections and blocks follow whichever side reordered them, with the other side's additions placed
after their neighbour. The result always validates: what cannot be made valid falls back to the
merchant's draft, with a conflict saying so."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from runtime.document import DocumentError, validate_document

_MISSING = object()


@dataclasses.dataclass
class MergeResult:
    document: dict
    conflicts: list[dict]  # [{"path": "pages.home.sections.s2.settings.title", "reason": ...}]


def _value(base: Any, theirs: Any, mine: Any, path: str, conflicts: list) -> Any:
    if mine == base:
        return theirs
    if theirs == base or theirs == mine:
        return mine
    conflicts.append({"path": path, "reason": "changed by you and by the template", "template": theirs})
    return mine


def _merge_dict(base: dict, theirs: dict, mine: dict, path: str, conflicts: list, merge_child=None) -> dict:
    """Key by key; `merge_child(base, theirs, mine, path)` merges values present on all sides."""
    out: dict = {}
    for key in list(mine) + [k for k in theirs if k not in mine]:
        b, t, m = base.get(key, _MISSING), theirs.get(key, _MISSING), mine.get(key, _MISSING)
        here = f"{path}.{key}" if path else key
        if m is _MISSING:  # absent from the draft: the template added it, or the merchant deleted it
            if b is _MISSING:
                out[key] = copy.deepcopy(t)
            elif t != b and t is not _MISSING:
                conflicts.append({"path": here, "reason": "you deleted it; the template changed it"})
            continue
        if t is _MISSING:  # absent from the new template: added by the merchant, or dropped by it
            if b is _MISSING:
                out[key] = m
            elif m != b:
                conflicts.append({"path": here, "reason": "the template dropped it; you changed it"})
                out[key] = m
            continue  # dropped by the template and untouched by the merchant: gone
        if b is _MISSING:  # added on both sides under the same id
            if m != t:
                conflicts.append({"path": here, "reason": "added by you and by the template"})
            out[key] = m
            continue
        out[key] = merge_child(b, t, m, here) if merge_child else _value(b, t, m, here, conflicts)
    return out


def _merge_order(base: list, theirs: list, mine: list, present: set, path: str, conflicts: list) -> list:
    """The order of ids: whichever side reordered, with the other side's additions placed after
    their neighbour; ids no longer present dropped, missing ones appended."""
    if mine == base:
        order = list(theirs)
    else:
        template_reordered = [i for i in theirs if i in base] != [i for i in base if i in theirs]
        if template_reordered and [i for i in theirs if i in base and i in mine] != \
                [i for i in mine if i in base and i in theirs]:
            conflicts.append({"path": path, "reason": "reordered by you and by the template"})
        order = list(mine)
        for index, item in enumerate(theirs):
            if item not in base and item not in order:
                before = next((theirs[j] for j in range(index - 1, -1, -1) if theirs[j] in order), None)
                order.insert(order.index(before) + 1 if before is not None else 0, item)
    order = [i for i in dict.fromkeys(order) if i in present]
    return order + [i for i in present if i not in order]


def _merge_keys(out: dict, keys: tuple, base: dict, theirs: dict, mine: dict, path: str, conflicts: list) -> None:
    """Merge some optional plain values of a page or section into `out` (absent stays absent)."""
    for key in keys:
        value = _value(base.get(key, _MISSING), theirs.get(key, _MISSING), mine.get(key, _MISSING),
                       f"{path}.{key}", conflicts)
        if value is _MISSING:
            out.pop(key, None)
        else:
            out[key] = value


def _merge_section(base: dict, theirs: dict, mine: dict, path: str, conflicts: list) -> dict:
    if not (base.get("type") == theirs.get("type") == mine.get("type")):
        if theirs != base and mine != base and theirs != mine:
            conflicts.append({"path": path, "reason": "its component changed on both sides"})
        return copy.deepcopy(theirs) if mine == base else mine
    out = dict(mine)
    out["settings"] = _merge_dict(base.get("settings", {}), theirs.get("settings", {}), mine.get("settings", {}),
                                  f"{path}.settings", conflicts)
    _merge_keys(out, ("hidden", "version"), base, theirs, mine, path, conflicts)
    if any("blocks" in side for side in (base, theirs, mine)):
        blocks = _merge_dict(base.get("blocks", {}), theirs.get("blocks", {}), mine.get("blocks", {}),
                             f"{path}.blocks", conflicts,
                             lambda b, t, m, p: _merge_section(b, t, m, p, conflicts))
        out["blocks"] = blocks
        out["block_order"] = _merge_order(base.get("block_order", []), theirs.get("block_order", []),
                                          mine.get("block_order", []), set(blocks), f"{path}.block_order",
                                          conflicts)
    return out


def _merge_page(base: dict, theirs: dict, mine: dict, path: str, conflicts: list) -> dict:
    out = dict(mine)
    _merge_keys(out, ("title", "kind"), base, theirs, mine, path, conflicts)
    sections = _merge_dict(base.get("sections", {}), theirs.get("sections", {}), mine.get("sections", {}),
                           f"{path}.sections", conflicts,
                           lambda b, t, m, p: _merge_section(b, t, m, p, conflicts))
    out["sections"] = sections
    out["order"] = _merge_order(base.get("order", []), theirs.get("order", []), mine.get("order", []),
                                set(sections), f"{path}.order", conflicts)
    return out


def three_way_merge(base: dict, theirs: dict, mine: dict) -> MergeResult:
    """Merge the template's change (base → theirs) into the merchant's draft (mine)."""
    conflicts: list[dict] = []
    base_app, theirs_app, mine_app = base.get("app", {}), theirs.get("app", {}), mine.get("app", {})
    app = _merge_dict(base_app, theirs_app, mine_app, "app", conflicts,
                      lambda b, t, m, p: (_merge_dict(b, t, m, p, conflicts) if isinstance(m, dict)
                                          and isinstance(t, dict) and isinstance(b, dict)
                                          else _value(b, t, m, p, conflicts)))
    app["template"] = theirs_app.get("template", mine_app.get("template"))
    pages = _merge_dict(base.get("pages", {}), theirs.get("pages", {}), mine.get("pages", {}), "pages", conflicts,
                        lambda b, t, m, p: _merge_page(b, t, m, p, conflicts))
    app["tabbar"] = [tab for tab in app.get("tabbar", []) if tab.get("page") in pages]
    if app.get("home") not in pages:
        app["home"] = mine_app.get("home") if mine_app.get("home") in pages else next(iter(pages), "home")
    merged = {**mine, "schema_version": max(mine.get("schema_version", 1), theirs.get("schema_version", 1)),
              "app": app, "pages": pages}
    try:
        return MergeResult(validate_document(merged), conflicts)
    except DocumentError as error:
        kept = dict(mine, app={**mine_app, "template": app["template"]})
        return MergeResult(validate_document(kept), conflicts + [
            {"path": path, "reason": f"the merged page would not be valid ({'; '.join(messages)}); yours is kept"}
            for path, messages in error.errors.items()])
