"""Starting a shop from a template (its document as the first draft, its demo data when asked,
version 1 published) and upgrading it to a newer template version by a three-way merge."""

from __future__ import annotations

import copy

from core.errors import APIError, register_codes
from core.media import upload_media
from core.money import Money
from core.db import db
from core.tenancy import Tenant, current_tenant
from engines.articles.services import create_article
from engines.catalog.services import category_path, create_item
from engines.orders.fulfillment import create_shipping_template
from engines.stores.services import add_table, create_store
from runtime.models import AppVersion
from runtime.services import ensure_app, get_app, publish, save_draft
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


def instantiate(slug: str, *, demo_data: bool = False, actor: str | None = None) -> AppVersion:
    """Give the current tenant's app the template's document (named after the shop), load the
    demo data when asked, and publish version 1 (the next version if the app had some)."""
    template = template_or_404(slug)
    document = template.document()
    document["app"]["name"] = current_tenant_name() or document["app"]["name"]
    app = ensure_app(name=document["app"]["name"])
    save_draft(document=document, revision=app.revision, actor=actor)
    if demo_data:
        load_demo(template.demo())
    return publish(note=f"Started from the {template.name} template {template.version}", actor=actor)


def current_tenant_name() -> str | None:
    tenant = db.session.get(Tenant, current_tenant().id)
    return tenant.name[:60] if tenant else None


def load_demo(demo: dict) -> None:
    """Categories, items (prices in major units), stores with tables, the delivery fees and
    articles of a template's demo data."""
    currency = current_tenant().currency
    price = lambda text: Money.parse(str(text), currency).amount  # noqa: E731
    for entry in demo.get("items", []):
        category = category_path(entry["category"]).id if entry.get("category") else None
        groups = [{**group, "choices": [{**choice, "price": price(choice.get("price", "0"))}
                                        for choice in group["choices"]]}
                  for group in entry.get("option_groups", [])]
        photo = upload_media(data=artwork.product_tile(entry["name"]), filename=f"{entry['name']}.png",
                             alt=entry["name"])
        create_item(kind=entry.get("kind", "physical"), name=entry["name"], price=price(entry["price"]),
                    stock=entry.get("stock", 100), category_id=category, subtitle=entry.get("subtitle", ""),
                    description=entry.get("description", ""), options=entry.get("options", []),
                    option_groups=groups, status="on_sale", images=[f"media:{photo.id}"])
    for entry in demo.get("stores", []):
        store = create_store(name=entry["name"], address=entry.get("address", ""), phone=entry.get("phone", ""),
                             hours=entry.get("hours", ""), latitude=entry.get("latitude"),
                             longitude=entry.get("longitude"), pickup=entry.get("pickup", True),
                             delivery_bands=[{"up_to_km": band["up_to_km"], "fee": price(band["fee"])}
                                             for band in entry.get("delivery_bands", [])],
                             delivery_minimum=price(entry.get("delivery_minimum", "0")))
        for table in entry.get("tables", []):
            add_table(store_id=store.id, name=table)
    if demo.get("shipping"):
        shipping = demo["shipping"]
        create_shipping_template(
            name=shipping.get("name", "Standard"), basis=shipping.get("basis", "per_item"),
            free_above=price(shipping["free_above"]) if shipping.get("free_above") else None,
            rules=[{**rule, "first_fee": price(rule["first_fee"]), "additional_fee": price(rule.get("additional_fee", 0))}
                   for rule in shipping["rules"]])
    if demo.get("banner"):
        _fill_banner(demo["banner"])
    if demo.get("stores"):
        _fill_store_info(demo["stores"][0])
    for entry in demo.get("articles", []):
        create_article(title=entry["title"], summary=entry.get("summary", ""), body=entry.get("body", ""),
                       publish=True)


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
