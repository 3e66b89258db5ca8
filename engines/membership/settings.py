"""The membership engine's flow settings (`app.settings.membership`): how points and growth are
earned, spent, frozen and expire, what a sign-in gives and whether tiers are re-evaluated.
Edited in the designer's Features panel, read from the published version."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import Checkbox, Integer, Select, SettingsSchema

EXPIRY = [("never", _l("Never")), ("year_end", _l("At the end of the year after they were earned")),
          ("days", _l("A number of days after they were earned"))]
BALANCE_ORDER = [("principal_first", _l("What they paid in first, then the bonus")),
                 ("bonus_first", _l("The bonus first, then what they paid in"))]
DOWNGRADE = [("never", _l("Never: a tier reached is kept")),
             ("period", _l("Re-evaluated over the last months' growth"))]


class MembershipSettings(SettingsSchema):
    points_per_unit = Integer(_l("Points earned per ¥1 paid"), 1, min=0, max=1000,
                              help=_l("0 turns earning by orders off. A tier's multiplier applies on top."))
    growth_per_unit = Integer(_l("Growth per ¥1 paid"), 1, min=0, max=1000)
    growth_per_order = Integer(_l("Growth per paid order"), 0, min=0, max=10_000)
    growth_per_review = Integer(_l("Growth per review"), 5, min=0, max=10_000,
                                help=_l("For each line of a completed order the member reviews."))
    freeze_points = Checkbox(_l("Points from an order wait for its after-sales window"), True,
                             help=_l("Frozen until the days for after-sales have passed after completion; a refund "
                                     "before then takes them back without touching the balance."))
    points_expiry = Select(_l("Points expire"), EXPIRY, "never")
    points_expiry_days = Integer(_l("Days points last"), 365, min=1, max=3650)
    points_rate = Integer(_l("Points worth ¥1 at checkout"), 100, min=1, max=100_000,
                          help=_l("0 points can be spent when this is more than the order allows."))
    points_max_share = Integer(_l("Most of an order points may pay (%)"), 50, min=0, max=100,
                               help=_l("0 turns spending points at checkout off."))
    points_min_payable = Integer(_l("Least left to pay (fen)"), 1, min=0, max=1_000_000,
                                 help=_l("Points never bring an order's items below this."))
    sign_in_points = Integer(_l("Points for signing in"), 5, min=0, max=10_000)
    sign_in_growth = Integer(_l("Growth for signing in"), 0, min=0, max=10_000)
    streak_days = Integer(_l("Days in a row for the streak bonus"), 7, min=2, max=365)
    streak_points = Integer(_l("Streak bonus points"), 20, min=0, max=100_000)
    task_profile_points = Integer(_l("Task: points for completing the profile"), 50, min=0, max=100_000,
                                  help=_l("Collected once, when the member has given their birthday. 0: not offered."))
    task_first_order_points = Integer(_l("Task: points for a first order"), 100, min=0, max=100_000,
                                      help=_l("Collected once, after the member's first paid order. 0: not offered."))
    stored_value = Checkbox(_l("Stored value: members recharge and pay from their balance"), False)
    balance_order = Select(_l("A balance pays with"), BALANCE_ORDER, "principal_first",
                           help=_l("A refund gives each part back in the share it paid."))
    downgrade = Select(_l("Tiers go down"), DOWNGRADE, "never")
    downgrade_months = Integer(_l("Months of growth a tier is judged on"), 12, min=1, max=36)
