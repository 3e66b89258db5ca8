#!/usr/bin/env python3
"""Refresh the vendored front-end libraries from the npm registry at pinned versions.

Running Tessera never needs npm: the files this writes are committed under core/static/vendor/
with their licences. Run it only to change a version: `python scripts/vendor_assets.py`."""

from __future__ import annotations

import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "core" / "static" / "vendor"
TEST_VENDOR = Path(__file__).resolve().parent.parent / "tests" / "vendor"  # for the tests only: never served

# package@version -> {path inside the package: path under VENDOR, or an absolute path elsewhere}
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
    "chart.js@4.6.1": {
        "dist/chart.umd.min.js": "chartjs/chart.umd.min.js",
        "LICENSE.md": "chartjs/LICENSE.md",
    },
    "quill@2.0.3": {
        "dist/quill.js": "quill/quill.js",
        "dist/quill.snow.css": "quill/quill.snow.css",
        "LICENSE": "quill/LICENSE",
    },
    "sortablejs@1.15.7": {
        "Sortable.min.js": "sortable/Sortable.min.js",
        "LICENSE": "sortable/LICENSE",
    },
    "weui@2.6.26": {
        "dist/style/weui.min.css": "weui/weui.min.css",
        "LICENSE.txt": "weui/LICENSE.txt",
    },
    "axe-core@4.14.1": {  # the browser tests' accessibility checks (tests/browser.py)
        "axe.min.js": TEST_VENDOR / "axe-core" / "axe.min.js",
        "LICENSE": TEST_VENDOR / "axe-core" / "LICENSE",
        "LICENSE-3RD-PARTY.txt": TEST_VENDOR / "axe-core" / "LICENSE-3RD-PARTY.txt",
    },
}


# The storefront's icons: a few Tabler outline icons gathered into one SVG sprite (symbol ids are
# Tessera's icon names), so H5 pages load one small file and no icon font.
SPRITE_PACKAGE = "@tabler/icons@3.51.0"
SPRITE = {"home": "home", "category": "category", "cart": "shopping-cart", "user": "user", "list": "list",
          "star": "star", "message": "message", "map": "map-pin", "calendar": "calendar", "book": "book",
          "search": "search", "gift": "gift", "heart": "heart", "shop": "building-store", "phone": "phone",
          "chevron-right": "chevron-right", "volume": "volume", "clock": "clock", "headset": "headset",
          "arrow-up": "arrow-up", "photo": "photo", "file-text": "file-text"}
SPRITE_TARGET = Path(__file__).resolve().parent.parent / "runtime" / "static" / "icons.svg"


def build_sprite(root: Path) -> None:
    symbols = []
    for name, source in SPRITE.items():
        svg = (root / "icons" / "outline" / f"{source}.svg").read_text()
        inner = re.sub(r"(?s)^.*?<svg[^>]*>|</svg>\s*$", "", svg).strip()
        inner = re.sub(r'<path stroke="none" d="M0 0h24v24H0z" fill="none"\s*/>', "", inner)
        symbols.append(f'<symbol id="{name}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" '
                       f'stroke-linecap="round" stroke-linejoin="round">{" ".join(inner.split())}</symbol>')
    SPRITE_TARGET.write_text('<svg xmlns="http://www.w3.org/2000/svg">\n<!-- Tabler Icons, MIT licence -->\n'
                             + "\n".join(symbols) + "\n</svg>\n")
    print(f"{SPRITE_PACKAGE}: {len(symbols)} icons -> {SPRITE_TARGET.relative_to(VENDOR.parent.parent.parent)}")


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
        name = subprocess.run(["npm", "pack", SPRITE_PACKAGE, "--silent"], cwd=tmp, check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
        with tarfile.open(Path(tmp) / name) as archive:
            archive.extractall(Path(tmp) / "sprite", filter="data")
        build_sprite(Path(tmp) / "sprite" / "package")


if __name__ == "__main__":
    main()
