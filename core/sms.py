"""Text messages to consumers' phones (one-time sign-in codes), through the provider chosen by
TESSERA_SMS_PROVIDER:

- `sandbox` (development only; start-up refuses it in production): delivers nothing, and the
  code comes back in the API's answer so the flow can be tried end to end;
- `log`: appends each message to a file (TESSERA_SMS_LOG), for operators testing a staging
  server where no message may leave;
- `none`: no messages; sign-in by code answers 503 `sms_unavailable` (production's default until
  a real provider is configured).

A real gateway (Aliyun SMS, Tencent Cloud SMS, Twilio) is one more class with `send`."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Protocol

from flask import current_app

from core.errors import APIError, register_codes

register_codes({"sms_unavailable": (503, "Text messages cannot be sent from this shop; sign in with a password.")})


class SmsProvider(Protocol):
    name: str
    shows_codes: bool  # the answer may carry the code (the sandbox, in development)

    def send(self, *, phone: str, text: str) -> None:
        """Deliver `text` to `phone`, or raise APIError."""


class SandboxSms:
    name = "sandbox"
    shows_codes = True

    def send(self, *, phone: str, text: str) -> None:
        return None


class LogSms:
    name = "log"
    shows_codes = False
    _lock = threading.Lock()

    def __init__(self, path: str):
        self.path = Path(path)

    def send(self, *, phone: str, text: str) -> None:
        line = f"{dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}\t{phone}\t{text}\n"
        with self._lock, self.path.open("a", encoding="utf-8") as log_file:
            log_file.write(line)


class NoSms:
    name = "none"
    shows_codes = False

    def send(self, *, phone: str, text: str) -> None:
        raise APIError("sms_unavailable")


def sms_provider() -> SmsProvider:
    """The provider the app's configuration names."""
    name = current_app.config["SMS_PROVIDER"]
    if name == "sandbox":
        if current_app.config.get("TESSERA_ENV") == "production":  # refused at start-up; never reached
            raise APIError("sms_unavailable")
        return SandboxSms()
    if name == "log":
        return LogSms(current_app.config["SMS_LOG_PATH"])
    return NoSms()
