"""Catalog: items of several kinds (physical products with SKUs, dishes with option groups,
services, virtual goods), two-level categories, and stock that never goes below zero.

Offers: the models `Item`, `Sku`, `Category`, and in `engines.catalog.services` the write path,
including `reserve_stock` / `release_stock` for the orders engine."""

from flask_babel import lazy_gettext as _l

from core.engines import Engine, NavEntry, Permission, Picker

ENGINE = Engine(
    name="catalog", feature=True, label=_l("Catalog"),
    in_every_plan=True,  # a shop sells, takes orders and payments whatever its plan
    description="Items, SKUs, categories and stock; the item grid, category and item pages.",
    api=("engines.catalog.api:bp",),
    back_office=("engines.catalog.admin:bp",),
    admin_api=("engines.catalog.admin_api:bp",),
    components="engines.catalog.components",
    permissions=(Permission("catalog.manage", _l("Manage items, prices, stock and categories"), roles=("manager",)),),
    navigation=(NavEntry("catalog_admin.index", _l("Items"), icon="package", permission="catalog.manage", order=20),),
    tasks="engines.catalog.tasks",
    demo_data="engines.catalog.demo:load",
    cli=("engines.catalog.cli:catalog",),
    pickers=(Picker("item", "/api/v1/items?limit=50", items="items"),
             Picker("category", "/api/v1/categories", items="categories", children="children")),
)
