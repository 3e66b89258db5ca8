"""Orders: the cart, the address book, checkout with its price pipeline, the order state
machine, fulfilment (express, same-city, pickup, dine-in), verification codes and after-sales.

Offers other engines `engines.orders.services`, the only module of it they import."""

from flask_babel import lazy_gettext as _l

from core.engines import Engine, NavEntry, Permission

ENGINE = Engine(
    name="orders", label=_l("Orders"),
    in_every_plan=True,  # a shop sells, takes orders and payments whatever its plan
    description="Cart, checkout, the order's life, fulfilment, verification codes and after-sales.",
    depends_on=("catalog", "stores"),
    api=("engines.orders.api:bp", "engines.orders.api_reviews:bp"),
    back_office=("engines.orders.admin:bp",),
    admin_api=("engines.orders.admin_api:bp", "engines.orders.admin_api_reviews:bp"),
    permissions=(Permission("orders.manage", _l("See and handle orders and after-sales"), roles=("manager",)),
                 Permission("orders.verify", _l("Verify pickup, dine-in and service codes"),
                            roles=("manager", "clerk"))),
    navigation=(NavEntry("orders_admin.index", _l("Orders"), icon="receipt", permission="orders.manage", order=25),
                NavEntry("orders_admin.verify", _l("Verify a code"), icon="qrcode", permission="orders.verify", order=26),
                NavEntry("orders_admin.reviews", _l("Reviews"), icon="star", permission="orders.manage", order=27),
                NavEntry("orders_admin.shipping", _l("Delivery fees"), icon="truck-delivery",
                         permission="orders.manage", order=41)),
    components="engines.orders.components",
    settings="engines.orders.settings:OrderSettings",
    tasks="engines.orders.tasks",
    events="engines.orders.events",
    demo_data="engines.orders.demo:load",
    dashboard="engines.orders.dashboard:dashboard",
)
