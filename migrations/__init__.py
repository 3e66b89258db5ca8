"""Alembic migrations; run with `tessera db upgrade`. Each revision runs on SQLite and PostgreSQL."""
