"""Prepared statements run straight on the driver (core.prepared): the same values in and out as
SQLAlchemy gives, column defaults and constants per execution, SQLAlchemy's errors, and the
engine's statement listeners."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import DateTime, bindparam, cast, insert, select, update
from sqlalchemy.exc import IntegrityError, NoResultFound

from core import prepared
from core.consumers import Consumer
from core.db import utcnow
from core.ids import new_id
from core.tenancy import execute, execute_with_inserts, insert_rows, inserts_together, new_row, of_tenant, tenant_scope
from engines.orders.models import FulfillmentType, Order, OrderSequence, OrderStatus

_orders = Order.__table__
_ORDER = select(_orders).where(of_tenant(_orders), _orders.c.id == bindparam("order_id"))
_MOVE = update(_orders).where(of_tenant(_orders), _orders.c.id == bindparam("order_id"),
                              _orders.c.status == bindparam("from_status"))
_sequences = OrderSequence.__table__
# a constant (value=7) and a column default (the id, new per execution)
_SEQUENCE = insert(_sequences).values(tenant_id=bindparam("current_tenant"), day=bindparam("day"), value=7) \
    .returning(_sequences.c.id, _sequences.c.value)
_SEQUENCES = select(_sequences.c.day, _sequences.c.value).where(
    of_tenant(_sequences), _sequences.c.day.in_(bindparam("days", expanding=True))).order_by(_sequences.c.day)


def _order(consumer_id: int, **values):
    now = utcnow()
    return new_row(Order, id=new_id(), number=str(new_id())[-11:], status=OrderStatus.PENDING_PAYMENT,
                   consumer_id=consumer_id, fulfillment_type=FulfillmentType.PICKUP,
                   fulfillment={"type": "pickup", "store": {"name": "Main street"}}, currency="CNY", items_total=1200,
                   total=1200, pricing=[{"step": "items", "amount": 1200}], pay_by=now + dt.timedelta(minutes=30),
                   created_at=now, updated_at=now, **values)


def test_values_come_back_as_sqlalchemy_gives_them(db_session, tenant_a, count_queries):
    with tenant_scope(tenant_a):
        consumer = Consumer(email="buyer@example.com")
        db_session.add(consumer)
        db_session.flush()
        order = _order(consumer.id, note="为我包好")
        with count_queries() as statements:
            insert_rows(Order, [order])
            row = execute(_ORDER, {"order_id": order.id}).first()
        assert len(statements) == 2  # the engine's listeners see every prepared statement
        assert row.status is OrderStatus.PENDING_PAYMENT and row.fulfillment_type is FulfillmentType.PICKUP
        assert row.fulfillment == {"type": "pickup", "store": {"name": "Main street"}}
        assert row.pricing == [{"step": "items", "amount": 1200}] and row.note == "为我包好"
        assert row.pay_by == order.pay_by and row.pay_by.tzinfo is not None
        assert row.tenant_id == tenant_a.id and row.verification_code is None
        # the ORM reads the same row the same way
        assert db_session.get(Order, (tenant_a.id, order.id)).fulfillment == row.fulfillment


def test_rowcount_tells_whether_a_compare_and_set_won(db_session, tenant_a):
    with tenant_scope(tenant_a):
        consumer = Consumer(email="buyer@example.com")
        db_session.add(consumer)
        db_session.flush()
        order = _order(consumer.id)
        insert_rows(Order, [order])
        paid = {"order_id": order.id, "from_status": OrderStatus.PENDING_PAYMENT, "status": OrderStatus.PAID,
                "paid_at": utcnow(), "updated_at": utcnow()}
        assert execute(_MOVE, paid).rowcount == 1
        assert execute(_MOVE, paid).rowcount == 0  # no longer pending
        assert execute(_ORDER, {"order_id": order.id}).first().status is OrderStatus.PAID


def test_constants_and_column_defaults_are_taken_per_execution(db_session, tenant_a):
    with tenant_scope(tenant_a):
        first = execute(_SEQUENCE, {"day": "261124"}).first()
        second = execute(_SEQUENCE, {"day": "261125"}).first()
        assert first.value == second.value == 7 and first.id != second.id
        # an expanding IN list goes through SQLAlchemy, with the same answer shape
        assert [tuple(row) for row in execute(_SEQUENCES, {"days": ["261125", "261124"]})] == [
            ("261124", 7), ("261125", 7)]
        with pytest.raises(NoResultFound):
            execute(_ORDER, {"order_id": 1}).scalar_one()


def test_driver_errors_are_sqlalchemys_and_leave_the_session_usable(db_session, tenant_a):
    with tenant_scope(tenant_a):
        execute(_SEQUENCE, {"day": "261124"})
        db_session.commit()
        with pytest.raises(IntegrityError):
            execute(_SEQUENCE, {"day": "261124"})  # (tenant, day) is unique
        db_session.rollback()
        assert execute(_SEQUENCE, {"day": "261126"}).first().value == 7
        db_session.commit()


def test_inserts_together_are_one_statement_on_postgresql_and_keep_their_order(db_session, tenant_a, count_queries):
    consumers = Consumer.__table__
    emails = select(consumers.c.email).where(of_tenant(consumers)).order_by(consumers.c.email)
    with tenant_scope(tenant_a):
        with count_queries() as statements, inserts_together():
            insert_rows(Consumer, [new_row(Consumer, id=new_id(), email="a@example.com")])
            insert_rows(Consumer, [new_row(Consumer, id=new_id(), email=f"{n}@example.com") for n in "bc"])
            # a statement in the block runs after the inserts queued before it
            assert [row.email for row in execute(emails)] == ["a@example.com", "b@example.com", "c@example.com"]
            insert_rows(Consumer, [new_row(Consumer, id=new_id(), email="d@example.com")])
            # so does an ORM query
            consumer = db_session.scalar(select(Consumer).where(Consumer.email == "d@example.com"))
            order = _order(consumer.id, note="为我包好 \"quoted\"")
            insert_rows(Order, [order])
            insert_rows(Consumer, [new_row(Consumer, id=new_id(), email="e@example.com")])
        together = db_session.get_bind().dialect.name == "postgresql"
        # the inserts before the select (three rows), the select, one insert, the ORM query, the two at the end
        assert len(statements) == (1 + 1 + 1 + 1 + 1 if together else 2 + 1 + 1 + 1 + 2)
        written = execute(_ORDER, {"order_id": order.id}).first()
        assert (written.fulfillment, written.pricing) == (order.fulfillment, order.pricing)
        assert (written.note, written.pay_by, written.status) == (order.note, order.pay_by, OrderStatus.PENDING_PAYMENT)
        assert len(execute(emails).rows) == 5


def test_rows_written_together_refuse_a_naive_datetime(db_session, tenant_a, backend):
    if backend != "postgresql":
        pytest.skip("rows travel as JSON on PostgreSQL only")
    with tenant_scope(tenant_a):
        consumer = new_row(Consumer, id=new_id(), email="a@example.com")
        insert_rows(Consumer, [consumer])
        order = _order(consumer.id)
        order.pay_by = order.pay_by.replace(tzinfo=None)  # a naive time would be read in the server's zone
        with pytest.raises(ValueError, match="naive datetime"), inserts_together():
            insert_rows(Order, [order])
            insert_rows(Consumer, [new_row(Consumer, id=new_id(), email="b@example.com")])


def test_inserts_together_write_nothing_when_the_block_fails(db_session, tenant_a, count_queries):
    with tenant_scope(tenant_a):
        with count_queries() as statements, pytest.raises(RuntimeError):
            with inserts_together():
                insert_rows(Consumer, [new_row(Consumer, id=new_id(), email="a@example.com")])
                raise RuntimeError("the caller gave up")
        assert statements == []
        taken = new_id()
        with pytest.raises(IntegrityError), inserts_together():  # a conflict surfaces at the end of the block
            insert_rows(Consumer, [new_row(Consumer, id=taken, email="b@example.com")])
            insert_rows(Consumer, [new_row(Consumer, id=taken, email="c@example.com")])
        db_session.rollback()


# (columns whose values need converting, as an enum's, would make it run apart)
_MOVED = _MOVE.values(status=bindparam("to_status")).returning(_orders.c.id, _orders.c.total, _orders.c.pricing)


def test_a_write_goes_with_the_queued_inserts_and_its_check_sees_its_rows(db_session, tenant_a, count_queries):
    """execute_with_inserts: on PostgreSQL one statement with the block's inserts (the checkout's
    holds go so with the order's rows); elsewhere in order. The check gets the write's rows, and
    what it inserts is written too."""
    with tenant_scope(tenant_a):
        consumer = new_row(Consumer, id=new_id(), email="a@example.com")
        insert_rows(Consumer, [consumer])
        placed = _order(consumer.id)
        insert_rows(Order, [placed])
        seen = []

        def check(rows):
            seen.append([(row.id, row.total, row.pricing) for row in rows])
            if rows.rows:
                insert_rows(Consumer, [new_row(Consumer, id=new_id(), email="from-the-check@example.com")])

        with count_queries() as statements, inserts_together():
            insert_rows(Consumer, [new_row(Consumer, id=new_id(), email="b@example.com")])
            execute_with_inserts(_MOVED, {"order_id": placed.id, "from_status": OrderStatus.PENDING_PAYMENT,
                                          "to_status": OrderStatus.PAID}, check)
            execute_with_inserts(_MOVED, {"order_id": new_id(), "from_status": OrderStatus.PENDING_PAYMENT,
                                          "to_status": OrderStatus.PAID}, check)  # no such order: no row
            assert seen == []  # not yet written
        together = db_session.get_bind().dialect.name == "postgresql"
        # PostgreSQL: the insert and both writes, then the check's insert; SQLite: each in turn
        assert len(statements) == (2 if together else 4)
        assert seen == [[(placed.id, 1200, placed.pricing)], []]
        emails = {row.email for row in db_session.scalars(select(Consumer))}
        assert emails == {"a@example.com", "b@example.com", "from-the-check@example.com"}
        assert execute(_ORDER, {"order_id": placed.id}).first().status == OrderStatus.PAID
        # a timestamp returned would come back through JSON a string: such a write cannot go together
        timed = _MOVE.values(status=bindparam("to_status")).returning(cast(_orders.c.paid_at, DateTime).label("paid_at"))
        moves = {"order_id": placed.id, "from_status": OrderStatus.PAID, "to_status": OrderStatus.PAID,
                 "current_tenant": tenant_a.id}
        connection = db_session.connection()
        assert prepared.run_together(connection, [], [(timed, moves)]) is None
        if together:
            assert prepared.run_together(connection, [], [(_MOVED, moves)]) == [[(placed.id, 1200, placed.pricing)]]


def test_a_refusing_check_refuses_the_block_and_a_write_outside_one_runs_at_once(db_session, tenant_a):
    with tenant_scope(tenant_a):
        consumer = new_row(Consumer, id=new_id(), email="a@example.com")
        insert_rows(Consumer, [consumer])
        placed = _order(consumer.id)
        insert_rows(Order, [placed])
        db_session.commit()

        def refuse(rows):
            if not rows.rows:
                raise LookupError("taken")

        moves = {"order_id": placed.id, "from_status": OrderStatus.PAID, "to_status": OrderStatus.CANCELLED}
        with pytest.raises(LookupError), inserts_together():
            insert_rows(Consumer, [new_row(Consumer, id=new_id(), email="b@example.com")])
            execute_with_inserts(_MOVED, moves, refuse)  # the order is not paid: no row
        db_session.rollback()
        assert [row.email for row in db_session.scalars(select(Consumer))] == ["a@example.com"]
        seen = []
        execute_with_inserts(_MOVED, {**moves, "from_status": OrderStatus.PENDING_PAYMENT}, lambda rows: seen.extend(rows))
        assert [row.id for row in seen] == [placed.id]
        db_session.commit()
        assert execute(_ORDER, {"order_id": placed.id}).first().status == OrderStatus.CANCELLED
