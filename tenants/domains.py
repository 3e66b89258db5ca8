"""Custom domains: a merchant adds a host name, proves it by a DNS TXT record, and chooses the
primary one; the storefront and API answer on every verified name (core.resolution reads
`domains.verified_at`, and forgets its cache when a row changes, in every process).

The proof: a TXT record at `_tessera.<host>` whose text is `tessera-verify=<token>`. It is read
through the resolver in `current_app.extensions["tessera_txt_resolver"]` (dnspython's by
default; tests give their own, so they run offline), when the merchant asks and by the
`domains.check_pending` sweeper for a week after the name was added. A verified name that
loses its record stays verified (certificates and links depend on it); removing it is the
merchant's act. How many names a shop may have is a plan limit ("domains").

TLS: a reverse proxy with on-demand certificates asks `/.well-known/tessera/tls-allowed?domain=`
before it gets a certificate for a name (docs/deployment.md)."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Callable

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from core import audit
from core.db import add_unique, db, utcnow
from core.errors import APIError
from core.identities import Identity
from core.jobs import periodic
from core.plans import register_limit, require_room
from core.resellers import Reseller
from core.resolution import directory
from core.tenancy import Domain, Tenant, current_tenant_id, platform_scope

RECORD_PREFIX = "_tessera."
TOKEN_PREFIX = "tessera-verify="
CHECK_DAYS = 7  # the sweeper looks for a new name's record this long
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

TxtResolver = Callable[[str], list[str]]


def dns_txt(name: str) -> list[str]:
    """The TXT strings at `name` (empty when there are none), from the system's DNS resolver."""
    import dns.exception
    import dns.resolver

    try:
        answer = dns.resolver.resolve(name, "TXT", lifetime=5)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.NoNameservers):
        return []
    except dns.exception.Timeout:
        raise APIError("invalid_input", _("The DNS did not answer in time; try again in a minute.")) from None
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def _resolver() -> TxtResolver:
    return current_app.extensions.get("tessera_txt_resolver", dns_txt)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Domain).where(Domain.tenant_id == current_tenant_id()))


register_limit("domains", _l("Custom domains"), _count)


def normal_host(text: str) -> str:
    """A host name as stored (lower case, IDNA for other scripts), or 422 on `host` saying why."""
    host = re.sub(r"^https?://", "", (text or "").strip().lower()).split("/", 1)[0].rstrip(".")
    try:
        host = host.encode("idna").decode("ascii") if host and not host.isascii() else host
    except UnicodeError:
        host = ""
    labels = host.split(".")
    base = current_app.config["BASE_DOMAIN"]
    if len(host) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels) \
            or labels[-1].isdigit():
        raise APIError("invalid_input", fields={"host": [_("Enter a domain name such as shop.example.com.")]})
    if host == base or host.endswith("." + base):
        raise APIError("invalid_input", fields={"host": [_("This is the platform's own address: enter yours.")]})
    return host


def add_domain(tenant: Tenant, text: str, *, actor: Identity | None = None, ip: str | None = None) -> Domain:
    """A name the shop wants, not yet verified, with the token its TXT record must carry; within
    the plan; refused when any shop has it already."""
    host = normal_host(text)
    if db.session.scalar(select(Domain.id).where(Domain.host == host)):
        raise APIError("invalid_input", fields={"host": [_("This domain is already added to a shop.")]})
    require_room("domains")
    domain = add_unique(Domain(host=host, tenant_id=tenant.id, token=secrets.token_urlsafe(24)),
                        APIError("invalid_input", fields={"host": [_("This domain is already added to a shop.")]}))
    audit.record("domain.add", actor=actor, tenant_id=tenant.id, target=host, ip=ip)
    return domain


def record_name(domain: Domain) -> str:
    return RECORD_PREFIX + domain.host


def record_value(domain: Domain) -> str:
    return TOKEN_PREFIX + (domain.token or "")


def check_domain(domain: Domain, *, actor: Identity | None = None, ip: str | None = None,
                 now: dt.datetime | None = None) -> bool:
    """Look up the name's TXT record now: verified when it carries the token (the first verified
    name becomes the primary one); else the problem is kept to show."""
    if domain.verified_at is not None:
        return True
    now = now or utcnow()
    found = _resolver()(record_name(domain))
    domain.checked_at = now
    if record_value(domain) in [text.strip() for text in found]:
        domain.verified_at, domain.problem = now, None
        if not db.session.scalar(select(Domain.id).where(Domain.tenant_id == domain.tenant_id,
                                                         Domain.is_primary.is_(True))):
            domain.is_primary = True
        audit.record("domain.verify", actor=actor, tenant_id=domain.tenant_id, target=domain.host, ip=ip)
        directory.forget()  # this process's "no shop there" for the name (the others' lasts seconds)
        return True
    domain.problem = (_("No TXT record at %(name)s yet (DNS changes can take a while).", name=record_name(domain))
                      if not found else _("The TXT record at %(name)s does not carry this shop's token.",
                                          name=record_name(domain)))[:200]
    return False


def make_primary(domain: Domain, *, actor: Identity | None = None, ip: str | None = None) -> None:
    if domain.verified_at is None:
        raise APIError("invalid_input", fields={"host": [_("Verify the domain first.")]})
    db.session.execute(update(Domain).where(Domain.tenant_id == domain.tenant_id, Domain.id != domain.id)
                       .values(is_primary=False).execution_options(synchronize_session="fetch"))
    domain.is_primary = True
    audit.record("domain.primary", actor=actor, tenant_id=domain.tenant_id, target=domain.host, ip=ip)


def remove_domain(domain: Domain, *, actor: Identity | None = None, ip: str | None = None) -> None:
    audit.record("domain.remove", actor=actor, tenant_id=domain.tenant_id, target=domain.host, ip=ip)
    db.session.delete(domain)


def domains_of(tenant_id: int) -> list[Domain]:
    return list(db.session.scalars(select(Domain).where(Domain.tenant_id == tenant_id)
                                   .order_by(Domain.is_primary.desc(), Domain.created_at)))


def domain_of(tenant_id: int, domain_id: int) -> Domain:
    """One of the shop's own names (404 for another shop's)."""
    domain = db.session.get(Domain, domain_id)
    if domain is None or domain.tenant_id != tenant_id:
        raise APIError("not_found")
    return domain


def tls_allowed(host: str) -> bool:
    """Whether a certificate may be issued for `host`: a verified name of a shop, or a reseller's
    domain (set by the platform)."""
    host = (host or "").strip().lower()[:253]
    return bool(db.session.scalar(select(Domain.id).where(Domain.host == host, Domain.verified_at.is_not(None)))
                or db.session.scalar(select(Reseller.id).where(Reseller.domain == host)))


def check_pending(now: dt.datetime | None = None) -> int:
    """Look again for the records of names added in the last week and not yet verified."""
    now = now or utcnow()
    verified = 0
    with platform_scope():
        pending = list(db.session.scalars(select(Domain).where(
            Domain.verified_at.is_(None), Domain.token.is_not(None),
            Domain.created_at > now - dt.timedelta(days=CHECK_DAYS)).order_by(Domain.id).limit(200)))
        for domain in pending:
            try:
                verified += check_domain(domain, now=now)
            except APIError:  # a DNS timeout: the next sweep tries again
                continue
    db.session.commit()
    return verified


@periodic("domains.check_pending", seconds=600)
def domains_check_pending(now: dt.datetime | None = None) -> int:
    return check_pending(now)
