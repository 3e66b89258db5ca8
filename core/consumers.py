"""Consumers — the people who use a tenant's mini-program — and their bearer tokens.

Consumers belong to one tenant. Tokens read `tsk_<tenant>_<token id>_<secret>`: the tenant and
row are named in the clear so resolution needs no cross-tenant lookup; only a SHA-256 of the
secret is stored, compared in constant time. Tokens are revocable and expire."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import time

from flask import current_app
from flask_babel import gettext as _
from marshmallow import fields, validate
from sqlalchemy import BigInteger, Index, String, UniqueConstraint, bindparam, select, update
from sqlalchemy.orm import Mapped, mapped_column

from core.cache import LRU, bump_after_commit, stamps
from core.db import UTCDateTime, add_unique, db, utcnow
from core.errors import APIError
from core.events import EventPayload, declare_event, emit, id_field
from core.identities import normalize_email
from core.passwords import hash_password, password_problem, verify_password
from core.sms import sms_provider
from core.tenancy import TenantModel, current_tenant_id, execute, of_tenant, tenant_collection, tenant_fk, tenant_relationship

TOKENS_STAMP = "tokens"  # bumped when a token is revoked
_checked_tokens = LRU(20_000)
# A remembered check is also forgotten after this, whatever the stamps say: a revocation whose
# stamp could not be sent (Redis away, the process gone) still reaches every process in time.
CHECK_REMEMBERED_SECONDS = 60

TOKEN_LIFETIME = dt.timedelta(days=30)
CODE_LIFETIME = dt.timedelta(minutes=10)
CODE_ATTEMPTS = 5
PHONE = re.compile(r"^\+?[0-9]{6,15}$")


def normalize_phone(phone: str) -> str:
    phone = re.sub(r"[\s()-]", "", phone or "")
    if not PHONE.match(phone):
        raise APIError("invalid_input", fields={"phone": ["Enter a phone number of 6 to 15 digits."]})
    return phone


class Consumer(TenantModel):
    __tablename__ = "consumers"
    __table_args__ = (UniqueConstraint("tenant_id", "email"), UniqueConstraint("tenant_id", "phone"))

    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    tokens = tenant_collection("AccessToken", "consumer_id", back_populates="consumer", lazy="raise")


class AccessToken(TenantModel):
    __tablename__ = "access_tokens"
    __table_args__ = (tenant_fk(["consumer_id"], "consumers"), Index(None, "tenant_id", "consumer_id"))

    consumer_id: Mapped[int | None] = mapped_column(BigInteger)
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    consumer = tenant_relationship("Consumer", "consumer_id", back_populates="tokens", lazy="raise")


class LoginCode(TenantModel):
    """A one-time code sent by the SMS provider (sandbox by default)."""

    __tablename__ = "login_codes"
    __table_args__ = (Index(None, "tenant_id", "phone"),)

    phone: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def register_consumer(*, password: str, email: str | None = None, phone: str | None = None,
                      name: str = "") -> Consumer:
    """A new consumer of the current tenant, known by email or phone (or both)."""
    if not email and not phone:
        raise APIError("invalid_input", fields={"email": ["Give an email or a phone number."]})
    email = normalize_email(email) if email else None
    phone = normalize_phone(phone) if phone else None
    problem = password_problem(password or "")
    if problem:
        raise APIError("invalid_input", fields={"password": [problem]})
    taken = {}
    if email and db.session.scalar(select(Consumer.id).where(Consumer.email == email)):
        taken["email"] = ["An account with this email already exists."]
    if phone and db.session.scalar(select(Consumer.id).where(Consumer.phone == phone)):
        taken["phone"] = ["An account with this phone number already exists."]
    if taken:
        raise APIError("already_exists", "An account with these details already exists.", fields=taken)
    consumer = Consumer(email=email, phone=phone, name=(name or "").strip()[:120],
                        password_hash=hash_password(password))
    consumer = add_unique(consumer, APIError("already_exists", "An account with these details already exists."))
    _joined(consumer, "password")
    return consumer


class ConsumerRegistered(EventPayload):
    consumer_id = id_field("The new consumer")
    via = fields.String(required=True, validate=validate.OneOf(("password", "code", "shop")),
                        metadata={"description": "Registered with a password, signed in with a code the first time, "
                                                 "or entered by the shop (a booking taken by phone or at the desk)"})


declare_event("consumer.registered.v1", ConsumerRegistered,
              "Someone became a consumer of the shop (a welcome gift, a new-member coupon).")


def _joined(consumer: Consumer, via: str) -> None:
    emit("consumer.registered.v1", {"consumer_id": str(consumer.id), "via": via})


def _email_or_none(login: str) -> str | None:
    """An email in the form it is stored in (registration normalised it the same way)."""
    try:
        return normalize_email(login)
    except APIError:
        return None


def authenticate_consumer(*, login: str, password: str) -> Consumer:
    """The consumer of the current tenant with this email or phone and password."""
    login = (login or "").strip()
    column = Consumer.email if "@" in login else Consumer.phone
    value = _email_or_none(login) if "@" in login else re.sub(r"[\s()-]", "", login)
    consumer = db.session.scalar(select(Consumer).where(column == value)) if value else None
    if not verify_password(consumer.password_hash if consumer else None, password or ""):
        raise APIError("invalid_credentials")
    consumer.last_login_at = utcnow()
    return consumer


def issue_token(consumer: Consumer, *, now: dt.datetime | None = None) -> str:
    now = now or utcnow()
    secret = secrets.token_urlsafe(32)
    token = AccessToken(consumer_id=consumer.id, secret_hash=_digest(secret), created_at=now,
                        expires_at=now + TOKEN_LIFETIME)
    db.session.add(token)
    db.session.flush()
    return f"tsk_{token.tenant_id}_{token.id}_{secret}"


def parse_token(raw: str) -> tuple[int, int, str] | None:
    """(tenant id, token id, secret) from a bearer token, or None if it is malformed: ids are ASCII
    digits ("²" is a digit to str.isdigit, not to int) from 1 to BIGINT's maximum (a larger one
    names no row and must not reach the database)."""
    parts = (raw or "").split("_", 3)
    if len(parts) != 4 or parts[0] != "tsk":
        return None
    ids = []
    for part in parts[1:3]:
        if not (part.isascii() and part.isdigit() and len(part) <= 19) or not 0 < int(part) < 2**63:
            return None
        ids.append(int(part))
    return ids[0], ids[1], parts[3]


def consumer_for_token(token_id: int, secret: str, *, now: dt.datetime | None = None) -> tuple[AccessToken, Consumer] | None:
    """The live token and its consumer in the current tenant, or None."""
    now = now or utcnow()
    row = db.session.execute(
        select(AccessToken, Consumer)
        .join(Consumer, (Consumer.tenant_id == AccessToken.tenant_id) & (Consumer.id == AccessToken.consumer_id))
        .where(AccessToken.id == token_id)).first()
    if row is None:
        return None
    token, consumer = row
    if not hmac.compare_digest(token.secret_hash, _digest(secret)):
        return None
    if token.revoked_at is not None or token.expires_at <= now:
        return None
    return token, consumer


def revoke_token(token: AccessToken) -> None:
    """Revoke a token; every process forgets its cached check once this commits."""
    token.revoked_at = token.revoked_at or utcnow()
    bump_after_commit(token.tenant_id, TOKENS_STAMP)


_tokens = AccessToken.__table__
_LIVE_TOKEN = select(_tokens.c.consumer_id, _tokens.c.secret_hash, _tokens.c.expires_at, _tokens.c.revoked_at).where(
    of_tenant(_tokens), _tokens.c.id == bindparam("token_id"))


def consumer_id_for_token(token_id: int, secret: str, *, now: dt.datetime | None = None) -> int | None:
    """The consumer id of a live token, from a per-process cache when nothing was revoked in the
    shop since the token was checked, a minute at most (a hit costs no query: the hot API paths
    need only the id)."""
    now = now or utcnow()
    tenant_id = current_tenant_id()
    stamp = stamps().all(tenant_id).get(TOKENS_STAMP, 0)
    digest = _digest(secret)
    hit = _checked_tokens.get((tenant_id, token_id))
    if hit is not None:
        checked_stamp, secret_hash, expires_at, consumer_id = hit
        if checked_stamp == stamp and expires_at > now and hmac.compare_digest(secret_hash, digest):
            return consumer_id
    row = execute(_LIVE_TOKEN, {"token_id": token_id}).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now or \
            not hmac.compare_digest(row.secret_hash, digest):
        return None
    _checked_tokens.set((tenant_id, token_id), (stamp, row.secret_hash, row.expires_at, row.consumer_id),
                        expires_at=time.time() + CHECK_REMEMBERED_SECONDS)
    return row.consumer_id


def _code_digest(phone: str, code: str) -> str:
    """A one-time code at rest: an HMAC keyed by the app's secret over the shop, the phone and the
    code, so a copy of the table does not give the codes away (a million of them is no search)."""
    message = f"{current_tenant_id()}:{phone}:{code}".encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), message, hashlib.sha256).hexdigest()


def send_login_code(*, phone: str, now: dt.datetime | None = None) -> str | None:
    """Create a one-time code for a phone and send it through the SMS provider. Returns the code
    only when the provider shows codes (the sandbox, in development), None otherwise."""
    phone = normalize_phone(phone)
    now = now or utcnow()
    code = f"{secrets.randbelow(1_000_000):06d}"
    provider = sms_provider()
    db.session.add(LoginCode(phone=phone, code_hash=_code_digest(phone, code), expires_at=now + CODE_LIFETIME))
    db.session.flush()
    provider.send(phone=phone, text=_("Your sign-in code is %(code)s. It expires in %(minutes)s minutes.",
                                      code=code, minutes=int(CODE_LIFETIME.total_seconds() // 60)))
    return code if provider.shows_codes else None


def verify_login_code(*, phone: str, code: str, now: dt.datetime | None = None) -> Consumer:
    """The consumer with this phone (created on first login) if the code is right. A code works
    once, and is tried at most CODE_ATTEMPTS times however many guesses arrive at once: each try
    is counted by one conditional UPDATE before the code is compared, and committed even when the
    guess is wrong (this function commits the session then, before it refuses)."""
    phone = normalize_phone(phone)
    now = now or utcnow()
    tried = execute(_TRY_LATEST_CODE, {"for_phone": phone, "at": now, "max_attempts": CODE_ATTEMPTS}).first()
    wrong = APIError("invalid_credentials", "The code is wrong or has expired.")
    if tried is None:
        raise wrong
    if not hmac.compare_digest(tried.code_hash, _code_digest(phone, (code or "").strip())):
        db.session.commit()  # the try counts although the request fails
        raise wrong
    if execute(_USE_CODE, {"code_id": tried.id, "at": now}).rowcount != 1:  # a concurrent try used it first
        raise wrong
    consumer = consumer_with_phone(phone, via="code")
    consumer.last_login_at = now
    return consumer


def consumer_with_phone(phone: str, *, name: str = "", via: str = "shop") -> Consumer:
    """The shop's consumer with this phone, made when there is none (`via`: how they came; "shop":
    the shop took their booking by phone or at the desk — signing in later with a code, they find
    it). A name given fills an empty one."""
    phone = normalize_phone(phone)
    consumer = db.session.scalar(select(Consumer).where(Consumer.phone == phone))
    if consumer is None:
        consumer = add_unique(Consumer(phone=phone, name=name.strip()[:120]), APIError("conflict", "Try again."))
        _joined(consumer, via)
    elif name.strip() and not consumer.name:
        consumer.name = name.strip()[:120]
    return consumer


_codes = LoginCode.__table__
# One try of the phone's newest live code, counted only while tries remain: concurrent tries
# queue on the row and each sees the count the one before left.
_TRY_LATEST_CODE = (
    update(_codes)
    .where(of_tenant(_codes), _codes.c.attempts < bindparam("max_attempts"), _codes.c.id == (
        select(_codes.c.id).where(of_tenant(_codes), _codes.c.phone == bindparam("for_phone"), _codes.c.used_at.is_(None),
                                  _codes.c.expires_at > bindparam("at"))
        .order_by(_codes.c.id.desc()).limit(1).scalar_subquery()))
    .values(attempts=_codes.c.attempts + 1).returning(_codes.c.id, _codes.c.code_hash))
_USE_CODE = update(_codes).where(of_tenant(_codes), _codes.c.id == bindparam("code_id"),
                                 _codes.c.used_at.is_(None)).values(used_at=bindparam("at"))
