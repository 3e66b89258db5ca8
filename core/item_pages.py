"""Items sold on a page of their own engine: a booking engine's service, event ticket or room is
chosen with its time, session or dates on its booking page, not bought from the item page. The
catalog's cards and its item page ask `item_pages` for the items they show, without naming who
answers: an engine registers a source with the data kinds whose stamps its answer follows (the
page cache keys on them); each answer is a storefront link (`bookable:<id>`) the item goes to."""

from __future__ import annotations

from typing import Callable

_SOURCES: list[tuple[Callable[[list[int]], dict[int, str]], tuple[str, ...]]] = []


def register_item_pages(source: Callable[[list[int]], dict[int, str]], *, data_kinds: tuple[str, ...]) -> None:
    """`source(item_ids)` answers {item id: link} for those of the items sold on its own page."""
    _SOURCES.append((source, data_kinds))


def item_page_data_kinds() -> tuple[str, ...]:
    return tuple(kind for _, kinds in _SOURCES for kind in kinds)


def item_pages(item_ids: list[int]) -> dict[int, str]:
    """The items of these sold on a page of their own, and the link to it."""
    found: dict[int, str] = {}
    if item_ids:
        for source, _ in _SOURCES:
            found.update(source(item_ids))
    return found
