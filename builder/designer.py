"""/merchant/designer: the merchant's page designer. This module is its server side: the shell
page and the JSON endpoints the designer's script calls (session auth, CSRF header, the
"design.edit" permission on every one). Rendering goes through the real runtime renderer, so the
preview is what consumers get."""

from __future__ import annotations

import io

import segno
from flask import Blueprint, g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from core import audit
from core.api import load_json
from core.backoffice import register_nav
from core.components import SYSTEM_PAGES, describe_schema, registry
from core.engines import features_needed, pickers, settings_schema
from core.engines import registry as engines
from core.db import db
from core.ids import parse_id
from core.errors import APIError
from core.media import Media, delete_media, list_media, media_json, upload_media
from core.permissions import Role, register_permission
from core.staff_session import permission_required, signed_in_identity
from core.tenancy import current_tenant, current_tenant_id
from runtime.document import DocumentError, diff_documents, validate_document
from runtime.preview import LIFETIME_SECONDS, preview_token
from runtime.renderer import compile_document, render_sections, theme_css
from runtime.services import (ensure_app, get_version, list_versions, media_in_published_version, publish,
                              publish_warnings, rollback, save_draft)

bp = Blueprint("designer", __name__, url_prefix="/merchant/designer", template_folder="templates",
               static_folder="static/designer", static_url_path="/static")

register_permission("design.edit", _l("Design and publish the mini-program"), roles=(Role.MANAGER,))
# The media library serves the designer and every back-office form with pictures (an item's), so
# listing and uploading are a permission of their own; deleting stays with design.edit, which
# knows which published versions still show a picture.
register_permission("media.upload", _l("Upload pictures and choose them from the media library"),
                    roles=(Role.MANAGER,))
register_nav("designer.index", _l("Designer"), icon="layout-dashboard", permission="design.edit", order=10)

DESIGN = "design.edit"
MEDIA = "media.upload"

# The palette's group headings (a component's `group`); a group not named here shows its key.
GROUPS = {"basic": _l("Basic"), "content": _l("Content"), "media": _l("Pictures and video"), "shop": _l("Shop"),
          "commerce": _l("Selling"), "member": _l("Membership"), "system": _l("Built-in pages")}
THEME_COLOURS = ("primary", "accent", "background", "text")


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
             # Every type, with the features it needs turned on: the palette shows those the
             # document enables (an always-on engine's at once), and turning a feature on in the
             # designer brings its components in without a reload.
             "components": [{**c.descriptor(), "needs": features_needed(c.engine) if c.engine else []}
                            for c in registry.all()],
             "groups": [[key, str(label)] for key, label in GROUPS.items()],  # in the palette's order
             "engines": [{"name": engine.name, "label": str(engine.label), "feature": engine.feature,
                          "settings": describe_schema(settings_schema(engine.name)) if engine.settings else []}
                         for engine in engines()],
             "pickers": pickers(),
             "page_kinds": [{"kind": k, "label": str(p.label), "main": p.main, "engine": p.engine,
                             "needs": features_needed(p.engine) if p.engine else []}
                            for k, p in SYSTEM_PAGES.items()],
             "urls": {"draft": url_for(".draft"), "render": url_for(".render"), "publish": url_for(".publish_draft"),
                      "versions": url_for(".versions"), "preview_link": url_for(".preview_link"),
                      "media": url_for(".media"), "upload": url_for(".upload"), "storefront": f"/s/{g.shop.slug}/",
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
    """What changed from version `against` (the one before by default) to `number`: the diff by
    id, and `changes`, the same in words for people."""
    against = request.args.get("against", type=int)
    if against is None or not 1 <= against < 2**31:  # version numbers are INTEGER
        against = max(number - 1, 1)
    before, after = get_version(against).document, get_version(number).document
    return jsonify(diff=diff_documents(before, after), changes=describe_changes(before, after), base=against,
                   version=number)


def _section_name(section: dict) -> str:
    component = registry.get(section.get("type", ""))
    return str(component.label) if component else section.get("type", "?")


def _names(page: dict, section_ids: list[str]) -> str:
    return ", ".join(_section_name(page["sections"][s]) for s in section_ids)


def describe_changes(old: dict, new: dict) -> list[str]:
    """What changed between two documents, in the words of the designer: page titles and component
    labels, never ids ("Home: added Banner carousel; removed Notice bar", "Theme colours changed")."""
    diff = diff_documents(old, new)
    lines = [_("Added page %(page)s", page=new["pages"][p]["title"]) for p in diff["pages_added"]]
    lines += [_("Removed page %(page)s", page=old["pages"][p]["title"]) for p in diff["pages_removed"]]
    for page_id, change in diff["pages"].items():
        before, after = old["pages"][page_id], new["pages"][page_id]
        parts = []
        if change.get("title"):
            parts.append(_("renamed from “%(title)s”", title=before["title"]))
        if change.get("added"):
            parts.append(_("added %(what)s", what=_names(after, change["added"])))
        if change.get("removed"):
            parts.append(_("removed %(what)s", what=_names(before, change["removed"])))
        hidden, shown, changed = [], [], []
        for section_id in change.get("changed", []):
            was, now = before["sections"][section_id], after["sections"][section_id]
            if {k: v for k, v in was.items() if k != "hidden"} != {k: v for k, v in now.items() if k != "hidden"}:
                changed.append(section_id)
            elif now.get("hidden"):
                hidden.append(section_id)
            else:
                shown.append(section_id)
        for ids, words in ((changed, _("changed %(what)s")), (hidden, _("hid %(what)s")), (shown, _("showed %(what)s"))):
            if ids:
                parts.append(words % {"what": _names(after, ids)})
        if change.get("moved"):
            parts.append(_("reordered sections"))
        lines.append(_("%(page)s: %(changes)s", page=after["title"], changes="; ".join(parts)))
    app_before, app_after = old["app"], new["app"]
    for key in diff["app"]:
        if key == "theme":
            theme_before, theme_after = app_before.get("theme") or {}, app_after.get("theme") or {}
            colours = any(theme_before.get(k) != theme_after.get(k) for k in THEME_COLOURS)
            others = any(theme_before.get(k) != theme_after.get(k) for k in set(theme_before) | set(theme_after)
                         if k not in THEME_COLOURS)
            if colours:
                lines.append(_("Theme colours changed"))
            if others:
                lines.append(_("Corners or text size changed"))
        elif key == "tabbar":
            lines.append(_("Tab bar changed"))
        elif key == "home":
            home = app_after.get("home")
            lines.append(_("Home page is now %(page)s", page=new["pages"].get(home, {}).get("title", home)))
        elif key == "name":
            lines.append(_("App name changed to “%(name)s”", name=app_after.get("name", "")))
        elif key == "engines":
            labels = {engine.name: str(engine.label) for engine in engines()}
            on = [labels.get(e, e) for e in app_after.get("engines", []) if e not in app_before.get("engines", [])]
            off = [labels.get(e, e) for e in app_before.get("engines", []) if e not in app_after.get("engines", [])]
            if on:
                lines.append(_("Turned on %(features)s", features=", ".join(on)))
            if off:
                lines.append(_("Turned off %(features)s", features=", ".join(off)))
        elif key == "settings":
            labels = {engine.name: str(engine.label) for engine in engines()}
            settings_before, settings_after = app_before.get("settings") or {}, app_after.get("settings") or {}
            names = [labels.get(e, e) for e in sorted(set(settings_before) | set(settings_after))
                     if settings_before.get(e) != settings_after.get(e)]
            lines.append(_("Settings of %(features)s changed", features=", ".join(names)))
        elif key == "template":
            lines.append(_("Template changed"))
        else:
            lines.append(_("App settings changed"))
    return lines


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
@permission_required(MEDIA)
def media():
    rows, next_cursor = list_media(before=parse_id(request.args.get("cursor")))
    return jsonify(items=[media_json(r) for r in rows], next_cursor=str(next_cursor) if next_cursor else None)


@bp.post("/api/media")
@permission_required(MEDIA)
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
