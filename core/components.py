"""The component contract (DESIGN.md §3): the base class of page component types, their setting
field types and the registry. It lives in core so engines declare components without importing
runtime; runtime validates, renders and serves them.

A component type declares `type`, `label`, `group`, `icon`, a marshmallow `Settings` schema built
from the field types below (loading validates and fills defaults; the designer draws its property
panel from `descriptor()`), the `blocks` it accepts, `presets`, a per-page `limit`, the pages it
may go on, the engine it needs, a Jinja template for H5 and `to_api()` for native clients."""

from __future__ import annotations

import re
from typing import Any, ClassVar

import nh3
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, missing, validate

# -- setting field types ----------------------------------------------------------------------


class SettingField:
    """Mixin: a marshmallow field that knows the widget the designer draws for it."""

    widget: ClassVar[str] = "text"

    def describe(self) -> dict:
        meta = dict(self.metadata)
        out = {"widget": self.widget, "label": meta.pop("label", None), "help": meta.pop("help", None),
               "default": self.load_default if self.load_default is not missing else None}
        for validator in self.validators:
            if isinstance(validator, validate.Range):
                out.update(min=validator.min, max=validator.max)
            elif isinstance(validator, validate.Length):
                out.update(max_length=validator.max)
            elif isinstance(validator, validate.OneOf):
                labels = meta.pop("choice_labels", None) or list(validator.choices)
                out["choices"] = [{"value": v, "label": str(label)} for v, label in zip(validator.choices, labels)]
        out.update(meta)
        return {k: (str(v) if k in ("label", "help") else v) for k, v in out.items() if v is not None}


def _kw(label, default, help, kwargs):
    kwargs.setdefault("load_default", default)
    kwargs.setdefault("dump_default", default)
    metadata = kwargs.pop("metadata", {})
    metadata.update(label=label, help=help)
    return {**kwargs, "metadata": metadata}


class Text(SettingField, fields.String):
    widget = "text"

    def __init__(self, label, default="", *, max_length=200, pattern: str | None = None, pattern_error: str = "",
                 help=None, **kwargs):
        validators = [validate.Length(max=max_length)]
        if pattern:
            validators.append(validate.Regexp(pattern, error=pattern_error or "Not in the expected form."))
        super().__init__(validate=validators, **_kw(label, default, help, kwargs))


class TextArea(Text):
    widget = "textarea"

    def __init__(self, label, default="", *, max_length=2000, **kwargs):
        super().__init__(label, default, max_length=max_length, **kwargs)


ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "s", "a", "ul", "ol", "li", "h2", "h3", "h4",
                "blockquote", "img", "span", "hr"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "span": {"class"}}


def sanitize_html(html: str) -> str:
    """Rich text as stored and shown: a short allow-list, safe links only (nh3)."""
    return nh3.clean(html or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer")


class RichText(SettingField, fields.String):
    """HTML sanitised with nh3 whenever it is loaded (saved) — and again when rendered."""

    widget = "richtext"

    def __init__(self, label, default="", *, max_length=20000, help=None, **kwargs):
        super().__init__(validate=validate.Length(max=max_length), **_kw(label, default, help, kwargs))

    def _deserialize(self, value, attr, data, **kwargs):
        return sanitize_html(super()._deserialize(value, attr, data, **kwargs))


class Integer(SettingField, fields.Integer):
    widget = "number"

    def __init__(self, label, default=0, *, min=None, max=None, help=None, **kwargs):
        super().__init__(strict=True, validate=validate.Range(min=min, max=max), **_kw(label, default, help, kwargs))


class Range(Integer):
    widget = "range"

    def __init__(self, label, default, *, min, max, step=1, unit=None, **kwargs):
        metadata = kwargs.pop("metadata", {})
        metadata.update(step=step, unit=unit)
        super().__init__(label, default, min=min, max=max, metadata=metadata, **kwargs)


class Checkbox(SettingField, fields.Boolean):
    widget = "checkbox"

    def __init__(self, label, default=False, *, help=None, **kwargs):
        super().__init__(truthy={True}, falsy={False}, **_kw(label, default, help, kwargs))


class Select(SettingField, fields.String):
    widget = "select"

    def __init__(self, label, choices: list[tuple[str, str]] | list[str], default=None, *, help=None, **kwargs):
        values = [c[0] if isinstance(c, tuple) else c for c in choices]
        labels = [c[1] if isinstance(c, tuple) else c for c in choices]
        kwargs.setdefault("metadata", {})["choice_labels"] = labels
        super().__init__(validate=validate.OneOf(values),
                         **_kw(label, values[0] if default is None else default, help, kwargs))


COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


class Colour(SettingField, fields.String):
    """A #rgb or #rrggbb colour and nothing else, so a theme can never carry CSS or script."""

    widget = "colour"

    def __init__(self, label, default="#000000", *, allow_empty=False, help=None, **kwargs):
        pattern = r"^(?:#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}))?$" if allow_empty else COLOUR.pattern
        super().__init__(validate=validate.Regexp(pattern, error="Use a colour such as #E4572E."),
                         **_kw(label, default, help, kwargs))


MEDIA_REF = re.compile(r"^(?:media:[0-9]{1,19}|https://[^\s\"'<>]{1,500})$")


class Image(SettingField, fields.String):
    """`media:<id>` from the tenant's media library, or an https URL."""

    widget = "image"

    def __init__(self, label, default="", *, help=None, **kwargs):
        super().__init__(validate=validate.Regexp(r"^$|" + MEDIA_REF.pattern, error="Pick an image from the media library."),
                         **_kw(label, default, help, kwargs))


class Video(Image):
    widget = "video"


LINK = re.compile(r"^(?:page:[a-z0-9_]{1,40}|url:https?://[^\s\"'<>]{1,500}|tel:\+?[0-9-]{3,20}|"
                  r"(?:item|category|article|coupon):[0-9]{1,19})$")


class Link(SettingField, fields.String):
    """Where a tap goes: `page:<page id>`, `url:https://…`, `tel:…`, or `item:`/`category:`/
    `article:`/`coupon:<id>`. Links to pages are checked against the document."""

    widget = "link"

    def __init__(self, label, default="", *, help=None, **kwargs):
        super().__init__(validate=validate.Regexp(r"^$|" + LINK.pattern, error="Choose a page, an item or an https address."),
                         **_kw(label, default, help, kwargs))


class Reference(SettingField, fields.String):
    """An id of something an engine owns, picked in the designer (`item`, `category`, `coupon`,
    `article_category` …): stored as `<kind>:<id>`."""

    widget = "picker"

    def __init__(self, label, kind: str, default="", *, help=None, **kwargs):
        kwargs.setdefault("metadata", {})["kind"] = kind
        super().__init__(validate=validate.Regexp(rf"^$|^{kind}:[0-9]{{1,19}}$", error=f"Pick a {kind}."),
                         **_kw(label, default, help, kwargs))


class SettingsSchema(Schema):
    """Base of component and block settings: unknown keys are refused, so a typo is an error."""

    class Meta:
        unknown = RAISE
        ordered = True


# -- components -------------------------------------------------------------------------------

class BlockType:
    type: ClassVar[str]
    label: ClassVar[str]
    Settings: ClassVar[type[Schema]] = SettingsSchema


class Component:
    """Base of every page component type. Subclasses set the class attributes and may override
    `load` (one batched query for all sections of the type on a page) and `to_api`."""

    type: ClassVar[str]
    label: ClassVar[str]
    group: ClassVar[str] = "basic"
    icon: ClassVar[str] = "square"
    Settings: ClassVar[type[Schema]] = SettingsSchema
    blocks: ClassVar[dict[str, type[BlockType]]] = {}
    max_blocks: ClassVar[int] = 50
    min_blocks: ClassVar[int] = 0
    presets: ClassVar[list[dict]] = []
    limit: ClassVar[int | None] = None  # per page
    pages: ClassVar[tuple[str, ...] | None] = None  # page kinds it may go on; None: any
    engine: ClassVar[str | None] = None
    template: ClassVar[str]  # Jinja template for H5
    version: ClassVar[int] = 1
    # The H5 module that brings the section to life (an ES module): a file under the engine's
    # static/ folder (engines/<engine>/static/h5.js), or under runtime/static/ for the basic library.
    script: ClassVar[str | None] = None
    # Text its module shows, translated when the page is rendered: {"key": lazy_gettext(...)}.
    strings: ClassVar[dict[str, Any]] = {}

    def load(self, ctx: Any, sections: list[dict]) -> dict[str, Any]:
        """Data for the given sections of this type, keyed by section id, in one batch."""
        return {}

    def to_api(self, section: dict, data: Any) -> dict:
        """What native clients render: the settings, the blocks in order and the loaded data."""
        out = {"settings": section["settings"]}
        if self.blocks:
            out["blocks"] = [{"id": bid, **section["blocks"][bid]} for bid in section.get("block_order", [])]
        if data is not None:
            out["data"] = data
        return out

    @classmethod
    def descriptor(cls) -> dict:
        return {
            "type": cls.type, "label": str(cls.label), "group": cls.group, "icon": cls.icon, "version": cls.version,
            "engine": cls.engine, "limit": cls.limit, "pages": list(cls.pages) if cls.pages else None,
            "settings": describe_schema(cls.Settings),
            "blocks": [{"type": b.type, "label": str(b.label), "settings": describe_schema(b.Settings)}
                       for b in cls.blocks.values()],
            "max_blocks": cls.max_blocks if cls.blocks else 0,
            "presets": cls.presets,
        }


def describe_schema(schema_class: type[Schema]) -> list[dict]:
    schema = schema_class()
    out = []
    for name, field in schema.fields.items():
        if isinstance(field, SettingField):
            description = field.describe()
        else:
            description = {"widget": "text", "label": name}
        out.append({"id": name, **description})
    return out


class Registry:
    def __init__(self):
        self._types: dict[str, Component] = {}

    def register(self, cls: type[Component]) -> type[Component]:
        if cls.type in self._types and type(self._types[cls.type]) is not cls:
            raise ValueError(f"component type {cls.type!r} is already registered")
        self._types[cls.type] = cls()
        return cls

    def get(self, type_name: str) -> Component | None:
        return self._types.get(type_name)

    def all(self) -> list[Component]:
        return sorted(self._types.values(), key=lambda c: (c.group, c.type))

    def available(self, engines: list[str] | None) -> list[Component]:
        """The types a tenant's app may use: basic ones and those whose engine is enabled."""
        enabled = set(engines or [])
        return [c for c in self.all() if c.engine is None or c.engine in enabled]


registry = Registry()
register = registry.register

__all__ = ["AppSection", "Component", "BlockType", "SettingsSchema", "Text", "TextArea", "RichText", "Integer", "Range",
           "Checkbox", "Select", "Colour", "Image", "Video", "Link", "Reference", "registry", "register",
           "sanitize_html", "ValidationError", "EXCLUDE"]


class AppSection(Component):
    """The main section of a page the consumer's own data fills in (the cart, checkout, orders,
    sign-in…): the server renders a mount point, the same for every visitor so the page stays
    cacheable, and the component's H5 module fills it from the consumer API with the bearer token,
    as a mini-program does. Its settings are handed to the module as data- attributes."""

    group = "system"
    limit = 1
    template = "components/app_section.html"


# -- system pages ------------------------------------------------------------------------------

class SystemPage:
    """A page kind an engine provides (item detail, cart, article …). Its `main` section type is
    required on the page: the merchant can surround it but not remove it."""

    def __init__(self, kind: str, label, main: str, *, engine: str | None = None, title: str | None = None,
                 member_centre: bool = False):
        self.kind, self.label, self.main, self.engine = kind, label, main, engine
        self.title = title or str(label)
        self.member_centre = member_centre  # linked from the member centre (at /my/<kind>)


SYSTEM_PAGES: dict[str, SystemPage] = {}


def register_system_page(page: SystemPage) -> SystemPage:
    SYSTEM_PAGES[page.kind] = page
    return page
