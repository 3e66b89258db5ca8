"""Lines sold by capacity over time instead of stock (DESIGN.md §4, the booking engine): a
service at a start time, a ticket for an event's session, nights of a room type. The checkout line
names what is booked (`{"sku_id", "quantity", "booking": {...}}`); the engine that owns the item's
kind — registered here with `register_line_booker` — prices such lines and holds their capacity in
the checkout's transaction. Their SKUs' stock is not touched: capacity is the booking engine's.

A booker is an object with:

- `price(lines, consumer_id, now)`: for the quote's lines of its kinds, each a `QuoteLine` whose
  `booking` is what the request named (None when it named nothing), set `booked` on the lines it
  books, with their price (`unit_price`: a room's nights summed) and what the consumer reads of them
  (`options`: the date, the time, the staff member); raise APIError (422: a line needs a time; 409:
  no room left) to refuse. Lines of its kinds it leaves unbooked are sold from stock as before.
- `hold(order, order_lines, quote_lines)`: in the checkout's transaction, after the order's rows,
  the booked lines (each order line beside the quote line it came from): take their capacity
  or refuse (APIError 409; everything rolls back)."""

from __future__ import annotations

import json
from typing import Protocol

from core.errors import APIError

MAX_DETAIL = 2000  # characters of a line's `booking` as JSON: a slot, a session or dates, and a form's answers


class LineBooker(Protocol):
    def price(self, lines: list, consumer_id: int, now) -> None: ...

    def hold(self, order, order_lines: list, quote_lines: list) -> None: ...


BOOKERS: dict[str, LineBooker] = {}


def register_line_booker(kinds: tuple[str, ...], booker: LineBooker) -> None:
    for kind in kinds:
        BOOKERS[kind] = booker


def booking_of(line: object, index: int) -> dict | None:
    """A request line's `booking` (None when it names none); 422 when it is not a small object."""
    detail = line.get("booking") if isinstance(line, dict) else None
    if detail is None:
        return None
    if not isinstance(detail, dict) or len(json.dumps(detail, default=str)) > MAX_DETAIL:
        raise APIError("invalid_input", fields={f"lines.{index}.booking": [
            "Name what you book: {\"slot\"}, {\"session_id\"} or {\"from\", \"to\"} (a small object)."]})
    return detail


def price_booked(lines: list, consumer_id: int, now) -> None:
    """Let each registered booker price its kinds' lines; a line naming a booking whose item no
    booker books is refused."""
    by_booker: dict[int, tuple[LineBooker, list]] = {}
    for line in lines:
        booker = BOOKERS.get(line.kind)
        if booker is not None:
            by_booker.setdefault(id(booker), (booker, []))[1].append(line)
        elif line.booking is not None:
            raise APIError("invalid_input", fields={"lines": [f"{line.name} is not booked by time: order it without "
                                                              "`booking`."]})
    for booker, mine in by_booker.values():
        booker.price(mine, consumer_id, now)


def hold_booked(order, order_lines: list, quote_lines: list) -> None:
    """Each booker holds the capacity of its booked lines (in line order)."""
    by_booker: dict[int, tuple[LineBooker, list, list]] = {}
    for order_line, quote_line in zip(order_lines, quote_lines):
        if quote_line.booked is not None:
            booker = BOOKERS[quote_line.kind]
            entry = by_booker.setdefault(id(booker), (booker, [], []))
            entry[1].append(order_line)
            entry[2].append(quote_line)
    for booker, mine, quoted in by_booker.values():
        booker.hold(order, mine, quoted)
