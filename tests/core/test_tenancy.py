"""The walls between tenants: ORM scoping that fails closed, the platform scope, composite keys,
and on PostgreSQL row-level security under the ORM."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.exc import DBAPIError

from core.consumers import AccessToken, Consumer, LoginCode, issue_token
from core.db import db, utcnow
from core.events import HandledEvent, OutboxEvent
from core.idempotency import IdempotencyKey
from core.ids import new_id
from core.identities import StaffMember, add_staff
from core.media import Media
from core.staff_tokens import StaffToken, create_token
from engines.marketing.bundles import create_bundle
from engines.marketing.codes import make_codes
from engines.marketing.discounts import create_discount
from engines.marketing.models import (Bundle, ConsumerCoupon, Coupon, CouponCode, FreeShippingRule, Promotion,
                                      TimedDiscount)
from engines.marketing.promotions import create_promotion
from engines.marketing.services import CouponRules, claim, create_coupon
from engines.articles.models import Article
from engines.articles.services import create_article
from engines.catalog.models import Category, Item, Sku
from engines.catalog.services import create_category, create_item
from core.addresses import Address, add_address
from engines.orders.fulfillment import create_shipping_template
from engines.orders.models import (AfterSale, Cart, CartLine, Order, OrderAdjustment, OrderAdjustmentLine,
                                   OrderLine, OrderSequence, OrderTransition, Review, ShippingTemplate)
from engines.orders.cart import add_line, cart_of
from core.tenancy import (NoTenantError, TenantModel, execute, insert_rows, new_row, of_tenant, platform_scope,
                          tenant_scope, tenant_tables)
from engines.payments.accounts import configure_stripe
from engines.membership.automation_models import AutomationRun, InboxMessage, Automation
from engines.membership.automations import create_automation
from engines.membership.cards import create_plan, make_card_codes
from engines.membership.ledger import credit, member_of
from engines.membership.models import (CardCode, CardPlan, GrowthEntry, Member, MemberCard, MemberSegment,
                                       MemberTier, OrderReward, PointsEntry, PointsKind, RechargePlan, SignIn,
                                       WalletEntry, RedemptionItem, TaskClaim, ExclusiveItem, TierChange)
from engines.membership.redemption import create_offer
from engines.membership.segments import create_segment
from engines.membership.wallet import create_recharge_plan, move
from engines.membership.sign_ins import sign_in
from engines.membership.tiers import add_growth, create_tier
from engines.payments.models import Payment, PaymentAccount, ProviderEvent, Refund
from engines.booking.models import (BookableResource, Booking, BookingBlock, BookingStaff, EventSession,
                                    TicketQuota)
from engines.booking.resources import create_block, create_quota, create_resource, create_session, create_staff
from engines.stores.models import DiningTable, Store
from engines.stores.services import add_table, create_store
from runtime.models import App, AppVersion
from runtime.services import ensure_app, publish

pytestmark = pytest.mark.citus  # also on the Citus cluster (tests/conftest.py)


def _make_consumer(tag):
    row = Consumer(email=f"{tag}@example.com", name=tag)
    db.session.add(row)
    db.session.flush()
    return row


# One factory per tenant model: a new model without one fails test_every_tenant_model_has_a_factory.

FACTORIES = {
    Consumer: _make_consumer,
    AccessToken: lambda tag: (lambda c: db.session.get(AccessToken, (c.tenant_id, int(issue_token(c).split("_")[2]))))(
        _make_consumer(tag)),
    LoginCode: lambda tag: _add(LoginCode(phone="13800000000", code_hash="x" * 64,
                                          expires_at=utcnow() + dt.timedelta(minutes=5))),
    StaffMember: lambda tag: _staff(tag),
    StaffToken: lambda tag: create_token(member=_staff(tag), name=tag, permissions=["dashboard.view"], actor=None,
                                         via="test")[0],
    OutboxEvent: lambda tag: _add(OutboxEvent(name="test.made.v1", payload={"tag": tag})),
    HandledEvent: lambda tag: _add(HandledEvent(event_id=1, handler=f"h.{tag}")),
    App: lambda tag: ensure_app(name=tag),
    AppVersion: lambda tag: publish(note=tag),
    Media: lambda tag: _add(Media(key=f"t/{tag}.png", filename=f"{tag}.png", content_type="image/png", size=1)),
    Article: lambda tag: create_article(title=tag),
    Category: lambda tag: create_category(name=tag),
    Item: lambda tag: create_item(kind="physical", name=tag, price=100),
    Sku: lambda tag: db.session.scalars(select(Sku).where(
        Sku.item_id == create_item(kind="physical", name=tag, price=100).id)).one(),
    Cart: lambda tag: cart_of(_make_consumer(tag).id),
    Address: lambda tag: add_address(consumer_id=_make_consumer(tag).id, data={
        "name": tag, "phone": "13800000000", "region": "Shanghai", "line": "1 Bund Rd"}),
    CartLine: lambda tag: add_line(consumer_id=_make_consumer(tag).id, quantity=1, sku_id=db.session.scalars(select(Sku.id).where(
        Sku.item_id == create_item(kind="physical", name=tag, price=100, stock=5, status="on_sale").id)).one()),
    IdempotencyKey: lambda tag: _add(IdempotencyKey(scope=f"consumer:{tag}", key=tag, request_hash="0" * 64)),
    OrderSequence: lambda tag: _add(OrderSequence(day=tag[:6], value=1)),
    ProviderEvent: lambda tag: _add(ProviderEvent(provider="stripe", event_id=f"evt_{tag}")),
    ShippingTemplate: lambda tag: create_shipping_template(name=tag, rules=[{"first_fee": 100}]),
    Store: lambda tag: create_store(name=tag),
    DiningTable: lambda tag: add_table(store_id=create_store(name=tag).id, name=tag[:20]),
    Order: lambda tag: _order(tag),
    OrderLine: lambda tag: _add(OrderLine(order_id=_order(tag).id, sku_id=1, item_id=1, kind="physical", name=tag,
                                          unit_price=100, quantity=1, subtotal=100, paid_amount=100)),
    OrderTransition: lambda tag: _add(OrderTransition(order_id=_order(tag).id, event="create", to_status="paid",
                                                      actor="test")),
    OrderAdjustment: lambda tag: _adjustment(_order(tag)),
    OrderAdjustmentLine: lambda tag: (lambda order: _add(OrderAdjustmentLine(
        order_id=order.id, adjustment_id=_adjustment(order).id, amount=-10, line_id=_add(OrderLine(
            order_id=order.id, sku_id=1, item_id=1, kind="physical", name=tag, unit_price=100, quantity=1,
            subtotal=100, discount=10, paid_amount=90)).id)))(_order(tag)),
    AfterSale: lambda tag: (lambda order: _add(AfterSale(order_id=order.id, consumer_id=order.consumer_id,
                                                         kind="refund", lines=[], amount=0)))(_order(tag)),
    Payment: lambda tag: _payment(tag),
    Refund: lambda tag: _add(Refund(payment_id=_payment(tag).id, amount=1, reason="after_sale", source_id=1)),
    Coupon: lambda tag: _coupon(tag),
    ConsumerCoupon: lambda tag: claim(_coupon(tag).id, _make_consumer(f"{tag}-{new_id()}").id),
    CouponCode: lambda tag: (lambda c: db.session.scalar(select(CouponCode).where(CouponCode.coupon_id == c.id)))(
        (lambda c: (make_codes(c, 1, tag[:40]), c)[1])(_coupon(tag))),
    TimedDiscount: lambda tag: create_discount(name=tag, item_ids=[create_item(kind="physical", name=tag, price=100).id],
                                               percent_bp=1000, starts_at=utcnow(), ends_at=utcnow() + dt.timedelta(days=1)),
    Promotion: lambda tag: create_promotion(name=tag, kind="spend", tiers=[{"threshold": 1000, "amount_off": 100}],
                                            starts_at=utcnow(), ends_at=utcnow() + dt.timedelta(days=1)),
    Bundle: lambda tag: create_bundle(name=tag, items=[{"item_id": create_item(kind="physical", name=f"{tag} {n}", price=100).id,
                                                        "quantity": 1} for n in (1, 2)],
                                      price=100, starts_at=utcnow(), ends_at=utcnow() + dt.timedelta(days=1)),
    FreeShippingRule: lambda tag: _add(FreeShippingRule(name=tag, minimum=100, starts_at=utcnow(),
                                                        ends_at=utcnow() + dt.timedelta(days=1))),
    PaymentAccount: lambda tag: configure_stripe(secret_key=f"sk_test_{tag}12345678", enabled=False),
    MemberTier: lambda tag: create_tier(name=tag[:40], threshold=new_id() % 10**9),
    Member: lambda tag: member_of(_make_consumer(f"{tag}-{new_id()}").id),
    PointsEntry: lambda tag: credit(_make_consumer(f"{tag}-{new_id()}").id, 10, PointsKind.ADJUSTMENT, note=tag),
    GrowthEntry: lambda tag: add_growth(_make_consumer(f"{tag}-{new_id()}").id, 10, "adjustment", note=tag),
    OrderReward: lambda tag: (lambda order: _add(OrderReward(consumer_id=order.consumer_id, order_id=order.id,
                                                             line_id=new_id(), quantity=1, points=1, growth=1)))(
        _order(tag)),
    SignIn: lambda tag: sign_in(_make_consumer(f"{tag}-{new_id()}").id),
    Automation: lambda tag: _automation(tag),
    AutomationRun: lambda tag: _add(AutomationRun(automation_id=_automation(tag).id,
                                                  consumer_id=_make_consumer(f"{tag}-{new_id()}").id,
                                                  occasion=tag, due_at=utcnow())),
    CardPlan: lambda tag: create_plan(name=tag[:40], period="month", price=100),
    MemberCard: lambda tag: _add(MemberCard(consumer_id=_make_consumer(f"{tag}-{new_id()}").id,
                                            plan_id=create_plan(name=tag[:40], period="year", price=100).id,
                                            starts_at=utcnow(), source="code")),
    CardCode: lambda tag: (lambda plan: db.session.scalar(select(CardCode).where(CardCode.plan_id == plan.id)))(
        (lambda plan: (make_card_codes(plan, 1, "t"), plan)[1])(create_plan(name=tag[:40], period="year", price=1))),
    RechargePlan: lambda tag: create_recharge_plan(pay=100, bonus=10),
    WalletEntry: lambda tag: move(_make_consumer(f"{tag}-{new_id()}").id, 100, 0, "adjustment", note=tag),
    MemberSegment: lambda tag: create_segment(tag[:60], {"points_at_least": 1}),
    RedemptionItem: lambda tag: create_offer(sku_id=db.session.scalars(select(Sku.id).where(
        Sku.item_id == create_item(kind="physical", name=tag, price=100).id)).one(), points=10),
    TaskClaim: lambda tag: _add(TaskClaim(consumer_id=_make_consumer(f"{tag}-{new_id()}").id, task="profile", points=1)),
    Review: lambda tag: (lambda order: _add(Review(order_id=order.id, line_id=new_id(), item_id=new_id(),
                                                   consumer_id=order.consumer_id, rating=5, body=tag)))(_order(tag)),
    TierChange: lambda tag: _add(TierChange(consumer_id=_make_consumer(f"{tag}-{new_id()}").id, to_tier=tag[:40])),
    ExclusiveItem: lambda tag: _add(ExclusiveItem(item_id=create_item(kind="physical", name=tag, price=100).id,
                                                  tier_id=new_id())),
    InboxMessage: lambda tag: _add(InboxMessage(consumer_id=_make_consumer(f"{tag}-{new_id()}").id, title=tag[:60])),
    BookableResource: lambda tag: _bookable(tag, "service"),
    BookingStaff: lambda tag: create_staff(name=tag[:60]),
    EventSession: lambda tag: create_session(_bookable(tag, "ticket"), starts_at=utcnow(),
                                             ends_at=utcnow() + dt.timedelta(hours=2)),
    TicketQuota: lambda tag: (lambda event: create_quota(event, name=tag[:60], size=10, sku_ids=[str(db.session.scalar(
        select(Sku.id).where(Sku.item_id == event.item_id)))]))(_bookable(tag, "ticket")),
    BookingBlock: lambda tag: create_block(resource_id=_bookable(tag, "room").id, starts_at=utcnow(),
                                           ends_at=utcnow() + dt.timedelta(days=1), note=tag[:200]),
    Booking: lambda tag: (lambda order: _add(Booking(resource_id=_bookable(tag, "service").id, order_id=order.id,
                                                     order_line_id=new_id(), sku_id=1, starts_at=utcnow(),
                                                     ends_at=utcnow() + dt.timedelta(hours=1), quantity=1)))(
        _order(tag)),
}


def _bookable(tag, kind):
    return create_resource(item_id=create_item(kind=kind, name=tag, price=100).id)


def _automation(tag):
    return create_automation(name=tag[:60], trigger="registration", points=1)


def _coupon(tag):
    return create_coupon(CouponRules(name=tag, kind="amount", amount=100, valid_days=7))


def _order(tag):
    return _add(Order(number=str(new_id()), consumer_id=_make_consumer(f"{tag}-{new_id()}").id, fulfillment_type="none",
                      currency="CNY", items_total=100, total=100))


def _adjustment(order):
    return _add(OrderAdjustment(order_id=order.id, sequence=0, step="coupon", source_kind="coupon", source_id=1,
                                label="Coupon", amount=-10, funded_by="merchant"))


def _payment(tag):
    return _add(Payment(order_id=_order(tag).id, provider="sandbox", amount=100, currency="CNY"))


def _add(row):
    db.session.add(row)
    db.session.flush()
    return row


def _staff(tag):
    from core.identities import create_identity

    return add_staff(identity=create_identity(email=f"{tag}@staff.example.com", password="password123"), role="clerk")


def _tenant_models():
    return sorted({m.class_ for m in db.Model.registry.mappers if issubclass(m.class_, TenantModel)},
                  key=lambda cls: cls.__name__)


def test_every_tenant_model_has_a_factory(app):
    missing = [cls.__name__ for cls in _tenant_models() if cls not in FACTORIES]
    assert missing == []


@pytest.mark.parametrize("model", list(FACTORIES), ids=lambda m: m.__name__)
def test_rows_of_one_tenant_are_invisible_and_unwritable_from_another(db_session, tenant_a, tenant_b, model):
    with tenant_scope(tenant_a):
        row = FACTORIES[model]("alpha")
        key = (row.tenant_id, row.id)
    db_session.expunge_all()

    with tenant_scope(tenant_b):
        FACTORIES[model]("beta")  # B has rows of its own; A's must still be out of reach
        assert key[1] not in set(db_session.scalars(select(model.id)))
        assert all(row.tenant_id == tenant_b.id for row in db_session.scalars(select(model)))
        assert model.get(key[1]) is None
        assert db_session.execute(update(model).where(model.id == key[1]).values(id=model.id)).rowcount == 0
        assert db_session.execute(delete(model).where(model.id == key[1])).rowcount == 0

    with tenant_scope(tenant_a):
        assert model.get(key[1]) is not None


def test_query_without_tenant_raises(db_session, tenant_a):
    with tenant_scope(tenant_a):
        _make_consumer("alpha")
    with pytest.raises(NoTenantError):
        db_session.scalars(select(Consumer)).all()
    with pytest.raises(NoTenantError):
        db_session.execute(update(Consumer).values(name="x"))
    with pytest.raises(NoTenantError):
        db_session.execute(delete(Consumer))


def test_insert_without_tenant_raises(db_session):
    db_session.add(Consumer(email="nobody@example.com"))
    with pytest.raises(NoTenantError):
        db_session.flush()
    db_session.rollback()


def test_core_insert_gets_tenant_id_from_context(db_session, tenant_a):
    with tenant_scope(tenant_a):
        db_session.execute(Consumer.__table__.insert().values(id=42, email="core@example.com", name="",
                                                               created_at=utcnow()))
        assert db_session.scalar(select(Consumer.tenant_id).where(Consumer.id == 42)) == tenant_a.id


def test_prepared_statements_name_their_tenant_or_are_refused(db_session, tenant_a, tenant_b):
    table = Consumer.__table__
    with tenant_scope(tenant_a):
        mine = new_row(Consumer, id=new_id(), email="mine@example.com")
        insert_rows(Consumer, [mine])
    with tenant_scope(tenant_b):
        insert_rows(Consumer, [new_row(Consumer, id=new_id(), email="theirs@example.com")])
    scoped = select(table.c.email).where(of_tenant(table), table.c.email.like(bindparam("pattern")))
    with tenant_scope(tenant_a):
        assert mine.tenant_id == tenant_a.id
        assert [row.email for row in execute(scoped, {"pattern": "%@example.com"})] == ["mine@example.com"]
        for unscoped in (select(table.c.email), update(table).values(name="x"), delete(table)):
            with pytest.raises(NoTenantError):
                execute(unscoped)
    with pytest.raises(NoTenantError):
        execute(scoped, {"pattern": "%"})


def test_writing_another_tenants_object_raises(db_session, tenant_a, tenant_b):
    with tenant_scope(tenant_a):
        consumer = _make_consumer("alpha")
    with tenant_scope(tenant_b):
        consumer.name = "stolen"
        with pytest.raises(NoTenantError):
            db_session.flush()
    db_session.rollback()


def test_platform_scope_crosses_tenants_on_purpose(db_session, tenant_a, tenant_b):
    for tenant in (tenant_a, tenant_b):
        with tenant_scope(tenant):
            _make_consumer(tenant.slug)
    with platform_scope():
        tenants = set(db_session.scalars(select(Consumer.tenant_id)))
    assert tenants == {tenant_a.id, tenant_b.id}


def test_leaving_a_collection_never_nulls_tenant_id(db_session, tenant_a):
    with tenant_scope(tenant_a):
        consumer = _make_consumer("alpha")
        issue_token(consumer)
        db_session.flush()
        db_session.expire_all()
        consumer = Consumer.get(consumer.id)
        tokens = db_session.scalars(select(AccessToken).where(AccessToken.consumer_id == consumer.id)).all()
        token = tokens[0]
        db_session.refresh(consumer, ["tokens"])
        consumer.tokens.remove(token)
        db_session.flush()
        assert (token.tenant_id, token.consumer_id) == (tenant_a.id, None)
        assert db_session.scalar(select(AccessToken.tenant_id).where(AccessToken.id == token.id)) == tenant_a.id


def test_tenant_tables_lead_their_keys_with_tenant_id(app):
    for table in tenant_tables():
        assert list(table.primary_key.columns.keys())[:1] == ["tenant_id"], table.name
        for constraint in table.foreign_key_constraints:
            if constraint.referred_table.name in {t.name for t in tenant_tables()}:
                assert constraint.column_keys[0] == "tenant_id", (table.name, constraint.name)


# -- PostgreSQL: row-level security is a second wall -------------------------------------------

@pytest.fixture
def postgresql_only(backend):
    if backend != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")


def test_every_tenant_table_has_a_forced_policy(db_session, postgresql_only):
    names = sorted(t.name for t in tenant_tables())
    rows = db_session.execute(text(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "(SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) "
        "FROM pg_class c WHERE c.relname = ANY(:names) ORDER BY c.relname"), {"names": names}).all()
    assert [tuple(r) for r in rows] == [(name, True, True, 1) for name in names]


def test_the_application_role_is_not_privileged(db_session, postgresql_only):
    role = db_session.execute(text(
        "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")).one()
    assert tuple(role) == ("tessera_app", False, False)


@pytest.mark.parametrize("model", list(FACTORIES), ids=lambda m: m.__tablename__)
def test_raw_sql_cannot_cross_tenants_under_rls(db_session, postgresql_only, tenant_a, tenant_b, model):
    table = model.__tablename__
    with tenant_scope(tenant_a):
        FACTORIES[model]("alpha")
    with tenant_scope(tenant_b):
        assert db_session.execute(text(f"SELECT count(*) FROM {table} WHERE tenant_id = :a"), {"a": tenant_a.id}).scalar() == 0
        assert db_session.execute(text(f"UPDATE {table} SET tenant_id = tenant_id WHERE tenant_id = :a"),
                                  {"a": tenant_a.id}).rowcount == 0
        assert db_session.execute(text(f"DELETE FROM {table} WHERE tenant_id = :a"), {"a": tenant_a.id}).rowcount == 0
    with tenant_scope(tenant_a):
        assert db_session.execute(text(f"SELECT count(*) FROM {table} WHERE tenant_id = :a"), {"a": tenant_a.id}).scalar() >= 1


def test_raw_insert_into_another_tenant_is_refused_by_rls(db_session, postgresql_only, tenant_a, tenant_b):
    with tenant_scope(tenant_b):
        savepoint = db_session.begin_nested()
        with pytest.raises(DBAPIError, match="row-level security"):
            db_session.execute(text("INSERT INTO consumers (tenant_id, id, name, created_at) "
                                    "VALUES (:t, 1, 'x', now())"), {"t": tenant_a.id})
        savepoint.rollback()


def test_raw_sql_with_no_tenant_sees_nothing(db_session, postgresql_only, tenant_a):
    with tenant_scope(tenant_a):
        _make_consumer("alpha")
    for table in tenant_tables():
        assert db_session.execute(text(f"SELECT count(*) FROM {table.name}")).scalar() == 0, table.name


@pytest.fixture
def one_connection_app(live_database, tmp_path, backend):
    """An app whose pool holds a single connection, so every transaction reuses it."""
    if backend != "postgresql":
        pytest.skip("row-level security is PostgreSQL's")
    from tests.conftest import dispose_app, make_app

    application = make_app(live_database, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0})
    yield application
    dispose_app(application)


def test_rls_settings_follow_the_context_on_a_reused_connection(one_connection_app):
    from tenants.services import create_tenant

    count = text("SELECT count(*) FROM consumers")
    with one_connection_app.app_context():
        shops = [create_tenant(slug=slug, name=slug) for slug in ("rls-a", "rls-b")]
        for shop, n in zip(shops, (1, 2), strict=True):
            with tenant_scope(shop):
                for i in range(n):
                    _make_consumer(f"{shop.slug}-{i}")
        db.session.commit()
        for shop, n in zip(shops * 2, (1, 2) * 2, strict=True):  # committed transactions, one connection
            with tenant_scope(shop):
                assert db.session.execute(count).scalar() == n
            db.session.commit()
        with tenant_scope(shops[1]):
            assert db.session.execute(count).scalar() == 2
        db.session.rollback()  # the settings may have reverted: they are written again
        assert db.session.execute(count).scalar() == 0  # no shop: nothing
        db.session.commit()
        with platform_scope():
            assert db.session.execute(count).scalar() == 3
        db.session.commit()
        with tenant_scope(shops[0]):
            assert db.session.execute(count).scalar() == 1


def test_a_pooled_connection_that_died_while_idle_is_replaced(one_connection_app, database_url, monkeypatch):
    from sqlalchemy import create_engine

    from core import db as db_module

    monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.0)
    with one_connection_app.app_context():
        first = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        db.session.commit()
        db.session.remove()
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")  # the server holding the connection
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(CAST(:pid AS integer))"), {"pid": first})
        admin.dispose()
        second = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        assert second != first


def test_a_pooled_connection_carries_no_tenant_or_role_out_of_its_transaction(one_connection_app):
    """The settings are local to each transaction (SET LOCAL, set_config(…, true)): what the pool
    hands out next holds no shop, no platform scope and the application's own role."""
    from tenants.services import create_tenant

    with one_connection_app.app_context():
        shop = create_tenant(slug="rls-local", name="Local")
        db.session.commit()
        with tenant_scope(shop):
            _make_consumer("local")
            assert db.session.execute(text("SELECT current_setting('app.tenant_id', true)")).scalar() == str(shop.id)
            db.session.commit()
        with platform_scope():
            assert db.session.execute(text("SELECT current_user, current_setting('app.platform', true)")).one() == \
                ("tessera_app", "on")
            db.session.commit()
        db.session.remove()
        raw = db.engine.raw_connection()  # the pool's one connection, outside any transaction of ours
        try:
            with raw.cursor() as cursor:
                cursor.execute("SELECT coalesce(current_setting('app.tenant_id', true), ''), "
                               "coalesce(current_setting('app.platform', true), ''), current_user, "
                               "(SELECT count(*) FROM consumers)")
                assert cursor.fetchone() == ("", "", "tessera_app", 0)
        finally:
            raw.close()


def test_begin_and_the_settings_go_with_the_first_statement(one_connection_app, monkeypatch):
    """Without Citus a transaction's BEGIN and its tenant's settings cost no round trip of their
    own: they go in the first statement's pipeline when core.prepared runs it, just before it
    otherwise (one command), and not at all when the transaction runs nothing."""
    import psycopg

    from core.citus import on_citus
    from core.tenancy import _rls_settings
    from tenants.services import create_tenant

    sent = []  # (SQL, sent inside a pipeline)
    original = psycopg.Cursor.execute

    def spy(cursor, query, params=None, **kwargs):
        sent.append((str(query), cursor.connection._pipeline is not None))
        return original(cursor, query, params, **kwargs)

    consumers = Consumer.__table__
    by_id = select(consumers.c.name).where(of_tenant(consumers), consumers.c.id == bindparam("consumer_id"))
    with one_connection_app.app_context():
        if on_citus(db.session.connection()):
            pytest.skip("Citus takes its settings at the BEGIN (SET LOCAL, propagated to the workers)")
        shop = create_tenant(slug="rls-late", name="Late")
        db.session.commit()
        shop_id = str(shop.id)
        with tenant_scope(shop):
            consumer = _make_consumer("late")
            db.session.commit()
            monkeypatch.setattr(psycopg.Cursor, "execute", spy)
            assert execute(by_id, {"consumer_id": consumer.id}).scalar_one() == consumer.name
            db.session.commit()
            begin, settings, statement = sent
            assert begin == ("BEGIN", True) and statement[1] is True and "FROM consumers" in statement[0]
            assert settings == (_rls_settings((shop_id, "off")), True)

            sent.clear()
            assert db.session.execute(select(Consumer.name).where(Consumer.id == consumer.id)).scalar_one() == "late"
            db.session.rollback()
            assert sent[0] == (f"BEGIN; {_rls_settings((shop_id, 'off'))}", False)  # one command, then the query
            assert not any("BEGIN" in sql for sql, _ in sent[1:])

            sent.clear()
            db.session.connection()  # a transaction that runs nothing sends nothing
            db.session.commit()
            assert sent == []

            with db.session.begin_nested():  # a savepoint first: BEGIN goes before it
                assert execute(by_id, {"consumer_id": consumer.id}).scalar_one() == consumer.name
            db.session.commit()
        with tenant_scope(create_tenant(slug="rls-late-b", name="B")):  # another shop: its settings, its rows
            assert execute(by_id, {"consumer_id": consumer.id}).first() is None
            assert db.session.execute(text("SELECT count(*) FROM consumers")).scalar() == 0
        db.session.rollback()


def test_a_read_asked_for_later_goes_with_the_next_statement_and_sees_what_was_there(one_connection_app, monkeypatch):
    """execute_later: on PostgreSQL without Citus the read waits and goes ahead of the next
    statement core.prepared runs, in its pipeline; before any other statement it runs first, so it
    answers what was there when it was asked for; alone when its rows are wanted first; and it is
    bound to the shop it was asked for in. On Citus (and SQLite) it runs at once."""
    import psycopg

    from core.citus import on_citus
    from core.tenancy import execute_later
    from tenants.services import create_tenant

    consumers = Consumer.__table__
    by_id = select(consumers.c.name).where(of_tenant(consumers), consumers.c.id == bindparam("consumer_id"))
    sent = []
    original = psycopg.Cursor.execute

    def spy(cursor, query, params=None, **kwargs):
        sent.append((str(query), cursor.connection._pipeline is not None))
        return original(cursor, query, params, **kwargs)

    with one_connection_app.app_context():
        carried = not on_citus(db.session.connection())
        shop_a, shop_b = create_tenant(slug="later-a", name="A"), create_tenant(slug="later-b", name="B")
        with tenant_scope(shop_a):
            alpha, beta = _make_consumer("alpha").id, _make_consumer("beta").id
        db.session.commit()
        monkeypatch.setattr(psycopg.Cursor, "execute", spy)
        with tenant_scope(shop_a):
            first, second = (execute_later(by_id, {"consumer_id": consumer}) for consumer in (alpha, beta))
            assert (sent == []) is carried  # waiting (with the transaction's BEGIN)
            assert execute(by_id, {"consumer_id": alpha}).scalar() == "alpha"  # carries both
            if carried:  # BEGIN, the settings, two reads and the query: one round trip
                assert [pipelined for _, pipelined in sent] == [True] * 5
            assert first.rows().scalar() == "alpha" and second.rows().scalar() == "beta"

            renamed = execute_later(by_id, {"consumer_id": alpha})
            db.session.execute(update(Consumer).where(Consumer.id == alpha).values(name="renamed"))
            assert renamed.rows().scalar() == "alpha"  # run before the UPDATE that followed it
            alone = execute_later(by_id, {"consumer_id": alpha})
            assert alone.rows().scalar() == "renamed"  # nothing carried it: it ran when asked
            db.session.rollback()
            forgotten = execute_later(by_id, {"consumer_id": alpha})
            db.session.rollback()  # a transaction's end forgets it; asked for, it runs in the next
            assert forgotten.rows().scalar() == "alpha"
            db.session.rollback()
            elsewhere = execute_later(by_id, {"consumer_id": alpha})
        with tenant_scope(shop_b):
            assert execute(by_id, {"consumer_id": beta}).first() is None  # carries shop A's read
            # run with shop B's settings, it finds nothing of A: a read is asked for just before the
            # statement that carries it, in the same shop
            assert elsewhere.rows().scalar() == (None if carried else "alpha")
        db.session.rollback()


def test_the_fail_closed_check_sees_every_tenant_table_of_a_statement(db_session):
    from sqlalchemy import exists

    from core.identities import StaffMember
    from core.tenancy import NoTenantError, Tenant

    joined = select(Tenant.id).join(StaffMember, StaffMember.tenant_id == Tenant.id)
    in_a_subquery = select(Tenant.id).where(exists(select(StaffMember.id).where(StaffMember.tenant_id == Tenant.id)))
    core_table = select(Tenant.id).where(Tenant.id.in_(select(OrderLine.__table__.c.tenant_id)))
    for statement in (joined, in_a_subquery, core_table):
        with pytest.raises(NoTenantError):
            db_session.execute(statement)
    assert db_session.execute(select(Tenant.id).limit(1)).all() is not None  # platform tables need no tenant
    with platform_scope():
        assert db_session.execute(joined).all() is not None


def test_on_citus_a_tenant_query_goes_to_one_shard_and_a_platform_one_to_all(db_session, backend, tenant_a):
    """Tenant tables are distributed by tenant_id: a query naming its tenant is routed to the one
    shard holding that tenant (a bound parameter, as the application sends it); only the platform's
    own cross-tenant queries (docs/scaling.md lists them) go to every shard."""
    from core.citus import on_citus

    if backend != "postgresql" or not on_citus(db_session.connection()):
        pytest.skip("Citus only")
    with tenant_scope(tenant_a):
        routed = db_session.execute(text("EXPLAIN SELECT id FROM items WHERE tenant_id = :tenant AND status = 'on_sale'"),
                                    {"tenant": tenant_a.id}).scalars().all()
    assert "Task Count: 1" in "\n".join(routed)
    with platform_scope():
        spread = db_session.execute(text("EXPLAIN SELECT count(*) FROM orders WHERE status = 'unpaid'")).scalars().all()
    assert "Task Count: 1\n" not in "\n".join(spread) + "\n"
    assert db_session.execute(text(
        "SELECT count(DISTINCT colocationid) FROM pg_dist_partition WHERE partmethod = 'h'")).scalar() == 1
