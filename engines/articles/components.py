"""Page components of articles: the article list, and the article page (a system page whose main
section shows the article named by `?id=`). Links `article:<id>` open that page."""

from __future__ import annotations

import zoneinfo

from flask_babel import lazy_gettext as _l

from core.components import (BlockType, Checkbox, Component, Range, Reference, Select, SettingsSchema, SystemPage, Text,
                             register, register_system_page)
from core.ids import parse_id
from engines.articles.services import get_published, published_for_lists

register_system_page(SystemPage("article", _l("Article"), main="article_detail", engine="articles"))


class Pick(BlockType):
    type = "pick"
    label = _l("Article")

    class Settings(SettingsSchema):
        article = Reference(_l("Article"), "article")


def _picked_ids(section: dict) -> list[int]:
    """The section's picked article ids in block order, each once."""
    ids: list[int] = []
    for block_id in section.get("block_order", []):
        ref = section["blocks"][block_id]["settings"].get("article") or ""
        article_id = parse_id(ref.partition(":")[2])
        if article_id and article_id not in ids:
            ids.append(article_id)
    return ids


@register
class ArticleList(Component):
    type = "article_list"
    label = _l("Article list")
    group = "content"
    icon = "news"
    engine = "articles"
    template = "components/article_list.html"
    blocks = {"pick": Pick}
    max_blocks = 20
    data_kinds = ("articles",)

    class Settings(SettingsSchema):
        title = Text(_l("Title"), "News", max_length=40)
        source = Select(_l("Articles"), [("newest", _l("The newest")), ("picked", _l("Hand-picked"))], "newest")
        count = Range(_l("How many"), 3, min=1, max=20)
        style = Select(_l("Style"), [("list", _l("List")), ("cards", _l("Cards"))], "list")
        show_cover = Checkbox(_l("Show covers"), True)
        show_date = Checkbox(_l("Show dates"), True)

    def load(self, ctx, sections):
        """One query for every article list on the page: the newest as many as the longest
        "newest" section shows, together with every hand-picked article (the union of needs);
        then one for their covers."""
        newest = max((s["settings"].get("count", 3) for s in sections
                      if s["settings"].get("source", "newest") == "newest"), default=0)
        picked = {s["id"]: _picked_ids(s) for s in sections if s["settings"].get("source") == "picked"}
        rows = published_for_lists(newest=newest, ids=[i for ids in picked.values() for i in ids])
        by_id = {a.id: a for a in rows}
        ctx.add_media(a.cover for a in rows)
        out = {}
        for section in sections:
            if section["id"] in picked:
                shown = [by_id[i] for i in picked[section["id"]] if i in by_id]  # the merchant's order
            else:
                shown = rows[: section["settings"].get("count", 3)]
            out[section["id"]] = [_summary(a, ctx.tenant.timezone) for a in shown]
        return out


@register
class ArticleDetail(Component):
    type = "article_detail"
    label = _l("Article")
    group = "content"
    icon = "article"
    engine = "articles"
    pages = ("article",)
    limit = 1
    template = "components/article_detail.html"
    data_kinds = ("articles",)

    class Settings(SettingsSchema):
        show_cover = Checkbox(_l("Show the cover"), True)
        show_date = Checkbox(_l("Show the date"), True)

    def load(self, ctx, sections):
        """The published article of `?id=`, or None (the template says it is not available)."""
        article = get_published(ctx.params.get("id"))
        data = None
        if article is not None:
            ctx.add_media([article.cover])
            data = {**_summary(article, ctx.tenant.timezone), "body": article.body}
        return {s["id"]: data for s in sections}


def _summary(article, timezone: str) -> dict:
    published = article.published_at
    local = published.astimezone(_zone(timezone)) if published else None
    return {"id": str(article.id), "title": article.title, "summary": article.summary, "cover": article.cover,
            "published_at": published.isoformat() if published else None,
            "date": local.strftime("%Y-%m-%d") if local else ""}


def _zone(name: str) -> zoneinfo.ZoneInfo:
    """The shop's time zone; dates are shown in it (UTC if the name is unknown)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
