"""Support sessions: a platform admin opens a shop's back office as its owner would see it, to help
— with a reason the audit log keeps, for an hour at most, under a banner on every page that says
so and ends it. The admin acts as themselves (core.staff_session gives them the owner's role in
that one shop): every write they make there is audited under their own name."""

from __future__ import annotations

import time

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from core import audit
from core.db import db
from core.forms import ConfirmForm
from core.staff_session import SUPPORT_KEY, admin_required, select_shop, signed_in_identity
from core.tenancy import Tenant

bp = Blueprint("support", __name__, template_folder="templates")

SUPPORT_SECONDS = 3600


class SupportForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Say why you open this shop's back office.")),
                                                     Length(max=500)],
                           description=_l("Kept in the audit log and shown on every page, e.g. the ticket you answer."))


@bp.route("/console/tenants/<int:tenant_id>/support", methods=["GET", "POST"])
@admin_required
def start(tenant_id: int):
    shop = db.session.get(Tenant, tenant_id) or abort(404)
    form = SupportForm()
    if form.validate_on_submit():
        reason = form.reason.data.strip()
        audit.record("tenant.support", actor=signed_in_identity(), tenant_id=shop.id, target=shop.slug,
                     details={"reason": reason}, ip=request.remote_addr)
        db.session.commit()
        session[SUPPORT_KEY] = {"tenant": str(shop.id), "until": int(time.time()) + SUPPORT_SECONDS,
                                "reason": reason[:200]}
        select_shop(shop.id)
        return redirect(url_for("merchant.dashboard"))
    return render_template("console/support.html", shop=shop, form=form), 400 if form.errors else 200


@bp.post("/merchant/support/end")
def end():
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    support = session.pop(SUPPORT_KEY, None)
    session.pop("tenant_id", None)
    identity = signed_in_identity()
    if support is None or identity is None:
        return redirect(url_for("console.tenants"))
    audit.record("tenant.support_end", actor=identity, tenant_id=int(support["tenant"]), ip=request.remote_addr)
    db.session.commit()
    flash(_("Support session ended."), "success")
    return redirect(url_for("console.tenant", tenant_id=int(support["tenant"])))
