"""The templates a new shop may start from, as the template library offers them: create_app hands
them over with `offer_templates` (this package may not import that one), and sign-up and the
resellers' consoles and API start shops from them."""

from __future__ import annotations

import dataclasses
from typing import Callable

from flask_babel import gettext as _

from core.errors import APIError


@dataclasses.dataclass(frozen=True)
class Starter:
    """A template a new shop may start from, as the forms show it."""

    slug: str
    name: str
    industry: str
    description: str
    preview_url: str | None


_gallery: dict[str, Callable] = {}


def offer_templates(*, starters: Callable[[], list[Starter]], start: Callable[..., tuple[str, bool]]) -> None:
    """What the forms offer (`starters()`), and how a new shop starts from the one chosen
    (`start(slug, demo_data=, tenant_id=, actor=)` in the shop's scope, in the caller's transaction)."""
    _gallery.update(starters=starters, start=start)


def starters() -> list[Starter]:
    return _gallery["starters"]() if _gallery else []


def require_offered(template: str) -> None:
    """422 on a template the gallery does not offer."""
    if template not in {starter.slug for starter in starters()}:
        raise APIError("invalid_input", fields={"template": [_("Choose one of the templates offered.")]})


def start_shop(template: str, *, demo_data: bool, tenant_id: int, actor) -> tuple[str, bool]:
    """Start the shop in scope from `template` (its name, and whether it was published)."""
    require_offered(template)
    return _gallery["start"](template, demo_data=demo_data, tenant_id=tenant_id, actor=actor)
