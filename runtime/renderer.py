"""From the published document to bytes (DESIGN.md §3): resolve tenant → live version (cached per
tenant and version) → compiled page plan → data batch-loaded per component type → render →
ETag. A cache hit costs one stamps lookup and no database query.

The same plan and data feed the H5 page and the page API, so both show the same content."""

from __future__ import annotations

import dataclasses
import functools
import datetime as dt
from typing import Any

from flask import render_template, request, url_for
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import select

from core.cache import Output, cached_output, compiled_cache, stamps
from core.components import SYSTEM_PAGES, Component, Image, registry, sanitize_html
from core.db import db, utcnow
from core.media import resolve_media
from core.tenancy import TenantContext, current_tenant
from runtime.colours import readable_on
from runtime.models import App, AppVersion


@dataclasses.dataclass(frozen=True)
class SectionPlan:
    id: str
    type: str
    component: Component
    settings: dict
    blocks: list[dict]  # [{"id", "type", "settings"}] in block_order

    def raw(self) -> dict:
        return {"type": self.type, "settings": self.settings,
                "blocks": {b["id"]: {"type": b["type"], "settings": b["settings"]} for b in self.blocks},
                "block_order": [b["id"] for b in self.blocks]}


@dataclasses.dataclass(frozen=True)
class PagePlan:
    id: str
    title: str
    kind: str
    sections: tuple[SectionPlan, ...]
    media_refs: frozenset[str]
    data_kinds: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class CompiledApp:
    version: int | None  # None: a draft preview
    document: dict
    pages: dict[str, PagePlan]
    kind_pages: dict[str, str]  # system page kind -> page id

    @property
    def app(self) -> dict:
        return self.document["app"]


@functools.cache
def _image_fields(schema_class) -> tuple[str, ...]:
    return tuple(name for name, field in schema_class().fields.items() if isinstance(field, Image))


def _media_values(schema_class, settings: dict) -> list[str]:
    return [settings[name] for name in _image_fields(schema_class) if settings.get(name)]


def compile_document(document: dict, version: int | None) -> CompiledApp:
    pages = {}
    for page_id, page in document["pages"].items():
        sections, refs, kinds = [], set(), set()
        for sid in page["order"]:
            raw = page["sections"][sid]
            component = registry.get(raw["type"])
            if component is None or raw.get("hidden"):
                continue  # a type this Tessera no longer knows renders as nothing
            blocks = [{"id": bid, **raw["blocks"][bid]} for bid in raw.get("block_order", [])]
            sections.append(SectionPlan(sid, raw["type"], component, raw["settings"], blocks))
            refs.update(_media_values(component.Settings, raw["settings"]))
            for block in blocks:
                block_type = component.blocks.get(block["type"])
                if block_type:
                    refs.update(_media_values(block_type.Settings, block["settings"]))
            kinds.update(getattr(component, "data_kinds", ()))
        pages[page_id] = PagePlan(page_id, page["title"], page.get("kind", "custom"), tuple(sections),
                                  frozenset(refs), tuple(sorted(kinds)))
    kind_pages = {p.kind: p.id for p in pages.values() if p.kind != "custom"}
    return CompiledApp(version, document, pages, kind_pages)


def live_app(tenant: TenantContext, tenant_stamps: dict[str, int]) -> CompiledApp | None:
    """The compiled live version, cached per (tenant, app stamp); None when nothing is published."""
    key = ("app", tenant.id, tenant_stamps.get("app", 0))
    cache = compiled_cache()
    compiled = cache.get(key)
    if compiled is None:
        row = db.session.execute(
            select(AppVersion.number, AppVersion.document)
            .join(App, (App.tenant_id == AppVersion.tenant_id) & (App.published_number == AppVersion.number))).first()
        compiled = compile_document(row.document, row.number) if row is not None else _NOTHING_PUBLISHED
        cache.set(key, compiled)  # "nothing published" too: publishing moves the app stamp
    return None if compiled is _NOTHING_PUBLISHED else compiled


_NOTHING_PUBLISHED = object()


def published_settings() -> dict:
    """The current shop's published `app.settings` (every engine's flow settings), from the
    compiled live version (cached per version); {} when nothing is published."""
    tenant = current_tenant()
    if tenant is None:
        return {}
    compiled = live_app(tenant, stamps().all(tenant.id))
    return (compiled.document.get("app") or {}).get("settings") or {} if compiled is not None else {}


@dataclasses.dataclass
class RenderContext:
    """What a component's `load` and template get besides their own section."""

    tenant: TenantContext
    compiled: CompiledApp
    page: PagePlan
    params: dict[str, str]
    now: dt.datetime
    media: dict[str, dict] = dataclasses.field(default_factory=dict)
    expires_at: float | None = None  # the earliest time-driven change among the sections

    def expire_at(self, when: dt.datetime) -> None:
        """A component whose content changes at `when` (a sale starts) calls this."""
        stamp = when.timestamp()
        self.expires_at = stamp if self.expires_at is None else min(self.expires_at, stamp)

    def link(self, ref: str | None, **params) -> str | None:
        return link_url(self.compiled, ref, **params)

    def image(self, ref: str | None) -> dict | None:
        return self.media.get(ref) if ref else None

    def add_media(self, refs) -> None:
        """Resolve, in one query, the media a component's data points at (covers, item photos),
        so that its template can use `ctx.image()` for them too."""
        missing = {ref for ref in refs if ref and ref not in self.media}
        if missing:
            self.media.update(resolve_media(missing))

    @functools.cached_property
    def sprite(self) -> str:
        """The storefront's icon sprite (templates use `ctx.sprite ~ '#name'`)."""
        return url_for("storefront.static", filename="icons.svg")


def link_url(compiled: CompiledApp, ref: str | None, **params) -> str | None:
    """The storefront URL of a link value; None when its target does not exist (rendered as no
    link)."""
    if not ref:
        return None
    kind, _, target = ref.partition(":")
    if kind == "page":
        return url_for("storefront.page", page_id=target, **params) if target in compiled.pages else None
    if kind == "url":
        return target
    if kind == "tel":
        return ref
    page_id = compiled.kind_pages.get(kind)
    if page_id:
        return url_for("storefront.page", page_id=page_id, id=target, **params)
    if kind in SYSTEM_PAGES:  # an app without a page of the kind: its main section alone
        return url_for("storefront.system_view", kind=kind, id=target, **params)
    return None


def load_page(compiled: CompiledApp, page: PagePlan, tenant: TenantContext, params: dict[str, str],
              only: set[str] | None = None):
    """Resolve media and run each component type's batched `load` once (for the sections in
    `only`, when given)."""
    ctx = RenderContext(tenant, compiled, page, params, utcnow())
    ctx.media = resolve_media(page.media_refs)
    by_type: dict[str, list[SectionPlan]] = {}
    for section in page.sections:
        if only is None or section.id in only:
            by_type.setdefault(section.type, []).append(section)
    data: dict[str, Any] = {}
    for type_name, sections in by_type.items():
        data.update(sections[0].component.load(ctx, [s.raw() | {"id": s.id} for s in sections]) or {})
    return ctx, data


def render_sections(compiled: CompiledApp, page: PagePlan, tenant: TenantContext, params: dict[str, str],
                    only: set[str] | None = None) -> tuple[dict[str, Markup], RenderContext]:
    """Each visible section's HTML, in page order (only those in `only`, when given): what the
    page is made of, and what the designer swaps into its preview when one section changes."""
    ctx, data = load_page(compiled, page, tenant, params, only)
    parts = {}
    for section in page.sections:
        if only is not None and section.id not in only:
            continue
        html = render_template(section.component.template, section=section, settings=section.settings,
                               blocks=section.blocks, data=data.get(section.id), ctx=ctx)
        parts[section.id] = (Markup(f'<section class="t-section t-section--{section.type}" id="{section.id}" '
                                    f'data-section="{section.id}" data-type="{section.type}">')
                             + Markup(html) + Markup("</section>"))
    return parts, ctx


def script_url(component: Component) -> str:
    """Where the H5 module of a component is served (its engine's static/ folder, or the
    runtime's for the basic library)."""
    if component.engine:
        return url_for("storefront.engine_module", engine=component.engine, filename=component.script)
    return url_for("storefront.static", filename=component.script)


def page_scripts(page: PagePlan) -> tuple[list[str], dict[str, str]]:
    """The H5 modules the page's sections need, once each, and the text they show (translated)."""
    scripts, strings = [], {}
    for section in page.sections:
        component = section.component
        if component.script and script_url(component) not in scripts:
            scripts.append(script_url(component))
        strings.update({key: str(text) for key, text in component.strings.items()})
    return scripts, strings


def render_page(compiled: CompiledApp, page: PagePlan, tenant: TenantContext, params: dict[str, str],
                *, preview: bool = False) -> tuple[str, float | None]:
    parts, ctx = render_sections(compiled, page, tenant, params)
    scripts, strings = page_scripts(page)
    body = render_template("runtime/page.html", app=compiled.app, compiled=compiled, page=page,
                           sections=list(parts.values()), ctx=ctx, preview=preview, scripts=scripts, strings=strings)
    return body, ctx.expires_at


def system_page(compiled: CompiledApp, kind: str) -> PagePlan | None:
    """The app's page of a system kind; one holding only the kind's main section (its default
    settings) when the document has none — apps made before the kind existed still work."""
    page_id = compiled.kind_pages.get(kind)
    if page_id is not None:
        return compiled.pages[page_id]
    found = SYSTEM_PAGES.get(kind)
    component = registry.get(found.main) if found else None
    if component is None:
        return None
    section = SectionPlan(f"s_{kind}", component.type, component, component.Settings().load({}), [])
    return PagePlan(f"~{kind}", str(found.label), kind, (section,), frozenset(),
                    tuple(sorted(getattr(component, "data_kinds", ()))))


def output_key(kind: str, tenant_stamps: dict[str, int], page: str, params: dict[str, str]) -> tuple:
    """What names a page's output (H5 or API) besides the stamps of the data it read: the live
    version, the page asked for, the request's parameters, the language and the address the shop
    was reached at (its links carry it), and the shop's own settings (its currency, its timezone)."""
    return (kind, tenant_stamps.get("app", 0), tenant_stamps.get("tenant", 0), page, tuple(sorted(params.items())), str(get_locale()),
            request.script_root)


def cached_page(tenant: TenantContext, page_id: str | None, params: dict[str, str], *,
                kind: str | None = None) -> Output | None:
    """The rendered output of a live page (the home page when `page_id` is None; the app's page of
    a system `kind` when given); an empty one when the shop has published nothing (kept too,
    until it publishes: its key names the app's stamp); None when there is no such page. A kept
    page is served without compiling the app: it names the data kinds it read."""
    tenant_stamps = stamps().all(tenant.id)

    def make() -> tuple[Output, float | None] | None:
        compiled = live_app(tenant, tenant_stamps)
        if compiled is None:
            return Output(b"", "", (), ()), None
        page = find_page(compiled, page_id, kind)
        if page is None:
            return None
        html, expires_at = render_page(compiled, page, tenant, params)
        return Output.made(html.encode(), page.data_kinds, tenant_stamps), expires_at

    key = output_key("html", tenant_stamps, f"~{kind}" if kind else page_id or "", params)
    return cached_output(tenant.id, key, tenant_stamps, make)


def find_page(compiled: CompiledApp, page_id: str | None, kind: str | None = None) -> PagePlan | None:
    """The page of the app with this id (the home page for None), or of this system kind."""
    if kind is not None:
        return system_page(compiled, kind)
    return compiled.pages.get(page_id or compiled.app["home"])


def theme_css(compiled: CompiledApp) -> str:
    """The theme as CSS custom properties, and per-section rules from validated settings (colours
    are colours, sizes are numbers), served as a stylesheet so pages need no inline style."""
    theme = compiled.app["theme"]
    # The brand colour as text, prices and buttons use it: as chosen, or as much darker as it takes
    # to read on the white of the cards (WCAG AA); `--t-brand` keeps it as chosen for decoration.
    primary = readable_on(theme["primary"], "#FFFFFF")
    lines = [":root{",
             f"--t-primary:{primary};--t-brand:{theme['primary']};--t-accent:{theme['accent']};"
             f"--t-bg:{theme['background']};",
             f"--t-text:{theme['text']};--t-radius:{theme['radius']}px;--t-font-scale:{theme['font_scale'] / 100};",
             f"--weui-BRAND:{primary};--weui-BG-0:{theme['background']};--weui-FG-0:{theme['text']};", "}"]
    for page in compiled.pages.values():
        for section in page.sections:
            css = getattr(section.component, "css", None)
            if css:
                rules = css(section.settings)
                if rules:
                    lines.append(f"#{section.id}{{{rules}}}")
    return "\n".join(lines) + "\n"


def rich_text(html: str) -> Markup:
    """Rich text is sanitised on save and again on render."""
    return Markup(sanitize_html(html))
