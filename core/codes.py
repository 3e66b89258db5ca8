"""Codes people type (a coupon's redeem codes, a member card's activation codes): unguessable,
from an alphabet without look-alikes, read back in any case with spaces or dashes."""

from __future__ import annotations

import re
import secrets
from typing import Callable

from sqlalchemy.exc import IntegrityError

from core.db import db

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
LENGTH = 12  # 32^12 ≈ 10^18: guessing one of a million codes takes about 10^12 tries


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str) -> str:
    """A code as people type it: any case, with spaces or dashes."""
    return re.sub(r"[\s-]", "", str(text)).upper()[:24]


def write_unique(count: int, write: Callable[[list[str]], None]) -> list[str]:
    """About `count` new codes (a repeat drawn in the batch is dropped: about one in 10^9 for a
    million) written by `write` in a savepoint; a clash with a code already there (the table's
    unique constraint) makes it draw them again."""
    for _attempt in range(3):
        codes = list({new_code() for _ in range(count)})
        try:
            with db.session.begin_nested():
                write(codes)
            return codes
        except IntegrityError:
            continue
    raise RuntimeError("could not make unique codes")
