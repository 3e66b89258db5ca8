#!/usr/bin/env python3
"""Refresh the vendored front-end libraries from the npm registry at pinned versions.

Running Tessera never needs npm: the files this writes are committed under core/static/vendor/
with their licences. Run it only to change a version: `python scripts/vendor_assets.py`."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "core" / "static" / "vendor"

# package@version -> {path inside the package: path under VENDOR}
PACKAGES = {
    "@tabler/core@1.6.1": {
        "dist/css/tabler.min.css": "tabler/tabler.min.css",
        "dist/js/tabler.min.js": "tabler/tabler.min.js",
        "package.json": "tabler/package.json",  # MIT: the licence is named here and in the CSS header
    },
    "@tabler/icons-webfont@3.49.0": {
        "dist/tabler-icons.min.css": "tabler-icons/tabler-icons.min.css",
        "dist/fonts/tabler-icons.woff2": "tabler-icons/fonts/tabler-icons.woff2",
        "LICENSE": "tabler-icons/LICENSE",
    },
}


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for spec, files in PACKAGES.items():
            name = subprocess.run(["npm", "pack", spec, "--silent"], cwd=tmp, check=True,
                                  capture_output=True, text=True).stdout.strip().splitlines()[-1]
            with tarfile.open(Path(tmp) / name) as archive:
                archive.extractall(Path(tmp) / spec.replace("/", "_"), filter="data")
            root = Path(tmp) / spec.replace("/", "_") / "package"
            for source, target in files.items():
                destination = VENDOR / target
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(root / source, destination)
                print(f"{spec}: {source} -> {destination.relative_to(VENDOR.parent.parent.parent)}")


if __name__ == "__main__":
    main()
