"""The shape of the house (DESIGN.md §1, §2): import direction, Citus readiness, packaging."""

from __future__ import annotations

import ast
from pathlib import Path

from importlinter.cli import lint_imports

from core.citus import distribution_problems, is_tenant_table
from core.db import db
from core.tenancy import tenant_tables

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["core", "tenants", "engines", "runtime", "builder", "templates_library"]


def test_imports_flow_downward():
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


def test_no_package_imports_the_app_or_the_cli():
    offenders = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names
                              if name.split(".")[0] in ("app", "cli")]
    assert offenders == []


def test_every_tenant_table_is_distributable(app):
    names = {t.name for t in tenant_tables()}
    assert names  # the check below must not pass vacuously
    assert [p for t in tenant_tables() for p in distribution_problems(t, names)] == []


def test_migrations_on_citus_distribute_exactly_the_tenant_tables(app):
    """What a migration on Citus decides from the table it creates (its primary key led by
    tenant_id: distributed; otherwise a reference table) is what the models say."""
    from core.db import db

    tenant = {t.name for t in tenant_tables()}
    assert {t.name for t in db.metadata.sorted_tables if is_tenant_table(t)} == tenant
    assert {t.name for t in db.metadata.sorted_tables if not is_tenant_table(t)} == {
        "tenants", "identities", "domains", "audit_entries", "plans", "subscriptions", "resellers", "reseller_staff",
        "reseller_prices", "reseller_tokens", "platform_idempotency_keys", "billing_events"}


def test_distribution_problems_are_found():
    from sqlalchemy import BigInteger, Column, MetaData, String, Table, UniqueConstraint

    bad = Table("bad", MetaData(), Column("id", BigInteger, primary_key=True), Column("tenant_id", BigInteger),
                Column("code", String(10)), UniqueConstraint("code"))
    problems = distribution_problems(bad, {"bad"})
    assert any("primary key does not include tenant_id" in p for p in problems)
    assert any("lacks tenant_id" in p for p in problems)


def test_templates_and_migrations_ship_as_package_data():
    import tomllib

    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["*"]
    for pattern in ("*.html", "*.css", "*.js", "*.woff2", "*.ini", "*.mako"):
        assert pattern in data


def test_the_migrations_build_exactly_the_models(app):
    """The test databases are built by the migrations: they must hold what the models declare
    (a model changed without a migration shows up here)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata) == []


ENGINE_NAMES = sorted(path.parent.name for path in (ROOT / "engines").glob("*/__init__.py"))


def test_nothing_outside_an_engine_names_it():
    """Adding an engine touches its own package, a migration and the templates that use it:
    the app, the CLI, the runtime, the designer, the consoles and the template library find it
    in the registry (core.engines), and no other engine names it but through the edges of the
    import contract."""
    offenders = []
    for path in [ROOT / "app.py", ROOT / "cli.py", *(p for package in PACKAGES if package != "engines"
                                                     for p in (ROOT / package).rglob("*.py"))]:
        text = path.read_text()
        for name in ENGINE_NAMES:
            if f"engines.{name}" in text or f"engines/{name}" in text:
                offenders.append(f"{path.relative_to(ROOT)} names engines.{name}")
    for path in [*(ROOT / "builder" / "static").rglob("*.js"), *(ROOT / "runtime" / "static").rglob("*.js")]:
        for name in ENGINE_NAMES:
            if f"engines.{name}" in path.read_text():
                offenders.append(f"{path.relative_to(ROOT)} names engines.{name}")
    assert ENGINE_NAMES and offenders == []


def test_every_engine_declares_itself_and_its_parts_exist(app):
    from core.engines import load, registry

    assert [engine.name for engine in registry()] == ["articles", "catalog", "stores", "orders", "payments", "booking", "marketing", "membership"]
    for engine in registry():
        for reference in (*engine.api, *engine.pages, *engine.development_pages, *engine.back_office, *engine.cli,
                          *engine.modules(), *(r for r in (engine.settings, engine.demo_data) if r)):
            assert load(reference) is not None, (engine.name, reference)
        for dependency in engine.depends_on:
            assert dependency in ENGINE_NAMES
        for entry in engine.navigation:
            assert entry.permission in {p.name for p in engine.permissions}, (engine.name, entry.endpoint)
            assert entry.endpoint in app.view_functions, entry.endpoint
