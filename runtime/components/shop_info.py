"""Shop information components: customer-service contact and store information. When the commerce
engines bring a stores engine, store information reads the tenant's stores from it; until then
the merchant types the details in."""

from __future__ import annotations

from urllib.parse import quote

from flask_babel import lazy_gettext as _l

from core.components import Component, Image, Select, SettingsSchema, Text, TextArea, register

COORDINATE = r"^$|^-?\d{1,3}(\.\d{1,8})?$"
COORDINATE_ERROR = "Use decimal degrees such as 31.2304."


@register
class Contact(Component):
    type = "contact"
    label = _l("Customer service")
    group = "shop"
    icon = "headset"
    template = "components/contact.html"

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "Customer service", max_length=40)
        phone = Text(_l("Phone"), "", max_length=20)
        wechat = Text(_l("WeChat ID"), "", max_length=40)
        hours = Text(_l("Service hours"), "Daily 9:00–21:00", max_length=60)
        button = Text(_l("Button label"), "Call us", max_length=16)


@register
class StoreInfo(Component):
    type = "store_info"
    label = _l("Store information")
    group = "shop"
    icon = "building-store"
    template = "components/store_info.html"

    class Settings(SettingsSchema):
        name = Text(_l("Store name"), "Our store", max_length=60)
        cover = Image(_l("Photo"))
        address = Text(_l("Address"), "", max_length=200)
        hours = TextArea(_l("Opening hours"), "Mon–Fri 9:00–21:00\nSat–Sun 10:00–22:00", max_length=400,
                         help=_l("One line per period"))
        phone = Text(_l("Phone"), "", max_length=20)
        latitude = Text(_l("Latitude"), "", max_length=14, pattern=COORDINATE, pattern_error=COORDINATE_ERROR)
        longitude = Text(_l("Longitude"), "", max_length=14, pattern=COORDINATE, pattern_error=COORDINATE_ERROR)
        map = Select(_l("Map"), [("amap", _l("Amap")), ("osm", _l("OpenStreetMap"))], "amap")

    def load(self, ctx, sections):
        """The map link of each section, from its coordinates."""
        out = {}
        for section in sections:
            settings = section["settings"]
            lat, lng = settings["latitude"], settings["longitude"]
            if lat and lng:
                out[section["id"]] = {"map_url": map_url(settings["map"], lat, lng, settings["name"])}
        return out


def map_url(provider: str, lat: str, lng: str, name: str) -> str:
    if provider == "osm":
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=17/{lat}/{lng}"
    return f"https://uri.amap.com/marker?position={lng},{lat}&name={quote(name)}"
