"""Media components: banner carousel, image, image grid (cube), hot-zone image, video."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import BlockType, Checkbox, Component, Image, Link, Range, SettingsSchema, Text, register


class Slide(BlockType):
    type = "slide"
    label = _l("Slide")

    class Settings(SettingsSchema):
        image = Image(_l("Image"))
        alt = Text(_l("Description for screen readers"), "", max_length=120)
        link = Link(_l("Link"))


@register
class Banner(Component):
    type = "banner"
    label = _l("Banner carousel")
    group = "media"
    icon = "carousel-horizontal"
    template = "components/banner.html"
    blocks = {"slide": Slide}
    max_blocks = 10

    class Settings(SettingsSchema):
        interval = Range(_l("Seconds per slide"), 4, min=0, max=15, unit="s", help=_l("0 keeps each slide until swiped"))
        height = Range(_l("Height"), 180, min=80, max=400, unit="px")
        rounded = Checkbox(_l("Rounded corners"), True)

    presets = [{"label": "Two slides", "settings": {}, "blocks": {"b1": {"type": "slide"}, "b2": {"type": "slide"}},
                "block_order": ["b1", "b2"]}]

    @staticmethod
    def css(settings: dict) -> str:
        return f"--banner-height:{settings['height']}px;"


@register
class ImageComponent(Component):
    type = "image"
    label = _l("Image")
    group = "media"
    icon = "photo"
    template = "components/image.html"

    class Settings(SettingsSchema):
        image = Image(_l("Image"))
        alt = Text(_l("Description for screen readers"), "", max_length=120)
        link = Link(_l("Link"))
        margin = Range(_l("Side margin"), 0, min=0, max=24, unit="px")

    @staticmethod
    def css(settings: dict) -> str:
        return f"--image-margin:{settings['margin']}px;"
