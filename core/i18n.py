"""User-facing text goes through gettext from the first string: English and Simplified Chinese."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, abort, current_app, has_request_context, redirect, request
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
    app.add_url_rule("/lang/<code>", "choose_language", choose_language)


def choose_language(code: str):
    """Remember a language in a cookie (a year) and go back where the person was."""
    from core.forms import safe_next

    if code not in LOCALES:
        abort(404)
    response = redirect(safe_next() or "/")
    response.set_cookie("lang", code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
