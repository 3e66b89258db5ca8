"""The timed discounts back office: the form (items, a percentage or an amount off each unit, a
window in the shop's time zone, who pays; each bad field named, nothing written), the list and the
page in words, pausing, resuming and ending (audited, seen at once by the storefront's offers), the
permission and other shops' discounts."""

from __future__ import annotations

import datetime as dt
import html
import re
from functools import partial

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db, utcnow
from core.tenancy import tenant_scope
from engines.catalog.services import create_item
from engines.marketing.discounts import create_discount, offers_on
from engines.marketing.models import CouponStatus, TimedDiscount
from tests.engines.marketing.admin_pages import field_errors, fresh_row, rows_of, text_of

PAGES = "/merchant/marketing/discounts"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
STARTS = dt.datetime(2030, 6, 1, 10, tzinfo=SHANGHAI)
ENDS = dt.datetime(2030, 6, 3, 22, tzinfo=SHANGHAI)


fresh = partial(fresh_row, TimedDiscount)
discounts = partial(rows_of, TimedDiscount)


@pytest.fixture
def enter(client, create_staff, sign_in, tenant_a):
    def as_role(role):
        person = create_staff(tenant_a, role)
        sign_in("merchant", person.email)
        client.get("/merchant/shops")
        return person

    return as_role


@pytest.fixture
def items(db_session, tenant_a) -> dict[str, int]:
    with tenant_scope(tenant_a):
        made = {name: create_item(kind="physical", name=name, price=price, stock=5, status="on_sale").id
                for name, price in (("Oolong", 3000), ("Jasmine", 2000))}
        made["Hidden"] = create_item(kind="physical", name="Hidden", price=100, stock=1).id  # not on sale
        db_session.commit()
    return made


def make(tenant, db_session, item_ids, **rules) -> int:
    with tenant_scope(tenant):
        made = create_discount(**{"name": "Flash", "item_ids": item_ids, "percent_bp": 1500, "starts_at": STARTS,
                                  "ends_at": ENDS, **rules})
        db_session.commit()
        return made.id


def audited(tenant) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.tenant_id == tenant.id,
                                                            AuditEntry.action.like("timed_discount.%"))
                                   .order_by(AuditEntry.at, AuditEntry.id)))


GOOD = {"name": "Weekend tea", "off": "percent", "percent": "15", "amount_off": "", "starts_at": "2030-06-01T10:00",
        "ends_at": "2030-06-03T22:00", "funded_by": "merchant"}


def test_clerks_may_not_manage_timed_discounts(client, enter, form_post, db_session, tenant_a, items):
    made = make(tenant_a, db_session, [items["Oolong"]])
    enter("clerk")
    for path in ("", "/new", f"/{made}"):
        assert client.get(PAGES + path).status_code == 403, path
    for path, data in (("/new", {**GOOD, "items": [str(items["Oolong"])]}), (f"/{made}/status", {"action": "end"})):
        assert form_post(PAGES + path, data, page="/merchant/").status_code == 403, path
    assert f'href="{PAGES}"' not in client.get("/merchant/").get_data(as_text=True)
    assert [(d.name, d.status) for d in discounts(tenant_a)] == [("Flash", CouponStatus.ACTIVE)]
    assert audited(tenant_a) == []


def test_a_manager_is_offered_timed_discounts_in_the_navigation(client, enter, db_session):
    enter("manager")
    page = client.get(PAGES)
    assert page.status_code == 200 and "No timed discounts yet" in page.get_data(as_text=True)
    assert f'href="{PAGES}"' in client.get("/merchant/").get_data(as_text=True)


def test_a_bad_discount_form_names_each_field_and_writes_nothing(client, enter, form_post, db_session, tenant_a,
                                                                 items):
    enter("manager")
    # when it is saved with no name, no items, a percentage of 100, a start that is no time and no end
    refused = form_post(f"{PAGES}/new", {**GOOD, "name": " ", "percent": "100", "starts_at": "2030-02-30T10:00",
                                         "ends_at": ""})
    # then the form comes back naming each of them, what was typed still there
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert field_errors(page) == {
        "name": ["Give the discount a name of up to 60 characters."],
        "percent": ["A percentage such as 15 or 8.5, below 100."],
        "items": ["Choose from 1 to 500 items."],
        "starts_at": ["A day and a time, e.g. 2025-06-30 20:00."],
        "ends_at": ["Give when it ends."]}
    assert 'value="100"' in page and 'value="2030-02-30T10:00"' in page
    # when an amount off is chosen but not given, or is nothing, or it ends before it starts
    item = [str(items["Oolong"])]
    blank = form_post(f"{PAGES}/new", {**GOOD, "items": item, "off": "amount", "percent": "15"})
    assert field_errors(blank.get_data(as_text=True)) == {"amount_off": ["Give the amount off each unit, e.g. 5."]}
    nothing = form_post(f"{PAGES}/new", {**GOOD, "items": item, "off": "amount", "amount_off": "0"})
    assert field_errors(nothing.get_data(as_text=True)) == {"amount_off": ["More than zero."]}
    backwards = form_post(f"{PAGES}/new", {**GOOD, "items": item, "ends_at": "2030-06-01T09:00"})
    assert field_errors(backwards.get_data(as_text=True)) == {"ends_at": ["It must end after it starts."]}
    # when an item not offered (another shop's, or made up) or a kind not offered is sent
    for bad, field in (({"items": ["999999"]}, "items"), ({"items": item, "off": "half"}, "off")):
        answer = form_post(f"{PAGES}/new", {**GOOD, **bad})
        assert answer.status_code == 400 and list(field_errors(answer.get_data(as_text=True))) == [field], bad
    # and a name too long is refused
    long = form_post(f"{PAGES}/new", {**GOOD, "items": item, "name": "x" * 61})
    assert field_errors(long.get_data(as_text=True)) == {"name": ["Give the discount a name of up to 60 characters."]}
    # then nothing was written
    assert discounts(tenant_a) == []
    assert audited(tenant_a) == []


def test_a_manager_makes_a_timed_discount_in_the_shops_time_and_reads_it_in_words(client, enter, form_post,
                                                                                  db_session, tenant_a, items):
    enter("manager")
    form = client.get(f"{PAGES}/new").get_data(as_text=True)
    assert f'<option value="{items["Oolong"]}">Oolong</option>' in form and 'type="datetime-local"' in form
    # when 15 % off two teas and an item not on sale, from 10:00 on 1 June to 22:00 on 3 June 2030
    # (Shanghai), paid for by the shop, is saved
    chosen = [str(items[name]) for name in ("Oolong", "Jasmine", "Hidden")]
    saved = form_post(f"{PAGES}/new", {**GOOD, "name": " Weekend tea ", "items": chosen, "amount_off": "3"})
    # then it is made with exactly those rules, the times taken in the shop's time zone
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    (made,) = discounts(tenant_a)
    assert saved.headers["Location"].endswith(f"{PAGES}/{made.id}")
    assert (made.name, made.item_ids, made.percent_bp, made.amount_off, made.funded_by, made.status) == (
        "Weekend tea", chosen, 1500, 0, "merchant", CouponStatus.ACTIVE)  # the amount's field is not a percentage's
    assert (made.starts_at, made.ends_at) == (STARTS, ENDS)
    (entry,) = audited(tenant_a)
    assert (entry.action, entry.target, entry.details) == ("timed_discount.create", f"timed_discount {made.id}",
                                                           {"name": "Weekend tea"})
    # and its page says so in words
    page = text_of(client.get(saved.headers["Location"]))
    assert "Timed discount saved." in page
    assert "Takes off 15% off Runs 2030-06-01 10:00 – 2030-06-03 22:00 The shop's time, Asia/Shanghai" in page
    assert "Paid for by The shop Items Oolong Jasmine 1 item not on sale now" in page
    assert "Scheduled" in page and "Paid orders 0 Sales ¥0.00 Cost ¥0.00" in page
    # when ¥2.50 off each unit is saved from now (a blank start) for whole days (paid by the shop: the form offers no choice)
    amount = form_post(f"{PAGES}/new", {**GOOD, "items": [str(items["Jasmine"])], "off": "amount", "percent": "",
                                        "amount_off": "2.50", "starts_at": "", "ends_at": "2030-07-01T00:00",
                                        "funded_by": "platform"})  # ignored
    assert amount.status_code == 302, field_errors(amount.get_data(as_text=True))
    made = discounts(tenant_a)[-1]
    assert (made.percent_bp, made.amount_off, made.funded_by) == (0, 250, "merchant")
    assert abs(made.starts_at - utcnow()) < dt.timedelta(minutes=2) and made.starts_at.second == 0
    assert made.ends_at == dt.datetime(2030, 7, 1, tzinfo=SHANGHAI)
    page = text_of(client.get(amount.headers["Location"]))
    assert "¥2.50 off each" in page and "Running" in page and "Paid for by The shop" in page


def test_the_list_shows_each_discount_in_words_newest_first_a_page_at_a_time(client, enter, db_session, tenant_a,
                                                                             tenant_b, items, monkeypatch):
    make(tenant_a, db_session, [items["Oolong"], items["Jasmine"]], name="Two teas")
    make(tenant_a, db_session, [items["Jasmine"]], name="Days", percent_bp=0, amount_off=500,
         starts_at=dt.datetime(2030, 6, 1, tzinfo=SHANGHAI), ends_at=dt.datetime(2030, 6, 8, tzinfo=SHANGHAI))
    long_over = make(tenant_a, db_session, [items["Oolong"]], name="Long over", starts_at=STARTS - dt.timedelta(days=9000),
                     ends_at=ENDS - dt.timedelta(days=9000))
    with tenant_scope(tenant_b):
        theirs = create_item(kind="physical", name="Theirs", price=100).id
        db_session.commit()
    make(tenant_b, db_session, [theirs], name="Not ours")
    enter("manager")
    page = text_of(client.get(PAGES))
    # then each shows its items, what it takes off, window, status and figures, newest first
    assert re.findall(r"(Long over|Days|Two teas) \d item", page) == ["Long over", "Days", "Two teas"]
    assert "Two teas 2 items 15% off 2030-06-01 10:00 – 2030-06-03 22:00 Scheduled 0 ¥0.00 ¥0.00" in page
    assert "Days 1 item ¥5.00 off each 2030-06-01 – 2030-06-07 Scheduled" in page
    assert "Long over 1 item 15% off" in page and "Over 0" in page
    assert "Not ours" not in page
    # and with two a page, the second page holds the oldest
    monkeypatch.setattr("engines.marketing.admin.PAGE", 2)
    first = client.get(PAGES).get_data(as_text=True)
    older = re.search(r'href="([^"]*before=\d+)"', first).group(1)
    second = text_of(client.get(html.unescape(older)))
    assert "Two teas" in second and "Days" not in second
    # and the tabs show one status
    with tenant_scope(tenant_a):
        fresh(tenant_a, long_over).status = CouponStatus.ENDED
        db_session.commit()
    ended = text_of(client.get(f"{PAGES}?status=ended"))
    assert "Long over" in ended and "Two teas" not in ended
    assert "Nothing here." in text_of(client.get(f"{PAGES}?status=paused"))


def test_a_discount_is_paused_resumed_and_ended_audited_and_the_storefront_sees_it(client, enter, form_post,
                                                                                   db_session, tenant_a, items):
    now = utcnow()
    made = make(tenant_a, db_session, [items["Oolong"]], starts_at=now - dt.timedelta(hours=1),
                ends_at=now + dt.timedelta(hours=2))
    enter("manager")
    page = f"{PAGES}/{made}"

    def act(action):
        return form_post(f"{page}/status", {"action": action}, page=page)

    def offered() -> list[int]:  # what the storefront and checkout read (remembered until the stamp moves)
        with tenant_scope(tenant_a):
            return [item_id for item_id, _offer in offers_on([items["Oolong"]], utcnow())]

    assert offered() == [items["Oolong"]]
    assert act("pause").status_code == 302 and fresh(tenant_a, made).status == CouponStatus.PAUSED
    assert "Discount paused" in text_of(client.get(page))
    assert offered() == []
    assert act("resume").status_code == 302 and fresh(tenant_a, made).status == CouponStatus.ACTIVE
    assert offered() == [items["Oolong"]]
    assert act("end").status_code == 302 and fresh(tenant_a, made).status == CouponStatus.ENDED
    assert offered() == []
    # an ended discount stays ended
    assert act("resume").status_code == 302
    assert "An ended discount stays ended" in text_of(client.get(page))
    assert fresh(tenant_a, made).status == CouponStatus.ENDED
    # an unknown action, or no CSRF token, is refused
    assert act("delete").status_code == 400
    assert client.post(f"{page}/status", data={"action": "pause"}).status_code == 400
    assert fresh(tenant_a, made).status == CouponStatus.ENDED
    entries = audited(tenant_a)
    assert [e.action for e in entries] == ["timed_discount.pause", "timed_discount.resume", "timed_discount.end"]
    assert (entries[-1].target, entries[-1].details) == (f"timed_discount {made}", {"name": "Flash"})


def test_another_shops_discount_is_not_found(client, enter, form_post, db_session, tenant_a, tenant_b):
    with tenant_scope(tenant_b):
        item = create_item(kind="physical", name="Theirs", price=100).id
        db_session.commit()
    theirs = make(tenant_b, db_session, [item], name="Theirs")
    enter("owner")
    assert client.get(f"{PAGES}/{theirs}").status_code == 404
    assert client.get(f"{PAGES}/99999999999").status_code == 404
    assert form_post(f"{PAGES}/{theirs}/status", {"action": "end"}, page=f"{PAGES}/new").status_code == 404
    assert fresh(tenant_b, theirs).status == CouponStatus.ACTIVE
    assert audited(tenant_a) == audited(tenant_b) == []


def test_the_list_costs_the_same_queries_however_many_discounts_it_shows(client, enter, db_session, tenant_a, items,
                                                                         count_queries):
    enter("manager")
    for name in ("A", "B"):
        make(tenant_a, db_session, [items["Oolong"]], name=name)
    client.get(PAGES)
    with count_queries() as few:
        assert client.get(PAGES).status_code == 200
    for name in "CDEFGH":
        make(tenant_a, db_session, [items["Oolong"], items["Jasmine"]], name=name, percent_bp=0, amount_off=100)
    with count_queries() as many:
        page = client.get(PAGES).get_data(as_text=True)
    assert page.count("data-discount=") == 8
    assert len(many) == len(few)
