"""Redeem codes: made in batches (unique, unguessable), exported as CSV, each redeemed once for
one copy of its coupon, which counts against the coupon's limits."""

from __future__ import annotations

import csv
import io
import re

import pytest

from core.db import db
from core.tenancy import tenant_scope
from engines.marketing.codes import codes_csv, make_codes
from engines.marketing.models import Coupon
from tests.engines.marketing.test_coupons import coupon


def codes_of(shop, db_session, coupon_id: str, count: int, batch: str = "Launch") -> list[str]:
    with tenant_scope(shop["tenant"]):
        made = make_codes(db.session.get(Coupon, (shop["tenant"].id, int(coupon_id))), count, batch)
        db_session.commit()
        return made


def test_a_batch_of_codes_is_unique_unguessable_and_exported(shop, db_session):
    made = coupon(shop, db_session, public=False)
    codes = codes_of(shop, db_session, made, 500)
    assert len(set(codes)) == 500 and all(re.fullmatch(r"[2-9A-HJ-NP-Z]{12}", code) for code in codes)
    with tenant_scope(shop["tenant"]):
        rows = list(csv.DictReader(io.StringIO(codes_csv(db.session.get(Coupon, (shop["tenant"].id, int(made)))))))
    assert sorted(row["code"] for row in rows) == sorted(codes) and {row["batch"] for row in rows} == {"Launch"}


def test_a_code_is_redeemed_once_as_people_type_it(client, shop, db_session, create_consumer):
    made = coupon(shop, db_session, public=False)
    code = codes_of(shop, db_session, made, 1)[0]
    typed = f" {code[:4].lower()}-{code[4:8]} {code[8:]} "
    redeemed = client.post("/api/v1/coupons/redeem", json={"code": typed}, headers=shop["headers"])
    assert redeemed.status_code == 201 and redeemed.json["coupon"]["coupon"]["id"] == made
    again = client.post("/api/v1/coupons/redeem", json={"code": code}, headers=shop["headers"])
    assert (again.status_code, again.json["error"]["code"]) == (409, "code_redeemed")
    unknown = client.post("/api/v1/coupons/redeem", json={"code": "ZZZZZZZZZZZZ"}, headers=shop["headers"])
    assert (unknown.status_code, unknown.json["error"]["code"]) == (404, "code_not_found")


def test_a_code_refused_by_its_coupons_limit_stays_unredeemed(client, shop, db_session):
    made = coupon(shop, db_session, public=False, per_consumer_limit=1)
    first, second = codes_of(shop, db_session, made, 2)
    assert client.post("/api/v1/coupons/redeem", json={"code": first}, headers=shop["headers"]).status_code == 201
    refused = client.post("/api/v1/coupons/redeem", json={"code": second}, headers=shop["headers"])
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "coupon_limit_reached")
    with tenant_scope(shop["tenant"]):
        rows = list(csv.DictReader(io.StringIO(codes_csv(db.session.get(Coupon, (shop["tenant"].id, int(made)))))))
    assert {row["code"]: bool(row["redeemed_at"]) for row in rows} == {first: True, second: False}


@pytest.mark.parametrize("count, batch, field", [(0, "x", "count"), (10_001, "x", "count"), (5, "", "batch"),
                                                 (5, "<script>", "batch")])
def test_a_batch_that_makes_no_sense_is_refused(shop, db_session, count, batch, field):
    from core.errors import APIError

    made = coupon(shop, db_session)
    with pytest.raises(APIError) as refused:
        codes_of(shop, db_session, made, count, batch)
    assert field in refused.value.fields


def test_guessing_codes_is_limited_per_consumer(client, shop, db_session, app):
    app.config["REDEEM_RATE_LIMIT"] = "3/minute"
    from core.security import limiter

    limiter.reset()
    answers = [client.post("/api/v1/coupons/redeem", json={"code": f"GUESS{i:07d}"}, headers=shop["headers"]).status_code
               for i in range(5)]
    assert answers == [404, 404, 404, 429, 429]
