"""Text components: title, rich text, notice bar, divider, spacer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import (Checkbox, Colour, Component, Link, Range, RichText, Select, SettingsSchema, Text,
                             register)
from runtime.colours import readable_on


@register
class Title(Component):
    type = "title"
    label = _l("Title")
    icon = "heading"
    template = "components/title.html"

    class Settings(SettingsSchema):
        text = Text(_l("Title"), "Title", max_length=60)
        subtitle = Text(_l("Subtitle"), "", max_length=120)
        align = Select(_l("Alignment"), [("left", _l("Left")), ("center", _l("Centre"))], "left")
        link = Link(_l("\"More\" link"))
        link_text = Text(_l("Link text"), "More", max_length=12)
        background = Colour(_l("Background"), "", allow_empty=True)

    presets = [{"label": "Section title", "settings": {"text": "New arrivals", "link_text": "More"}}]

    @staticmethod
    def css(settings: dict) -> str:
        return f"background:{settings['background']};" if settings.get("background") else ""


@register
class RichTextBlock(Component):
    type = "rich_text"
    label = _l("Rich text")
    icon = "align-left"
    template = "components/rich_text.html"

    class Settings(SettingsSchema):
        html = RichText(_l("Text"), "<p>Tell your customers about your shop.</p>")
        card = Checkbox(_l("Show on a card"), True)


@register
class NoticeBar(Component):
    type = "notice_bar"
    label = _l("Notice bar")
    icon = "speakerphone"
    template = "components/notice_bar.html"

    class Settings(SettingsSchema):
        text = Text(_l("Notice"), "Free delivery on orders over ¥99", max_length=200)
        link = Link(_l("Link"))
        scroll = Checkbox(_l("Scroll the text"), True)
        background = Colour(_l("Background"), "#FFF7E6")
        colour = Colour(_l("Text colour"), "#D46B08")

    @staticmethod
    def css(settings: dict) -> str:
        return f"--notice-bg:{settings['background']};--notice-fg:{readable_on(settings['colour'], settings['background'])};"


@register
class Divider(Component):
    type = "divider"
    label = _l("Divider")
    icon = "separator"
    template = "components/divider.html"

    class Settings(SettingsSchema):
        style = Select(_l("Line"), [("solid", _l("Solid")), ("dashed", _l("Dashed")), ("dotted", _l("Dotted"))])
        colour = Colour(_l("Colour"), "#E5E5E5")
        margin = Range(_l("Side margin"), 12, min=0, max=40, unit="px")

    @staticmethod
    def css(settings: dict) -> str:
        return f"--divider-style:{settings['style']};--divider-colour:{settings['colour']};--divider-margin:{settings['margin']}px;"


@register
class Spacer(Component):
    type = "spacer"
    label = _l("Spacer")
    icon = "space"
    template = "components/spacer.html"

    class Settings(SettingsSchema):
        height = Range(_l("Height"), 16, min=4, max=120, unit="px")
        background = Colour(_l("Background"), "", allow_empty=True)

    @staticmethod
    def css(settings: dict) -> str:
        return f"--spacer-height:{settings['height']}px;" + (f"background:{settings['background']};" if settings["background"] else "")
