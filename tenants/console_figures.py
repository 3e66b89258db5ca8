"""The console's figures (on tenants.console's `bp`): shops by state and plan, monthly recurring
revenue, trials, churn, and sign-ups a week drawn as a chart (tenants.figures)."""

from __future__ import annotations

from flask import render_template

from core.staff_session import admin_required
from tenants.console import bp
from tenants.figures import CHURN_DAYS, platform_figures


@bp.get("/figures")
@admin_required
def figures():
    return render_template("console/figures.html", figures=platform_figures(), churn_days=CHURN_DAYS)
