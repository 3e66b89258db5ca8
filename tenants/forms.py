"""Console forms (Flask-WTF: CSRF on every one)."""

from __future__ import annotations

import zoneinfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import EmailField, HiddenField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from core.forms import ValidEmail
from core.money import CURRENCIES

COMMON_TIMEZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo",
                    "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC"]


class OwnerAccount(FlaskForm):
    """Whose a new shop or reseller is: their account, made when they have none yet."""
    owner_email = EmailField(_l("Owner email"), validators=[DataRequired(), ValidEmail(), Length(max=254)])
    owner_password = PasswordField(_l("Owner password"), validators=[Optional(), Length(min=8, max=256)],
                                   description=_l("Needed when the owner has no account yet."))


class TenantForm(OwnerAccount):
    """A shop opened for a merchant (by the platform or a reseller): its address, name, money and time."""
    slug = StringField(_l("Address name"), validators=[DataRequired(), Length(min=3, max=40)],
                       description=_l("Lowercase letters, digits and dashes; the shop lives at /s/<name>/."))
    name = StringField(_l("Shop name"), validators=[DataRequired(), Length(max=120)])
    currency = SelectField(_l("Currency"), choices=sorted(CURRENCIES), default="CNY")
    timezone = SelectField(_l("Timezone"), default="Asia/Shanghai",
                           choices=COMMON_TIMEZONES + sorted(set(zoneinfo.available_timezones()) - set(COMMON_TIMEZONES)))


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


class ResellerForm(OwnerAccount):
    """The platform's side of a reseller: who it is, its domain and how many shops it may run."""
    slug = StringField(_l("Reseller code"), validators=[DataRequired(), Length(min=3, max=40)],
                       description=_l("Lowercase letters, digits and dashes; it never changes."))
    name = StringField(_l("Brand name"), validators=[DataRequired(), Length(max=80)])
    domain = StringField(_l("Domain"), validators=[DataRequired(), Length(max=253)],
                         description=_l("Its console, its merchants' back office and sign-up, e.g. shops.example.com."))
    quota = IntegerField(_l("Shops it may run"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)],
                         default=10)


class ResellerEditForm(FlaskForm):
    name = StringField(_l("Brand name"), validators=[DataRequired(), Length(max=80)])
    domain = StringField(_l("Domain"), validators=[DataRequired(), Length(max=253)])
    quota = IntegerField(_l("Shops it may run"), validators=[InputRequired(), NumberRange(min=0, max=1_000_000)])


class ResellerShopForm(TenantForm):
    """A reseller opens a shop for a merchant, on one of the plans it sells."""
    plan = SelectField(_l("Plan"), choices=[])
    template = SelectField(_l("Start from"), choices=[])


class BrandForm(FlaskForm):
    name = StringField(_l("Brand name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("Your merchants see it instead of the platform's, in every page and mail."))
    colour = StringField(_l("Colour"), validators=[DataRequired()], description=_l("#rrggbb"))  # checked by the service
    support_email = EmailField(_l("Support e-mail"), validators=[Optional(), ValidEmail(), Length(max=254)],
                               description=_l("Shown to your merchants at the foot of every page."))
    logo = FileField(_l("Logo"), description=_l("PNG, JPEG or WebP, at most 512 KB; shown 28 px high."))


TEAM_ROLES = [("staff", _l("Staff: runs the shops")), ("owner", _l("Owner: also the team, prices, brand and API tokens"))]


class TeamMemberForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), ValidEmail(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=256)],
                             description=_l("Needed when this person has no account yet."))
    role = SelectField(_l("Role"), choices=lambda: TEAM_ROLES)


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)],
                       description=_l("After what will use it, e.g. our website's shop."))
