"""The marketing engine's flow settings (`app.settings.marketing`), edited in the designer's
Features panel and read from the published version."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import Checkbox, SettingsSchema


class MarketingSettings(SettingsSchema):
    coupon_back_on_refund = Checkbox(_l("A refunded order gives its coupon back"), False,
                                     help=_l("When everything on an order is refunded, the coupon used on it can "
                                             "be used again (until it expires)."))
