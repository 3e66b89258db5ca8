"""Secrets at rest (merchants' payment credentials): Fernet (AES-128-CBC with HMAC-SHA256) under
the keys of TESSERA_DATA_KEYS — the first encrypts, every one decrypts, so a key is rotated by
putting a new one first and re-encrypting (`reencrypt`). The embedded default generates a key
into the instance folder; production refuses to start without one (core.config)."""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class UndecryptableError(RuntimeError):
    """No configured key opens this value (a key was removed too early, or the value is not ours)."""


@functools.lru_cache(maxsize=8)
def _box(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _box(tuple(current_app.config["DATA_KEYS"]))


def encrypt(text: str) -> str:
    return _current().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableError("no key of TESSERA_DATA_KEYS decrypts this value") from None


def reencrypt(token: str) -> str:
    """The same secret under the first key (after a rotation)."""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken:
        raise UndecryptableError("no key of TESSERA_DATA_KEYS decrypts this value") from None
