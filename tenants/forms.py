"""Console forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

import zoneinfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from core.forms import ValidEmail
from core.money import CURRENCIES

COMMON_TIMEZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
                    "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC"]


class TenantForm(FlaskForm):
    slug = StringField(_l("Address name"), validators=[DataRequired(), Length(min=3, max=40)],
                       description=_l("Lowercase letters, digits and dashes; the shop lives at /s/<name>/."))
    name = StringField(_l("Shop name"), validators=[DataRequired(), Length(max=120)])
    currency = SelectField(_l("Currency"), choices=sorted(CURRENCIES), default="CNY")
    timezone = SelectField(_l("Timezone"), default="Asia/Shanghai",
                           choices=COMMON_TIMEZONES + sorted(set(zoneinfo.available_timezones()) - set(COMMON_TIMEZONES)))
    owner_email = EmailField(_l("Owner email"), validators=[DataRequired(), ValidEmail(), Length(max=254)])
    owner_password = PasswordField(_l("Owner password"), validators=[Optional(), Length(min=8, max=256)],
                                   description=_l("Needed when the owner has no account yet."))


class SuspendForm(FlaskForm):
    """Suspending a shop takes a reason: the audit log keeps it, for the shop and for the next admin."""
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Say why the shop is suspended.")), Length(max=500)],
                           description=_l("Kept in the audit log, e.g. unpaid invoice, reported for fraud."))
    back = HiddenField()


class ResumeForm(FlaskForm):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)],
                         description=_l("Optional; kept in the audit log."))
    back = HiddenField()


class DeleteForm(FlaskForm):
    """Deleting a shop takes its address typed again and a reason."""
    confirm = StringField(_l("Type the shop's address name to confirm"), validators=[DataRequired(), Length(max=40)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Say why the shop is deleted.")), Length(max=500)],
                           description=_l("Kept in the audit log, e.g. the owner asked to close their account."))
