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
    ("TESSERA_S3_ENDPOINT_URL", "ftp://x"), ("STRIPE_API_KEY", "pk_live_x"), ("SECRET_KEY", "short"),
    ("TESSERA_BASE_DOMAIN", "bad domain"),
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
