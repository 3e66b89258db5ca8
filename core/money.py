"""Money: integer minor units plus an ISO 4217 currency. Never floats (DESIGN.md §5)."""

from __future__ import annotations

import dataclasses
import re
from decimal import ROUND_HALF_UP, Decimal

# Minor-unit exponents that differ from 2 (ISO 4217); every other known currency uses 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XAF": 0, "XOF": 0,
              "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "IQD": 3, "LYD": 3}
CURRENCIES = frozenset({"CNY", "USD", "EUR", "GBP", "HKD", "TWD", "SGD", "AUD", "CAD", "CHF", "NZD",
                        "MYR", "THB", "PHP", "IDR", "INR", "MXN", "BRL", "SEK", "NOK", "DKK", "PLN",
                        "CZK", "HUF", "ZAR", "AED", "SAR", "ILS", "TRY", "MOP", *_EXPONENTS})
_SYMBOLS = {"CNY": "¥", "JPY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "TWD": "NT$",
            "KRW": "₩", "SGD": "S$", "AUD": "A$", "CAD": "C$", "MOP": "MOP$"}


class MoneyError(ValueError):
    pass


# An amount as people write it: ASCII digits, an optional minus and decimal point. Decimal() takes
# far more ("1e3", "NaN", "+1", "1_000", full-width digits), none of which a price field means.
_PLAIN_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
# The largest amount anyone types (a price, a fee, a threshold), in minor units: ten billion in a
# two-decimal currency. Sums of many stay far inside the BIGINT columns they are stored in.
MAX_TYPED = 10**12


def exponent(currency: str) -> int:
    if currency not in CURRENCIES:
        raise MoneyError(f"unknown currency {currency!r}")
    return _EXPONENTS.get(currency, 2)


@dataclasses.dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount in minor units (cents, fen) of one currency."""

    amount: int
    currency: str

    def __post_init__(self):
        if type(self.amount) is not int:  # bool, float and Decimal are refused alike
            raise MoneyError(f"Money amount must be an int of minor units, got {type(self.amount).__name__}")
        exponent(self.currency)

    @classmethod
    def zero(cls, currency: str) -> "Money":
        return cls(0, currency)

    @classmethod
    def parse(cls, text: str, currency: str) -> "Money":
        """From major units as written by people ("12.50", surrounding spaces allowed); refuses
        anything else that is not a plain decimal of ASCII digits (exponents, NaN, a leading +,
        underscores, other scripts' digits), more decimals than the currency has, and more than
        MAX_TYPED minor units."""
        places = exponent(currency)
        written = str(text).strip()
        if not _PLAIN_DECIMAL.fullmatch(written):
            raise MoneyError(f"{text!r} is not an amount")
        value = Decimal(written)
        scaled = value.scaleb(places)
        if scaled != scaled.to_integral_value():
            raise MoneyError(f"{text!r} has more than {places} decimal places for {currency}")
        if abs(scaled) > MAX_TYPED:
            raise MoneyError(f"At most {cls(MAX_TYPED, currency).format()}.")
        return cls(int(scaled), currency)

    def _same(self, other: object) -> "Money":
        if not isinstance(other, Money):
            raise MoneyError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency}")
        return other

    def __add__(self, other: "Money") -> "Money":
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: int) -> "Money":
        if type(factor) is not int:
            raise MoneyError("multiply Money by an int; use allocate() or apply_rate() for fractions")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: "Money") -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: "Money") -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: "Money") -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: "Money") -> bool:
        return self.amount >= self._same(other).amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def apply_rate(self, basis_points: int) -> "Money":
        """This amount times basis_points / 10,000, rounded half up (away from zero)."""
        if type(basis_points) is not int:
            raise MoneyError("rates are integer basis points")
        value = (Decimal(self.amount) * basis_points / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return Money(int(value), self.currency)

    def allocate(self, weights: list[int]) -> list["Money"]:
        """Split into parts proportional to integer weights; the parts add up exactly (largest
        remainder), so a discount spread over lines never gains or loses a cent."""
        if not weights or any(type(w) is not int or w < 0 for w in weights) or sum(weights) == 0:
            raise MoneyError("allocate needs non-negative int weights with a positive sum")
        total = sum(weights)
        sign = -1 if self.amount < 0 else 1
        amount = abs(self.amount)
        shares = [amount * w // total for w in weights]
        remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
        for i in remainders[: amount - sum(shares)]:
            shares[i] += 1
        return [Money(sign * s, self.currency) for s in shares]

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def format(self) -> str:
        """"¥1,234.50", "-¥0.05", "1,234.500 KWD": in integers (an order's answer formats dozens)."""
        places = exponent(self.currency)
        major, minor = divmod(abs(self.amount), 10**places)
        text = f"{major:,}.{minor:0{places}d}" if places else f"{major:,}"
        sign = "-" if self.amount < 0 else ""
        symbol = _SYMBOLS.get(self.currency)
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {self.currency}"

    def to_json(self) -> dict:
        """The API form: minor units, currency and a display string."""
        return {"amount": self.amount, "currency": self.currency, "display": self.format()}

    def __str__(self) -> str:
        return self.format()
