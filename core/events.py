"""Domain events: a catalogue of versioned contracts, and a transactional outbox (DESIGN.md §4).

Every event is declared once, by the engine that emits it (`engines/<engine>/events.py`):
`declare_event("order.paid.v1", OrderPaid, "An order was paid in full.")` — its versioned name,
its marshmallow payload schema and a line for outsiders, because these events become public
webhooks. Payloads have one shape everywhere: ids as strings, money as {"amount": minor units,
"currency": "CNY"}, the consumer as `consumer_id`; `emit` adds `tenant_id` and `occurred_at`
(ISO 8601, UTC) itself. A payload changes only by declaring the next version of its event.

`emit("order.completed.v1", {...})` writes an outbox row in the caller's transaction; when the app
runs with TESTING it first checks the payload against the event's schema, so every test that
emits checks the contract (production does not pay for it). After commit a delivery job runs
every handler registered for the name (`@on`), each in its own transaction that also records
(event id, handler), so a redelivered event has no second effect. A periodic sweep re-delivers
rows that were committed but never delivered (a lost job, a crash).

Handlers come from the registry, the same in every process: create_app imports every engine's
events and handlers, then calls `registry_complete()`. Until then `emit` and the delivery job
refuse, since a process that has not loaded every handler cannot tell "nobody listens" from "the
listener was not imported here"; afterwards nothing more can be declared or registered. An event
no handler listens to is recorded as delivered at once and costs no job."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import logging
import re
from typing import Callable

import click
from flask import current_app
from marshmallow import Schema, ValidationError, fields
from sqlalchemy import JSON, BigInteger, Index, String, UniqueConstraint, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.db import UTCDateTime, db, utcnow
from core.ids import ID_PATTERN, validate_id
from core.jobs import enqueue, job, periodic
from core.money import CURRENCIES
from core.tenancy import TenantModel, insert_rows, new_row, platform_scope

log = logging.getLogger(__name__)

EVENT_NAME = re.compile(r"^[a-z][a-z_]*(\.[a-z][a-z_]*)+\.v[0-9]+$")
REDELIVER_AFTER = dt.timedelta(minutes=2)
HANDLERS: dict[str, dict[str, Callable[[dict, "OutboxEvent"], None]]] = {}
CATALOGUE: dict[str, "EventType"] = {}
_complete = False  # set by registry_complete(): every event and handler of the app is loaded


class RegistryIncomplete(RuntimeError):
    """This process has not loaded every event and handler: `registry_complete()` was not called."""


class RegistryClosed(RuntimeError):
    """The registry is complete: no event may be declared, nor handler registered, any more."""


class InvalidPayload(ValueError):
    """A payload that breaks its event's schema (checked when the app runs with TESTING)."""

    def __init__(self, name: str, messages: dict):
        super().__init__(f"the payload of {name} breaks its contract: {messages}")
        self.messages = messages


# -- the contract's building blocks ------------------------------------------------------------

def id_field(description: str) -> fields.String:
    """An id as outsiders get it: a string of digits (ids can exceed what JSON numbers keep)."""
    return fields.String(required=True, validate=validate_id, metadata={"pattern": ID_PATTERN,
                                                                         "description": description})


def _known_currency(value: str) -> None:
    if value not in CURRENCIES:
        raise ValidationError("Not a known ISO 4217 currency.")


class Amount(Schema):
    """Money in a payload: {"amount": 1250, "currency": "CNY"}."""

    amount = fields.Integer(required=True, strict=True,
                            metadata={"description": "In minor units of the currency (fen, cents)"})
    currency = fields.String(required=True, validate=_known_currency,
                             metadata={"description": "ISO 4217 code", "pattern": "^[A-Z]{3}$"})


class EventPayload(Schema):
    """What every payload carries, added by `emit`: an event's schema extends this."""

    tenant_id = id_field("The shop the event happened in")
    occurred_at = fields.AwareDateTime(required=True, metadata={"description": "When it happened (ISO 8601, UTC)"})


_COMMON = tuple(EventPayload().fields)


@dataclasses.dataclass(frozen=True, eq=False)
class EventType:
    """One entry of the catalogue."""

    name: str
    schema: type[EventPayload]
    description: str

    @functools.cached_property
    def _validator(self) -> EventPayload:
        return self.schema()

    def validate(self, payload: dict) -> dict:
        """The schema's errors for a payload as `emit` stores it ({} when it keeps the contract)."""
        return self._validator.validate(payload)

    def json_schema(self) -> dict:
        """The payload as a JSON Schema object (via apispec, like the OpenAPI documents): the
        event's own fields first, then those every event carries."""
        from apispec import APISpec
        from apispec.ext.marshmallow import MarshmallowPlugin

        plugin = MarshmallowPlugin(schema_name_resolver=lambda schema: None)  # nested schemas inline
        APISpec(title="Tessera events", version="1", openapi_version="3.0.3", plugins=[plugin])
        schema = plugin.converter.schema2jsonschema(self.schema)
        properties = schema["properties"]
        order = [key for key in properties if key not in _COMMON] + [key for key in _COMMON if key in properties]
        return {**schema, "properties": {key: properties[key] for key in order}}


def _open(what: str) -> None:
    if _complete:
        raise RegistryClosed(f"the event registry is complete (create_app called registry_complete()): "
                                 f"{what} when the module is imported, before the app is built")


def declare_event(name: str, schema: type[EventPayload], description: str) -> EventType:
    """Add an event to the catalogue: its versioned name, its payload schema (an `EventPayload`)
    and one line telling outsiders what happened. Refuses a malformed name, another schema under
    a name already declared, and declarations after the registry is complete."""
    _open(f"declare {name}")
    if not EVENT_NAME.match(name):
        raise ValueError(f"event names look like 'order.paid.v1', got {name!r}")
    if not (isinstance(schema, type) and issubclass(schema, EventPayload)):
        raise TypeError(f"the payload schema of {name} must extend core.events.EventPayload")
    description = description.strip()
    if not description or "\n" in description:
        raise ValueError(f"{name} needs a one-line description")
    declared = CATALOGUE.get(name)
    if declared is not None:
        if declared.schema is not schema:
            raise ValueError(f"{name} is declared already, with {declared.schema.__name__}")
        return declared
    CATALOGUE[name] = declared = EventType(name, schema, description)
    return declared


def registry_complete() -> None:
    """Say that every event and handler of this process's app is loaded (create_app, once it has
    imported every engine): from now on `emit` may conclude that an event nobody handles will
    never be handled. Refuses handlers of undeclared events. Idempotent."""
    global _complete
    unknown = sorted(set(HANDLERS) - set(CATALOGUE))
    if unknown:
        raise ValueError(f"handlers listen to undeclared events: {', '.join(unknown)}")
    _complete = True


class OutboxEvent(TenantModel):
    __tablename__ = "outbox_events"
    # Only undelivered rows are indexed: the redelivery sweep reads them across tenants.
    __table_args__ = (Index("ix_outbox_events_undelivered", "tenant_id", "created_at",
                            postgresql_where=text("delivered_at IS NULL"), sqlite_where=text("delivered_at IS NULL")),)

    name: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)


class HandledEvent(TenantModel):
    """Proof that a handler has run for an event: its unique key makes handlers run once."""

    __tablename__ = "handled_events"
    __table_args__ = (UniqueConstraint("tenant_id", "event_id", "handler"),)

    event_id: Mapped[int] = mapped_column(BigInteger)
    handler: Mapped[str] = mapped_column(String(120))
    handled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def on(event_name: str, *, handler: str | None = None):
    """Register a handler: `@on("order.paid.v1")`, in a module create_app imports (an engine's
    tasks). The handler's name (default: its module and function) is its identity in the dedupe
    table, so keep it stable. The event must be declared by the time the registry is complete."""
    if not EVENT_NAME.match(event_name):
        raise ValueError(f"event names look like 'order.paid.v1', got {event_name!r}")
    _open(f"register a handler of {event_name}")

    def register(func):
        name = handler or f"{func.__module__}.{func.__qualname__}"
        HANDLERS.setdefault(event_name, {})[name] = func
        return func

    return register


def _require_complete() -> None:
    if not _complete:
        raise RegistryIncomplete("the event registry is not loaded in this process: build the app (create_app "
                                 "imports every engine's events and handlers, then calls registry_complete())")


def emit(name: str, payload: dict) -> int:
    """Record a declared event in the current transaction (one prepared INSERT), adding the
    tenant and the time; it is delivered after commit. Returns the event's id. Refuses an
    undeclared name (ValueError), a process whose registry is not complete (RegistryIncomplete)
    and, when the app runs with TESTING, a payload its schema refuses (InvalidPayload)."""
    # Checkout emits: this path counts its calls (bench/order_cpu.py), hence `in` before a lookup.
    if name not in CATALOGUE:
        raise ValueError(f"{name!r} is not a declared event: declare it in its engine's events module "
                         "(core.events.declare_event)")
    if not _complete:
        _require_complete()
    now = utcnow()
    handled = bool(HANDLERS.get(name))
    # Nothing listens anywhere (the registry is complete): the row is the record (tomorrow's
    # public webhooks read it), and there is nothing to hand over.
    row = new_row(OutboxEvent, name=name, payload={**payload}, created_at=now, delivered_at=None if handled else now)
    row.payload["tenant_id"], row.payload["occurred_at"] = str(row.tenant_id), now.isoformat()
    if current_app.config.get("TESTING"):
        errors = CATALOGUE[name].validate(row.payload)
        if errors:
            raise InvalidPayload(name, errors)
    insert_rows(OutboxEvent, [row])
    if handled:
        enqueue("events.deliver", row.id)
    return row.id


@job("events.deliver")
def deliver(event_id: int) -> int:
    """Run the handlers of one event that have not run yet; returns how many ran now. Refuses
    (the row stays for the sweep) in a process whose registry is not complete."""
    _require_complete()
    db.session.execute(update(OutboxEvent).where(OutboxEvent.id == event_id)
                       .values(attempts=OutboxEvent.attempts + 1).execution_options(synchronize_session=False))
    db.session.commit()
    event = OutboxEvent.get(event_id)
    if event is None or event.delivered_at is not None:
        return 0
    ran = 0
    for handler_name, func in HANDLERS.get(event.name, {}).items():
        done = db.session.scalar(select(HandledEvent.id).where(
            HandledEvent.event_id == event_id, HandledEvent.handler == handler_name))
        if done:
            continue
        try:
            db.session.add(HandledEvent(event_id=event_id, handler=handler_name))
            db.session.flush()
            func(dict(event.payload), event)
            db.session.commit()
            ran += 1
        except IntegrityError:
            db.session.rollback()  # another delivery ran this handler first
        except Exception:
            db.session.rollback()
            log.exception("handler %s failed for event %s", handler_name, event_id)
            raise
    event.delivered_at = event.delivered_at or utcnow()
    return ran


@periodic("events.redeliver", seconds=60)
def redeliver(now: dt.datetime | None = None) -> int:
    """Hand over again the events committed but not delivered after a while."""
    now = now or utcnow()
    with platform_scope():
        rows = db.session.execute(
            select(OutboxEvent.tenant_id, OutboxEvent.id)
            .where(OutboxEvent.delivered_at.is_(None), OutboxEvent.created_at < now - REDELIVER_AFTER)
            .order_by(OutboxEvent.created_at).limit(500)).all()
        for tenant_id, event_id in rows:
            enqueue("events.deliver", event_id, tenant_id=tenant_id)
    return len(rows)


# -- `tessera events` ----------------------------------------------------------------------------

events_command = click.Group("events", help="The events Tessera emits: tomorrow's public webhooks.")


def describe_catalogue() -> list[dict]:
    """Every declared event as plain data: name, description, payload schema (JSON Schema)."""
    return [{"name": event.name, "description": event.description, "schema": event.json_schema()}
            for event in sorted(CATALOGUE.values(), key=lambda event: event.name)]


def _type_of(prop: dict) -> str:
    if prop.get("type") == "object" and "properties" in prop:
        return "{" + ", ".join(f"{key}: {_type_of(value)}" for key, value in prop["properties"].items()) + "}"
    if prop.get("type") == "array":
        return f"list of {_type_of(prop.get('items', {}))}"
    if prop.get("pattern") == ID_PATTERN:
        return "id (string)"
    if "format" in prop:
        return f"{prop['format']} ({prop['type']})"
    if "enum" in prop:
        return " | ".join(map(str, prop["enum"]))
    return prop.get("type", "any")


@events_command.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON list of {name, description, schema}.")
def list_events(as_json: bool) -> None:
    """Print every event: its name, what it means and its payload's fields with their types."""
    root = click.get_current_context().find_root().obj
    if not _complete and isinstance(root, dict) and "app_context" in root:
        with root["app_context"]():  # under `tessera`: building the app loads every engine's events
            pass
    if not _complete:
        raise click.ClickException("the event catalogue is not loaded: run `tessera events list`, which builds "
                                   "the app")
    described = describe_catalogue()
    if as_json:
        click.echo(json.dumps(described, indent=2, ensure_ascii=False))
        return
    for event in described:
        click.echo(f"{event['name']} — {event['description']}")
        rows = [(key, _type_of(prop), prop.get("description", ""))
                for key, prop in event["schema"]["properties"].items()]
        names, types = max(len(row[0]) for row in rows), max(len(row[1]) for row in rows)
        for key, kind, about in rows:
            click.echo(f"  {key:<{names}}  {kind:<{types}}  {about}".rstrip())
