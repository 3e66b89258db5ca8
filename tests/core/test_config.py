"""Configuration from the environment: embedded defaults, and a clear stop on a bad value."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from core.config import ConfigError, load_config


def test_embedded_defaults(tmp_path):
    config = load_config({"TESSERA_INSTANCE_PATH": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'tessera.db'}"
    assert config["BASE_DOMAIN"] == "localhost"
    assert config["REDIS_URL"] is None and config["S3_BUCKET"] is None
    secret = tmp_path / "secret_key"
    assert secret.stat().st_mode & 0o777 == 0o600
    assert config["SECRET_KEY"] == secret.read_text().strip()
    assert load_config({"TESSERA_INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"] == config["SECRET_KEY"]


def test_postgresql_urls_use_psycopg(tmp_path):
    config = load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), "TESSERA_DATABASE_URL": "postgresql://u@h/db"})
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(("name", "value"), [
    ("TESSERA_DATABASE_URL", "mysql://x"), ("REDIS_URL", "http://x"), ("TESSERA_S3_BUCKET", "Bad_Bucket"),
    ("TESSERA_S3_ENDPOINT_URL", "ftp://x"), ("SECRET_KEY", "short"), ("TESSERA_BASE_DOMAIN", "bad domain"),
    ("TESSERA_ENV", "prod"), ("TESSERA_DATA_KEYS", "not-a-key"), ("TESSERA_SMS_PROVIDER", "twilio"),
    ("TESSERA_RATE_LIMIT_AUTH", "lots"), ("TESSERA_RATE_LIMIT_SMS_PHONE", "1/fortnight"),
    ("TESSERA_TRUSTED_PROXIES", "-1"), ("TESSERA_PROCESSES", "zero"), ("WEB_CONCURRENCY", "0"),
    ("TESSERA_MAIL_PROVIDER", "sendgrid"), ("TESSERA_SMTP_URL", "http://mail.example.com"),
    ("TESSERA_RATE_LIMIT_SIGNUP", "lots"),
])
def test_a_bad_value_names_its_variable(tmp_path, name, value):
    environ = {"TESSERA_INSTANCE_PATH": str(tmp_path), name: value}
    if name == "TESSERA_S3_ENDPOINT_URL":
        environ["TESSERA_S3_BUCKET"] = "good-bucket"
    with pytest.raises(ConfigError) as error:
        load_config(environ)
    assert str(error.value).startswith(f"{name}:")


def test_instance_path_under_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="^TESSERA_INSTANCE_PATH:"):
        load_config({"TESSERA_INSTANCE_PATH": str(tmp_path / "file" / "instance")})


def test_the_command_stops_with_the_variable_named(tmp_path):
    env = {**os.environ, "TESSERA_INSTANCE_PATH": str(tmp_path), "TESSERA_DATABASE_URL": "mysql://x"}
    result = subprocess.run([sys.executable, "-c", "from cli import main; main()", "tenants", "list"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "TESSERA_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


PRODUCTION = {"TESSERA_ENV": "production", "SECRET_KEY": "s" * 32,
              "TESSERA_DATA_KEYS": "7Jc1uJ0b5E0fHq4pA3yJ8q9x3gqJXvQ2mK0yQv8n5_Q="}


def test_development_is_the_default_and_production_is_chosen(tmp_path):
    development = load_config({"TESSERA_INSTANCE_PATH": str(tmp_path)})
    production = load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), **PRODUCTION})
    assert development["TESSERA_ENV"] == "development"
    assert development["SMS_PROVIDER"] == "sandbox" and development["SESSION_COOKIE_SECURE"] is False
    assert production["TESSERA_ENV"] == "production"
    assert production["SMS_PROVIDER"] == "none" and production["SESSION_COOKIE_SECURE"] is True
    assert production["SECRET_KEY"] == "s" * 32


@pytest.mark.parametrize(("missing", "variable"), [("SECRET_KEY", "SECRET_KEY"),
                                                   ("TESSERA_DATA_KEYS", "TESSERA_DATA_KEYS")])
def test_production_refuses_to_start_without_what_it_needs(tmp_path, missing, variable):
    environ = {"TESSERA_INSTANCE_PATH": str(tmp_path), **PRODUCTION}
    del environ[missing]
    with pytest.raises(ConfigError) as error:
        load_config(environ)
    assert str(error.value).startswith(f"{variable}:")
    assert not (tmp_path / "secret_key").exists() and not (tmp_path / "data_key").exists()


def test_production_has_no_sandbox_sms(tmp_path):
    with pytest.raises(ConfigError, match="^TESSERA_SMS_PROVIDER:"):
        load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), **PRODUCTION, "TESSERA_SMS_PROVIDER": "sandbox"})
    assert load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), **PRODUCTION,
                        "TESSERA_SMS_PROVIDER": "log"})["SMS_PROVIDER"] == "log"


@pytest.mark.parametrize("name", ["TESSERA_PROCESSES", "WEB_CONCURRENCY"])
def test_more_than_one_process_needs_redis(tmp_path, name):
    with pytest.raises(ConfigError, match="^REDIS_URL:"):
        load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), name: "4"})
    config = load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), name: "4", "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert config["PROCESSES"] == 4


def test_the_server_stops_in_production_with_the_variable_named(tmp_path):
    env = {**os.environ, "TESSERA_INSTANCE_PATH": str(tmp_path), "TESSERA_ENV": "production"}
    env.pop("SECRET_KEY", None)
    result = subprocess.run([sys.executable, "-c", "from cli import main; main()", "run"],
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY: production needs a secret key" in result.stderr
    assert "Traceback" not in result.stderr


def test_mail_goes_to_a_folder_in_development_and_nowhere_in_production_until_a_server_is_named(tmp_path):
    development = load_config({"TESSERA_INSTANCE_PATH": str(tmp_path)})
    assert (development["MAIL_PROVIDER"], development["MAIL_FOLDER"]) == ("folder", str(tmp_path / "mail"))
    assert load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), **PRODUCTION})["MAIL_PROVIDER"] == "none"
    smtp = load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), **PRODUCTION, "TESSERA_BASE_DOMAIN": "shops.example",
                        "TESSERA_SMTP_URL": "smtp://mailer:secret@smtp.example.com:587"})
    assert (smtp["MAIL_PROVIDER"], smtp["MAIL_FROM"]) == ("smtp", "Tessera <no-reply@shops.example>")
    with pytest.raises(ConfigError, match="^TESSERA_SMTP_URL:"):
        load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), "TESSERA_MAIL_PROVIDER": "smtp"})


def test_production_has_no_billing_sandbox(tmp_path):
    assert load_config({"TESSERA_INSTANCE_PATH": str(tmp_path)})["BILLING_PROVIDER"] == "sandbox"
    assert load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), **PRODUCTION})["BILLING_PROVIDER"] == "none"
    with pytest.raises(ConfigError, match="^TESSERA_BILLING_PROVIDER:"):
        load_config({"TESSERA_INSTANCE_PATH": str(tmp_path), **PRODUCTION, "TESSERA_BILLING_PROVIDER": "sandbox"})
