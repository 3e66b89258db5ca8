#!/usr/bin/env python3
"""Many shops on one deployment: is a shop's page as fast among 10,000 shops as among 10?

    python bench/tenants.py [--shops 10000] [--template ecommerce] [--workers 2] [--seconds 10]
                            [--connections 32]

Builds a fresh PostgreSQL database (`tessera_bench_tenants`) with `--shops` shops made from the
template with its demo data: one made as `tessera tenants create --template … --demo-data` makes
it, the rest copied from it in bulk, table by table, in SQL (`clone_shop`). One more shop is left
unpublished. Then drives gunicorn (Redis for the stamps and the shared page cache, database 13
here, flushed) with wrk, in one run against a bare Flask hello-world:

- the home page at random over 10 shops, then over all of them (after every shop's page was
  asked for once: the steady state of a deployment whose shops have visitors);
- the items API (`X-Tenant`) at random over 10 shops, then over all of them;
- a random slug that names no shop, and the unpublished shop's "Opening soon" page (both are
  cheap to probe, so they must be cheap to answer);
- orders placed (`POST /api/v1/checkout`, one SKU, pickup, by one of 32 buyers with a bearer
  token) at random over 10 shops, then over all of them: `--shops` more shops, copies of
  bench/checkout.py's orders shop.

Targets (issue 20): over all the shops, the home page's p50 within 1.5× of its p50 over 10
shops, and its requests/s within 1.5× too. Exits 1 when one is missed or a run had answers
other than the expected ones."""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Gunicorn, fresh_start, row, server_options, wrk  # noqa: E402

REDIS = os.environ.get("TESSERA_BENCH_REDIS", "redis://127.0.0.1:6379/13")
DATABASE = "tessera_bench_tenants"
SLUG = "shop-{:05d}"
UNPUBLISHED = "opening-soon"
TARGET_FACTOR = 1.5

SEEDED = """-- every thread seeds its own generator
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
end
function init(args)
  math.randomseed(os.time() * 1000 + index)
end
"""

RANDOM_PATHS = """
-- %(what)s at random over %(shops)d shops
local shops, kind = %(shops)d, "%(kind)s"
%(seeded)sfunction request()
  local slug = string.format("shop-%%05d", math.random(0, shops - 1))
  if kind == "home" then
    return wrk.format("GET", "/s/" .. slug .. "/")
  elseif kind == "items" then
    return wrk.format("GET", "/api/v1/items?limit=20", {["X-Tenant"] = slug})
  end
  return wrk.format("GET", string.format("/s/no-shop-%%08d/", math.random(0, 99999999)))
end
function response(status, headers, body)
  if status ~= %(expected)d then
    wrong = (wrong or 0) + 1
  end
end
"""


CHECKOUTS = """
-- orders placed at random over %(shops)d shops, each by one of their buyers
local ids = {%(ids)s}
local tokens = {%(tokens)s}
local body = '%(body)s'
%(seeded)sfunction request()
  local shop, buyer = ids[math.random(1, %(shops)d)], tokens[math.random(1, #tokens)]
  return wrk.format("POST", "/api/v1/checkout",
                    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer tsk_" .. shop .. buyer}, body)
end
"""


def build_buying_shops(database_url: str, instance: Path, shops: int) -> dict:
    """bench/checkout.py's orders shop (an item with ample stock, a store, 32 buyers with bearer
    tokens) and `shops - 1` copies of it: their ids, and what a buyer's token is after the shop's id."""
    from bench.checkout import build_shops

    source = build_shops(database_url, instance, buyers=32, flash_buyers=1, flash_stock=1)["bench"]
    from app import create_app
    from core.db import db
    from core.tenancy import Tenant, platform_scope

    app = create_app()
    with app.app_context():
        with platform_scope():
            tenant = db.session.get(Tenant, source["tenant_id"])
            ids = clone_shop(tenant, [(f"buy-{k:05d}", f"Buy {k}") for k in range(1, shops)])
        db.session.commit()
        db.engine.dispose()
    return {"ids": [source["tenant_id"], *ids], "tokens": [token.split("_", 2)[2] for token in source["tokens"]],
            "body": json.dumps(source["body"])}


def checkout_run(url: str, buying: dict, shops: int, run: dict) -> dict:
    script = Path(tempfile.mkstemp(prefix="tessera-bench-", suffix=".lua")[1])
    script.write_text(CHECKOUTS % {"shops": shops, "ids": ", ".join(f'"{i}"' for i in buying["ids"][:shops]),
                                   "tokens": ", ".join(f'"_{token}"' for token in buying["tokens"]),
                                   "body": buying["body"], "seeded": SEEDED})
    figures = wrk(url, script=script, **run)
    figures["wrong"] = figures["non_2xx"]
    return figures


def build(database_url: str, instance: Path, template: str, shops: int) -> float:
    """The shops: the first from the template, the others copied from it; seconds it took."""
    os.environ.update(TESSERA_DATABASE_URL=database_url, TESSERA_INSTANCE_PATH=str(instance), REDIS_URL=REDIS)
    from app import create_app
    from core.db import db
    from core.migrate import upgrade
    from core.tenancy import platform_scope, tenant_scope
    from templates_library.services import instantiate
    from tenants.services import create_tenant

    upgrade(database_url)
    app = create_app()
    started = time.monotonic()
    with app.app_context():
        source = create_tenant(slug=SLUG.format(0), name="Shop 0")
        with tenant_scope(source):
            instantiate(template, demo_data=True, actor="bench")
        create_tenant(slug=UNPUBLISHED, name="Opening Soon")
        db.session.commit()
        with platform_scope():  # the copies cross tenants
            clone_shop(source, [(SLUG.format(k), f"Shop {k}") for k in range(1, shops)])
        db.session.commit()
        db.engine.dispose()
    return time.monotonic() - started


def clone_shop(source, shops: list[tuple[str, str]]) -> list[int]:
    """New tenants (slug, name) holding copies of every tenant row of `source` — its app and
    published versions, items, stores, articles, demo data — in one INSERT … SELECT per table,
    in the order of the foreign keys. Ids stay as they are: tenant tables are keyed by
    (tenant_id, id)."""
    from sqlalchemy import insert, text

    from core.db import db
    from core.ids import new_id
    from core.tenancy import Tenant, tenant_tables

    tenant_table_names = {table.name for table in tenant_tables()}
    ids = [new_id() for _ in shops]
    db.session.execute(insert(Tenant.__table__), [
        {"id": tenant_id, "slug": slug, "name": name, "currency": source.currency, "timezone": source.timezone,
         "status": source.status,
         "created_at": source.created_at}
        for tenant_id, (slug, name) in zip(ids, shops)])
    db.session.execute(text("CREATE TEMPORARY TABLE bench_clones (id bigint PRIMARY KEY) ON COMMIT DROP"))
    db.session.execute(text("INSERT INTO bench_clones SELECT unnest(CAST(:ids AS bigint[]))"), {"ids": ids})
    for table in db.metadata.sorted_tables:
        if table.name not in tenant_table_names:
            continue
        others = [column.name for column in table.columns if column.name != "tenant_id"]
        columns = ", ".join(["tenant_id", *others])
        picked = ", ".join(["c.id", *(f"s.{name}" for name in others)])
        db.session.execute(text(f"INSERT INTO {table.name} ({columns}) SELECT {picked} "
                                f"FROM {table.name} s CROSS JOIN bench_clones c WHERE s.tenant_id = :source"),
                           {"source": source.id})
    return ids


def visit_every_shop(url: str, shops: int, threads: int = 8) -> None:
    """Each shop's home page and items once (as its first visitors would), failing on anything but
    200."""
    host, port = url.removeprefix("http://").split(":")

    def visit(part: int) -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        for k in range(part, shops, threads):
            for path, headers in ((f"/s/{SLUG.format(k)}/", {}), ("/api/v1/items?limit=20", {"X-Tenant": SLUG.format(k)})):
                connection.request("GET", path, headers=headers)
                answer = connection.getresponse()
                answer.read()
                if answer.status != 200:
                    raise SystemExit(f"{path} of {SLUG.format(k)} answered {answer.status}")
        connection.close()

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(visit, range(threads)))


def shared_keys(redis_url: str) -> int:
    import redis

    return redis.Redis.from_url(redis_url).dbsize()


def redis_memory(redis_url: str) -> str:
    import redis

    return redis.Redis.from_url(redis_url).info("memory")["used_memory_human"]


def random_run(url: str, kind: str, shops: int, expected: int, run: dict) -> dict:
    what = {"home": "home pages", "items": "the items API", "unknown": "slugs of no shop"}[kind]
    script = Path(tempfile.mkstemp(prefix="tessera-bench-", suffix=".lua")[1])
    script.write_text(RANDOM_PATHS % {"what": what, "shops": shops, "kind": kind, "expected": expected,
                                      "seeded": SEEDED})
    figures = wrk(url, script=script, **run)
    figures["wrong"] = figures["non_2xx"] if expected == 200 else 0
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shops", type=int, default=10_000)
    parser.add_argument("--template", default="ecommerce")
    server_options(parser, seconds=10)
    args = parser.parse_args()

    instance, database_url = fresh_start(REDIS, DATABASE)
    built_in = build(database_url, instance, args.template, args.shops)
    buying = build_buying_shops(database_url, instance, args.shops)
    env = {"TESSERA_DATABASE_URL": database_url, "TESSERA_INSTANCE_PATH": str(instance), "REDIS_URL": REDIS}
    run = {"seconds": args.seconds, "connections": args.connections}
    few = min(10, args.shops)
    results = []  # (name, figures, compared with hello-world's req/s or None)
    with Gunicorn("bench.hello:app", workers=args.workers, env={}) as hello, \
            Gunicorn("app:create_app()", workers=args.workers, env=env) as shop:
        hello.wait()
        shop.wait(f"/s/{SLUG.format(0)}/")
        wrk(hello.url + "/", seconds=2, connections=args.connections)
        base = wrk(hello.url + "/", **run)
        results.append(("Flask hello-world", base, None))
        started = time.monotonic()
        visit_every_shop(shop.url, args.shops)
        first_visits = time.monotonic() - started
        for kind, name in (("home", "Home page"), ("items", "Items API, 20 items")):
            for count in (few, args.shops):
                random_run(shop.url, kind, count, 200, {**run, "seconds": 2})  # warm-up
                results.append((f"{name}, {count} shops", random_run(shop.url, kind, count, 200, run), base["rps"]))
        results.append(("No such shop (random slugs)", random_run(shop.url, "unknown", args.shops, 404, run),
                        base["rps"]))
        closed = wrk(f"{shop.url}/s/{UNPUBLISHED}/", **run)
        closed["wrong"] = closed["requests"] - closed["non_2xx"]  # every answer should be the 404 page
        results.append(("Unpublished shop's page", closed, base["rps"]))
        for count in (few, args.shops):
            checkout_run(shop.url, buying, count, {**run, "seconds": 2})  # warm-up
            results.append((f"Orders placed, {count} shops", checkout_run(shop.url, buying, count, run), base["rps"]))
    print(f"{args.shops} shops from the {args.template} template with its demo data, built in {built_in:.0f} s; "
          f"every home page and items API first asked for in {first_visits:.0f} s")
    print(f"Redis afterwards (shared pages, answers and directory; stamps): {shared_keys(REDIS)} keys, "
          f"the server using {redis_memory(REDIS)}")
    print(f"gunicorn -w {args.workers} (sync), wrk -t2 -c{args.connections} -d{args.seconds}s, "
          f"{os.cpu_count()} cores; PostgreSQL, Redis (stamps and shared page cache)")
    print("| run                                | req/s     | p50 ms   | p99 ms   | ratio  |")
    print("|------------------------------------|-----------|----------|----------|--------|")
    missed = []
    for name, figures, compared_with in results:
        print(row(name, figures, compared_with))
        if figures.get("wrong"):
            print(f"  ({figures['wrong']} unexpected answers)")
            missed.append(name)
    figures = {name: result for name, result, _ in results}
    for name in ("Home page", "Items API, 20 items", "Orders placed"):
        small, large = figures[f"{name}, {few} shops"], figures[f"{name}, {args.shops} shops"]
        p50 = large["p50_ms"] / small["p50_ms"]
        rps = small["rps"] / large["rps"]
        met = p50 <= TARGET_FACTOR and rps <= TARGET_FACTOR
        print(f"{name}: over {args.shops} shops p50 {p50:.2f}× and req/s 1/{rps:.2f} of over {few} "
              f"(target within {TARGET_FACTOR}×) — {'met' if met else 'NOT MET'}")
        if name == "Home page" and not met:
            missed.append(name)
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
