"""The orders engine's system pages — the cart, checkout, the order list and an order — as pages
of the app document: each has one main section, an AppSection its H5 module (static/h5.js) fills
from the consumer API, and the merchant may put other sections around it in the designer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import AppSection, Checkbox, SettingsSchema, SystemPage, register, register_system_page

register_system_page(SystemPage("cart", _l("Cart"), main="cart", engine="orders"))
register_system_page(SystemPage("checkout", _l("Checkout"), main="checkout", engine="orders"))
register_system_page(SystemPage("orders", _l("My orders"), main="order_list", engine="orders"))
register_system_page(SystemPage("order", _l("Order"), main="order_detail", engine="orders"))

# What the views say, each view's own and those they share (statuses, ways to receive).
STATUSES = {
    "status_pending_payment": _l("To pay"), "status_paid": _l("Paid"), "status_awaiting_shipment": _l("To ship"),
    "status_shipped": _l("Shipped"), "status_in_preparation": _l("Being prepared"),
    "status_ready_for_pickup": _l("Ready for pickup"), "status_in_service": _l("In service"),
    "status_completed": _l("Completed"), "status_cancelled": _l("Cancelled"), "status_closed": _l("Closed"),
    "status_requested": _l("Requested"), "status_awaiting_return": _l("Send the goods back"),
    "status_return_shipped": _l("Return on its way"), "status_refunding": _l("Refunding"), "status_refunded": _l("Refunded"),
    "status_rejected": _l("Rejected"), "status_withdrawn": _l("Withdrawn"),
}
WAYS = {"express": _l("Express delivery"), "same_city": _l("Same-city delivery"), "pickup": _l("Pickup at a store"),
        "dine_in": _l("Dine in"), "none": _l("Nothing to deliver")}
SHARED = {**STATUSES, **WAYS, "total": _l("Total"), "quantity": _l("Quantity"), "store": _l("Store"),
          "address": _l("Address"), "table": _l("Table"), "addresses": _l("My addresses"), "submit": _l("Submit"),
          "remove": _l("Remove"), "pay": _l("Pay"), "my_orders": _l("My orders"),
          "points_step": _l("Points"), "n_points": _l("%(n)s points", n="{n}"),
          "no_payments": _l("This shop is not taking orders yet: it has no way to pay set up.")}


@register
class Cart(AppSection):
    type = "cart"
    label = _l("Cart")
    icon = "shopping-cart"
    engine = "orders"
    pages = ("cart",)
    script = "h5.js"
    strings = {**SHARED, "empty_cart": _l("Your cart is empty."), "keep_shopping": _l("Keep shopping"),
               "checkout": _l("Check out"), "unavailable": _l("Unavailable")}


@register
class Checkout(AppSection):
    type = "checkout"
    label = _l("Checkout")
    icon = "credit-card"
    engine = "orders"
    pages = ("checkout",)
    script = "h5.js"
    strings = {**SHARED, "how": _l("How you get it"), "add_address": _l("Add an address"), "name": _l("Name"),
               "phone": _l("Phone"), "region": _l("Province / city / district"), "line": _l("Street and number"),
               "save": _l("Save"), "note": _l("Note to the shop"), "place_order": _l("Place order and pay"),
               "address_first": _l("Add or choose an address to see the delivery fee."),
               "change_table": _l("At another table? Scan the code on that table."),
               "leave_table": _l("I am not at this table"), "pay_with": _l("Pay with"),
               "pay_sandbox": _l("Sandbox (test payment, no money moves)"), "pay_stripe": _l("Card"),
               "coupons": _l("Coupons"), "no_coupon": _l("No coupon"),
               "use_points": _l("Use points (%(n)s available)", n="{n}"), "how_to_pay": _l("How much to pay now"),
               "pay_in_full": _l("Pay in full: %(total)s", total="{total}"),
               "pay_deposit": _l("Pay a deposit: %(now)s now, %(later)s at the shop on the day", now="{now}",
                                 later="{later}"),
               "pay_now": _l("To pay now"), "at_the_shop": _l("To pay at the shop")}

    class Settings(SettingsSchema):
        note = Checkbox(_l("Ask for a note to the shop"), True)


@register
class OrderList(AppSection):
    type = "order_list"
    label = _l("Order list")
    icon = "list"
    engine = "orders"
    pages = ("orders",)
    script = "h5.js"
    strings = {**SHARED, "no_orders": _l("No orders yet."), "all": _l("All"), "to_pay": _l("To pay"),
               "to_ship": _l("To ship"), "to_receive": _l("To receive"), "done": _l("Completed")}


@register
class OrderDetail(AppSection):
    type = "order_detail"
    label = _l("Order")
    icon = "receipt"
    engine = "orders"
    pages = ("order",)
    script = "h5.js"
    strings = {**SHARED, "how": _l("How you get it"), "cancel": _l("Cancel order"),
               "confirm_receipt": _l("Confirm receipt"), "after_sale": _l("Ask for a refund"),
               "refund_reason": _l("Reason"), "code_to_show": _l("Show this code at the counter"),
               "code_for_table": _l("Show this code when your order is served"),
               "code_for_booking": _l("Show this code when you arrive: at the door, the desk or to whoever serves you"),
               "requests": _l("After-sales"), "refund_only": _l("Refund only"), "return_refund": _l("Return and refund"),
               "return_tracking": _l("Return tracking number"), "carrier": _l("Carrier"),
               "at_the_shop": _l("To pay at the shop"), "pickup_number": _l("Pickup number"), "serving_number": _l("Order number"), "refunded": _l("Refunded"),
               "thanks": _l("Thank you: your order is paid."),
               "progress_placed": _l("Placed"), "progress_paid": _l("Paid"), "progress_preparing": _l("Preparing"),
               "progress_on_the_way": _l("On the way"), "progress_ready": _l("Ready"), "progress_done": _l("Done"),
               "pay_sandbox": _l("Sandbox (test payment, no money moves)"),
               "review_title": _l("Reviews"), "review_write": _l("Write a review"), "review_rating": _l("Your rating"),
               "review_star_one": _l("1 star"), "review_stars": _l("%(n)s stars", n="{n}"),
               "review_words": _l("What did you think? (optional)"), "review_cancel": _l("Cancel"),
               "review_pick_stars": _l("Choose from 1 to 5 stars."), "review_thanks": _l("Thank you for your review.")}
