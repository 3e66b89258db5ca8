"""Membership (DESIGN.md §4): tiers reached by growth (upgrade at once, downgrade by the shop's
rule), the points ledger (earned by orders — frozen through their after-sales window — sign-ins,
promotions and staff; spent at checkout and on coupons; expiring by batch; taken back line by line
on refunds), the member price and free delivery as tier benefits, and the sweeps that thaw, expire
and remind. Paid member cards, stored value and automations come next on the same ledger.

Offers other engines nothing yet: marketing's points wallet is registered here (points_wallet)."""

from flask_babel import lazy_gettext as _l

from core.engines import Engine, Permission

ENGINE = Engine(
    name="membership", label=_l("Membership"),
    description="Member tiers, growth, the points ledger, points at checkout and the daily sign-in.",
    depends_on=("orders", "marketing"),
    api=("engines.membership.api:bp",),
    admin_api=("engines.membership.admin_api:bp",),
    permissions=(Permission("membership.manage", _l("Manage member tiers, and adjust members' points and growth"),
                            roles=("manager",)),),
    price_steps="engines.membership.pricing",
    settings="engines.membership.settings:MembershipSettings",
    tasks="engines.membership.tasks",
    events="engines.membership.events",
)
