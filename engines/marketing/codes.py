"""Redeem codes: a coupon's codes made in batches — codes of core.codes (12 characters without
look-alikes, about 60 bits: unguessable), unique in the shop — exported as CSV, each redeemed once
by one consumer for one copy of the coupon (which counts against its limits like a claim)."""

from __future__ import annotations

import csv
import io
import re

from sqlalchemy import select, update

from core.codes import normalise, write_unique
from core.db import db, utcnow
from core.errors import APIError, register_codes
from core.tenancy import current_tenant_id, insert_rows, new_row
from engines.marketing.models import ConsumerCoupon, Coupon, CouponCode
from engines.marketing.services import find_coupon, issue

register_codes({"code_not_found": (404, "There is no such code."),
                "code_redeemed": (409, "This code has been redeemed already.")})

MAX_BATCH = 10_000
_BATCH_NAME = re.compile(r"[\w .:-]{1,40}")


def make_codes(coupon: Coupon, count: int, batch: str) -> list[str]:
    """`count` new codes of the coupon in a batch named `batch` (in one statement; a clash with
    an existing code — about one in 10^9 for a million codes — makes it try again)."""
    errors = {}
    if not 1 <= count <= MAX_BATCH:
        errors["count"] = [f"From 1 to {MAX_BATCH} codes at a time."]
    if not _BATCH_NAME.fullmatch(batch or ""):
        errors["batch"] = ["Name the batch: up to 40 letters, digits, spaces and . : - _"]
    if errors:
        raise APIError("invalid_input", fields=errors)
    return write_unique(count, lambda codes: insert_rows(
        CouponCode, [new_row(CouponCode, coupon_id=coupon.id, code=code, batch=batch) for code in codes]))


def codes_csv(coupon: Coupon, batch: str | None = None) -> str:
    """The coupon's codes (of one batch, when named) as CSV: code, batch, redeemed_at."""
    statement = select(CouponCode.code, CouponCode.batch, CouponCode.redeemed_at).where(
        CouponCode.coupon_id == coupon.id).order_by(CouponCode.id)
    if batch:
        statement = statement.where(CouponCode.batch == batch)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "batch", "redeemed_at"])
    for code, name, redeemed_at in db.session.execute(statement):
        writer.writerow([code, name, redeemed_at.isoformat() if redeemed_at else ""])
    return out.getvalue()


def redeem(text: str, consumer_id: int) -> tuple[ConsumerCoupon, Coupon]:
    """A consumer redeems a code: the code is taken once (a conditional UPDATE), and a copy of its
    coupon issued; a refusal of the copy (the coupon's limits) leaves the code unredeemed."""
    code = normalise(text)
    savepoint = db.session.begin_nested()
    try:
        taken = db.session.execute(
            update(CouponCode).where(CouponCode.tenant_id == current_tenant_id(), CouponCode.code == code,
                                     CouponCode.redeemed_by.is_(None))
            .values(redeemed_by=consumer_id, redeemed_at=utcnow())
            .returning(CouponCode.coupon_id).execution_options(synchronize_session=False)).scalar()
        if taken is None:
            exists = db.session.scalar(select(CouponCode.id).where(CouponCode.code == code))
            raise APIError("code_redeemed" if exists else "code_not_found")
        coupon = find_coupon(taken)
        copy = issue(coupon, consumer_id, source="code")
    except APIError:
        savepoint.rollback()  # the code stays unredeemed
        raise
    savepoint.commit()
    return copy, coupon
