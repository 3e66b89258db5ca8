"""The engine registry (DESIGN.md §1, "The shape of an engine").

Each package under `engines/` exposes one `Engine` as `ENGINE` in its `__init__.py`, declaring
everything it brings: its blueprints, components and system pages, flow settings, permissions and
back-office entries, jobs, sweeps and event handlers, events, demo-data loader, CLI commands and
the picker sources of the designer's inspector. `create_app`, the CLI, the template library and
the designer loop over `registry()`: adding an engine touches its own package, a migration and the
templates that use it, nothing else.

Parts are named by reference (`"engines.<name>.api:bp"`, a module and an attribute) and imported
when the app is assembled, so reading the registry imports no engine's code but its `__init__`."""

from __future__ import annotations

import dataclasses
import functools
import importlib
import pkgutil
from typing import Any, Callable

ENGINES_PACKAGE = "engines"


@dataclasses.dataclass(frozen=True)
class Permission:
    """A permission the engine's views check, and the built-in roles that hold it (owners hold
    every one)."""

    name: str
    label: object  # a lazy gettext string
    roles: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class NavEntry:
    """A back-office navigation entry, shown to staff whose role holds `permission`."""

    endpoint: str
    label: object
    icon: str  # a Tabler icon name
    permission: str
    order: int = 100


@dataclasses.dataclass(frozen=True)
class Picker:
    """What the designer's inspector offers for a `Reference(kind=…)` setting: rows of the shop's
    consumer API at `url`, the list under `items`, each row's id and `label` field; `children`
    names a nested list shown under its parent (categories)."""

    kind: str
    url: str
    items: str
    label: str = "name"
    children: str | None = None

    def describe(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class DemoKit:
    """What an engine's demo-data loader is given besides the template's demo data: `price(text)`
    turns "12.50" into minor units of the shop's currency, `picture(title)` uploads a drawn
    picture and answers its `media:<id>` reference."""

    price: Callable[[object], int]
    picture: Callable[[str], str]


@dataclasses.dataclass(frozen=True)
class DashboardCard:
    """One figure on the merchant's dashboard: `value` as shown (a count, an amount already
    formatted), shown to staff whose role holds `permission`; `url` opens the list of exactly what
    it counts, linked for staff who hold `link_permission` (`permission` when None)."""

    label: object  # a lazy gettext string
    value: str
    permission: str
    url: str | None = None
    link_permission: str | None = None
    note: object = ""  # a short line under the figure


@dataclasses.dataclass(frozen=True)
class DashboardPeriod:
    """The last `days` days (today included) of a dashboard trend: the sales per day, oldest
    first, for the chart, their total, and the most sold items."""

    days: int
    total: str  # the period's sales, formatted
    orders: int
    url: str | None  # the list of the period's orders
    # {"day": "2025-05-01", "label": "05-01", "value": 12.5 (major units), "display": "¥12.50", "orders": 1}
    points: tuple[dict, ...]
    top: tuple[dict, ...]  # {"name": "Tea", "units": 3, "label": "3 sold"}, most units first


@dataclasses.dataclass(frozen=True)
class DashboardTrend:
    """Sales over time, shown to staff whose role holds `permission`, toggled between periods."""

    label: object
    permission: str
    periods: tuple[DashboardPeriod, ...]


@dataclasses.dataclass(frozen=True)
class DashboardPart:
    """What an engine's `dashboard` function, called with no argument while a shop is the current
    tenant, answers: its cards, in order, and at most one trend, for the back office to show as
    far as the staff member's role allows."""

    cards: tuple[DashboardCard, ...] = ()
    trend: DashboardTrend | None = None


@dataclasses.dataclass(frozen=True)
class Engine:
    """What one engine brings. References are "module:attribute" (or a module for the parts that
    register themselves when imported)."""

    name: str
    label: object
    description: str = ""
    depends_on: tuple[str, ...] = ()
    feature: bool = False  # merchants turn it on in the designer's Features panel (the document's app.engines)
    in_every_plan: bool = False  # True: no plan leaves it out; else a plan names it among those it enables
    api: tuple[str, ...] = ()  # consumer API blueprints (/api/v1): bearer tokens, no CSRF, a shop
    pages: tuple[str, ...] = ()  # a shop's pages outside the storefront (a provider's pay page): no CSRF
    development_pages: tuple[str, ...] = ()  # the same, never in production (sandboxes)
    back_office: tuple[str, ...] = ()  # merchant back-office blueprints (session, CSRF, permissions)
    admin_api: tuple[str, ...] = ()  # Admin API blueprints (/admin/api/v1): staff API tokens, no CSRF
    components: str | None = None  # module registering its page components and system pages
    settings: str | None = None  # "module:Schema" of its section of the app document's settings
    permissions: tuple[Permission, ...] = ()
    navigation: tuple[NavEntry, ...] = ()
    tasks: str | None = None  # module registering its jobs, periodic sweeps and event handlers
    events: str | None = None  # module declaring the events it emits
    price_steps: str | None = None  # module registering its price pipeline steps
    booked_lines: str | None = None  # module registering the checkout lines it books by time (a slot, nights …)
    demo_data: str | None = None  # "module:function", given a template's demo data (a dict)
    cli: tuple[str, ...] = ()  # click commands or groups of the `tessera` command
    pickers: tuple[Picker, ...] = ()
    suspension_exempt: tuple[str, ...] = ()  # endpoints a suspended shop still serves (payment webhooks)
    dashboard: str | None = None  # "module:function" answering the engine's dashboard part (a DashboardPart)

    def modules(self) -> list[str]:
        """The modules that register something when imported."""
        return [module for module in (self.components, self.tasks, self.events, self.price_steps, self.booked_lines)
                if module]

    def describe(self) -> dict:
        """Everything it declares, as plain data (`tessera engines list --json`)."""
        return {
            "name": self.name, "label": str(self.label), "description": self.description,
            "depends_on": list(self.depends_on), "feature": self.feature, "in_every_plan": self.in_every_plan,
            "api": list(self.api), "pages": list(self.pages),
            "development_pages": list(self.development_pages), "back_office": list(self.back_office),
            "admin_api": list(self.admin_api),
            "components": self.components, "settings": self.settings,
            "permissions": [{"name": p.name, "label": str(p.label), "roles": list(p.roles)} for p in self.permissions],
            "navigation": [{"endpoint": n.endpoint, "label": str(n.label), "icon": n.icon, "permission": n.permission}
                           for n in self.navigation],
            "tasks": self.tasks, "events": self.events, "price_steps": self.price_steps,
            "booked_lines": self.booked_lines,
            "demo_data": self.demo_data, "cli": list(self.cli), "pickers": [p.describe() for p in self.pickers],
            "suspension_exempt": list(self.suspension_exempt), "dashboard": self.dashboard,
        }


def load(reference: str) -> Any:
    """The object a "module:attribute" reference names (a module for "module")."""
    module_name, _, attribute = reference.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


class RegistryError(RuntimeError):
    """An engine is declared wrongly (a missing dependency, a cycle, two of one name)."""


@functools.cache
def registry() -> tuple[Engine, ...]:
    """Every engine under `engines/`, each after the engines it depends on."""
    package = importlib.import_module(ENGINES_PACKAGE)
    found: dict[str, Engine] = {}
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not module.ispkg:
            continue
        engine = getattr(importlib.import_module(f"{ENGINES_PACKAGE}.{module.name}"), "ENGINE", None)
        if engine is None:
            raise RegistryError(f"engines/{module.name}/__init__.py declares no ENGINE")
        if engine.name != module.name:
            raise RegistryError(f"engines/{module.name} declares the engine {engine.name!r}")
        found[engine.name] = engine
    ordered: list[Engine] = []

    def visit(engine: Engine, path: tuple[str, ...]) -> None:
        if engine in ordered:
            return
        if engine.name in path:
            raise RegistryError(f"engines depend on each other in a cycle: {' → '.join((*path, engine.name))}")
        for dependency in engine.depends_on:
            if dependency not in found:
                raise RegistryError(f"engine {engine.name!r} depends on {dependency!r}, which does not exist")
            visit(found[dependency], (*path, engine.name))
        ordered.append(engine)

    for engine in found.values():
        visit(engine, ())
    return tuple(ordered)


def engine(name: str) -> Engine | None:
    return next((candidate for candidate in registry() if candidate.name == name), None)


def features_needed(name: str) -> list[str]:
    """The engines a merchant turns on (features) that `name` needs: itself when it is one, and
    those the engines it depends on need. Engines that are not features are always on."""
    found = engine(name)
    if found is None:
        return []
    needed = [name] if found.feature else []
    for dependency in found.depends_on:
        needed += [n for n in features_needed(dependency) if n not in needed]
    return needed


def settings_schema(name: str):
    """The flow settings schema class an engine declares, or None."""
    found = engine(name)
    return load(found.settings) if found is not None and found.settings else None


def pickers() -> list[dict]:
    """Every picker source the designer's inspector offers."""
    return [picker.describe() for candidate in registry() for picker in candidate.pickers]


# -- engines a plan may leave out -------------------------------------------------------------
# A plan names the engines it enables (core.plans: `Plan.engines`, None for all); an engine not
# `in_every_plan` answers a shop whose plan leaves it out with 403 plan_limit_reached, on each of
# its blueprints: the consumer API (create_app's hook), the back office
# (staff_session.permission_required) and the Admin API (its authentication).

GATED_BLUEPRINTS: dict[str, Engine] = {}  # blueprint name -> its engine, for engines a plan may leave out


def plan_engines() -> list[Engine]:
    """The engines a plan may enable or leave out, in the registry's order."""
    return [candidate for candidate in registry() if not candidate.in_every_plan]


def require_engines(names) -> None:
    """Refuse (403 plan_limit_reached) turning on engines (a document's features) that the current
    shop's plan leaves out."""
    from core.plans import require_engine

    for candidate in registry():
        if candidate.name in names and not candidate.in_every_plan:
            require_engine(candidate.name, candidate.label)


def require_engine_of(blueprint: str | None) -> None:
    """Refuse (403 plan_limit_reached) a request to an engine the current shop's plan leaves out."""
    engine = GATED_BLUEPRINTS.get(blueprint or "")
    if engine is not None:
        from core.plans import require_engine

        require_engine(engine.name, engine.label)


# -- what holds a shop's deletion back ----------------------------------------------------------
# Before a shop is removed for good (tenants.deletion), each engine may say why it cannot be yet
# (refunds on their way): the checks run in the shop's scope and answer a reason, or None.

DELETION_HOLDS: list[Callable[[], str | None]] = []


def hold_deletion(check: Callable[[], str | None]) -> Callable[[], str | None]:
    """Register `check` (a decorator): why the current shop may not be removed yet, or None."""
    DELETION_HOLDS.append(check)
    return check


def deletion_held() -> str | None:
    """The first reason an engine gives to keep the current shop, or None."""
    return next((reason for check in DELETION_HOLDS if (reason := check()) is not None), None)


@dataclasses.dataclass(frozen=True)
class Parts:
    """What create_app wires from the registry: blueprints by kind, endpoints a suspended shop
    still serves."""

    api: list
    pages: list
    back_office: list
    admin_api: list
    suspension_exempt: list


def install_engines(*, production: bool) -> Parts:
    """Register every engine's permissions and back-office entries, import the modules that
    register its components, jobs, handlers and events, and load its blueprints (the sandboxes'
    pages only outside production). Idempotent: every app of a process gets the same parts."""
    from core.backoffice import register_nav
    from core.permissions import Role, register_permission

    api, pages, back_office, admin_api, exempt = [], [], [], [], []
    for candidate in registry():
        loaded = [load(reference) for reference in (*candidate.api, *candidate.pages, *candidate.development_pages,
                                                   *candidate.back_office, *candidate.admin_api)]
        if not candidate.in_every_plan:
            GATED_BLUEPRINTS.update({blueprint.name: candidate for blueprint in loaded})
        for permission in candidate.permissions:
            register_permission(permission.name, permission.label, roles=tuple(Role(role) for role in permission.roles))
        for entry in candidate.navigation:
            register_nav(entry.endpoint, entry.label, icon=entry.icon, permission=entry.permission, order=entry.order)
        for module in candidate.modules():
            load(module)
        api += [load(reference) for reference in candidate.api]
        pages += [load(reference) for reference in (*candidate.pages, *(() if production else candidate.development_pages))]
        back_office += [load(reference) for reference in candidate.back_office]
        admin_api += [load(reference) for reference in candidate.admin_api]
        exempt += candidate.suspension_exempt
    return Parts(api=api, pages=pages, back_office=back_office, admin_api=admin_api, suspension_exempt=exempt)


# -- flow settings ------------------------------------------------------------------------------
# What a merchant decides about an engine's flows (the unpaid-order timeout, the fulfilment types
# offered …) is its section of the published app document's settings, validated by the schema
# its `settings` names. The runtime, which reads published versions, provides them here (core
# imports no other package); services read them with `flow_settings`.

_published: Callable[[], dict] | None = None


def provide_published_settings(reader: Callable[[], dict]) -> None:
    """The runtime's reader of the current shop's published `app.settings` ({} when nothing is
    published), cached per published version."""
    global _published
    _published = reader


@functools.cache
def _defaults(name: str) -> dict:
    schema = settings_schema(name)
    return schema().load({}) if schema is not None else {}


def flow_settings(name: str) -> dict:
    """An engine's flow settings for the current shop: what its published version says, the
    schema's defaults for anything it does not (or before anything is published)."""
    published = (_published() if _published is not None else {}).get(name) or {}
    return {**_defaults(name), **published}


def settings_allowed(name: str, enabled: list[str]) -> bool:
    """Whether a document may hold settings for `name`: an engine with a settings schema that is
    always on (not a feature) or enabled in the document."""
    found = engine(name)
    return found is not None and found.settings is not None and (not found.feature or name in enabled)
