"""The designer's server side: permission on every endpoint, revision-checked autosave, live
render of unsaved sections, publish, versions, rollback, signed preview links, media library."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image

from core.tenancy import tenant_scope
from runtime.services import get_app

BASE = "/merchant/designer/api"


@pytest.fixture
def designer(client, tenant_a, create_staff, sign_in):
    """A client signed in as an owner of tenant A, with the designer's CSRF header."""
    owner = create_staff(tenant_a, "owner")
    sign_in("merchant", owner.email)
    client.get("/merchant/shops")
    page = client.get("/merchant/designer/").get_data(as_text=True)
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)

    def call(method, path, body=None, **kwargs):
        headers = {"X-CSRFToken": token, "Accept": "application/json"}
        if body is not None:
            kwargs["json"] = body
        return client.open(BASE + path, method=method, headers=headers, **kwargs)

    call.client = client
    call.page = page
    return call


def doc(*types, title="Home"):
    sections = {f"s{i}": {"type": t} for i, t in enumerate(types)}
    return {"schema_version": 1, "app": {"name": "Alpha"},
            "pages": {"home": {"title": title, "sections": sections, "order": list(sections)}}}


def png(size=(64, 48), colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_shell_carries_state_for_the_script(designer):
    state = json.loads(re.search(r'<script type="application/json" id="designer-state">(.*?)</script>',
                                 designer.page, re.S).group(1))
    assert state["revision"] == 1
    assert {c["type"] for c in state["components"]} >= {"title", "banner", "spacer"}
    assert state["urls"]["draft"] == f"{BASE}/draft"


def test_staff_without_the_design_permission_are_refused(client, db_session, tenant_a, create_staff, sign_in):
    clerk = create_staff(tenant_a, "clerk")
    sign_in("merchant", clerk.email)
    client.get("/merchant/shops")
    assert client.get("/merchant/designer/").status_code == 403
    assert client.get(f"{BASE}/draft").status_code == 403
    assert client.post(f"{BASE}/render", json={}).status_code in (400, 403)  # CSRF or permission: never served
    assert client.get(f"{BASE}/media").status_code == 403


def test_signed_out_requests_are_sent_to_login(client, db_session):
    response = client.get(f"{BASE}/draft")
    assert response.status_code == 302
    assert "/merchant/login" in response.headers["Location"]


def test_autosave_checks_the_revision(designer, db_session, tenant_a):
    saved = designer("PUT", "/draft", {"document": doc("title"), "revision": 1})
    assert saved.status_code == 200
    assert saved.json["revision"] == 2
    stale = designer("PUT", "/draft", {"document": doc("spacer"), "revision": 1})
    assert stale.status_code == 409
    assert stale.json["error"] == {"code": "stale_revision", "message": stale.json["error"]["message"], "revision": 2}
    with tenant_scope(tenant_a):
        assert get_app().draft["pages"]["home"]["sections"]["s0"]["type"] == "title"



def test_autosave_refuses_a_revision_no_draft_can_have(designer, db_session, tenant_a):
    # given revisions beyond the 32-bit column, or below the first
    for revision in (2**31, 10**30, 0, -1):
        # when the draft is saved with one
        response = designer("PUT", "/draft", {"document": doc("title"), "revision": revision})
        # then it is refused on the field, and the draft is unchanged
        assert (response.status_code, list(response.json["error"]["fields"])) == (422, ["revision"]), revision
    with tenant_scope(tenant_a):
        assert get_app().revision == 1

def test_autosave_refuses_an_invalid_document_with_paths(designer):
    bad = doc("spacer")
    bad["pages"]["home"]["sections"]["s0"]["settings"] = {"height": 1000}
    response = designer("PUT", "/draft", {"document": bad, "revision": 1})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["pages.home.sections.s0.settings.height"]


def test_autosave_without_csrf_header_is_refused(designer, db_session, tenant_a):
    response = designer.client.put(f"{BASE}/draft", json={"document": doc("title"), "revision": 1},
                                   headers={"Accept": "application/json"})
    assert response.status_code == 400
    with tenant_scope(tenant_a):
        assert get_app().revision == 1


def test_render_returns_unsaved_sections(designer):
    document = doc("title", "spacer")
    document["pages"]["home"]["sections"]["s0"]["settings"] = {"text": "Not saved yet"}
    response = designer("POST", "/render", {"document": document, "page": "home", "sections": ["s0"]})
    assert response.status_code == 200
    assert list(response.json["sections"]) == ["s0"]
    assert "Not saved yet" in response.json["sections"]["s0"]
    assert response.json["order"] == ["s0", "s1"]
    assert "--t-primary" in response.json["css"]


def test_publish_needs_the_saved_revision_and_goes_live(designer, db_session, tenant_a):
    document = doc("title")
    document["pages"]["home"]["sections"]["s0"]["settings"] = {"text": "Grand opening"}
    revision = designer("PUT", "/draft", {"document": document, "revision": 1}).json["revision"]
    assert designer("POST", "/publish", {"revision": revision - 1, "note": "old"}).status_code == 409
    published = designer("POST", "/publish", {"revision": revision, "note": "Opening"})
    assert published.status_code == 201
    assert published.json["version"]["number"] == 1
    assert published.json["version"]["note"] == "Opening"
    assert "Grand opening" in designer.client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    from core.audit import AuditEntry

    assert db_session.query(AuditEntry).filter_by(action="app.publish", tenant_id=tenant_a.id).count() == 1


def test_versions_diff_and_rollback(designer, tenant_a):
    revision = designer("PUT", "/draft", {"document": doc("title"), "revision": 1}).json["revision"]
    designer("POST", "/publish", {"revision": revision})
    revision = designer("PUT", "/draft", {"document": doc("title", "spacer"), "revision": revision}).json["revision"]
    designer("POST", "/publish", {"revision": revision})
    assert [v["number"] for v in designer("GET", "/versions").json["items"]] == [2, 1]
    assert designer("GET", "/versions/2/diff").json["diff"]["pages"] == {"home": {"added": ["s1"]}}
    rolled = designer("POST", "/versions/1/rollback", {"note": "Too busy"})
    assert rolled.status_code == 201
    assert rolled.json["version"]["restored_from"] == 1
    assert list(rolled.json["document"]["pages"]["home"]["sections"]) == ["s0"]
    assert designer("POST", "/versions/9/rollback", {}).status_code == 404


def test_preview_link_opens_the_draft_without_a_session(designer, app, tenant_a, tenant_b):
    document = doc("title")
    document["pages"]["home"]["sections"]["s0"]["settings"] = {"text": "Draft only"}
    designer("PUT", "/draft", {"document": document, "revision": 1})
    link = designer("POST", "/preview-link", {"page": "home"}).json
    assert link["qr_svg"].startswith("<svg")
    path = link["url"].split("localhost", 1)[1]
    assert path.startswith(f"/s/{tenant_a.slug}/preview/p/home?token=")
    phone = app.test_client()
    response = phone.get(path)
    assert response.status_code == 200
    assert "Draft only" in response.get_data(as_text=True)
    token = path.split("token=", 1)[1]
    assert phone.get(f"/s/{tenant_b.slug}/preview/p/home?token={token}").status_code == 403
    assert phone.get(f"/s/{tenant_a.slug}/preview/p/home?token=forged").status_code == 403


def test_media_upload_list_thumbnail_and_refusals(designer, app):
    uploaded = designer("POST", "/media", data={"file": (io.BytesIO(png()), "shop.png"), "alt": "Front"},
                        content_type="multipart/form-data")
    assert uploaded.status_code == 201
    media = uploaded.json["media"]
    assert (media["width"], media["height"], media["content_type"], media["alt"]) == (64, 48, "image/png", "Front")
    listed = designer("GET", "/media").json["items"]
    assert [m["id"] for m in listed] == [media["id"]]
    assert listed[0]["thumbnail"].endswith(".thumb.webp")  # made by the job after commit
    not_image = designer("POST", "/media", data={"file": (io.BytesIO(b"<svg onload=x>"), "x.png")},
                         content_type="multipart/form-data")
    assert not_image.status_code == 422
    assert not_image.json["error"]["fields"]["file"] == ["This is not a PNG, JPEG, GIF or WebP image."]
    assert len(designer("GET", "/media").json["items"]) == 1


def test_oversized_images_are_refused(db_session, tenant_a):
    from core.errors import APIError
    from core.media import upload_media

    with tenant_scope(tenant_a), pytest.raises(APIError) as refused:
        upload_media(data=b"\0" * (5 * 1024 * 1024 + 1), filename="big.png")
    assert "limit is 5 MB" in refused.value.fields["file"][0]


def test_media_used_by_a_published_version_is_kept(designer):
    media = designer("POST", "/media", data={"file": (io.BytesIO(png()), "a.png")},
                     content_type="multipart/form-data").json["media"]
    spare = designer("POST", "/media", data={"file": (io.BytesIO(png()), "b.png")},
                     content_type="multipart/form-data").json["media"]
    document = doc("image")
    document["pages"]["home"]["sections"]["s0"]["settings"] = {"image": media["ref"]}
    revision = designer("PUT", "/draft", {"document": document, "revision": 1}).json["revision"]
    designer("POST", "/publish", {"revision": revision})
    kept = designer("DELETE", f"/media/{media['id']}")
    assert kept.status_code == 409
    assert designer("DELETE", f"/media/{spare['id']}").status_code == 204
    assert [m["id"] for m in designer("GET", "/media").json["items"]] == [media["id"]]


def test_media_of_another_shop_cannot_be_deleted(designer, db_session, tenant_b):
    from core.media import Media

    with tenant_scope(tenant_b):
        foreign = Media(key="t/b/x.png", filename="x.png", content_type="image/png", size=1)
        db_session.add(foreign)
        db_session.flush()
    assert designer("DELETE", f"/media/{foreign.id}").status_code == 404
    assert foreign.deleted_at is None


def test_a_feature_the_plan_leaves_out_cannot_be_turned_on(designer, db_session, tenant_a):
    from core.tenancy import Tenant
    from tenants.plans import assign_plan, create_plan

    basic = create_plan(slug="basic", name="Basic", price=0, limits={}, engines=["articles"], position=1)
    create_plan(slug="pro", name="Pro", price=100, limits={}, position=2)
    assign_plan(db_session.get(Tenant, tenant_a.id), basic)
    db_session.commit()
    with_articles = {**doc("title"), "app": {"name": "Alpha", "engines": ["articles"]}}
    assert designer("PUT", "/draft", {"document": with_articles, "revision": 1}).status_code == 200
    with_booking = {**doc("title"), "app": {"name": "Alpha", "engines": ["articles", "booking"]}}
    refused = designer("PUT", "/draft", {"document": with_booking, "revision": 2})
    assert (refused.status_code, refused.json["error"]["limit"]) == (403, "engine:booking")
    assert refused.json["error"]["message"] == "Booking is not in the Basic plan. The Pro plan includes it."
    with tenant_scope(tenant_a):
        assert get_app().draft["app"]["engines"] == ["articles"]
