"""Helpers for browser tests: a real `tessera run` server and headless Chromium (Playwright with
the system browser). Tests that use them are skipped, with the reason, where either is missing."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("TESSERA_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`tessera run` on a free port with a fresh instance folder (SQLite, inline jobs), with the
    environment's variables and `env`'s."""

    def __init__(self, instance: Path, env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.instance = instance
        # Every browser test's shopper comes from 127.0.0.1: the limits per address would count
        # them all as one person (the limits per phone and per account still hold).
        env = {**os.environ, "TESSERA_INSTANCE_PATH": str(instance), "TESSERA_RATE_LIMIT_SMS_ADDRESS": "1000/minute",
               "TESSERA_RATE_LIMIT_AUTH": "1000/minute", **(env or {})}
        for name in ("TESSERA_DATABASE_URL", "REDIS_URL", "TESSERA_S3_BUCKET"):
            env.pop(name, None)
        # Its log (a line a request) goes to a file: a pipe nobody reads fills up after a few
        # hundred requests, and the server stops, blocked writing to it.
        self.log = instance / "server.log"
        self._log = self.log.open("wb")
        self.process = subprocess.Popen([sys.executable, "-c", "from cli import main; main()", "run", "--port",
                                         str(self.port)], env=env, stdout=subprocess.DEVNULL, stderr=self._log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.log.read_text()[-2000:])
                time.sleep(0.2)
        self.logins = json.loads((instance / "demo-logins.json").read_text())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


def browser_or_skip():
    """A started Playwright and a launched Chromium, or a skip saying what is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright (Python) is not installed")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    return playwright, browser


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def phone_page(browser):
    """A new page at a phone's size and the list the page's script errors are collected in."""
    page = browser.new_page(viewport={"width": 375, "height": 812})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    return page, problems


@functools.cache
def chinese_font() -> bool:
    """Whether the system has a font with Chinese glyphs, for Chromium to draw Chinese with."""
    return bool(shutil.which("fc-list")) and bool(subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True,
                                                                 text=True).stdout.strip())


def watched_page(browser, width: int, *, locale: str | None = None, **options):
    """A new page `width` px wide (375: a phone, the storefront; 1280: the back office) and the list
    of what a person would notice went wrong: script errors, console errors, failed resources.

    `locale="zh-CN"` opens it as a person whose browser is set to Simplified Chinese would (the
    browser's language and its Accept-Language); other keywords go to the page's browser context
    (`storage_state=` to arrive signed in)."""
    if locale:
        if locale.startswith("zh") and not chinese_font():
            pytest.skip("no font with Chinese glyphs (apt-get install fonts-noto-cjk): the page would show boxes")
        language = {"Accept-Language": f"{locale},{locale.split('-')[0]};q=0.9"}
        options = {"locale": locale, **options,
                   "extra_http_headers": {**language, **options.get("extra_http_headers", {})}}
    page = browser.new_page(viewport={"width": width, "height": 812 if width < 800 else 900}, **options)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url} {request.failure}")
            if request.failure != "net::ERR_ABORTED" else None)  # aborted: the page moved on before it came
    page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 else None)
    return page, problems


# Text a person sees cut off or spilling out of its box, and buttons, links and fields cut off.
# A text node's box is its nearest ancestor that is not inline: the text must stay inside it, and
# inside each ancestor above that clips it (overflow hidden or clip); a control must stay inside
# each ancestor that clips it. Not counted: a box that scrolls (the rest is a swipe away), an
# ellipsis (a cut that says so), a running animation (a marquee), what is hidden on purpose (clip,
# clip-path, a box of 1 px or less), what is wholly outside a clipping ancestor (a carousel's other
# slides, an off-canvas panel), and <html>/<body> (the page-width check covers them).
ESCAPES = r"""okSelectors => {
  const found = new Map();
  const ok = el => okSelectors.some(selector => el.closest(selector));
  const scrolls = style => style.overflowX === 'auto' || style.overflowX === 'scroll';
  const clips = style => style.overflowX === 'hidden' || style.overflowX === 'clip';
  const hidden = style => style.clip !== 'auto' || style.clipPath !== 'none';
  const moving = el => el.getAnimations().some(animation => animation.playState === 'running');
  const tiny = rect => rect.width <= 1 || rect.height <= 1;
  const top = el => !el || el === document.body || el === document.documentElement;
  const quote = text => (text = text.trim().replace(/\s+/g, ' ')).length > 60 ? text.slice(0, 59) + '…' : text;
  const describe = el => {
    const parts = [];
    for (let e = el; !top(e) && parts.length < 4; e = e.parentElement) {
      if (e.id) { parts.unshift('#' + CSS.escape(e.id)); break; }
      let part = e.localName + [...e.classList].slice(0, 2).map(c => '.' + CSS.escape(c)).join('');
      const same = [...e.parentElement.children].filter(c => c.localName === e.localName);
      if (same.length > 1) part += `:nth-of-type(${same.indexOf(e) + 1})`;
      parts.unshift(part);
    }
    return parts.join(' > ');
  };
  // The ancestor of `el` that cuts off part of [left, right] (all of it is a carousel's other
  // slide or a panel off-canvas, on purpose) and by how much; none past a scroll container, a
  // fixed box, a running animation or content hidden on purpose.
  const cutBy = (el, left, right) => {
    let style = getComputedStyle(el);
    if (style.position === 'fixed') return null;
    let positioned = style.position === 'absolute';  // clipped only from its containing block up
    for (el = el.parentElement; !top(el); el = el.parentElement) {
      style = getComputedStyle(el);
      if (hidden(style) || moving(el)) return null;
      if (positioned && style.position === 'static') continue;
      positioned = style.position === 'absolute';
      const rect = el.getBoundingClientRect();
      if (scrolls(style) || tiny(rect)) return null;
      const out = Math.max(rect.left - left, right - rect.right);
      if (clips(style) && out > 1 && right > rect.left && left < rect.right && el.scrollWidth > el.clientWidth + 1) {
        return [el, out];
      }
      if (style.position === 'fixed') return null;
    }
    return null;
  };
  const report = (culprit, where, text, how, out) => {
    if (!ok(where) && !ok(culprit) && !found.has(culprit)) {
      found.set(culprit, `${describe(where)}: "${quote(text)}" ${how} (${Math.round(out)}px)`);
    }
  };
  // Text: inside its box (the nearest ancestor that is not inline) and every ancestor that clips.
  const walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT,
    {acceptNode: node => node.nodeValue.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT});
  for (let node; (node = walker.nextNode());) {
    const parent = node.parentElement;
    if (!parent || parent.closest('script, style, noscript, template, textarea, select, option, svg')) continue;
    if (!parent.checkVisibility({visibilityProperty: true})) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter(rect => rect.width > 0 && rect.height > 0);
    if (!rects.length) continue;
    const left = Math.min(...rects.map(rect => rect.left)), right = Math.max(...rects.map(rect => rect.right));
    let box = parent, style = getComputedStyle(box), still = true;
    for (; !top(box); box = box.parentElement, style = box && getComputedStyle(box)) {
      if (hidden(style)) break;
      still &&= !moving(box);
      if (style.display !== 'inline' && style.display !== 'contents') break;
    }
    const rect = top(box) ? null : box.getBoundingClientRect();
    if (!rect || hidden(style) || !still || scrolls(style) || tiny(rect)) continue;
    const out = Math.max(rect.left - left, right - rect.right);
    if (out > 1) {
      if (clips(style) && (style.textOverflow === 'ellipsis' || box.scrollWidth <= box.clientWidth + 1)) continue;
      report(box, box, node.nodeValue, clips(style) ? 'is cut off by its box' : 'spills out of its box', out);
    } else {
      const cut = cutBy(box, left, right);
      if (cut) report(cut[0], box, node.nodeValue, 'is cut off by ' + describe(cut[0]), cut[1]);
    }
  }
  // Controls (buttons, links, fields): a person must see all of each, not a slice of it.
  const controls = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=tab]';
  for (const control of document.querySelectorAll(controls)) {
    if (!control.checkVisibility({visibilityProperty: true})) continue;
    const rect = control.getBoundingClientRect(), style = getComputedStyle(control);
    if (tiny(rect) || hidden(style) || moving(control)) continue;
    const cut = cutBy(control, rect.left, rect.right);
    if (!cut) continue;
    const label = control.innerText || control.value || control.getAttribute('aria-label') || control.localName;
    report(cut[0], control, label, 'is cut off by ' + describe(cut[0]), cut[1]);
  }
  return [...found.values()];
}"""


def _frames(page) -> list:
    """The page's main frame and its frames that show a document."""
    return [frame for frame in page.frames if frame == page.main_frame
            or not (frame.is_detached() or frame.url in ("", "about:blank"))]


def escaping_text(page, escape_ok: tuple[str, ...] = ()) -> list[str]:
    """Each visible text that escapes its box horizontally (see ESCAPES), as "box: text, how", in
    the page and its frames; a text in, or a box matching, a selector of `escape_ok` is allowed."""
    found = []
    for frame in _frames(page):
        where = "" if frame == page.main_frame else f"[frame {frame.url}] "
        found += [where + escape for escape in frame.evaluate(ESCAPES, list(escape_ok))]
    return found


def looks_right(page, problems: list[str], *texts: str, name: str, escape_ok: tuple[str, ...] = ()) -> None:
    """What a person sees: each of `texts` visible, nothing wider than the screen, no text cut off
    or spilling out of its box and no button, link or field cut off (see ESCAPES; `escape_ok`:
    selectors of legitimate cases), no errors; a screenshot in test-artifacts/ to look at."""
    from playwright.sync_api import expect

    for text in texts:
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
    # a page just opened may show its text before its stylesheets have come (a busy machine):
    # what is measured is the page as it stands once they have
    page.wait_for_load_state("load")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    escapes = escaping_text(page, escape_ok)
    shot(page, name)
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than the screen"
    assert escapes == [], f"{name}: cut off or spilling out of its box:\n  " + "\n  ".join(escapes)
    assert problems == [], problems


AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"  # by scripts/vendor_assets.py
SERIOUS = ("serious", "critical")


def _target(target: list) -> str:
    """axe's selector of a node: in a frame, the frame's selector first."""
    return " >>> ".join(_target(part) if isinstance(part, list) else part for part in target)


def accessible(page, name: str) -> dict:
    """axe-core's rules (WCAG 2 A and AA, best practices) over the page and its frames: fails on
    any violation of impact serious or critical, listing rule, impact, element and what to do;
    writes axe's results to test-artifacts/<name>.axe.json, beside the screenshot.

    axe is evaluated as DevTools evaluates, not added as a <script>: the page's strict CSP stays
    in force, so what it blocks still shows as a console error in watched_page's problems."""
    source = AXE.read_text()
    for frame in _frames(page):
        if not frame.evaluate("typeof window.axe === 'object'"):
            frame.evaluate(source + "\n;undefined")
    results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"{name}.axe.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    serious = [f"{rule['id']} ({rule['impact']}) at {_target(node['target'])}: {rule['help']}"
               + "".join(f" — {check['message']}" for check in (node["any"] + node["all"] + node["none"])[:1])
               for rule in results["violations"] if rule["impact"] in SERIOUS for node in rule["nodes"]]
    assert serious == [], f"{name}: {len(serious)} serious accessibility problems:\n  " + "\n  ".join(serious)
    return results


def first_table_code(page, server: Server, store_name: str) -> str:
    """The code of a store's first table, read in the back office as a manager would."""
    page.goto(server.url + "/merchant/stores/")
    page.click(f"text={store_name}")
    return page.get_attribute("#tables li[data-code]", "data-code")


def sign_in_buyer(page, phone: str) -> None:
    """On the storefront's sign-in page: ask for a code (the sandbox fills it in) and sign in."""
    from playwright.sync_api import expect

    page.wait_for_selector("[data-send-code]")
    page.fill("input[name=phone]", phone)
    page.click("[data-send-code]")
    expect(page.locator("input[name=code]")).to_have_value(re.compile(r"^\d{6}$"))
    page.click("[data-sign-in]")


def add_address(page, *, name: str, phone: str, region: str, line: str) -> None:
    """At checkout, with delivery chosen: fill the new-address form, save it and wait for it."""
    for field, value in (("name", name), ("phone", phone), ("region", region), ("line", line)):
        page.fill(f"input[name={field}]", value)
    page.click("[data-save-address]")
    page.wait_for_selector("input[name=address]")


def ship_in_back_office(page, server: Server, number: str, *, carrier: str, tracking_number: str) -> None:
    """A signed-in manager finds an order by its number and ships it."""
    page.goto(server.url + f"/merchant/orders/?q={number}")
    page.click(f"text={number}")
    page.fill("#carrier", carrier)
    page.fill("#tracking_number", tracking_number)
    page.click("#ship button")
    page.wait_for_selector("text=Shipped.")


def verify_at_counter(page, server: Server, code: str) -> None:
    """A signed-in clerk looks up a verification code, sees the preview and confirms it."""
    page.goto(server.url + f"/merchant/orders/verify?code={code}")
    page.click("#preview button")
    page.wait_for_selector("text=is complete")


def sign_in_console(page, server: Server) -> None:
    """Sign in to the platform console in a browser page as the demo's platform admin."""
    page.goto(server.url + "/console/login")
    page.fill("input[name=email]", server.logins["admin"]["email"])
    page.fill("input[name=password]", server.logins["admin"]["password"])
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")


def new_tenant_in_console(page, name: str, slug: str, email: str, password: str) -> None:
    """From the console's tenant list, a new shop with its owner; the page then offers templates."""
    page.click("text=New tenant")
    page.fill("input[name=name]", name)
    page.fill("input[name=slug]", slug)
    page.fill("input[name=owner_email]", email)
    page.fill("input[name=owner_password]", password)
    page.click("button:has-text('Create tenant')")
    page.wait_for_url("**/console/tenants/*/template")


def only_the_refusal(problems: list[str], status: str = "400") -> None:
    """A form refused on purpose: its answer (`status`) is the only problem the page had; the list
    starts again for what follows."""
    assert [p for p in problems if status not in p] == []
    problems.clear()


def sign_in_merchant(page, server: Server, email: str | None = None, password: str | None = None) -> None:
    """Sign in to the back office in a browser page (the demo owner by default)."""
    page.goto(server.url + "/merchant/login")
    page.fill("input[name=email]", email or server.logins["owner"]["email"])
    page.fill("input[name=password]", password or server.logins["owner"]["password"])
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One `tessera run` a module (import this fixture where browser tests live)."""
    running = Server(tmp_path_factory.mktemp("browser-instance"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium a module."""
    playwright, launched = browser_or_skip()
    yield launched
    launched.close()
    playwright.stop()
