"""What console forms share: service errors shown on their fields, a safe `next` target, and
the email rule of the whole platform."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length, ValidationError

from core.errors import APIError
from core.identities import normalize_email


class PlanRefusal(str):
    """A form's refusal by the shop's plan (core.plans): shown with the way to the plan page."""

    plan_limit = True


def show_errors(form: FlaskForm, error: APIError) -> None:
    """Put a service's field errors on the form's fields (the rest on the form itself)."""
    for field_name, messages in error.fields.items():
        field = getattr(form, field_name, None)
        target = field.errors if field is not None and hasattr(field, "errors") else form.form_errors
        if isinstance(target, tuple):
            target = field.errors = list(target)
        target.extend(messages if isinstance(messages, list) else [str(messages)])
    if not error.fields:
        form.form_errors.append(PlanRefusal(error.message) if error.code == "plan_limit_reached" else error.message)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def local_path(target: object) -> str | None:
    """`target` when it is a path of this site to send a browser to, else None. Refuses control
    characters (a CR or LF would split the Location header) and anything that names a scheme or
    a host once read as browsers read URLs — ASCII tabs and newlines dropped, a backslash taken
    for a slash — so "//evil.example", "/\\evil.example" and "/<TAB>/evil.example" all stay
    home. Every redirect to a target the request names goes through this."""
    if not isinstance(target, str) or not target.startswith("/") or _CONTROL.search(target):
        return None
    as_browsers_read = re.sub(r"[\t\n\r]", "", target).replace("\\", "/")
    if as_browsers_read.startswith("//"):
        return None
    parts = urlsplit(as_browsers_read)
    return None if parts.scheme or parts.netloc else target


def safe_next() -> str | None:
    """The `next` query argument when it is a local path (never another site; see local_path)."""
    return local_path(request.args.get("next"))


class ValidEmail:
    """The platform's one email rule (core.identities.normalize_email) as a WTForms validator:
    the forms refuse exactly what the command line and the services refuse."""

    def __call__(self, form, field) -> None:
        try:
            normalize_email(field.data or "")
        except APIError as error:
            raise ValidationError(error.fields["email"][0]) from None


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), ValidEmail(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


class ConfirmForm(FlaskForm):
    """A bare form for buttons that change state (suspend, resume, sign out): CSRF only."""
