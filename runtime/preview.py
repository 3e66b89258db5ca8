"""Short-lived signed links to a shop's draft, for looking at it on a phone (the designer shows
one as a QR code). A link names its tenant, so it opens that shop's draft and no other."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

LIFETIME_SECONDS = 30 * 60


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tessera-draft-preview")


def preview_token(tenant_id: int, identity_id: int) -> str:
    return _serializer().dumps({"t": str(tenant_id), "i": str(identity_id)})


def preview_token_valid(token: str, tenant_id: int, *, max_age: int = LIFETIME_SECONDS) -> bool:
    try:
        data = _serializer().loads(token, max_age=max_age)
    except BadSignature:  # includes SignatureExpired
        return False
    return isinstance(data, dict) and data.get("t") == str(tenant_id)
