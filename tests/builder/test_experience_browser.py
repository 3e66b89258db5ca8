"""What a new merchant sees, in a real browser against `tessera run`: the back office's frame at
desktop widths and below (a menu button instead of the sidebar), in English and Chinese; the
designer's palette headings, version history in words and preview link; the page a customer gets
at the address of a shop that does not exist."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser import looks_right, shot, sign_in_merchant, watched_page

SINGLE_LINE = """els => els.filter(el => el.offsetParent !== null).map(el => {
  // The words' line boxes: more than one row of them is a wrapped label (an icon beside the words
  // sits a pixel or two off their line, so rows are told apart by most of a line's height).
  const tops = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    if (!walker.currentNode.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(walker.currentNode);
    for (const r of range.getClientRects()) if (r.width > 0) tops.push(r.top);
  }
  const size = parseFloat(getComputedStyle(el).fontSize);
  return [el.textContent.trim(), tops.length ? Math.max(...tops) - Math.min(...tops) > size * 0.8 : false];
}).filter(([text, wrapped]) => wrapped)"""


def until(check, timeout: float = 10.0) -> None:
    """Poll from Python: the designer's CSP forbids the eval that wait_for_function needs."""
    deadline = time.time() + timeout
    while not check():
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def inside_the_screen(page, locator, width: int) -> None:
    box = locator.bounding_box()
    assert box is not None, locator
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (locator, box, width)


def wrapped_labels(page) -> list:
    """Navigation labels and header buttons that take more than one line."""
    return page.locator(".console-nav .nav-link-title, .console-header .btn, .console-account [data-account-email]") \
        .evaluate_all(SINGLE_LINE)


def signed_in(browser, server, width: int):
    page, problems = watched_page(browser, width)
    sign_in_merchant(page, server)
    problems.clear()  # the sign-in page's own answers are another test's business
    return page, problems


@pytest.mark.live
@pytest.mark.parametrize("width", [1280, 1366, 1440])
def test_the_back_office_fits_from_1280_px(server, browser, width):
    page, problems = signed_in(browser, server, width)
    page.goto(server.url + "/merchant/catalog/")
    # the sidebar shows the navigation, and the header the account and Sign out, inside the screen
    assert page.locator(".console-nav").get_by_text("Items").is_visible()
    assert not page.locator(".navbar-toggler").is_visible()
    email = page.locator("[data-account-email]")
    assert email.inner_text() == server.logins["owner"]["email"]
    inside_the_screen(page, email, width)
    inside_the_screen(page, page.locator("[data-sign-out]"), width)
    looks_right(page, problems, "Owner", "Sign out", "Physical product", name=f"back-office-{width}")
    assert wrapped_labels(page) == []
    page.context.close()


@pytest.mark.live
@pytest.mark.parametrize("width", [1024, 768])
def test_below_1280_px_the_navigation_is_a_menu(server, browser, width):
    page, problems = signed_in(browser, server, width)
    page.goto(server.url + "/merchant/catalog/")
    menu = page.locator(".console-nav").get_by_text("Orders")
    # the navigation waits behind the menu button; the account stays in reach
    assert not menu.is_visible()
    inside_the_screen(page, page.locator("[data-sign-out]"), width)
    looks_right(page, problems, "Sign out", name=f"back-office-{width}")
    page.click(".navbar-toggler")
    page.locator("#navbar-menu.show").wait_for()  # opened, not still sliding open
    menu.wait_for(state="visible")
    inside_the_screen(page, menu, width)
    assert wrapped_labels(page) == []
    shot(page, f"back-office-{width}-menu")
    page.context.close()


@pytest.mark.live
@pytest.mark.parametrize("width", [1280, 768])
def test_in_chinese_no_label_breaks_across_lines(server, browser, width):
    page, problems = signed_in(browser, server, width)
    page.goto(server.url + "/lang/zh_Hans?next=/merchant/catalog/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    if width < 1200:
        page.click(".navbar-toggler")
        page.locator("#navbar-menu.show").wait_for()
    assert page.locator(".console-nav .nav-link-title").first.is_visible()
    assert wrapped_labels(page) == []
    # the kinds of items are words of the language, not the stored values
    assert page.locator("td", has_text=re.compile(r"^(physical|dish|service|virtual)$")).count() == 0
    looks_right(page, problems, "English", name=f"back-office-zh-{width}")
    page.context.close()


def open_designer(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    sign_in_merchant(page, server)
    page.goto(server.url + "/merchant/designer/")
    page.frame_locator("[data-frame]").locator("[data-section]").first.wait_for()
    return page, problems


def call(page, method: str, path: str, body=None) -> dict:
    """The designer's own API from inside the page (its session and CSRF token)."""
    return page.evaluate("""([method, path, body]) => fetch(path, {method, headers: {
        'Content-Type': 'application/json', Accept: 'application/json',
        'X-CSRFToken': document.getElementById('designer').dataset.csrf},
        body: body === null ? undefined : JSON.stringify(body)}).then(r => r.json())""", [method, path, body])


def publish_draft(page, change, note: str) -> dict:
    """In the designer open on `page`: the draft, its document edited by `change`, saved and
    published; the answer of the publish."""
    base = "/merchant/designer/api"
    draft = call(page, "GET", f"{base}/draft")
    change(draft["document"])
    saved = call(page, "PUT", f"{base}/draft", {"document": draft["document"], "revision": draft["revision"]})
    assert "revision" in saved, saved
    published = call(page, "POST", f"{base}/publish", {"revision": saved["revision"], "note": note})
    assert "version" in published, published
    return published


@pytest.mark.live
def test_the_palette_headings_are_words(server, browser):
    page, problems = open_designer(browser, server)
    headings = dict(page.locator("[data-palette] [data-group]").evaluate_all(
        "groups => groups.map(g => [g.dataset.group, g.querySelector('h4').textContent])"))
    assert headings["basic"] == "Basic" and headings["media"] == "Pictures and video"
    assert all(label != key for key, label in headings.items()), headings
    # the components of engines that are always on (marketing, membership) are offered at once
    offered = page.locator("[data-palette] [data-component]").evaluate_all("items => items.map(i => i.dataset.component)")
    assert {"coupon_strip", "member_card"} <= set(offered), offered
    assert problems == []
    page.context.close()


@pytest.mark.live
def test_version_history_says_what_changed_in_words(server, browser):
    page, problems = open_designer(browser, server)
    base = "/merchant/designer/api"
    draft = call(page, "GET", f"{base}/draft")
    document, revision = draft["document"], draft["revision"]
    home = document["pages"]["home"]
    # given a version that adds a spacer, removes the notice bar and retitles the welcome title
    home["sections"]["gap"] = {"type": "spacer", "settings": {}}
    home["order"] = [s for s in home["order"] if s != "notice"] + ["gap"]
    del home["sections"]["notice"]
    home["sections"]["welcome"]["settings"]["text"] = "Fresh every morning"
    revision = call(page, "PUT", f"{base}/draft", {"document": document, "revision": revision})["revision"]
    call(page, "POST", f"{base}/publish", {"revision": revision, "note": "Spring"})
    # and a later one with new colours and a renamed tab
    document["app"]["theme"]["primary"] = "#1E88E5"
    document["app"]["tabbar"][1]["label"] = "Us"
    revision = call(page, "PUT", f"{base}/draft", {"document": document, "revision": revision})["revision"]
    call(page, "POST", f"{base}/publish", {"revision": revision, "note": "Blue"})

    # when the merchant opens the version history
    page.click('[data-open="versions"]')
    versions = page.locator("[data-versions]")
    versions.get_by_text("Theme colours changed").wait_for()
    versions.get_by_text("Demo Shop: added Spacer", exact=False).first.wait_for()  # (each version's lines come as they load)

    # then each version says what changed with page titles and component names, never ids
    lines = versions.locator(".dz-diff li").all_inner_texts()
    assert "Demo Shop: added Spacer; removed Notice bar; changed Title" in lines
    assert {"Theme colours changed", "Tab bar changed"} <= set(lines)
    assert not [line for line in lines if re.search(r"\bs_\w+|\bgap\b|\bnotice\b|\+|−", line)], lines
    shot(page, "designer-versions")
    assert problems == []
    page.context.close()


@pytest.mark.live
def test_the_preview_link_stays_inside_its_dialog_and_copies(server, browser):
    page, problems = open_designer(browser, server)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.click('[data-open="phone"]')
    dialog = page.locator('[data-dialog="phone"]')
    dialog.locator("svg").wait_for()
    link = dialog.locator("[data-qr-url]")
    url = link.input_value()
    assert "/preview/" in url and url.startswith(server.url + "/s/demo/")
    frame, box = dialog.bounding_box(), link.bounding_box()
    assert box["x"] >= frame["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"], (box, frame)
    assert dialog.evaluate("d => d.scrollWidth <= d.clientWidth")
    dialog.get_by_role("button", name="Copy").click()
    dialog.get_by_text("Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == url
    shot(page, "designer-preview-link")
    assert problems == []
    page.context.close()


def shop_page(browser, width: int = 375):
    """A page and what a customer would notice went wrong there — except the page's own status
    (an unknown shop answers 404 on purpose): refused stylesheets, failed assets, script errors."""
    page = browser.new_page(viewport={"width": width, "height": 812})
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" and (message.location or {}).get("url") != page.url else None)
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url} {request.failure}"))
    page.on("response", lambda response: problems.append(f"HTTP {response.status}: {response.url}")
            if response.status >= 400 and not response.request.is_navigation_request() else None)
    return page, problems


@pytest.mark.live
def test_an_unknown_shop_says_so_on_a_styled_page(server, browser):
    page, problems = shop_page(browser)
    response = page.goto(server.url + "/s/no-such-shop/")
    page.wait_for_load_state("networkidle")
    assert response.status == 404
    assert page.locator("[data-shop-unavailable=unknown]").is_visible()
    # styled: Tabler's card and the page's own stylesheet were applied, none refused
    assert page.locator(".card").evaluate("card => getComputedStyle(card).borderRadius") != "0px"
    assert page.locator(".shop-unavailable__icon").evaluate("icon => getComputedStyle(icon).borderRadius") == "50%"
    looks_right(page, problems, "There is no shop at this address", name="shop-unknown-375")
    page.close()
    # another address of no shop, in Chinese: the page kept for that language, as styled
    page, problems = shop_page(browser)
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.goto(server.url + "/s/no-shop-here-either/").status == 404
    page.wait_for_load_state("networkidle")
    assert page.locator(".shop-unavailable__icon").evaluate("icon => getComputedStyle(icon).borderRadius") == "50%"
    looks_right(page, problems, "此地址没有对应的店铺", name="shop-unknown-375-zh")
    page.close()


def test_changes_are_described_with_titles_and_labels(app):
    from builder.designer import describe_changes

    def document(**pages):
        return {"app": {"name": "Tea", "home": "home", "engines": [], "theme": {"primary": "#E4572E", "radius": 8},
                        "tabbar": [], "settings": {}},
                "pages": {pid: {"title": title, "sections": dict(sections), "order": [s for s, _ in sections]}
                          for pid, (title, sections) in pages.items()}}

    before = document(home=("Home", [("a", {"type": "title", "settings": {"text": "Hi"}}),
                                     ("b", {"type": "spacer", "settings": {}})]),
                      old=("Old page", []))
    after = document(home=("Welcome", [("b", {"type": "spacer", "settings": {}, "hidden": True}),
                                       ("a", {"type": "title", "settings": {"text": "Hi"}})]),
                     about=("About us", []))
    after["app"]["theme"]["radius"] = 12
    after["app"]["home"] = "about"
    with app.test_request_context():
        assert describe_changes(before, after) == [
            "Added page About us", "Removed page Old page",
            "Welcome: renamed from “Home”; hid Spacer; reordered sections",
            "Home page is now About us", "Corners or text size changed"]
        assert describe_changes(before, before) == []
