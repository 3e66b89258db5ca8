"""Marketing: coupons today (the claim centre, claiming with exact limits, the consumer's wallet,
a coupon in the price pipeline held at checkout, used when paid, given back when an unpaid order
is cancelled); order promotions, budgets and the price simulator come next.

Offers other engines `engines.marketing.services`."""

from flask_babel import lazy_gettext as _l

from core.engines import Engine, NavEntry, Permission

ENGINE = Engine(
    name="marketing", label=_l("Marketing"),
    description="Coupons: the claim centre, the consumer's wallet, a coupon in the price pipeline.",
    depends_on=("orders", "catalog"),
    api=("engines.marketing.api:bp",),
    back_office=("engines.marketing.admin:bp",),
    admin_api=("engines.marketing.admin_api:bp",),
    permissions=(Permission("marketing.manage", _l("Manage coupons and send them to customers"), roles=("manager",)),),
    navigation=(NavEntry("marketing_admin.coupons", _l("Coupons"), icon="ticket", permission="marketing.manage",
                         order=30),
                NavEntry("marketing_admin.promotions", _l("Promotions"), icon="discount", permission="marketing.manage",
                         order=31)),
    components="engines.marketing.components",
    price_steps="engines.marketing.pricing",
    settings="engines.marketing.settings:MarketingSettings",
    tasks="engines.marketing.tasks",
    events="engines.marketing.events",
    demo_data="engines.marketing.demo:load",
)
