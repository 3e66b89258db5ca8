#!/usr/bin/env python3
"""Designer responsiveness in headless Chromium against a real `tessera run` (SQLite).

    python bench/designer.py [--changes 20]

Measures (1) the time to load the designer on a 25-section page — from navigation start until
the preview frame shows all 25 sections and the palette is drawn — and (2) the time from a
setting change (typing a title) to the preview showing it, median and worst of N changes.
Targets: load < 1.5 s; change-to-preview < 300 ms."""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser import Server, browser_or_skip, sign_in_merchant  # noqa: E402

TYPES = ["title", "rich_text", "notice_bar", "banner", "image", "nav_grid", "image_grid", "divider", "spacer",
         "store_info", "contact", "tabs", "video", "hotspot_image", "search_bar"]

MEASURE_CHANGE = """async (text) => {
  const input = document.querySelector('[data-path="pages.home.sections.s0.settings.text"] input');
  const frame = document.querySelector('[data-frame]').contentDocument;
  const started = performance.now();
  input.value = text;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  while (!(frame.querySelector('[data-section="s0"]') || {}).textContent?.includes(text)) {
    await new Promise(r => requestAnimationFrame(r));
    if (performance.now() - started > 5000) return -1;
  }
  return performance.now() - started;
}"""


def document() -> dict:
    sections = {}
    for index in range(25):
        kind = TYPES[index % len(TYPES)]
        if kind == "search_bar" and index >= len(TYPES):
            kind = "title"
        sections[f"s{index}"] = {"type": kind, "settings": {"text": f"Section {index}"} if kind == "title" else {}}
    return {"schema_version": 1, "app": {"name": "Bench"},
            "pages": {"home": {"title": "Home", "sections": sections, "order": list(sections)}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    server = Server(Path(tempfile.mkdtemp(prefix="tessera-designer-bench-")))
    playwright, browser = browser_or_skip()
    try:
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        sign_in_merchant(page, server)
        page.goto(server.url + "/merchant/designer/")
        page.frame_locator("[data-frame]").locator("[data-section]").first.wait_for()
        revision = page.evaluate("window.tesseraDesigner.revision")
        response = page.request.put(server.url + "/merchant/designer/api/draft",
                                    data={"document": document(), "revision": revision},
                                    headers={"X-CSRFToken": page.get_attribute("#designer", "data-csrf"),
                                             "Accept": "application/json"})
        assert response.ok, response.text()
        loads = []
        for _ in range(5):
            started = time.perf_counter()
            page.goto(server.url + "/merchant/designer/")
            page.frame_locator("[data-frame]").locator('[data-section="s24"]').wait_for()
            page.locator("[data-palette] .dz-chip").first.wait_for()
            loads.append((time.perf_counter() - started) * 1000)
        page.frame_locator("[data-frame]").locator('[data-section="s0"]').click()
        changes = [page.evaluate(MEASURE_CHANGE, f"Changed {n}") for n in range(args.changes)]
        assert all(c >= 0 for c in changes), changes
        print("| measure (25-section page)         | median ms | worst ms | target   |")
        print("|-----------------------------------|-----------|----------|----------|")
        print(f"| designer load (5 loads)           | {statistics.median(loads):>9.0f} | {max(loads):>8.0f} | < 1500   |")
        print(f"| setting change → preview ({args.changes:>2})     | {statistics.median(changes):>9.0f} | "
              f"{max(changes):>8.0f} | < 300    |")
    finally:
        browser.close()
        playwright.stop()
        server.stop()


if __name__ == "__main__":
    main()
