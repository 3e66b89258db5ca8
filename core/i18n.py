"""User-facing text goes through gettext from the first string: English and Simplified Chinese."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, has_request_context, request
from flask_babel import Babel, get_locale

LOCALES = ["en", "zh_Hans"]
babel = Babel()


def select_locale() -> str:
    """`?lang=`, then the `lang` cookie, then Accept-Language; English outside a request (CLI)."""
    if not has_request_context():
        return "en"
    chosen = request.args.get("lang") or request.cookies.get("lang")
    if chosen in LOCALES:
        return chosen
    best = request.accept_languages.best_match(["en", "zh-Hans", "zh-CN", "zh"], default="en")
    return "zh_Hans" if best.startswith("zh") else "en"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).parent / "translations"))
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals["get_locale"] = get_locale
