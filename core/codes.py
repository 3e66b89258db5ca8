"""Codes people type (a coupon's redeem codes, a member card's activation codes): unguessable,
from an alphabet without look-alikes, read back in any case with spaces or dashes."""

from __future__ import annotations

import re
import secrets

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
LENGTH = 12  # 32^12 ≈ 10^18: guessing one of a million codes takes about 10^12 tries


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str:
    """A code as people type it: any case, with spaces or dashes."""
    return re.sub(r"[\s-]", "", str(text)).upper()[:24]
