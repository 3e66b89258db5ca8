"""E-mail to people of the platform (merchants confirming their address, and later billing
notices), through the provider chosen by TESSERA_MAIL_PROVIDER:

- `folder` (development's default): each message is written as an .eml file into
  TESSERA_MAIL_FOLDER (the instance folder's `mail/`), where a developer or a test opens it;
  nothing leaves the machine;
- `smtp`: sent through the server of TESSERA_SMTP_URL (`smtp://user:password@host:587`, STARTTLS;
  `smtps://…:465`, TLS from the start);
- `none`: nothing can be sent; what needs a message refuses with 503 `mail_unavailable`
  (production's default until TESSERA_SMTP_URL is set).

`send_mail` hands the message to the `mail.send` job, which runs once the transaction that asked
for it commits (a sign-up that rolls back sends nothing) and outside the request's time."""

from __future__ import annotations

import datetime as dt
import secrets
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from flask import current_app

from core.errors import APIError, register_codes
from core.jobs import enqueue, job

register_codes({"mail_unavailable": (503, "E-mail cannot be sent from this platform at the moment.")})



class MailProvider(Protocol):
    name: str

    def send(self, message: EmailMessage) -> None:
        """Deliver `message`, or raise."""


class FolderMail:
    name = "folder"

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        (self.folder / f"{stamp}-{secrets.token_hex(4)}.eml").write_bytes(bytes(message))


class SmtpMail:
    name = "smtp"

    def __init__(self, url: str):
        self.url = urlsplit(url)

    def send(self, message: EmailMessage) -> None:
        secure = self.url.scheme == "smtps"
        port = self.url.port or (465 if secure else 587)
        context = ssl.create_default_context()
        client = (smtplib.SMTP_SSL(self.url.hostname, port, timeout=20, context=context) if secure
                  else smtplib.SMTP(self.url.hostname, port, timeout=20))
        with client:
            if not secure:
                client.starttls(context=context)
            if self.url.username:
                client.login(unquote(self.url.username), unquote(self.url.password or ""))
            client.send_message(message)


class NoMail:
    name = "none"

    def send(self, message: EmailMessage) -> None:
        raise APIError("mail_unavailable")


def mail_provider() -> MailProvider:
    """The provider the app's configuration names."""
    name = current_app.config["MAIL_PROVIDER"]
    if name == "folder":
        return FolderMail(current_app.config["MAIL_FOLDER"])
    if name == "smtp":
        return SmtpMail(current_app.config["SMTP_URL"])
    return NoMail()


def can_send_mail() -> bool:
    return current_app.config["MAIL_PROVIDER"] != "none"


def send_mail(*, to: str, subject: str, text: str, sender_name: str | None = None) -> None:
    """Send a plain-text message to `to` once the current transaction commits, from MAIL_FROM's
    address under `sender_name` when given (a reseller's brand); refuses (503 mail_unavailable)
    at once when no provider is configured, so the caller writes nothing."""
    if not can_send_mail():
        raise APIError("mail_unavailable")
    enqueue("mail.send", to, subject, text, sender_name, tenant_id=None)


@job("mail.send")
def deliver(to: str, subject: str, text: str, sender_name: str | None = None) -> None:
    message = EmailMessage()
    sender = current_app.config["MAIL_FROM"]
    if sender_name:
        sender = formataddr((sender_name, parseaddr(sender)[1]))
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].rstrip(">") or None)
    message.set_content(text)
    mail_provider().send(message)
