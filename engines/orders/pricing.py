"""The price pipeline (DESIGN.md §4): member price → item promotions → order promotions →
coupon → points → shipping. Each step is a function of the quote that records what it did, so an
order can explain its total; discounts are allocated to lines (largest remainder, exact to the
cent) so partial refunds and commissions are exact.

This engine brings the base steps — `items` here, `shipping` in `engines.orders.fulfillment` —
and the extension point: later
engines call `register_price_step(name, position, step)` with the position of their place in the
pipeline (`POSITIONS`)."""

from __future__ import annotations

import dataclasses
from typing import Callable

from core.money import Money

POSITIONS = {"items": 100, "member_price": 200, "item_promotions": 300, "order_promotions": 400, "coupon": 500,
             "points": 600, "shipping": 900}


@dataclasses.dataclass
class QuoteLine:
    sku_id: int
    item_id: int
    kind: str
    name: str
    options: dict
    sku_code: str
    image: str
    unit_price: int
    quantity: int
    weight_grams: int | None = None
    discount: int = 0

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.quantity

    @property
    def payable(self) -> int:
        return self.subtotal - self.discount


@dataclasses.dataclass
class Quote:
    """What the pipeline works on: the lines, how the order is fulfilled, and the steps so far."""

    currency: str
    consumer_id: int
    lines: list[QuoteLine]
    fulfillment: dict
    shipping_fee: int = 0
    steps: list[dict] = dataclasses.field(default_factory=list)
    # What the lines were priced from, per SKU: (its price, its item's option groups) — checkout
    # checks them against what the statement taking the stock reads.
    priced_from: dict[int, tuple[int, list]] = dataclasses.field(default_factory=dict)

    @property
    def items_total(self) -> int:
        return sum(line.subtotal for line in self.lines)

    @property
    def discount_total(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def total(self) -> int:
        return self.items_total - self.discount_total + self.shipping_fee

    def record(self, step: str, label: str, amount: int, **detail) -> None:
        self.steps.append({"step": step, "label": label, "amount": amount, **detail})

    def discount(self, step: str, label: str, amount: int, lines: list[QuoteLine] | None = None, **detail) -> int:
        """Take `amount` off the given lines (all by default), shared in proportion to what they
        still cost and never below zero; returns what was taken."""
        lines = [line for line in (lines or self.lines) if line.payable > 0]
        amount = min(amount, sum(line.payable for line in lines))
        if amount <= 0:
            return 0
        shares = Money(amount, self.currency).allocate([line.payable for line in lines])
        for line, share in zip(lines, shares, strict=True):
            line.discount += share.amount
        self.record(step, label, -amount, **detail)
        return amount

    def money(self, amount: int) -> dict:
        return Money(amount, self.currency).to_json()


PriceStep = Callable[[Quote], None]
_STEPS: list[tuple[int, str, PriceStep]] = []


def register_price_step(name: str, position: int, step: PriceStep) -> None:
    """Put a step in the pipeline; steps run by position (see POSITIONS), once each."""
    if any(existing == name for _, existing, _ in _STEPS):
        raise ValueError(f"price step {name!r} is already registered")
    _STEPS.append((position, name, step))
    _STEPS.sort(key=lambda entry: entry[0])


def steps() -> list[str]:
    return [name for _, name, _ in _STEPS]


def run_pipeline(quote: Quote) -> Quote:
    for _, _, step in _STEPS:
        step(quote)
    return quote


def _items(quote: Quote) -> None:
    quote.record("items", "Items", quote.items_total, count=sum(line.quantity for line in quote.lines))


register_price_step("items", POSITIONS["items"], _items)
