"""What console forms share: service errors shown on their fields, and a safe `next` target."""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from core.errors import APIError


def show_errors(form: FlaskForm, error: APIError) -> None:
    """Put a service's field errors on the form's fields (the rest on the form itself)."""
    for field_name, messages in error.fields.items():
        field = getattr(form, field_name, None)
        target = field.errors if field is not None and hasattr(field, "errors") else form.form_errors
        if isinstance(target, tuple):
            target = field.errors = list(target)
        target.extend(messages if isinstance(messages, list) else [str(messages)])
    if not error.fields:
        form.form_errors.append(error.message)


def safe_next() -> str | None:
    """The `next` query argument when it is a local path (never another site)."""
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else None


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class ConfirmForm(FlaskForm):
    """A bare form for buttons that change state (suspend, resume, sign out): CSRF only."""
