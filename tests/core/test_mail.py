"""E-mail leaves through the configured provider once the transaction that asked commits: a
folder of .eml files in development, an SMTP server (STARTTLS, signed in) in production, and
nothing — a clear 503 before anything is written — when none is configured."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest

from core.db import db
from core.errors import APIError
from core.mail import send_mail


def test_a_mail_is_written_to_the_folder_once_the_transaction_commits(app, db_session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_FOLDER", str(tmp_path / "outbox"))
    with app.test_request_context():
        send_mail(to="merchant@example.com", subject="Hello", text="Line one\nLine two")
        assert not (tmp_path / "outbox").exists()
        db.session.commit()
    [path] = Path(tmp_path / "outbox").glob("*.eml")
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert (message["To"], message["Subject"], message.get_content()) == (
        "merchant@example.com", "Hello", "Line one\nLine two\n")
    assert message["From"] == app.config["MAIL_FROM"] and message["Message-ID"]


class FakeSmtp:
    """smtplib.SMTP as far as the provider uses it, recording each call."""

    calls: list = []

    def __init__(self, host, port, timeout=None):
        self.calls.append(("connect", host, port, timeout))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.calls.append(("quit",))

    def starttls(self, context=None):
        self.calls.append(("starttls", context is not None))

    def login(self, user, password):
        self.calls.append(("login", user, password))

    def send_message(self, message):
        self.calls.append(("send", message["To"], message["Subject"]))


def test_smtp_sends_over_starttls_signed_in(app, db_session, monkeypatch):
    import smtplib

    FakeSmtp.calls = []
    monkeypatch.setattr(smtplib, "SMTP", FakeSmtp)
    monkeypatch.setitem(app.config, "MAIL_PROVIDER", "smtp")
    monkeypatch.setitem(app.config, "SMTP_URL", "smtp://mailer%40shops:p%3Ass@smtp.example.com:2525")
    with app.test_request_context():
        send_mail(to="merchant@example.com", subject="Your invoice", text="Thanks")
        db.session.commit()
    assert FakeSmtp.calls == [("connect", "smtp.example.com", 2525, 20), ("starttls", True),
                              ("login", "mailer@shops", "p:ss"), ("send", "merchant@example.com", "Your invoice"),
                              ("quit",)]


def test_without_a_provider_asking_to_send_is_refused_at_once(app, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PROVIDER", "none")
    with app.test_request_context(), pytest.raises(APIError) as refused:
        send_mail(to="merchant@example.com", subject="Hello", text="Hi")
    assert (refused.value.status, refused.value.code) == (503, "mail_unavailable")
