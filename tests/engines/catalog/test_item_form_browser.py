"""The item form as a merchant uses it: pictures added by uploading or from the media library,
reordered and removed as thumbnails; the description typed as formatted text; hints that show
what they say; item kinds in words. The form still posts `images` (space-separated references)
and `description` (HTML the service sanitises)."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from PIL import Image
from sqlalchemy import select

from core.tenancy import tenant_scope
from engines.catalog.models import Item
from tests.browser import browser, looks_right, only_the_refusal, server, sign_in_merchant, watched_page  # noqa: F401  fixtures


@pytest.fixture
def manager(client, create_staff, sign_in, tenant_a):
    person = create_staff(tenant_a, "manager")
    sign_in("merchant", person.email)
    client.get("/merchant/shops")
    return person


def png(colour, size=(240, 240)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


# -- the server side ---------------------------------------------------------------------------

def test_hints_show_angle_brackets_as_typed(client, db_session, manager):
    # given the item form, whose pictures hint names "media:<id>"
    page = client.get("/merchant/catalog/new").get_data(as_text=True)
    # then the hint is text: the brackets are escaped, not swallowed as a tag
    assert "Media references (media:&lt;id&gt;) or https addresses" in page
    assert "media:<id>" not in page


def test_item_kinds_show_as_words(client, db_session, manager, form_post, tenant_a):
    form_post("/merchant/catalog/new", {"kind": "dish", "name": "Noodles", "price": "18.00", "stock": "5",
                                        "status": "on_sale", "category_id": ""})
    listing = client.get("/merchant/catalog/").get_data(as_text=True)
    assert '<td class="text-secondary">Dish</td>' in listing
    assert '<td class="text-secondary">dish</td>' not in listing
    with tenant_scope(tenant_a):
        item_id = db_session.scalar(select(Item.id).where(Item.name == "Noodles"))
    assert "(Dish)" in client.get(f"/merchant/catalog/{item_id}").get_data(as_text=True)


def test_catalog_staff_may_upload_to_and_list_the_media_library(client, db_session, manager):
    page = client.get("/merchant/catalog/new").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    uploaded = client.post("/merchant/designer/api/media", data={"file": (io.BytesIO(png((10, 120, 200))), "cup.png")},
                           content_type="multipart/form-data", headers=headers)
    assert uploaded.status_code == 201
    listed = client.get("/merchant/designer/api/media", headers=headers).json["items"]
    assert [m["ref"] for m in listed] == [uploaded.json["media"]["ref"]]


def test_clerks_may_not_use_the_media_library(client, db_session, create_staff, sign_in, tenant_a):
    clerk = create_staff(tenant_a, "clerk")
    sign_in("merchant", clerk.email)
    client.get("/merchant/shops")
    assert client.get("/merchant/designer/api/media", headers={"Accept": "application/json"}).status_code == 403


def test_the_edit_form_shows_the_chosen_pictures(client, db_session, manager, form_post, tenant_a):
    page = client.get("/merchant/catalog/new").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    media = client.post("/merchant/designer/api/media", data={"file": (io.BytesIO(png((200, 40, 40))), "a.png")},
                        content_type="multipart/form-data",
                        headers={"X-CSRFToken": token, "Accept": "application/json"}).json["media"]
    form_post("/merchant/catalog/new", {"kind": "physical", "name": "Mug", "price": "9.00", "stock": "1",
                                        "status": "on_sale", "category_id": "", "images": f"{media['ref']} media:junk"})
    with tenant_scope(tenant_a):
        assert db_session.scalar(select(Item.id).where(Item.name == "Mug")) is None  # refused: a malformed reference
    response = form_post("/merchant/catalog/new", {"kind": "physical", "name": "Mug", "price": "9.00", "stock": "1",
                                                   "status": "on_sale", "category_id": "", "images": media["ref"]})
    assert response.status_code == 302
    edit = client.get(response.headers["Location"]).get_data(as_text=True)
    thumbnails = json.loads(html.unescape(re.search(r'data-thumbnails="([^"]*)"', edit).group(1)))
    assert list(thumbnails) == [media["ref"]] and "/media/" in thumbnails[media["ref"]]


# -- in a browser ------------------------------------------------------------------------------

def refs(page) -> list[str]:
    return page.locator("[data-media-thumbs] [data-media-ref]").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('data-media-ref'))")


def upload(page, path) -> str:
    """Add picture → upload a file: the dialog closes and the new picture is the last thumbnail."""
    before = len(refs(page))
    page.click("[data-media-add]")
    page.set_input_files("[data-media-dialog] [data-upload] input[type=file]", str(path))
    page.click("[data-media-dialog] [data-upload] button[type=submit]")
    page.locator("[data-media-thumbs] [data-media-ref]").nth(before).wait_for()
    return refs(page)[-1]


@pytest.mark.live
def test_a_merchant_adds_pictures_and_a_formatted_description(server, browser, tmp_path):  # noqa: F811
    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    problems.clear()
    page.goto(server.url + "/merchant/catalog/new")
    page.fill("input[name=name]", "Hand-thrown cup")
    page.fill("input[name=price]", "35.00")

    # pictures: three uploaded from "Add picture"
    files = []
    for name, colour in (("red", (200, 40, 40)), ("green", (40, 160, 60)), ("blue", (40, 80, 200))):
        files.append(tmp_path / f"{name}.png")
        files[-1].write_bytes(png(colour))
    red, green, blue = (upload(page, path) for path in files)
    assert refs(page) == [red, green, blue]
    # one removed, then chosen again from the library, then moved to the front with the arrows
    page.locator(f'[data-media-ref="{green}"] [data-remove]').click()
    assert refs(page) == [red, blue]
    page.click("[data-media-add]")
    page.locator(f'[data-media-dialog] [data-media-item="{green}"]').click()
    assert refs(page) == [red, blue, green]
    page.locator(f'[data-media-ref="{green}"] [data-earlier]').click()
    page.locator(f'[data-media-ref="{green}"] [data-earlier]').click()
    assert refs(page) == [green, red, blue]
    assert page.locator("input[name=images]").input_value() == f"{green} {red} {blue}"
    # a picture that is not an image is refused in the dialog, which stays open to try again
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    page.click("[data-media-add]")
    page.set_input_files("[data-media-dialog] [data-upload] input[type=file]", str(bad))
    page.click("[data-media-dialog] [data-upload] button[type=submit]")
    page.locator("[data-media-dialog] [data-upload-error]", has_text="not a PNG, JPEG, GIF or WebP").wait_for()
    only_the_refusal(problems, "422")
    looks_right(page, problems, "Media library", name="item-form-library")
    page.click("[data-media-dialog] [data-media-close]")

    # the description: typed, made bold and listed with the editor's buttons, never as HTML
    editor = page.locator("[data-rich-text-field] .ql-editor")
    editor.click()
    page.click("[data-rich-text-field] .ql-bold")
    page.keyboard.type("Thrown by hand")
    page.click("[data-rich-text-field] .ql-bold")
    page.keyboard.press("Enter")
    page.click('[data-rich-text-field] .ql-list[value="bullet"]')
    page.keyboard.type("Holds 200 ml")
    assert page.locator("textarea[name=description]").is_hidden()
    looks_right(page, problems, "Add picture", "Thrown by hand", name="item-form-new")
    page.click("button[type=submit]:has-text('Save')")
    page.wait_for_url("**/merchant/catalog/*")

    # saved as typed: the pictures in their order, the description as (sanitised) HTML
    page.get_by_text("Item saved.").wait_for()
    assert refs(page) == [green, red, blue]
    description = page.locator("textarea[name=description]").input_value()
    assert description == "<p><strong>Thrown by hand</strong></p><ul><li>Holds 200 ml</li></ul>"
    page.locator("[data-rich-text-field] .ql-editor strong", has_text="Thrown by hand").wait_for()
    looks_right(page, problems, "Hand-thrown cup", "Holds 200 ml", name="item-form-edit")
    page.context.close()
