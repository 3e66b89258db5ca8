"""Stores: the tenant's outlets (address, coordinates, hours, phone, same-city delivery bands)
and their dining tables with QR codes. Used by pickup, dine-in and same-city delivery.

Offers: the models `Store`, `DiningTable`, and in `engines.stores.services` the write path and
`delivery_fee` (distance bands), `table_by_code`."""

from flask_babel import lazy_gettext as _l

from core.engines import Engine, NavEntry, Permission

ENGINE = Engine(
    name="stores", label=_l("Stores"), description="Outlets with hours, pickup, delivery bands and dining tables.",
    in_every_plan=True,  # a shop sells, takes orders and payments whatever its plan
    api=("engines.stores.api:bp",),
    back_office=("engines.stores.admin:bp",),
    admin_api=("engines.stores.admin_api:bp",),
    permissions=(Permission("stores.manage", _l("Manage stores, tables and delivery areas"), roles=("manager",)),),
    navigation=(NavEntry("stores_admin.index", _l("Stores"), icon="building-store", permission="stores.manage",
                         order=40),),
    demo_data="engines.stores.demo:load",
)
