"""Without Redis, one process serves an instance folder.

Each process keeps caches (stamps, rendered pages, checked tokens) whose invalidation travels
through Redis when it is configured. Without it a write in one process would never reach the
caches of another, so a second serving process is refused: at start-up for `tessera run`, at the
first request for any other server (gunicorn forks workers after importing the app). The claim
is an exclusive lock on a file in the instance folder, held while the process lives.

`core.config` also refuses a declared process count above one (TESSERA_PROCESSES,
WEB_CONCURRENCY) without REDIS_URL; this lock catches the undeclared ones on one machine."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

_held: dict[str, tuple[int, int]] = {}  # lock path -> (pid, descriptor) claimed by this process
_lock = threading.Lock()


class AnotherProcessServes(RuntimeError):
    """The instance folder is served by another process and there is no Redis."""


def claim(instance_path: str) -> None:
    """Claim serving for this process (again after a fork); raises AnotherProcessServes."""
    path = str(Path(instance_path) / "serving.lock")
    with _lock:
        held = _held.get(path)
        if held is not None and held[0] == os.getpid():
            return
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # a bare descriptor: kept open for life
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise AnotherProcessServes(
                f"REDIS_URL: process {holder} already serves {instance_path}; more than one process needs Redis "
                "(set REDIS_URL) so that cache invalidations and token revocations reach every process") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _held[path] = (os.getpid(), fd)


class OneServingProcess:
    """WSGI middleware: claims serving on a process's first request; a second process answers
    503 to everything (and says why in the log) instead of serving stale caches."""

    def __init__(self, wsgi_app, instance_path: str):
        self.wsgi_app = wsgi_app
        self.instance_path = instance_path
        self._claimed_by: int | None = None
        self._refusal: str | None = None

    def __call__(self, environ, start_response):
        if self._claimed_by != os.getpid():
            try:
                claim(self.instance_path)
                self._refusal = None
            except AnotherProcessServes as error:
                if self._refusal is None:
                    log.error("%s", error)
                self._refusal = str(error)
            else:
                self._claimed_by = os.getpid()
        if self._refusal is not None:
            body = json.dumps({"error": {"code": "unavailable", "message": self._refusal}}).encode()
            start_response("503 Service Unavailable", [("Content-Type", "application/json"),
                                                       ("Content-Length", str(len(body))), ("Retry-After", "60")])
            return [body]
        return self.wsgi_app(environ, start_response)
