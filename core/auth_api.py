"""Consumer sign-in for the JSON API: register, password login, one-time codes, logout, me."""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from marshmallow import Schema, fields, validate, validates_schema, ValidationError

from core.api import api_blueprint, load_json, require_consumer
from core.consumers import (authenticate_consumer, issue_token, register_consumer, revoke_token,
                            send_login_code, verify_login_code)
from core.db import db
from core.openapi import api_doc
from core.security import account_rate_limit, attempted_account, auth_rate_limit, limiter

bp = api_blueprint("auth_api", __name__)


class RegisterSchema(Schema):
    email = fields.String(load_default=None, validate=validate.Length(max=254),
                          metadata={"description": "Checked by the platform's one email rule (core.identities)"})
    phone = fields.String(load_default=None, validate=validate.Length(max=20))
    password = fields.String(required=True, validate=validate.Length(max=256))
    name = fields.String(load_default="", validate=validate.Length(max=120))

    @validates_schema
    def _one_login(self, data, **kwargs):
        if not data.get("email") and not data.get("phone"):
            raise ValidationError("Give an email or a phone number.", "email")


class LoginSchema(Schema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(max=256))


class CodeRequestSchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(max=20))


class CodeVerifySchema(Schema):
    phone = fields.String(required=True, validate=validate.Length(max=20))
    code = fields.String(required=True, validate=validate.Length(min=4, max=8))


class ConsumerOut(Schema):
    id = fields.String()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    name = fields.String()


class TokenOut(Schema):
    token = fields.String(metadata={"description": "Send as `Authorization: Bearer <token>`; bound to this shop"})
    consumer = fields.Nested(ConsumerOut)


class CodeSentOut(Schema):
    sent = fields.Boolean()
    sandbox_code = fields.String(metadata={"description": "Only with the sandbox SMS provider, which exists only in "
                                                          "development (TESSERA_ENV=development)"})


class MeOut(Schema):
    consumer = fields.Nested(ConsumerOut)


def _consumer_json(consumer) -> dict:
    return {"id": str(consumer.id), "email": consumer.email, "phone": consumer.phone, "name": consumer.name}


@bp.post("/auth/register")
@limiter.limit(auth_rate_limit)
@api_doc("Create a consumer account in this shop", tags=["auth"], body=RegisterSchema, response=TokenOut, status=201,
         errors=(409, 415, 429))
def register():
    data = load_json(RegisterSchema)
    consumer = register_consumer(**data)
    token = issue_token(consumer)
    db.session.commit()
    return jsonify(token=token, consumer=_consumer_json(consumer)), 201


@bp.post("/auth/login")
@limiter.limit(auth_rate_limit)
@limiter.limit(account_rate_limit, key_func=attempted_account)
@api_doc("Sign in with email or phone and password", tags=["auth"], body=LoginSchema, response=TokenOut,
         errors=(401, 415, 429))
def login():
    data = load_json(LoginSchema)
    consumer = authenticate_consumer(**data)
    token = issue_token(consumer)
    db.session.commit()
    return jsonify(token=token, consumer=_consumer_json(consumer))


def sms_phone_rate_limit() -> str:
    return current_app.config["SMS_PHONE_RATE_LIMIT"]


def sms_address_rate_limit() -> str:
    return current_app.config["SMS_ADDRESS_RATE_LIMIT"]


def requested_phone() -> str:
    """The phone a code is asked for, across every shop: one phone is one bucket whichever shop
    sends to it (a phone's owner is protected from being flooded through many shops)."""
    body = request.get_json(silent=True)
    phone = body.get("phone") if isinstance(body, dict) else None
    digits = "".join(ch for ch in phone if ch.isascii() and ch.isdigit())[-15:] if isinstance(phone, str) else ""
    return f"sms-phone:{digits}"


@bp.post("/auth/code")
@limiter.limit(sms_address_rate_limit)
@limiter.limit(sms_phone_rate_limit, key_func=requested_phone)
@api_doc("Send a one-time login code to a phone", tags=["auth"], body=CodeRequestSchema, response=CodeSentOut,
         status=202, errors=(415, 429, 503))
def request_code():
    """Send a one-time login code through the SMS provider. With the sandbox provider
    (development only) nothing is sent: the code comes back as `sandbox_code`, so the flow can
    be tried end to end. Limited per address and per phone."""
    data = load_json(CodeRequestSchema)
    code = send_login_code(phone=data["phone"])
    db.session.commit()
    body = {"sent": True}
    if code is not None:
        body["sandbox_code"] = code
    return jsonify(body), 202


@bp.post("/auth/code/verify")
@limiter.limit(auth_rate_limit)
@limiter.limit(account_rate_limit, key_func=attempted_account)
@api_doc("Sign in (or sign up) with a one-time code; each code may be tried 5 times", tags=["auth"],
         body=CodeVerifySchema, response=TokenOut, errors=(401, 415, 429))
def verify_code():
    data = load_json(CodeVerifySchema)
    consumer = verify_login_code(**data)
    token = issue_token(consumer)
    db.session.commit()
    return jsonify(token=token, consumer=_consumer_json(consumer))


@bp.post("/auth/logout")
@api_doc("Revoke the bearer token", tags=["auth"], status=204, auth=True)
def logout():
    require_consumer()
    revoke_token(g.access_token)
    db.session.commit()
    return "", 204


@bp.get("/me")
@api_doc("The signed-in consumer", tags=["auth"], response=MeOut, auth=True)
def me():
    return jsonify(consumer=_consumer_json(require_consumer()))
