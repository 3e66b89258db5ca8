"""Coupons, order promotions and timed discounts in the Admin API (/admin/api/v1,
"marketing.manage"): make them, list and read them with their figures (engines.marketing.figures),
change what may change once they run, and send coupons' copies to consumers — through the services
the back office uses, audited as it audits them. Creates take an Idempotency-Key. Money is integer
minor units in, core.api.MoneyOut out."""

from __future__ import annotations

from typing import Callable

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


def listed(key: str, rows_of: Callable, schema):
    """A page of a tool's rows of `?status=` (all when none), newest first, each with its figures."""
    limit, cursor = page_args()
    rows, next_cursor = rows_of(status=_status_arg(), before=cursor, limit=limit)
    return jsonify({key: with_figures(schema, rows), "next_cursor": str(next_cursor) if next_cursor else None})


def created(key: str, make: Callable, dump: Callable, *, kind: str, endpoint: str, id_arg: str):
    """What `make()` makes, once per Idempotency-Key: audited as "<kind>.create", answered 201 as
    {key: dump(made)} with its Location (`endpoint` given `id_arg`); a replay answers the same."""

    def work():
        made = make()
        record_audit(f"{kind}.create", target=f"{kind} {made.id}", details={"name": made.name})
        return {key: dump(made)}, 201

    return idempotent_created(idempotency_scope(), work, lambda body: url_for(endpoint, **{id_arg: body[key]["id"]}))


def changed(found, data: dict, update: Callable, dump: Callable, *, key: str, kind: str):
    """`found` changed by its service's `update` as `data` says, audited as "<kind>.update"."""
    with writing():
        update(found, **data)
        record_audit(f"{kind}.update", target=f"{kind} {found.id}", details={"name": found.name, "fields": sorted(data)})
    return jsonify({key: dump(found)})


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
        total_limit=data["total_limit"], per_consumer_limit=data["per_consumer_limit"],
        per_day_limit=data["per_day_limit"], on_special_prices=data["on_special_prices"],
        combines_with_promotions=data["combines_with_promotions"])


@bp.get("/coupons")
@api_doc("The shop's coupons of every status, newest first", tags=["marketing"], response=StaffCouponPageOut,
         query={**PAGE_QUERY, "status": "active | paused | ended"})
def coupons():
    return listed("coupons", list_coupons, StaffCouponOut())


@bp.post("/coupons")
@api_doc("Create a coupon: an amount off, a percentage off (up to a cap), an amount off above a spend "
         "(threshold) or free delivery; on everything, some items or some categories; limited in all, per "
         "customer and per day; on special prices or not; with order promotions or not", tags=["marketing"],
         body=CouponIn, response=StaffCouponAnswer, status=201, errors=(409,))
def create():
    data = load_json(CouponIn)

    def make() -> Coupon:
        rules = rules_from(data)
        unknown = scope_errors(rules.scope, rules.scope_ids, rules.excluded_item_ids)
        if unknown:
            raise APIError("invalid_input", fields=unknown)
        return create_coupon(rules)

    return created("coupon", make, _dump, kind="coupon", endpoint=".coupon", id_arg="coupon_id")


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
    return changed(found, load_json(CouponPatchIn), update_coupon, _dump, key="coupon", kind="coupon")


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
    return listed("promotions", list_promotions, StaffPromotionOut())


@bp.post("/promotions")
@api_doc("Create an order promotion: tiers by spend or by quantity over the lines it covers (everything, some "
         "items or some categories, lines at a special price too or not), each giving an amount or a percentage "
         "off, gifts, free delivery, points or coupons, the highest tier reached winning; in a window, with a "
         "priority, exclusivity, whether coupons combine with it and a budget", tags=["marketing"],
         body=PromotionIn, response=StaffPromotionAnswer, status=201, errors=(409,))
def new_promotion():
    data = load_json(PromotionIn)

    def make() -> Promotion:
        scope_ids = tuple(int(i) for i in data["scope_ids"]) if data["scope"] != "all" else ()
        excluded = tuple(int(i) for i in data["excluded_item_ids"])
        unknown = scope_errors(data["scope"], scope_ids, excluded)
        if unknown:
            raise APIError("invalid_input", fields=unknown)
        return create_promotion(
            name=data["name"], kind=data["kind"], tiers=data["tiers"], starts_at=data["starts_at"],
            ends_at=data["ends_at"], scope=data["scope"], scope_ids=scope_ids, excluded_item_ids=excluded,
            priority=data["priority"], exclusive=data["exclusive"],
            combines_with_coupons=data["combines_with_coupons"], budget=data["budget"], use_limit=data["use_limit"],
            on_special_prices=data["on_special_prices"])

    return created("promotion", make, _dump_promotion, kind="promotion", endpoint=".promotion",
                   id_arg="promotion_id")


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
    return changed(found, load_json(PromotionPatchIn), update_promotion, _dump_promotion, key="promotion",
                   kind="promotion")


# -- timed discounts -----------------------------------------------------------------------------

def _dump_discount(discount: TimedDiscount) -> dict:
    return with_figures(StaffDiscountOut(), [discount])[0]


@bp.get("/timed-discounts")
@api_doc("The shop's timed discounts of every status, newest first, with their figures", tags=["marketing"],
         response=StaffDiscountPageOut, query={**PAGE_QUERY, "status": "active | paused | ended"})
def discounts():
    return listed("discounts", list_discounts, StaffDiscountOut())


@bp.post("/timed-discounts")
@api_doc("Create a timed discount (限时折扣): a percentage or an amount off each unit of some of the shop's items, "
         "in a window; the storefront shows it and checkout takes it off while it runs", tags=["marketing"],
         body=DiscountIn, response=StaffDiscountAnswer, status=201, errors=(409,))
def new_discount():
    data = load_json(DiscountIn)

    def make() -> TimedDiscount:
        return create_discount(name=data["name"], item_ids=[int(i) for i in data["item_ids"]],
                               starts_at=data["starts_at"], ends_at=data["ends_at"], percent_bp=data["percent_bp"],
                               amount_off=data["amount_off"], funded_by=data["funded_by"])

    return created("discount", make, _dump_discount, kind="timed_discount", endpoint=".discount",
                   id_arg="discount_id")


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
    return changed(found, load_json(DiscountPatchIn), update_discount, _dump_discount, key="discount",
                   kind="timed_discount")
