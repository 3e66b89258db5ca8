"""The `tessera` command, run in-process against the test database (its commands commit)."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text


def test_db_upgrade_is_idempotent(tessera):
    assert tessera("db", "upgrade").output == "database is up to date\n"
    assert tessera("db", "upgrade").exit_code == 0


def test_tenant_lifecycle_from_the_command_line(tessera):
    created = tessera("tenants", "create", "tea-house", "--name", "Tea House", "--currency", "HKD",
                      "--timezone", "Asia/Hong_Kong", "--owner-email", "owner@tea.example", "--owner-password",
                      "password123")
    assert created.exit_code == 0, created.output
    assert "created tea-house" in created.output
    listed = json.loads(tessera("tenants", "list", "--json").output)
    assert [(t["slug"], t["currency"], t["timezone"], t["status"]) for t in listed] == [
        ("tea-house", "HKD", "Asia/Hong_Kong", "active")]
    assert tessera("tenants", "suspend", "tea-house").output == "tea-house is suspended\n"
    assert json.loads(tessera("tenants", "list", "--json").output)[0]["status"] == "suspended"
    assert tessera("tenants", "resume", "tea-house").output == "tea-house is active\n"


def test_bad_tenant_input_is_a_message_not_a_traceback(tessera):
    for args, expected in [
        (("tenants", "create", "admin", "--name", "X"), "slug: This name is reserved."),
        (("tenants", "create", "Bad Slug", "--name", "X"), "slug: Use 3 to 40"),
        (("tenants", "create", "good-slug", "--name", "X", "--currency", "XXX"), "currency: Unknown currency"),
        (("tenants", "create", "good-slug", "--name", "X", "--owner-email", "new@example.com"), "owner_password"),
    ]:
        result = tessera(*args)
        assert result.exit_code == 1, args
        assert expected in result.output, result.output
        assert "Traceback" not in result.output
    assert json.loads(tessera("tenants", "list", "--json").output) == []
    assert tessera("tenants", "suspend", "nobody").exit_code == 1


def test_admin_create_then_sign_in_to_the_console(tessera, live_database, tmp_path):
    result = tessera("admin", "create", "root@example.com", "password123")
    assert result.exit_code == 0, result.output
    weak = tessera("admin", "create", "weak@example.com", "short")
    assert weak.exit_code == 1
    assert "password" in weak.output

    from tests.conftest import csrf_token_of, dispose_app, make_app

    app = make_app(live_database, tmp_path)
    client = app.test_client()
    token = csrf_token_of(client.get("/console/login").get_data(as_text=True))
    response = client.post("/console/login", data={"csrf_token": token, "email": "root@example.com",
                                                   "password": "password123"})
    assert response.status_code == 302
    assert client.get("/console/").status_code == 200
    dispose_app(app)



REFUSED_EMAILS = ["a@b", "x@localhost", '"quoted space"@example.com', "x@shop.localhost", "a..b@example.com",
                  "root@[127.0.0.1]", "owner@shop.invalid", "dot.@example.com"]


def test_an_address_the_sign_in_form_refuses_is_refused_by_the_cli(tessera, live_database):
    for email in REFUSED_EMAILS:
        # when an admin or a shop owner is created with an address the sign-in form would refuse
        admin = tessera("admin", "create", email, "password123")
        owner = tessera("tenants", "create", "email-shop", "--name", "X", "--owner-email", email,
                        "--owner-password", "password123")
        # then each is a one-line message and exit status 1, and nothing is created
        for result in (admin, owner):
            assert result.exit_code == 1, (email, result.output)
            assert "email: Enter a valid email address. " in result.output, result.output
            assert "Traceback" not in result.output
    assert json.loads(tessera("tenants", "list", "--json").output) == []
    engine = create_engine(live_database)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM identities")).scalar() == 0
    engine.dispose()


def test_every_address_the_cli_accepts_signs_in(tessera, live_database, tmp_path):
    # given admins created on the command line with addresses written in several ways
    typed = {"Mixed.Case+tag@Example.COM": "mixed.case+tag@example.com", " padded@example.com ": "padded@example.com",
             "j\u00fcrgen@example.com": "j\u00fcrgen@example.com",
             "buyer@xn--bcher-kva.example": "buyer@b\u00fccher.example"}
    for email in typed:
        result = tessera("admin", "create", email, "password123")
        assert result.exit_code == 0, result.output
    from tests.conftest import csrf_token_of, dispose_app, make_app

    app = make_app(live_database, tmp_path)
    for email, stored in typed.items():
        # when each signs in with the address as typed, and as stored
        for login in (email, stored):
            client = app.test_client()
            token = csrf_token_of(client.get("/console/login").get_data(as_text=True))
            response = client.post("/console/login", data={"csrf_token": token, "email": login,
                                                           "password": "password123"})
            # then the console lets them in
            assert (response.status_code, response.headers.get("Location")) == (302, "/console/"), login
    dispose_app(app)

def test_engines_list_shows_every_engine_with_its_parts(tessera):
    import json

    listed = tessera("engines", "list", "--json")
    assert listed.exit_code == 0, listed.output
    engines = {engine["name"]: engine for engine in json.loads(listed.output)}
    assert list(engines) == ["articles", "catalog", "stores", "orders", "payments", "booking", "marketing", "membership"]
    assert engines["payments"]["depends_on"] == ["orders"]
    assert engines["booking"]["booked_lines"] == "engines.booking.lines"
    assert engines["payments"]["development_pages"] == ["engines.payments.pages:sandbox_bp"]
    assert engines["catalog"]["cli"] == ["engines.catalog.cli:catalog"]
    assert {p["kind"] for p in engines["catalog"]["pickers"]} == {"item", "category"}
    assert engines["orders"]["permissions"][1] == {"name": "orders.verify", "label": "Verify pickup, dine-in and service codes",
                                                   "roles": ["manager", "clerk"]}
    text = tessera("engines", "list")
    assert text.exit_code == 0 and "orders — Orders" in text.output and "back_office" in text.output


def test_plans_from_the_command_line(tessera):
    tessera("tenants", "create", "tea-house", "--name", "Tea House")
    made = tessera("plans", "create", "basic", "--name", "Basic", "--price", "99.00", "--limit", "items=10",
                   "--limit", "staff=2")
    assert made.exit_code == 0 and "created plan basic" in made.output, made.output
    assert tessera("plans", "create", "basic", "--name", "Again").exit_code == 1  # the slug is taken: a message
    assert tessera("plans", "create", "odd", "--name", "Odd", "--limit", "items=lots").exit_code == 2
    assert tessera("plans", "create", "odd", "--name", "Odd", "--limit", "rooms=3").exit_code == 1
    tried = tessera("plans", "create", "pro", "--name", "Pro", "--price", "299.00", "--trial-days", "14")
    assert "created plan pro: no limits, a 14-day trial" in tried.output, tried.output
    assert tessera("plans", "create", "long", "--name", "Long", "--trial-days", "400").exit_code == 1
    assert tessera("tenants", "plan", "tea-house", "basic").output == "tea-house is on basic\n"
    listed = json.loads(tessera("plans", "list", "--json").output)
    assert [(p["slug"], p["price"], p["limits"], p["shops"]) for p in listed] == [
        ("basic", 9900, {"items": 10, "staff": 2}, 1), ("pro", 29900, {}, 0)]
    assert "no plan" in tessera("tenants", "plan", "tea-house", "none").output
    assert tessera("tenants", "plan", "tea-house", "gold").exit_code == 1
