"""The membership engine's page components: the member card (tier, growth to the next tier,
points, the daily sign-in; on any page) and the consumer's points ledger (a system page of the
member centre). Both are filled by static/h5.js from the consumer API, so the page stays the same
for every visitor and is cached like any other."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import AppSection, Checkbox, SettingsSchema, SystemPage, Text, register, register_system_page
from engines.orders.services import STATUSES, WAYS

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
    strings = {**_SHARED, "entry_order": _l("Order %(number)s", number="{number}"), "points_none": _l("No points yet: sign in every day and shop to earn them."),
               "points_more": _l("Load more"), "points_available": _l("%(n)s points available", n="{n}"),
               "points_balance": _l("Balance %(n)s", n="{n}"),
               "points_kind_order": _l("Order"), "points_kind_sign_in": _l("Daily sign-in"),
               "points_kind_task": _l("Task"), "points_kind_promotion": _l("Promotion"),
               "points_kind_birthday": _l("Birthday"), "points_kind_reward": _l("Reward"),
               "points_kind_adjustment": _l("From the shop"),
               "points_kind_spent": _l("Spent on an order"), "points_kind_returned": _l("Given back"),
               "points_kind_redeemed": _l("Exchanged"), "points_kind_reversed": _l("Taken back"),
               "points_kind_expired": _l("Expired")}


# -- stored value ----------------------------------------------------------------------------------
# The pay step (engines/orders/static/h5.js: the ways to pay an order as a choice) is drawn at
# checkout, on an order awaiting payment and on the recharge card; the balance this engine brings
# to payments (wallet.BalanceProvider) is one of its ways, so the words for it come from here too.
PAY_STEP = {"pay_with": _l("Pay with"), "pay_sandbox": _l("Sandbox (test payment, no money moves)"),
            "pay_stripe": _l("Card"), "pay_balance": _l("Balance (%(balance)s available)", balance="{balance}"),
            "balance_short": _l("Your balance (%(balance)s) does not cover this order (%(total)s).",
                                balance="{balance}", total="{total}"),
            "recharge": _l("Recharge"),
            "no_payments": _l("This shop is not taking orders yet: it has no way to pay set up.")}


@register
class RechargePlans(AppSection):
    """The member's stored value — the balance, with what they paid in and the bonus apart — the
    shop's recharge plans as tiles (a tap orders the plan and pays it as any order is paid, then
    the balance shows the credit) and the wallet's statement, a page at a time; a visitor not
    signed in is asked to sign in."""

    type = "recharge_plans"
    label = _l("Stored value")
    group = "member"
    icon = "wallet"
    engine = "membership"
    pages = None
    script = "h5.js"
    strings = {**PAY_STEP, "entry_order": _l("Order %(number)s", number="{number}"), "wallet_join": _l("Sign in or register to see your balance and recharge it."),
               "wallet_join_button": _l("Sign in / Register"), "wallet_balance": _l("Balance"),
               "wallet_principal": _l("Paid in"), "wallet_bonus": _l("Bonus"),
               "recharge_pay": _l("Pay %(amount)s", amount="{amount}"),
               "recharge_gets": _l("get %(amount)s", amount="{amount}"),
               "recharge_none": _l("No recharges on offer right now."),
               "recharge_paid": _l("Thank you: your recharge is paid."),
               "recharge_unpaid": _l("The recharge was not paid: choose a plan to try again."),
               "wallet_statement": _l("Statement"), "wallet_more": _l("Load more"),
               "wallet_none": _l("Nothing yet: your recharges and payments from the balance are listed here."),
               "wallet_bonus_part": _l("Bonus %(amount)s", amount="{amount}"),
               "wallet_kind_recharge": _l("Recharge"), "wallet_kind_payment": _l("Paid an order"),
               "wallet_kind_refund": _l("Order refunded"), "wallet_kind_recharge_refund": _l("Recharge refunded"),
               "wallet_kind_adjustment": _l("From the shop")}

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "", max_length=40, help=_l("Blank: none"))


def _bring_the_balance_to_the_pay_step() -> None:
    """Checkout and an order's page draw the pay step from the orders engine's components, which
    know no balance: their strings get its words (an engine this one depends on, so registered
    first). The instance's own dict: the class's stays the orders engine's."""
    from core.components import registry

    for kind in ("checkout", "order_detail"):
        component = registry.get(kind)
        if component is not None:
            component.strings = {**component.strings, **PAY_STEP}


_bring_the_balance_to_the_pay_step()


# -- the points mall and the task centre (static/mall.js) -------------------------------------------

register_system_page(SystemPage("redemptions", _l("My redemptions"), main="redemption_records", engine="membership",
                                member_centre=True))

_MALL = {"mall_points": _l("%(n)s points", n="{n}"), "mall_plus": _l("%(points)s + %(cash)s", points="{points}",
                                                                      cash="{cash}"),
         "mall_redeem": _l("Redeem"), "mall_sold_out": _l("Sold out"),
         "mall_for_tier": _l("%(tier)s and above", tier="{tier}"),
         "mall_limit": _l("At most %(n)s per member", n="{n}"), "mall_records": _l("My redemptions"),
         "mall_my_points": _l("You have %(n)s points", n="{n}")}


@register
class RedemptionGrid(AppSection):
    """The points mall: the items on offer for points (or points and cash), two to a row, each with
    its price in points; redeeming one opens a sheet to choose how many and how it arrives, shows
    the points and money it takes, and places the order (paid at once when points pay it all)."""

    type = "redemption_grid"
    label = _l("Points mall")
    group = "member"
    icon = "gift"
    engine = "membership"
    pages = None
    script = "mall.js"
    strings = {**_MALL, "mall_none": _l("Nothing to redeem yet: come back soon."),
               "mall_sign_in": _l("Sign in to redeem"),
               "mall_quantity": _l("Quantity"), "mall_how": _l("How it reaches you"), **WAYS,
               "mall_address": _l("Address"), "mall_store": _l("Store"),
               "mall_no_address": _l("Add an address first in My addresses."),
               "mall_takes": _l("Takes %(points)s points", points="{points}"),
               "mall_pay": _l("To pay %(amount)s", amount="{amount}"),
               "mall_delivery": _l("Delivery %(amount)s", amount="{amount}"),
               "mall_confirm": _l("Redeem now"), "mall_cancel": _l("Cancel"),
               "mall_short": _l("%(n)s more points needed", n="{n}"), "no_payments": PAY_STEP["no_payments"]}

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "", max_length=40, help=_l("Blank: none"))
        show_balance = Checkbox(_l("Show the member's points above the items"), True)


@register
class PointsBalance(AppSection):
    """The member's points in one line — available, and those about to expire — opening their
    points history; a visitor not signed in is asked to sign in."""

    type = "points_balance"
    label = _l("Points balance")
    group = "member"
    icon = "coins"
    engine = "membership"
    pages = None
    script = "mall.js"
    strings = {**_MALL, "member_expiring": _SHARED["member_expiring"], "balance_sign_in": _l("Sign in to see your points"),
               "balance_history": _l("History")}


@register
class TaskList(AppSection):
    """The task centre: sign in today, complete the profile, place a first order — each with its
    points, done or to do, and a button to collect a done task's points."""

    type = "task_list"
    label = _l("Task centre")
    group = "member"
    icon = "checklist"
    engine = "membership"
    pages = None
    script = "mall.js"
    strings = {**_MALL, "task_sign_in": _l("Sign in today"), "task_profile": _l("Complete your profile"),
               "task_profile_hint": _l("Give your birthday for a gift every year"),
               "task_first_order": _l("Place your first order"),
               "task_daily": _l("Every day"), "task_once": _l("Once"),
               "task_go": _l("Go"), "task_claim": _l("Collect"), "task_done": _l("Done"),
               "task_collected": _l("+%(n)s points collected", n="{n}"),
               "task_birthday": _l("Your birthday"), "task_save": _l("Save"),
               "task_join": _l("Sign in to earn points with tasks."), "task_join_button": _l("Sign in / Register")}

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "", max_length=40, help=_l("Blank: none"))


@register
class RedemptionRecords(AppSection):
    """The consumer's redemptions, newest first: the item, the points and money it took, and its
    order's state (a link to the order)."""

    type = "redemption_records"
    label = _l("My redemptions")
    icon = "receipt"
    engine = "membership"
    pages = ("redemptions",)
    script = "mall.js"
    strings = {**_MALL, **STATUSES, "records_none": _l("Nothing redeemed yet."), "records_more": _l("Load more"),
               "records_paid": _l("Paid %(amount)s", amount="{amount}")}


# -- the inbox (static/inbox.js) -------------------------------------------------------------------

register_system_page(SystemPage("inbox", _l("Messages"), main="inbox", engine="membership", member_centre=True))


@register
class Inbox(AppSection):
    """The member's messages from the shop (its automations': a welcome, points about to expire …),
    newest first, the unread ones marked; opening one marks it read."""

    type = "inbox"
    label = _l("Messages")
    icon = "mail"
    engine = "membership"
    pages = ("inbox",)
    script = "inbox.js"
    strings = {"inbox_none": _l("No messages yet."), "inbox_more": _l("Load more"),
               "inbox_unread": _l("%(n)s unread", n="{n}"), "inbox_new": _l("New"),
               "inbox_booking_reminder": _l("Coming up: %(name)s", name="{name}"),
               "inbox_booking_starts": _l("Starts at %(when)s. See you there!", when="{when}")}
