"""The write path of the app document: create, save the draft (revision-checked), publish,
roll back. Each function runs in the caller's transaction; the live version's cache stamp is
bumped after commit."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Text, cast, func, select, update

from core.cache import bump_after_commit
from core.db import add_unique, db, utcnow
from core.engines import require_engines
from core.errors import APIError, register_codes
from core.plans import register_limit, require_within
from core.tenancy import Tenant, current_tenant_id
from runtime.document import DocumentError, contrast_warnings, diff_documents, empty_document, validate_document
from runtime.models import App, AppVersion

register_codes({
    "stale_revision": (409, "The draft was changed elsewhere; reload it before saving."),
    "invalid_document": (422, "The document is not valid."),
    "nothing_published": (404, "This shop has not published its app yet."),
    "version_not_found": (404, "There is no such version."),
})


def document_error(error: DocumentError) -> APIError:
    return APIError("invalid_document", fields=error.errors)


def _pages() -> int:
    app = get_app()
    return len(app.draft["pages"]) if app is not None else 0


register_limit("pages", _l("Pages"), _pages)


def get_app() -> App | None:
    return db.session.scalar(select(App))


def ensure_app(*, name: str = "My shop", document: dict | None = None) -> App:
    """The current tenant's app, created with `document` (or an empty home page) as its draft."""
    app = get_app()
    if app is None:
        try:
            draft = validate_document(document) if document is not None else empty_document(name)
        except DocumentError as error:
            raise document_error(error) from None
        app = add_unique(App(draft=draft, revision=1), APIError("conflict", "The app already exists."))
    return app


def save_draft(*, document: dict, revision: int, actor: str | None = None) -> App:
    """Validate and store the draft if `revision` is still current (compare-and-set); refuses a
    stale revision with 409 and the current one, and an invalid document with its error paths."""
    app = ensure_app()
    try:
        draft = validate_document(document)
    except DocumentError as error:
        raise document_error(error) from None
    if len(draft["pages"]) > len(app.draft["pages"]):  # a page more: within the plan (core.plans)
        require_within("pages", len(draft["pages"]))
    require_engines(set(draft["app"]["engines"]) - set(app.draft["app"].get("engines", [])))  # a feature turned on
    changed = db.session.execute(
        update(App).where(App.id == app.id, App.revision == revision)
        .values(draft=draft, revision=App.revision + 1, updated_at=utcnow(), updated_by=actor)
        .execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        db.session.refresh(app)
        raise APIError("stale_revision", extra={"revision": app.revision})
    db.session.refresh(app)
    return app


def may_publish() -> bool:
    """False while the current shop waits for its owner to confirm the e-mail it signed up with."""
    return not db.session.get(Tenant, current_tenant_id()).is_pending


def publish(*, note: str = "", actor=None, restored_from: int | None = None, document: dict | None = None) -> AppVersion:
    """Freeze the draft (or `document`) as the next numbered version and make it live; refused
    (403 email_unconfirmed) while the shop waits for its owner to confirm their e-mail."""
    if not may_publish():
        raise APIError("email_unconfirmed")
    app = ensure_app()
    try:
        frozen = validate_document(document if document is not None else app.draft)
    except DocumentError as error:
        raise document_error(error) from None
    number = (db.session.scalar(select(func.max(AppVersion.number))) or 0) + 1
    version = add_unique(AppVersion(number=number, document=frozen, note=(note or "")[:500],
                                    author_id=getattr(actor, "id", None), author=getattr(actor, "email", actor),
                                    restored_from=restored_from),
                         APIError("conflict", "Another publish happened at the same moment; try again."))
    db.session.execute(update(App).where(App.id == app.id).values(published_number=number)
                       .execution_options(synchronize_session=False))
    db.session.refresh(app)
    bump_after_commit(current_tenant_id(), "app")
    return version


def rollback(*, number: int, note: str = "", actor=None) -> AppVersion:
    """Publish an old version again as a new one; the draft becomes that document too, so the
    next edit starts from what is live."""
    old = get_version(number)
    version = publish(note=note or f"Rollback to version {number}", actor=actor, restored_from=number,
                      document=old.document)
    app = get_app()
    db.session.execute(update(App).where(App.id == app.id)
                       .values(draft=version.document, revision=App.revision + 1, updated_at=utcnow(),
                               updated_by=getattr(actor, "email", actor))
                       .execution_options(synchronize_session=False))
    db.session.refresh(app)
    return version


def get_version(number: int) -> AppVersion:
    version = db.session.scalar(select(AppVersion).where(AppVersion.number == number))
    if version is None:
        raise APIError("version_not_found")
    return version


def list_versions(limit: int = 50) -> list[AppVersion]:
    return list(db.session.scalars(select(AppVersion).order_by(AppVersion.number.desc()).limit(limit)))


def diff_versions(a: int, b: int) -> dict:
    return diff_documents(get_version(a).document, get_version(b).document)


def publish_warnings(document: dict) -> list[str]:
    return contrast_warnings(document)


def media_in_published_version(ref: str) -> bool:
    """Whether any published version refers to `media:<id>` (such media is never deleted)."""
    needle = f'%"{ref}"%'
    return db.session.scalar(select(AppVersion.id).where(cast(AppVersion.document, Text).like(needle)).limit(1)) is not None
