"""The bundles back office: the form (2 to 6 items with their quantities, the set's price, its days
and who pays; each bad field named, nothing written), the list in words with the sets sold,
pausing, resuming and ending (audited, seen by checkout), the permission and other shops' bundles."""

from __future__ import annotations

import datetime as dt
import html
import re
from functools import partial

import pytest

from core.db import db, utcnow
from core.tenancy import tenant_scope
from engines.catalog.models import Item
from engines.catalog.services import create_item, delete_item
from engines.marketing.bundles import create_bundle, live_bundles
from engines.marketing.models import Bundle, CouponStatus
from tests.engines.marketing.admin_pages import audit_actions, field_errors, rows_of, text_of

PAGES = "/merchant/marketing/bundles"
STARTS = dt.datetime(2030, 5, 31, 16, tzinfo=dt.UTC)  # the start of 1 June 2030 in Shanghai
ENDS = dt.datetime(2030, 6, 30, 16, tzinfo=dt.UTC)  # the end of 30 June 2030 in Shanghai


bundles = partial(rows_of, Bundle)
actions = partial(audit_actions, prefix="bundle")


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
        made = {name: create_item(kind="physical", name=name, price=price, status="on_sale").id
                for name, price in (("Cotton tee", 7900), ("Canvas tote", 5900), ("Ceramic mug", 4500))}
        db_session.commit()
    return made


def good(items: dict[str, int], **changes) -> dict:
    return {"name": "Tee and tote", "item_1": str(items["Cotton tee"]), "quantity_1": "2",
            "item_2": str(items["Canvas tote"]), "quantity_2": "1", "price": "199", "starts_on": "2030-06-01",
            "ends_on": "2030-06-30", "funded_by": "merchant", **changes}


def make(tenant, db_session, item_ids: list[int], **rules) -> int:
    with tenant_scope(tenant):
        made = create_bundle(**{"name": "Pair", "items": [{"item_id": i, "quantity": 1} for i in item_ids],
                                "price": 10000, "starts_at": STARTS, "ends_at": ENDS, **rules})
        db_session.commit()
        return made.id


def test_clerks_may_not_manage_bundles(client, enter, form_post, db_session, tenant_a, items):
    made = make(tenant_a, db_session, [items["Cotton tee"], items["Canvas tote"]])
    enter("clerk")
    for path in ("", "/new", f"/{made}"):
        assert client.get(PAGES + path).status_code == 403, path
    for path, data in (("/new", good(items)), (f"/{made}/status", {"action": "end"})):
        assert form_post(PAGES + path, data, page="/merchant/").status_code == 403, path
    assert f'href="{PAGES}"' not in client.get("/merchant/").get_data(as_text=True)
    assert [(b.name, b.status) for b in bundles(tenant_a)] == [("Pair", CouponStatus.ACTIVE)]
    assert actions(tenant_a) == []


def test_a_manager_is_offered_bundles_in_the_navigation(client, enter, db_session):
    enter("manager")
    page = client.get(PAGES)
    assert page.status_code == 200 and "No bundles yet" in page.get_data(as_text=True)
    assert f'href="{PAGES}"' in client.get("/merchant/").get_data(as_text=True)


def test_a_bad_bundle_form_names_each_field_and_writes_nothing(client, enter, form_post, db_session, tenant_a,
                                                                items):
    enter("manager")
    # when a bundle is saved with no name, an item twice, a quantity in words and one of 100, a
    # price of three decimals, a day that does not exist and no last day
    refused = form_post(f"{PAGES}/new", {
        "name": " ", "item_1": str(items["Cotton tee"]), "quantity_1": "two", "item_2": str(items["Cotton tee"]),
        "quantity_2": "1", "item_3": str(items["Ceramic mug"]), "quantity_3": "100", "price": "19.999",
        "starts_on": "2030-02-30", "ends_on": "", "funded_by": "merchant"})
    # then the form comes back naming each of them, what was typed still there
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert field_errors(page) == {
        "quantity_1": ["A whole number, e.g. 100."],
        "item_2": ["Already in the set: give it a quantity instead."],
        "quantity_3": ["At most 99."],
        "price": ["'19.999' has more than 2 decimal places for CNY"],
        "ends_on": ["Give the last day of the bundle."],
        "starts_on": ["A day, e.g. 2025-06-30."],
        "name": ["Give the bundle a name of up to 60 characters."]}
    assert 'value="19.999"' in page and 'value="two"' in page
    # when one item only, no price, or it ends before it starts
    alone = form_post(f"{PAGES}/new", good(items, item_2="", quantity_2=""))
    assert field_errors(alone.get_data(as_text=True)) == {"item_2": ["Choose at least two items."]}
    free = form_post(f"{PAGES}/new", good(items, price=""))
    assert field_errors(free.get_data(as_text=True)) == {"price": ["Give the price of the whole set."]}
    nothing = form_post(f"{PAGES}/new", good(items, price="0"))
    assert field_errors(nothing.get_data(as_text=True)) == {"price": ["More than zero."]}
    dear = form_post(f"{PAGES}/new", good(items, price="217"))
    assert field_errors(dear.get_data(as_text=True)) == {"price": [
        "Less than its items cost one by one at their dearest (¥217.00): else a set never saves."]}
    backwards = form_post(f"{PAGES}/new", good(items, starts_on="2030-06-30", ends_on="2030-06-01"))
    assert field_errors(backwards.get_data(as_text=True)) == {"ends_on": ["It must end after it starts."]}
    # an item that is not one of the shop's
    foreign = form_post(f"{PAGES}/new", good(items, item_2="123456"))
    assert foreign.status_code == 400 and "item_2" in field_errors(foreign.get_data(as_text=True))
    assert bundles(tenant_a) == []
    assert actions(tenant_a) == []


def test_a_manager_makes_a_bundle_and_reads_it_in_words(client, enter, form_post, db_session, tenant_a, items):
    enter("manager")
    form = client.get(f"{PAGES}/new").get_data(as_text=True)
    assert f'<option value="{items["Cotton tee"]}">Cotton tee</option>' in form
    assert form.count("data-set-row=") == 6
    # when two tees and a tote at ¥199, 1 to 30 June 2030 (Shanghai) — paid for by the shop, the form offers no choice — with
    # a blank row between them, are saved
    saved = form_post(f"{PAGES}/new", good(items, name=" Tee and tote ", item_2="", quantity_2="",
                                           item_3=str(items["Canvas tote"]), quantity_3="1", funded_by="platform"))  # ignored
    assert saved.status_code == 302, field_errors(saved.get_data(as_text=True))
    (made,) = bundles(tenant_a)
    assert saved.headers["Location"].endswith(f"{PAGES}/{made.id}")
    assert (made.name, made.items, made.price, made.starts_at, made.ends_at, made.funded_by, made.status) == (
        "Tee and tote", [{"item_id": str(items["Cotton tee"]), "quantity": 2},
                         {"item_id": str(items["Canvas tote"]), "quantity": 1}],
        19900, STARTS, ENDS, "merchant", CouponStatus.ACTIVE)
    assert actions(tenant_a) == ["bundle.create"]
    page = text_of(client.get(saved.headers["Location"]))
    assert "Bundle saved." in page
    assert "Cotton tee × 2 Canvas tote × 1" in page and "Set price ¥199.00" in page
    assert "One by one ¥217.00 A set saves ¥18.00" in page
    assert "2030-06-01 – 2030-06-30" in page and "Paid for by The shop" in page and "Sets sold 0" in page
    # when it is saved from today
    today = form_post(f"{PAGES}/new", good(items, starts_on=""))
    assert today.status_code == 302
    local = dt.timezone(dt.timedelta(hours=8))
    assert bundles(tenant_a)[-1].starts_at == dt.datetime.combine(utcnow().astimezone(local).date(), dt.time(),
                                                                  tzinfo=local)


def test_the_list_shows_each_bundle_in_words_with_the_sets_sold(client, enter, db_session, tenant_a, tenant_b, items,
                                                                monkeypatch, count_queries):
    tee, tote, mug = items["Cotton tee"], items["Canvas tote"], items["Ceramic mug"]
    first = make(tenant_a, db_session, [tee, tote], name="Tee and tote")
    make(tenant_a, db_session, [tote, mug], name="Tote and mug", price=9000)
    with tenant_scope(tenant_a):
        db.session.get(Bundle, (tenant_a.id, first)).sold_count = 7
        delete_item(db.session.get(Item, (tenant_a.id, mug)))  # still named in the list
        db_session.commit()
    with tenant_scope(tenant_b):
        theirs = [create_item(kind="physical", name=n, price=15000).id for n in ("B1", "B2")]
        db_session.commit()
    make(tenant_b, db_session, theirs, name="Not ours")
    enter("manager")
    page = text_of(client.get(PAGES))
    assert ("Tote and mug Canvas tote × 1 + Ceramic mug × 1 ¥90.00 ¥104.00 one by one 2030-06-01 – 2030-06-30 "
            "Scheduled 0") in page
    assert "Tee and tote Cotton tee × 1 + Canvas tote × 1 ¥100.00 ¥138.00 one by one" in page
    assert re.search(r"Tee and tote .* Scheduled 7", page) and "Not ours" not in page
    # a page of them costs the same queries however many there are
    with count_queries() as two:
        client.get(PAGES)
    for n in range(3):
        make(tenant_a, db_session, [tee, tote], name=f"More {n}")
    with count_queries() as five:
        client.get(PAGES)
    assert len(five) == len(two)
    # two a page: the second page holds the oldest; the tabs show one status
    monkeypatch.setattr("engines.marketing.admin_bundles.PAGE", 2)
    older = re.search(r'href="([^"]*before=\d+)"', client.get(PAGES).get_data(as_text=True)).group(1)
    assert "More 0" in text_of(client.get(html.unescape(older)))
    assert "Nothing here." in text_of(client.get(f"{PAGES}?status=ended"))


def test_a_bundle_is_paused_resumed_and_ended_audited_and_checkout_sees_it(client, enter, form_post, db_session,
                                                                           tenant_a, items):
    now = utcnow()
    made = make(tenant_a, db_session, [items["Cotton tee"], items["Canvas tote"]],
                starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=1))
    enter("manager")
    page = f"{PAGES}/{made}"

    def act(action):
        return form_post(f"{page}/status", {"action": action}, page=page)

    def live() -> list[int]:
        with tenant_scope(tenant_a):
            return [rule.id for rule in live_bundles(utcnow())]

    assert live() == [made]
    assert act("pause").status_code == 302 and bundles(tenant_a)[0].status == CouponStatus.PAUSED
    assert "Bundle paused" in text_of(client.get(page))
    assert live() == []
    assert act("resume").status_code == 302 and live() == [made]
    assert act("end").status_code == 302 and live() == []
    ended = text_of(client.get(page))
    assert "Bundle ended" in ended and "Resume" not in ended
    assert act("resume").status_code == 302 and bundles(tenant_a)[0].status == CouponStatus.ENDED
    assert "An ended bundle stays ended" in text_of(client.get(page))
    assert act("fly").status_code == 400
    assert actions(tenant_a) == ["bundle.pause", "bundle.resume", "bundle.end"]


def test_another_shops_bundle_is_not_found(client, enter, form_post, db_session, tenant_a, tenant_b):
    with tenant_scope(tenant_b):
        pair = [create_item(kind="physical", name=n, price=15000).id for n in ("B1", "B2")]
        db_session.commit()
    theirs = make(tenant_b, db_session, pair)
    enter("manager")
    assert client.get(f"{PAGES}/{theirs}").status_code == 404
    assert form_post(f"{PAGES}/{theirs}/status", {"action": "end"}, page=PAGES).status_code == 404
    assert bundles(tenant_b)[0].status == CouponStatus.ACTIVE
