"""The orders engine's flow settings: what the merchant decides about orders, in the app
document (`app.settings.orders`), edited in the designer's Features panel and read by the
services from the published version (`core.engines.flow_settings("orders")`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError, validates_schema

from core.components import Checkbox, Integer, SettingsSchema, Text

FULFILLMENT_SETTINGS = {"express": "express", "same_city": "same_city", "pickup": "pickup", "dine_in": "dine_in"}


class OrderSettings(SettingsSchema):
    pay_minutes = Integer(_l("Minutes to pay"), 30, min=5, max=1440,
                          help=_l("An order not paid in this time is cancelled and its stock goes back."))
    complete_days = Integer(_l("Days to confirm receipt"), 10, min=1, max=60,
                            help=_l("A shipped order is completed for the buyer after this many days."))
    after_sales_days = Integer(_l("Days for after-sales"), 7, min=0, max=90,
                               help=_l("How long after completion a buyer may still ask for a refund."))
    express = Checkbox(_l("Express delivery"), True)
    same_city = Checkbox(_l("Same-city delivery"), True)
    pickup = Checkbox(_l("Pickup at a store"), True)
    dine_in = Checkbox(_l("Dine in (table QR codes)"), True)
    pickup_prefix = Text(_l("Pickup number prefix"), "", max_length=2, pattern=r"^[A-Z]{0,2}$",
                         pattern_error="Up to two capital letters.",
                         help=_l("Shown before the pickup number, e.g. A for A0042."))
    pickup_digits = Integer(_l("Pickup number digits"), 4, min=3, max=5,
                            help=_l("The pickup number is the end of the order number."))

    @validates_schema
    def _one_way_to_receive(self, data, **kwargs):
        if not any(data.get(name, True) for name in FULFILLMENT_SETTINGS):
            raise ValidationError("Offer at least one way to receive an order.", "express")


def offered_fulfillment(settings: dict) -> list[str]:
    """The fulfilment types a shop's settings offer (services and virtual goods need none)."""
    return [kind for name, kind in FULFILLMENT_SETTINGS.items() if settings.get(name, True)]


def pickup_number(number: str, settings: dict) -> str:
    """What the counter calls out: the prefix and the last digits of the order number."""
    return f"{settings.get('pickup_prefix', '')}{number[-settings.get('pickup_digits', 4):]}"
