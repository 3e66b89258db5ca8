"""What the `tessera` command gives the commands engines contribute (declared in their `Engine`):
the app for one command — built by cli.py, the only module that may build it, and handed over as
click's context object — a shop by its slug, and service errors as one line instead of a
traceback."""

from __future__ import annotations

import contextlib
import functools

import click

from core.errors import APIError


@contextlib.contextmanager
def app_context():
    """The app of this `tessera` command, its database connections closed when the command ends."""
    with click.get_current_context().find_root().obj["app_context"]() as app:
        yield app


def tenant_or_fail(slug: str):
    from core.tenancy import find_tenant

    tenant = find_tenant(slug)
    if tenant is None:
        raise click.ClickException(f"no tenant {slug!r}")
    return tenant


def fail_on_api_error(func):
    """Service errors become a one-line message and exit status 1, never a traceback."""

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except APIError as error:
            details = "; ".join(f"{field}: {' '.join(map(str, msgs))}" for field, msgs in error.fields.items())
            raise click.ClickException(f"{error.message}{' (' + details + ')' if details else ''}") from None

    return wrapped
