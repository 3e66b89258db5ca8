"""Navigation components: navigation grid, search bar, tabs container, floating button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import (BlockType, Checkbox, Component, Image, Link, Range, RichText, Select, SettingsSchema,
                             Text, register)

ICONS = ["home", "category", "cart", "user", "list", "star", "message", "map", "calendar", "book", "search", "gift",
         "heart", "shop", "phone", "headset", "arrow-up"]


class NavItem(BlockType):
    type = "nav_item"
    label = _l("Entry")

    class Settings(SettingsSchema):
        label = Text(_l("Label"), "Entry", max_length=12)
        image = Image(_l("Icon image"), help=_l("Leave empty to use the icon below"))
        icon = Select(_l("Icon"), ICONS, "star")
        link = Link(_l("Link"))


@register
class NavGrid(Component):
    type = "nav_grid"
    label = _l("Navigation grid")
    icon = "layout-grid"
    template = "components/nav_grid.html"
    blocks = {"nav_item": NavItem}
    max_blocks = 20

    class Settings(SettingsSchema):
        columns = Range(_l("Columns"), 4, min=3, max=5)
        rounded = Checkbox(_l("Round icons"), True)
        card = Checkbox(_l("Show on a card"), True)

    presets = [{"label": "Four entries", "settings": {"columns": 4},
                "blocks": {f"n{i}": {"type": "nav_item", "settings": {"label": label, "icon": icon}}
                           for i, (label, icon) in enumerate([("New", "star"), ("Deals", "gift"),
                                                              ("Members", "user"), ("Stores", "map")])},
                "block_order": ["n0", "n1", "n2", "n3"]}]

    @staticmethod
    def css(settings: dict) -> str:
        return f"--nav-columns:{settings['columns']};"


@register
class SearchBar(Component):
    type = "search_bar"
    label = _l("Search bar")
    icon = "search"
    template = "components/search_bar.html"
    limit = 1

    class Settings(SettingsSchema):
        placeholder = Text(_l("Placeholder"), "Search", max_length=40)
        target = Link(_l("Results page"), help=_l("The page that receives ?q="))
        style = Select(_l("Shape"), [("round", _l("Round")), ("square", _l("Square"))], "round")
        sticky = Checkbox(_l("Stay at the top when scrolling"), False)


class Tab(BlockType):
    type = "tab"
    label = _l("Tab")

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "Tab", max_length=16)
        body = RichText(_l("Content"), "<p>Tab content</p>")


@register
class Tabs(Component):
    type = "tabs"
    label = _l("Tabs")
    icon = "layout-navbar"
    template = "components/tabs.html"
    blocks = {"tab": Tab}
    max_blocks = 8

    class Settings(SettingsSchema):
        card = Checkbox(_l("Show on a card"), True)

    presets = [{"label": "Two tabs", "blocks": {"t1": {"type": "tab", "settings": {"title": "Details"}},
                                                "t2": {"type": "tab", "settings": {"title": "Delivery"}}},
                "block_order": ["t1", "t2"]}]


@register
class FloatingButton(Component):
    type = "floating_button"
    label = _l("Floating button")
    icon = "circle-plus"
    template = "components/floating_button.html"
    limit = 1

    class Settings(SettingsSchema):
        mode = Select(_l("Action"), [("link", _l("Open a link")), ("top", _l("Back to top"))], "link")
        icon = Select(_l("Icon"), ICONS, "headset")
        label = Text(_l("Label for screen readers"), "Contact us", max_length=30)
        link = Link(_l("Link"))
        position = Select(_l("Position"), [("right", _l("Bottom right")), ("left", _l("Bottom left"))], "right")
