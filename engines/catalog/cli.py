"""`tessera catalog import|export SLUG FILE.csv`: a shop's items as CSV."""

from __future__ import annotations

import click

from core.commands import app_context, tenant_or_fail


@click.group()
def catalog():
    """Items and categories."""


@catalog.command("import")
@click.argument("slug")
@click.argument("file", type=click.File("r", encoding="utf-8-sig"))
def catalog_import(slug: str, file):
    """Import items from CSV (columns name,category,kind,price,stock[,options,sku_code,status,
    description]); a bad row is reported by line and nothing is imported."""
    from core.db import db as database
    from core.errors import APIError
    from core.tenancy import tenant_scope
    from engines.catalog.csv_io import import_csv

    with app_context():
        with tenant_scope(tenant_or_fail(slug)):
            try:
                items = import_csv(file.read())
            except APIError as error:
                database.session.rollback()
                for where, messages in error.fields.items():
                    click.echo(f"{where}: {'; '.join(map(str, messages))}", err=True)
                raise click.ClickException(error.message) from None
            database.session.commit()
            click.echo(f"imported {len(items)} item(s) into {slug}")


@catalog.command("export")
@click.argument("slug")
def catalog_export(slug: str):
    """Print the catalog as CSV, in the import's format."""
    from core.tenancy import tenant_scope
    from engines.catalog.csv_io import export_csv

    with app_context():
        with tenant_scope(tenant_or_fail(slug)):
            click.echo(export_csv(), nl=False)
