"""Media components: banner carousel, image, image grid (cube), hot-zone image, video."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import BlockType, Checkbox, Component, Image, Link, Range, Select, SettingsSchema, Text, Video, register


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


class Cell(Slide):
    """A picture of the image cube: the same settings as a banner slide."""

    type = "cell"
    label = _l("Picture")


@register
class ImageGrid(Component):
    type = "image_grid"
    label = _l("Image cube")
    group = "media"
    icon = "layout-collage"
    template = "components/image_grid.html"
    blocks = {"cell": Cell}
    max_blocks = 9

    class Settings(SettingsSchema):
        layout = Select(_l("Layout"), [("two", _l("2 columns")), ("three", _l("3 columns")),
                                       ("feature", _l("1 large + 2 small")), ("square", _l("4 in a square"))], "two")
        gap = Range(_l("Gap"), 6, min=0, max=20, unit="px")
        rounded = Checkbox(_l("Rounded corners"), True)

    presets = [{"label": "Two pictures", "settings": {"layout": "two"},
                "blocks": {"c1": {"type": "cell"}, "c2": {"type": "cell"}}, "block_order": ["c1", "c2"]}]

    @staticmethod
    def css(settings: dict) -> str:
        return f"--grid-gap:{settings['gap']}px;"


class Zone(BlockType):
    type = "zone"
    label = _l("Hot zone")

    class Settings(SettingsSchema):
        label = Text(_l("What it opens (for screen readers)"), "Open", max_length=60)
        link = Link(_l("Link"))
        x = Range(_l("Left"), 0, min=0, max=100, unit="%")
        y = Range(_l("Top"), 0, min=0, max=100, unit="%")
        width = Range(_l("Width"), 50, min=1, max=100, unit="%")
        height = Range(_l("Height"), 50, min=1, max=100, unit="%")


@register
class HotspotImage(Component):
    """One picture with linked areas. The areas are drawn as links inside an SVG laid over the
    picture (SVG geometry is markup, not style, so the strict storefront CSP allows it)."""

    type = "hotspot_image"
    label = _l("Hot-zone image")
    group = "media"
    icon = "hand-click"
    template = "components/hotspot_image.html"
    blocks = {"zone": Zone}
    max_blocks = 20

    class Settings(SettingsSchema):
        image = Image(_l("Image"))
        alt = Text(_l("Description for screen readers"), "", max_length=120)


@register
class VideoComponent(Component):
    type = "video"
    label = _l("Video")
    group = "media"
    icon = "movie"
    template = "components/video.html"

    class Settings(SettingsSchema):
        video = Video(_l("Video"))
        poster = Image(_l("Cover image"))
        title = Text(_l("Title for screen readers"), "Video", max_length=80)
        autoplay = Checkbox(_l("Play automatically (muted)"), False)
        loop = Checkbox(_l("Loop"), False)
        controls = Checkbox(_l("Show controls"), True)
