"""A shop's data export from the console: a zip of data.json (the shop and its rows, table by
table, ids as strings) and its pictures; nothing of another shop; nothing that signs in or pays
(password and token hashes, credentials); audited."""

from __future__ import annotations

import io
import json
import zipfile

from sqlalchemy import select

from core.audit import AuditEntry
from core.tenancy import tenant_scope


def test_the_export_holds_the_shops_rows_and_pictures_and_no_secret(client, db_session, create_identity, sign_in,
                                                                     form_post, tenant_a, tenant_b, create_consumer):
    from core.media import upload_media
    from engines.catalog.services import create_item
    from tests.builder.test_designer_api import png

    with tenant_scope(tenant_a):
        create_item(kind="physical", name="Alpha tea", price=1000, stock=3, status="on_sale")
        picture = upload_media(data=png(), filename="tea.png")
    with tenant_scope(tenant_b):
        create_item(kind="physical", name="Beta coffee", price=900, stock=3, status="on_sale")
    db_session.commit()
    create_consumer(tenant_a, email="buyer@example.com")
    admin = create_identity("root@example.com", platform_admin=True)
    sign_in("console", admin.email)

    answer = form_post(f"/console/tenants/{tenant_a.id}/export", {}, page=f"/console/tenants/{tenant_a.id}")
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    assert f'filename={tenant_a.slug}-' in answer.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(answer.get_data()))
    answer.close()  # (as a server does once it sent the file: the temporary file goes)
    data = json.loads(archive.read("data.json"))
    assert data["shop"]["slug"] == tenant_a.slug and data["shop"]["id"] == str(tenant_a.id)
    assert [item["name"] for item in data["tables"]["items"]] == ["Alpha tea"]
    assert all(item["tenant_id"] == str(tenant_a.id) for item in data["tables"]["items"])
    [buyer] = data["tables"]["consumers"]
    assert buyer["email"] == "buyer@example.com" and "password_hash" not in buyer
    assert "staff_tokens" not in data["tables"] and "login_codes" not in data["tables"]
    assert "credentials" not in json.dumps(data["tables"].get("payment_accounts", []))
    assert f"media/{picture.key}" in archive.namelist()
    assert archive.read(f"media/{picture.key}")[:8] == b"\x89PNG\r\n\x1a\n"
    [entry] = db_session.scalars(select(AuditEntry).where(AuditEntry.action == "tenant.export")).all()
    assert (entry.actor_email, entry.tenant_id) == (admin.email, tenant_a.id)
    assert client.post(f"/console/tenants/{tenant_a.id}/export").status_code == 400  # no CSRF token: nothing
