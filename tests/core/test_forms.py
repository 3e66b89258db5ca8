"""What the console forms share: the `next` target after signing in (and after choosing a
language) stays on this site, and one email rule for the forms and the command line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.errors import APIError
from core.forms import local_path
from core.identities import normalize_email

UNSAFE_NEXT = ["/%0d%0aSet-Cookie:x", "/%0aSet-Cookie:x", "/%0dx", "/%09/evil.example/", "/%0a/evil.example/",
               "/%0d/evil.example/", "//evil.example/", "/\\evil.example/", "/%5Cevil.example/", "https://evil.example/",
               "javascript:alert(1)", "%20//evil.example/", "/%7F", "/%C2%85x", "evil.example"]


@pytest.mark.parametrize("target", [
    "/\r\nSet-Cookie:x", "/\t/evil.example/", "/\n/evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "https://evil.example/", "javascript:alert(1)", " //evil.example", "", None, "evil.example", "/\x7f", "/a\x00b"])
def test_local_path_refuses_what_a_browser_would_take_elsewhere(target):
    # given a target that leaves the site once a browser reads it (or holds control characters)
    # when it is checked, then it is refused
    assert local_path(target) is None


@pytest.mark.parametrize("target", ["/", "/merchant/catalog/?status=on_sale", "/s/shop/orders/1#top", "/a:b", "/é"])
def test_local_path_keeps_paths_of_this_site(target):
    assert local_path(target) == target


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_choosing_a_language_never_redirects_elsewhere(client, db_session, target):
    # given a language link whose next is unsafe
    # when it is followed
    response = client.get(f"/lang/en?next={target}")
    # then it goes to the home page instead
    assert (response.status_code, response.headers["Location"]) == (302, "/")


def test_signing_in_to_the_back_office_never_redirects_elsewhere(client, db_session, create_staff, tenant_a, form_post):
    # given a member of a shop's staff
    owner = create_staff(tenant_a, "owner")
    for target in UNSAFE_NEXT:
        # when they sign in from a link whose next is unsafe
        response = form_post(f"/merchant/login?next={target}", {"email": owner.email, "password": "password123"})
        # then they land on the back office's home page
        assert (response.status_code, response.headers["Location"]) == (302, "/merchant/shops"), target


def test_signing_in_to_the_back_office_follows_a_local_next(client, db_session, create_staff, tenant_a, form_post):
    owner = create_staff(tenant_a, "owner")
    response = form_post("/merchant/login?next=/merchant/catalog/%3Fstatus%3Don_sale",
                         {"email": owner.email, "password": "password123"})
    assert (response.status_code, response.headers["Location"]) == (302, "/merchant/catalog/?status=on_sale")


def test_signing_in_to_the_console_never_redirects_elsewhere(client, db_session, create_identity, form_post):
    # given a platform admin
    admin = create_identity(platform_admin=True)
    for target in UNSAFE_NEXT:
        # when they sign in from a link whose next is unsafe
        response = form_post(f"/console/login?next={target}", {"email": admin.email, "password": "password123"})
        # then they land on the console's home page
        assert (response.status_code, response.headers["Location"]) == (302, "/console/"), target


@pytest.mark.parametrize("email", ["a@b", "x@localhost", '"quoted space"@example.com', "no-at-sign.example.com",
                                   "two@@example.com", "dot.@example.com", "a@-example.com"])
def test_the_sign_in_forms_refuse_an_address_the_email_rule_refuses(client, db_session, form_post, email):
    # given an address the shared email rule refuses
    # when it is typed into either console's sign-in form
    for area in ("merchant", "console"):
        response = form_post(f"/{area}/login", {"email": email, "password": "password123"})
        # then the form says so on the email field, and nobody signs in
        assert response.status_code == 400
        assert "Enter a valid email address. " in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(AuditEntry)) == 0


ADDRESS_LIKE = st.from_regex(r"[A-Za-z0-9.+\u00c0-\u024f-]{1,12}@[A-Za-z\u00c0-\u024f-]{1,10}\.[A-Za-z]{2,6}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(st.emails() | st.text(max_size=40) | ADDRESS_LIKE)
def test_an_address_is_stored_in_a_form_that_finds_itself_again(email):
    # given any text, when normalize_email accepts it
    try:
        stored = normalize_email(email)
    except APIError:
        return
    # then the stored form is accepted as it is: a sign-in with it looks up the same row
    assert normalize_email(stored) == stored
