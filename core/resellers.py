"""Resellers (DESIGN.md §6): who sell shops under their own brand, on their own domain. Platform
tables. This module keeps what every page needs — which reseller a request is for, and the brand
it shows; tenants.resellers runs them (console, provisioning, prices, tokens).

A request is a reseller's when its host is the reseller's domain (their console, the back office
and designer of their shops, their sign-up page), or when the shop it works on is one of theirs:
merchants of a reseller's shop see the reseller's brand, never the platform's. On a reseller's
domain the back office serves that reseller's shops only."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import re

from flask import Blueprint, current_app, g, has_request_context, request
from sqlalchemy import BigInteger, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, str_enum, utcnow
from core.ids import new_id
from core.plans import Plan, offered_plans
from core.tenancy import Tenant

COLOUR = re.compile(r"^#[0-9a-f]{6}$")
PLATFORM_NAME = "Tessera"
PLATFORM_COLOUR = "#206bc4"  # Tabler's primary: the consoles' own look


class ResellerStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # its staff and API are refused; its shops carry on


class Reseller(db.Model):
    """A white-label partner: its brand, its domain, how many shops it may run."""

    __tablename__ = "resellers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))  # the brand's name, shown instead of the platform's
    domain: Mapped[str] = mapped_column(String(253), unique=True)  # its console, back office and sign-up
    quota: Mapped[int] = mapped_column(Integer, default=10)  # shops it may have (deleted ones free a place)
    status: Mapped[ResellerStatus] = mapped_column(str_enum(ResellerStatus), default=ResellerStatus.ACTIVE)
    colour: Mapped[str] = mapped_column(String(7), default=PLATFORM_COLOUR)  # "#rrggbb", checked on the way in
    logo_key: Mapped[str | None] = mapped_column(String(300))  # in media storage
    support_email: Mapped[str | None] = mapped_column(String(254))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:
        return self.status == ResellerStatus.ACTIVE


class ResellerRole(enum.StrEnum):
    OWNER = "owner"  # also manages the team, prices, brand and API tokens
    STAFF = "staff"  # runs the shops


class ResellerStaff(db.Model):
    """An identity's membership of a reseller."""

    __tablename__ = "reseller_staff"
    __table_args__ = (UniqueConstraint("reseller_id", "identity_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("resellers.id", ondelete="RESTRICT"))
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="RESTRICT"), index=True)
    role: Mapped[ResellerRole] = mapped_column(str_enum(ResellerRole), default=ResellerRole.STAFF)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResellerPrice(db.Model):
    """A plan the platform lets a reseller sell: what the reseller pays the platform a month per
    open shop on it (wholesale) and what it asks its merchants (retail), in the plan's currency."""

    __tablename__ = "reseller_prices"
    __table_args__ = (UniqueConstraint("reseller_id", "plan_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, default=new_id)
    reseller_id: Mapped[int] = mapped_column(ForeignKey("resellers.id", ondelete="RESTRICT"))
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"), index=True)
    wholesale: Mapped[int] = mapped_column(BigInteger, default=0)
    retail: Mapped[int] = mapped_column(BigInteger, default=0)


def sellable_plans(reseller: Reseller) -> list[tuple[Plan, ResellerPrice]]:
    """The plans the platform lets the reseller sell, in the order plans are offered."""
    return list(db.session.execute(select(Plan, ResellerPrice).join(ResellerPrice, ResellerPrice.plan_id == Plan.id)
                                   .where(ResellerPrice.reseller_id == reseller.id)
                                   .order_by(Plan.position, Plan.price, Plan.id)).all())


def shop_price_list(tenant: Tenant) -> list[tuple[Plan, int]]:
    """The plans a shop may move to and what they cost it a month: its reseller's retail prices
    for a reseller's shop, the platform's offered plans otherwise."""
    if tenant.reseller_id is not None:
        return [(plan, price.retail) for plan, price in sellable_plans(db.session.get(Reseller, tenant.reseller_id))]
    return [(plan, plan.price) for plan in offered_plans()]


@dataclasses.dataclass(frozen=True)
class Brand:
    """What the consoles, sign-up pages and mails show as the maker: the platform's or a reseller's."""

    name: str
    colour: str = PLATFORM_COLOUR
    logo_key: str | None = None
    support_email: str | None = None
    reseller_id: int | None = None

    @property
    def is_platform(self) -> bool:
        return self.reseller_id is None

    @property
    def version(self) -> str:
        """Changes whenever what the brand's stylesheet says does (its cache key)."""
        return hashlib.sha256(f"{self.colour}|{self.logo_key}".encode()).hexdigest()[:12]


PLATFORM_BRAND = Brand(PLATFORM_NAME)


def brand_of(reseller: Reseller | None) -> Brand:
    if reseller is None:
        return PLATFORM_BRAND
    return Brand(reseller.name, reseller.colour, reseller.logo_key, reseller.support_email, reseller.id)


def request_host() -> str:
    return request.host.split(":", 1)[0].lower()


def host_reseller() -> Reseller | None:
    """The reseller whose domain this request came to (once a request)."""
    if not has_request_context():
        return None
    if "host_reseller" not in g:
        host, base = request_host(), current_app.config["BASE_DOMAIN"]
        platform = host in (base, "localhost", "127.0.0.1") or host.endswith("." + base)  # (no query for those)
        g.host_reseller = None if platform else db.session.scalar(select(Reseller).where(Reseller.domain == host))
    return g.host_reseller


def serves(tenant: Tenant) -> bool:
    """Whether this host serves the back office of `tenant`: the platform's hosts serve every
    shop, a reseller's domain its own shops only."""
    reseller = host_reseller()
    return reseller is None or tenant.reseller_id == reseller.id


def brand() -> Brand:
    """The brand of this request: its shop's reseller's (the back office of a reseller's shop,
    whichever host), else its host's reseller's, else the platform's."""
    if not has_request_context():
        return PLATFORM_BRAND
    shop = g.get("shop")
    if shop is not None and shop.reseller_id is not None:
        return brand_of(db.session.get(Reseller, shop.reseller_id))
    return brand_of(host_reseller())


def brand_for_tenant(tenant: Tenant) -> Brand:
    """The brand a shop's merchants see (its mails, outside a request)."""
    return brand_of(db.session.get(Reseller, tenant.reseller_id) if tenant.reseller_id else None)


def logo_url(brand_: Brand) -> str | None:
    from core.storage import storage

    return storage().url(brand_.logo_key) if brand_.logo_key else None


bp = Blueprint("brand", __name__)


@bp.get("/brand/<int:reseller_id>.css")
def stylesheet(reseller_id: int):
    """A reseller's colours over the consoles' (the Content-Security-Policy allows no inline
    style); cached for a year under its version, which changes with the colour."""
    reseller = db.session.get(Reseller, reseller_id)
    colour = reseller.colour if reseller is not None and COLOUR.match(reseller.colour or "") else PLATFORM_COLOUR
    red, green, blue = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    css = (f":root,[data-bs-theme]{{--tblr-primary:{colour};--tblr-primary-rgb:{red},{green},{blue}}}\n"
           f".navbar-vertical[data-bs-theme=dark]{{background:{colour} linear-gradient(rgba(0,0,0,.35),rgba(0,0,0,.35))}}\n"
           ".brand-logo{height:1.75rem;width:auto;max-width:10rem;object-fit:contain}\n")
    response = current_app.response_class(css, mimetype="text/css")
    response.cache_control.public = True
    response.cache_control.max_age = 31_536_000 if request.args.get("v") else 300
    return response
