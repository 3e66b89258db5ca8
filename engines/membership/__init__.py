"""Membership (DESIGN.md §4): tiers reached by growth (upgrade at once, downgrade by the shop's
rule), the points ledger (earned by orders — frozen through their after-sales window — sign-ins,
promotions and staff; spent at checkout and on coupons; expiring by batch; taken back line by line
on refunds), the member price and free delivery as tier benefits, the sweeps that thaw, expire and
remind, and automations (a trigger → a coupon, points, an inbox message; quiet hours, a frequency
cap, a log), segments and tags, and paid member cards (sold as orders, activated by codes). Stored
value comes next.

Offers other engines nothing yet: marketing's points wallet is registered here (points_wallet)."""

from flask_babel import lazy_gettext as _l

from core.engines import Engine, NavEntry, Permission

ENGINE = Engine(
    name="membership", label=_l("Membership"),
    description="Member tiers, growth, the points ledger, points at checkout, the daily sign-in and automations.",
    depends_on=("orders", "marketing", "payments"),
    api=("engines.membership.api:bp", "engines.membership.api_mall:bp"),
    back_office=("engines.membership.admin:bp",),
    admin_api=("engines.membership.admin_api:bp", "engines.membership.admin_api_automations:bp",
               "engines.membership.admin_api_segments:bp", "engines.membership.admin_api_cards:bp",
               "engines.membership.admin_api_mall:bp"),
    permissions=(Permission("membership.manage", _l("Manage member tiers, and adjust members' points and growth"),
                            roles=("manager",)),),
    navigation=(NavEntry("membership_admin.members", _l("Members"), icon="user-star", permission="membership.manage",
                         order=36),
                NavEntry("membership_admin.tiers", _l("Member tiers"), icon="crown", permission="membership.manage",
                         order=37),
                NavEntry("membership_admin.automations", _l("Automations"), icon="automation",
                         permission="membership.manage", order=38),
                NavEntry("membership_admin.cards", _l("Member cards"), icon="id-badge-2",
                         permission="membership.manage", order=39),
                NavEntry("membership_admin.recharge_plans", _l("Stored value"), icon="wallet",
                         permission="membership.manage", order=40),
                NavEntry("membership_admin.points_mall", _l("Points mall"), icon="gift", permission="membership.manage",
                         order=41)),
    components="engines.membership.components",
    price_steps="engines.membership.price_steps",
    settings="engines.membership.settings:MembershipSettings",
    tasks="engines.membership.tasks",
    events="engines.membership.events",
    demo_data="engines.membership.demo:load",
)
