"""/merchant/designer: the merchant's page designer. This module is its server side: the shell
page and the JSON endpoints the designer's script calls (session auth, CSRF header, the
"design.edit" permission on every one). Rendering goes through the real runtime renderer, so the
preview is what consumers get."""

from __future__ import annotations

import io

import segno
from flask import Blueprint, g, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core import audit
from core.api import load_json
from core.backoffice import register_nav
from core.components import SYSTEM_PAGES, describe_schema, registry
from core.engines import pickers, settings_schema
from core.engines import registry as engines
from core.db import db
from core.ids import parse_id
from core.errors import APIError
from core.media import Media, delete_media, list_media, media_json, upload_media
from core.permissions import Role, register_permission
from core.staff_session import permission_required, signed_in_identity
from core.tenancy import current_tenant, current_tenant_id
from runtime.document import DocumentError, validate_document
from runtime.preview import LIFETIME_SECONDS, preview_token
from runtime.renderer import compile_document, render_sections, theme_css
from runtime.services import (diff_versions, ensure_app, get_version, list_versions, media_in_published_version,
                              publish, publish_warnings, rollback, save_draft)

bp = Blueprint("designer", __name__, url_prefix="/merchant/designer", template_folder="templates",
               static_folder="static/designer", static_url_path="/static")

register_permission("design.edit", _l("Design and publish the mini-program"), roles=(Role.MANAGER,))
register_nav("designer.index", _l("Designer"), icon="layout-dashboard", permission="design.edit", order=10)

DESIGN = "design.edit"


REVISIONS = validate.Range(min=1, max=2**31 - 1)  # the app's revision is a 32-bit INTEGER


class DraftIn(Schema):
    document = fields.Dict(required=True)
    revision = fields.Integer(required=True, strict=True, validate=REVISIONS)


class RenderIn(Schema):
    document = fields.Dict(required=True)
    page = fields.String(required=True, validate=validate.Length(max=40))
    sections = fields.List(fields.String(validate=validate.Length(max=40)), load_default=None,
                           validate=validate.Length(max=25))


class PublishIn(Schema):
    revision = fields.Integer(required=True, strict=True, validate=REVISIONS)
    note = fields.String(load_default="", validate=validate.Length(max=500))


class RollbackIn(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=500))


def _version_json(version) -> dict:
    return {"number": version.number, "note": version.note, "author": version.author,
            "published_at": version.published_at.isoformat(), "restored_from": version.restored_from}


@bp.get("/")
@permission_required(DESIGN)
def index():
    app = ensure_app(name=g.shop.name)
    db.session.commit()
    state = {"document": app.draft, "revision": app.revision, "published": app.published_number, "tenant": g.shop.slug,
             # Every type: the palette shows those whose engine the document enables, and turning
             # a feature on in the designer brings its components in without a reload.
             "components": [c.descriptor() for c in registry.all()],
             "engines": [{"name": engine.name, "label": str(engine.label), "feature": engine.feature,
                          "settings": describe_schema(settings_schema(engine.name)) if engine.settings else []}
                         for engine in engines()],
             "pickers": pickers(),
             "page_kinds": [{"kind": k, "label": str(p.label), "main": p.main, "engine": p.engine}
                            for k, p in SYSTEM_PAGES.items()],
             "urls": {"draft": url_for(".draft"), "render": url_for(".render"), "publish": url_for(".publish_draft"),
                      "versions": url_for(".versions"), "preview_link": url_for(".preview_link"),
                      "media": url_for(".media"), "storefront": f"/s/{g.shop.slug}/",
                      "preview": f"/s/{g.shop.slug}/preview/p/"}}
    return render_template("designer/designer.html", state=state)


@bp.get("/api/draft")
@permission_required(DESIGN)
def draft():
    app = ensure_app(name=g.shop.name)
    return jsonify(document=app.draft, revision=app.revision, published=app.published_number)


@bp.put("/api/draft")
@permission_required(DESIGN)
def save():
    """Autosave: refused with 409 and the current revision when another tab saved first."""
    data = load_json(DraftIn())
    app = save_draft(document=data["document"], revision=data["revision"], actor=signed_in_identity().email)
    db.session.commit()
    return jsonify(revision=app.revision, warnings=publish_warnings(app.draft))


@bp.post("/api/render")
@permission_required(DESIGN)
def render():
    """Sections of an unsaved document rendered by the runtime, for the live preview."""
    data = load_json(RenderIn())
    try:
        document = validate_document(data["document"])
    except DocumentError as error:
        raise APIError("invalid_document", fields=error.errors) from None
    compiled = compile_document(document, None)
    page = compiled.pages.get(data["page"])
    if page is None:
        raise APIError("not_found", "This page does not exist.")
    only = set(data["sections"]) if data["sections"] is not None else None
    parts, _ctx = render_sections(compiled, page, current_tenant(), {}, only)
    return jsonify(sections={sid: str(html) for sid, html in parts.items()},
                   order=[s.id for s in page.sections], css=theme_css(compiled))


@bp.post("/api/publish")
@permission_required(DESIGN)
def publish_draft():
    data = load_json(PublishIn())
    app = ensure_app()
    if app.revision != data["revision"]:
        raise APIError("stale_revision", extra={"revision": app.revision})
    identity = signed_in_identity()
    version = publish(note=data["note"], actor=identity)
    audit.record("app.publish", actor=identity, tenant_id=current_tenant_id(), target=f"version {version.number}",
                 details={"note": version.note}, ip=request.remote_addr)
    db.session.commit()
    return jsonify(version=_version_json(version), warnings=publish_warnings(version.document)), 201


@bp.get("/api/versions")
@permission_required(DESIGN)
def versions():
    return jsonify(items=[_version_json(v) for v in list_versions(limit=100)])


@bp.get("/api/versions/<int:number>/diff")
@permission_required(DESIGN)
def diff(number: int):
    against = request.args.get("against", type=int)
    if against is None or not 1 <= against < 2**31:  # version numbers are INTEGER
        against = max(number - 1, 1)
    return jsonify(diff=diff_versions(against, number), base=against, version=number)


@bp.post("/api/versions/<int:number>/rollback")
@permission_required(DESIGN)
def rollback_to(number: int):
    data = load_json(RollbackIn())
    identity = signed_in_identity()
    get_version(number)
    version = rollback(number=number, note=data["note"], actor=identity)
    audit.record("app.rollback", actor=identity, tenant_id=current_tenant_id(), target=f"version {number}",
                 details={"new_version": version.number}, ip=request.remote_addr)
    app = ensure_app()
    db.session.commit()
    return jsonify(version=_version_json(version), document=app.draft, revision=app.revision), 201


@bp.post("/api/preview-link")
@permission_required(DESIGN)
def preview_link():
    """A short-lived signed link to the draft, and its QR code (SVG) for a phone to scan."""
    page_id = (request.get_json(silent=True) or {}).get("page") or "home"
    token = preview_token(current_tenant_id(), signed_in_identity().id)
    # The shop's storefront lives under /s/<slug>/ on this host (url_for answers the path inside it).
    url = f"{request.host_url.rstrip('/')}/s/{g.shop.slug}" + url_for("storefront.preview", page_id=page_id, token=token)
    svg = io.BytesIO()
    segno.make(url, error="m").save(svg, kind="svg", scale=4, border=2, xmldecl=False, svgns=True)
    return jsonify(url=url, qr_svg=svg.getvalue().decode(), expires_in=LIFETIME_SECONDS)


@bp.get("/api/media")
@permission_required(DESIGN)
def media():
    rows, next_cursor = list_media(before=parse_id(request.args.get("cursor")))
    return jsonify(items=[media_json(r) for r in rows], next_cursor=str(next_cursor) if next_cursor else None)


@bp.post("/api/media")
@permission_required(DESIGN)
def upload():
    upload_file = request.files.get("file")
    if upload_file is None:
        raise APIError("invalid_input", fields={"file": ["Choose an image file."]})
    row = upload_media(data=upload_file.read(), filename=upload_file.filename or "", alt=request.form.get("alt", ""))
    audit.record("media.upload", actor=signed_in_identity(), tenant_id=current_tenant_id(), target=row.filename,
                 ip=request.remote_addr)
    db.session.commit()
    return jsonify(media=media_json(row)), 201


@bp.delete("/api/media/<int:media_id>")
@permission_required(DESIGN)
def remove_media(media_id: int):
    row = Media.get(media_id)
    if row is None or row.deleted_at is not None:
        raise APIError("not_found", "There is no such image.")
    if media_in_published_version(f"media:{media_id}"):
        raise APIError("conflict", "A published version uses this image; it is kept so that version keeps working.")
    delete_media(row)
    audit.record("media.delete", actor=signed_in_identity(), tenant_id=current_tenant_id(), target=row.filename,
                 ip=request.remote_addr)
    db.session.commit()
    return "", 204
