"""Configuration from environment variables, with the embedded defaults of DESIGN.md §5.

`load_config()` reads the environment once at start-up and refuses an invalid value with a
`ConfigError` that names the variable, so a typo never becomes a surprise at request time."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(Exception):
    """An environment variable holds a value Tessera cannot use."""


_SLUG_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*(:\d{1,5})?$")


def _database_url(value: str) -> str:
    scheme = urlparse(value).scheme
    if scheme.startswith("postgresql"):
        # One driver for PostgreSQL: psycopg 3.
        return re.sub(r"^postgresql(\+[a-z0-9]+)?://", "postgresql+psycopg://", value)
    if scheme.startswith("sqlite"):
        return value
    raise ConfigError(f"TESSERA_DATABASE_URL: unsupported database {scheme or value!r}; use postgresql:// or sqlite:///")


def _redis_url(value: str) -> str:
    if urlparse(value).scheme not in ("redis", "rediss", "unix"):
        raise ConfigError(f"REDIS_URL: expected redis://host:port/db, got {value!r}")
    return value


def _url(name: str, value: str) -> str:
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name}: expected an http(s) URL, got {value!r}")
    return value


def _base_domain(value: str) -> str:
    value = value.strip().lower()
    if not _SLUG_HOST.match(value):
        raise ConfigError(f"TESSERA_BASE_DOMAIN: expected a host name such as shops.example.com, got {value!r}")
    return value


def _secret_key(value: str) -> str:
    if len(value) < 16:
        raise ConfigError("SECRET_KEY: must be at least 16 characters long")
    return value


def _bucket(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value):
        raise ConfigError(f"TESSERA_S3_BUCKET: {value!r} is not a valid bucket name")
    return value


def _stripe_key(value: str) -> str:
    if not value.startswith(("sk_", "rk_")):
        raise ConfigError("STRIPE_API_KEY: expected a secret key starting with sk_ or rk_")
    return value


def _whole_number(name: str, value: str, low: int, high: int, what: str) -> int:
    if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
        raise ConfigError(f"{name}: expected a number of {what} from {low} to {high}, got {value!r}")
    return int(value)


def _instance_secret(instance_path: Path) -> str:
    """The embedded default keeps a generated secret in the instance folder, so sessions survive
    a restart without anyone having to choose a key."""
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def load_config(environ: dict[str, str] | None = None) -> dict:
    """Flask config keys derived from the environment; raises ConfigError naming a bad variable."""
    env = os.environ if environ is None else environ
    instance_path = Path(env.get("TESSERA_INSTANCE_PATH") or "./instance").resolve()
    try:
        instance_path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"TESSERA_INSTANCE_PATH: cannot create {instance_path}: {exc.strerror}") from exc

    database_url = env.get("TESSERA_DATABASE_URL") or f"sqlite:///{instance_path / 'tessera.db'}"
    config = {
        "INSTANCE_PATH": str(instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(database_url),
        "REDIS_URL": _redis_url(env["REDIS_URL"]) if env.get("REDIS_URL") else None,
        "S3_BUCKET": _bucket(env["TESSERA_S3_BUCKET"]) if env.get("TESSERA_S3_BUCKET") else None,
        "S3_ENDPOINT_URL": (_url("TESSERA_S3_ENDPOINT_URL", env["TESSERA_S3_ENDPOINT_URL"])
                            if env.get("TESSERA_S3_ENDPOINT_URL") else None),
        "STRIPE_API_KEY": _stripe_key(env["STRIPE_API_KEY"]) if env.get("STRIPE_API_KEY") else None,
        "SECRET_KEY": _secret_key(env["SECRET_KEY"]) if env.get("SECRET_KEY") else _instance_secret(instance_path),
        "BASE_DOMAIN": _base_domain(env.get("TESSERA_BASE_DOMAIN") or "localhost"),
        "MEDIA_PATH": str(instance_path / "media"),
        "PAGE_CACHE_SIZE": _whole_number("TESSERA_PAGE_CACHE_SIZE", env.get("TESSERA_PAGE_CACHE_SIZE", "4096"), 0,
                                         1_000_000, "entries"),
        # unpaid orders are cancelled after this; shipped orders complete themselves after that
        "ORDER_PAY_MINUTES": _whole_number("TESSERA_ORDER_PAY_MINUTES", env.get("TESSERA_ORDER_PAY_MINUTES", "30"), 1,
                                           10_080, "minutes"),
        "ORDER_COMPLETE_DAYS": _whole_number("TESSERA_ORDER_COMPLETE_DAYS", env.get("TESSERA_ORDER_COMPLETE_DAYS", "10"),
                                             1, 60, "days"),
        "STRIPE_API_BASE": (_url("STRIPE_API_BASE", env["STRIPE_API_BASE"]) if env.get("STRIPE_API_BASE") else None),
        "STRIPE_WEBHOOK_SECRET": env.get("STRIPE_WEBHOOK_SECRET") or None,
    }
    if config["S3_ENDPOINT_URL"] and not config["S3_BUCKET"]:
        raise ConfigError("TESSERA_S3_ENDPOINT_URL: set TESSERA_S3_BUCKET too, or neither")
    return config
