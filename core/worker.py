"""The rq worker that runs Tessera jobs inside the app context."""

from __future__ import annotations

from rq import Worker
from rq.worker import SimpleWorker


class _AppContextMixin:
    def __init__(self, *args, app, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def perform_job(self, *args, **kwargs):
        with self.app.app_context():
            return super().perform_job(*args, **kwargs)


class AppWorker(_AppContextMixin, Worker):
    """Forks a work horse per job (production)."""


class AppSimpleWorker(_AppContextMixin, SimpleWorker):
    """Runs jobs in its own process (tests, burst runs)."""
