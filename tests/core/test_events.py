"""Events: a catalogue of versioned contracts (each event's payload schema, checked whenever a
test emits), and the outbox: events written with the caller's transaction, delivered after commit,
each handler run once per event however often it is delivered, swept up when a delivery was lost,
and never marked delivered by a process that has not loaded every handler."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner
from flask import g
from marshmallow import fields
from sqlalchemy import func, select

from core import events
from core.audit import AuditEntry
from core.db import utcnow
from core.events import (CATALOGUE, HANDLERS, REDELIVER_AFTER, EventPayload, HandledEvent, InvalidPayload,
                         OutboxEvent, RegistryClosed, RegistryIncomplete, declare_event, deliver, emit, events_command,
                         on, redeliver, registry_complete)
from core.jobs import enqueue
from core.tenancy import current_tenant, tenant_scope
from engines.orders import events as _order_events  # noqa: F401  the events of today's engines

FAILURES = {"left": 0}
ENGINE_EVENTS = ["after_sale.refund_due.v1", "after_sale.refunded.v1", "after_sale.requested.v1",
                 "booking.no_show.v1", "booking.reminder.v1", "consumer.registered.v1", "coupon.expiring.v1", "member.tier_changed.v1", "member_card.ending.v1",
                 "order.balance_paid.v1", "order.cancelled.v1", "order.completed.v1", "order.created.v1", "order.paid.v1",
                 "order.shipped.v1",
                 "points.expiring.v1", "promotion.budget_spent.v1", "promotion.points_earned.v1",
                 "review.created.v1"]


class ThingHappened(EventPayload):
    name = fields.String(required=True)


declare_event("test.thing_happened.v1", ThingHappened, "Something happened in a test.")


@on("test.thing_happened.v1", handler="tests.record_thing")
def _record(payload, event):
    from core import audit

    audit.record("test.handled", tenant_id=current_tenant().id, target=payload["name"], details={"event": str(event.id)})


@on("test.thing_happened.v1", handler="tests.flaky")
def _flaky(payload, event):
    from core import audit

    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise RuntimeError("downstream is down")
    audit.record("test.flaky", tenant_id=current_tenant().id, target=payload["name"])


def _count(db_session, action, tenant=None):
    statement = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    if tenant is not None:
        statement = statement.where(AuditEntry.tenant_id == tenant.id)
    return db_session.scalar(statement)


def test_event_names_are_versioned():
    with pytest.raises(ValueError):
        on("order.paid")(lambda p, e: None)
    with pytest.raises(ValueError):
        emit("OrderPaid", {})


def test_emit_needs_a_tenant(db_session):
    from core.tenancy import NoTenantError

    with pytest.raises(NoTenantError):
        emit("test.thing_happened.v1", {"name": "x"})


def test_handlers_run_after_commit_with_the_tenant_in_context(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        event_id = emit("test.thing_happened.v1", {"name": "cake"})
        app.extensions["tessera_jobs"].drain()
        assert _count(db_session, "test.handled") == 0  # nothing before commit
        db_session.commit()
    app.extensions["tessera_jobs"].drain()
    assert _count(db_session, "test.handled", tenant_a) == 1
    with tenant_scope(tenant_a):
        assert OutboxEvent.get(event_id).delivered_at is not None


def test_a_rolled_back_event_is_never_delivered(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        savepoint = db_session.begin_nested()
        emit("test.thing_happened.v1", {"name": "ghost"})
        savepoint.rollback()
        db_session.rollback()
    app.extensions["tessera_jobs"].drain()
    assert _count(db_session, "test.handled") == 0


def test_redelivery_has_no_second_effect(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        event_id = emit("test.thing_happened.v1", {"name": "twice"})
        db_session.commit()
    app.extensions["tessera_jobs"].drain()
    with tenant_scope(tenant_a):
        db_session.execute(OutboxEvent.__table__.update().values(delivered_at=None))  # as if the ack was lost
        assert deliver(event_id) == 0
        db_session.commit()
        assert db_session.scalar(select(func.count()).select_from(HandledEvent)) == 2
    assert _count(db_session, "test.handled") == 1


def test_a_failing_handler_is_retried_without_repeating_the_others(app, db_session, tenant_a):
    FAILURES["left"] = 1
    with tenant_scope(tenant_a):
        event_id = emit("test.thing_happened.v1", {"name": "retry"})
        db_session.commit()
    app.extensions["tessera_jobs"].drain()  # the flaky handler fails; the error is logged, not raised
    with tenant_scope(tenant_a):
        row = OutboxEvent.get(event_id)
        assert row.delivered_at is None
        assert deliver(event_id) == 1
        db_session.commit()
    assert (_count(db_session, "test.handled"), _count(db_session, "test.flaky")) == (1, 1)


def test_the_sweep_redelivers_only_old_undelivered_events_across_tenants(app, db_session, tenant_a, tenant_b):
    FAILURES["left"] = 2
    for tenant in (tenant_a, tenant_b):
        with tenant_scope(tenant):
            emit("test.thing_happened.v1", {"name": tenant.slug})
            db_session.commit()
    app.extensions["tessera_jobs"].drain()
    assert _count(db_session, "test.flaky") == 0
    assert redeliver(now=utcnow()) == 0  # too recent to be called lost
    later = utcnow() + REDELIVER_AFTER + dt.timedelta(seconds=1)
    assert redeliver(now=later) == 2
    db_session.commit()
    app.extensions["tessera_jobs"].drain()
    assert _count(db_session, "test.flaky", tenant_a) == 1
    assert _count(db_session, "test.flaky", tenant_b) == 1
    assert redeliver(now=later) == 0


def test_an_event_of_a_deleted_tenant_is_skipped(app, db_session):
    from core.jobs import run_job

    assert run_job("events.deliver", [123], 999_999) is None


def test_enqueue_refuses_unknown_jobs(db_session):
    with pytest.raises(KeyError):
        enqueue("no.such.job")


# -- the catalogue -------------------------------------------------------------------------------

def _rows(db_session, tenant):
    with tenant_scope(tenant):
        return db_session.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at, OutboxEvent.id)).all()


def _refund_due(**changes) -> dict:
    return {"after_sale_id": "11", "order_id": "12", "consumer_id": "13", "amount": {"amount": 1250, "currency": "CNY"},
            **changes}


def test_every_declared_event_has_a_payload_schema_and_a_description():
    declared = sorted(name for name in CATALOGUE if not name.startswith("test."))
    assert declared == ENGINE_EVENTS
    for event in CATALOGUE.values():
        assert issubclass(event.schema, EventPayload), event.name
        assert event.description and "\n" not in event.description, event.name
        assert {"tenant_id", "occurred_at"} <= set(event.schema().fields), event.name


def test_emit_refuses_an_undeclared_event(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        with pytest.raises(ValueError, match="'order.refunded.v1' is not a declared event"):
            emit("order.refunded.v1", {"order_id": "1"})
    assert _rows(db_session, tenant_a) == []


def test_emit_adds_the_tenant_and_the_time(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        event_id = emit("test.thing_happened.v1", {"name": "cake"})
        row = OutboxEvent.get(event_id)
    assert row.payload == {"name": "cake", "tenant_id": str(tenant_a.id), "occurred_at": row.created_at.isoformat()}
    assert row.created_at.utcoffset() == dt.timedelta(0)


def test_in_tests_a_payload_missing_a_field_is_refused(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        with pytest.raises(InvalidPayload) as refused:
            emit("order.paid.v1", {"order_id": "385", "consumer_id": "7"})
    assert refused.value.messages == {"total": ["Missing data for required field."],
                                      "lines": ["Missing data for required field."]}
    assert _rows(db_session, tenant_a) == []


def test_in_tests_an_int_id_or_a_bare_amount_is_refused(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        with pytest.raises(InvalidPayload) as refused:
            emit("after_sale.refund_due.v1", _refund_due(order_id=12, amount=1250))
    assert refused.value.messages == {"order_id": ["Not a valid string."],
                                      "amount": {"_schema": ["Invalid input type."]}}
    assert _rows(db_session, tenant_a) == []


def test_in_tests_an_unknown_field_is_refused(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        with pytest.raises(InvalidPayload) as refused:
            emit("test.thing_happened.v1", {"name": "cake", "colour": "red"})
    assert refused.value.messages == {"colour": ["Unknown field."]}


def test_production_does_not_spend_time_checking_payloads(app, db_session, tenant_a, monkeypatch):
    monkeypatch.setitem(app.config, "TESTING", False)
    with tenant_scope(tenant_a):
        event_id = emit("test.thing_happened.v1", {"name": 42})
        assert OutboxEvent.get(event_id).payload["name"] == 42


def test_an_event_nobody_handles_is_delivered_at_once_and_costs_no_job(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        event_id = emit("order.shipped.v1", {"order_id": "385", "consumer_id": "7", "carrier": "SF",
                                             "tracking_number": "SF1"})
        db_session.commit()
        assert g.get("tessera_pending_jobs") is None
        assert OutboxEvent.get(event_id).delivered_at == OutboxEvent.get(event_id).created_at


def test_an_event_with_a_handler_anywhere_waits_for_its_delivery(app, db_session, tenant_a):
    with tenant_scope(tenant_a):
        event_id = emit("after_sale.refund_due.v1", _refund_due())
        db_session.commit()
        assert [(call.name, call.args) for call in g.get("tessera_pending_jobs")] == [("events.deliver", (event_id,))]
        assert OutboxEvent.get(event_id).delivered_at is None
    g.pop("tessera_pending_jobs")  # not run: its handler would look for the payment of a made-up order


def test_a_process_without_every_handler_cannot_mark_an_event_delivered(app, db_session, tenant_a, monkeypatch):
    # given a process that never imported the payments engine, the only handler of refund_due
    with tenant_scope(tenant_a):
        event_id = emit("after_sale.refund_due.v1", _refund_due())
        db_session.commit()
    g.pop("tessera_pending_jobs")
    monkeypatch.delitem(HANDLERS, "after_sale.refund_due.v1")
    monkeypatch.setattr(events, "_complete", False)
    with tenant_scope(tenant_a):
        # when it emits the event, or is handed one to deliver
        with pytest.raises(RegistryIncomplete):
            emit("after_sale.refund_due.v1", _refund_due())
        with pytest.raises(RegistryIncomplete):
            deliver(event_id)
        # then nothing is written, nothing is marked delivered, and the sweep will hand it over again
        rows = db_session.scalars(select(OutboxEvent)).all()
    assert [(row.id, row.delivered_at, row.attempts) for row in rows] == [(event_id, None, 0)]


def test_once_the_registry_is_complete_nothing_more_joins_it(app):
    with pytest.raises(RegistryClosed):
        declare_event("test.late.v1", ThingHappened, "Declared too late.")
    with pytest.raises(RegistryClosed):
        on("test.thing_happened.v1", handler="tests.late")
    assert "test.late.v1" not in CATALOGUE
    assert sorted(HANDLERS["test.thing_happened.v1"]) == ["tests.flaky", "tests.record_thing"]


def test_the_registry_is_not_complete_with_a_handler_of_an_undeclared_event(monkeypatch):
    monkeypatch.setattr(events, "_complete", False)
    monkeypatch.setitem(HANDLERS, "test.never_declared.v1", {"tests.ghost": lambda payload, event: None})
    with pytest.raises(ValueError, match="handlers listen to undeclared events: test.never_declared.v1"):
        registry_complete()
    assert events._complete is False


@pytest.fixture
def shop(db_session, tenant_a, create_consumer):
    from tests.engines.orders.conftest import make_shop

    made = make_shop(tenant_a, create_consumer)
    db_session.commit()
    return made


def test_the_payloads_of_an_orders_life_keep_their_contracts(client, shop, db_session):
    from engines.orders.after_sales import approve, find_after_sale
    from engines.orders.lifecycle import find_order, ship
    from tests.engines.orders.test_orders import as_shop, get_order, pay, place

    # given an order placed, paid, shipped and received, and another paid then refunded in part
    sent = place(client, shop, [{"sku_id": shop["tea"], "quantity": 2}], {"type": "express",
                                                                         "address_id": shop["address"]})
    pay(client, shop, sent)
    as_shop(shop, lambda: ship(find_order(int(sent["id"])), carrier="SF", tracking_number="SF123", actor="staff:1"))
    assert client.post(f"/api/v1/orders/{sent['id']}/confirm-receipt", headers=shop["headers"]).status_code == 200
    kept = place(client, shop, [{"sku_id": shop["tea"], "quantity": 2}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, kept)
    asked = client.post(f"/api/v1/orders/{kept['id']}/after-sales", headers=shop["headers"],
                        json={"kind": "refund", "lines": [{"line_id": kept["lines"][0]["id"], "quantity": 1}]}).json
    as_shop(shop, lambda: approve(find_after_sale(int(asked["id"]))))
    assert get_order(client, shop, kept["id"])["after_sales"][0]["status"] == "refunded"
    # when their events are read back from the outbox
    rows = _rows(db_session, shop["tenant"])
    # then each was checked when emitted, still keeps its contract as stored, and was delivered
    assert [(row.name, row.payload.get("order_id")) for row in rows] == [
        ("consumer.registered.v1", None), ("order.created.v1", sent["id"]), ("order.paid.v1", sent["id"]), ("order.shipped.v1", sent["id"]),
        ("order.completed.v1", sent["id"]), ("order.created.v1", kept["id"]), ("order.paid.v1", kept["id"]),
        ("after_sale.requested.v1", kept["id"]), ("after_sale.refund_due.v1", kept["id"]),
        ("after_sale.refunded.v1", kept["id"])]
    assert [CATALOGUE[row.name].validate(row.payload) for row in rows] == [{}] * len(rows)
    assert all(row.delivered_at is not None for row in rows)
    tenant, consumer = str(shop["tenant"].id), str(shop["consumer"].id)
    paid, refund_due = rows[2], rows[8]
    assert paid.payload == {"order_id": sent["id"], "consumer_id": consumer,
                            "total": {"amount": sent["total"]["amount"], "currency": "CNY"},
                            "lines": [{"item_id": line["item_id"], "sku_id": line["sku_id"], "quantity": line["quantity"]}
                                      for line in sent["lines"]],
                            "tenant_id": tenant, "occurred_at": paid.created_at.isoformat()}
    assert refund_due.payload == {"after_sale_id": asked["id"], "order_id": kept["id"], "consumer_id": consumer,
                                  "amount": {"amount": 1250, "currency": "CNY"}, "tenant_id": tenant,
                                  "occurred_at": refund_due.created_at.isoformat()}
    with tenant_scope(shop["tenant"]):
        handled = db_session.scalars(select(HandledEvent.handler).where(HandledEvent.event_id == refund_due.id)).all()
    assert handled == ["engines.payments.services.refund_after_sale"]


def test_a_refund_due_written_before_the_contracts_is_still_refunded(app, client, shop, db_session):
    from engines.orders.after_sales import approve, find_after_sale
    from engines.payments.models import Refund
    from tests.engines.orders.test_orders import get_order, pay, place

    # given an approved after-sale whose refund_due row has the old payload (a bare int amount)
    order = place(client, shop, [{"sku_id": shop["tea"], "quantity": 2}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                        json={"kind": "refund", "lines": [{"line_id": order["lines"][0]["id"], "quantity": 1}]}).json
    with tenant_scope(shop["tenant"]):
        approve(find_after_sale(int(asked["id"])))
        db_session.commit()
        g.pop("tessera_pending_jobs")
        row = db_session.scalars(select(OutboxEvent).where(OutboxEvent.name == "after_sale.refund_due.v1")).one()
        db_session.execute(OutboxEvent.__table__.update().where(OutboxEvent.id == row.id).values(
            payload={"after_sale_id": asked["id"], "order_id": order["id"], "amount": 1250}))
        db_session.commit()
        # when it is delivered
        assert deliver(row.id) == 1
        db_session.commit()
    app.extensions["tessera_jobs"].drain()
    # then the after-sale is refunded by its amount
    with tenant_scope(shop["tenant"]):
        assert db_session.scalars(select(Refund.amount)).all() == [1250]
    assert get_order(client, shop, order["id"])["after_sales"][0]["status"] == "refunded"


# -- `tessera events list` -----------------------------------------------------------------------

def test_the_cli_lists_every_event_with_its_fields(app):
    result = CliRunner().invoke(events_command, ["list"], catch_exceptions=False)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split(" — ")[0] for line in lines if not line.startswith(" ")] == sorted(CATALOGUE)
    start = next(i for i, line in enumerate(lines) if line.startswith("order.paid.v1 — An order was paid: in full, "))
    assert [" ".join(line.split()) for line in lines[start + 1:start + 7]] == [
        "order_id id (string) The order",
        "consumer_id id (string) The consumer who placed it",
        "total {amount: integer, currency: string} The order's total, after discounts and with delivery",
        "lines list of {item_id: id (string), sku_id: id (string), quantity: integer} What was sold: each SKU of the "
        "order and how many",
        "tenant_id id (string) The shop the event happened in",
        "occurred_at date-time (string) When it happened (ISO 8601, UTC)"]


def test_the_cli_lists_every_event_as_json(app):
    result = CliRunner().invoke(events_command, ["list", "--json"], catch_exceptions=False)
    listed = json.loads(result.output)
    assert [event["name"] for event in listed] == sorted(CATALOGUE)
    refunded = next(event for event in listed if event["name"] == "after_sale.refunded.v1")
    assert refunded["description"] == "The payment provider refunded an after-sales request."
    schema = refunded["schema"]
    assert (schema["type"], schema["additionalProperties"]) == ("object", False)
    assert list(schema["properties"]) == ["after_sale_id", "order_id", "consumer_id", "amount", "tenant_id",
                                          "occurred_at"]
    assert schema["required"] == sorted(schema["properties"])
    assert schema["properties"]["order_id"] == {"type": "string", "pattern": "^[0-9]{1,19}$",
                                                "description": "The order it is about"}
    assert schema["properties"]["amount"]["properties"]["amount"] == {
        "type": "integer", "description": "In minor units of the currency (fen, cents)"}


def test_the_cli_refuses_to_list_an_incomplete_catalogue(monkeypatch):
    monkeypatch.setattr(events, "_complete", False)
    result = CliRunner().invoke(events_command, ["list"])
    assert (result.exit_code, result.output) == (1, "Error: the event catalogue is not loaded: run `tessera events "
                                                    "list`, which builds the app\n")
