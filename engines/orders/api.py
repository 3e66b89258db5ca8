"""The consumer API of the orders engine: the cart, checkout, orders and after-sales (signed-in consumers only, their own only)."""

from __future__ import annotations

import io

import segno
from flask import Response, jsonify, request, url_for
from itsdangerous import BadSignature

from core.api import api_blueprint, load_json, require_consumer_id
from core.db import db
from core.engines import flow_settings
from core.errors import APIError
from core.idempotency import HEADER as IDEMPOTENCY_HEADER
from core.idempotency import idempotent_created
from core.openapi import api_doc
from core.paging import page_arguments
from core.tenancy import current_tenant_id
from engines.orders.after_sales import (after_sales_of, enter_return_tracking, find_after_sale,
                                       request_after_sale, withdraw)
from engines.orders.checkout import place_order, quote, refuse_known_sold_out
from engines.orders.lifecycle import cancel_order, confirm_receipt, find_order, lines_of, orders_of
from engines.orders.models import OrderStatus
from engines.orders.schemas import (AddLineIn, AfterSaleIn, AfterSaleOut, CartOut, CheckoutIn, CheckoutOptionsOut, OrderAnswer, OrderPageOut, QuantityIn,
                                    QuoteOut, ReturnTrackingIn, code_signer, quote_answer, dump_order, dump_orders, shown_code)
from engines.orders.settings import offered_fulfillment
from engines.orders.cart import add_line, change_quantity, priced_cart, remove_line

bp = api_blueprint("orders_api", __name__)
_AFTER_SALE = AfterSaleOut()  # shared: a schema costs more to build than to dump with


@bp.get("/cart")
@api_doc("The signed-in consumer's cart, priced now, with unavailable lines flagged", tags=["cart"], response=CartOut,
         auth=True)
def cart():
    return jsonify(priced_cart(require_consumer_id()))


@bp.post("/cart/lines")
@api_doc("Put a SKU in the cart (adds to an existing line)", tags=["cart"], body=AddLineIn, response=CartOut,
         status=201, auth=True, errors=(409, 415))
def add():
    consumer_id = require_consumer_id()
    data = load_json(AddLineIn)
    add_line(consumer_id=consumer_id, sku_id=int(data["sku_id"]), quantity=data["quantity"], choices=data["choices"])
    db.session.commit()
    return jsonify(priced_cart(consumer_id)), 201


@bp.patch("/cart/lines/<int:line_id>")
@api_doc("Change a line's quantity", tags=["cart"], body=QuantityIn, response=CartOut, auth=True, errors=(415,))
def change(line_id: int):
    consumer_id = require_consumer_id()
    change_quantity(consumer_id=consumer_id, line_id=line_id, quantity=load_json(QuantityIn)["quantity"])
    db.session.commit()
    return jsonify(priced_cart(consumer_id))


@bp.delete("/cart/lines/<int:line_id>")
@api_doc("Remove a line", tags=["cart"], response=CartOut, auth=True)
def remove(line_id: int):
    consumer_id = require_consumer_id()
    remove_line(consumer_id=consumer_id, line_id=line_id)
    db.session.commit()
    return jsonify(priced_cart(consumer_id))


# -- checkout and orders -------------------------------------------------------------------------

def _order_answer(order, *, lines: list | None = None) -> dict:
    """The order as the consumer sees it (`lines` when the caller has them: a new order)."""
    if lines is not None:
        return {"order": dump_order(order, lines=lines)}
    return {"order": dump_order(order, lines=lines_of([order.id])[order.id], after_sales=after_sales_of(order.id))}


@bp.get("/checkout/options")
@api_doc("What this shop's checkout offers (its flow settings as published)", tags=["checkout"],
         response=CheckoutOptionsOut)
def checkout_options():
    settings = flow_settings("orders")
    return jsonify(fulfillment=offered_fulfillment(settings), pay_minutes=settings["pay_minutes"])


@bp.post("/checkout/quote")
@api_doc("Price an order without placing it: the price pipeline's steps and the total", tags=["checkout"],
         body=CheckoutIn, response=QuoteOut, auth=True, errors=(409, 415))
def checkout_quote():
    consumer_id = require_consumer_id()
    data = load_json(CheckoutIn)
    priced = quote(consumer_id=consumer_id, lines=data["lines"], fulfillment_choice=data["fulfillment"],
                   coupons=tuple(data["coupon_ids"]), points=data["points"])
    return jsonify(quote_answer(priced))


@bp.post("/checkout")
@api_doc("Place an order (stock is reserved until it is paid or cancelled). Send an Idempotency-Key header to "
         "retry safely: a replay answers the first answer", tags=["checkout"], body=CheckoutIn, response=OrderAnswer,
         status=201, auth=True, errors=(409, 415))
def checkout():
    if IDEMPOTENCY_HEADER not in request.headers:  # a keyed request's answers are all stored: full path
        refuse_known_sold_out(request.get_json(silent=True))
    consumer_id = require_consumer_id()

    def place():
        data = load_json(CheckoutIn)
        order, lines = place_order(consumer_id=consumer_id, lines=data["lines"],
                                   fulfillment_choice=data["fulfillment"], note=data["note"],
                                   coupons=tuple(data["coupon_ids"]), points=data["points"],
                                   deposit=data["deposit"])
        return _order_answer(order, lines=lines), 201

    return idempotent_created(f"consumer:{consumer_id}", place,
                              lambda body: url_for(".order", order_id=body["order"]["id"]))


@bp.get("/orders")
@api_doc("The signed-in consumer's orders, newest first", tags=["orders"], response=OrderPageOut, auth=True,
         query={"status": "one status, or several separated by commas", "cursor": "next_cursor of the previous page",
                "limit": "1 to 50 (default 20)"})
def orders():
    consumer_id = require_consumer_id()
    limit, before = page_arguments()
    statuses = [s for s in (request.args.get("status") or "").split(",") if s]
    if any(s not in {status.value for status in OrderStatus} for s in statuses):
        raise APIError("invalid_input", fields={"status": [f"Use {', '.join(s.value for s in OrderStatus)}."]})
    rows, next_cursor = orders_of(consumer_id, statuses=statuses, before=before, limit=limit)
    return jsonify(orders=dump_orders(rows, lines=lines_of([o.id for o in rows])),
                   next_cursor=str(next_cursor) if next_cursor else None)


@bp.get("/orders/<int:order_id>")
@api_doc("One of the consumer's orders, with its lines, price steps and after-sales", tags=["orders"],
         response=OrderAnswer, auth=True, errors=(404,))
def order(order_id: int):
    return jsonify(_order_answer(find_order(order_id, consumer_id=require_consumer_id())))


@bp.get("/orders/<int:order_id>/code.svg")
@api_doc("The verification code as a QR image, for the clerk to scan (signed link from the order)", tags=["orders"],
         query={"token": "verification_qr_token of the order"}, errors=(404,))
def code_qr(order_id: int):
    try:
        named = code_signer().loads(request.args.get("token", ""))
    except BadSignature:
        named = None
    found = find_order(order_id) if named == [current_tenant_id(), str(order_id)] else None
    code = shown_code(found) if found else None
    if not code:
        raise APIError("not_found", "There is no code to show.")
    svg = io.BytesIO()
    segno.make(code, error="m").save(svg, kind="svg", scale=6, border=2, xmldecl=False, svgns=True)
    return Response(svg.getvalue(), mimetype="image/svg+xml", headers={"Cache-Control": "private, no-store"})


@bp.post("/orders/<int:order_id>/cancel")
@api_doc("Cancel an unpaid order (its stock goes back)", tags=["orders"], response=OrderAnswer, auth=True,
         errors=(404, 409))
def cancel(order_id: int):
    consumer_id = require_consumer_id()
    found = cancel_order(find_order(order_id, consumer_id=consumer_id), actor=f"consumer:{consumer_id}",
                         reason="Cancelled by the buyer")
    db.session.commit()
    return jsonify(_order_answer(found))


@bp.post("/orders/<int:order_id>/confirm-receipt")
@api_doc("Confirm a shipped order arrived", tags=["orders"], response=OrderAnswer, auth=True, errors=(404, 409))
def confirm(order_id: int):
    consumer_id = require_consumer_id()
    found = confirm_receipt(find_order(order_id, consumer_id=consumer_id), actor=f"consumer:{consumer_id}")
    db.session.commit()
    return jsonify(_order_answer(found))


@bp.post("/orders/<int:order_id>/after-sales")
@api_doc("Ask for a refund (refund) or a return and refund (return_refund) of some lines and quantities",
         tags=["after-sales"], body=AfterSaleIn, response=AfterSaleOut, status=201, auth=True, errors=(404, 409, 415))
def create_after_sale(order_id: int):
    consumer_id = require_consumer_id()
    data = load_json(AfterSaleIn)
    found = find_order(order_id, consumer_id=consumer_id)
    after_sale = request_after_sale(found, consumer_id=consumer_id, kind=data["kind"], lines=data["lines"],
                                    reason=data["reason"])
    db.session.commit()
    return jsonify(_AFTER_SALE.dump(after_sale)), 201


@bp.post("/after-sales/<int:after_sale_id>/return")
@api_doc("Enter the tracking of the goods sent back", tags=["after-sales"], body=ReturnTrackingIn,
         response=AfterSaleOut, auth=True, errors=(404, 409, 415))
def return_tracking(after_sale_id: int):
    data = load_json(ReturnTrackingIn)
    found = enter_return_tracking(find_after_sale(after_sale_id, consumer_id=require_consumer_id()), **data)
    db.session.commit()
    return jsonify(_AFTER_SALE.dump(found))


@bp.post("/after-sales/<int:after_sale_id>/withdraw")
@api_doc("Withdraw an after-sales request", tags=["after-sales"], response=AfterSaleOut, auth=True, errors=(404, 409))
def withdraw_after_sale(after_sale_id: int):
    found = withdraw(find_after_sale(after_sale_id, consumer_id=require_consumer_id()))
    db.session.commit()
    return jsonify(_AFTER_SALE.dump(found))
