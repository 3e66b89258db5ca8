#!/usr/bin/env python3
"""The CPU one completed order costs the application, in one process: no server, no client.

    python bench/order_cpu.py [--orders 300] [--reps 5] [--apart] [--idempotency-keys] [--promotions] [--calls]
                              [--instructions]

Builds the shops of bench/checkout.py in a fresh PostgreSQL database (`tessera_bench_order_cpu`;
jobs go to Redis as in that script's server, database 6, flushed), then calls the WSGI app directly, as gunicorn would, for each order: POST /api/v1/checkout/pay →
the pay page's form post (`--apart`: POST /checkout → POST /orders/<id>/payments → the pay page).
Prints the SQL statements and commits one order sends, then the process's CPU time per order (the CPU clock: waiting for PostgreSQL is not counted)
for each of `--reps` runs of `--orders` orders, after a warm-up. `--calls` also counts the Python
function calls per order (cProfile): a figure that does not move with the machine's speed, for
comparing two versions of the code. `--promotions`: the shop of bench/checkout.py --promotions (two
promotions and a coupon on every order). The machine's speed does move it: compare runs made side by
side. `--instructions` runs the script under valgrind's callgrind, counting only while `--orders`
orders are made once: the machine instructions an order costs this process (Python, the drivers,
the JSON), the same from one run to the next whatever the machine's speed (about 30 s for 100
orders; valgrind must be installed)."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.checkout import REDIS, build_shops  # noqa: E402
from bench.common import fresh_database  # noqa: E402

DATABASE = "tessera_bench_order_cpu"
PAY_PAGE = re.compile(rb'"url":"https?://[^/"]+(/[^"]+)"')


def caller(app):
    """call(method, path, headers, body, content type) → (status, headers, body), through the WSGI
    app with an environ like gunicorn's."""

    def call(method: str, path: str, headers: dict, body: str, content_type: str):
        data = body.encode()
        path, _, query = path.partition("?")
        environ = {"REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": query,
                   "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
                   "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(data),
                   "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
                   "wsgi.run_once": False, "wsgi.version": (1, 0), "CONTENT_TYPE": content_type,
                   "CONTENT_LENGTH": str(len(data)),
                   **{"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}}
        answer = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"], answer["headers"] = int(status.split()[0]), dict(response_headers)

        content = b"".join(app(environ, start_response))
        return answer["status"], answer["headers"], content

    return call


def order_maker(app, shop: dict, *, apart: bool, keyed: bool):
    """order(k): one completed order by buyer k % buyers; fails loudly on any unexpected answer."""
    call = caller(app)
    form = "application/x-www-form-urlencoded"
    copies = shop["copies"]
    used = [0] * len(copies)  # each buyer's copies used so far

    def bodies(k: int) -> tuple[str, str]:
        """The checkout's body, in one call and apart; with a coupon, the next copy of buyer k's."""
        body = {**shop["body"], "note": "cpu"}
        if copies:
            buyer = k % len(shop["tokens"])
            body["coupon_ids"] = [copies[buyer][used[buyer]]]
            used[buyer] += 1
        return json.dumps({**body, "provider": "sandbox"}), json.dumps(body)

    def expect(answer, status):
        if answer[0] != status:
            raise SystemExit(f"expected {status}, got {answer[0]}: {answer[2][:300]!r}")
        return answer

    def order(k: int) -> None:
        headers = {"Host": "bench.localhost", "Accept": "application/json",
                   "Authorization": "Bearer " + shop["tokens"][k % len(shop["tokens"])]}
        if keyed:
            headers["Idempotency-Key"] = os.urandom(8).hex()
        one_call, checkout_only = bodies(k)
        if apart:
            _, placed, _ = expect(call("POST", "/api/v1/checkout", headers, checkout_only, "application/json"), 201)
            order_id = placed["Location"].rsplit("/", 1)[1]
            _, _, started = expect(call("POST", f"/api/v1/orders/{order_id}/payments", headers,
                                        '{"provider": "sandbox"}', "application/json"), 201)
        else:
            _, placed, started = expect(call("POST", "/api/v1/checkout/pay", headers, one_call, "application/json"),
                                        201)
            order_id = placed["Location"].rsplit("/", 1)[1]
        page = PAY_PAGE.search(started).group(1).decode()
        expect(call("POST", page, {"Host": "bench.localhost"},
                    f"outcome=succeeded&return_to=/s/bench/orders/{order_id}", form), 303)

    return order


def statements_of(app, act) -> tuple[int, int]:
    """The SQL statements and the commits `act()` sends, as the engine's listeners see them (the
    prepared statements of core.prepared call them as SQLAlchemy does)."""
    from sqlalchemy import event

    from core.db import db

    with app.app_context():
        engine = db.engine
    counted = {"statements": 0, "commits": 0}

    def statement(*_):
        counted["statements"] += 1

    def commit(*_):
        counted["commits"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        act()
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
    return counted["statements"], counted["commits"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300, help="per run")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--apart", action="store_true", help="start the payment in a request of its own")
    parser.add_argument("--idempotency-keys", action="store_true", help="every checkout with a new key")
    parser.add_argument("--promotions", action="store_true", help="two promotions and a coupon on every order")
    parser.add_argument("--calls", action="store_true", help="also count Python calls per order (cProfile)")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="with --calls, print the N functions of most cumulative time")
    parser.add_argument("--instructions", action="store_true",
                        help="count the machine instructions per order under valgrind (callgrind)")
    args = parser.parse_args()
    if args.instructions and not os.environ.get(_COUNTING):
        return count_instructions()

    import redis

    redis.Redis.from_url(REDIS).flushdb()
    database_url = fresh_database(DATABASE)
    # as bench/checkout.py's server runs: jobs go to Redis (no worker takes them here)
    buyers = 8
    runs = args.reps + (1 if args.calls else 0)  # each run's buyer k % 8 starts again at buyer 0
    copies = -(-100 // buyers) + 1 + runs * -(-args.orders // buyers)  # the warm-up, the counted order, the runs
    shops = build_shops(database_url, Path(tempfile.mkdtemp(prefix="tessera-bench-")), buyers=buyers,
                        flash_buyers=1, flash_stock=1, promotions=args.promotions, coupon_copies=copies)
    from app import create_app

    app = create_app()
    order = order_maker(app, shops["bench"], apart=args.apart, keyed=args.idempotency_keys)
    for k in range(100):  # warm-up: every statement prepared, every cache filled
        order(k)
    statements, commits = statements_of(app, lambda: order(100))
    print(f"One order: {statements} statements and {commits} commits (BEGIN and the tenant's settings not counted)")
    if args.instructions:
        counted = subprocess.run(["callgrind_control", "--instr=on", str(os.getpid())], capture_output=True)
        if counted.returncode:
            raise SystemExit(f"callgrind_control failed: {counted.stderr.decode()[:300]}")
        for k in range(args.orders):
            order(k)
        subprocess.run(["callgrind_control", "--instr=off", str(os.getpid())], capture_output=True, check=True)
        redis.Redis.from_url(REDIS).flushdb()
        return 0
    runs = []
    for _ in range(args.reps):
        started = time.process_time()
        for k in range(args.orders):
            order(k)
        runs.append((time.process_time() - started) / args.orders * 1000)
    flow = "POST /checkout → POST /orders/<id>/payments → pay page" if args.apart else "POST /checkout/pay → pay page"
    keyed = ", every checkout with an Idempotency-Key" if args.idempotency_keys else ""
    print(f"{flow}{keyed}: CPU per completed order (ms), {args.reps} runs of {args.orders}: "
          f"{', '.join(f'{run:.2f}' for run in runs)}; best {min(runs):.2f}")
    summary = {"statements_per_order": statements, "commits_per_order": commits, "apart": args.apart, "idempotency_keys": args.idempotency_keys, "promotions": args.promotions,
               "orders": args.orders,
               "cpu_ms_per_order": [round(run, 3) for run in runs], "best_ms": round(min(runs), 3)}
    if args.calls:
        import cProfile
        import pstats

        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for k in range(args.orders):
            order(k)
        profile.disable()
        summary["python_calls_per_order"] = round(pstats.Stats(profile).total_calls / args.orders)
        print(f"Python function calls per order: {summary['python_calls_per_order']}")
        if args.profile:
            stats = pstats.Stats(profile).sort_stats(os.environ.get("TESSERA_BENCH_SORT", "cumulative"))
            stats.print_stats(args.profile)
            if os.environ.get("TESSERA_BENCH_CALLEES"):
                stats.print_callees(os.environ["TESSERA_BENCH_CALLEES"])
    print(json.dumps(summary))
    redis.Redis.from_url(REDIS).flushdb()
    return 0


_COUNTING = "TESSERA_BENCH_UNDER_CALLGRIND"


def count_instructions() -> int:
    """This script again under callgrind, instrumenting only the counted orders; prints the
    instructions an order cost, and a JSON line."""
    orders = next((int(arg.split("=", 1)[1]) for arg in sys.argv if arg.startswith("--orders=")), None)
    if orders is None and "--orders" in sys.argv:
        orders = int(sys.argv[sys.argv.index("--orders") + 1])
    orders = orders or 300
    out = Path(tempfile.mkdtemp(prefix="tessera-callgrind-")) / "callgrind.out"  # callgrind_annotate reads it
    ran = subprocess.run(["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
                          sys.executable, *sys.argv], env={**os.environ, _COUNTING: "1"}, capture_output=True, text=True)
    totals = re.search(r"Collected : (\d+)", ran.stderr)
    if ran.returncode or totals is None:
        raise SystemExit(f"valgrind failed ({ran.returncode}): {ran.stderr[-600:]}")
    per_order = int(totals.group(1)) / orders
    print(f"{per_order / 1e6:.3f} million instructions per completed order ({orders} orders, callgrind: {out})")
    print(json.dumps({"instructions_per_order": round(per_order), "orders": orders}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
