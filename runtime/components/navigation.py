"""Navigation components."""

from __future__ import annotations
