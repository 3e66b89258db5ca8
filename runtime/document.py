"""The page document (DESIGN.md §3): validation with error paths a merchant can act on, limits,
upgraders, the JSON Schema export and the diff of two versions.

`validate_document(doc)` returns the normalised document (defaults filled, rich text sanitised)
or raises `DocumentError` whose `errors` map paths such as
`pages.home.sections.s2.settings.columns` to messages."""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Callable

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from core.components import SYSTEM_PAGES, Colour, Component, Link, Range, SettingField, Text, registry
from core.engines import registry as engines
from core.engines import engine as engine_named
from core.engines import features_needed, settings_allowed, settings_schema

SCHEMA_VERSION = 1
MAX_PAGES = 40
MAX_SECTIONS = 25
MAX_BLOCKS = 50
MAX_BYTES = 512_000
ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TAB_ICONS = ["home", "category", "cart", "user", "list", "star", "message", "map", "calendar", "book", "search",
             "gift", "heart", "shop"]

# schema_version n -> function upgrading a document from n to n + 1
UPGRADERS: dict[int, Callable[[dict], dict]] = {}


class DocumentError(ValueError):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{path}: {' '.join(msgs)}" for path, msgs in errors.items()))


class ThemeSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True

    primary = Colour("Primary colour", "#E4572E")
    accent = Colour("Accent colour", "#29335C")
    background = Colour("Background", "#F5F5F5")
    text = Colour("Text colour", "#1F1F1F")
    radius = Range("Corner radius", 8, min=0, max=24, unit="px")
    font_scale = Range("Font scale", 100, min=85, max=130, unit="%")


class TabSchema(Schema):
    class Meta:
        unknown = RAISE

    page = fields.String(required=True, validate=validate.Regexp(ID.pattern))
    label = fields.String(required=True, validate=validate.Length(min=1, max=8))
    icon = fields.String(load_default="home", validate=validate.OneOf(TAB_ICONS))


class TemplateRefSchema(Schema):
    class Meta:
        unknown = RAISE

    slug = fields.String(required=True, validate=validate.Length(max=40))
    version = fields.String(required=True, validate=validate.Regexp(r"^\d+\.\d+\.\d+$"))


class AppSchema(Schema):
    class Meta:
        unknown = RAISE
        ordered = True

    name = Text("App name", "My shop", max_length=60)
    template = fields.Nested(TemplateRefSchema, load_default=None, allow_none=True)
    theme = fields.Nested(ThemeSchema, load_default=lambda: ThemeSchema().load({}))
    tabbar = fields.List(fields.Nested(TabSchema), load_default=list, validate=validate.Length(max=5))
    engines = fields.List(fields.String(), load_default=list)
    settings = fields.Dict(keys=fields.String(), values=fields.Dict(), load_default=dict)
    home = fields.String(load_default="home", validate=validate.Regexp(ID.pattern))


SECTION_KEYS = {"type", "settings", "blocks", "block_order", "hidden", "version"}
PAGE_KEYS = {"title", "kind", "sections", "order"}


def empty_document(name: str = "My shop") -> dict:
    """What a tenant created without a template starts with: an empty home page."""
    return validate_document({"schema_version": SCHEMA_VERSION, "app": {"name": name},
                              "pages": {"home": {"title": "Home", "sections": {}, "order": []}}})


def upgrade_document(doc: dict) -> dict:
    """Bring an older document to SCHEMA_VERSION step by step."""
    version = doc.get("schema_version", SCHEMA_VERSION)
    if not isinstance(version, int) or version < 1 or version > SCHEMA_VERSION:
        raise DocumentError({"schema_version": [f"Unsupported schema version {version!r}; this Tessera reads 1 to {SCHEMA_VERSION}."]})
    while version < SCHEMA_VERSION:
        doc = UPGRADERS[version](copy.deepcopy(doc))
        version += 1
        doc["schema_version"] = version
    return doc


def _flatten(prefix: str, messages: Any, out: dict[str, list[str]]) -> None:
    if isinstance(messages, dict):
        for key, value in messages.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        out.setdefault(prefix, []).extend(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            _flatten(f"{prefix}.{index}", value, out)
    else:
        out.setdefault(prefix, []).append(str(messages))


def _load(schema: Schema, data: Any, path: str, errors: dict) -> dict | None:
    if not isinstance(data, dict):
        errors.setdefault(path, []).append("Must be an object.")
        return None
    try:
        return schema.load(data)
    except ValidationError as error:
        _flatten(path, error.messages, errors)
        return None


def _upgrade_settings(component: Component, section: dict) -> dict:
    settings = section.get("settings") or {}
    version = section.get("version", component.version)
    upgraders = getattr(component, "upgraders", {})
    while isinstance(version, int) and version < component.version and version in upgraders:
        settings = upgraders[version](copy.deepcopy(settings))
        version += 1
    return settings


def _section(page_id: str, page_kind: str, sid: str, raw: Any, errors: dict) -> dict | None:
    path = f"pages.{page_id}.sections.{sid}"
    if not ID.match(sid):
        errors.setdefault(path, []).append("Section ids are lowercase letters, digits and _, starting with a letter.")
        return None
    if not isinstance(raw, dict):
        errors.setdefault(path, []).append("Must be an object.")
        return None
    unknown = set(raw) - SECTION_KEYS
    if unknown:
        errors.setdefault(path, []).append(f"Unknown keys: {', '.join(sorted(unknown))}.")
    component = registry.get(raw.get("type")) if isinstance(raw.get("type"), str) else None
    if component is None:
        errors.setdefault(f"{path}.type", []).append(f"Unknown component type {raw.get('type')!r}.")
        return None
    if component.pages is not None and page_kind not in component.pages:
        errors.setdefault(f"{path}.type", []).append(f"{component.label} cannot go on a {page_kind} page.")
    settings = _load(component.Settings(), _upgrade_settings(component, raw), f"{path}.settings", errors)
    section = {"type": component.type, "settings": settings or {}}
    if raw.get("hidden") not in (None, False, True):
        errors.setdefault(f"{path}.hidden", []).append("Must be true or false.")
    if raw.get("hidden"):
        section["hidden"] = True
    if component.version != 1:
        section["version"] = component.version
    blocks_raw = raw.get("blocks") or {}
    order = raw.get("block_order") or []
    if component.blocks or blocks_raw:
        if not isinstance(blocks_raw, dict) or not isinstance(order, list):
            errors.setdefault(f"{path}.blocks", []).append("blocks must be an object and block_order a list.")
            return section
        limit = min(component.max_blocks, MAX_BLOCKS)
        if len(blocks_raw) > limit:
            errors.setdefault(f"{path}.blocks", []).append(f"At most {limit} blocks; this has {len(blocks_raw)}.")
        if len(blocks_raw) < component.min_blocks:
            errors.setdefault(f"{path}.blocks", []).append(f"At least {component.min_blocks} blocks.")
        blocks = {}
        for bid, block in blocks_raw.items():
            bpath = f"{path}.blocks.{bid}"
            if not ID.match(str(bid)) or not isinstance(block, dict):
                errors.setdefault(bpath, []).append("Block ids are lowercase letters, digits and _; blocks are objects.")
                continue
            block_type = component.blocks.get(block.get("type"))
            if block_type is None:
                errors.setdefault(f"{bpath}.type", []).append(
                    f"{component.label} takes blocks of type {', '.join(component.blocks) or 'none'}.")
                continue
            if set(block) - {"type", "settings"}:
                errors.setdefault(bpath, []).append(f"Unknown keys: {', '.join(sorted(set(block) - {'type', 'settings'}))}.")
            loaded = _load(block_type.Settings(), block.get("settings") or {}, f"{bpath}.settings", errors)
            blocks[bid] = {"type": block_type.type, "settings": loaded or {}}
        _check_order(order, blocks_raw, f"{path}.block_order", errors)
        section["blocks"] = blocks
        section["block_order"] = [b for b in order if b in blocks]
    return section


def _check_order(order: Any, keys, path: str, errors: dict) -> None:
    if not isinstance(order, list) or not all(isinstance(k, str) for k in order):
        errors.setdefault(path, []).append("Must be a list of ids.")
        return
    if len(set(order)) != len(order):
        errors.setdefault(path, []).append("Lists an id twice.")
    missing = [k for k in keys if k not in order]
    extra = [k for k in order if k not in keys]
    if missing:
        errors.setdefault(path, []).append(f"Does not list {', '.join(missing)}.")
    if extra:
        errors.setdefault(path, []).append(f"Lists {', '.join(extra)}, which do not exist.")


def _page(page_id: str, raw: Any, errors: dict) -> dict | None:
    path = f"pages.{page_id}"
    if not ID.match(page_id):
        errors.setdefault(path, []).append("Page ids are lowercase letters, digits and _, starting with a letter.")
        return None
    if not isinstance(raw, dict):
        errors.setdefault(path, []).append("Must be an object.")
        return None
    if set(raw) - PAGE_KEYS:
        errors.setdefault(path, []).append(f"Unknown keys: {', '.join(sorted(set(raw) - PAGE_KEYS))}.")
    kind = raw.get("kind", "custom")
    if kind != "custom" and kind not in SYSTEM_PAGES:
        errors.setdefault(f"{path}.kind", []).append(f"Unknown page kind {kind!r}.")
    title = raw.get("title", "")
    if not isinstance(title, str) or not 1 <= len(title) <= 40:
        errors.setdefault(f"{path}.title", []).append("Give the page a title of 1 to 40 characters.")
    sections_raw = raw.get("sections") or {}
    order = raw.get("order") or []
    if not isinstance(sections_raw, dict):
        errors.setdefault(f"{path}.sections", []).append("Must be an object.")
        return None
    if len(sections_raw) > MAX_SECTIONS:
        errors.setdefault(f"{path}.sections", []).append(f"At most {MAX_SECTIONS} sections on a page; this has {len(sections_raw)}.")
    sections = {}
    per_type: dict[str, int] = {}
    for sid, section_raw in sections_raw.items():
        section = _section(page_id, kind, str(sid), section_raw, errors)
        if section:
            sections[sid] = section
            per_type[section["type"]] = per_type.get(section["type"], 0) + 1
    for type_name, count in per_type.items():
        component = registry.get(type_name)
        if component.limit is not None and count > component.limit:
            errors.setdefault(f"{path}.sections", []).append(
                f"{component.label} may appear {component.limit} time(s) on a page; it appears {count} times.")
    if kind in SYSTEM_PAGES and per_type.get(SYSTEM_PAGES[kind].main, 0) != 1:
        errors.setdefault(f"{path}.sections", []).append(
            f"A {SYSTEM_PAGES[kind].label} page needs exactly one {SYSTEM_PAGES[kind].main} section.")
    _check_order(order, sections_raw, f"{path}.order", errors)
    page = {"title": title, "sections": sections, "order": [s for s in order if s in sections] if isinstance(order, list) else []}
    if kind != "custom":
        page["kind"] = kind
    return page


def _check_links(doc: dict, errors: dict) -> None:
    """Every `page:` link, tab and the home page must name a page that exists."""
    pages = doc["pages"]
    for index, tab in enumerate(doc["app"]["tabbar"]):
        if tab["page"] not in pages:
            errors.setdefault(f"app.tabbar.{index}.page", []).append(f"There is no page {tab['page']!r}.")
    if doc["app"]["home"] not in pages:
        errors.setdefault("app.home", []).append(f"There is no page {doc['app']['home']!r}.")
    for page_id, page in pages.items():
        for sid, section in page["sections"].items():
            component = registry.get(section["type"])
            targets = [(f"pages.{page_id}.sections.{sid}.settings", component.Settings, section["settings"])]
            for bid, block in section.get("blocks", {}).items():
                targets.append((f"pages.{page_id}.sections.{sid}.blocks.{bid}.settings",
                                component.blocks[block["type"]].Settings, block["settings"]))
            for path, schema_class, settings in targets:
                for name, field in schema_class().fields.items():
                    value = settings.get(name)
                    if isinstance(field, Link) and isinstance(value, str) and value.startswith("page:") \
                            and value[5:] not in pages:
                        errors.setdefault(f"{path}.{name}", []).append(f"There is no page {value[5:]!r}.")


def _features_missing(name: str | None, enabled: list[str]) -> list[str]:
    """The features `name` needs that `enabled` lacks; an engine this Tessera does not know is
    never on."""
    if not name:
        return []
    if engine_named(name) is None:
        return [] if name in enabled else [name]
    return [needed for needed in features_needed(name) if needed not in enabled]


def validate_document(doc: Any) -> dict:
    """The normalised document, or DocumentError with every problem and its path."""
    if not isinstance(doc, dict):
        raise DocumentError({"document": ["The document must be a JSON object."]})
    size = len(json.dumps(doc, separators=(",", ":"), default=str))
    if size > MAX_BYTES:
        raise DocumentError({"document": [f"The document is {size:,} bytes; the limit is {MAX_BYTES:,}."]})
    doc = upgrade_document(doc)
    errors: dict[str, list[str]] = {}
    unknown = set(doc) - {"schema_version", "app", "pages"}
    if unknown:
        errors["document"] = [f"Unknown keys: {', '.join(sorted(unknown))}."]
    app = _load(AppSchema(), doc.get("app", {}), "app", errors)
    pages_raw = doc.get("pages")
    if not isinstance(pages_raw, dict) or not pages_raw:
        errors.setdefault("pages", []).append("The document needs at least one page.")
        pages_raw = {}
    if len(pages_raw) > MAX_PAGES:
        errors.setdefault("pages", []).append(f"At most {MAX_PAGES} pages; this has {len(pages_raw)}.")
    pages = {}
    for page_id, raw in pages_raw.items():
        page = _page(str(page_id), raw, errors)
        if page is not None:
            pages[page_id] = page
    if app is not None:
        known = {engine.name for engine in engines()}
        for name in app["engines"]:
            if name not in known:
                errors.setdefault("app.engines", []).append(f"Unknown engine {name!r}.")
        for name, settings in list(app["settings"].items()):
            if not settings_allowed(name, app["engines"]):
                errors.setdefault(f"app.settings.{name}", []).append(f"Engine {name!r} is not enabled or has no settings.")
                continue
            app["settings"][name] = _load(settings_schema(name)(), settings, f"app.settings.{name}", errors) or {}
        for page_id, page in pages.items():
            kind = page.get("kind")
            for missing in _features_missing(SYSTEM_PAGES[kind].engine if kind in SYSTEM_PAGES else None, app["engines"]):
                errors.setdefault(f"pages.{page_id}.kind", []).append(f"Needs the {missing} engine, which is not enabled.")
            for sid, section in page["sections"].items():
                component = registry.get(section["type"])
                for missing in _features_missing(component.engine, app["engines"]):
                    errors.setdefault(f"pages.{page_id}.sections.{sid}.type", []).append(
                        f"{component.label} needs the {missing} engine, which is not enabled.")
    normalised = {"schema_version": SCHEMA_VERSION, "app": app, "pages": pages}
    if app is not None:
        _check_links(normalised, errors)
    if errors:
        raise DocumentError(errors)
    return normalised


def diff_documents(old: dict, new: dict) -> dict:
    """What changed between two documents, by stable id: pages and sections added, removed,
    changed (settings, blocks, visibility) and moved; app keys changed."""
    result = {"app": sorted(k for k in set(old["app"]) | set(new["app"]) if old["app"].get(k) != new["app"].get(k)),
              "pages_added": sorted(set(new["pages"]) - set(old["pages"])),
              "pages_removed": sorted(set(old["pages"]) - set(new["pages"])),
              "pages": {}}
    for page_id in sorted(set(old["pages"]) & set(new["pages"])):
        before, after = old["pages"][page_id], new["pages"][page_id]
        added = [s for s in after["order"] if s not in before["sections"]]
        removed = [s for s in before["order"] if s not in after["sections"]]
        common = [s for s in after["order"] if s in before["sections"]]
        changed = [s for s in common if before["sections"][s] != after["sections"][s]]
        moved = [s for s in common if [x for x in before["order"] if x in after["sections"]].index(s) != common.index(s)]
        page_diff = {k: v for k, v in {"added": added, "removed": removed, "changed": changed, "moved": moved,
                                       "title": before["title"] != after["title"]}.items() if v}
        if page_diff:
            result["pages"][page_id] = page_diff
    return result


# -- JSON Schema export -----------------------------------------------------------------------

def _field_schema(field) -> dict:
    if not isinstance(field, SettingField):
        return {}
    info = field.describe()
    out: dict[str, Any] = {"title": str(info.get("label") or "")}
    kind = {"number": "integer", "range": "integer", "checkbox": "boolean"}.get(info["widget"], "string")
    out["type"] = kind
    if info.get("default") is not None:
        out["default"] = info["default"]
    for key, target in (("min", "minimum"), ("max", "maximum"), ("max_length", "maxLength")):
        if info.get(key) is not None:
            out[target] = info[key]
    if "choices" in info:
        out["enum"] = [c["value"] for c in info["choices"]]
    for validator in field.validators:
        if isinstance(validator, validate.Regexp):
            out["pattern"] = validator.regex.pattern
    out["x-widget"] = info["widget"]
    return out


def _object_schema(schema_class) -> dict:
    fields_ = schema_class().fields
    return {"type": "object", "additionalProperties": False,
            "properties": {name: _field_schema(f) for name, f in fields_.items()}}


def json_schema() -> dict:
    """The document's JSON Schema, generated from the same definitions that validate it."""
    section_variants = []
    for component in registry.all():
        section = {"type": "object", "required": ["type"], "additionalProperties": False,
                   "properties": {"type": {"const": component.type}, "settings": _object_schema(component.Settings),
                                  "hidden": {"type": "boolean"}, "version": {"type": "integer"}}}
        if component.blocks:
            section["properties"]["blocks"] = {
                "type": "object", "maxProperties": min(component.max_blocks, MAX_BLOCKS),
                "additionalProperties": {"oneOf": [
                    {"type": "object", "required": ["type"], "additionalProperties": False,
                     "properties": {"type": {"const": b.type}, "settings": _object_schema(b.Settings)}}
                    for b in component.blocks.values()]}}
            section["properties"]["block_order"] = {"type": "array", "items": {"type": "string"}}
        section_variants.append(section)
    id_pattern = ID.pattern
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Tessera app document",
        "type": "object", "required": ["schema_version", "app", "pages"], "additionalProperties": False,
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "app": {"type": "object", "properties": {
                "name": {"type": "string", "maxLength": 60},
                "theme": _object_schema(ThemeSchema),
                "tabbar": {"type": "array", "maxItems": 5, "items": {
                    "type": "object", "required": ["page", "label"],
                    "properties": {"page": {"type": "string", "pattern": id_pattern},
                                   "label": {"type": "string", "maxLength": 8},
                                   "icon": {"enum": TAB_ICONS}}}},
                "engines": {"type": "array", "items": {"enum": sorted(engine.name for engine in engines())}},
                "settings": {"type": "object"},
                "home": {"type": "string", "pattern": id_pattern},
                "template": {"type": ["object", "null"]}}},
            "pages": {"type": "object", "minProperties": 1, "maxProperties": MAX_PAGES,
                      "propertyNames": {"pattern": id_pattern},
                      "additionalProperties": {
                          "type": "object", "required": ["title"], "additionalProperties": False,
                          "properties": {
                              "title": {"type": "string", "minLength": 1, "maxLength": 40},
                              "kind": {"enum": ["custom", *sorted(SYSTEM_PAGES)]},
                              "order": {"type": "array", "items": {"type": "string"}},
                              "sections": {"type": "object", "maxProperties": MAX_SECTIONS,
                                           "propertyNames": {"pattern": id_pattern},
                                           "additionalProperties": {"oneOf": section_variants}}}}},
        },
    }


def contrast_warnings(doc: dict) -> list[str]:
    """Accessibility warnings shown at publish (not errors): text and buttons too faint to read."""
    theme = doc["app"]["theme"]
    warnings = []
    if contrast_ratio(theme["text"], theme["background"]) < 4.5:
        warnings.append(f"Text {theme['text']} on background {theme['background']} has a contrast of "
                        f"{contrast_ratio(theme['text'], theme['background']):.1f}:1; 4.5:1 is the minimum for reading.")
    if contrast_ratio("#FFFFFF", theme["primary"]) < 3:
        warnings.append(f"White button text on the primary colour {theme['primary']} has a contrast of "
                        f"{contrast_ratio('#FFFFFF', theme['primary']):.1f}:1; 3:1 is the minimum.")
    return warnings


def _luminance(colour: str) -> float:
    colour = colour.lstrip("#")
    if len(colour) == 3:
        colour = "".join(c * 2 for c in colour)
    channels = [int(colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
