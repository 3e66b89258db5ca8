#!/usr/bin/env python3
"""A month of a busy service's availability against a bare Flask hello-world, under the same
gunicorn settings (issue 18).

    python bench/availability.py [--workers 2] [--seconds 10] [--connections 32] [--bookings 2000]

Builds a fresh PostgreSQL database (`tessera_bench_booking`): a shop with a home-cleaning service
(eight housekeepers, eight places a slot, 08:00–20:00 every day in 30-minute steps of one-hour
slots: 713 slots in 31 days) and a room type of ten rooms. Then, in one process:

1. the statements one availability read of 31 days makes (`GET /api/v1/booking/availability`,
   the whole request: shop, resource, staff, blocks, bookings) with 10 bookings in the month,
   then with `--bookings` (and 40 blocks): the count must not grow with them (exit 1 otherwise);
2. wrk: hello-world, then the month's availability of the busy service and of the room type
   (`X-Tenant`), both uncached, each compared with hello-world.

The bookings are written as rows (confirmed, spread over the month's slots and staff, within
capacity) rather than through checkout: what is measured is the read. Prints a Markdown table."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Gunicorn, fresh_start, row, server_options, wrk  # noqa: E402

REDIS = os.environ.get("TESSERA_BENCH_REDIS", "redis://127.0.0.1:6379/13")
SHOP = {"X-Tenant": "bench"}
DAYS = 31
ALL_WEEK = [[["08:00", "20:00"]]] * 7


def build_shop(database_url: str, instance: Path) -> dict:
    """The shop, its service and room type; their availability URLs for the month."""
    os.environ.update(TESSERA_DATABASE_URL=database_url, TESSERA_INSTANCE_PATH=str(instance), REDIS_URL=REDIS)
    from app import create_app
    from core.db import db
    from core.migrate import upgrade
    from core.tenancy import tenant_scope
    from engines.booking.availability import local_today
    from engines.booking.resources import create_resource, create_staff
    from engines.catalog.services import create_item
    from tenants.services import create_tenant

    upgrade(database_url)
    app = create_app()
    with app.app_context():
        tenant = create_tenant(slug="bench", name="Bench Home Services")
        with tenant_scope(tenant):
            cleaning = create_item(kind="service", name="Home cleaning", price=12800, status="on_sale")
            room = create_item(kind="room", name="Garden room", price=48000, status="on_sale")
            service = create_resource(item_id=cleaning.id, capacity=8, duration_minutes=60, step_minutes=30,
                                      hours=ALL_WEEK, staffed=True, lead_minutes=0, horizon_days=90)
            rooms = create_resource(item_id=room.id, capacity=10, min_stay=1, max_stay=14, weekend_price=58000,
                                    horizon_days=90)
            for name in ("Wang Fang", "Li Na", "Zhang Min", "Chen Jing", "Liu Yang", "Yang Li", "Zhao Lei", "Huang Mei"):
                create_staff(name=name, resource_ids=[str(service.id)], hours=ALL_WEEK)
            first = local_today(dt.datetime.now(dt.UTC)) + dt.timedelta(days=1)
            facts = {"tenant": tenant, "service": service.id, "rooms": rooms.id, "first": first,
                     "last": first + dt.timedelta(days=DAYS - 1)}
        db.session.commit()
    return {"app": app, **facts}


def add_bookings(shop: dict, count: int, blocks: int = 0) -> None:
    """`count` more confirmed bookings of the service spread over the month, each an hour on the
    hour served by a housekeeper free then (never more than the eight places); and `blocks`
    one-hour blocks of housekeepers."""
    from sqlalchemy import select

    from core.db import db
    from core.ids import new_id
    from core.tenancy import tenant_scope
    from engines.booking.availability import find_resource, slot_starts, zone
    from engines.booking.models import Booking, BookingBlock, BookingStaff, BookingStatus
    from engines.catalog.services import skus_by_item

    with shop["app"].app_context(), tenant_scope(shop["tenant"]):
        service = find_resource(shop["service"])
        staff = list(db.session.scalars(select(BookingStaff.id).order_by(BookingStaff.id)))
        sku = skus_by_item([service.item_id])[service.item_id][0].id
        taken = {(b.starts_at, b.staff_id) for b in db.session.scalars(select(Booking))}
        hours = [start for offset in range(DAYS)
                 for start in slot_starts(service, shop["first"] + dt.timedelta(days=offset), zone())
                 if start.minute == 0]
        free = [(start, member) for member in staff for start in hours if (start, member) not in taken]
        if count > len(free):
            raise SystemExit(f"room for {len(free)} more bookings this month, not {count}")
        stride = len(free) / count if count else 1
        for number in range(count):
            start, member = free[int(number * stride)]
            db.session.add(Booking(resource_id=service.id, order_id=new_id(), order_line_id=new_id(), sku_id=sku,
                                   staff_id=member, starts_at=start, ends_at=start + dt.timedelta(hours=1), quantity=1,
                                   status=BookingStatus.CONFIRMED, answers={}, address={}, photos=[]))
        for number in range(blocks):
            start = hours[(number * 13) % len(hours)] + dt.timedelta(minutes=30)
            db.session.add(BookingBlock(staff_id=staff[number % len(staff)], starts_at=start,
                                        ends_at=start + dt.timedelta(hours=1), note="Bench"))
        db.session.commit()


def statements_of_one_read(shop: dict, url: str) -> int:
    """The SQL statements one availability request makes, in process (the whole request)."""
    from sqlalchemy import event

    from core.db import db

    app = shop["app"]
    with app.app_context():
        engine = db.engine
    counted = []

    def count(*_args):
        counted.append(1)

    client = app.test_client()
    client.get(url, headers=SHOP)  # the app's first request warms its caches
    event.listen(engine, "before_cursor_execute", count)
    try:
        answer = client.get(url, headers=SHOP)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    if answer.status_code != 200:
        raise SystemExit(f"{url} answered {answer.status_code}: {answer.get_data(as_text=True)[:300]}")
    return len(counted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    server_options(parser, seconds=10)
    parser.add_argument("--bookings", type=int, default=2000)
    args = parser.parse_args()

    instance, database_url = fresh_start(REDIS, "tessera_bench_booking")
    shop = build_shop(database_url, instance)
    month = f"from={shop['first'].isoformat()}&to={shop['last'].isoformat()}"
    slots_url = f"/api/v1/booking/availability?resource={shop['service']}&{month}"
    nights_url = f"/api/v1/booking/availability?resource={shop['rooms']}&{month}"

    add_bookings(shop, 10)
    few = statements_of_one_read(shop, slots_url)
    add_bookings(shop, args.bookings - 10, blocks=40)
    many = statements_of_one_read(shop, slots_url)
    print(f"statements of one 31-day read of the service: {few} with 10 bookings, {many} with {args.bookings} "
          f"bookings and 40 blocks — {'constant' if few == many else 'GROWS'}")
    with shop["app"].app_context():
        from core.db import db

        db.engine.dispose()

    env = {"TESSERA_DATABASE_URL": database_url, "TESSERA_INSTANCE_PATH": str(instance), "REDIS_URL": REDIS}
    run = {"seconds": args.seconds, "connections": args.connections}
    results = []
    with Gunicorn("bench.hello:app", workers=args.workers, env={}) as hello:
        hello.wait()
        wrk(hello.url + "/", seconds=2, connections=args.connections)
        base = wrk(hello.url + "/", **run)
        results.append(("Flask hello-world", base, None))
        with Gunicorn("app:create_app()", workers=args.workers, env=env) as shop_server:
            shop_server.wait("/healthz")
            wrk(shop_server.url + slots_url, seconds=2, connections=args.connections, headers=SHOP)
            results.append((f"Service, 31 days ({args.bookings} bookings)",
                            wrk(shop_server.url + slots_url, headers=SHOP, **run), base["rps"]))
            results.append(("Room type, 31 nights", wrk(shop_server.url + nights_url, headers=SHOP, **run), base["rps"]))
        results.append(("Flask hello-world, after", wrk(hello.url + "/", **run), None))
    print(f"gunicorn -w {args.workers} (sync), wrk -t2 -c{args.connections} -d{args.seconds}s, {os.cpu_count()} cores; "
          f"PostgreSQL, Redis stamps")
    print("| run                                | req/s     | p50 ms   | p99 ms   | ratio  |")
    print("|------------------------------------|-----------|----------|----------|--------|")
    failed = few != many
    for name, figures, compared_with in results:
        print(row(name, figures, compared_with))
        if figures["non_2xx"]:
            print(f"  ({figures['non_2xx']} non-2xx responses)")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
