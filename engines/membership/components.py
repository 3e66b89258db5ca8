"""The membership engine's page components: the member card (tier, growth to the next tier,
points, the daily sign-in; on any page) and the consumer's points ledger (a system page of the
member centre). Both are filled by static/h5.js from the consumer API, so the page stays the same
for every visitor and is cached like any other."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import AppSection, Checkbox, SettingsSchema, SystemPage, Text, register, register_system_page

register_system_page(SystemPage("points_history", _l("My points"), main="points_history", engine="membership",
                                member_centre=True))

# The keys are the engine's own: a page's components share one table of strings (the member
# centre's "sign_in" is signing in to the shop, the card's is the daily sign-in).
_SHARED = {"member_points": _l("Points"), "member_frozen": _l("Pending"),
           "member_expiring": _l("%(n)s expire on %(date)s", n="{n}", date="{date}"),
           "member_my_points": _l("My points")}


@register
class MemberCard(AppSection):
    """The member's tier with a bar of the growth to the next, their points (available, pending
    from orders in their after-sales window, and those expiring within 30 days) and today's
    sign-in; a visitor not signed in is asked to sign in or register."""

    type = "member_card"
    label = _l("Member card")
    group = "member"
    icon = "id-badge-2"
    engine = "membership"
    pages = None
    script = "h5.js"
    strings = {**_SHARED, "member_join": _l("Sign in or register to collect points and see your member tier."),
               "member_join_button": _l("Sign in / Register"), "member_no_tier": _l("Member"),
               "member_to_next": _l("%(n)s more to %(tier)s", n="{n}", tier="{tier}"),
               "member_top_tier": _l("You have reached the top tier."),
               "member_growth": _l("Growth %(growth)s of %(threshold)s", growth="{growth}", threshold="{threshold}"),
               "member_sign_in": _l("Sign in today"),
               "member_signed_in": _l("Signed in · day %(n)s in a row", n="{n}"),
               "member_earned": _l("+%(n)s points", n="{n}")}

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "", max_length=40, help=_l("Blank: none"))
        show_sign_in = Checkbox(_l("Offer the daily sign-in"), True)


@register
class PointsHistory(AppSection):
    """The consumer's points ledger, newest first, a page at a time: each movement's reason, its
    signed amount and the balance after it."""

    type = "points_history"
    label = _l("My points")
    icon = "coins"
    engine = "membership"
    pages = ("points_history",)
    script = "h5.js"
    strings = {**_SHARED, "points_none": _l("No points yet: sign in every day and shop to earn them."),
               "points_more": _l("Load more"), "points_available": _l("%(n)s points available", n="{n}"),
               "points_balance": _l("Balance %(n)s", n="{n}"),
               "points_kind_order": _l("Order"), "points_kind_sign_in": _l("Daily sign-in"),
               "points_kind_task": _l("Task"), "points_kind_promotion": _l("Promotion"),
               "points_kind_birthday": _l("Birthday"), "points_kind_reward": _l("Reward"),
               "points_kind_adjustment": _l("From the shop"),
               "points_kind_spent": _l("Spent on an order"), "points_kind_returned": _l("Given back"),
               "points_kind_redeemed": _l("Exchanged"), "points_kind_reversed": _l("Taken back"),
               "points_kind_expired": _l("Expired")}
