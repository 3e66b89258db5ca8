"""The consumer's account pages — sign-in, the member centre and the address book — as system
pages of every app (core's: sign-in and addresses serve every engine). Their main sections are
AppSections filled by runtime/static/h5/account.js."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from flask import url_for

from core.components import SYSTEM_PAGES, AppSection, SystemPage, register, register_system_page
from core.engines import features_needed

register_system_page(SystemPage("login", _l("Sign in"), main="sign_in"))
register_system_page(SystemPage("member", _l("Me"), main="member_centre"))
register_system_page(SystemPage("addresses", _l("My addresses"), main="address_book"))

_ADDRESS = {"name": _l("Name"), "phone": _l("Phone"), "region": _l("Province / city / district"),
            "line": _l("Street and number"), "save": _l("Save"), "add_address": _l("Add an address")}


@register
class SignIn(AppSection):
    type = "sign_in"
    label = _l("Sign in")
    icon = "login"
    pages = ("login",)
    script = "h5/account.js"
    strings = {"phone": _l("Phone"), "code": _l("Code"), "send_code": _l("Send code"), "sign_in": _l("Sign in"),
               "code_sent": _l("Code sent.")}


@register
class MemberCentre(AppSection):
    """Its links: the orders by status and the address book, and the engines' member-centre
    pages the app enables (the consumer's coupons …), handed to the module as data-links."""

    type = "member_centre"
    label = _l("Member centre")
    icon = "user"
    pages = ("member",)
    script = "h5/account.js"
    strings = {"sign_in": _l("Sign in"), "signed_out": _l("Sign in to see your orders and addresses."),
               "my_orders": _l("My orders"), "all": _l("All orders"), "to_pay": _l("To pay"), "to_ship": _l("To ship"),
               "to_receive": _l("To receive"), "done": _l("Completed"), "addresses": _l("My addresses"),
               "cart": _l("Cart"), "sign_out": _l("Sign out")}

    def load(self, ctx, sections):
        enabled = ctx.compiled.app.get("engines", [])
        links = [{"url": url_for("storefront.member_page", kind=kind), "label": str(page.label)}
                 for kind, page in SYSTEM_PAGES.items()
                 if page.member_centre and all(name in enabled for name in features_needed(page.engine or ""))]
        return {s["id"]: {"links": links} for s in sections}


@register
class AddressBook(AppSection):
    type = "address_book"
    label = _l("Address book")
    icon = "map-pin"
    pages = ("addresses",)
    script = "h5/account.js"
    strings = {**_ADDRESS, "no_addresses": _l("No addresses yet."), "default": _l("Default"),
               "make_default": _l("Make default"), "remove": _l("Remove")}
