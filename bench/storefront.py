#!/usr/bin/env python3
"""Storefront read path against a bare Flask hello-world, under the same gunicorn settings.

    python bench/storefront.py [--workers 2] [--seconds 10] [--connections 32]

Builds a fresh PostgreSQL database (`tessera_bench`), publishes a home page of 16 sections with
real media and articles, and a page of 10 basic sections, then drives with wrk: hello-world, the
cached home page, the page API, and both pages with the page cache disabled (every request loads
the sections' data and renders every section).
Multi-worker gunicorn needs Redis for the stamps (REDIS_URL, database 14 here). Prints a Markdown
table: requests/s, p50, p99 and the ratio to hello-world. Targets: cached ≥ 50%, uncached ≥ 15%."""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Gunicorn, fresh_database, row, wrk  # noqa: E402

REDIS = os.environ.get("TESSERA_BENCH_REDIS", "redis://127.0.0.1:6379/14")


# A 10-section page of the basic library only: no component on it reads engine data.
BASIC = {
    "notice": {"type": "notice_bar"}, "title": {"type": "title", "settings": {"text": "Welcome"}},
    "text": {"type": "rich_text"}, "nav": {"type": "nav_grid", "blocks": {f"n{i}": {"type": "nav_item"} for i in range(4)},
                                          "block_order": [f"n{i}" for i in range(4)]},
    "divider": {"type": "divider"}, "tabs": {"type": "tabs", "blocks": {"t1": {"type": "tab"}}, "block_order": ["t1"]},
    "contact": {"type": "contact", "settings": {"phone": "400-800-1234"}}, "store": {"type": "store_info"},
    "spacer": {"type": "spacer"}, "search": {"type": "search_bar"},
}


def build_shop(database_url: str, instance: Path) -> None:
    """A tenant `bench` with a published 16-section home page and two images."""
    os.environ.update(TESSERA_DATABASE_URL=database_url, TESSERA_INSTANCE_PATH=str(instance), REDIS_URL=REDIS)
    from PIL import Image

    from app import create_app
    from core.db import db
    from core.media import upload_media
    from core.migrate import upgrade
    from core.tenancy import tenant_scope
    from engines.articles.services import create_article
    from runtime.services import ensure_app, publish, save_draft
    from tenants.services import create_tenant

    upgrade(database_url)
    app = create_app()
    with app.app_context():
        tenant = create_tenant(slug="bench", name="Bench Bakery")
        with tenant_scope(tenant):
            refs = []
            for colour in ((228, 87, 46), (41, 51, 92)):
                buffer = io.BytesIO()
                Image.new("RGB", (750, 400), colour).save(buffer, format="PNG")
                refs.append(f"media:{upload_media(data=buffer.getvalue(), filename='banner.png').id}")
            for index in range(6):
                create_article(title=f"Story {index}", summary="Fresh from the oven", cover=refs[0], publish=True)
            slides = {f"b{i}": {"type": "slide", "settings": {"image": ref, "link": "page:about"}} for i, ref in enumerate(refs)}
            sections = {
                "notice": {"type": "notice_bar"},
                "search": {"type": "search_bar", "settings": {"target": "page:about"}},
                "banner": {"type": "banner", "blocks": slides, "block_order": list(slides)},
                "nav": {"type": "nav_grid", "blocks": {f"n{i}": {"type": "nav_item", "settings": {"label": f"Entry {i}"}}
                                                       for i in range(8)}, "block_order": [f"n{i}" for i in range(8)]},
                "title": {"type": "title", "settings": {"text": "Today", "link": "page:about"}},
                "grid": {"type": "image_grid", "blocks": {"c1": {"type": "cell", "settings": {"image": refs[0]}},
                                                          "c2": {"type": "cell", "settings": {"image": refs[1]}}},
                         "block_order": ["c1", "c2"]},
                "news": {"type": "article_list", "settings": {"count": 5}},
                "image": {"type": "image", "settings": {"image": refs[1], "alt": "Our shop"}},
                "tabs": {"type": "tabs", "blocks": {"t1": {"type": "tab"}, "t2": {"type": "tab"}}, "block_order": ["t1", "t2"]},
                "text": {"type": "rich_text"},
                "hot": {"type": "hotspot_image", "settings": {"image": refs[0]},
                        "blocks": {"z1": {"type": "zone", "settings": {"link": "page:about"}}}, "block_order": ["z1"]},
                "contact": {"type": "contact", "settings": {"phone": "400-800-1234"}},
                "store": {"type": "store_info", "settings": {"address": "1 Bund Rd", "latitude": "31.23", "longitude": "121.47"}},
                "divider": {"type": "divider"},
                "spacer": {"type": "spacer"},
                "fab": {"type": "floating_button", "settings": {"mode": "top"}},
            }
            document = {"schema_version": 1,
                        "app": {"name": "Bench Bakery", "engines": ["articles"],
                                "tabbar": [{"page": "home", "label": "Home"}, {"page": "about", "label": "About", "icon": "shop"}]},
                        "pages": {"home": {"title": "Home", "sections": sections, "order": list(sections)},
                                  "about": {"title": "About", "sections": {}, "order": []},
                                  "basic": {"title": "Basic", "sections": BASIC, "order": list(BASIC)},
                                  "article": {"title": "Article", "kind": "article",
                                              "sections": {"main": {"type": "article_detail"}}, "order": ["main"]}}}
            save_draft(document=document, revision=ensure_app().revision)
            publish(note="bench")
        db.session.commit()
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    import redis

    redis.Redis.from_url(REDIS).flushdb()
    instance = Path(tempfile.mkdtemp(prefix="tessera-bench-"))
    database_url = fresh_database("tessera_bench")
    build_shop(database_url, instance)
    env = {"TESSERA_DATABASE_URL": database_url, "TESSERA_INSTANCE_PATH": str(instance), "REDIS_URL": REDIS}
    run = {"seconds": args.seconds, "connections": args.connections}
    results = []
    with Gunicorn("bench.hello:app", workers=args.workers, env={}) as hello:
        hello.wait()
        wrk(hello.url + "/", seconds=2, connections=args.connections)  # warm-up
        results.append(("Flask hello-world", wrk(hello.url + "/", **run)))
    with Gunicorn("app:create_app()", workers=args.workers, env=env) as shop:
        shop.wait("/s/bench/")
        wrk(shop.url + "/s/bench/", seconds=2, connections=args.connections)
        results.append(("Storefront home, cached", wrk(shop.url + "/s/bench/", **run)))
        results.append(("Page API, cached", wrk(shop.url + "/api/v1/pages/home", headers={"X-Tenant": "bench"}, **run)))
    with Gunicorn("app:create_app()", workers=args.workers, env={**env, "TESSERA_PAGE_CACHE_SIZE": "0"}) as shop:
        shop.wait("/s/bench/")
        wrk(shop.url + "/s/bench/", seconds=2, connections=args.connections)
        results.append(("Storefront home, cache disabled", wrk(shop.url + "/s/bench/", **run)))
        results.append(("10 basic sections, cache disabled", wrk(shop.url + "/s/bench/p/basic", **run)))
    base = results[0][1]["rps"]
    print(f"gunicorn -w {args.workers} (sync), wrk -t2 -c{args.connections} -d{args.seconds}s, "
          f"{os.cpu_count()} cores; 16-section page, PostgreSQL, Redis stamps")
    print("| run                                | req/s     | p50 ms   | p99 ms   | ratio  |")
    print("|------------------------------------|-----------|----------|----------|--------|")
    for name, figures in results:
        print(row(name, figures, None if figures is results[0][1] else base))
        if figures["non_2xx"]:
            print(f"  ({figures['non_2xx']} non-2xx responses)")


if __name__ == "__main__":
    main()
