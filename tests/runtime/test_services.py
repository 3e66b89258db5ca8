"""The write path of the app document: drafts with a revision check, numbered immutable versions,
rollback, diff."""

from __future__ import annotations

import pytest

from core.errors import APIError
from core.tenancy import tenant_scope
from runtime.models import AppVersion
from runtime.services import diff_versions, ensure_app, get_app, list_versions, publish, rollback, save_draft


def document(title="Home", *types):
    sections = {f"s{i}": {"type": t} for i, t in enumerate(types)}
    return {"schema_version": 1, "app": {"name": "Shop"},
            "pages": {"home": {"title": title, "sections": sections, "order": list(sections)}}}


def test_a_new_tenant_has_a_draft_with_an_empty_home_page(db_session, tenant_a):
    with tenant_scope(tenant_a):
        app = get_app()
        assert app.revision == 1
        assert app.draft["app"]["name"] == "Alpha Shop"
        assert app.draft["pages"] == {"home": {"title": "Home", "sections": {}, "order": []}}
        assert app.published_number is None


def test_saving_bumps_the_revision_and_refuses_a_stale_one(db_session, tenant_a):
    with tenant_scope(tenant_a):
        app = save_draft(document=document("One"), revision=1)
        assert app.revision == 2
        with pytest.raises(APIError) as stale:
            save_draft(document=document("Two"), revision=1)
        assert (stale.value.code, stale.value.status, stale.value.extra) == ("stale_revision", 409, {"revision": 2})
        assert get_app().draft["pages"]["home"]["title"] == "One"


def test_an_invalid_draft_is_refused_with_paths_and_changes_nothing(db_session, tenant_a):
    with tenant_scope(tenant_a):
        bad = document("Home", "spacer")
        bad["pages"]["home"]["sections"]["s0"]["settings"] = {"height": -1}
        with pytest.raises(APIError) as refused:
            save_draft(document=bad, revision=1)
        assert refused.value.code == "invalid_document"
        assert list(refused.value.fields) == ["pages.home.sections.s0.settings.height"]
        assert get_app().revision == 1


def test_publishing_numbers_versions_and_records_who_and_why(db_session, tenant_a, create_identity):
    author = create_identity("author@example.com")
    with tenant_scope(tenant_a):
        save_draft(document=document("First"), revision=1)
        first = publish(note="Opening day", actor=author)
        second = publish(note="Again")
        assert (first.number, first.note, first.author, first.author_id) == (1, "Opening day", "author@example.com", author.id)
        assert second.number == 2
        assert get_app().published_number == 2
        assert [v.number for v in list_versions()] == [2, 1]


def test_version_numbers_are_per_tenant(db_session, tenant_a, tenant_b):
    for tenant in (tenant_a, tenant_b):
        with tenant_scope(tenant):
            assert publish().number == 1


def test_rollback_publishes_an_old_version_as_a_new_one_and_resets_the_draft(db_session, tenant_a):
    with tenant_scope(tenant_a):
        save_draft(document=document("One"), revision=1)
        publish()
        save_draft(document=document("Two"), revision=2)
        publish()
        restored = rollback(number=1)
        assert (restored.number, restored.restored_from, restored.note) == (3, 1, "Rollback to version 1")
        assert restored.document == db_session.get(AppVersion, (tenant_a.id, restored.id)).document
        app = get_app()
        assert app.published_number == 3
        assert app.draft["pages"]["home"]["title"] == "One"
        assert app.revision == 4
        with pytest.raises(APIError) as missing:
            rollback(number=99)
        assert missing.value.code == "version_not_found"


def test_diff_of_two_versions(db_session, tenant_a):
    with tenant_scope(tenant_a):
        save_draft(document=document("Home", "spacer"), revision=1)
        publish()
        save_draft(document=document("Home", "spacer", "divider"), revision=2)
        publish()
        assert diff_versions(1, 2)["pages"] == {"home": {"added": ["s1"]}}


def test_ensure_app_creates_once(db_session, tenant_a):
    with tenant_scope(tenant_a):
        assert ensure_app().id == ensure_app().id
