"""Money: integer minor units plus a currency; never floats, never mixed currencies."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from core.money import Money, MoneyError, exponent


@pytest.mark.parametrize("amount", [1.5, True, Decimal("1"), "12", None])
def test_refuses_anything_but_int_minor_units(amount):
    with pytest.raises(MoneyError):
        Money(amount, "CNY")


def test_refuses_unknown_currencies():
    with pytest.raises(MoneyError):
        Money(100, "XXX")


def test_refuses_mixed_currencies():
    with pytest.raises(MoneyError):
        Money(100, "CNY") + Money(100, "USD")
    with pytest.raises(MoneyError):
        Money(100, "CNY") < Money(100, "USD")


def test_refuses_fractional_multiplication():
    with pytest.raises(MoneyError):
        Money(100, "CNY") * 1.5
    assert Money(150, "CNY") * 3 == Money(450, "CNY")
    assert 2 * Money(150, "CNY") == Money(300, "CNY")


@pytest.mark.parametrize(("text", "currency", "minor"), [
    ("12.50", "CNY", 1250), ("0.01", "USD", 1), ("1000", "JPY", 1000), ("1.234", "KWD", 1234), ("-3.10", "EUR", -310),
])
def test_parse_major_units(text, currency, minor):
    assert Money.parse(text, currency) == Money(minor, currency)


@pytest.mark.parametrize(("text", "currency"), [("1.005", "CNY"), ("1.5", "JPY"), ("abc", "CNY"), ("NaN", "CNY"),
                                                 ("Infinity", "USD"), ("", "CNY")])
def test_parse_refuses_what_is_not_an_amount_of_that_currency(text, currency):
    with pytest.raises(MoneyError):
        Money.parse(text, currency)



@pytest.mark.parametrize("text", ["1e3", "1E3", "\uff11\uff12", "\u0661\u0662", "NaN", "nan", "Infinity", "-Infinity",
                                  "+12", "1_000", "12abc", "$12", "12 CNY", "\u00bd", "12.", ".5", "1,000", "- 12",
                                  "12.5.0", "0x10"])
def test_parse_refuses_anything_but_a_plain_decimal(text):
    # given text a person might type that is not a plain decimal of ASCII digits
    # when it is parsed, then it is refused
    with pytest.raises(MoneyError) as error:
        Money.parse(text, "CNY")
    assert str(error.value) == f"{text!r} is not an amount"


@pytest.mark.parametrize(("text", "minor"), [("12", 1200), ("12.5", 1250), ("12.50", 1250), ("0.99", 99),
                                             (" 7.00 ", 700), ("007", 700)])
def test_parse_accepts_plain_decimals(text, minor):
    # given a plain decimal, when it is parsed, then it is that many minor units
    assert Money.parse(text, "CNY") == Money(minor, "CNY")

def test_exponents():
    assert (exponent("CNY"), exponent("JPY"), exponent("KWD")) == (2, 0, 3)


def test_arithmetic_and_comparison():
    a, b = Money(1250, "CNY"), Money(250, "CNY")
    assert a + b == Money(1500, "CNY")
    assert a - b == Money(1000, "CNY")
    assert -a == Money(-1250, "CNY")
    assert b < a and a >= b and not a < b
    assert not Money.zero("CNY") and Money(1, "CNY")


@pytest.mark.parametrize(("amount", "bps", "expected"), [
    (1000, 1250, 125), (999, 5000, 500), (1, 5000, 1), (-999, 5000, -500), (1234, 0, 0), (100, 10_000, 100)])
def test_apply_rate_rounds_half_away_from_zero(amount, bps, expected):
    assert Money(amount, "CNY").apply_rate(bps) == Money(expected, "CNY")


def test_apply_rate_refuses_float_rates():
    with pytest.raises(MoneyError):
        Money(100, "CNY").apply_rate(12.5)


def test_allocate_adds_up_exactly_and_deterministically():
    rng = random.Random(20261124)
    for _ in range(500):
        amount = rng.randint(-100_000, 100_000)
        weights = [rng.randint(0, 5000) for _ in range(rng.randint(1, 8))]
        if sum(weights) == 0:
            weights[0] = 1
        parts = Money(amount, "CNY").allocate(weights)
        assert sum(p.amount for p in parts) == amount
        assert parts == Money(amount, "CNY").allocate(weights)
        for part, weight in zip(parts, weights):
            exact = amount * weight / sum(weights)
            assert abs(part.amount - exact) < 1
            if weight == 0:
                assert part.amount == 0


def test_allocate_example():
    assert [p.amount for p in Money(100, "CNY").allocate([1, 1, 1])] == [34, 33, 33]


def test_allocate_refuses_bad_weights():
    for weights in ([], [0, 0], [1, -1], [1.5]):
        with pytest.raises(MoneyError):
            Money(100, "CNY").allocate(weights)


def test_format_and_json():
    assert Money(123456, "CNY").format() == "¥1,234.56"
    assert Money(-500, "USD").format() == "-$5.00"
    assert Money(1000, "JPY").format() == "¥1,000"
    assert Money(1234, "KWD").format() == "1.234 KWD"
    assert Money(1250, "CNY").to_json() == {"amount": 1250, "currency": "CNY", "display": "¥12.50"}
