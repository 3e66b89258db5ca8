"""The booking back office as people use it. A shop sets up a home-cleaning service and its
housekeeper through the Admin API (the back office has no forms for them yet), a customer books the
next free slot at their address and pays; at 1280 px the manager finds the booking on the day's
schedule in the housekeeper's row and on the week, closes a day off and opens it again, and marks
the housekeeper's arrival with a photo on the booking's page, and adds a second housekeeper (told
first that a name is needed); at 375 px the housekeeper (their
account linked to the staff profile) opens "My schedule" on a phone and marks the work done with
a photo — which completes the order; the customer books another cleaning three days ahead and
cancels it from "My bookings" on a phone, refunded in full under the shop's rules."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from tests.browser import browser, server  # noqa: F401  the fixtures of the browser tests
from tests.browser import only_the_refusal, sign_in_merchant, watched_page
from tests.conftest import http_json
from tests.engines.membership.test_automations_admin_browser import fits
from tests.engines.membership.test_membership_admin_browser import seen

ALL_DAY = [[["00:00", "24:00"]]] * 7


def admin_token(running) -> str:
    """A staff API token of the demo shop's owner, made with the CLI as a merchant would."""
    env = {**os.environ, "TESSERA_INSTANCE_PATH": str(running.instance)}
    for name in ("TESSERA_DATABASE_URL", "REDIS_URL", "TESSERA_S3_BUCKET"):
        env.pop(name, None)
    made = subprocess.run([sys.executable, "-c", "from cli import main; main()", "api-tokens", "create",
                           running.logins["tenant"], "--email", running.logins["owner"]["email"]],
                          env=env, capture_output=True, text=True, timeout=120, check=True)
    return made.stdout.strip().splitlines()[-1]


def a_booked_cleaning(running) -> dict:
    """The service, its housekeeper linked to the owner's account, and a customer's paid booking of
    the next free slot (the service is open all day, bookable at once: the slot is within the
    hour, so the day's steps are open)."""
    import urllib.parse
    import urllib.request

    admin = {"Authorization": f"Bearer {admin_token(running)}"}
    api = running.url + "/admin/api/v1"
    status, me = http_json("GET", f"{api}/me", None, admin)
    assert status == 200, me
    status, item = http_json("POST", f"{api}/items", {"kind": "service", "name": "Home deep cleaning", "price": 26800,
                                                      "status": "on_sale"}, admin)
    assert status == 201, item
    status, made = http_json("POST", f"{api}/booking/resources", {
        "item_id": item["item"]["id"], "capacity": 1, "duration_minutes": 120, "step_minutes": 30, "hours": ALL_DAY,
        "staffed": True, "lead_minutes": 0}, admin)
    assert status == 201, made
    resource = made["resource"]["id"]
    status, staff = http_json("POST", f"{api}/booking/staff", {
        "name": "Wang Fang", "resource_ids": [resource], "hours": ALL_DAY, "account_id": me["staff"]["id"],
        "qualifications": [{"name": "Health certificate", "image": "", "verified": True}]}, admin)
    assert status == 201, staff

    shop = {"X-Tenant": running.logins["tenant"]}
    status, customer = http_json("POST", f"{running.url}/api/v1/auth/register",
                                 {"email": f"zhou.{os.urandom(3).hex()}@example.com", "password": "password123",
                                  "name": "Zhou Min"}, shop)
    assert status == 201, customer
    buyer = {**shop, "Authorization": f"Bearer {customer['token']}"}
    status, address = http_json("POST", f"{running.url}/api/v1/addresses", {
        "name": "Zhou Min", "phone": "13700137000", "region": "Shanghai Xuhui", "line": "88 Tianyaoqiao Rd"}, buyer)
    assert status == 201, address
    today = dt.date.today()
    status, free = http_json("GET", f"{running.url}/api/v1/booking/availability?resource={resource}"
                                    f"&from={today - dt.timedelta(days=1)}&to={today + dt.timedelta(days=1)}", None, buyer)
    assert status == 200, free
    start = next(slot["start"] for day in free["days"] for slot in day["slots"] if slot["left"] > 0)
    status, placed = http_json("POST", f"{running.url}/api/v1/checkout", {
        "lines": [{"sku_id": item["item"]["skus"][0]["id"], "quantity": 1,
                   "booking": {"start": start, "address_id": address["id"]}}],
        "fulfillment": {"type": "none"}}, buyer)
    assert status == 201, placed

    def _pay(order_id: str) -> None:
        status, started = http_json("POST", f"{running.url}/api/v1/orders/{order_id}/payments",
                                    {"provider": "sandbox"}, buyer)
        assert status == 201, started
        form = urllib.parse.urlencode({"outcome": "succeeded"}).encode()
        with urllib.request.urlopen(urllib.request.Request(started["next_action"]["url"], data=form), timeout=60) as paid:
            assert paid.status == 200

    _pay(placed["order"]["id"])
    return {"order": placed["order"], "buyer": buyer, "token": customer["token"], "resource": resource,
            "sku": item["item"]["skus"][0]["id"], "address": address["id"], "pay": _pay}


def photo(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    Image.new("RGB", (320, 240), "lightseagreen").save(path, "JPEG")
    return str(path)


@pytest.mark.live
def test_a_manager_finds_the_booking_and_the_housekeeper_marks_it_done(server, browser, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    booked = a_booked_cleaning(server)

    # the manager at 1280 px: the day's schedule, in Wang Fang's row
    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    page.locator(".console-nav .nav-link-title").get_by_text("Bookings", exact=True).click()
    chip = page.locator("#schedule .booking-chip", has_text="Home deep cleaning")
    if chip.count() == 0:  # booked just after midnight: the slot is tomorrow's
        page.click("[aria-label=Later]")
    expect(chip).to_contain_text("Zhou Min")
    expect(page.locator("#schedule tbody tr", has=page.locator(".booking-chip", has_text="Home deep cleaning"))
           .locator("th")).to_have_text("Wang Fang")
    fits(page, "#schedule")
    seen(page, problems, "Home deep cleaning", "Zhou Min", "Close time", name="booking-schedule-day")

    # a day off for Wang Fang from the same page, then open again
    page.select_option("#target", label="Wang Fang")
    page.fill("#note", "Annual leave")
    page.click("#close-time button[type=submit]")
    page.get_by_text("Closed from").wait_for()
    block = page.locator("#schedule [data-block]", has_text="Annual leave")
    expect(block).to_be_visible()
    block.get_by_role("button", name="Open again").click()
    page.get_by_text("Open again.").wait_for()
    expect(page.locator("#schedule [data-block]")).to_have_count(0)

    page.click("text=Week")
    expect(page.locator("#schedule .booking-chip", has_text="Home deep cleaning")).to_be_visible()
    fits(page, "#schedule")
    seen(page, problems, "Home deep cleaning", name="booking-schedule-week")

    # the booking's page: arrival with a photo
    page.locator("#schedule .booking-chip", has_text="Home deep cleaning").click()
    expect(page.locator("#booking")).to_contain_text("88 Tianyaoqiao Rd")
    page.set_input_files("#photos-arrive", photo(tmp_path, "door.jpg"))
    page.click("[data-step=arrive]")
    page.get_by_text("Marked: Arrived.").wait_for()
    expect(page.locator("[data-status]")).to_have_text("In progress")
    expect(page.locator("#photos figure")).to_have_count(1)
    seen(page, problems, "Marked: Arrived.", "Arrival", name="booking-arrived")

    page.click("text=All bookings")
    expect(page.locator("#bookings tbody tr", has_text="Home deep cleaning")).to_contain_text("In progress")
    fits(page, "#bookings")
    seen(page, problems, "Zhou Min", "Served by", name="booking-list")
    page.click("text=Rooms by month")
    seen(page, problems, "No rooms yet", name="booking-rooms")

    # the staff: Wang Fang listed with her certificate; a new one without a name is told so
    page.click("#booking-tabs >> text=Staff")
    expect(page.locator("#staff tbody tr", has_text="Wang Fang")).to_contain_text("Health certificate")
    fits(page, "#staff")
    seen(page, problems, "Wang Fang", "Health certificate", name="booking-staff")
    page.click("text=New staff member")
    page.fill("#phone", "13500135000")
    page.locator("#name").evaluate("field => field.removeAttribute('required')")  # as an old browser would send it
    page.click("#staff-form button[type=submit]")
    page.locator(".invalid-feedback").first.wait_for()
    assert page.input_value("#phone") == "13500135000"
    only_the_refusal(problems)
    seen(page, problems, "Working hours", "Back-office account", name="booking-staff-refused")
    page.fill("#name", "Li Na")
    page.click("#staff-form button[type=submit]")
    page.get_by_text("Li Na saved.").wait_for()

    # what is booked: the service with its hours; its form opens as saved
    page.click("#booking-tabs >> text=Services and rooms")
    row = page.locator("#resources tbody tr", has_text="Home deep cleaning")
    expect(row).to_contain_text("Time slot · with staff")
    fits(page, "#resources")
    seen(page, problems, "Home deep cleaning", "No refund on cancellation", name="booking-resources")
    row.get_by_role("link", name="Home deep cleaning").click()
    expect(page.locator("#capacity")).to_have_value("1")
    page.fill("#resource-form [name=rule0_hours]", "24")
    page.fill("#resource-form [name=rule0_percent]", "100")
    page.click("#resource-form button[type=submit]")
    page.get_by_text("Home deep cleaning: booking saved.").wait_for()
    expect(page.locator("#resources tbody tr", has_text="Home deep cleaning")).to_contain_text("100% back from 24 h")
    seen(page, problems, "booking saved", name="booking-resources-saved")

    # the housekeeper on a phone: their own day, the work done with a photo
    phone, phone_problems = watched_page(browser, 375)
    sign_in_merchant(phone, server)
    phone.goto(server.url + "/merchant/booking/mine")
    card = phone.locator("#my-days [data-booking]", has_text="Home deep cleaning")
    expect(card).to_contain_text("88 Tianyaoqiao Rd")
    seen(phone, phone_problems, "Home deep cleaning", "88 Tianyaoqiao Rd", name="booking-mine-phone")
    card.get_by_role("link", name="Completed").click()
    phone.set_input_files("#photos-complete", photo(tmp_path, "kitchen.jpg"))
    phone.click("[data-step=complete]")
    phone.get_by_text("Marked: Completed.").wait_for()
    expect(phone.locator("#photos figure")).to_have_count(2)
    seen(phone, phone_problems, "Marked: Completed.", name="booking-completed-phone")

    status, order = http_json("GET", f"{server.url}/api/v1/orders/{booked['order']['id']}", None, booked["buyer"])
    assert status == 200 and order["order"]["status"] == "completed", order

    # the customer on a phone: a second cleaning three days ahead, cancelled under the rules (100 %
    # until 24 h before); the first one done, under Past
    later = dt.date.today() + dt.timedelta(days=3)
    status, free = http_json("GET", f"{server.url}/api/v1/booking/availability?resource={booked['resource']}"
                                    f"&from={later}&to={later}", None, booked["buyer"])
    start = next(slot["start"] for day in free["days"] for slot in day["slots"] if slot["left"] > 0)
    status, placed = http_json("POST", f"{server.url}/api/v1/checkout", {
        "lines": [{"sku_id": booked["sku"], "booking": {"start": start, "address_id": booked["address"]}}],
        "fulfillment": {"type": "none"}}, booked["buyer"])
    assert status == 201, placed
    booked["pay"](placed["order"]["id"])
    customer, customer_problems = watched_page(browser, 375)
    customer.goto(server.url + "/s/demo/")
    customer.evaluate("token => localStorage.setItem('tessera.token.demo', token)", booked["token"])
    customer.goto(server.url + "/s/demo/my/bookings")
    upcoming = customer.locator(".t-booking", has_text="Home deep cleaning")
    expect(upcoming).to_contain_text("Confirmed")
    seen(customer, customer_problems, "Home deep cleaning", "Cancel booking", name="booking-my-bookings-phone")
    customer.once("dialog", lambda dialog: dialog.accept())
    upcoming.get_by_role("button", name="Cancel booking").click()
    customer.get_by_text("Cancelled: ¥268.00 will be refunded.").wait_for()
    expect(upcoming.locator("[data-status]")).to_have_text("Cancelled")
    seen(customer, customer_problems, "Cancelled: ¥268.00 will be refunded.", name="booking-cancelled-phone")
    customer.click("[data-tab=past]")
    expect(customer.locator(".t-booking [data-status=completed]")).to_have_text("Completed")  # newest first
    done = customer.locator(".t-booking", has=customer.locator("[data-status=completed]"))
    expect(done.locator("[data-served-by]")).to_have_text("Served by Wang Fang")
    expect(done.locator("[data-photos] img")).to_have_count(2)  # the door on arrival, the kitchen when done
    expect(customer.locator(".t-booking [data-status=cancelled]")).to_have_count(1)
    seen(customer, customer_problems, "Completed", name="booking-past-phone")


@pytest.mark.live
def test_a_manager_makes_an_event_bookable_with_a_session_and_a_quota(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    admin = {"Authorization": f"Bearer {admin_token(server)}"}
    status, made = http_json("POST", f"{server.url}/admin/api/v1/items", {
        "kind": "ticket", "name": "Spring concert", "price": 8000, "status": "on_sale",
        "options": [{"name": "Seat", "values": ["Stalls", "Balcony"]}]}, admin)
    assert status == 201, made

    page, problems = watched_page(browser, 1280)
    sign_in_merchant(page, server)
    page.goto(server.url + "/merchant/booking/resources")
    page.click("text=Make an item bookable")
    page.select_option("#item_id", label="Spring concert · Event ticket")
    page.click("#resource-pick button[type=submit]")
    page.click("#resource-form button[type=submit]")
    page.get_by_text("Spring concert: booking saved.").wait_for()
    page.locator("#resources tbody tr", has_text="Spring concert").get_by_role("link", name="Spring concert").click()

    page.fill("#session-day", "2030-04-12")
    page.fill("#session-starts", "19:30")
    page.fill("#session-ends", "21:45")
    page.fill("#session-place", "Riverside hall")
    page.click("#sessions button[type=submit]")
    page.get_by_text("Session added.").wait_for()
    expect(page.locator("#sessions tbody tr", has_text="Riverside hall")).to_contain_text("2030-04-12 19:30–21:45")

    page.fill("#quota-name", "Whole hall")
    page.fill("#quota-size", "300")
    page.check("#quotas input[name=sku_ids] >> nth=0")
    page.check("#quotas input[name=sku_ids] >> nth=1")
    page.click("#quotas button[type=submit]")
    page.get_by_text("Quota Whole hall added.").wait_for()
    expect(page.locator("#quotas tbody tr", has_text="Whole hall")).to_contain_text("Stalls, Balcony")
    expect(page.locator("#sessions tbody tr", has_text="Riverside hall")).to_contain_text("300")
    seen(page, problems, "Riverside hall", "Whole hall", name="booking-event-sessions")
