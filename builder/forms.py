"""Back-office forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from core.forms import ValidEmail
from core.permissions import ROLE_LABELS, Role


def role_choices():
    return [(role.value, ROLE_LABELS[role]) for role in Role]


class StaffInviteForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), ValidEmail(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=role_choices, default=Role.CLERK.value)
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=256)],
                             description=_l("Needed when this person has no Tessera account yet."))


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=role_choices)
