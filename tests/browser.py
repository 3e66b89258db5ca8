"""Helpers for browser tests: a real `tessera run` server and headless Chromium (Playwright with
the system browser). Tests that use them are skipped, with the reason, where either is missing."""

from __future__ import annotations

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
    """`tessera run` on a free port with a fresh instance folder (SQLite, inline jobs)."""

    def __init__(self, instance: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.instance = instance
        env = {**os.environ, "TESSERA_INSTANCE_PATH": str(instance)}
        for name in ("TESSERA_DATABASE_URL", "REDIS_URL", "TESSERA_S3_BUCKET"):
            env.pop(name, None)
        self.process = subprocess.Popen([sys.executable, "-c", "from cli import main; main()", "run", "--port",
                                         str(self.port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.process.stderr.read().decode()[-2000:])
                time.sleep(0.2)
        self.logins = json.loads((instance / "demo-logins.json").read_text())

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process.stderr.close()


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


def watched_page(browser, width: int):
    """A new page `width` px wide (375: a phone, the storefront; 1280: the back office) and the list
    of what a person would notice went wrong: script errors, console errors, failed resources."""
    page = browser.new_page(viewport={"width": width, "height": 812 if width < 800 else 900})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url} {request.failure}")
            if request.failure != "net::ERR_ABORTED" else None)  # aborted: the page moved on before it came
    page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 else None)
    return page, problems


def looks_right(page, problems: list[str], *texts: str, name: str) -> None:
    """What a person sees: each of `texts` visible, nothing wider than the screen, no errors; a
    screenshot in test-artifacts/ to look at."""
    from playwright.sync_api import expect

    for text in texts:
        expect(page.get_by_text(text, exact=False).first).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    shot(page, name)
    assert overflow <= 0, f"{name}: the page is {overflow}px wider than the screen"
    assert problems == [], problems


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
