"""/merchant/api-tokens: the shop's staff API tokens (the Admin API's keys) — list, create, revoke.
Owners only ("api_tokens.manage"). A token's secret is shown once, in the answer to its creation,
and kept nowhere (not in the session, not in the audit log)."""

from __future__ import annotations

import zoneinfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from core.backoffice import register_nav
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm, show_errors
from core.identities import Identity, StaffMember
from core.ids import parse_id
from core.permissions import PERMISSIONS
from core.staff_session import permission_required, signed_in_identity
from core.staff_tokens import MAX_NAME, create_token, find_token, grantable_permissions, revoke_token, tokens_of_shop

bp = Blueprint("api_tokens", __name__, url_prefix="/merchant/api-tokens", template_folder="templates")

MANAGE = "api_tokens.manage"
LIFETIMES = [("", _l("Until revoked")), ("30", _l("30 days")), ("90", _l("90 days")), ("365", _l("A year"))]

register_nav("api_tokens.index", _l("API tokens"), icon="key", permission=MANAGE, order=95)


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=MAX_NAME)],
                       description=_l("What will use it: “ERP stock sync”."))
    expires = SelectField(_l("Lasts"), choices=lambda: LIFETIMES, default="")


def _members() -> list[tuple[StaffMember, Identity]]:
    return [(member, identity) for member, identity in db.session.execute(
        select(StaffMember, Identity).join(Identity, Identity.id == StaffMember.identity_id)
        .order_by(StaffMember.created_at, StaffMember.id))]


def _chosen(members: list[tuple[StaffMember, Identity]], member_id: int | None) -> tuple[StaffMember, Identity]:
    """The member a token is being made for: the one asked for, else the signed-in owner."""
    wanted = member_id or g.staff.id
    found = next(((m, i) for m, i in members if m.id == wanted), None)
    if found is None:
        abort(404, description=_("There is no such staff member."))
    return found


def _page(form: TokenForm, member_id: int | None, *, created: dict | None = None, status: int = 200):
    members = _members()
    member, identity = _chosen(members, member_id)
    checked = set(request.form.getlist("permissions")) if request.method == "POST" and not created else set()
    response = render_template(
        "merchant/api_tokens.html", form=form, tokens=tokens_of_shop(), members=members, member=member,
        identity=identity, grantable=[(name, PERMISSIONS[name].label) for name in grantable_permissions(member.role)],
        checked=checked, labels={name: permission.label for name, permission in PERMISSIONS.items()},
        created=created, action_form=ConfirmForm(), document_url=url_for("admin_api.document", _external=True),
        tz=zoneinfo.ZoneInfo(g.shop.timezone))
    headers = {"Cache-Control": "no-store"} if created else {}
    return response, status, headers


@bp.get("/")
@permission_required(MANAGE)
def index():
    return _page(TokenForm(), parse_id(request.args.get("member")))


@bp.post("/")
@permission_required(MANAGE)
def create():
    form = TokenForm()
    members = _members()
    member, identity = _chosen(members, parse_id(request.form.get("member_id")))
    if not form.validate_on_submit():
        return _page(form, member.id, status=400)
    try:
        token, text = create_token(member=member, name=form.name.data, permissions=request.form.getlist("permissions"),
                                   expires_in_days=int(form.expires.data) if form.expires.data else None,
                                   actor=signed_in_identity(), via="back_office")
    except APIError as error:
        db.session.rollback()
        show_errors(form, error)
        return _page(form, member.id, status=400)
    db.session.commit()
    # Answered here, not after a redirect: the secret must not travel through the session.
    return _page(TokenForm(formdata=None), member.id, created={"token": token, "text": text, "email": identity.email},
                 status=201)


@bp.post("/<int:token_id>/revoke")
@permission_required(MANAGE)
def revoke(token_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    try:
        token = find_token(token_id)
    except APIError:
        abort(404)
    if revoke_token(token, actor=signed_in_identity(), via="back_office"):
        db.session.commit()
        flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name), "success")
    else:
        flash(_("The token “%(name)s” was revoked already.", name=token.name), "info")
    return redirect(url_for(".index"))
