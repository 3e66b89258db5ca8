"""What the benchmarks share: a fresh PostgreSQL database, gunicorn servers, wrk runs, where the
CPU went."""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("TESSERA_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def fresh_database(name: str) -> str:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


CITUS = os.environ.get("TESSERA_BENCH_CITUS", "postgresql+psycopg://postgres@127.0.0.1:5440/postgres")


def fresh_citus_database(name: str) -> str:
    """A fresh database on the local Citus cluster (`scripts/citus_cluster.sh up` first), on every
    node; its coordinator's URL."""
    subprocess.run(["bash", str(ROOT / "scripts" / "citus_cluster.sh"), "createdb", name], check=True,
                   capture_output=True)
    return CITUS.rsplit("/", 1)[0] + f"/{name}"


def server_options(parser, *, seconds: int) -> None:
    """The options every wrk benchmark takes: gunicorn's workers, each run's length, wrk's connections."""
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=seconds)
    parser.add_argument("--connections", type=int, default=32)


def fresh_start(redis_url: str, database: str) -> tuple[Path, str]:
    """A clean slate for a benchmark: its Redis database flushed, a new instance folder, a fresh
    PostgreSQL database; (the instance folder, the database's URL)."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return Path(tempfile.mkdtemp(prefix="tessera-bench-")), fresh_database(database)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn serving `target` on loopback, stopped on exit."""

    def __init__(self, target: str, *, workers: int, env: dict, cwd: Path = ROOT, threads: int = 1):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
        # threads > 1: the gthread worker, each connection closed after its answer as the sync worker does
        threaded = ["-k", "gthread", "--threads", str(threads), "--keep-alive", "0"] if threads > 1 else []
        self.process = subprocess.Popen(
            [gunicorn, "-w", str(workers), *threaded, "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "--backlog", "2048", target],
            cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def wait(self, path: str = "/") -> None:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + path, timeout=2).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read().decode()[-3000:])
                time.sleep(0.3)
        raise RuntimeError(f"{self.url}{path} did not answer")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process.stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def wrk(url: str, *, seconds: int, connections: int, threads: int = 2, headers: dict | None = None,
        script: Path | None = None) -> dict:
    """Requests/s, latency percentiles, request and non-2xx counts from one wrk run (loopback
    only, bounded in time), and wrk's output; `script` is a Lua script that shapes the requests."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    if script is not None:
        args += ["-s", str(script)]
    output = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for label in ("50", "99"):
        match = re.search(rf"\s{label}(?:\.000)?%\s+([\d.]+)(us|ms|s)", output)
        value, unit = float(match.group(1)), match.group(2)
        result[f"p{label}_ms"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    requests = re.search(r"(\d+) requests in", output)
    result["requests"] = int(requests.group(1)) if requests else 0
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(errors.group(1)) if errors else 0
    result["output"] = output
    return result


def row(name: str, figures: dict, base: float | None) -> str:
    ratio = f"{figures['rps'] / base * 100:.0f}%" if base else "100%"
    return (f"| {name:<34} | {figures['rps']:>9.0f} | {figures['p50_ms']:>8.2f} | {figures['p99_ms']:>8.2f} "
            f"| {ratio:>6} |")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def _postgres_pids() -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "cmdline").read_bytes().startswith(b"postgres"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


class CpuMeter:
    """Where the CPU went between start() and stop(): seconds used by a gunicorn's workers, by
    PostgreSQL's processes (the server and its backends) and by this script's children reaped
    meanwhile (the client processes), and the machine's idle share (/proc/stat). Linux only."""

    def __init__(self, gunicorn: Gunicorn):
        self.gunicorn = gunicorn

    def _snapshot(self) -> dict:
        workers = subprocess.run(["pgrep", "-P", str(self.gunicorn.process.pid)], capture_output=True,
                                 text=True).stdout.split()
        machine = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return {"workers": {int(pid): _process_ticks(int(pid)) for pid in workers},
                "postgres": {pid: _process_ticks(pid) for pid in _postgres_pids()},
                "client": children.ru_utime + children.ru_stime, "machine": machine}

    def start(self) -> None:
        self.before = self._snapshot()

    def stop(self) -> dict:
        after = self._snapshot()

        def used(kind):
            return sum(ticks - self.before[kind].get(pid, 0) for pid, ticks in after[kind].items()) / CLOCK_TICKS

        machine = [b - a for a, b in zip(self.before["machine"], after["machine"])]
        return {"workers_s": used("workers"), "postgres_s": used("postgres"),
                "client_s": after["client"] - self.before["client"],
                "idle_pct": 100 * (machine[3] + machine[4]) / max(1, sum(machine))}  # idle + iowait
