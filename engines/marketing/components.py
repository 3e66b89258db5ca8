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


# -- the bundle card (engines.marketing.bundles) ----------------------------------------------------

from core.components import Component, Reference  # noqa: E402
from core.ids import parse_id  # noqa: E402
from engines.marketing.bundles import BundleOut, live_bundles, next_change, shown_bundles  # noqa: E402


@register
class BundleCard(Component):
    """A bundle's items with their pictures, the set's price, what it saves and a button putting
    the whole set in the cart: an item with several SKUs is chosen in the card, a dish with options
    to choose links to its page instead. Rendered on the server like the item grid (the page is
    cached until the catalog or marketing changes, or a bundle starts or ends); static/bundles.js
    adds the set through the cart API."""

    type = "bundle_card"
    label = _l("Bundle")
    group = "commerce"
    icon = "package"
    engine = "marketing"
    template = "marketing/bundle_card.html"
    script = "bundles.js"
    data_kinds = ("marketing", "catalog")
    strings = {"bundle_added": _l("The set is in your cart."), "bundle_to_cart": _l("Go to the cart")}

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "", max_length=40)
        bundle = Reference(_l("Bundle"), "bundle", help=_l("Blank: the newest bundle on now"))

    def load(self, ctx, sections: list[dict]) -> dict:
        """Each card's bundle, as the consumer API answers it (None when it is not on now or an
        item of it is not on sale): the newest live bundle for a card that names none."""
        change = next_change(ctx.now)
        if change is not None:
            ctx.expire_at(change)
        named = {section["id"]: parse_id(section["settings"].get("bundle", "").partition(":")[2])
                 for section in sections}
        rules = live_bundles(ctx.now)[::-1]  # newest first
        if all(named.values()):
            rules = [rule for rule in rules if rule.id in set(named.values())]
        shown = shown_bundles(rules)
        by_id = {bundle.id: bundle for bundle in shown}
        chosen = {sid: by_id.get(bundle_id) if bundle_id else (shown[0] if shown else None)
                  for sid, bundle_id in named.items()}
        ctx.add_media({item.image for bundle in chosen.values() if bundle for item in bundle.items})
        return {sid: BundleOut().dump(bundle) if bundle else None for sid, bundle in chosen.items()}
