"""Configuration from environment variables, with the embedded defaults of DESIGN.md §5.

`load_config()` reads the environment once at start-up and refuses an invalid value with a
`ConfigError` that names the variable, so a typo never becomes a surprise at request time.

`TESSERA_ENV` is `development` (the default: `tessera run` on a laptop) or `production`. In
production nothing a sandbox offers exists (payments, SMS codes in answers, demo logins), cookies
are Secure, and a configuration that lacks what production needs is refused here: a SECRET_KEY,
the keys that encrypt merchants' credentials, Redis when more than one process serves."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlparse, urlsplit


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


def _data_keys(value: str) -> tuple[str, ...]:
    """Fernet keys (url-safe base64 of 32 bytes), comma-separated: the first encrypts, every one
    decrypts (rotation: put the new key first, keep the old ones until re-encrypted)."""
    keys = tuple(key.strip() for key in value.split(",") if key.strip())
    for key in keys:
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (ValueError, TypeError):
            raw = b""
        if len(raw) != 32:
            raise ConfigError("TESSERA_DATA_KEYS: expected comma-separated Fernet keys (url-safe base64 of 32 bytes; "
                              "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')")
    if not keys:
        raise ConfigError("TESSERA_DATA_KEYS: give at least one key")
    return keys


def _rate_limit(name: str, value: str) -> str:
    from limits import parse_many

    try:
        if not parse_many(value):
            raise ValueError(value)
    except ValueError:
        raise ConfigError(f"{name}: expected limits such as '10/minute' or '5/minute;20/hour', got {value!r}") from None
    return value


# Per-address limits apply to every client of one address (behind a proxy: see
# TESSERA_TRUSTED_PROXIES); per-account and per-phone limits stop a guesser who spreads out.
RATE_LIMITS = {
    "AUTH_RATE_LIMIT": ("TESSERA_RATE_LIMIT_AUTH", "20/minute"),  # every sign-in endpoint, per address
    "ACCOUNT_RATE_LIMIT": ("TESSERA_RATE_LIMIT_ACCOUNT", "10/minute;50/hour"),  # sign-ins per account or phone
    "SMS_PHONE_RATE_LIMIT": ("TESSERA_RATE_LIMIT_SMS_PHONE", "1/minute;5/hour;10/day"),  # codes sent to one phone
    "SMS_ADDRESS_RATE_LIMIT": ("TESSERA_RATE_LIMIT_SMS_ADDRESS", "5/minute;30/hour"),  # codes asked from one address
    "SIGNUP_RATE_LIMIT": ("TESSERA_RATE_LIMIT_SIGNUP", "5/hour;20/day"),  # shops signed up from one address
    "MAIL_RATE_LIMIT": ("TESSERA_RATE_LIMIT_MAIL", "1/minute;10/day"),  # confirmation mails asked again, per account
}
SMS_PROVIDERS = ("sandbox", "log", "none")
MAIL_PROVIDERS = ("folder", "smtp", "none")
BILLING_PROVIDERS = ("sandbox", "stripe", "none")  # what shops pay the platform through (tenants.billing)


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


def _instance_data_key(instance_path: Path) -> str:
    """The embedded default's key for credentials at rest, generated once into the instance folder."""
    path = instance_path / "data_key"
    if not path.exists():
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())
        path.chmod(0o600)
    return path.read_text().strip()


def _smtp_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError("TESSERA_SMTP_URL: expected smtp://user:password@host:587 or smtps://user:password@host:465")
    return value


def _environment(value: str) -> str:
    if value not in ("development", "production"):
        raise ConfigError(f"TESSERA_ENV: expected development or production, got {value!r}")
    return value


def _processes(env) -> int:
    """How many processes serve this deployment, as declared (gunicorn reads WEB_CONCURRENCY too)."""
    for name in ("TESSERA_PROCESSES", "WEB_CONCURRENCY"):
        if env.get(name):
            return _whole_number(name, env[name], 1, 1024, "processes")
    return 1


def load_config(environ: dict[str, str] | None = None) -> dict:
    """Flask config keys derived from the environment; raises ConfigError naming a bad variable."""
    env = os.environ if environ is None else environ
    mode = _environment(env.get("TESSERA_ENV") or "development")
    production = mode == "production"
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
        "TESSERA_ENV": mode,
        "SECRET_KEY": _secret_key(env["SECRET_KEY"]) if env.get("SECRET_KEY") else None,
        "DATA_KEYS": _data_keys(env["TESSERA_DATA_KEYS"]) if env.get("TESSERA_DATA_KEYS") else None,
        "BASE_DOMAIN": _base_domain(env.get("TESSERA_BASE_DOMAIN") or "localhost"),
        "MEDIA_PATH": str(instance_path / "media"),
        "PAGE_CACHE_SIZE": _whole_number("TESSERA_PAGE_CACHE_SIZE", env.get("TESSERA_PAGE_CACHE_SIZE", "4096"), 0,
                                         1_000_000, "entries"),
        "PAGE_CACHE_SECONDS": _whole_number("TESSERA_PAGE_CACHE_SECONDS",
                                            env.get("TESSERA_PAGE_CACHE_SECONDS", "3600"), 1, 86_400, "seconds"),
        "STRIPE_API_BASE": (_url("STRIPE_API_BASE", env["STRIPE_API_BASE"]) if env.get("STRIPE_API_BASE") else None),
        "SMS_PROVIDER": env.get("TESSERA_SMS_PROVIDER") or ("none" if production else "sandbox"),
        "SMS_LOG_PATH": env.get("TESSERA_SMS_LOG") or str(instance_path / "sms.log"),
        "MAIL_PROVIDER": env.get("TESSERA_MAIL_PROVIDER") or (
            "folder" if not production else "smtp" if env.get("TESSERA_SMTP_URL") else "none"),
        "BILLING_PROVIDER": env.get("TESSERA_BILLING_PROVIDER") or ("none" if production else "sandbox"),
        # The platform's own Stripe account, which shops pay their plans to (not a shop's account)
        "BILLING_STRIPE_SECRET_KEY": env.get("TESSERA_BILLING_STRIPE_SECRET_KEY") or None,
        "BILLING_STRIPE_WEBHOOK_SECRET": env.get("TESSERA_BILLING_STRIPE_WEBHOOK_SECRET") or None,
        "MAIL_FOLDER": env.get("TESSERA_MAIL_FOLDER") or str(instance_path / "mail"),
        "SMTP_URL": _smtp_url(env["TESSERA_SMTP_URL"]) if env.get("TESSERA_SMTP_URL") else None,
        "MAIL_FROM": env.get("TESSERA_MAIL_FROM") or f"Tessera <no-reply@{env.get('TESSERA_BASE_DOMAIN') or 'localhost'}>",
        "TRUSTED_PROXIES": _whole_number("TESSERA_TRUSTED_PROXIES", env.get("TESSERA_TRUSTED_PROXIES", "0"), 0, 5,
                                         "proxy hops"),
        "PROCESSES": _processes(env),
        # Console and storefront sessions: never readable by scripts, not sent on cross-site
        # requests, Secure wherever TLS is (production), and a staff sign-in lasts 12 hours.
        "SESSION_COOKIE_NAME": "tessera_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=12),
        "PREFERRED_URL_SCHEME": "https" if production else "http",
        **{key: _rate_limit(name, env.get(name) or default) for key, (name, default) in RATE_LIMITS.items()},
    }
    if not production:
        config["SECRET_KEY"] = config["SECRET_KEY"] or _instance_secret(instance_path)
        config["DATA_KEYS"] = config["DATA_KEYS"] or (_instance_data_key(instance_path),)
    check_config(config)
    return config


def check_config(config: dict) -> None:
    """Refuse settings that are each valid but wrong together, and a production configuration
    that lacks what production needs (create_app checks again with its overrides applied)."""
    if config.get("S3_ENDPOINT_URL") and not config.get("S3_BUCKET"):
        raise ConfigError("TESSERA_S3_ENDPOINT_URL: set TESSERA_S3_BUCKET too, or neither")
    if config.get("SMS_PROVIDER") not in SMS_PROVIDERS:
        raise ConfigError(f"TESSERA_SMS_PROVIDER: expected one of {', '.join(SMS_PROVIDERS)}, "
                          f"got {config.get('SMS_PROVIDER')!r}")
    if config.get("MAIL_PROVIDER", "folder") not in MAIL_PROVIDERS:
        raise ConfigError(f"TESSERA_MAIL_PROVIDER: expected one of {', '.join(MAIL_PROVIDERS)}, "
                          f"got {config.get('MAIL_PROVIDER')!r}")
    if config.get("BILLING_PROVIDER", "sandbox") not in BILLING_PROVIDERS:
        raise ConfigError(f"TESSERA_BILLING_PROVIDER: expected one of {', '.join(BILLING_PROVIDERS)}, "
                          f"got {config.get('BILLING_PROVIDER')!r}")
    if config.get("BILLING_PROVIDER") == "stripe" and not (config.get("BILLING_STRIPE_SECRET_KEY")
                                                           and config.get("BILLING_STRIPE_WEBHOOK_SECRET")):
        raise ConfigError("TESSERA_BILLING_STRIPE_SECRET_KEY: the stripe billing provider needs the platform's secret "
                          "key and TESSERA_BILLING_STRIPE_WEBHOOK_SECRET, its webhook's signing secret")
    if config.get("MAIL_PROVIDER") == "smtp" and not config.get("SMTP_URL"):
        raise ConfigError("TESSERA_SMTP_URL: the smtp mail provider needs the server, e.g. "
                          "smtp://user:password@smtp.example.com:587")
    if config.get("PROCESSES", 1) > 1 and not config.get("REDIS_URL"):
        raise ConfigError(f"REDIS_URL: {config['PROCESSES']} processes need Redis to share cache invalidations, "
                          "token revocations and rate limits; set REDIS_URL or run one process")
    if config.get("TESSERA_ENV") == "production":
        _refuse_what_production_lacks(config)


def _refuse_what_production_lacks(config: dict) -> None:
    if not config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY: production needs a secret key of at least 16 characters "
                          "(python -c 'import secrets; print(secrets.token_urlsafe(48))')")
    if not config.get("DATA_KEYS"):
        raise ConfigError("TESSERA_DATA_KEYS: production needs the key that encrypts merchants' payment credentials "
                          "(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')")
    if config.get("BILLING_PROVIDER") == "sandbox":
        raise ConfigError("TESSERA_BILLING_PROVIDER: the sandbox lets a merchant pay for a plan without paying and "
                          "does not exist in production; use none")
    if config["SMS_PROVIDER"] == "sandbox":
        raise ConfigError("TESSERA_SMS_PROVIDER: the sandbox provider shows codes to whoever asks and does not exist "
                          "in production; use log (a file, for staging) or none")
