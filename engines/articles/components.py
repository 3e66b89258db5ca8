"""The article list component, and the article page (a system page whose main section shows one
article)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from core.components import (BlockType, Checkbox, Component, Range, Reference, Select, SettingsSchema, SystemPage, Text,
                             register, register_engine, register_system_page)
from engines.articles.services import get_published, list_published, published_by_ids

register_engine("articles", _l("Articles"))
register_system_page(SystemPage("article", _l("Article"), main="article_detail", engine="articles"))


class Pick(BlockType):
    type = "pick"
    label = _l("Article")

    class Settings(SettingsSchema):
        article = Reference(_l("Article"), "article")


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
        """One query for the newest (as many as the largest section wants) and one for every
        hand-picked article on the page."""
        newest_needed = max((s["settings"]["count"] for s in sections if s["settings"]["source"] == "newest"), default=0)
        newest = list_published(limit=newest_needed)[0] if newest_needed else []
        picked_ids = [int(b["settings"]["article"].split(":")[1]) for s in sections if s["settings"]["source"] == "picked"
                      for b in s["blocks"].values() if b["settings"]["article"]]
        picked = published_by_ids(picked_ids)
        ctx.add_media(a.cover for a in [*newest, *picked.values()])
        out = {}
        for section in sections:
            settings = section["settings"]
            if settings["source"] == "newest":
                rows = newest[: settings["count"]]
            else:
                ids = [int(section["blocks"][b]["settings"]["article"].split(":")[1]) for b in section["block_order"]
                       if section["blocks"][b]["settings"]["article"]]
                rows = [picked[i] for i in ids if i in picked][: settings["count"]]
            out[section["id"]] = [_summary(a) for a in rows]
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
        raw = ctx.params.get("id", "")
        article = get_published(int(raw)) if raw.isdigit() and len(raw) <= 19 else None
        if article is not None:
            ctx.add_media([article.cover])
        data = {**_summary(article), "body": article.body} if article else None
        return {s["id"]: data for s in sections}


def _summary(article) -> dict:
    return {"id": str(article.id), "title": article.title, "summary": article.summary, "cover": article.cover,
            "published_at": article.published_at.isoformat() if article.published_at else None,
            "date": article.published_at.strftime("%Y-%m-%d") if article.published_at else ""}
