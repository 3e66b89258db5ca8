"""The catalog: items and SKUs, categories, CSV import/export, stock that never goes negative,
the consumer API and the page components."""

from __future__ import annotations

import csv
import io
import threading

import pytest
from sqlalchemy import func, select

from core.db import db
from core.events import OutboxEvent
from core.errors import APIError
from core.tenancy import tenant_scope
from engines.catalog.csv_io import export_csv, import_csv
from engines.catalog.models import Category, Item, ItemStatus, Sku
from engines.catalog.services import (create_category, create_item, release_stock, reserve_stock, set_status,
                                      skus_by_item)
from tests.conftest import dispose_app, make_app

GOOD_CSV = """name,category,kind,price,stock,options,sku_code,status,description
Oolong,Drinks/Tea,physical,12.50,30,,TEA-1,on_sale,<p>Roasted</p>
T-shirt,Clothes,physical,99,5,Size:S|M;Colour:Red|Blue,,on_sale,
Noodles,Kitchen,dish,28.00,100,,,on_sale,
"""


def test_skus_come_from_option_dimensions(db_session, tenant_a):
    with tenant_scope(tenant_a):
        item = create_item(kind="physical", name="Shirt", price=9900, stock=3,
                           options=[{"name": "Size", "values": ["S", "M"]}, {"name": "Colour", "values": ["Red", "Blue"]}])
        skus = skus_by_item([item.id])[item.id]
    assert [s.options for s in skus] == [{"Size": "S", "Colour": "Red"}, {"Size": "S", "Colour": "Blue"},
                                         {"Size": "M", "Colour": "Red"}, {"Size": "M", "Colour": "Blue"}]
    assert {(s.price, s.stock) for s in skus} == {(9900, 3)}


@pytest.mark.parametrize(("fields", "bad"), [
    ({"kind": "spaceship"}, "kind"), ({"name": ""}, "name"), ({"price": -1}, "skus.0.price"),
    ({"price": 1.5}, "skus.0.price"), ({"stock": -2}, "skus.0.stock"), ({"images": ["javascript:x"]}, "images"),
    ({"kind": "dish", "options": [{"name": "Size", "values": ["S"]}]}, "options"),
])
def test_bad_items_are_refused_and_nothing_is_written(db_session, tenant_a, fields, bad):
    with tenant_scope(tenant_a):
        with pytest.raises(APIError) as error:
            create_item(**{"kind": "physical", "name": "Thing", "price": 100, **fields})
        assert bad in error.value.fields
        assert db_session.scalar(select(func.count()).select_from(Item)) == 0


def test_categories_have_two_levels(db_session, tenant_a):
    with tenant_scope(tenant_a):
        drinks = create_category(name="Drinks")
        tea = create_category(name="Tea", parent_id=drinks.id)
        with pytest.raises(APIError) as error:
            create_category(name="Green", parent_id=tea.id)
        assert error.value.fields == {"parent_id": ["Categories have two levels at most."]}
        with pytest.raises(APIError):
            create_category(name="Drinks")


def test_csv_import_creates_items_categories_and_skus(db_session, tenant_a):
    with tenant_scope(tenant_a):
        items = import_csv(GOOD_CSV)
        assert [i.name for i in items] == ["Oolong", "T-shirt", "Noodles"]
        tea = db_session.scalar(select(Category).where(Category.name == "Tea"))
        assert db_session.get(Category, (tenant_a.id, tea.parent_id)).name == "Drinks"
        oolong = skus_by_item([items[0].id])[items[0].id]
        assert [(s.price, s.stock, s.code) for s in oolong] == [(1250, 30, "TEA-1")]
        assert len(skus_by_item([items[1].id])[items[1].id]) == 4
        assert items[0].description == "<p>Roasted</p>"


def test_a_bad_row_is_reported_by_line_and_nothing_is_imported(db_session, tenant_a):
    bad = GOOD_CSV + "Cake,Bakery,physical,12.555,3,,,on_sale,\nPie,Bakery,physical,5,many,,,on_sale,\n"
    with tenant_scope(tenant_a):
        with pytest.raises(APIError) as error:
            import_csv(bad)
        assert list(error.value.fields) == ["line 5", "line 6"]
        assert "more than 2 decimal places" in error.value.fields["line 5"][0]
        assert "stock: 'many' is not a whole number" in error.value.fields["line 6"][0]
        assert db_session.scalar(select(func.count()).select_from(Item)) == 0
        assert db_session.scalar(select(func.count()).select_from(Category)) == 0


def test_missing_columns_are_named(db_session, tenant_a):
    with tenant_scope(tenant_a), pytest.raises(APIError) as error:
        import_csv("name,price\nTea,1\n")
    assert "category, kind, stock" in error.value.message


def test_export_round_trips(db_session, tenant_a, tenant_b):
    with tenant_scope(tenant_a):
        import_csv(GOOD_CSV)
        exported = export_csv()
    with tenant_scope(tenant_b):
        items = import_csv(exported)
        assert [i.name for i in items] == ["Oolong", "T-shirt", "Noodles"]
        assert export_csv() == exported



def test_csv_import_refuses_numbers_beyond_their_columns_and_imports_nothing(db_session, tenant_a):
    # given rows whose price is beyond the cap, or whose stock is beyond a 32-bit column or not ASCII digits
    bad = GOOD_CSV + ("Gold,Bars,physical,99999999999999999999,1,,,on_sale,\n"
                      "Silver,Bars,physical,1,2147483648,,,on_sale,\n"
                      "Tin,Bars,physical,1,\u00b2,,,on_sale,\n"
                      "Lead,Bars,physical,1,99999999999999999999,,,on_sale,\n")
    with tenant_scope(tenant_a):
        # when the file is imported
        with pytest.raises(APIError) as error:
            import_csv(bad)
        # then each bad row is named with its problem, and nothing is imported
        assert error.value.fields == {
            "line 5": ["price: At most ¥10,000,000,000.00."],
            "line 6": ["stock: 2147483648 is more than 2147483647"],
            "line 7": ["stock: '\u00b2' is not a whole number"],
            "line 8": ["stock: 99999999999999999999 is more than 2147483647"]}
        assert db_session.scalar(select(func.count()).select_from(Item)) == 0
        assert db_session.scalar(select(func.count()).select_from(Category)) == 0


def test_export_neutralises_cells_a_spreadsheet_would_run_and_import_restores_them(db_session, tenant_a, tenant_b):
    # given items whose text starts like a spreadsheet formula (or like an already neutralised one)
    names = ['=HYPERLINK("http://evil.example","x")', "+1 cake", "-5 tea", "@SUM(A1)", "'=quoted", "'plain", "Plain"]
    with tenant_scope(tenant_a):
        for name in names:
            create_item(kind="physical", name=name, price=100, stock=1, status="on_sale")
        create_item(kind="physical", name="Tabs", price=100, description="\t=1+1", sku_code="=A1",
                    category_id=create_category(name="-Sale").id)
        create_item(kind="physical", name="Sizes", price=100, options=[{"name": "@Size", "values": ["+S", "M"]}])
        # when the catalog is exported
        exported = export_csv()
    # then no cell starts with =, +, -, @, tab or CR: such cells get a leading single quote
    rows = list(csv.reader(io.StringIO(exported)))
    assert [row[0] for row in rows[1:]] == ["'" + names[0], "'+1 cake", "'-5 tea", "'@SUM(A1)", "''=quoted", "'plain",
                                            "Plain", "Tabs", "Sizes"]
    assert (rows[-2][1], rows[-2][6], rows[-2][8]) == ("'-Sale", "'=A1", "'\t=1+1")
    assert rows[-1][5] == "'@Size:+S|M"
    assert not [cell for row in rows for cell in row if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    # and importing the export restores the text exactly
    with tenant_scope(tenant_b):
        imported = import_csv(exported)
        assert [item.name for item in imported] == [*names, "Tabs", "Sizes"]
        assert imported[-2].description == "\t=1+1"
        assert imported[-1].options == [{"name": "@Size", "values": ["+S", "M"]}]
        assert export_csv() == exported


def test_stock_is_reserved_and_released_but_never_negative(db_session, tenant_a):
    with tenant_scope(tenant_a):
        item = create_item(kind="physical", name="Cake", price=500, stock=2)
        sku = skus_by_item([item.id])[item.id][0]
        reserve_stock(sku_id=sku.id, quantity=2)
        with pytest.raises(APIError) as error:
            reserve_stock(sku_id=sku.id, quantity=1)
        assert (error.value.code, error.value.status) == ("out_of_stock", 409)
        release_stock({sku.id: 1})
        db_session.expire_all()
        assert db_session.get(Sku, (tenant_a.id, sku.id)).stock == 1


@pytest.mark.live
def test_concurrent_reservations_never_oversell(live_database, tmp_path, backend):
    app = make_app(live_database, tmp_path)
    from tenants.services import create_tenant

    with app.app_context():
        tenant = create_tenant(slug="flash-shop", name="Flash")
        with tenant_scope(tenant):
            item = create_item(kind="physical", name="Limited", price=100, stock=20, status="on_sale")
            sku_id = skus_by_item([item.id])[item.id][0].id
        db.session.commit()
    outcomes = []

    def buy():
        with app.app_context(), tenant_scope(tenant):
            try:
                reserve_stock(sku_id=sku_id, quantity=1)
                db.session.commit()
                outcomes.append("ok")
            except APIError:
                db.session.rollback()
                outcomes.append("sold out")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=buy) for _ in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context(), tenant_scope(tenant):
        stock = db.session.get(Sku, (tenant.id, sku_id)).stock
    assert (outcomes.count("ok"), outcomes.count("sold out"), stock) == (20, 40, 0)
    dispose_app(app)


def test_api_lists_items_on_sale_with_skus(client, db_session, tenant_a, tenant_b, count_queries):
    with tenant_scope(tenant_a):
        import_csv(GOOD_CSV)
        hidden = create_item(kind="physical", name="Draft thing", price=1)
        db_session.commit()
    with tenant_scope(tenant_b):
        theirs = create_item(kind="physical", name="Theirs", price=1, status="on_sale")
        db_session.commit()
    headers = {"X-Tenant": tenant_a.slug}
    body = client.get("/api/v1/items?limit=2", headers=headers).json
    assert [i["name"] for i in body["items"]] == ["Noodles", "T-shirt"]
    assert body["items"][1]["skus"][0]["price"] == {"amount": 9900, "currency": "CNY", "display": "¥99.00"}
    rest = client.get(f"/api/v1/items?limit=2&cursor={body['next_cursor']}", headers=headers).json
    assert [i["name"] for i in rest["items"]] == ["Oolong"] and rest["next_cursor"] is None
    drinks = client.get("/api/v1/categories", headers=headers).json["categories"]
    drinks_id = next(c["id"] for c in drinks if c["name"] == "Drinks")
    assert [i["name"] for i in client.get(f"/api/v1/items?category={drinks_id}", headers=headers).json["items"]] == ["Oolong"]
    assert [i["name"] for i in client.get("/api/v1/items?q=noodle", headers=headers).json["items"]] == ["Noodles"]
    assert client.get(f"/api/v1/items/{hidden.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/items/{theirs.id}", headers=headers).status_code == 404
    with count_queries() as one:
        client.get("/api/v1/items?limit=1", headers=headers)
    with count_queries() as three:
        client.get("/api/v1/items?limit=3", headers=headers)
    assert len(three) == len(one)
    assert client.get("/api/v1/items?kind=boat", headers=headers).status_code == 422


def test_bulk_on_and_off_sale(db_session, tenant_a):
    with tenant_scope(tenant_a):
        items = import_csv(GOOD_CSV)
        assert set_status(item_ids=[i.id for i in items[:2]], status="off_sale") == 2
        db_session.expire_all()
        assert [db_session.get(Item, (tenant_a.id, i.id)).status for i in items] == [
            ItemStatus.OFF_SALE, ItemStatus.OFF_SALE, ItemStatus.ON_SALE]


def test_item_grid_and_item_page(client, db_session, publish_document, tenant_a):
    with tenant_scope(tenant_a):
        items = import_csv(GOOD_CSV)
        db_session.commit()
    document = {"schema_version": 1, "app": {"name": "Shop", "engines": ["catalog"]},
                "pages": {"home": {"title": "Home", "sections": {"grid": {"type": "item_grid", "settings": {"title": "New"}}},
                                   "order": ["grid"]},
                          "item": {"title": "Item", "kind": "item", "sections": {"main": {"type": "item_detail"}},
                                   "order": ["main"]}}}
    publish_document(tenant_a, document)
    home = client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    assert "Noodles" in home and "¥99.00" in home
    assert f'href="/s/{tenant_a.slug}/p/item?id={items[1].id}"' in home
    detail = client.get(f"/s/{tenant_a.slug}/p/item?id={items[1].id}").get_data(as_text=True)
    assert "T-shirt" in detail and "Size" in detail and "5 left" in detail
    assert "This item is not available." in client.get(f"/s/{tenant_a.slug}/p/item?id=abc").get_data(as_text=True)


def test_catalog_import_command(tessera, tmp_path):
    assert tessera("tenants", "create", "csv-shop", "--name", "CSV").exit_code == 0
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV)
    result = tessera("catalog", "import", "csv-shop", str(good))
    assert result.exit_code == 0, result.output
    assert "imported 3 item(s)" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("name,category,kind,price,stock\nX,Y,physical,abc,1\n")
    refused = tessera("catalog", "import", "csv-shop", str(bad))
    assert refused.exit_code == 1
    assert "line 2: price:" in refused.output
    assert tessera("catalog", "export", "csv-shop").output.count("\n") == 4



def test_catalog_export_command_neutralises_formulas(tessera, tmp_path):
    # given a shop whose catalog was imported with a formula for a name
    assert tessera("tenants", "create", "formula-shop", "--name", "Formula").exit_code == 0
    source = tmp_path / "items.csv"
    source.write_text("name,category,kind,price,stock\n=1+1,Bars,physical,1,2\n")
    assert tessera("catalog", "import", "formula-shop", str(source)).exit_code == 0
    # when the catalog is exported on the command line
    result = tessera("catalog", "export", "formula-shop")
    # then the name comes out neutralised
    assert result.exit_code == 0
    assert result.output.splitlines()[1] == "'=1+1,Bars,physical,1.00,2,,,on_sale,"

def test_category_nav_and_the_category_menu(client, db_session, publish_document, tenant_a):
    with tenant_scope(tenant_a):
        import_csv(GOOD_CSV)
        db_session.commit()
        tea = db_session.scalar(select(Category).where(Category.name == "Tea"))
        kitchen = db_session.scalar(select(Category).where(Category.name == "Kitchen"))
    document = {"schema_version": 1, "app": {"name": "Shop", "engines": ["catalog"]},
                "pages": {"home": {"title": "Home", "sections": {"nav": {"type": "category_nav"}}, "order": ["nav"]},
                          "menu": {"title": "Menu", "kind": "category", "sections": {"main": {"type": "category_items"}},
                                   "order": ["main"]}}}
    publish_document(tenant_a, document)
    home = client.get(f"/s/{tenant_a.slug}/").get_data(as_text=True)
    assert f'href="/s/{tenant_a.slug}/p/menu?id={kitchen.id}"' in home
    menu = client.get(f"/s/{tenant_a.slug}/p/menu?id={tea.id}").get_data(as_text=True)
    assert "Oolong" in menu and "Noodles" not in menu and 'aria-current="page">Tea<' in menu
    first = client.get(f"/s/{tenant_a.slug}/p/menu?id=nonsense").get_data(as_text=True)
    assert 'aria-current="page">Drinks<' in first and "Oolong" in first  # the first category, with its subcategories


def test_stock_given_back_stops_at_the_top_of_its_column(db_session, tenant_a):
    from engines.catalog.services import MAX_STOCK

    with tenant_scope(tenant_a):
        item = create_item(kind="physical", name="Bulk", price=100, stock=MAX_STOCK - 1, status="on_sale")
        sku = skus_by_item([item.id])[item.id][0]
        release_stock({sku.id: 5})
        db_session.expire_all()
        assert db_session.get(Sku, (tenant_a.id, sku.id)).stock == MAX_STOCK


def test_the_catalog_counts_what_paid_orders_sold(client, db_session, tenant_a, create_consumer):
    """order.paid.v1 carries what was sold; the catalog's handler counts it (orders never touch
    the catalog's items)."""
    from engines.catalog.models import Item
    from engines.orders.lifecycle import find_order
    from tests.engines.orders.conftest import make_shop
    from tests.engines.orders.test_orders import pay, place

    shop = make_shop(tenant_a, create_consumer)
    db_session.commit()
    order = place(client, shop, [{"sku_id": shop["tea"], "quantity": 2}, {"sku_id": shop["cake"]}],
                  {"type": "pickup", "store_id": shop["store"]})
    unpaid = place(client, shop, [{"sku_id": shop["tea"]}], {"type": "pickup", "store_id": shop["store"]})
    pay(client, shop, order)
    with tenant_scope(tenant_a):
        db_session.expire_all()
        counts = {item.name: item.sales_count for item in db_session.scalars(select(Item))}
        assert find_order(int(unpaid["id"])).status == "pending_payment"
        # what the event says was sold (on PostgreSQL read by the statement that settles the payment)
        skus = {str(sku.id): sku.item_id for sku in db_session.scalars(select(Sku).where(Sku.id.in_((int(shop["tea"]), int(shop["cake"])))))}
        paid = db_session.scalars(select(OutboxEvent).where(OutboxEvent.name == "order.paid.v1")).one()
    assert paid.payload["lines"] == sorted(
        ({"item_id": str(skus[sku_id]), "sku_id": str(sku_id), "quantity": quantity}
         for sku_id, quantity in ((shop["tea"], 2), (shop["cake"], 1))), key=lambda line: int(line["item_id"]))
    assert (counts["Tea"], counts["Cake"], counts["Noodles"]) == (2, 1, 0)
