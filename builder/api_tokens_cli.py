"""`tessera api-tokens create|list|revoke SLUG …`: a shop's staff API tokens from the command line
(the back office's /merchant/api-tokens page does the same). `create` prints the token as the last
line of its output, the only time it is shown."""

from __future__ import annotations

import click

from core.commands import app_context, fail_on_api_error, tenant_or_fail


@click.group("api-tokens")
def api_tokens():
    """Staff API tokens: the keys of the Admin API (/admin/api/v1)."""


@api_tokens.command("create")
@click.argument("slug")
@click.option("--email", required=True, help="The staff member the token acts for.")
@click.option("--permissions", default="", help="Comma-separated (default: every permission of the member's role).")
@click.option("--name", default="Command line", show_default=True, help="What will use the token.")
@click.option("--expires-days", type=int, default=None, help="Days until it stops working (default: until revoked).")
@fail_on_api_error
def create(slug: str, email: str, permissions: str, name: str, expires_days: int | None):
    """Make a token carrying some of a staff member's permissions; print it last."""
    from core.db import db
    from core.identities import find_identity, staff_member_for
    from core.staff_tokens import create_token, grantable_permissions
    from core.tenancy import tenant_scope

    with app_context():
        with tenant_scope(tenant_or_fail(slug)):
            identity = find_identity(email)
            member = staff_member_for(identity.id) if identity is not None else None
            if member is None:
                raise click.ClickException(f"{email} is not on the staff of {slug}")
            wanted = [p.strip() for p in permissions.split(",") if p.strip()] or grantable_permissions(member.role)
            token, text = create_token(member=member, name=name, permissions=wanted, expires_in_days=expires_days,
                                       actor=None, via="cli")
            db.session.commit()
            click.echo(f"API token {token.id} '{token.name}' for {identity.email} ({member.role}) in {slug}")
            click.echo(f"permissions: {', '.join(token.permissions)}")
            click.echo(f"expires: {token.expires_at.isoformat() if token.expires_at else 'never (until revoked)'}")
            click.echo("It is shown only this once:")
            click.echo(text)


@api_tokens.command("list")
@click.argument("slug")
def list_tokens(slug: str):
    """The shop's tokens, newest first (never their secrets)."""
    from core.staff_tokens import tokens_of_shop
    from core.tenancy import tenant_scope

    def when(value) -> str:
        return value.strftime("%Y-%m-%d %H:%M") if value else "-"

    with app_context():
        with tenant_scope(tenant_or_fail(slug)):
            rows = tokens_of_shop()
            if not rows:
                click.echo(f"{slug} has no API tokens")
            for token, member, identity in rows:
                click.echo(f"{token.id}  {token.state():<8} {token.name}  {identity.email} ({member.role})  "
                           f"[{', '.join(token.permissions)}]  created {when(token.created_at)}  "
                           f"last used {when(token.last_used_at)}  expires {when(token.expires_at)}")


@api_tokens.command("revoke")
@click.argument("slug")
@click.argument("token_id")
@fail_on_api_error
def revoke(slug: str, token_id: str):
    """Revoke a token: its next request is refused."""
    from core.db import db
    from core.ids import parse_id
    from core.staff_tokens import find_token, revoke_token
    from core.tenancy import tenant_scope

    with app_context():
        with tenant_scope(tenant_or_fail(slug)):
            token = find_token(parse_id(token_id))
            if revoke_token(token, actor=None, via="cli"):
                db.session.commit()
                click.echo(f"revoked API token {token.id} '{token.name}'")
            else:
                click.echo(f"API token {token.id} '{token.name}' was revoked already")
