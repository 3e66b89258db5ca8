"""The articles' part of a template's demo data: `articles`, published."""

from __future__ import annotations

from core.engines import DemoKit
from engines.articles.services import create_article


def load(demo: dict, kit: DemoKit) -> None:
    for entry in demo.get("articles", []):
        create_article(title=entry["title"], summary=entry.get("summary", ""), body=entry.get("body", ""),
                       publish=True)
