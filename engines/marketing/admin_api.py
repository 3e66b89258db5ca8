"""Coupons, order promotions and timed discounts in the Admin API (/admin/api/v1,
"marketing.manage"): make them, list and read them with their figures (engines.marketing.figures),
change what may change once they run, and send coupons' copies to consumers — through the services
the back office uses, audited as it audits them. Creates take an Idempotency-Key. Money is integer
minor units in, core.api.MoneyOut out."""

from __future__ import annotations

from flask import jsonify, request, url_for

from core.admin_api import PAGE_QUERY, AdminAPIBlueprint, idempotency_scope, page_args, record_audit, writing
from core.api import load_json
from core.errors import APIError
from core.idempotency import idempotent_created
from core.ids import parse_id
from core.openapi import api_doc
from engines.marketing.discounts import create_discount, find_discount, list_discounts, update_discount
from engines.marketing.models import Coupon, Promotion, TimedDiscount
from engines.marketing.promotions import create_promotion, find_promotion, list_promotions, update_promotion
from engines.marketing.schemas import (CouponIn, CouponPatchIn, DiscountIn, DiscountPatchIn, PromotionIn,
                                       PromotionPatchIn, SendIn, SentOut, StaffCouponAnswer, StaffCouponOut,
                                       StaffCouponPageOut, StaffDiscountAnswer, StaffDiscountOut, StaffDiscountPageOut,
                                       StaffPromotionAnswer, StaffPromotionOut, StaffPromotionPageOut, with_figures)
from engines.marketing.services import (CouponRules, create_coupon, find_coupon, list_coupons, scope_errors,
                                        send_coupon, update_coupon)

bp = AdminAPIBlueprint("marketing_admin_api", __name__, permission="marketing.manage")

STATUSES = ("active", "paused", "ended")


def _dump(coupon: Coupon) -> dict:
    return with_figures(StaffCouponOut(), [coupon])[0]


def _status_arg() -> str | None:
    """A list's `?status=`: one of STATUSES, or none for every status; 422 otherwise."""
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise APIError("invalid_input", fields={"status": [f"Use one of {', '.join(STATUSES)}."]})
    return status


def rules_from(data: dict) -> CouponRules:
    """What a create sends, as the service's rules; fields the kind does not use are dropped."""
    kind = data["kind"]
    return CouponRules(
        name=data["name"], kind=kind, amount=data["amount"] if kind in ("amount", "threshold") else 0,
        percent_bp=data["percent_bp"] if kind == "percent" else 0, cap=data["cap"] if kind == "percent" else None,
        minimum=data["minimum"], scope=data["scope"],
        scope_ids=tuple(int(i) for i in data["scope_ids"]) if data["scope"] != "all" else (),
        excluded_item_ids=tuple(int(i) for i in data["excluded_item_ids"]), starts_at=data["starts_at"],
        ends_at=data["ends_at"], valid_days=data["valid_days"], public=data["public"],
        new_member_gift=data["new_member_gift"],
        total_limit=data["total_limit"], per_consumer_limit=data["per_consumer_limit"])


@bp.get("/coupons")
@api_doc("The shop's coupons of every status, newest first", tags=["marketing"], response=StaffCouponPageOut,
         query={**PAGE_QUERY, "status": "active | paused | ended"})
def coupons():
    limit, cursor = page_args()
    rows, next_cursor = list_coupons(status=_status_arg(), before=cursor, limit=limit)
    return jsonify(coupons=with_figures(StaffCouponOut(), rows), next_cursor=str(next_cursor) if next_cursor else None)


@bp.post("/coupons")
@api_doc("Create a coupon: an amount off, a percentage off (up to a cap), an amount off above a spend "
         "(threshold) or free delivery; on everything, some items or some categories", tags=["marketing"],
         body=CouponIn, response=StaffCouponAnswer, status=201, errors=(409,))
def create():
    data = load_json(CouponIn)

    def work():
        rules = rules_from(data)
        unknown = scope_errors(rules.scope, rules.scope_ids, rules.excluded_item_ids)
        if unknown:
            raise APIError("invalid_input", fields=unknown)
        coupon = create_coupon(rules)
        record_audit("coupon.create", target=f"coupon {coupon.id}", details={"name": coupon.name})
        return {"coupon": _dump(coupon)}, 201

    return idempotent_created(idempotency_scope(), work, lambda body: url_for(".coupon", coupon_id=body["coupon"]["id"]))


@bp.get("/coupons/<int:coupon_id>")
@api_doc("One coupon, with its counts and figures", tags=["marketing"], response=StaffCouponAnswer)
def coupon(coupon_id: int):
    return jsonify(coupon=_dump(find_coupon(coupon_id)))


@bp.patch("/coupons/<int:coupon_id>")
@api_doc("Change a coupon's name, status, limits, end or whether the claim centre offers it", tags=["marketing"],
         body=CouponPatchIn, response=StaffCouponAnswer,
         description="The rules of what it takes off cannot change once copies are out: end it and make another.")
def update(coupon_id: int):
    found = find_coupon(coupon_id)
    data = load_json(CouponPatchIn)
    with writing():
        update_coupon(found, **data)
        record_audit("coupon.update", target=f"coupon {found.id}",
                     details={"name": found.name, "fields": sorted(data)})
    return jsonify(coupon=_dump(found))


@bp.post("/coupons/<int:coupon_id>/issue")
@api_doc("Send a copy to each of some consumers (a private coupon too); those refused are listed with the reason",
         tags=["marketing"], body=SendIn, response=SentOut, errors=(409,),
         description="Refused consumers' codes: not_found (no such consumer of the shop), coupon_sold_out, "
                     "coupon_limit_reached. A paused, ended or finished coupon is refused as a whole "
                     "(409 coupon_not_claimable) and nothing is sent.")
def issue(coupon_id: int):
    found = find_coupon(coupon_id)
    data = load_json(SendIn)
    consumer_ids = [parse_id(i) for i in data["consumer_ids"]]
    with writing():
        issued, refused = send_coupon(found, consumer_ids)
        record_audit("coupon.send", target=f"coupon {found.id}",
                     details={"name": found.name, "issued": len(issued), "refused": len(refused)})
    return jsonify(issued=len(issued), refused=[{"consumer_id": str(c), "code": code} for c, code in refused])


# -- order promotions ----------------------------------------------------------------------------

def _dump_promotion(promotion: Promotion) -> dict:
    return with_figures(StaffPromotionOut(), [promotion])[0]


@bp.get("/promotions")
@api_doc("The shop's order promotions of every status, newest first", tags=["marketing"],
         response=StaffPromotionPageOut, query={**PAGE_QUERY, "status": "active | paused | ended"})
def promotions():
    limit, cursor = page_args()
    rows, next_cursor = list_promotions(status=_status_arg(), before=cursor, limit=limit)
    return jsonify(promotions=with_figures(StaffPromotionOut(), rows),
                   next_cursor=str(next_cursor) if next_cursor else None)


@bp.post("/promotions")
@api_doc("Create an order promotion: tiers by spend or by quantity over the lines it covers (everything, some "
         "items or some categories), each an amount or a percentage off, the highest tier reached winning; in a "
         "window, with a priority, exclusivity, whether coupons combine with it and a budget", tags=["marketing"],
         body=PromotionIn, response=StaffPromotionAnswer, status=201, errors=(409,))
def new_promotion():
    data = load_json(PromotionIn)

    def work():
        scope_ids = tuple(int(i) for i in data["scope_ids"]) if data["scope"] != "all" else ()
        excluded = tuple(int(i) for i in data["excluded_item_ids"])
        unknown = scope_errors(data["scope"], scope_ids, excluded)
        if unknown:
            raise APIError("invalid_input", fields=unknown)
        promotion = create_promotion(
            name=data["name"], kind=data["kind"], tiers=data["tiers"], starts_at=data["starts_at"],
            ends_at=data["ends_at"], scope=data["scope"], scope_ids=scope_ids, excluded_item_ids=excluded,
            priority=data["priority"], exclusive=data["exclusive"],
            combines_with_coupons=data["combines_with_coupons"], budget=data["budget"])
        record_audit("promotion.create", target=f"promotion {promotion.id}", details={"name": promotion.name})
        return {"promotion": _dump_promotion(promotion)}, 201

    return idempotent_created(idempotency_scope(), work,
                              lambda body: url_for(".promotion", promotion_id=body["promotion"]["id"]))


@bp.get("/promotions/<int:promotion_id>")
@api_doc("One order promotion, with what its budget has given and its figures", tags=["marketing"],
         response=StaffPromotionAnswer)
def promotion(promotion_id: int):
    return jsonify(promotion=_dump_promotion(find_promotion(promotion_id)))


@bp.patch("/promotions/<int:promotion_id>")
@api_doc("Change an order promotion's name, status, end, priority or budget", tags=["marketing"],
         body=PromotionPatchIn, response=StaffPromotionAnswer,
         description="Its tiers and what it covers cannot change once it runs: end it and make another. The budget "
                     "cannot go below what it has given already (budget_used).")
def change_promotion(promotion_id: int):
    found = find_promotion(promotion_id)
    data = load_json(PromotionPatchIn)
    with writing():
        update_promotion(found, **data)
        record_audit("promotion.update", target=f"promotion {found.id}",
                     details={"name": found.name, "fields": sorted(data)})
    return jsonify(promotion=_dump_promotion(found))


# -- timed discounts -----------------------------------------------------------------------------

def _dump_discount(discount: TimedDiscount) -> dict:
    return with_figures(StaffDiscountOut(), [discount])[0]


@bp.get("/timed-discounts")
@api_doc("The shop's timed discounts of every status, newest first, with their figures", tags=["marketing"],
         response=StaffDiscountPageOut, query={**PAGE_QUERY, "status": "active | paused | ended"})
def discounts():
    limit, cursor = page_args()
    rows, next_cursor = list_discounts(status=_status_arg(), before=cursor, limit=limit)
    return jsonify(discounts=with_figures(StaffDiscountOut(), rows),
                   next_cursor=str(next_cursor) if next_cursor else None)


@bp.post("/timed-discounts")
@api_doc("Create a timed discount (限时折扣): a percentage or an amount off each unit of some of the shop's items, "
         "in a window; the storefront shows it and checkout takes it off while it runs", tags=["marketing"],
         body=DiscountIn, response=StaffDiscountAnswer, status=201, errors=(409,))
def new_discount():
    data = load_json(DiscountIn)

    def work():
        discount = create_discount(name=data["name"], item_ids=[int(i) for i in data["item_ids"]],
                                   starts_at=data["starts_at"], ends_at=data["ends_at"],
                                   percent_bp=data["percent_bp"], amount_off=data["amount_off"],
                                   funded_by=data["funded_by"])
        record_audit("timed_discount.create", target=f"timed_discount {discount.id}", details={"name": discount.name})
        return {"discount": _dump_discount(discount)}, 201

    return idempotent_created(idempotency_scope(), work,
                              lambda body: url_for(".discount", discount_id=body["discount"]["id"]))


@bp.get("/timed-discounts/<int:discount_id>")
@api_doc("One timed discount, with its figures", tags=["marketing"], response=StaffDiscountAnswer)
def discount(discount_id: int):
    return jsonify(discount=_dump_discount(find_discount(discount_id)))


@bp.patch("/timed-discounts/<int:discount_id>")
@api_doc("Change a timed discount's name, status or end", tags=["marketing"], body=DiscountPatchIn,
         response=StaffDiscountAnswer,
         description="Its items and what it takes off cannot change once it is made: end it and make another.")
def change_discount(discount_id: int):
    found = find_discount(discount_id)
    data = load_json(DiscountPatchIn)
    with writing():
        update_discount(found, **data)
        record_audit("timed_discount.update", target=f"timed_discount {found.id}",
                     details={"name": found.name, "fields": sorted(data)})
    return jsonify(discount=_dump_discount(found))
