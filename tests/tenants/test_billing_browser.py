"""Billing as a merchant meets it, at 1280 px: the platform offers a free plan and a Pro plan with
a trial (made in the console); a merchant signs up, sees the trial on the Billing page, and when
the clock has run past the trial and the grace period the back office leads to that page, which
says the shop is closed; paying in the sandbox opens it again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.browser import accessible, looks_right, sign_in_console, watched_page
from tests.browser import browser, server  # noqa: F401  the fixtures of the browser tests
from tests.tenants.test_signup_browser import mailed_link

SWEEP_A_MONTH_ON = """
import datetime as dt
from app import create_app
from tenants.billing import sweep_billing
app = create_app()
with app.app_context(), app.test_request_context():
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=15)
    print(sweep_billing(later), sweep_billing(later + dt.timedelta(days=8)))
"""


def make_plan(admin, url: str, name: str, price: str, trial: str) -> None:
    admin.goto(url + "/console/plans/new")
    admin.fill("#name", name)
    admin.fill("#slug", name.lower())
    admin.fill("#price", price)
    admin.fill("#trial_days", trial)
    admin.click("#plan-form button[type=submit]")
    admin.get_by_text(f"Plan {name} saved.").wait_for()


@pytest.mark.live
def test_a_trial_runs_out_the_shop_closes_and_paying_opens_it(server, browser):  # noqa: F811
    admin, _problems = watched_page(browser, 1280)
    sign_in_console(admin, server)
    make_plan(admin, server.url, "Free", "0", "0")
    make_plan(admin, server.url, "Pro", "299", "14")
    admin.context.close()

    page, problems = watched_page(browser, 1280)
    page.goto(server.url + "/signup?template=ordering")
    page.fill("input[name=shop_name]", "Noodle Bar")
    page.fill("input[name=slug]", "noodle-bar")
    page.fill("input[name=email]", "noodles@bar.example")
    page.fill("input[name=password]", "slurp-broth-chilli-88")
    page.click("[data-create]")
    page.wait_for_url("**/merchant/designer/")
    page.goto(mailed_link(server, "noodles@bar.example"))
    page.click("[data-confirm-email]")
    page.wait_for_url("**/merchant/designer/")
    page.goto(server.url + "/merchant/billing/")
    looks_right(page, problems, "Your plan: Pro", "Trial until", "¥299.00 a month", name="billing-1-trial")
    accessible(page, "billing-1-trial")

    env = {**os.environ, "TESSERA_INSTANCE_PATH": str(server.instance)}
    for name in ("TESSERA_DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    swept = subprocess.run([sys.executable, "-c", SWEEP_A_MONTH_ON], env=env, capture_output=True, text=True,
                           timeout=120)
    assert swept.stdout.split()[-2:] == ["1", "1"], swept.stderr[-2000:]

    page.goto(server.url + "/merchant/")
    page.wait_for_url("**/merchant/billing/")
    looks_right(page, problems, "Your shop is closed: its plan was not paid", name="billing-2-closed")
    page.click("[data-choose=pro]")
    page.wait_for_url("**/merchant/billing/sandbox/*")
    looks_right(page, problems, "Sandbox: development only", "Pay ¥299.00", name="billing-3-sandbox")
    page.click("[data-pay]")
    page.wait_for_url("**/merchant/billing/")
    looks_right(page, problems, "Paid: your shop is on the Pro plan.", "Paid until", name="billing-4-paid")
    page.goto(server.url + "/merchant/")
    assert page.url.endswith("/merchant/")
    page.context.close()

    admin, admin_problems = watched_page(browser, 1280)
    sign_in_console(admin, server)
    admin.locator(".console-nav .nav-link-title").get_by_text("Figures", exact=True).click()
    admin.locator('[data-figure-chart="signups"][data-drawn]').wait_for()
    assert admin.locator('[data-figure="mrr"]').inner_text() == "¥299.00"
    assert admin.locator('[data-figure="churn"]').inner_text() == "0.0%"  # closed, then paid: not lost
    looks_right(admin, admin_problems, "Monthly recurring revenue", "Churn, last 30 days", "New shops a week",
                name="billing-5-console-figures")
    accessible(admin, "billing-5-console-figures")
    admin.context.close()
