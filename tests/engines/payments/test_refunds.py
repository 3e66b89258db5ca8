"""Refunds that the database refuses are never sent; refunds the provider cannot take are tried a
bounded number of times, then given back and shown to staff; stock comes back in SKU order."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select, update

from core.db import db, utcnow
from core.tenancy import tenant_scope
from engines.orders.after_sales import approve, find_after_sale
from engines.orders.lifecycle import cancel_order, find_order
from engines.orders.models import AfterSale, Order, OrderLine
from engines.payments import providers
from engines.payments.models import Payment, Refund
from engines.payments.services import MAX_REFUND_ATTEMPTS
from engines.payments.tasks import retry_refunds
from tests.engines.orders.test_orders import as_shop, get_order, pay, place

pytestmark = pytest.mark.citus  # also on the Citus cluster (tests/conftest.py)


@pytest.fixture
def sent(monkeypatch):
    """The refunds handed to the sandbox provider."""
    calls = []
    real = providers.SandboxProvider.refund

    def recording(self, payment, refund):
        calls.append(refund.id)
        return real(self, payment, refund)

    monkeypatch.setattr(providers.SandboxProvider, "refund", recording)
    return calls


def _asked(client, shop, quantity=1):
    order = place(client, shop, [{"sku_id": shop["tea"], "quantity": 2}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    asked = client.post(f"/api/v1/orders/{order['id']}/after-sales", headers=shop["headers"],
                        json={"kind": "refund", "lines": [{"line_id": order["lines"][0]["id"], "quantity": quantity}]})
    assert asked.status_code == 201
    return order, asked.json


def _rows(shop, order_id):
    with tenant_scope(shop["tenant"]):
        db.session.expire_all()
        return (db.session.scalar(select(Order).where(Order.id == int(order_id))),
                db.session.scalars(select(OrderLine).where(OrderLine.order_id == int(order_id))).one(),
                db.session.scalar(select(Payment).where(Payment.order_id == int(order_id))),
                db.session.scalars(select(Refund)).all())


def test_a_refund_the_database_refuses_is_never_sent(client, shop, sent):
    order, asked = _asked(client, shop)
    with tenant_scope(shop["tenant"]):  # the payment was refunded in full elsewhere meanwhile
        db.session.execute(update(Payment).where(Payment.order_id == int(order["id"]))
                           .values(refunded=Payment.amount).execution_options(synchronize_session=False))
    as_shop(shop, lambda: approve(find_after_sale(int(asked["id"]))))
    placed, line, payment, refunds = _rows(shop, order["id"])
    assert sent == [] and refunds == []
    assert (line.refunded_quantity, line.refunded_amount, placed.refunded_total) == (0, 0, 0)
    assert placed.attention.startswith("A refund of ¥12.50 was refused") and placed.attention_at is not None
    assert get_order(client, shop, order["id"])["after_sales"][0]["status"] == "refunding"


def test_refund_amounts_are_counted_before_the_refund_is_sent(client, shop, monkeypatch):
    order, asked = _asked(client, shop)
    seen = {}

    def looking(self, payment, refund):
        with tenant_scope(shop["tenant"]):
            line = db.session.scalars(select(OrderLine).execution_options(populate_existing=True)).one()
        seen["line"], seen["payment"] = line.refunded_quantity, payment.refunded
        return "succeeded", "sbxr_seen"

    monkeypatch.setattr(providers.SandboxProvider, "refund", looking)
    as_shop(shop, lambda: approve(find_after_sale(int(asked["id"]))))
    assert seen == {"line": 1, "payment": 1250}
    placed, line, payment, (refund,) = _rows(shop, order["id"])
    assert (refund.status, refund.attempts, refund.provider_ref) == ("succeeded", 1, "sbxr_seen")
    assert (line.refunded_quantity, line.refunded_amount, payment.refunded, placed.refunded_total) == (1, 1250, 1250, 1250)


def test_a_refund_the_provider_never_takes_is_tried_a_few_times_then_shown_to_staff(client, shop, monkeypatch):
    order, asked = _asked(client, shop)

    def down(self, payment, refund):
        raise ConnectionError("the provider is down")

    monkeypatch.setattr(providers.SandboxProvider, "refund", down)
    as_shop(shop, lambda: approve(find_after_sale(int(asked["id"]))))
    now = utcnow()
    with client.application.app_context():
        for attempt in range(2, MAX_REFUND_ATTEMPTS + 3):
            now += dt.timedelta(minutes=6)
            assert retry_refunds(now) == 0
    placed, line, payment, (refund,) = _rows(shop, order["id"])
    assert (refund.status, refund.attempts) == ("failed", MAX_REFUND_ATTEMPTS)
    assert refund.failure == f"the payment provider did not answer {MAX_REFUND_ATTEMPTS} times"
    assert (line.refunded_quantity, payment.refunded, placed.refunded_total) == (0, 0, 0)  # given back
    assert placed.attention.startswith("Refund of ¥12.50 failed")
    with client.application.app_context():
        assert retry_refunds(now + dt.timedelta(hours=1)) == 0  # not tried again, ever
    assert _rows(shop, order["id"])[3][0].attempts == MAX_REFUND_ATTEMPTS


def test_a_refund_the_provider_refuses_is_given_back_and_shown_to_staff(client, shop, monkeypatch):
    order, asked = _asked(client, shop)
    monkeypatch.setattr(providers.SandboxProvider, "refund", lambda self, payment, refund: ("failed", ""))
    as_shop(shop, lambda: approve(find_after_sale(int(asked["id"]))))
    placed, line, payment, (refund,) = _rows(shop, order["id"])
    assert (refund.status, refund.failure) == ("failed", "the payment provider refused it")
    assert (line.refunded_quantity, payment.refunded) == (0, 0)
    assert "failed: the payment provider refused it" in placed.attention


def test_needs_attention_is_listed_and_shown_in_the_back_office(client, shop, db_session, create_staff, sign_in,
                                                                 monkeypatch):
    order, asked = _asked(client, shop)
    monkeypatch.setattr(providers.SandboxProvider, "refund", lambda self, payment, refund: ("failed", ""))
    as_shop(shop, lambda: approve(find_after_sale(int(asked["id"]))))
    manager = create_staff(shop["tenant"], "manager")
    sign_in("merchant", manager.email)
    client.get("/merchant/shops")
    listed = client.get("/merchant/orders/?attention=1").get_data(as_text=True)
    placed = _rows(shop, order["id"])[0]
    assert placed.number in listed
    detail = client.get(f"/merchant/orders/{order['id']}").get_data(as_text=True)
    assert "Refund of ¥12.50 failed" in detail and 'id="attention"' in detail
    from tests.conftest import csrf_token_of

    handled = client.post(f"/merchant/orders/{order['id']}/handled", data={"csrf_token": csrf_token_of(detail)})
    assert handled.status_code == 302
    cleared = _rows(shop, order["id"])[0]
    assert (cleared.attention, cleared.attention_at) == ("", None)
    assert placed.number not in client.get("/merchant/orders/?attention=1").get_data(as_text=True)
    from core.audit import AuditEntry

    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "order.attention_handled"))
    assert entry.details["attention"].startswith("Refund of ¥12.50 failed")


def test_stock_comes_back_in_sku_order_whatever_the_lines_order(client, shop, app):
    order = place(client, shop, [{"sku_id": shop["massage"]}, {"sku_id": shop["cake"]}, {"sku_id": shop["tea"]}],
                  {"type": "pickup", "store_id": shop["store"]})
    released = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE SKUS"):
            released.append(parameters)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        as_shop(shop, lambda: cancel_order(find_order(int(order["id"])), actor="test"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    skus = [int(shop[key]) for key in ("massage", "cake", "tea")]
    assert len(released) == 3
    ids = [next(value for value in (params.values() if isinstance(params, dict) else params) if value in skus)
           for params in released]
    assert ids == sorted(skus)


def test_an_after_sale_asked_for_twice_is_refunded_once(client, shop, sent):
    """A redelivered event (at-least-once delivery) finds the refund made and counts nothing more."""
    from engines.payments.tasks import refund_after_sale

    order, asked = _asked(client, shop)
    as_shop(shop, lambda: approve(find_after_sale(int(asked["id"]))))
    payload = {"after_sale_id": asked["id"], "order_id": order["id"], "consumer_id": str(shop["consumer"].id),
               "amount": {"amount": 1250, "currency": "CNY"}}
    as_shop(shop, lambda: refund_after_sale(payload, None))
    placed, line, payment, refunds = _rows(shop, order["id"])
    assert len(refunds) == 1 and len(sent) == 1
    assert (line.refunded_quantity, payment.refunded, placed.refunded_total) == (1, 1250, 1250)
    with tenant_scope(shop["tenant"]):
        assert db.session.scalar(select(AfterSale.status)) == "refunded"
