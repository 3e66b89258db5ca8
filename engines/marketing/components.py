"""The marketing engine's page components: the coupon strip (the claim centre on any page) and
the consumer's coupons (a system page of the member centre). Both are filled by static/h5.js from
the consumer API, so the page stays the same for every visitor."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import AppSection, SettingsSchema, SystemPage, Text, register, register_system_page

register_system_page(SystemPage("coupons", _l("My coupons"), main="coupon_wallet", engine="marketing",
                                member_centre=True))

_SHARED = {"claim": _l("Claim"), "claimed": _l("Claimed"), "free_delivery": _l("Free delivery"),
           "amount_off": _l("%(amount)s off", amount="{amount}"), "percent_off": _l("%(percent)s off", percent="{percent}"),
           "amount_off_spend": _l("%(amount)s off a spend of %(minimum)s", amount="{amount}", minimum="{minimum}"),
           "spend": _l("on %(amount)s or more", amount="{amount}"),
           "until": _l("Until %(date)s", date="{date}"), "days_after": _l("%(n)s days after you claim it", n="{n}"),
           "left": _l("%(n)s left", n="{n}")}


@register
class CouponStrip(AppSection):
    """The coupons anyone may claim, each with its Claim button."""

    type = "coupon_strip"
    label = _l("Coupons to claim")
    group = "commerce"
    icon = "ticket"
    engine = "marketing"
    limit = None
    script = "h5.js"
    strings = {**_SHARED, "none": _l("No coupons to claim right now.")}

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "Coupons", max_length=40)


@register
class CouponWallet(AppSection):
    type = "coupon_wallet"
    label = _l("My coupons")
    icon = "ticket"
    engine = "marketing"
    pages = ("coupons",)
    script = "h5.js"
    strings = {**_SHARED, "available": _l("Available"), "used": _l("Used"), "expired": _l("Expired"),
               "no_coupons": _l("No coupons here."), "use_now": _l("Shop now")}
