"""Starting a shop from a template (its document as the first draft, its demo data when asked,
version 1 published) and upgrading it to a newer template version by a three-way merge."""

from __future__ import annotations

import copy

from core.errors import APIError, register_codes
from core.media import upload_media
from core.money import Money
from core.db import db
from core.engines import DemoKit, load, registry
from core.tenancy import Tenant, current_tenant
from runtime.models import AppVersion
from runtime.services import ensure_app, get_app, may_publish, publish, save_draft
from templates_library import artwork
from templates_library.merge import MergeResult, three_way_merge
from templates_library.registry import get_template, templates

register_codes({"template_not_found": (404, "There is no such template.")})


def template_or_404(slug: str):
    try:
        return get_template(slug)
    except KeyError:
        raise APIError("template_not_found", f"There is no template {slug!r}; choose one of "
                                             f"{', '.join(templates())}.") from None


def instantiate(slug: str, *, demo_data: bool = False, actor: str | None = None) -> AppVersion | None:
    """Give the current tenant's app the template's document (named after the shop), load the
    demo data when asked, and publish version 1 (the next version if the app had some) — or, for
    a shop that may not publish yet (its owner's e-mail unconfirmed), leave it as the draft (None)."""
    template = template_or_404(slug)
    document = template.document()
    document["app"]["name"] = current_tenant_name() or document["app"]["name"]
    app = ensure_app(name=document["app"]["name"])
    save_draft(document=document, revision=app.revision, actor=actor)
    if demo_data:
        load_demo(template.demo())
    if not may_publish():
        return None
    return publish(note=f"Started from the {template.name} template {template.version}", actor=actor)


def current_tenant_name() -> str | None:
    tenant = db.session.get(Tenant, current_tenant().id)
    return tenant.name[:60] if tenant else None


def load_demo(demo: dict) -> None:
    """A template's demo data: each engine loads its part (items, stores, delivery fees,
    articles …, in the order the engines depend on each other), then the draft's banner and store
    information are drawn from it."""
    currency = current_tenant().currency

    def picture(title: str) -> str:
        return f"media:{upload_media(data=artwork.product_tile(title), filename=f'{title}.png', alt=title).id}"

    kit = DemoKit(price=lambda text: Money.parse(str(text), currency).amount, picture=picture)
    for engine in registry():
        if engine.demo_data:
            load(engine.demo_data)(demo, kit)
    if demo.get("banner"):
        _fill_banner(demo["banner"])
    if demo.get("stores"):
        _fill_store_info(demo["stores"][0])


def _fill_banner(spec: dict) -> None:
    """Draw the banner slides the demo describes into the draft's banner section."""
    app = get_app()
    document = copy.deepcopy(app.draft)
    section = document["pages"][spec["page"]]["sections"][spec["section"]]
    for block_id, slide in zip(section["block_order"], spec["slides"], strict=False):
        image = upload_media(data=artwork.banner(slide["title"], slide.get("subtitle", "")),
                             filename=f"banner-{block_id}.png", alt=slide["title"])
        section["blocks"][block_id]["settings"].update(image=f"media:{image.id}", alt=slide["title"])
    save_draft(document=document, revision=app.revision)


def _fill_store_info(store: dict) -> None:
    """The store-information sections of the draft show the demo store."""
    app = get_app()
    document = copy.deepcopy(app.draft)
    photo = None
    for page in document["pages"].values():
        for section in page["sections"].values():
            if section["type"] == "store_info":
                photo = photo or upload_media(data=artwork.banner(store["name"], store.get("hours", "")),
                                              filename="store.png", alt=store["name"])
                section["settings"].update(
                    name=store["name"][:60], address=store.get("address", ""), phone=store.get("phone", ""),
                    hours=store.get("hours", ""), cover=f"media:{photo.id}",
                    latitude=str(store["latitude"]) if store.get("latitude") is not None else "",
                    longitude=str(store["longitude"]) if store.get("longitude") is not None else "")
    if photo is not None:
        save_draft(document=document, revision=app.revision)


def upgrade_preview() -> tuple[MergeResult, str] | None:
    """The merge of the app's draft with the newest version of its template, or None when it is
    not built on a template or already on the newest version."""
    app = get_app()
    origin = (app.draft.get("app") or {}).get("template") if app else None
    if not origin:
        return None
    template = template_or_404(origin["slug"])
    if origin["version"] == template.version:
        return None
    return three_way_merge(template.document(origin["version"]), template.document(), app.draft), template.version


def apply_upgrade(*, actor: str | None = None) -> MergeResult | None:
    """Write the merge as the draft (the merchant reviews conflicts in the designer, then publishes)."""
    preview = upgrade_preview()
    if preview is None:
        return None
    result, _version = preview
    save_draft(document=result.document, revision=get_app().revision, actor=actor)
    return result
