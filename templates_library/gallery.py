"""The template gallery: merchants choose a template for their shop (or upgrade to a template's
new version) at /merchant/templates/; platform admins apply one to a tenant from the console at
/console/tenants/<id>/template. Cards show the preview, industry, description and a link to the
live demo storefront of each template (the `tpl-<slug>` shops `tessera run` creates)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from core import audit
from core.backoffice import register_nav
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm
from core.staff_session import admin_required, permission_required, signed_in_identity
from core.tenancy import Tenant, find_tenant, tenant_scope
from templates_library.registry import get_template, templates
from templates_library.services import apply_upgrade, instantiate, template_or_404, upgrade_preview

bp = Blueprint("template_gallery", __name__, template_folder="templates")

DESIGN = "design.edit"
register_nav("template_gallery.merchant", _l("Templates"), icon="template", permission=DESIGN, order=11)


def demo_slug(template_slug: str) -> str:
    """The live demo shop of a template (`tessera run` makes one per template): tpl-points-mall."""
    return "tpl-" + template_slug.replace("_", "-")


def starters() -> list[dict]:
    """The templates a new shop may start from, as the sign-up form shows them (tenants.signup)."""
    return [{"slug": slug, "name": template.name, "industry": template.industry_label, "description": template.described,
             "preview_url": url_for("template_gallery.preview", slug=slug)
             if (template.folder / "preview.png").exists() else None}
            for slug, template in templates().items()]


def _cards() -> list[dict]:
    return [{"template": template, "has_preview": (template.folder / "preview.png").exists(),
             "demo": demo_slug(slug) if find_tenant(demo_slug(slug)) is not None else None}
            for slug, template in templates().items()]


@bp.get("/templates/<slug>/preview.png")
def preview(slug: str):
    try:
        path = get_template(slug).folder / "preview.png"
    except KeyError:
        abort(404)
    if not path.exists():
        abort(404)
    return send_file(path, mimetype="image/png", max_age=3600)


@bp.get("/merchant/templates/")
@permission_required(DESIGN)
def merchant():
    upgrade = upgrade_preview()
    return render_template("template_gallery/merchant.html", cards=_cards(), form=ConfirmForm(), upgrade=upgrade)


def start_from(template_slug: str, *, demo_data: bool, tenant_id: int, actor) -> tuple[str, bool]:
    """The current shop started from a template (audited, in the caller's transaction): the
    template's name, and whether it was published (a shop waiting for its owner's e-mail keeps
    it as the draft)."""
    template = template_or_404(template_slug)
    version = instantiate(template.slug, demo_data=demo_data, actor=actor.email)
    audit.record("template.use", actor=actor, tenant_id=tenant_id, target=f"template {template.slug}",
                 details={"version": template.version, "demo_data": demo_data,
                          "published": version.number if version is not None else None},
                 ip=request.remote_addr)
    return template.name, version is not None


def _use(template_slug: str, *, demo_data: bool, tenant_id: int) -> tuple[str, bool]:
    started = start_from(template_slug, demo_data=demo_data, tenant_id=tenant_id, actor=signed_in_identity())
    db.session.commit()
    return started


@bp.post("/merchant/templates/<slug>/use")
@permission_required(DESIGN)
def use(slug: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        name, published = _use(slug, demo_data=bool(request.form.get("demo_data")), tenant_id=g.shop.id)
    except APIError as error:
        db.session.rollback()
        flash(error.message, "danger")
        return redirect(url_for(".merchant"))
    flash(_("Your shop now uses the %(name)s template (published). Make it yours in the designer.", name=name)
          if published else _("Your draft now uses the %(name)s template. Make it yours in the designer; publish once "
                              "your e-mail is confirmed.", name=name), "success")
    return redirect(url_for("designer.index"))


@bp.post("/merchant/templates/upgrade")
@permission_required(DESIGN)
def upgrade():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    result = apply_upgrade(actor=signed_in_identity().email)
    if result is None:
        flash(_("Your shop is on the newest version of its template."), "info")
        return redirect(url_for(".merchant"))
    audit.record("template.upgrade", actor=signed_in_identity(), tenant_id=g.shop.id, target="app draft",
                 details={"conflicts": len(result.conflicts)}, ip=request.remote_addr)
    db.session.commit()
    flash(_("The template's new version is in your draft, with %(n)s place(s) to check. Review it in the designer, "
            "then publish.", n=len(result.conflicts)), "success" if not result.conflicts else "warning")
    for conflict in result.conflicts[:20]:  # where the merchant's version was kept: to settle here
        flash(f"{conflict['path']}: {conflict['reason']}", "warning")
    return redirect(url_for("designer.index"))


@bp.route("/console/tenants/<int:tenant_id>/template", methods=["GET", "POST"])
@admin_required
def console(tenant_id: int):
    shop = db.session.get(Tenant, tenant_id) or abort(404)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            with tenant_scope(shop):
                name, _published = _use(request.form.get("template", ""), demo_data=bool(request.form.get("demo_data")),
                            tenant_id=shop.id)
        except APIError as error:
            db.session.rollback()
            flash(error.message, "danger")
        else:
            flash(_("%(shop)s now uses the %(name)s template.", shop=shop.name, name=name), "success")
            return redirect(url_for("console.tenant", tenant_id=shop.id))
    return render_template("template_gallery/console.html", shop=shop, cards=_cards(), form=ConfirmForm())
