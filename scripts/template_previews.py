#!/usr/bin/env python3
"""Make each template's preview image from its real rendered home page: start `tessera run` on a
fresh instance (which creates a live demo shop per template), open `/s/tpl-<slug>/` at 375 px in
headless Chromium and save `templates_library/<slug>/preview.png`.

    python scripts/template_previews.py [--chromium /usr/bin/chromium]"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from templates_library.gallery import demo_slug
    from templates_library.registry import templates

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    instance = tempfile.mkdtemp(prefix="tessera-previews-")
    env = {**os.environ, "TESSERA_INSTANCE_PATH": instance}
    for name in ("TESSERA_DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    server = subprocess.Popen([sys.executable, "-c", "from cli import main; main()", "run", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 375, "height": 667}, device_scale_factor=1)
            for slug, template in templates().items():
                page.goto(f"http://127.0.0.1:{port}/s/{demo_slug(slug)}/")
                page.wait_for_load_state("networkidle")
                target = template.folder / "preview.png"
                page.screenshot(path=str(target))
                print(f"{slug}: {target.relative_to(ROOT)}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
