"""Each template end to end in a real browser, on the live demo shops `tessera run` makes
(`/s/tpl-<slug>/`): a consumer browses, orders and pays in the sandbox; a manager of that shop
fulfils or verifies; the order completes."""

from __future__ import annotations

import re
import subprocess
import sys


from tests.browser import (ARTIFACTS, accessible, add_address, first_table_code, looks_right, only_the_refusal, phone_page, ship_in_back_office, shot,
                           sign_in_buyer, sign_in_merchant, verify_at_counter, watched_page)

STAFF = """
from app import create_app
from core.db import db
from core.identities import add_staff, create_identity
from core.tenancy import find_tenant, tenant_scope
app = create_app()
with app.app_context():
    with tenant_scope(find_tenant("{slug}")):
        add_staff(identity=create_identity(email="{email}", password="password123"), role="manager")
    db.session.commit()
"""


def manager_of(server, slug: str) -> str:
    """The email of a manager of the demo shop `slug` (made once per server)."""
    email = f"manager@{slug}.example.com"
    made = server.__dict__.setdefault("managers", set())
    if email in made:
        return email
    made.add(email)
    subprocess.run([sys.executable, "-c", STAFF.format(slug=slug, email=email)], check=True, capture_output=True,
                   env={"TESSERA_INSTANCE_PATH": str(server.instance), "PATH": "/usr/bin:/bin"})
    return email


def test_ordering_template_dine_in_end_to_end(server, browser):
    clerk = browser.new_page()
    sign_in_merchant(clerk, server, manager_of(server, "tpl-ordering"), "password123")
    table = first_table_code(clerk, server, "Noodle house")

    buyer, problems = phone_page(browser)
    buyer.goto(server.url + f"/s/tpl-ordering/?table={table}")
    shot(buyer, "template-ordering-1-menu")
    buyer.click("text=Beef noodle soup")
    buyer.check("[data-choice-group=Spiciness] input[value=Medium]")
    buyer.check("[data-choice-group=Extras] input[value='Braised egg']")
    buyer.click("[data-buy-now]")
    sign_in_buyer(buyer, "13700137000")
    buyer.wait_for_selector("[data-total]")
    assert buyer.is_checked("input[name=fulfillment][value=dine_in]")
    assert buyer.get_attribute("[data-total]", "data-total") == "3500"
    buyer.click("[data-place-order]")
    buyer.click("button[value=succeeded]")
    buyer.wait_for_selector("[data-code]")
    assert re.search(r"\d{4}", buyer.inner_text("[data-pickup-number]"))  # called at the counter
    assert buyer.get_attribute("[data-progress]", "data-progress") == "paid"
    code = buyer.inner_text("[data-code]").replace(" ", "")
    verify_at_counter(clerk, server, code)
    buyer.reload()
    buyer.wait_for_selector("[data-status=completed]")
    assert problems == []


def test_ecommerce_template_delivery_end_to_end(server, browser):
    buyer, problems = phone_page(browser)
    buyer.goto(server.url + "/s/tpl-ecommerce/")
    shot(buyer, "template-ecommerce-1-home")
    buyer.click("text=Linen shirt")
    buyer.click("[data-buy-now]")  # the first size and colour in stock
    sign_in_buyer(buyer, "13600136000")
    buyer.wait_for_selector("input[name=fulfillment]")
    buyer.check("input[name=fulfillment][value=express]")
    add_address(buyer, name="Han Meimei", phone="13600136000", region="Zhejiang Hangzhou", line="1 West Lake Road")
    buyer.wait_for_selector("[data-total]")
    assert buyer.get_attribute("[data-total]", "data-total") == "16900"  # free delivery above ¥99
    buyer.click("[data-place-order]")
    buyer.click("button[value=succeeded]")
    buyer.wait_for_selector("[data-status=awaiting_shipment]")
    number = re.search(r"\d{11}", buyer.inner_text("#main")).group(0)

    manager = browser.new_page()
    sign_in_merchant(manager, server, manager_of(server, "tpl-ecommerce"), "password123")
    ship_in_back_office(manager, server, number, carrier="ZTO", tracking_number="ZT7788")
    buyer.reload()
    buyer.click("[data-confirm]")
    buyer.wait_for_selector("[data-status=completed]")
    buyer.goto(server.url + "/s/tpl-ecommerce/orders")  # the member centre
    buyer.click("[data-tab=done]")
    buyer.wait_for_selector("[data-order]")
    assert number in buyer.inner_text("#main")
    buyer.click("[data-tab=to_pay]")
    buyer.wait_for_selector("text=No orders yet.")
    buyer.click("[data-tab=addresses]")
    buyer.wait_for_selector("[data-address-id]")
    assert "Han Meimei" in buyer.inner_text("#main")
    shot(buyer, "template-ecommerce-2-addresses")
    assert problems == []


def test_points_mall_template_earn_redeem_fulfil(server, browser):
    """A member of the points-mall demo signs in from a reward, earns points with the task centre,
    gets points from the shop for a complaint, redeems a treat wholly in points (verified at the
    counter) and a candle for points and cash (paid in the sandbox), and finds both among their
    redemptions."""
    buyer, problems = phone_page(browser)
    buyer.goto(server.url + "/s/tpl-points-mall/")
    buyer.wait_for_selector("[data-mall-item]")
    shot(buyer, "template-points-mall-1-home")
    buyer.locator("[data-tasks=signed-out] a").click()  # "Sign in / Register" in the task list
    sign_in_buyer(buyer, "13500135000")
    buyer.wait_for_selector("[data-task=sign_in] button")
    buyer.click("[data-task=sign_in] button")
    buyer.wait_for_selector("[data-task-collected='10']")
    buyer.fill("[data-task=profile] input[name=birthday]", "1992-03-04")
    buyer.click("[data-task=profile] button[type=submit]")
    buyer.click("[data-task=profile][data-task-state=done] button")
    buyer.wait_for_selector("[data-task-collected='100']")
    shot(buyer, "template-points-mall-2-tasks")

    manager = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in_merchant(manager, server, manager_of(server, "tpl-points-mall"), "password123")
    manager.goto(server.url + "/merchant/membership/members?q=13500135000")  # one found: their page
    manager.fill("input[name=points_amount]", "2000")
    manager.fill("input[name=points_reason]", "Sorry for the late parcel")
    manager.click("#adjust-points button[type=submit]")
    manager.wait_for_selector("#points-available:has-text('2,110')")

    buyer.goto(server.url + "/s/tpl-points-mall/p/shop")  # the shop tab: the balance, opening the history
    buyer.click("[data-points-balance='2110']")
    buyer.wait_for_selector("[data-points-entry] >> text=Sorry for the late parcel")
    buyer.goto(server.url + "/s/tpl-points-mall/p/mall")
    buyer.wait_for_selector("[data-mall-points='2110']")
    shot(buyer, "template-points-mall-3-mall")
    cheesecake = buyer.locator("[data-mall-item]", has_text="Strawberry cheesecake")
    cheesecake.locator("[data-mall-redeem]").click()
    buyer.wait_for_selector("[data-mall-sheet] [data-mall-pay='0']")
    assert buyer.is_checked("[data-mall-sheet] input[value=pickup]")
    buyer.screenshot(path=str(ARTIFACTS / "template-points-mall-4-sheet.png"))  # the sheet over the page, as seen
    buyer.click("[data-mall-confirm]")
    buyer.wait_for_selector("[data-code]")
    assert buyer.get_attribute("[data-progress]", "data-progress") == "paid"
    code = buyer.inner_text("[data-code]").replace(" ", "")
    verify_at_counter(manager, server, code)
    buyer.reload()
    buyer.wait_for_selector("[data-status=completed]")

    buyer.goto(server.url + "/s/tpl-points-mall/p/mall")
    buyer.wait_for_selector("[data-mall-points='1710']")
    buyer.locator("[data-mall-item]", has_text="Soy wax candle").locator("[data-mall-redeem]").click()
    buyer.wait_for_selector("[data-mall-sheet] [data-mall-pay='990']")
    buyer.click("[data-mall-confirm]")
    buyer.click("button[value=succeeded]")  # the sandbox's pay page
    buyer.wait_for_selector("[data-progress=paid]")

    buyer.goto(server.url + "/s/tpl-points-mall/my/redemptions")
    buyer.wait_for_selector("[data-redemption]")
    records = buyer.inner_text("#main")
    assert "Strawberry cheesecake" in records and "Soy wax candle" in records and "¥9.90" in records
    shot(buyer, "template-points-mall-5-redemptions")

    buyer.goto(server.url + "/s/tpl-points-mall/my/inbox")  # the club's welcome, from its automation
    welcome = buyer.locator("[data-message-id]", has_text="Welcome to the club")
    welcome.locator("button").click()
    buyer.wait_for_selector("[data-message-id][data-read=true] >> text=Sign in every day for 10 points")
    shot(buyer, "template-points-mall-6-inbox")
    assert problems == []


def paid_and_among_their_bookings(page, problems, server, slug: str, name: str, shot_name: str, *texts: str) -> None:
    """At checkout: the order placed and paid in the sandbox, its page (with its code) seen, then
    the booking confirmed among the customer's bookings."""
    from playwright.sync_api import expect

    page.click("[data-place-order]")
    page.click("button[value=succeeded]")  # the sandbox's pay page
    page.wait_for_selector("[data-code]")
    assert page.get_attribute("[data-progress]", "data-progress") == "paid"
    looks_right(page, problems, *texts, name=shot_name)
    page.goto(server.url + f"/s/{slug}/my/bookings")
    expect(page.locator(".t-booking", has_text=name).locator("[data-status]")).to_have_text("Confirmed")


def test_housekeeping_template_book_a_cleaning_at_home(server, browser):
    """A customer of the housekeeping demo on a phone: the home page's services and housekeepers,
    a service's page (what it is, who does it, the cancellation rules), a free time on the first
    day with one, signing in, the address at checkout, paying in the sandbox; the order has its
    code, the booking is among theirs, confirmed; the manager finds it on the bookings list."""
    from playwright.sync_api import expect


    buyer, problems = watched_page(browser, 375)
    buyer.goto(server.url + "/s/tpl-housekeeping/")
    looks_right(buyer, problems, "Popular services", "Our housekeepers", "Health certificate",
                name="template-housekeeping-1-home")
    accessible(buyer, "template-housekeeping-1-home")
    buyer.click("text=Daily cleaning · 2 hours")
    buyer.wait_for_selector("[data-picker]:not([aria-busy]) [data-times] input[data-slot]")
    expect(buyer.locator("[data-day].is-on")).to_have_count(1)
    looks_right(buyer, problems, "118.00", "Who serves", "Wang Fang", "Full refund if cancelled 24 hours",
                name="template-housekeeping-2-service")
    from urllib.parse import urljoin
    certificate = buyer.request.get(urljoin(buyer.url, buyer.locator("[data-certificate]").first.get_attribute("href")))
    assert certificate.ok and certificate.headers["content-type"].startswith("image/")  # the photo opens
    buyer.click("[data-choose-staff] >> text=Li Min")  # her slots: the picker asks again
    buyer.wait_for_selector("[data-picker]:not([aria-busy]) [data-times] input[data-slot]:not([disabled])")
    slot = buyer.locator("[data-picker]:not([aria-busy]) [data-times] input[data-slot]:not([disabled])").first
    slot.check()
    expect(buyer.locator("[data-book-now]")).to_be_enabled()
    looks_right(buyer, problems, "Served by", name="template-housekeeping-3-time")
    accessible(buyer, "template-housekeeping-3-time")
    buyer.click("[data-book-now]")
    sign_in_buyer(buyer, "13611136111")  # a phone of its own: codes are limited per phone
    buyer.wait_for_selector("[data-save-address]")
    add_address(buyer, name="Zhou Min", phone="13611136111", region="Shanghai Xuhui", line="16 Anfu Rd")
    buyer.wait_for_selector("[data-total='11800']")
    assert buyer.locator("input[name=fulfillment]").count() == 0  # nothing to deliver: no way to choose
    looks_right(buyer, problems, "Daily cleaning · 2 hours", "Li Min", "16 Anfu Rd",
                name="template-housekeeping-4-checkout")
    paid_and_among_their_bookings(buyer, problems, server, "tpl-housekeeping", "Daily cleaning · 2 hours",
                                  "template-housekeeping-5-order", "Li Min")
    looks_right(buyer, problems, "Cancel booking", name="template-housekeeping-6-bookings")

    manager, manager_problems = watched_page(browser, 1280)
    sign_in_merchant(manager, server, manager_of(server, "tpl-housekeeping"), "password123")
    manager.goto(server.url + "/merchant/booking/bookings")
    row = manager.locator("#bookings tbody tr", has_text="Daily cleaning · 2 hours")
    expect(row).to_contain_text("Li Min")
    expect(row).to_contain_text("Confirmed")
    looks_right(manager, manager_problems, "Zhou Min", name="template-housekeeping-7-back-office")


def test_events_template_register_pay_and_check_in_at_the_door(server, browser):
    """A guest of the events demo on a phone: the event list with posters, the concert's page,
    a VIP ticket for its first session with the registration form (a required answer missing is
    said), paid in the sandbox; the ticket's QR code on the order; checked in at the door by its
    code; the registrant among the organiser's bookings."""
    from playwright.sync_api import expect


    guest, problems = watched_page(browser, 375)
    guest.goto(server.url + "/s/tpl-events/")
    looks_right(guest, problems, "Coming up", "Jazz concert by the river", "Terrace, 1 Zhongshan East Road",
                name="template-events-1-list")
    guest.click("text=Jazz concert by the river")
    guest.wait_for_selector("[data-sessions] [data-session]")
    guest.check("[data-rates] input[data-price='¥280.00']")  # VIP: the sessions show VIP places left
    expect(guest.locator("[data-sessions] [data-session]").first).to_contain_text("16 left")
    guest.locator("[data-sessions] input[name=session]").first.check()
    guest.fill("[data-answer=name]", "Sun Li")
    looks_right(guest, problems, "Sessions", "Registration", "Full refund if cancelled 48 hours",
                name="template-events-2-event")
    accessible(guest, "template-events-2-event")
    guest.click("[data-book-now]")  # the phone is required: the browser says so, nothing is sent
    assert "tpl-events/p/book" in guest.url
    guest.fill("[data-answer=phone]", "13622136222")
    guest.click("[data-book-now]")
    sign_in_buyer(guest, "13622136222")
    guest.wait_for_selector("[data-total='28000']")
    looks_right(guest, problems, "Jazz concert by the river", "VIP", name="template-events-3-checkout")
    guest.click("[data-place-order]")
    guest.click("button[value=succeeded]")  # the sandbox's pay page
    guest.wait_for_selector("[data-code]")
    expect(guest.locator(".t-code__qr")).to_be_visible()
    looks_right(guest, problems, "Terrace", "Show this code when you arrive", name="template-events-4-ticket")
    code = guest.inner_text("[data-code]").replace(" ", "")

    organiser, organiser_problems = watched_page(browser, 1280)
    sign_in_merchant(organiser, server, manager_of(server, "tpl-events"), "password123")
    verify_at_counter(organiser, server, code)
    organiser.goto(server.url + "/merchant/booking/bookings")
    expect(organiser.locator("#bookings tbody tr", has_text="Jazz concert by the river")).to_contain_text("Completed")
    looks_right(organiser, organiser_problems, "Sun Li", name="template-events-5-registrants")
    organiser.click("#booking-tabs >> text=Services and rooms")
    organiser.get_by_role("link", name="Pottery workshop for beginners").click()
    expect(organiser.locator("[name=question2_label]")).to_have_value("Have you thrown before?")
    expect(organiser.locator("[name=question2_choices]")).to_have_value("Never, Once or twice, Often")
    looks_right(organiser, organiser_problems, "Registration form", "Sessions", "Ticket quotas",
                name="template-events-6-event-form")
    guest.reload()
    guest.wait_for_selector("[data-status=completed]")


def test_homestay_template_book_two_nights_on_the_calendar(server, browser):
    """A guest of the homestay demo on a phone: the rooms with their price a night, the garden
    room's page with its rates, a calendar of nights priced (a stay too short is said), the
    arrival and departure chosen, two guests, paid in the sandbox; the stay among their bookings."""
    from playwright.sync_api import expect


    guest, problems = watched_page(browser, 375)
    guest.goto(server.url + "/s/tpl-homestay/")
    looks_right(guest, problems, "Our rooms", "From ¥388.00 a night", "Facilities", name="template-homestay-1-rooms")
    guest.click("text=Family loft suite")  # two nights at least
    guest.wait_for_selector("[data-calendar] [data-night]:not([disabled])")
    nights = guest.locator("[data-calendar] [data-night]:not([disabled])")
    nights.nth(1).click()
    nights.nth(2).click()  # one night: shorter than the loft lets
    expect(guest.locator("[data-book-message]")).to_contain_text("Stays are 2 to 14 nights.")
    guest.goto(server.url + "/s/tpl-homestay/")
    guest.click("text=Garden double room")
    guest.wait_for_selector("[data-calendar] [data-night]:not([disabled])")
    guest.check("[data-rates] input[data-price='¥438.00']")  # with breakfast: the calendar is priced again
    guest.wait_for_selector("[data-calendar] [data-night] >> text=¥438.00")
    arrive = guest.locator("[data-calendar] [data-night]:not([disabled])").nth(3)
    arrival = arrive.get_attribute("data-night")
    arrive.click()
    guest.locator("[data-calendar] [data-night]:not([disabled])").nth(5).click()
    expect(guest.locator("[data-book-message]")).to_contain_text("2 nights")
    guest.fill("input[name=guests]", "2")
    looks_right(guest, problems, "Stays are 1 to 14 nights.", "Cancellation", "You may pay a 30% deposit now",
                name="template-homestay-2-calendar")
    accessible(guest, "template-homestay-2-calendar")
    guest.click("[data-book-now]")
    sign_in_buyer(guest, "13633136333")
    guest.wait_for_selector("[data-total]")
    guest.check("[data-pay-deposit] input")  # 30% now, the rest at the desk
    expect(guest.locator("[data-due=later]")).to_contain_text("To pay at the shop")
    looks_right(guest, problems, "With breakfast", arrival, "How much to pay now", "To pay now",
                name="template-homestay-3-checkout")
    paid_and_among_their_bookings(guest, problems, server, "tpl-homestay", "Garden double room",
                                  "template-homestay-4-order", "With breakfast", "To pay at the shop")
    looks_right(guest, problems, "Garden double room", name="template-homestay-5-bookings")

    # the owner at 1280 px: the room type's season (from the demo) on its form, a second one added
    owner, owner_problems = watched_page(browser, 1280)
    sign_in_merchant(owner, server, manager_of(server, "tpl-homestay"), "password123")
    owner.goto(server.url + "/merchant/booking/resources")
    owner.get_by_role("link", name="Garden double room").click()
    expect(owner.locator("[name=season0_price]")).to_have_value("568.00")
    owner.fill("[name=season1_from]", "2027-10-01")
    owner.fill("[name=season1_to]", "2027-10-07")
    owner.fill("[name=season1_price]", "598")
    looks_right(owner, owner_problems, "Seasons", "Friday and Saturday price", name="template-homestay-6-seasons")
    owner.click("#resource-form button[type=submit]")
    owner.get_by_text("Garden double room: booking saved.").wait_for()
    owner.get_by_role("link", name="Garden double room").click()
    expect(owner.locator("[name=season1_price]")).to_have_value("598.00")
    expect(owner.locator("[name=deposit_percent]")).to_have_value("30")
    # the guest's stay: the balance the desk collects on the day
    owner.goto(server.url + "/merchant/booking/bookings")
    owner.locator("#bookings tbody tr", has_text="Garden double room").get_by_role("link").first.click()
    expect(owner.locator("[data-balance]")).to_be_visible()
    looks_right(owner, owner_problems, "To pay at the shop", "the deposit was paid online",
                name="template-homestay-7-balance")


def test_housekeeping_a_phone_booking_taken_in_the_back_office(server, browser):
    """A manager of the housekeeping demo at 1280 px takes a window cleaning by phone: the day's
    free times, a housekeeper, the customer's phone and name, paid at the shop; the booking's page
    says it is confirmed; a wrong phone is said beside the field first."""
    import datetime as dt

    from playwright.sync_api import expect


    manager, problems = watched_page(browser, 1280)
    sign_in_merchant(manager, server, manager_of(server, "tpl-housekeeping"), "password123")
    manager.goto(server.url + "/merchant/booking/")
    manager.click("#new-booking")
    manager.select_option("#resource", label="Window cleaning")
    manager.click("#walk-in-what button[type=submit]")
    manager.fill("#day", (dt.date.today() + dt.timedelta(days=2)).isoformat())
    manager.click("#walk-in-what button[type=submit]")
    manager.select_option("#staff_id", label="Chen Jing")
    manager.select_option("#start", index=2)
    manager.fill("#phone", "call me")
    manager.fill("#name", "Qian Wei")
    manager.click("#walk-in button[type=submit]")
    expect(manager.locator("#phone.is-invalid")).to_be_visible()
    only_the_refusal(problems, "422")
    looks_right(manager, problems, "Customer’s phone", "Paid at the shop", name="booking-walk-in-refused")
    accessible(manager, "booking-walk-in-refused")
    manager.fill("#phone", "13955139555")
    manager.click("#walk-in button[type=submit]")
    manager.get_by_text("Booked for 13955139555").wait_for()
    expect(manager.locator("[data-status]")).to_have_text("Confirmed")
    looks_right(manager, problems, "Window cleaning", "Chen Jing", "Qian Wei", name="booking-walk-in-booked")


def test_the_booking_pages_in_simplified_chinese(server, browser):
    """The three booking demos' pages as a phone set to Simplified Chinese shows them: the
    picker's words and the page's in Chinese, nothing cut off or wider than the screen."""
    guest, problems = watched_page(browser, 375, locale="zh-CN")
    for slug, name, words, shot_name in (
            ("tpl-housekeeping", "Kitchen deep clean", ("服务人员", "选择时间", "取消规则"), "housekeeping"),
            ("tpl-events", "Pottery workshop for beginners", ("场次", "报名信息", "请选择场次和票种。"), "events"),
            ("tpl-homestay", "Mountain view king room", ("先选入住日期，再选离店日期。", "取消规则", "可先支付 30% 定金"),
             "homestay")):
        guest.goto(server.url + f"/s/{slug}/")
        guest.click(f"text={name}")
        guest.wait_for_selector("[data-picker] [data-days], [data-picker] [data-sessions], [data-picker] [data-calendar]")
        looks_right(guest, problems, "立即预约", *words, name=f"template-{shot_name}-zh")
