"""The `tessera` command: run, db, admin, tenants, worker."""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
import threading
from pathlib import Path

import click

from builder.api_tokens_cli import api_tokens as api_tokens_group
from core.commands import fail_on_api_error, tenant_or_fail
from core.config import ConfigError, load_config


def _config() -> dict:
    try:
        return load_config()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _app():
    from app import create_app

    try:
        return create_app()
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


@contextlib.contextmanager
def _app_context():
    """The app for one command; its database connections are closed when the command ends."""
    from core.db import db as database

    app = _app()
    with app.app_context():
        try:
            yield app
        finally:
            database.session.remove()
            database.engine.dispose()


@click.group()
@click.pass_context
def main(ctx):
    """Tessera: multi-tenant mini-program builder."""
    ctx.ensure_object(dict)["app_context"] = _app_context  # for the engines' commands (core.commands)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host: str, port: int):
    """Migrate and serve. In development (the default) also create the demo shop and logins on
    first run; in production (TESSERA_ENV=production) there are none: `tessera admin create`."""
    from core.migrate import upgrade
    from core.single_process import AnotherProcessServes, claim

    config = _config()
    if not config["REDIS_URL"]:
        try:
            claim(config["INSTANCE_PATH"])
        except AnotherProcessServes as error:
            raise click.ClickException(str(error)) from None
    upgrade(config["SQLALCHEMY_DATABASE_URI"])
    app = _app()
    production = config["TESSERA_ENV"] == "production"
    logins = None
    if not production:
        with app.app_context():
            logins = _ensure_demo(Path(config["INSTANCE_PATH"]))
    runner = app.extensions["tessera_jobs"]
    if runner.mode == "inline":
        runner.scheduler.start()
    base = f"http://{'localhost' if host in ('127.0.0.1', '0.0.0.0') else host}:{port}"
    database = "SQLite" if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") else "PostgreSQL"
    click.echo(f"""
Tessera ({config['TESSERA_ENV']}) is running with {database}, {'rq jobs' if runner.mode == 'rq' else 'inline jobs'}, \
{'S3' if config['S3_BUCKET'] else 'local'} media, SMS provider: {config['SMS_PROVIDER']}.
""")
    if logins is None:
        click.echo(f"""  Platform console      {base}/console/   (create an admin: tessera admin create EMAIL PASSWORD)
  Merchant back office  {base}/merchant/
  Health                {base}/healthz  {base}/readyz
""")
    else:
        click.echo(f"""  Platform console      {base}/console/     {logins['admin']['email']} / {logins['admin']['password']}
  Merchant back office  {base}/merchant/    {logins['owner']['email']} / {logins['owner']['password']}
  Designer              {base}/merchant/designer/
  Demo storefront (H5)  {base}/s/{logins['tenant']}/   (sandbox payments: the pay page confirms them)
  Consumer API          {base}/api/v1/…  (header X-Tenant: {logins['tenant']}; {base}/api/v1/openapi.json)
  Admin API             {base}/admin/api/v1/…  (a staff token from /merchant/api-tokens or `tessera api-tokens create`; {base}/admin/api/v1/openapi.json)
  Health                {base}/healthz  {base}/readyz

Demo logins are kept in {Path(config['INSTANCE_PATH']) / 'demo-logins.json'}. Press Ctrl+C to stop.
""")
    app.run(host=host, port=port, threaded=True, use_reloader=False, debug=False)


DEMO_DOCUMENT = {
    "schema_version": 1,
    "app": {"name": "Demo Shop", "engines": ["catalog"],
            "tabbar": [{"page": "home", "label": "Home", "icon": "home"},
                       {"page": "about", "label": "About", "icon": "shop"}]},
    "pages": {
        "home": {"title": "Demo Shop", "order": ["notice", "items", "welcome", "intro"], "sections": {
            "notice": {"type": "notice_bar", "settings": {"text": "Welcome to the Tessera demo shop"}},
            "items": {"type": "item_grid", "settings": {"title": "New in"}},
            "welcome": {"type": "title", "settings": {"text": "Make it yours", "subtitle": "Open the designer in the back office",
                                                       "link": "page:about", "link_text": "About"}},
            "intro": {"type": "rich_text", "settings": {"html": "<p>This page is the demo shop's published app. "
                                                                "Sign in to the back office, open <b>Designer</b>, "
                                                                "drag components in and publish.</p>"}}}},
        "about": {"title": "About us", "order": ["text"], "sections": {
            "text": {"type": "rich_text", "settings": {"html": "<p>A shop built with Tessera.</p>"}}}},
        "item": {"title": "Item", "kind": "item", "order": ["detail"], "sections": {"detail": {"type": "item_detail"}}},
    },
}


# Things to buy and ways to get them, so the purchase can be tried at once (a template's demo
# data: each engine loads its part).
DEMO_DATA = {
    "items": [
        {"name": "Oolong tea", "price": "68.00", "stock": 100, "subtitle": "Tie Guan Yin, 250 g"},
        {"name": "Tea cup", "price": "29.00", "stock": 40, "options": [{"name": "Colour", "values": ["White", "Celadon"]}]},
        {"name": "Milk tea", "kind": "dish", "price": "15.00", "stock": 200, "option_groups": [
            {"name": "Sweetness", "min": 1, "max": 1, "choices": [{"name": "Full"}, {"name": "Half"}, {"name": "None"}]},
            {"name": "Toppings", "min": 0, "max": 2, "choices": [{"name": "Pearls", "price": "2.00"},
                                                                 {"name": "Pudding", "price": "3.00"}]}]},
    ],
    "stores": [{"name": "Demo store", "address": "1 Zhongshan Road", "latitude": 31.2304, "longitude": 121.4737,
                "hours": "09:00-21:00", "delivery_bands": [{"up_to_km": 3, "fee": "5.00"}, {"up_to_km": 8, "fee": "12.00"}],
                "tables": ["A1"]}],
    "shipping": {"name": "Standard", "free_above": "99.00", "rules": [
        {"regions": [], "first": 1, "first_fee": "10.00", "additional": 1, "additional_fee": "3.00"}]},
}


def _ensure_template_demos() -> None:
    """A live demo shop per template (`tpl-<slug>`, with its demo data), linked from the gallery."""
    from core.tenancy import find_tenant, tenant_scope
    from templates_library.gallery import demo_slug
    from templates_library.registry import templates
    from templates_library.services import instantiate
    from tenants.services import create_tenant

    for slug, template in templates().items():
        if find_tenant(demo_slug(slug)) is None:
            tenant = create_tenant(slug=demo_slug(slug), name=template.name.split(" ")[0] + " demo")
            with tenant_scope(tenant):
                instantiate(slug, demo_data=True, actor="demo")


def _ensure_demo(instance: Path) -> dict:
    """A platform admin, a demo shop and its owner on first run; the same logins afterwards."""
    from core.db import db
    from core.identities import find_identity
    from core.tenancy import find_tenant, tenant_scope
    from runtime.services import ensure_app, publish, save_draft
    from templates_library.services import load_demo
    from tenants.services import create_tenant

    path = instance / "demo-logins.json"
    if path.exists():
        logins = json.loads(path.read_text())
        if find_identity(logins["admin"]["email"]) is not None:
            return logins
    logins = {"admin": {"email": "admin@example.com", "password": secrets.token_urlsafe(9)},
              "owner": {"email": "owner@example.com", "password": secrets.token_urlsafe(9)},
              "tenant": "demo"}
    from core.identities import create_identity
    from core.passwords import hash_password

    admin = find_identity(logins["admin"]["email"])
    if admin is None:
        create_identity(email=logins["admin"]["email"], password=logins["admin"]["password"], name="Demo admin",
                        platform_admin=True)
    else:
        admin.password_hash = hash_password(logins["admin"]["password"])
    owner = find_identity(logins["owner"]["email"])
    if owner is not None:
        owner.password_hash = hash_password(logins["owner"]["password"])
    if find_tenant("demo") is None:
        tenant = create_tenant(slug="demo", name="Demo Shop", owner_email=logins["owner"]["email"],
                               owner_password=logins["owner"]["password"])
        with tenant_scope(tenant):
            save_draft(document=DEMO_DOCUMENT, revision=ensure_app().revision, actor="demo")
            load_demo(DEMO_DATA)
            publish(note="Demo shop", actor="demo")
    _ensure_template_demos()
    db.session.commit()
    path.write_text(json.dumps(logins, indent=2))
    path.chmod(0o600)
    return logins


@main.group()
def db():
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str):
    """Apply the migrations (SQLite or PostgreSQL)."""
    from core.migrate import upgrade

    upgrade(_config()["SQLALCHEMY_DATABASE_URI"], revision)
    click.echo("database is up to date")


@main.group()
def admin():
    """Platform administrators."""


@admin.command("create")
@click.argument("email")
@click.argument("password")
@fail_on_api_error
def admin_create(email: str, password: str):
    """Create a platform admin (or make an existing identity one)."""
    from core import audit
    from core.db import db as database
    from core.identities import create_identity, find_identity

    with _app_context():
        identity = find_identity(email)
        if identity is None:
            identity = create_identity(email=email, password=password, platform_admin=True)
        else:
            identity.is_platform_admin = True
        audit.record("admin.create", target=identity.email, details={"via": "cli"})
        database.session.commit()
        click.echo(f"platform admin {identity.email} ready; sign in at /console/")


@main.group()
def tenants():
    """Tenants (shops)."""


@tenants.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--currency", default="CNY", show_default=True)
@click.option("--timezone", default="Asia/Shanghai", show_default=True)
@click.option("--owner-email")
@click.option("--owner-password")
@click.option("--template", "template_slug", help="Start from this template (tessera templates list).")
@click.option("--demo-data", is_flag=True, help="With --template: load its demo items, stores and articles.")
@fail_on_api_error
def tenants_create(slug, name, currency, timezone, owner_email, owner_password, template_slug, demo_data):
    """Create a tenant, with its owner when --owner-email is given, from a template when
    --template is given (its document published as version 1)."""
    from core.db import db as database
    from core.tenancy import tenant_scope
    from templates_library.services import instantiate, template_or_404
    from tenants.services import create_tenant

    if demo_data and not template_slug:
        raise click.UsageError("--demo-data needs --template")
    with _app_context():
        if template_slug:
            template_or_404(template_slug)
        tenant = create_tenant(slug=slug, name=name, currency=currency, timezone=timezone,
                               owner_email=owner_email, owner_password=owner_password)
        if template_slug:
            with tenant_scope(tenant):
                version = instantiate(template_slug, demo_data=demo_data, actor="cli")
        database.session.commit()
        click.echo(f"created {tenant.slug} (id {tenant.id}): storefront /s/{tenant.slug}/")
        if template_slug:
            click.echo(f"from the {template_slug} template{' with demo data' if demo_data else ''}: "
                       f"version {version.number} published")


@tenants.command("list")
@click.option("--json", "as_json", is_flag=True)
def tenants_list(as_json: bool):
    """List every tenant."""
    from sqlalchemy import select

    from core.db import db as database
    from core.tenancy import Tenant

    with _app_context():
        rows = database.session.scalars(select(Tenant).order_by(Tenant.slug)).all()
        if as_json:
            click.echo(json.dumps([{"id": str(t.id), "slug": t.slug, "name": t.name, "currency": t.currency,
                                    "timezone": t.timezone, "status": t.status.value} for t in rows], indent=2))
            return
        for t in rows:
            click.echo(f"{t.slug:<24} {t.status.value:<10} {t.currency}  {t.timezone:<20} {t.name}")
        if not rows:
            click.echo("no tenants yet: tessera tenants create SLUG --name NAME")


def _status_command(name: str, service_name: str):
    @tenants.command(name)
    @click.argument("slug")
    def command(slug: str):
        from core.db import db as database
        from core.tenancy import find_tenant
        import tenants.services as services

        with _app_context():
            tenant = find_tenant(slug)
            if tenant is None:
                raise click.ClickException(f"no tenant {slug!r}")
            getattr(services, service_name)(tenant=tenant)
            database.session.commit()
            click.echo(f"{slug} is {tenant.status.value}")

    command.__doc__ = f"{name.capitalize()} a tenant (its data is kept)."
    return command


_status_command("suspend", "suspend_tenant")
_status_command("resume", "resume_tenant")


@tenants.command("plan")
@click.argument("slug")
@click.argument("plan_slug", metavar="PLAN")
@fail_on_api_error
def tenants_plan(slug: str, plan_slug: str):
    """Put a tenant on a plan (tessera plans list); `none`: no plan, no limits."""
    from sqlalchemy import select

    from core.db import db as database
    from core.plans import Plan
    from tenants.plans import assign_plan

    with _app_context():
        tenant = tenant_or_fail(slug)
        plan = None if plan_slug == "none" else database.session.scalar(select(Plan).where(Plan.slug == plan_slug))
        if plan_slug != "none" and plan is None:
            raise click.ClickException(f"no plan {plan_slug!r}: tessera plans list")
        assign_plan(tenant, plan)
        database.session.commit()
        click.echo(f"{slug} is on {plan.slug if plan else 'no plan (no limits)'}")


@main.group()
def plans():
    """Plans: what a shop may have (items, pages, staff accounts) and what it costs."""


def _limits(pairs: tuple[str, ...]) -> dict:
    limits = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not value.isdigit():
            raise click.UsageError(f"--limit {pair!r}: write NAME=NUMBER, e.g. items=100")
        limits[name.strip()] = int(value)
    return limits


@plans.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--price", default="0", show_default=True, help="A month, e.g. 99.00")
@click.option("--currency", default="CNY", show_default=True)
@click.option("--limit", "limit_pairs", multiple=True, metavar="NAME=N", help="e.g. items=100 (repeat; none: unlimited)")
@click.option("--position", default=0, show_default=True, help="The order plans are offered in, smallest first")
@click.option("--trial-days", default=0, show_default=True,
              help="A shop signing itself up tries the first plan offered with a trial this long")
@fail_on_api_error
def plans_create(slug, name, price, currency, limit_pairs, position, trial_days):
    """Create a plan."""
    from core.db import db as database
    from core.money import Money, MoneyError
    from tenants.plans import create_plan

    try:
        amount = Money.parse(price, currency).amount
    except (MoneyError, KeyError, ValueError):
        raise click.UsageError(f"--price {price!r}: a price such as 99.00") from None
    with _app_context():
        plan = create_plan(slug=slug, name=name, price=amount, currency=currency, limits=_limits(limit_pairs),
                           position=position, trial_days=trial_days)
        database.session.commit()
        click.echo(f"created plan {plan.slug}: {plan.limits or 'no limits'}"
                   + (f", a {plan.trial_days}-day trial" if plan.trial_days else ""))


@plans.command("list")
@click.option("--json", "as_json", is_flag=True)
def plans_list(as_json: bool):
    """List the plans, with how many shops are on each."""
    from core.money import Money
    from tenants.plans import plans_with_shops

    with _app_context():
        rows = plans_with_shops()
        if as_json:
            click.echo(json.dumps([{"slug": p.slug, "name": p.name, "price": p.price, "currency": p.currency,
                                    "limits": p.limits, "active": p.active, "shops": shops} for p, shops in rows],
                                  indent=2))
            return
        for plan, shops in rows:
            click.echo(f"{plan.slug:<16} {Money(plan.price, plan.currency).format():>12}  {shops:>5} shops  "
                       f"{plan.limits or 'no limits'}{'' if plan.active else '  (not offered)'}")
        if not rows:
            click.echo("no plans yet: tessera plans create SLUG --name NAME --limit items=100")


@main.group()
def resellers():
    """Resellers: white-label partners selling shops under their own brand."""


@resellers.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The brand's name, shown to its merchants.")
@click.option("--domain", required=True, help="Its console, back office and sign-up, e.g. shops.example.com.")
@click.option("--quota", type=int, default=10, show_default=True, help="How many shops it may run.")
@click.option("--owner-email", required=True)
@click.option("--owner-password", help="Needed when the owner has no account yet.")
@fail_on_api_error
def resellers_create(slug, name, domain, quota, owner_email, owner_password):
    """Create a reseller and its owner."""
    from core.db import db as database
    from tenants.resellers import create_reseller

    with _app_context():
        reseller = create_reseller(slug=slug, name=name, domain=domain, quota=quota, owner_email=owner_email,
                                   owner_password=owner_password, via="cli")
        database.session.commit()
        click.echo(f"created reseller {reseller.slug} (id {reseller.id}): its team signs in at "
                   f"https://{reseller.domain}/reseller/ once {reseller.domain} points to Tessera")


@resellers.command("list")
@click.option("--json", "as_json", is_flag=True)
def resellers_list(as_json: bool):
    """List the resellers, with how many shops each runs of its quota."""
    from tenants.resellers import all_resellers, shop_counts

    with _app_context():
        rows, counts = all_resellers(), shop_counts()
        if as_json:
            click.echo(json.dumps([{"id": str(r.id), "slug": r.slug, "name": r.name, "domain": r.domain,
                                    "quota": r.quota, "shops": counts.get(r.id, 0), "status": r.status.value}
                                   for r in rows], indent=2))
            return
        for r in rows:
            click.echo(f"{r.slug:<20} {r.domain:<32} {counts.get(r.id, 0):>5} / {r.quota:<5} shops  {r.status.value}")
        if not rows:
            click.echo("no resellers yet: tessera resellers create SLUG --name N --domain D --owner-email E")


@main.group("app")
def app_group():
    """A tenant's app document, stored as code."""


@app_group.command("export")
@click.argument("slug")
@click.option("--draft", "which", flag_value="draft", help="The draft (the default is the live version).")
@click.option("--version", "number", type=int, help="A published version by number.")
def app_export(slug: str, which: str | None, number: int | None):
    """Print the document as JSON."""
    from core.tenancy import tenant_scope
    from runtime.services import get_app, get_version

    with _app_context():
        with tenant_scope(tenant_or_fail(slug)):
            app = get_app()
            if app is None:
                raise click.ClickException(f"{slug} has no app")
            if which == "draft":
                document = app.draft
            else:
                number = number or app.published_number
                if number is None:
                    raise click.ClickException(f"{slug} has published nothing yet; use --draft")
                document = fail_on_api_error(get_version)(number).document
            click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@app_group.command("import")
@click.argument("slug")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--publish", "publish_it", is_flag=True, help="Publish it as a new version too.")
@click.option("--note", default="", help="The version note when publishing.")
def app_import(slug: str, file, publish_it: bool, note: str):
    """Validate a document and save it as the draft (and publish it). An invalid document
    changes nothing and exits non-zero with every error and its path."""
    from core.db import db as database
    from core.errors import APIError
    from core.tenancy import tenant_scope
    from runtime.services import ensure_app, publish, publish_warnings, save_draft

    try:
        document = json.load(file)
    except json.JSONDecodeError as error:
        raise click.ClickException(f"{file.name} is not JSON: {error}") from None
    with _app_context():
        with tenant_scope(tenant_or_fail(slug)):
            try:
                app = save_draft(document=document, revision=ensure_app().revision, actor="cli")
                version = publish(note=note, actor="cli") if publish_it else None
            except APIError as error:
                database.session.rollback()
                for path, messages in error.fields.items():
                    click.echo(f"{path}: {' '.join(messages)}", err=True)
                raise click.ClickException(error.message) from None
            database.session.commit()
            click.echo(f"draft saved (revision {app.revision})" + (f"; published version {version.number}" if version else ""))
            for warning in publish_warnings(app.draft):
                click.echo(f"warning: {warning}", err=True)


@app_group.command("schema")
def app_schema():
    """Print the JSON Schema of the app document (generated from the validating definitions)."""
    from runtime.document import json_schema

    with _app_context():
        click.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@main.group()
def components():
    """Page component types."""


@components.command("list")
@click.option("--json", "as_json", is_flag=True, help="The full descriptors the designer uses.")
def components_list(as_json: bool):
    """The component types, with the descriptors the designer builds its panels from."""
    from core.components import registry

    with _app_context():
        descriptors = [c.descriptor() for c in registry.all()]
    if as_json:
        click.echo(json.dumps(descriptors, indent=2, ensure_ascii=False))
        return
    for d in descriptors:
        engine = f" [{d['engine']}]" if d["engine"] else ""
        click.echo(f"{d['type']:<18} {d['group']:<10} {d['label']}{engine}: "
                   f"{', '.join(f['id'] for f in d['settings'])}")


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool):
    """Run an rq worker for REDIS_URL, with its scheduler, the periodic sweeps and the relay that
    moves the jobs requests hand over onto rq's queue."""
    from core.jobs import enqueue_due_periodic, relay_until
    from core.worker import AppWorker

    app = _app()
    runner = app.extensions["tessera_jobs"]
    if runner.mode != "rq":
        raise click.ClickException("REDIS_URL is not set: jobs run inline in `tessera run`; there is nothing to work on")
    rq_worker = AppWorker([runner.queue], connection=runner.connection, app=app)
    if burst:  # what the jobs run hand over in turn is relayed and run too
        while runner.relay() or runner.queue.count:
            while runner.relay():
                pass
            rq_worker.work(with_scheduler=True, burst=True)
        return
    stop = threading.Event()

    def periodic_loop():
        while not stop.wait(5):
            enqueue_due_periodic(runner)

    threading.Thread(target=periodic_loop, daemon=True, name="tessera-periodic").start()
    threading.Thread(target=relay_until, args=(runner, stop), daemon=True, name="tessera-relay").start()
    rq_worker.work(with_scheduler=True)
    stop.set()


@main.group()
def engines():
    """The engines and what each brings."""


@engines.command("list")
@click.option("--json", "as_json", is_flag=True)
def engines_list(as_json: bool):
    """Print each engine with everything it declares (blueprints, components, settings,
    permissions, navigation, jobs, events, demo data, commands, pickers)."""
    from core.engines import registry as engine_registry

    described = [engine.describe() for engine in engine_registry()]
    if as_json:
        click.echo(json.dumps(described, indent=2, ensure_ascii=False))
        return
    for engine in described:
        click.echo(f"{engine['name']} — {engine['label']}: {engine['description']}")
        for key, value in engine.items():
            if key not in ("name", "label", "description") and value not in (None, [], False):
                click.echo(f"  {key}: {json.dumps(value, ensure_ascii=False)}")


def _add_engine_commands() -> None:
    from core.engines import load, registry as engine_registry
    from core.events import events_command

    main.add_command(events_command)
    for engine in engine_registry():
        for reference in engine.cli:
            main.add_command(load(reference))


_add_engine_commands()
main.add_command(api_tokens_group)


@main.group()
def templates():
    """The industry templates."""


@templates.command("list")
@click.option("--json", "as_json", is_flag=True)
def templates_list(as_json: bool):
    """List the templates a shop can start from."""
    from templates_library.registry import templates as registry

    rows = list(registry().values())
    if as_json:
        click.echo(json.dumps([{"slug": t.slug, "name": t.name, "industry": t.industry, "version": t.version,
                                "engines": list(t.engines), "description": t.description} for t in rows], indent=2,
                              ensure_ascii=False))
        return
    for t in rows:
        click.echo(f"{t.slug:<12} {t.version:<8} {t.industry:<10} {t.name}")


if __name__ == "__main__":
    sys.exit(main())
