"""Orders and after-sales in the Admin API (/admin/api/v1, "orders.manage"): list and read orders,
ship, mark ready, cancel, approve or reject after-sales requests — through the services the back
office uses (the order's state machine, compare-and-set), audited as it audits them."""

from __future__ import annotations

from flask import jsonify, request

from core.admin_api import PAGE_QUERY, AdminAPIBlueprint, page_args, record_audit, staff_actor, writing
from core.api import load_json
from core.errors import APIError
from core.openapi import api_doc
from engines.orders.admin_schemas import (CancelIn, NoteIn, ShipIn, StaffAfterSaleAnswer, StaffAfterSaleOut,
                                          StaffOrderAnswer, StaffOrderPageOut, dump_staff_order, dump_staff_orders)
from engines.orders.after_sales import after_sales_of, approve, find_after_sale, reject
from engines.orders.lifecycle import advance, cancel_order, find_order, lines_of, orders_of, ship
from engines.orders.models import Order, OrderStatus

bp = AdminAPIBlueprint("orders_admin_api", __name__, permission="orders.manage")

STATUSES = frozenset(s.value for s in OrderStatus)


def _answer(order: Order):
    return jsonify(order=dump_staff_order(order, lines=lines_of([order.id])[order.id],
                                          after_sales=after_sales_of(order.id)))


@bp.get("/orders")
@api_doc("The shop's orders, newest first", tags=["orders"], response=StaffOrderPageOut,
         query={**PAGE_QUERY, "status": "statuses, comma-separated (pending_payment, paid, awaiting_shipment, shipped, "
                                         "ready_for_pickup, in_preparation, in_service, completed, cancelled, closed)"})
def orders():
    limit, cursor = page_args()
    statuses = [s for s in request.args.get("status", "").split(",") if s]
    unknown = sorted(set(statuses) - STATUSES)
    if unknown:
        raise APIError("invalid_input", fields={"status": [f"There is no status {', '.join(unknown)}."]})
    rows, next_cursor = orders_of(None, statuses=statuses or None, before=cursor, limit=limit)
    return jsonify(orders=dump_staff_orders(rows, lines=lines_of([o.id for o in rows])),
                   next_cursor=str(next_cursor) if next_cursor else None)


@bp.get("/orders/<int:order_id>")
@api_doc("One order with its lines, price steps and after-sales requests", tags=["orders"],
         response=StaffOrderAnswer)
def order(order_id: int):
    return _answer(find_order(order_id))


@bp.post("/orders/<int:order_id>/ship")
@api_doc("Ship an order awaiting shipment (express: with the carrier and tracking number)", tags=["orders"],
         body=ShipIn, response=StaffOrderAnswer, errors=(409,))
def ship_order(order_id: int):
    found = find_order(order_id)
    data = load_json(ShipIn)
    with writing():
        ship(found, carrier=data["carrier"], tracking_number=data["tracking_number"], actor=staff_actor())
        record_audit("order.ship", target=f"order {found.number}",
                     details={"carrier": data["carrier"], "tracking_number": data["tracking_number"]})
    return _answer(found)


@bp.post("/orders/<int:order_id>/mark-ready")
@api_doc("Mark a pickup order ready at the counter", tags=["orders"], response=StaffOrderAnswer, errors=(409,))
def mark_ready(order_id: int):
    found = find_order(order_id)
    with writing():
        advance(found, "mark_ready", actor=staff_actor())
        record_audit("order.mark_ready", target=f"order {found.number}")
    return _answer(found)


@bp.post("/orders/<int:order_id>/cancel")
@api_doc("Cancel an unpaid order for the buyer (its stock goes back)", tags=["orders"], body=CancelIn,
         response=StaffOrderAnswer, errors=(409,))
def cancel(order_id: int):
    found = find_order(order_id)
    reason = load_json(CancelIn)["reason"].strip() or "Cancelled by the shop"
    with writing():
        cancel_order(found, actor=staff_actor(), reason=reason)
        record_audit("order.cancel", target=f"order {found.number}", details={"reason": reason})
    return _answer(found)


def _after_sale_move(after_sale_id: int, action: str, move):
    found = find_after_sale(after_sale_id)
    of_order = find_order(found.order_id)
    note = load_json(NoteIn)["note"]
    with writing():
        move(found, note=note)
        record_audit(f"after_sale.{action}", target=f"order {of_order.number}",
                     details={"after_sale": str(found.id), "note": note})
    return jsonify(after_sale=StaffAfterSaleOut().dump(found))


@bp.post("/after-sales/<int:after_sale_id>/approve")
@api_doc("Approve an after-sales request: a refund is sent, or the buyer is asked to send the goods back",
         tags=["orders"], body=NoteIn, response=StaffAfterSaleAnswer, errors=(409,))
def approve_after_sale(after_sale_id: int):
    return _after_sale_move(after_sale_id, "approve", approve)


@bp.post("/after-sales/<int:after_sale_id>/reject")
@api_doc("Reject an after-sales request, telling the buyer why", tags=["orders"], body=NoteIn,
         response=StaffAfterSaleAnswer, errors=(409,))
def reject_after_sale(after_sale_id: int):
    return _after_sale_move(after_sale_id, "reject", reject)
