"""The shop's own domains (/merchant/domains): add a name, see the TXT record that proves it,
check it, choose the primary one, remove one. Owners only; every write audited. And the question
a reverse proxy with on-demand certificates asks before it gets one for a name."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core.backoffice import register_nav
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm
from core.permissions import register_permission
from core.staff_session import permission_required, signed_in_identity
from tenants.domains import (add_domain, check_domain, domain_of, domains_of, make_primary, record_name,
                             record_value, remove_domain, tls_allowed)

bp = Blueprint("domains", __name__, template_folder="templates")

MANAGE = "domains.manage"
register_permission(MANAGE, _l("Add and verify the shop's own domains"), roles=())
register_nav("domains.page", _l("Domains"), icon="world-www", permission=MANAGE, order=97)


def _refusal(error: APIError) -> str:
    return " ".join(m for ms in (error.fields or {}).values() for m in ms) or error.message


@bp.get("/merchant/domains/")
@permission_required(MANAGE)
def page():
    return render_template("domains/page.html", domains=domains_of(g.shop.id), record_name=record_name,
                           record_value=record_value, action_form=ConfirmForm(), base=request.host_url)


@bp.post("/merchant/domains/")
@permission_required(MANAGE)
def add():
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    try:
        domain = add_domain(g.shop, request.form.get("host", "")[:300], actor=signed_in_identity(),
                            ip=request.remote_addr)
    except APIError as error:
        db.session.rollback()
        flash(_refusal(error), "danger")
        return redirect(url_for(".page"))
    db.session.commit()
    flash(_("%(host)s added: create its TXT record, then check it.", host=domain.host), "success")
    return redirect(url_for(".page"))


@bp.post("/merchant/domains/<int:domain_id>/<action>")
@permission_required(MANAGE)
def act(domain_id: int, action: str):
    if action not in ("check", "primary", "remove"):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    try:
        domain = domain_of(g.shop.id, domain_id)
        who = {"actor": signed_in_identity(), "ip": request.remote_addr}
        if action == "check":
            done = check_domain(domain, **who)
            message = (_("%(host)s is verified: your shop answers there.", host=domain.host) if done
                       else domain.problem)
        elif action == "primary":
            make_primary(domain, **who)
            message = _("%(host)s is now your shop's primary address.", host=domain.host)
        else:
            remove_domain(domain, **who)
            message = _("%(host)s removed.", host=domain.host)
    except APIError as error:
        db.session.rollback()
        if error.code == "not_found":
            abort(404)
        flash(_refusal(error), "danger")
        return redirect(url_for(".page"))
    db.session.commit()
    flash(message, "success" if action != "check" or domain.verified_at else "warning")
    return redirect(url_for(".page"))


@bp.get("/.well-known/tessera/tls-allowed")
def tls():
    """200 when a certificate may be issued for `?domain=` (a verified shop domain), else 404."""
    if not tls_allowed(request.args.get("domain", "")):
        abort(404)
    return "ok", 200, {"Content-Type": "text/plain", "Cache-Control": "no-store"}
