"""The price pipeline (DESIGN.md §4): member price → item promotions → bundles → order promotions
→ coupon → points → shipping → free-shipping rules and promotions → a free-shipping coupon.

A `PriceContext` carries what the pipeline prices from besides the lines: the consumer and their
member facts, the coupons chosen, the points to spend, the channel, the shop's settings and
`now`. Steps run by position (`POSITIONS`); each records what it did, so an order can explain its
total, and what changes the price is an `Adjustment`: the step, its source (`coupon:123`), a label,
an amount — negative for a discount, positive for a fee — the party funding a discount or owed a
fee, and its allocation to lines. Discounts are allocated by largest remainder, exact to the cent
and never below zero, so partial refunds, commissions and settlement are exact. An order's total
is its items total plus its adjustments; they are stored with it (`order_adjustments`,
`order_adjustment_lines`).

A step is an object with `apply(quote, context)`, or a plain function of the quote (a step that
needs no inputs and holds nothing). A step that holds something — a coupon, frozen points, a
campaign's budget — also implements the hooks the orders engine calls, each with the order and
that step's adjustments on it (a step that recorded none on an order is not called for it):

- `read_ahead(quote, context)`: before any step applies, it asks for the prepared reads it will
  need (`core.tenancy.execute_later`), which then go with the quote's first statement instead of
  a round trip each; keep their `Later` in `quote.memo`;
- `reserve(order, adjustments, context)`: in the checkout's transaction, after the order's rows;
  raise APIError to refuse the order (everything rolls back);
- `commit(order, adjustments)`: the order was paid;
- `release(order, adjustments)`: the order was cancelled unpaid (by the buyer, staff or the
  payment deadline's sweep); these two get the adjustments without their shares of the lines
  (`allocations` empty: nothing held depends on them, and the payment's path reads one query less);
- `release_lines(order, adjustments, line_quantities)`: units of lines were refunded
  ({line id: units}, once per refund, when the provider has refunded); only adjustments allocated
  to one of those lines are given, each with `refunded`: this refund's exact share of it (the
  refunded units' part of its allocations, by cumulative floor as the refund's money is, so the
  refunds of every unit give back exactly the whole). A paid order refunded in full gives back
  this way, refund by refund: `release` is only for orders never paid.

This engine brings the base steps — `items` here, `shipping` in `engines.orders.fulfillment` — and
the extension point: later engines call `register_price_step(name, position, step)` with the
position of their place in the pipeline."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Callable, Mapping, NamedTuple

from sqlalchemy import bindparam, func, select

from core.db import db, utcnow
from core.ids import new_id
from core.money import Money
from core.tenancy import execute, of_tenant
from engines.orders.models import Order, OrderAdjustment, OrderAdjustmentLine, OrderStatus

POSITIONS = {"items": 100, "member_price": 200, "item_promotions": 300, "bundles": 350, "order_promotions": 400,
             "coupon": 500, "points": 600, "shipping": 900, "free_shipping_rules": 920, "promotion_shipping": 940,
             "free_shipping": 950}
HOOKS = ("read_ahead", "reserve", "commit", "release", "release_lines")
_FUNDER = re.compile(r"platform|merchant|sub_merchant:[0-9]{1,19}")


@dataclasses.dataclass(frozen=True)
class PriceContext:
    """What an order is priced from besides its lines. `member`, `coupons` and `points` are
    filled by the engines that give them meaning (membership, marketing); until then nothing
    asks for them, and the API takes none."""

    consumer_id: int
    now: dt.datetime
    channel: str = "api"  # where the consumer orders: api (native clients, the H5 app), later mini-program kinds
    member: Mapping[str, object] = dataclasses.field(default_factory=dict)  # tier, growth value …
    coupons: tuple[str, ...] = ()  # coupon codes or ids the consumer chose
    points: int = 0  # points the consumer wants to spend
    settings: Mapping[str, object] = dataclasses.field(default_factory=dict)  # the shop's flow settings
    # Rules not published yet that a step applies as if they were, by step name (the back office's
    # price simulator: "what would this draft promotion do to this cart?"); never set at checkout.
    drafts: Mapping[str, tuple] = dataclasses.field(default_factory=dict)
    # A special sale the lines are bought under, named by the engine that gives it meaning (a
    # points-mall redemption: ("redemption", id)), and the only steps that price it then (None: all).
    offer: tuple[str, int] | None = None
    only_steps: frozenset[str] | None = None


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
    gift: bool = False  # given by a promotion (all of its price taken off): costs no delivery, counts for no rule
    booking: dict | None = None  # what the request named for a line booked by time (engines.orders.booked_lines)
    booked: dict | None = None  # what the booking engine made of it, once it priced the line: its capacity is held
    deposit_percent: int = 0  # of its price, the part a deposit pays online (the booker sets it; 0: paid in full)

    @property
    def subtotal(self) -> int:
        return self.unit_price * self.quantity

    @property
    def payable(self) -> int:
        return self.subtotal - self.discount

    @property
    def due_later(self) -> int:
        """What of the line a deposit leaves to pay at the shop (the deposit rounds up)."""
        return self.payable * (100 - self.deposit_percent) // 100 if self.deposit_percent else 0


@dataclasses.dataclass
class Adjustment:
    """What a step changed on the price, and who is on the other side of it: `funded_by` pays for
    a discount (amount < 0) or is owed a fee (amount > 0) — "platform", "merchant" or
    "sub_merchant:<id>". `allocations` are its shares of lines, of its sign and adding up to it
    (none for a fee on the whole order), keyed by the line's index in the quote while pricing and
    by the order line's id once placed (`Quote.place`, and what the hooks are given)."""

    step: str
    source_kind: str
    source_id: int | None
    label: str
    amount: int
    funded_by: str
    allocations: dict[int, int]
    id: int | None = None  # given when the order is placed
    refunded: int = 0  # in release_lines: this refund's share of it (of its sign)
    entry: dict | None = dataclasses.field(default=None, repr=False, compare=False)  # its record in Quote.steps

    @property
    def source(self) -> str:
        return self.source_kind if self.source_id is None else f"{self.source_kind}:{self.source_id}"


@dataclasses.dataclass
class Quote:
    """What the pipeline works on: the lines, how the order is fulfilled, the context, the steps
    so far (`steps`, the record shown to consumers and stored as `orders.pricing`) and the
    adjustments."""

    currency: str
    consumer_id: int
    lines: list[QuoteLine]
    fulfillment: dict
    shipping_fee: int = 0
    steps: list[dict] = dataclasses.field(default_factory=list)
    # What the lines were priced from, per SKU: (its price, its item's option groups) — checkout
    # checks them against what the statement taking the stock reads.
    priced_from: dict[int, tuple[int, list]] = dataclasses.field(default_factory=dict)
    context: PriceContext | None = None
    adjustments: list[Adjustment] = dataclasses.field(default_factory=list)
    # What a step worked out that a later step of the same engine reuses, by a key of that engine's
    # (a coupon copy read once for the coupon and the free-delivery steps).
    memo: dict = dataclasses.field(default_factory=dict, repr=False)
    _charged: int = dataclasses.field(default=0, repr=False)  # of shipping_fee, what charge_shipping recorded

    @property
    def items_total(self) -> int:
        return sum(line.subtotal for line in self.lines)

    @property
    def discount_total(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def total(self) -> int:
        return self.items_total - self.discount_total + self.shipping_fee

    @property
    def balance_if_deposit(self) -> int:
        """What paying by a deposit leaves to pay at the shop (0: no line may be paid so)."""
        return sum(line.due_later for line in self.lines)

    def record(self, step: str, label: str, amount: int, **detail) -> dict:
        """Add a line to the explanation only (the items; a fee of nothing): no adjustment."""
        entry = {"step": step, "label": label, "amount": amount, **detail}
        self.steps.append(entry)
        return entry

    def _adjust(self, step: str, label: str, amount: int, *, source: tuple[str, int | None] | None,
                funded_by: str, allocations: dict[int, int], **detail) -> Adjustment:
        """Record an adjustment and its line in the explanation (`discount` and `charge_shipping`
        keep the lines and the fee consistent with it)."""
        kind, source_id = source or (step, None)
        adjustment = Adjustment(step=step, source_kind=kind, source_id=source_id, label=label, amount=amount,
                                funded_by=funded_by, allocations=allocations, entry=None)
        adjustment.entry = self.record(step, label, amount, source=adjustment.source, funded_by=funded_by, **detail)
        self.adjustments.append(adjustment)
        return adjustment

    def discount(self, step: str, label: str, amount: int, lines: list[QuoteLine] | None = None, *,
                 source: tuple[str, int | None] | None = None, funded_by: str = "merchant", **detail) -> int:
        """Take `amount` off the given lines (all by default), shared in proportion to what they
        still cost and never below zero; returns what was taken (nothing recorded when nothing
        could be). `source` is (kind, id), e.g. ("coupon", 123); `funded_by` who pays for it."""
        _check_funder(funded_by)
        chosen = None if lines is None else {id(line) for line in lines}
        indexes = [index for index, line in enumerate(self.lines)
                   if (chosen is None or id(line) in chosen) and line.payable > 0]
        amount = min(amount, sum(self.lines[index].payable for index in indexes))
        if amount <= 0:
            return 0
        shares = Money(amount, self.currency).allocate([self.lines[index].payable for index in indexes])
        allocations = {}
        for index, share in zip(indexes, shares, strict=True):
            if share.amount:
                self.lines[index].discount += share.amount
                allocations[index] = -share.amount
        self._adjust(step, label, -amount, source=source, funded_by=funded_by, allocations=allocations, **detail)
        return amount

    def charge_shipping(self, step: str, label: str, amount: int, *, source: tuple[str, int | None] | None = None,
                        funded_by: str = "merchant", **detail) -> None:
        """Add a delivery fee to the order, owed to `funded_by` (refunded only with everything,
        before handover: see after_sales). A fee of nothing is recorded for the explanation only."""
        _check_funder(funded_by)
        if amount < 0:
            raise ValueError("a delivery fee cannot be negative: give a discount instead")
        self.shipping_fee += amount
        self._charged += amount
        if amount:
            self._adjust(step, label, amount, source=source, funded_by=funded_by, allocations={}, **detail)
        else:
            self.record(step, label, amount, **detail)

    def waive_shipping(self, step: str, label: str, amount: int, *, source: tuple[str, int | None] | None = None,
                       funded_by: str = "merchant", **detail) -> int:
        """Take up to `amount` off the delivery fee charged so far (a free-delivery coupon or rule,
        after the `shipping` step), funded by `funded_by`; returns what was taken."""
        _check_funder(funded_by)
        amount = min(amount, self.shipping_fee)
        if amount <= 0:
            return 0
        self.shipping_fee -= amount
        self._charged -= amount
        self._adjust(step, label, -amount, source=source, funded_by=funded_by, allocations={}, **detail)
        return amount

    def place(self, order_lines: list) -> list[Adjustment]:
        """The adjustments as the order records them: each given an id (named in its line of
        `steps` too), its shares keyed by the ids of the order's lines (made in the quote's order)."""
        placed = []
        for adjustment in self.adjustments:
            adjustment_id = new_id()
            if adjustment.entry is not None:
                adjustment.entry["adjustment_id"] = str(adjustment_id)
            placed.append(dataclasses.replace(adjustment, id=adjustment_id, allocations={
                order_lines[index].id: amount for index, amount in adjustment.allocations.items()}))
        return placed

    def money(self, amount: int) -> dict:
        return Money(amount, self.currency).to_json()


def _check_funder(funded_by: str) -> None:
    if not _FUNDER.fullmatch(funded_by):
        raise ValueError(f"funded_by must be platform, merchant or sub_merchant:<id>, not {funded_by!r}")


class _Entry(NamedTuple):
    """A registered step, its hooks looked up once (None where it has none)."""

    position: int
    name: str
    step: object
    apply: Callable  # apply(quote, context), or the function of the quote (`plain`)
    plain: bool
    read_ahead: Callable | None  # read_ahead(quote, context): reads asked for before any step runs
    reserve: Callable | None
    commit: Callable | None
    release: Callable | None
    release_lines: Callable | None


_STEPS: list[_Entry] = []


def register_price_step(name: str, position: int, step: object) -> None:
    """Put a step in the pipeline (an object with `apply(quote, context)` and the hooks it needs,
    or a function of the quote); steps run by position (see POSITIONS), once each."""
    if any(entry.name == name for entry in _STEPS):
        raise ValueError(f"price step {name!r} is already registered")
    plain = not hasattr(step, "apply")
    if plain and not callable(step):
        raise TypeError(f"price step {name!r} has no apply(quote, context)")
    _STEPS.append(_Entry(position, name, step, step if plain else step.apply, plain,
                         *(getattr(step, hook, None) for hook in HOOKS)))
    _STEPS.sort(key=lambda entry: entry.position)


def steps() -> list[str]:
    return [entry.name for entry in _STEPS]


def run_pipeline(quote: Quote, context: PriceContext | None = None) -> Quote:
    context = quote.context = context or quote.context or PriceContext(consumer_id=quote.consumer_id, now=utcnow())
    taken = [entry for entry in _STEPS if context.only_steps is None or entry.name in context.only_steps]
    for entry in taken:  # what the steps will read goes with the first statement of the quote (execute_later)
        if entry.read_ahead is not None:
            entry.read_ahead(quote, context)
    for entry in taken:
        if entry.plain:
            entry.apply(quote)
        else:
            entry.apply(quote, context)
    if quote.shipping_fee != quote._charged:
        raise RuntimeError("a price step set shipping_fee itself: fees are added with Quote.charge_shipping, "
                           "which records who is owed them")
    return quote


def _items(quote: Quote) -> None:
    quote.record("items", "Items", quote.items_total, count=sum(line.quantity for line in quote.lines))


register_price_step("items", POSITIONS["items"], _items)


# -- adjustments as stored, and the hooks ----------------------------------------------------------

_adjustments, _shares = OrderAdjustment.__table__, OrderAdjustmentLine.__table__
_ADJUSTMENTS = select(*(_adjustments.c[name] for name in ("id", "step", "source_kind", "source_id", "label", "amount",
                                                           "funded_by"))).where(
    of_tenant(_adjustments), _adjustments.c.order_id == bindparam("order_id")).order_by(_adjustments.c.sequence)
_SHARES = select(_shares.c.adjustment_id, _shares.c.line_id, _shares.c.amount).where(
    of_tenant(_shares), _shares.c.order_id == bindparam("order_id")).order_by(_shares.c.line_id)


def adjustments_of(order_id: int, *, step_names: list[str] | None = None, shares: bool = True) -> list[Adjustment]:
    """An order's adjustments (of some steps only, when given), in the pipeline's order, with
    their shares of its lines unless `shares` is false (prepared queries: the hooks run on the
    payment's path)."""
    rows = [row for row in execute(_ADJUSTMENTS, {"order_id": order_id})
            if step_names is None or row.step in step_names]
    if not rows:
        return []
    found: dict[int, dict[int, int]] = {row.id: {} for row in rows}
    for adjustment_id, line_id, amount in (execute(_SHARES, {"order_id": order_id}) if shares else ()):
        if adjustment_id in found:
            found[adjustment_id][line_id] = amount
    return [Adjustment(step=row.step, source_kind=row.source_kind, source_id=row.source_id, label=row.label,
                       amount=row.amount, funded_by=row.funded_by, allocations=found[row.id], id=row.id)
            for row in rows]


def sales_by_source(source_kind: str, ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """For sources of adjustments (a coupon, a promotion …: `source_kind` and their ids), the
    paid orders carrying their discounts: {source id: (orders, what those orders came to, the
    discount they gave, a positive amount)}. An order counts once it is paid, whatever became of it
    since; one never paid does not; one with several of a source's adjustments counts once. One
    grouped query (the adjustments are indexed by source)."""
    paid = [status for status in OrderStatus if status not in (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED)]
    per_order = (
        select(OrderAdjustment.source_id.label("source_id"), Order.total.label("total"),
               func.sum(OrderAdjustment.amount).label("amount"))
        .join(Order, (Order.tenant_id == OrderAdjustment.tenant_id) & (Order.id == OrderAdjustment.order_id))
        .where(OrderAdjustment.source_kind == source_kind, OrderAdjustment.source_id.in_(ids),
               OrderAdjustment.amount < 0, Order.status.in_(paid))
        .group_by(OrderAdjustment.source_id, Order.id, Order.total)
        .subquery())
    rows = db.session.execute(select(per_order.c.source_id, func.count(), func.sum(per_order.c.total),
                                     func.sum(per_order.c.amount)).group_by(per_order.c.source_id))
    return {source_id: (orders, int(gmv), -int(amount)) for source_id, orders, gmv, amount in rows}


def _recorded(entry: dict) -> Adjustment:
    """An adjustment as the order's record of its steps holds it (without its shares of lines)."""
    kind, _, source_id = entry["source"].partition(":")
    return Adjustment(step=entry["step"], source_kind=kind, source_id=int(source_id) if source_id else None,
                      label=entry["label"], amount=entry["amount"], funded_by=entry["funded_by"], allocations={},
                      id=int(entry["adjustment_id"]))


def _stored(order, hooked: list[tuple[str, Callable]], *, shares: bool = True) -> list[tuple[Callable, list[Adjustment]]]:
    """Each (step name, hook) with the step's adjustments on the order (for those that have some).
    The order's own record of its steps (`pricing`, written with its adjustments) says whether a
    hooked step left one: an order without any costs no query."""
    names = {name for name, _ in hooked}
    steps = getattr(order, "pricing", None)  # None: a row read without it; ask the database
    if steps is not None:
        entries = [entry for entry in steps if entry.get("step") in names and "adjustment_id" in entry]
        if not entries:
            return []
        if not shares and all("source" in entry for entry in entries):  # the record says it all: no query
            found = [_recorded(entry) for entry in entries]
            return [(hook, mine) for name, hook in hooked if (mine := [a for a in found if a.step == name])]
    found = adjustments_of(order.id, step_names=list(names), shares=shares)
    return [(hook, mine) for name, hook in hooked if (mine := [a for a in found if a.step == name])]


def reserve_steps(order, adjustments: list[Adjustment], context: PriceContext) -> None:
    """Checkout, in its transaction, once the order's rows are written: the steps hold what their
    adjustments use (given as placed)."""
    if adjustments:
        for entry in _STEPS:
            if entry.reserve is not None and (mine := [a for a in adjustments if a.step == entry.name]):
                entry.reserve(order, mine, context)


def commit_steps(order) -> None:
    """The order was paid: what the steps held is used."""
    hooked = [(entry.name, entry.commit) for entry in _STEPS if entry.commit is not None]
    if hooked:  # no query while no step holds anything
        for commit, mine in _stored(order, hooked, shares=False):
            commit(order, mine)


def release_steps(order) -> None:
    """The order was cancelled unpaid: what the steps held goes back."""
    hooked = [(entry.name, entry.release) for entry in _STEPS if entry.release is not None]
    if hooked:
        for release, mine in _stored(order, hooked, shares=False):
            release(order, mine)


def share_of_units(amount: int, quantity: int, already: int, units: int) -> int:
    """What `units` more of a line's `quantity` units carry of `amount` (money paid for the line,
    or a discount's share of it) after `already` were counted: cumulative floor, so the shares of
    every unit add up exactly to `amount`, whatever the order of the refunds."""
    sign = -1 if amount < 0 else 1
    whole = abs(amount)
    return sign * (whole * (already + units) // quantity - whole * already // quantity)


def release_step_lines(order, line_quantities: dict[int, int], *, already: dict[int, int],
                       quantities: dict[int, int]) -> None:
    """Units of some lines were refunded ({line id: units}, after `already` units of each were by
    earlier refunds; `quantities`: each line's units): the steps give back their share."""
    hooked = [(entry.name, entry.release_lines) for entry in _STEPS if entry.release_lines is not None]
    if hooked:
        for release_lines, mine in _stored(order, hooked):
            touched = [dataclasses.replace(adjustment, refunded=sum(
                share_of_units(amount, quantities[line_id], already.get(line_id, 0), line_quantities[line_id])
                for line_id, amount in adjustment.allocations.items() if line_id in line_quantities))
                for adjustment in mine if adjustment.allocations.keys() & line_quantities.keys()]
            if touched:
                release_lines(order, touched, line_quantities)
