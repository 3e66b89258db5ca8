#!/usr/bin/env python3
"""Refresh the message catalogues: extract every gettext string, merge them into the Simplified
Chinese catalogue, and compile it. `python scripts/translations.py`; then translate the new
entries in core/translations/zh_Hans/LC_MESSAGES/messages.po and run it again to compile."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "core" / "translations"
POT = CATALOGUES / "messages.pot"
SOURCES = ["app.py", "cli.py", "core", "tenants", "engines", "runtime", "builder", "templates_library"]


def pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], cwd=ROOT, check=True)


def main() -> None:
    CATALOGUES.mkdir(parents=True, exist_ok=True)
    pybabel("extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output", "-o", str(POT),
            *[s for s in SOURCES if (ROOT / s).exists()])
    po = CATALOGUES / "zh_Hans" / "LC_MESSAGES" / "messages.po"
    if po.exists():
        pybabel("update", "-i", str(POT), "-d", str(CATALOGUES), "-l", "zh_Hans", "--no-fuzzy-matching")
    else:
        pybabel("init", "-i", str(POT), "-d", str(CATALOGUES), "-l", "zh_Hans")
    pybabel("compile", "-d", str(CATALOGUES), "--statistics")


if __name__ == "__main__":
    main()
