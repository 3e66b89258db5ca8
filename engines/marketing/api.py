"""The consumer API of marketing: the claim centre (/api/v1/coupons), claiming a copy, the
consumer's wallet (/api/v1/me/coupons) and the bundles on now (/api/v1/bundles). Checkout takes a
copy's id in `coupon_ids`."""

from __future__ import annotations

from flask import current_app, jsonify, request

from core.api import api_blueprint, load_json, public_json, require_consumer_id
from core.cache import cached_json
from core.db import db, utcnow
from core.errors import APIError
from core.openapi import api_doc
from core.security import limiter
from core.tenancy import current_tenant
from engines.marketing.bundles import BundleAnswer, BundleListOut, BundleOut, live_bundles, next_change, shown_bundles
from engines.marketing.schemas import (ClaimedOut, CouponListOut, CouponOut, HeldCouponOut, OfferOut, OffersOut,
                                       RedeemIn, WalletOut)
from engines.marketing.codes import redeem
from engines.marketing.services import claim, claimable, find_coupon, offers_for, wallet
from engines.orders.services import CheckoutIn, quote

bp = api_blueprint("marketing_api", __name__)


def redeem_rate_limit() -> str:
    """Tries at redeem codes per consumer (guessing one is hopeless; this keeps it so)."""
    return current_app.config.get("REDEEM_RATE_LIMIT", "10/minute;100/day")


def _consumer_key() -> str:
    return f"redeem:{require_consumer_id()}"


@bp.get("/coupons")
@api_doc("The claim centre: the shop's coupons anyone may claim now", tags=["coupons"], response=CouponListOut)
def coupons():
    return jsonify(coupons=CouponOut(many=True).dump(claimable()))


@bp.post("/coupons/<int:coupon_id>/claim")
@api_doc("Claim a copy of a coupon (limits per person and in all are exact under concurrency)", tags=["coupons"],
         response=ClaimedOut, status=201, auth=True, errors=(404, 409))
def claim_coupon(coupon_id: int):
    consumer_id = require_consumer_id()
    find_coupon(coupon_id)  # 404 before anything is counted
    copy = claim(coupon_id, consumer_id)
    coupon = find_coupon(coupon_id)
    db.session.commit()
    return jsonify(coupon=HeldCouponOut().dump((copy, coupon))), 201


@bp.post("/coupons/redeem")
@limiter.limit(redeem_rate_limit, key_func=_consumer_key)
@api_doc("Redeem a code for a copy of its coupon (codes are not case-sensitive; spaces and dashes are ignored)",
         tags=["coupons"], body=RedeemIn, response=ClaimedOut, status=201, auth=True, errors=(404, 409, 415, 429))
def redeem_code():
    consumer_id = require_consumer_id()
    copy, coupon = redeem(load_json(RedeemIn)["code"], consumer_id)
    db.session.commit()
    return jsonify(coupon=HeldCouponOut().dump((copy, coupon))), 201


@bp.get("/me/coupons")
@api_doc("The consumer's coupons: available, used (or on an unpaid order) or expired", tags=["coupons"],
         response=WalletOut, auth=True, query={"status": "available (default), used or expired"})
def my_coupons():
    consumer_id = require_consumer_id()
    return jsonify(coupons=HeldCouponOut(many=True).dump(wallet(consumer_id, request.args.get("status", "available"))))


@bp.post("/checkout/coupons")
@api_doc("The consumer's coupons for an order (checkout's body): what each would take off, the best first",
         tags=["coupons", "checkout"], body=CheckoutIn, response=OffersOut, auth=True, errors=(409, 415))
def checkout_coupons():
    consumer_id = require_consumer_id()
    data = load_json(CheckoutIn)
    priced = quote(consumer_id=consumer_id, lines=data["lines"], fulfillment_choice=data["fulfillment"])
    offers = offers_for(priced, consumer_id)
    best = next((offer for offer in offers if offer.discount > 0), None)
    return jsonify(coupons=OfferOut(many=True).dump(offers), best=str(best.copy.id) if best else None)


# -- bundles (engines.marketing.bundles) ------------------------------------------------------------
# Public answers, the same for every visitor: kept whole in the page cache under the shop's
# "marketing" and "catalog" stamps and the next moment a bundle starts or ends (what is live stays
# the same until then), served with an ETag. A hit costs no database query.

BUNDLE_KINDS = ("marketing", "catalog")  # the data kinds the bundle answers read


def _public_bundles(key: tuple, build):
    tenant = current_tenant()
    now = utcnow()
    return public_json(*cached_json(tenant.id, BUNDLE_KINDS, (*key, next_change(now), tenant.currency),
                                    lambda: build(now)))


@bp.get("/bundles")
@api_doc("The bundles on now whose items are all on sale, newest first: each item with its quantity in a set, its "
         "cheapest SKU's price and its SKUs; the set's price and what it saves", tags=["bundles"],
         response=BundleListOut)
def bundles():
    return _public_bundles(("bundles",), lambda now: {
        "bundles": BundleOut(many=True).dump(shown_bundles(live_bundles(now)[::-1]))})


@bp.get("/bundles/<int:bundle_id>")
@api_doc("One bundle on now", tags=["bundles"], response=BundleAnswer, errors=(404,))
def bundle(bundle_id: int):
    def build(now) -> dict:
        found = shown_bundles([rule for rule in live_bundles(now) if rule.id == bundle_id])
        if not found:
            raise APIError("bundle_not_found")
        return {"bundle": BundleOut().dump(found[0])}

    return _public_bundles(("bundle", bundle_id), build)
