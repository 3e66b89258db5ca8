#!/usr/bin/env python3
"""Checkout write path against a bare Flask hello-world, under the same gunicorn settings.

    python bench/checkout.py [--workers 2] [--seconds 10] [--connections 32] [--client-processes 4]

Builds a fresh PostgreSQL database (`tessera_bench_checkout`) and measures, in one run:

1. hello-world requests/s (wrk, as the other benches);
2. completed orders/s end to end: `--connections` buyers at once, each with its own bearer
   token, each looping checkout (one SKU, pickup) → POST /orders/<id>/payments (sandbox) → POST
   the pay page with outcome=succeeded, for `--seconds`; every counted order is checked paid in
   the database afterwards (exit 1 otherwise). Target ≥ 4% of hello-world. It also prints the CPU
   each completed order cost the gunicorn workers, PostgreSQL and the client, and the machine's
   idle share during the run;
3. a flash sale, driven by wrk like hello-world (a Lua script): 1,000 buyers make exactly 5,000
   attempts to check out 1 unit of a SKU with 500 units, `--connections` at once. It must end
   with exactly 500 orders and stock 0 (the script exits 1 otherwise); the rate at which sold-out
   answers (409 out_of_stock) are served, from the first one to the last answer, is compared with
   hello-world. Target ≥ 50%. The same sold-out answer is then asked for by wrk for `--seconds`
   (the steady rate), and orders and stock are checked again.

The orders are driven by a small HTTP/1.1 client in `--client-processes` processes (threads in
each): each order is three requests, each depending on the answer before. Hello-world is also
driven through it once, to show what the client itself can carry on this machine. Multi-worker gunicorn needs Redis (REDIS_URL, database
6 here, flushed; the tests use databases 8 to 15). Prints a Markdown table and one JSON line."""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CpuMeter, Gunicorn, fresh_database, row, wrk  # noqa: E402

REDIS = os.environ.get("TESSERA_BENCH_REDIS", "redis://127.0.0.1:6379/6")
DATABASE = "tessera_bench_checkout"
ORDERS_TARGET, SOLD_OUT_TARGET = 4.0, 50.0


# -- a small HTTP/1.1 client --------------------------------------------------------------------

class Connection:
    """One HTTP/1.1 connection kept alive while the server allows it (gunicorn's sync workers
    close it after every answer; it is then opened again for the next request)."""

    def __init__(self, host: str, port: int):
        self.address = (host, port)
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock, self.buffer = None, b""

    def request(self, method: str, target: str, *, body: bytes = b"", headers: dict | None = None,
                host: str | None = None) -> tuple[int, bytes]:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host or '%s:%d' % self.address}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        reused = self.sock is not None
        try:
            return self._exchange(raw)
        except ConnectionError:
            self.close()
            if not reused:
                raise
            return self._exchange(raw)  # the server closed an idle kept-alive connection: once more

    def _exchange(self, raw: bytes) -> tuple[int, bytes]:
        if self.sock is None:
            self.sock = socket.create_connection(self.address, timeout=60)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(raw)
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, status = status_line.split(" ", 2)[:2]
        fields = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip()
        if "content-length" in fields:
            size = int(fields["content-length"])
            while len(self.buffer) < size:
                self._fill()
            body, self.buffer = self.buffer[:size], self.buffer[size:]
        elif "chunked" in fields.get("transfer-encoding", "").lower():
            body = self._chunks()
        else:
            while True:
                try:
                    self._fill()
                except ConnectionError:
                    break
            body, self.buffer = self.buffer, b""
            self.close()
        if fields.get("connection", "").lower() == "close" or version == "HTTP/1.0":
            self.close()
        return int(status), body

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("closed by the server")
        self.buffer += data

    def _chunks(self) -> bytes:
        body = b""
        while True:
            while b"\r\n" not in self.buffer:
                self._fill()
            size_line, self.buffer = self.buffer.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            while len(self.buffer) < size + 2:
                self._fill()
            body, self.buffer = body + self.buffer[:size], self.buffer[size + 2:]
            if size == 0:
                return body


def post_json(connection: Connection, path: str, payload: dict, token: str) -> tuple[int, dict]:
    status, body = connection.request("POST", path, body=json.dumps(payload).encode(), headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"})
    try:
        return status, json.loads(body) if body else {}
    except ValueError:
        return status, {"raw": body[:200].decode("latin-1")}


def ratio_row(name: str, figures: dict, base: float, target: float | None = None) -> str:
    """common.row, with the ratio to one decimal (orders are a few percent of hello-world)."""
    line = row(name, figures, base)
    ratio = f"{figures['rps'] / base * 100:.1f}%"
    line = line[:line.rindex("|", 0, -1)] + f"| {ratio:>6} |"
    return line + (f"  target ≥ {target:.0f}%" if target else "")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


# -- the data -----------------------------------------------------------------------------------

def build_shops(database_url: str, instance: Path, *, buyers: int, flash_buyers: int, flash_stock: int) -> dict:
    """Tenant `bench` (an item with ample stock, a store, `buyers` consumers) for the orders run,
    tenant `flash` (an item with `flash_stock` units, a store, `flash_buyers` consumers)."""
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
                shops[slug] = {"tenant_id": tenant.id, "sku": str(sku.id), "sku_id": sku.id, "tokens": tokens,
                               "body": {"lines": [{"sku_id": str(sku.id), "quantity": 1}],
                                        "fulfillment": {"type": "pickup", "store_id": str(store.id)}}}
            db.session.commit()
        db.engine.dispose()
    return shops


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


# -- the load -----------------------------------------------------------------------------------

def run_lanes(lanes: list, work, start_at: float) -> list:
    """Each lane in its own thread, all starting at `start_at` (time.time())."""
    results = [None] * len(lanes)

    def lane(index):
        time.sleep(max(0.0, start_at - time.time()))
        results[index] = work(lanes[index])

    threads = [threading.Thread(target=lane, args=(i,)) for i in range(len(lanes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def in_processes(lanes: list, work, processes: int, meter: CpuMeter | None = None) -> list:
    """Spread the lanes over `processes` forked processes (threads in each); their results in
    order. `meter` is started when the lanes start (the caller stops it)."""
    processes = max(1, min(processes, len(lanes)))
    shares = [lanes[p::processes] for p in range(processes)]
    start_at = time.time() + 0.5 + 0.05 * processes
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        pending = pool.starmap_async(_process_share, [(share, work, start_at) for share in shares])
        if meter is not None:
            time.sleep(max(0.0, start_at - time.time()))
            meter.start()
        answers = pending.get()
    return [result for answer in answers for result in answer]


def _process_share(share, work, start_at):
    return run_lanes(share, work, start_at)


def hello_lane(lane: dict) -> dict:
    connection, count = Connection(*lane["address"]), 0
    started = time.monotonic()
    deadline = started + lane["seconds"]
    while time.monotonic() < deadline:
        status, _ = connection.request("GET", "/")
        count += status == 200
    connection.close()
    return {"count": count, "started": started, "ended": time.monotonic()}


def buyer_lane(lane: dict) -> dict:
    """Complete orders (checkout → payment → pay page) until the deadline; each one checked."""
    connection, token = Connection(*lane["address"]), lane["token"]
    done, failures, latencies = [], [], []
    started = time.monotonic()
    deadline = started + lane["seconds"]
    while time.monotonic() < deadline:
        begun = time.monotonic()
        status, placed = post_json(connection, "/api/v1/checkout", lane["body"], token)
        if status != 201:
            failures.append(f"checkout {status} {placed}")
            continue
        order_id = placed["order"]["id"]
        status, paying = post_json(connection, f"/api/v1/orders/{order_id}/payments", {"provider": "sandbox"}, token)
        if status != 201:
            failures.append(f"payment {status} {paying}")
            continue
        url = urlsplit(paying["next_action"]["url"])
        # what the H5 pay page posts: the outcome, and where to go back to (answered 303)
        form = f"outcome=succeeded&return_to=/s/{lane['slug']}/orders/{order_id}".encode()
        status, page = connection.request("POST", f"{url.path}?{url.query}", body=form, host=url.netloc,
                                          headers={"Content-Type": "application/x-www-form-urlencoded"})
        if status not in (200, 303):
            failures.append(f"pay page {status} {page[:200]!r}")
            continue
        done.append(order_id)
        latencies.append(time.monotonic() - begun)
    connection.close()
    return {"orders": done, "failures": failures, "latencies": latencies, "started": started,
            "ended": time.monotonic()}


# -- wrk with a script (rotating bearer tokens, a JSON body) -----------------------------------

CHECKOUT_LUA = """
local tokens = {%(tokens)s}
local body = %(body)s
-- attempt k (from 0) is made by buyer k %% #tokens
local function checkout(k)
  return wrk.format("POST", "/api/v1/checkout", {["Authorization"] = "Bearer " .. tokens[k %% #tokens + 1],
    ["Content-Type"] = "application/json", ["Accept"] = "application/json"}, body)
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


FLASH_LUA = """
-- The flash sale: exactly %(attempts)d checkout attempts, spread over wrk's threads; each thread
-- stops once its share is answered. Answers are counted by kind and timed on the monotonic clock
-- (LuaJIT FFI), so the rate of sold-out answers can be taken from the first one to the last answer.
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } tessera_timespec;
           int clock_gettime(int clock_id, tessera_timespec *tp); ]]
local clock = ffi.new("tessera_timespec")
local function now()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) * 1e-9
end

local attempts, threads = %(attempts)d, %(threads)d
local made = {}

function setup(thread)
  thread:set("index", #made)
  table.insert(made, thread)
end

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
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--flash-buyers", type=int, default=1000)
    parser.add_argument("--flash-attempts", type=int, default=5000)
    parser.add_argument("--flash-stock", type=int, default=500)
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(REDIS).flushdb()
    instance = Path(tempfile.mkdtemp(prefix="tessera-bench-"))
    database_url = fresh_database(DATABASE)
    shops = build_shops(database_url, instance, buyers=args.connections, flash_buyers=args.flash_buyers,
                        flash_stock=args.flash_stock)
    env = {"TESSERA_DATABASE_URL": database_url, "TESSERA_INSTANCE_PATH": str(instance), "REDIS_URL": REDIS}
    procs = args.client_processes

    with Gunicorn("bench.hello:app", workers=args.workers, env={}) as hello:
        hello.wait()
        wrk(hello.url + "/", seconds=2, connections=args.connections)  # warm-up
        base = wrk(hello.url + "/", seconds=args.seconds, connections=args.connections)
        lanes = [{"address": ("127.0.0.1", hello.port), "seconds": min(5, args.seconds)}] * args.connections
        runs = in_processes(lanes, hello_lane, procs)
        client_hello = sum(r["count"] for r in runs) / (max(r["ended"] for r in runs) - min(r["started"] for r in runs))

    with Gunicorn("app:create_app()", workers=args.workers, env=env) as shop:
        shop.wait("/healthz")
        address = ("127.0.0.1", shop.port)
        bench, flash = shops["bench"], shops["flash"]
        # warm-up: a few orders through every step, on every worker
        warm = [{"address": address, "token": token, "body": bench["body"], "seconds": 2, "slug": "bench"}
                for token in bench["tokens"]]
        in_processes(warm, buyer_lane, procs)

        lanes = [{"address": address, "token": token, "body": bench["body"], "seconds": args.seconds, "slug": "bench"}
                 for token in bench["tokens"]]
        meter = CpuMeter(shop)
        runs = in_processes(lanes, buyer_lane, procs, meter)
        cpu = meter.stop()
        completed = [order for r in runs for order in r["orders"]]
        failures = [f for r in runs for f in r["failures"]]
        span = max(r["ended"] for r in runs) - min(r["started"] for r in runs)
        latencies = [x for r in runs for x in r["latencies"]]
        orders = {"rps": len(completed) / span, "p50_ms": percentile(latencies, 0.5) * 1000,
                  "p99_ms": percentile(latencies, 0.99) * 1000, "count": len(completed), "failures": len(failures)}
        paid = paid_among(database_url, "bench", completed)

        # the flash sale, driven by wrk: attempt k is buyer k % flash_buyers
        flash_figures = wrk_flash_sale(shop.url + "/api/v1/checkout", flash, attempts=args.flash_attempts,
                                       connections=args.connections, seconds=max(20, args.flash_attempts // 250))
        created, sold_out, other = flash_figures["created"], flash_figures["sold_out"], flash_figures["other"]
        sale = tally(database_url, "flash", flash["sku_id"])
        sale_seconds = flash_figures["last_answer"] - flash_figures["first_answer"]

        sustained = wrk_sold_out(shop.url + "/api/v1/checkout", flash, seconds=args.seconds,
                                 connections=args.connections)
        after = tally(database_url, "flash", flash["sku_id"])
    redis.Redis.from_url(REDIS).flushdb()

    hello_rps = base["rps"]
    flash_ok = (sale["orders"] == created == args.flash_stock and sale["stock"] == 0
                and after["orders"] == args.flash_stock and after["stock"] == 0)
    ok = flash_ok and paid == orders["count"]
    print(f"gunicorn -w {args.workers} (sync), PostgreSQL, Redis; {os.cpu_count()} cores (nproc); "
          f"hello-world and the flash sale by wrk -t2 -c{args.connections}; orders by a Python client "
          f"({procs} processes, {args.connections} connections)")
    print("| run                                | req/s     | p50 ms   | p99 ms   | ratio  |")
    print("|------------------------------------|-----------|----------|----------|--------|")
    print(row("Flask hello-world (wrk)", base, None))
    print(ratio_row("Completed orders/s (3 requests)", orders, hello_rps, ORDERS_TARGET))
    print(ratio_row("Flash sale: sold-out answers (wrk)", flash_figures, hello_rps, SOLD_OUT_TARGET))
    print(ratio_row("Sold-out answers, afterwards (wrk)", sustained, hello_rps))
    print(f"Python client on hello-world: {client_hello:.0f} req/s ({client_hello / hello_rps * 100:.0f}% of wrk) "
          f"— what the client itself carries here")
    print(f"Orders run: {orders['count']} completed in {span:.1f} s, {orders['failures']} failed, "
          f"{paid} of them paid in the database")
    per_order = {kind: cpu[f"{kind}_s"] / max(1, orders["count"]) * 1000 for kind in ("workers", "postgres", "client")}
    print(f"CPU per completed order: gunicorn workers {per_order['workers']:.2f} ms, PostgreSQL "
          f"{per_order['postgres']:.2f} ms, client {per_order['client']:.2f} ms; the machine idle "
          f"{cpu['idle_pct']:.0f}% of the run")
    print(f"Flash sale: {args.flash_attempts} attempts by {len(flash['tokens'])} buyers on {args.flash_stock} units "
          f"in {sale_seconds:.2f} s → {created} created (201), {sold_out} sold out (409), {other} other, "
          f"{args.flash_attempts - created - sold_out - other} unanswered (wrk's socket errors); "
          f"database: {sale['orders']} orders, stock {sale['stock']}; after wrk ({sustained['requests']} more "
          f"attempts): {after['orders']} orders, stock {after['stock']} — {'OK' if flash_ok else 'FAILED'}")
    if failures:
        print(f"  first failures: {failures[:3]}")
    if other:
        print(f"  {other} answers were neither 201 nor 409 out_of_stock")
    summary = {
        "cores": os.cpu_count(), "workers": args.workers, "connections": args.connections,
        "hello_rps": round(hello_rps, 1),
        "orders_per_s": round(orders["rps"], 1), "orders_pct": round(orders["rps"] / hello_rps * 100, 2),
        "orders_completed": orders["count"], "orders_failed": orders["failures"], "orders_paid_in_db": paid,
        "flash_attempts": args.flash_attempts, "flash_created": created, "flash_orders_in_db": sale["orders"],
        "flash_stock_left": sale["stock"], "flash_sold_out_answers": sold_out, "flash_other_answers": other,
        "sold_out_rps": round(flash_figures["rps"], 1),
        "sold_out_pct": round(flash_figures["rps"] / hello_rps * 100, 1),
        "sold_out_wrk_rps": round(sustained["rps"], 1),
        "sold_out_wrk_pct": round(sustained["rps"] / hello_rps * 100, 1),
        "client_hello_rps": round(client_hello, 1), "flash_ok": flash_ok, "ok": ok,
        "cpu_ms_per_order": {kind: round(value, 2) for kind, value in per_order.items()},
        "idle_pct_during_orders": round(cpu["idle_pct"], 1),
    }
    print(json.dumps(summary))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
