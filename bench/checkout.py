#!/usr/bin/env python3
"""Checkout write path against a bare Flask hello-world, under the same gunicorn settings.

    python bench/checkout.py [--workers 2] [--threads 1] [--rounds 3] [--seconds 5] [--connections 32] [--history 100]
                             [--idempotency-keys] [--promotions] [--citus]

Builds a fresh PostgreSQL database (`tessera_bench_checkout`; `--citus`: on the local Citus
cluster of scripts/citus_cluster.sh, whose three nodes count as PostgreSQL's CPU) and measures, in one run, every
part driven by wrk (Lua scripts), the client hello-world is measured with:

1. hello-world requests/s and 2. completed orders/s, taking turns (`--rounds` of `--seconds`
   each), so that they see the machine at the same speed (it moves by up to a third from one
   minute to the next); the rates are pooled over the rounds. An order is the H5 checkout's two
   requests (without the Idempotency-Key the H5 adds), each sent once the answer before it is
   in: POST /checkout/pay (one SKU, pickup, sandbox: the order and its payment in one call) →
   POST the pay page with outcome=succeeded. `--idempotency-keys` adds a new key to every
   checkout, as the H5 does.
   Target ≥ 4% of hello-world. Each round also times orders whose payment is started apart, as
   an API client may: POST /checkout → POST /orders/<id>/payments → the pay page (three
   requests). `--connections` at once, buyers taking turns (`--connections` of them, each with a
   bearer token). Every counted order is checked paid in the database afterwards (exit 1
   otherwise). It also prints the CPU each completed order cost the gunicorn workers,
   PostgreSQL and wrk, and the machine's idle share during the orders. Before the rounds, the
   warm-up's orders are copied `--history` times (the shop's history, ~20,000 orders) and the
   tables analyzed, as autovacuum keeps a trading shop's (see `add_history`);
3. a flash sale: 1,000 buyers make exactly 5,000 attempts to check out 1 unit of a SKU with 500
   units, `--connections` at once. It must end with exactly 500 orders and stock 0 (the script
   exits 1 otherwise); the rate at which sold-out answers (409 out_of_stock) are served, from the
   first one to the last answer, is compared with hello-world (the mean of a turn just before
   the sale and one just after it). Target ≥ 50%. The same sold-out answer is then asked for
   for `--seconds` (the steady rate), and orders and stock are checked again.

Multi-worker gunicorn needs Redis (REDIS_URL, database 6 here, flushed; the tests use databases 8
to 15). Prints a Markdown table and one JSON line."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CpuMeter, Gunicorn, fresh_citus_database, fresh_database, row, wrk  # noqa: E402

REDIS = os.environ.get("TESSERA_BENCH_REDIS", "redis://127.0.0.1:6379/6")
DATABASE = "tessera_bench_checkout"
ORDERS_TARGET, SOLD_OUT_TARGET = 4.0, 50.0


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def ratio_row(name: str, figures: dict, base: float, target: float | None = None) -> str:
    """common.row, with the ratio to one decimal (orders are a few percent of hello-world)."""
    line = row(name, figures, base)
    ratio = f"{figures['rps'] / base * 100:.1f}%"
    line = line[:line.rindex("|", 0, -1)] + f"| {ratio:>6} |"
    return line + (f"  target ≥ {target:.0f}%" if target else "")


# -- the data -----------------------------------------------------------------------------------

COPIES_PER_RUN = 300  # coupon copies each buyer has for one wrk run of orders (a run makes ~50 a buyer)


def build_shops(database_url: str, instance: Path, *, buyers: int, flash_buyers: int, flash_stock: int,
                promotions: bool = False, coupon_copies: int = 0) -> dict:
    """Tenant `bench` (an item with ample stock, a store, `buyers` consumers) for the orders run,
    tenant `flash` (an item with `flash_stock` units, a store, `flash_buyers` consumers). With
    `promotions`, the bench shop runs two order promotions every order reaches (¥1 off ¥10, and
    5 % off one item or more), one of them with a budget that outlasts the run, and a coupon
    (¥2 off ¥10) of which each buyer holds `coupon_copies` copies: every order uses one."""
    os.environ.update(TESSERA_DATABASE_URL=database_url, TESSERA_INSTANCE_PATH=str(instance), REDIS_URL=REDIS)
    from app import create_app
    from core.consumers import Consumer, issue_token
    from core.db import db
    from core.migrate import upgrade
    from core.tenancy import tenant_scope
    from engines.catalog.services import create_item, skus_by_item
    from engines.stores.services import create_store
    from tenants.services import create_tenant

    upgrade(database_url)
    app = create_app()
    shops = {}
    with app.app_context():
        for slug, stock, count in (("bench", 10_000_000, buyers), ("flash", flash_stock, flash_buyers)):
            tenant = create_tenant(slug=slug, name=slug.title())
            with tenant_scope(tenant):
                item = create_item(kind="physical", name="Sourdough loaf", price=1200, stock=stock, status="on_sale")
                store = create_store(name="Main street")
                consumers = [Consumer(email=f"buyer{i}@example.com") for i in range(count)]
                db.session.add_all(consumers)
                db.session.flush()
                tokens = [issue_token(consumer) for consumer in consumers]
                sku = skus_by_item([item.id])[item.id][0]
                if promotions and slug == "bench":
                    import datetime as dt

                    from engines.marketing.promotions import create_promotion

                    now = dt.datetime.now(dt.UTC)
                    window = {"starts_at": now - dt.timedelta(hours=1), "ends_at": now + dt.timedelta(days=1)}
                    create_promotion(name="Spend", kind="spend", tiers=[{"threshold": 1000, "amount_off": 100}],
                                     **window)
                    create_promotion(name="Any item", kind="quantity", tiers=[{"threshold": 1, "percent_bp": 500}],
                                     budget=10**10, **window)
                copies = issue_copies(consumers, coupon_copies) if promotions and slug == "bench" else []
                shops[slug] = {"tenant_id": tenant.id, "sku": str(sku.id), "sku_id": sku.id, "tokens": tokens,
                               "copies": copies, "copy_runs": 0,
                               "body": {"lines": [{"sku_id": str(sku.id), "quantity": 1}],
                                        "fulfillment": {"type": "pickup", "store_id": str(store.id)}}}
            db.session.commit()
        db.engine.dispose()
    return shops


def issue_copies(consumers: list, count: int) -> list[list[str]]:
    """A coupon (¥2 off ¥10, no limits) and `count` copies of it for each consumer, inserted in
    bulk: each consumer's copy ids."""
    import datetime as dt

    from sqlalchemy import insert

    from core.db import db
    from core.ids import new_id
    from core.tenancy import current_tenant_id
    from engines.marketing.models import ConsumerCoupon
    from engines.marketing.services import CouponRules, create_coupon

    now = dt.datetime.now(dt.UTC)
    coupon = create_coupon(CouponRules(name="Two off", kind="threshold", amount=200, minimum=1000,
                                       ends_at=now + dt.timedelta(days=1), per_consumer_limit=100))
    copies = [[new_id() for _ in range(count)] for _ in consumers]
    rows = [{"tenant_id": current_tenant_id(), "id": copy_id, "coupon_id": coupon.id, "consumer_id": consumer.id,
             "status": "available", "source": "sent", "claimed_at": now, "valid_from": now - dt.timedelta(hours=1),
             "valid_until": now + dt.timedelta(days=1)}
            for consumer, ids in zip(consumers, copies) for copy_id in ids]
    for start in range(0, len(rows), 10_000):
        db.session.execute(insert(ConsumerCoupon), rows[start:start + 10_000])
    return [[str(copy_id) for copy_id in ids] for ids in copies]


def tally(database_url: str, slug: str, sku_id: int) -> dict:
    """Orders by status and the SKU's stock, read directly (one tenant, by its id)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        tenant_id = connection.execute(text("SELECT id FROM tenants WHERE slug = :s"), {"s": slug}).scalar_one()
        statuses = dict(connection.execute(text(
            "SELECT status, count(*) FROM orders WHERE tenant_id = :t GROUP BY status"), {"t": tenant_id}).all())
        stock = connection.execute(text("SELECT stock FROM skus WHERE tenant_id = :t AND id = :s"),
                                   {"t": tenant_id, "s": sku_id}).scalar_one()
    engine.dispose()
    return {"orders": sum(statuses.values()), "by_status": {str(k): v for k, v in statuses.items()}, "stock": stock}


# What a copy of a row changes: ids move into the past (below every id of the run), unique values
# take the copy's mark.
HISTORY_TABLES = {
    "orders": {"number": "'H' || {k} || '-' || number", "verification_code": "NULL"},
    "order_lines": {"order_id": "order_id - {shift}"},
    "order_transitions": {"order_id": "order_id - {shift}"},
    "payments": {"order_id": "order_id - {shift}", "provider_ref": "'H' || {k} || '-' || provider_ref"},
    "outbox_events": {},
}


def add_history(database_url: str, slug: str, copies: int) -> int:
    """Give the shop a trading history: its orders so far (with their lines, transitions, payments
    and events) copied `copies` times, then ANALYZE, as autovacuum keeps a trading shop's tables
    analyzed. Returns the shop's order count. Without a history PostgreSQL plans the prepared
    statements on near-empty tables, where every index costs the same, and keeps plans that scan
    the whole shop once the tables have grown."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        tenant_id = connection.execute(text("SELECT id FROM tenants WHERE slug = :s"), {"s": slug}).scalar_one()
        low, high = connection.execute(text(" UNION ALL ".join(
            f"SELECT min(id) AS low, max(id) AS high FROM {table} WHERE tenant_id = :t" for table in HISTORY_TABLES)
            .join(["SELECT min(low), max(high) FROM (", ") AS spans"])), {"t": tenant_id}).one()
        span = high - low + 1
        for table, changes in HISTORY_TABLES.items():
            columns = connection.execute(text(
                "SELECT column_name FROM information_schema.columns WHERE table_name = :table ORDER BY ordinal_position"),
                {"table": table}).scalars().all()
            copied = [("id - {shift}" if column == "id" else changes.get(column, column))
                      .format(k="k", shift=f"k * {span}") for column in columns]
            connection.execute(text(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(copied)} FROM {table}, "
                f"generate_series(1, :copies) AS k WHERE tenant_id = :t AND id BETWEEN :low AND :high"),
                {"copies": copies, "t": tenant_id, "low": low, "high": high})
        connection.execute(text("ANALYZE"))
        orders = connection.execute(text("SELECT count(*) FROM orders WHERE tenant_id = :t"), {"t": tenant_id}).scalar_one()
    engine.dispose()
    return orders


def paid_among(database_url: str, slug: str, order_ids: list[str]) -> int:
    """How many of these orders of one tenant the database holds as paid."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        paid = connection.execute(text(
            "SELECT count(*) FROM orders JOIN tenants ON tenants.id = orders.tenant_id "
            "WHERE tenants.slug = :s AND orders.id = ANY(:ids) AND orders.status = 'paid'"),
            {"s": slug, "ids": [int(i) for i in order_ids]}).scalar_one()
    engine.dispose()
    return paid


# -- wrk with a script (rotating bearer tokens, a JSON body) -----------------------------------

CHECKOUT_LUA = """
local tokens = {%(tokens)s}
local body = %(body)s
local function headers(buyer)  -- buyer from 0
  return {["Authorization"] = "Bearer " .. tokens[buyer %% #tokens + 1], ["Content-Type"] = "application/json",
          ["Accept"] = "application/json"}
end
-- attempt k (from 0) is made by buyer k %% #tokens
local function checkout(k)
  return wrk.format("POST", "/api/v1/checkout", headers(k), body)
end
-- wrk's threads, each told its index (the scripts' done() reads their counts)
local made = {}
function setup(thread)
  thread:set("index", #made)
  table.insert(made, thread)
end
-- the monotonic clock, through LuaJIT's FFI (wrk's own timing is per request, not per answer kind)
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } tessera_timespec;
           int clock_gettime(int clock_id, tessera_timespec *tp); ]]
local clock = ffi.new("tessera_timespec")
local function now()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end
"""


def checkout_script(shop: dict, name: str, lua: str, **values) -> Path:
    """A wrk script: CHECKOUT_LUA for this shop's buyers and body, then `lua` (%-formatted with
    `values`)."""
    script = Path(tempfile.mkdtemp(prefix="tessera-bench-")) / f"{name}.lua"
    script.write_text(CHECKOUT_LUA % {"tokens": ", ".join(json.dumps(t) for t in shop["tokens"]),
                                      "body": json.dumps(json.dumps(shop["body"]))} + lua % values)
    return script


SOLD_OUT_LUA = """
local counter = 0
request = function()
  counter = counter + 1
  return checkout(counter)
end
"""


def wrk_sold_out(url: str, shop: dict, *, seconds: int, connections: int) -> dict:
    """wrk posting checkouts of the sold-out SKU, rotating over the buyers' tokens."""
    script = checkout_script(shop, "sold_out", SOLD_OUT_LUA)
    return wrk(url, seconds=seconds, connections=connections, script=script)  # every answer should be a 409


ORDERS_LUA = """
-- Completed orders, each request sent once the answer before it is in: POST /checkout/pay (the
-- order and its payment in one call, as the H5 checkout does) → the pay page's form post; or, with
-- the payment started separately, POST /checkout → POST /orders/<id>/payments → the pay page.
-- wrk does not say which connection an answer came on, so the chain is followed through the
-- answers: the checkout's note names the buyer and when the order began; the answers name the
-- next request, which waits in this thread's queue for the next free connection (a new checkout
-- when none waits). Buyers take turns.
local slug = "%(slug)s"
local checkout_path = "%(checkout_path)s"
local body_open = %(body_open)s  -- the checkout body without its closing brace
local threads = %(threads)d
local key_prefix = "%(key_prefix)s"  -- each checkout sends an Idempotency-Key (as the H5 does) unless empty
local copies = {%(copies)s}  -- each buyer's coupon copies for this run (none: no coupon); one an order

function init(args)
  queue, head, tail = {}, 1, 0
  begun, buyers, checkouts, completed, failed, failure = {}, {}, 0, 0, 0, ""
  first_answer, last_completed = -1, -1
  completions = io.open("%(out)s." .. index, "w")  -- one line per completed order: its id and latency
  completions:setvbuf("line")
end

local function push(next_request)
  tail = tail + 1
  queue[tail] = next_request
end

function request()
  if head <= tail then
    local waiting = queue[head]
    queue[head], head = nil, head + 1
    return waiting
  end
  local buyer = index + threads * checkouts
  checkouts = checkouts + 1
  local checkout_headers = headers(buyer)
  if key_prefix ~= "" then
    checkout_headers["Idempotency-Key"] = key_prefix .. "-" .. index .. "-" .. checkouts
  end
  local coupon = ""
  if #copies > 0 then
    coupon = ', "coupon_ids": ["' .. copies[buyer %% #tokens + 1][math.floor(buyer / #tokens) + 1] .. '"]'
  end
  return wrk.format("POST", checkout_path, checkout_headers,
                    string.format('%%s%%s, "note": "b%%d %%.6f"}', body_open, coupon, buyer, now()))
end

local function fail(status, answer)
  failed = failed + 1
  if failure == "" then failure = status .. " " .. string.sub(answer, 1, 200) end
end

function response(status, response_headers, answer)
  local at = now()
  if first_answer < 0 then first_answer = at end
  local location = response_headers["Location"] or ""
  if status == 201 then
    local order_id = string.match(location, "/api/v1/orders/(%%d+)$")
    if order_id then  -- a new order: its note says whose and since when
      local buyer, started = string.match(answer, '"note":"b(%%d+) ([%%d.]+)"')
      begun[order_id], buyers[order_id] = tonumber(started), tonumber(buyer)
    else  -- a payment started separately
      order_id = string.match(answer, '"order_id":"(%%d+)"')
    end
    local page = string.match(answer, '"url":"https?://[^/"]+(/[^"]+)"')
    if page then
      push(wrk.format("POST", page, {["Content-Type"] = "application/x-www-form-urlencoded"},
                      "outcome=succeeded&return_to=/s/" .. slug .. "/orders/" .. order_id))
    else
      push(wrk.format("POST", "/api/v1/orders/" .. order_id .. "/payments", headers(buyers[order_id]),
                      '{"provider": "sandbox"}'))
    end
  elseif status == 303 then  -- paid: the pay page sends the buyer back to the order
    local order_id = string.match(location, "/orders/(%%d+)$")
    completed = completed + 1
    completions:write(string.format("%%s %%.6f\\n", order_id, at - begun[order_id]))
    begun[order_id], buyers[order_id] = nil, nil
    last_completed = at
  else
    fail(status, answer)
  end
end

function done(summary, latency, requests)
  local out = io.open("%(out)s", "w")
  local begun_at, ended_at = math.huge, 0
  for _, thread in ipairs(made) do
    local first, last = thread:get("first_answer"), thread:get("last_completed")
    if first >= 0 and first < begun_at then begun_at = first end
    if last > ended_at then ended_at = last end
    out:write(string.format("thread %%d %%d %%s\\n", thread:get("completed"), thread:get("failed"),
                            (thread:get("failure"):gsub("\\n", " "))))
  end
  out:write(string.format("window %%.6f %%.6f\\n", begun_at, ended_at))
  out:close()
end
"""


def pooled(bases: list[dict], runs: list[dict], meters: list[dict]) -> tuple[dict, dict, dict]:
    """Hello-world, orders and the orders' CPU over every round: rates from the totals, latency
    percentiles over every order, the worst hello-world percentiles."""
    hello_requests = sum(base["requests"] for base in bases)
    hello_seconds = sum(base["requests"] / base["rps"] for base in bases)
    base = {"rps": hello_requests / hello_seconds, "requests": hello_requests,
            "p50_ms": max(b["p50_ms"] for b in bases), "p99_ms": max(b["p99_ms"] for b in bases),
            "rounds": [round(b["rps"], 1) for b in bases]}
    latencies = [x for run in runs for x in run["latencies"]]
    span = sum(run["span"] for run in runs)
    ids = [i for run in runs for i in run["ids"]]
    orders = {"rps": len(ids) / span, "count": len(ids), "ids": ids, "span": span,
              "failures": sum(run["failures"] for run in runs),
              "first_failures": [f for run in runs for f in run["first_failures"]],
              "p50_ms": percentile(latencies, 0.5) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000,
              "rounds": [round(run["rps"], 1) for run in runs]}
    cpu = {key: sum(meter[key] for meter in meters) for key in ("workers_s", "postgres_s", "client_s")}
    cpu["idle_pct"] = sum(meter["idle_pct"] for meter in meters) / len(meters)
    return base, orders, cpu


def wrk_orders(url: str, shop: dict, *, slug: str, seconds: int, connections: int, one_call: bool = True,
               keyed: bool = False) -> dict:
    """Completed orders per second (from the first answer to the last completed order), their
    latency from checkout sent to pay page answered, the ids of the orders completed, failures.
    `one_call`: POST /checkout/pay (the H5 checkout's way), else POST /checkout, then the payment.
    `keyed`: every checkout sends a new Idempotency-Key."""
    threads = 2
    out = Path(tempfile.mkdtemp(prefix="tessera-bench-")) / "orders.txt"
    body = {**shop["body"], "provider": "sandbox"} if one_call else shop["body"]
    run = shop["copy_runs"]
    shop["copy_runs"] += 1
    copies = ", ".join("{" + ", ".join(json.dumps(c) for c in ids[run * COPIES_PER_RUN:(run + 1) * COPIES_PER_RUN])
                       + "}" for ids in shop["copies"])
    script = checkout_script(shop, "orders", ORDERS_LUA, slug=slug, threads=threads, out=out, copies=copies,
                             key_prefix=secrets.token_hex(6) if keyed else "",
                             checkout_path="/api/v1/checkout/pay" if one_call else "/api/v1/checkout",
                             body_open=json.dumps(json.dumps(body)[:-1]))
    figures = wrk(url, seconds=seconds, connections=connections, threads=threads, script=script)
    ids, latencies, failed, failures, completed = [], [], 0, [], 0
    for index in range(threads):
        for line in Path(f"{out}.{index}").read_text().splitlines():
            order_id, latency = line.split()
            ids.append(order_id)
            latencies.append(float(latency))
    for line in out.read_text().splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "thread":
            completed_here, failures_here, first_failure = rest.split(" ", 2)
            completed += int(completed_here)
            failed += int(failures_here)
            failures += [first_failure] if first_failure else []
        elif kind == "window":
            begun_at, ended_at = map(float, rest.split())
    span = ended_at - begun_at
    if completed != len(ids):
        raise SystemExit(f"wrk counted {completed} completed orders, its threads wrote {len(ids)}")
    return {"rps": len(ids) / span if span > 0 else 0.0, "count": len(ids), "ids": ids, "failures": failed,
            "first_failures": failures, "span": span, "latencies": latencies, "wrk": figures}


FLASH_LUA = """
-- The flash sale: exactly %(attempts)d checkout attempts, spread over wrk's threads; each thread
-- stops once its share is answered. Answers are counted by kind and timed on the monotonic clock
-- (LuaJIT FFI), so the rate of sold-out answers can be taken from the first one to the last answer.

local attempts, threads = %(attempts)d, %(threads)d

function init(args)
  share = math.floor(attempts / threads) + ((index < attempts %% threads) and 1 or 0)
  sent, answered, created, sold_out, other = 0, 0, 0, 0, 0
  first_answer, first_sold_out, last_answer = -1, -1, -1
end

function delay()
  return sent >= share and 3600000 or 0  -- the share is out: send nothing more
end

function request()
  local k = index + threads * sent
  sent = sent + 1
  return checkout(k)
end

function response(status, headers, answer)
  local at = now()
  answered = answered + 1
  if first_answer < 0 then first_answer = at end
  if status == 201 then
    created = created + 1
  elseif status == 409 and string.find(answer, '"out_of_stock"', 1, true) then
    sold_out = sold_out + 1
    if first_sold_out < 0 then first_sold_out = at end
  else
    other = other + 1
  end
  last_answer = at
  if answered >= share then wrk.thread:stop() end
end

function done(summary, latency, requests)
  local c, s, o, begun, first, last = 0, 0, 0, math.huge, math.huge, 0
  for _, thread in ipairs(made) do
    c, s, o = c + thread:get("created"), s + thread:get("sold_out"), o + thread:get("other")
    local f = thread:get("first_sold_out")
    if f >= 0 and f < first then first = f end
    if thread:get("first_answer") < begun then begun = thread:get("first_answer") end
    if thread:get("last_answer") > last then last = thread:get("last_answer") end
  end
  io.write(string.format('FLASH {"created": %%d, "sold_out": %%d, "other": %%d, "first_answer": %%.6f, ' ..
    '"first_sold_out": %%.6f, "last_answer": %%.6f}\\n', c, s, o, begun, first == math.huge and -1 or first, last))
end
"""


def wrk_flash_sale(url: str, shop: dict, *, attempts: int, connections: int, seconds: int) -> dict:
    """The flash sale driven by wrk (the client hello-world is measured with): counts of created,
    sold-out and other answers, and the sold-out answers per second from the first one to the last
    answer. wrk's threads stop when their share is answered, but wrk itself waits out `seconds`."""
    threads = 2
    script = checkout_script(shop, "flash_sale", FLASH_LUA, attempts=attempts, threads=threads)
    figures = wrk(url, seconds=seconds, connections=connections, threads=threads, script=script)
    counts = json.loads(figures["output"].split("FLASH ", 1)[1].splitlines()[0])
    window = counts["last_answer"] - counts["first_sold_out"]
    figures["rps"] = (counts["sold_out"] - 1) / window if counts["sold_out"] > 1 and window > 0 else 0.0
    return {**figures, **counts}


# -- the run ------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker (gunicorn's gthread worker when above 1; hello-world the same)")
    parser.add_argument("--seconds", type=int, default=5, help="of each hello-world and orders turn")
    parser.add_argument("--rounds", type=int, default=3, help="turns of hello-world then orders")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--idempotency-keys", action="store_true",
                        help="every checkout of the orders runs sends a new Idempotency-Key, as the H5 does")
    parser.add_argument("--history", type=int, default=100,
                        help="copies of the warm-up's orders the shop has before the run (0: none)")
    parser.add_argument("--promotions", action="store_true",
                        help="the orders' shop runs two promotions every order gets (one with a budget), and every "
                             "order uses a coupon")
    parser.add_argument("--citus", action="store_true",
                        help="on the local Citus cluster (scripts/citus_cluster.sh up) instead of PostgreSQL")
    parser.add_argument("--flash-buyers", type=int, default=1000)
    parser.add_argument("--flash-attempts", type=int, default=5000)
    parser.add_argument("--flash-stock", type=int, default=500)
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(REDIS).flushdb()
    instance = Path(tempfile.mkdtemp(prefix="tessera-bench-"))
    database_url = fresh_citus_database(DATABASE) if args.citus else fresh_database(DATABASE)
    shops = build_shops(database_url, instance, buyers=args.connections, flash_buyers=args.flash_buyers,
                        flash_stock=args.flash_stock, promotions=args.promotions,
                        coupon_copies=COPIES_PER_RUN * (2 + 2 * args.rounds))
    env = {"TESSERA_DATABASE_URL": database_url, "TESSERA_INSTANCE_PATH": str(instance), "REDIS_URL": REDIS}

    with Gunicorn("bench.hello:app", workers=args.workers, env={}, threads=args.threads) as hello, \
            Gunicorn("app:create_app()", workers=args.workers, env=env, threads=args.threads) as shop:
        hello.wait()
        shop.wait("/healthz")
        bench, flash = shops["bench"], shops["flash"]
        wrk(hello.url + "/", seconds=2, connections=args.connections)  # warm-up
        # warm-up: orders through every step, both ways, on every worker; they become the shop's history
        for one_call in (True, False):
            wrk_orders(shop.url, bench, slug="bench", seconds=2, connections=args.connections, one_call=one_call)
        history = add_history(database_url, "bench", args.history) if args.history else None
        # hello-world and the orders (in one call, then with the payment started separately) take
        # turns, so that they see the machine at the same speed
        bases, runs, meter = [], {True: [], False: []}, CpuMeter(shop)
        for _ in range(args.rounds):
            bases.append(wrk(hello.url + "/", seconds=args.seconds, connections=args.connections))
            for one_call in (True, False):
                meter.start()
                orders = wrk_orders(shop.url, bench, slug="bench", seconds=args.seconds, connections=args.connections,
                                    one_call=one_call, keyed=args.idempotency_keys)
                runs[one_call].append((orders, meter.stop()))
        base, orders, cpu = pooled(bases, *zip(*runs[True]))
        _, separate, separate_cpu = pooled(bases, *zip(*runs[False]))
        paid = paid_among(database_url, "bench", orders["ids"] + separate["ids"])

        # the flash sale, driven by wrk (attempt k is buyer k % flash_buyers), between two hello-world
        # turns that it is compared with
        sale_hello = [wrk(hello.url + "/", seconds=args.seconds, connections=args.connections)]
        flash_figures = wrk_flash_sale(shop.url + "/api/v1/checkout", flash, attempts=args.flash_attempts,
                                       connections=args.connections, seconds=max(20, args.flash_attempts // 250))
        created, sold_out, other = flash_figures["created"], flash_figures["sold_out"], flash_figures["other"]
        sale = tally(database_url, "flash", flash["sku_id"])
        sale_seconds = flash_figures["last_answer"] - flash_figures["first_answer"]

        sale_hello.append(wrk(hello.url + "/", seconds=args.seconds, connections=args.connections))

        sustained = wrk_sold_out(shop.url + "/api/v1/checkout", flash, seconds=args.seconds,
                                 connections=args.connections)
        after = tally(database_url, "flash", flash["sku_id"])
    redis.Redis.from_url(REDIS).flushdb()

    hello_rps = base["rps"]
    flash_ok = (sale["orders"] == created == args.flash_stock and sale["stock"] == 0
                and after["orders"] == args.flash_stock and after["stock"] == 0)
    ok = flash_ok and 0 < paid == orders["count"] + separate["count"]
    worker = f"gthread, {args.threads} threads, no keep-alive" if args.threads > 1 else "sync"
    print(f"gunicorn -w {args.workers} ({worker}), PostgreSQL, Redis; {os.cpu_count()} cores (nproc); "
          f"every run by wrk -t2 -c{args.connections}"
          f"{'; every checkout of the orders runs with an Idempotency-Key' if args.idempotency_keys else ''}")
    print("| run                                | req/s     | p50 ms   | p99 ms   | ratio  |")
    print("|------------------------------------|-----------|----------|----------|--------|")
    print(row("Flask hello-world (wrk)", base, None))
    print(ratio_row("Completed orders/s (2 requests)", orders, hello_rps, ORDERS_TARGET))
    print(ratio_row("… payment apart (3 requests)", separate, hello_rps))
    sale_hello_rps = sum(turn["rps"] for turn in sale_hello) / len(sale_hello)
    print(row("Flask hello-world around the sale", {**sale_hello[0], "rps": sale_hello_rps}, None))
    print(ratio_row("Flash sale: sold-out answers (wrk)", flash_figures, sale_hello_rps, SOLD_OUT_TARGET))
    print(ratio_row("Sold-out answers, afterwards (wrk)", sustained, sale_hello_rps))
    print(f"History: {f'{history} orders before the run, tables analyzed' if history else 'none'}; "
          f"{args.rounds} rounds of {args.seconds} s each of hello-world, orders in one call (POST /checkout/pay "
          f"→ pay page) and orders with the payment started apart (POST /checkout → POST /orders/<id>/payments → "
          f"pay page): hello-world {base['rounds']} req/s, orders {orders['rounds']}/s and {separate['rounds']}/s")
    print(f"Orders: {orders['count']} + {separate['count']} completed in {orders['span']:.1f} + "
          f"{separate['span']:.1f} s, {orders['failures'] + separate['failures']} failed, {paid} of them paid in "
          f"the database")
    per_order = {kind: cpu[f"{kind}_s"] / max(1, orders["count"]) * 1000 for kind in ("workers", "postgres", "client")}
    for name, figures, used in (("in one call", orders, cpu), ("payment apart", separate, separate_cpu)):
        each = {kind: used[f"{kind}_s"] / max(1, figures["count"]) * 1000 for kind in ("workers", "postgres", "client")}
        print(f"CPU per completed order ({name}): gunicorn workers {each['workers']:.2f} ms, PostgreSQL "
              f"{each['postgres']:.2f} ms, wrk {each['client']:.2f} ms; the machine idle {used['idle_pct']:.0f}%")
    print(f"Flash sale: {args.flash_attempts} attempts by {len(flash['tokens'])} buyers on {args.flash_stock} units "
          f"in {sale_seconds:.2f} s → {created} created (201), {sold_out} sold out (409), {other} other, "
          f"{args.flash_attempts - created - sold_out - other} unanswered (wrk's socket errors); "
          f"database: {sale['orders']} orders, stock {sale['stock']}; after wrk ({sustained['requests']} more "
          f"attempts): {after['orders']} orders, stock {after['stock']} — {'OK' if flash_ok else 'FAILED'}")
    if orders["first_failures"] or separate["first_failures"]:
        print(f"  first failures: {orders['first_failures'] + separate['first_failures']}")
    if other:
        print(f"  {other} answers were neither 201 nor 409 out_of_stock")
    summary = {
        "cores": os.cpu_count(), "workers": args.workers, "threads": args.threads, "connections": args.connections,
        "idempotency_keys": args.idempotency_keys,
        "hello_rps": round(hello_rps, 1), "history_orders": history, "hello_rounds": base["rounds"],
        "orders_rounds": orders["rounds"],
        "orders_per_s": round(orders["rps"], 1), "orders_pct": round(orders["rps"] / hello_rps * 100, 2),
        "orders_completed": orders["count"], "orders_failed": orders["failures"],
        "separate_payment_orders_per_s": round(separate["rps"], 1),
        "separate_payment_orders_pct": round(separate["rps"] / hello_rps * 100, 2),
        "separate_payment_rounds": separate["rounds"], "separate_payment_failed": separate["failures"],
        "orders_paid_in_db": paid,
        "flash_attempts": args.flash_attempts, "flash_created": created, "flash_orders_in_db": sale["orders"],
        "flash_stock_left": sale["stock"], "flash_sold_out_answers": sold_out, "flash_other_answers": other,
        "sold_out_rps": round(flash_figures["rps"], 1),
        "sale_hello_rps": [round(turn["rps"], 1) for turn in sale_hello],
        "sold_out_pct": round(flash_figures["rps"] / sale_hello_rps * 100, 1),
        "sold_out_wrk_rps": round(sustained["rps"], 1),
        "sold_out_wrk_pct": round(sustained["rps"] / sale_hello_rps * 100, 1), "flash_ok": flash_ok, "ok": ok,
        "cpu_ms_per_order": {kind: round(value, 2) for kind, value in per_order.items()},
        "idle_pct_during_orders": round(cpu["idle_pct"], 1),
    }
    print(json.dumps(summary))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
