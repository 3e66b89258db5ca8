"""Every (state, event) pair of the order table: the legal ones move the order and record the
move; the illegal ones are refused with 409 and change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.consumers import Consumer
from core.db import db
from core.errors import APIError
from core.tenancy import tenant_scope
from engines.orders.models import FulfillmentType, Order, OrderStatus, OrderTransition
from engines.orders.transitions import EVENTS, TRANSITIONS, allowed_events, transition

FULFILLMENT_FOR = {"await_shipment": "express", "ship": "express", "mark_ready": "pickup",
                   "start_preparation": "dine_in", "start_service": "none"}
PAIRS = [(state, event) for state in OrderStatus for event in EVENTS]


@pytest.fixture
def make_order(db_session, tenant_a):
    def make(status: OrderStatus, fulfillment: str) -> Order:
        order = Order(number=f"T{status.value[:8]}{fulfillment[:4]}", consumer_id=consumer.id, status=status,
                      fulfillment_type=FulfillmentType(fulfillment), currency="CNY", items_total=100, total=100)
        db.session.add(order)
        db.session.flush()
        return order

    with tenant_scope(tenant_a):
        consumer = Consumer(email="buyer@example.com")
        db.session.add(consumer)
        db.session.flush()
        yield make


def test_the_table_names_only_known_states():
    assert {state for state, _ in TRANSITIONS} | set(TRANSITIONS.values()) <= set(OrderStatus)
    assert {OrderStatus.CANCELLED, OrderStatus.CLOSED}.isdisjoint({state for state, _ in TRANSITIONS})


@pytest.mark.parametrize("state, event", PAIRS, ids=[f"{s.value}-{e}" for s, e in PAIRS])
def test_every_state_and_event(make_order, state, event):
    order = make_order(state, FULFILLMENT_FOR.get(event, "express"))
    before = db.session.scalar(select(func.count()).select_from(OrderTransition))
    target = TRANSITIONS.get((state, event))
    if target is None:
        assert event not in allowed_events(order)
        with pytest.raises(APIError) as refused:
            transition(order, event, actor="test")
        assert (refused.value.code, refused.value.status) == ("illegal_transition", 409)
        db.session.expire_all()
        assert db.session.get(Order, (order.tenant_id, order.id)).status == state
        assert db.session.scalar(select(func.count()).select_from(OrderTransition)) == before
    else:
        assert event in allowed_events(order)
        transition(order, event, actor="test")
        db.session.expire_all()
        assert db.session.get(Order, (order.tenant_id, order.id)).status == target
        step = db.session.scalars(select(OrderTransition).where(OrderTransition.order_id == order.id)).one()
        assert (step.from_status, step.to_status, step.event, step.actor) == (state.value, target.value, event, "test")


@pytest.mark.parametrize("event, wrong", [("ship", "pickup"), ("mark_ready", "express"), ("start_service", "dine_in")])
def test_events_of_another_way_of_fulfilling_are_refused(make_order, event, wrong):
    state = next(s for (s, e) in TRANSITIONS if e == event)
    order = make_order(state, wrong)
    with pytest.raises(APIError):
        transition(order, event, actor="test")
    assert order.status == state


def test_a_stale_copy_loses_the_race(make_order):
    order = make_order(OrderStatus.PENDING_PAYMENT, "pickup")
    db.session.execute(Order.__table__.update().where(Order.__table__.c.id == order.id).values(status="cancelled"))
    with pytest.raises(APIError, match="changed meanwhile"):
        transition(order, "pay", actor="test")
    assert order.status == OrderStatus.CANCELLED
