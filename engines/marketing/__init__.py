"""Marketing, first half (DESIGN.md §4): coupons (the claim centre, codes, gifts, sends; exact
limits in all, per person and per day; the consumer's wallet), order promotions by spend or
quantity (money off, gifts, free delivery, points, coupons; priority, exclusivity, budgets), timed
discounts, bundles, free-delivery campaigns — all steps of the price pipeline, each adjustment
recording who funds it — and the back office's price simulator. Social tools (seckill, group
buying, bargaining, presale) come later as more steps of the same pipeline.

Offers other engines `engines.marketing.services`."""

from flask_babel import lazy_gettext as _l

from core.engines import Engine, NavEntry, Permission, Picker

ENGINE = Engine(
    name="marketing", label=_l("Marketing"),
    description="Coupons, order promotions, timed discounts, bundles, free delivery and the price simulator.",
    depends_on=("orders", "catalog"),
    api=("engines.marketing.api:bp",),
    back_office=("engines.marketing.admin:bp", "engines.marketing.admin_discounts:bp",
                 "engines.marketing.admin_bundles:bp", "engines.marketing.admin_shipping:bp",
                 "engines.marketing.admin_simulator:bp"),
    admin_api=("engines.marketing.admin_api:bp", "engines.marketing.admin_api_bundles:bp",
               "engines.marketing.admin_api_shipping:bp"),
    permissions=(Permission("marketing.manage", _l("Manage coupons, promotions and discounts, and send coupons to "
                                                   "customers"), roles=("manager",)),),
    pickers=(Picker("bundle", "/api/v1/bundles", items="bundles"),),
    navigation=(NavEntry("marketing_admin.coupons", _l("Coupons"), icon="ticket", permission="marketing.manage",
                         order=30),
                NavEntry("marketing_admin.promotions", _l("Promotions"), icon="discount", permission="marketing.manage",
                         order=31),
                NavEntry("marketing_discounts.discounts", _l("Timed discounts"), icon="clock",
                         permission="marketing.manage", order=32),
                NavEntry("marketing_bundles.bundles", _l("Bundles"), icon="package", permission="marketing.manage",
                         order=33),
                NavEntry("marketing_shipping.rules", _l("Free delivery"), icon="truck", permission="marketing.manage",
                         order=34),
                NavEntry("marketing_simulator.simulator", _l("Price simulator"), icon="calculator",
                         permission="marketing.manage", order=35)),
    components="engines.marketing.components",
    price_steps="engines.marketing.pricing",
    settings="engines.marketing.settings:MarketingSettings",
    tasks="engines.marketing.tasks",
    events="engines.marketing.events",
    demo_data="engines.marketing.demo:load",
)
