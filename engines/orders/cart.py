"""The cart's write path and its priced view. Lines whose item went off sale, or that ask for
more than is in stock, stay in the cart flagged unavailable (with the reason), as shops do."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import delete, select

from core.db import add_unique, db
from core.errors import APIError
from core.money import Money
from core.tenancy import current_tenant
from engines.catalog.services import is_on_sale, price_choices, skus_with_items
from engines.orders.models import Cart, CartLine

MAX_QUANTITY = 999
MAX_LINES = 100


def cart_of(consumer_id: int) -> Cart:
    """The consumer's cart, made on first use (a race makes one, not two)."""
    cart = db.session.scalar(select(Cart).where(Cart.consumer_id == consumer_id))
    if cart is None:
        try:
            cart = add_unique(Cart(consumer_id=consumer_id), APIError("conflict"))
        except APIError:
            cart = db.session.scalar(select(Cart).where(Cart.consumer_id == consumer_id))
    return cart


def _quantity(quantity) -> int:
    if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
        raise APIError("invalid_input", fields={"quantity": [f"Use a whole number from 1 to {MAX_QUANTITY}."]})
    return quantity


def choice_key(choices: dict) -> str:
    """The same dish with other options is another line: lines are keyed by SKU and choices."""
    if not choices:
        return ""
    return hashlib.sha256(json.dumps(choices, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def add_line(*, consumer_id: int, sku_id: int, quantity: int, choices: dict | None = None) -> CartLine:
    """Put a SKU (with a dish's chosen options) in the cart, adding to the line it already has."""
    quantity = _quantity(quantity)
    found = skus_with_items([sku_id]).get(sku_id)
    if found is None or not is_on_sale(found[1]):
        raise APIError("not_on_sale", fields={"sku_id": ["This item is not on sale."]})
    _, chosen = price_choices(found[1], choices)
    key = choice_key(chosen)
    cart = cart_of(consumer_id)
    line = db.session.scalar(select(CartLine).where(CartLine.cart_id == cart.id, CartLine.sku_id == sku_id,
                                                    CartLine.choice_key == key))
    if line is None:
        count = len(db.session.scalars(select(CartLine.id).where(CartLine.cart_id == cart.id)).all())
        if count >= MAX_LINES:
            raise APIError("invalid_input", fields={"sku_id": [f"A cart holds at most {MAX_LINES} lines."]})
        line = CartLine(cart_id=cart.id, sku_id=sku_id, quantity=quantity, choices=chosen, choice_key=key)
        db.session.add(line)
    else:
        line.quantity = _quantity(min(line.quantity + quantity, MAX_QUANTITY))
    db.session.flush()
    return line


def _line(consumer_id: int, line_id: int) -> CartLine:
    cart = cart_of(consumer_id)
    line = db.session.scalar(select(CartLine).where(CartLine.id == line_id, CartLine.cart_id == cart.id))
    if line is None:
        raise APIError("not_found", "There is no such line in your cart.")
    return line


def change_quantity(*, consumer_id: int, line_id: int, quantity: int) -> CartLine:
    line = _line(consumer_id, line_id)
    line.quantity = _quantity(quantity)
    return line


def remove_line(*, consumer_id: int, line_id: int) -> None:
    db.session.delete(_line(consumer_id, line_id))


def clear_cart(*, consumer_id: int) -> None:
    cart = cart_of(consumer_id)
    db.session.execute(delete(CartLine).where(CartLine.cart_id == cart.id))


def priced_cart(consumer_id: int) -> dict:
    """The cart as the consumer sees it: lines with current prices and availability, and the
    total of the available lines. Three queries whatever the number of lines."""
    cart = cart_of(consumer_id)
    currency = current_tenant().currency
    cart_lines = list(db.session.scalars(select(CartLine).where(CartLine.cart_id == cart.id)
                                         .order_by(CartLine.added_at, CartLine.id)))
    catalog = skus_with_items([line.sku_id for line in cart_lines])
    lines, total = [], Money.zero(currency)
    for line in cart_lines:
        sku, item = catalog[line.sku_id]
        reason, extra = None, 0
        try:
            extra = price_choices(item, line.choices)[0]
        except APIError:
            reason = "options_changed"  # the dish's option groups changed since: choose again
        if not is_on_sale(item):
            reason = "not_on_sale"
        elif sku.stock < line.quantity:
            reason = "out_of_stock"
        price = Money(sku.price + extra, currency)
        subtotal = price * line.quantity
        if reason is None:
            total += subtotal
        lines.append({"id": str(line.id), "sku_id": str(sku.id), "item_id": str(item.id), "name": item.name,
                      "options": sku.options, "choices": line.choices, "image": sku.image or (item.images or [""])[0],
                      "quantity": line.quantity, "price": price.to_json(), "subtotal": subtotal.to_json(),
                      "available": reason is None, "unavailable_reason": reason, "stock": sku.stock})
    return {"lines": lines, "total": total.to_json(),
            "count": sum(line["quantity"] for line in lines if line["available"])}
