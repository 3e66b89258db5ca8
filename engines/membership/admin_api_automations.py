"""Automations in the Admin API (/admin/api/v1, "membership.manage"): made, listed, read, changed
(paused and resumed too) and their log of runs — through the services the back office uses,
audited as it audits them."""

from __future__ import annotations

from flask import jsonify

from core.admin_api import PAGE_QUERY, AdminAPIBlueprint, page_args, record_audit, writing
from core.api import load_json
from core.errors import APIError
from core.ids import parse_id
from core.openapi import api_doc
from engines.membership.automations import (create_automation, find_automation, list_automations, runs_of,
                                            update_automation)
from engines.membership.schemas import (AutomationAnswer, AutomationIn, AutomationListOut, AutomationOut,
                                        AutomationPatchIn, AutomationRunOut, AutomationRunPageOut)

bp = AdminAPIBlueprint("membership_automations_api", __name__, permission="membership.manage")


def _ids(data: dict) -> dict:
    """The body's ids as numbers; 422 naming one that cannot be an id."""
    for name in ("tier_id", "coupon_id"):
        if data.get(name) is not None:
            parsed = parse_id(data[name])
            if parsed is None:
                raise APIError("invalid_input", fields={name: ["Not an id."]})
            data[name] = parsed
    return data


@bp.get("/automations")
@api_doc("The shop's automations, newest first", tags=["membership"], response=AutomationListOut)
def automations():
    return jsonify(automations=AutomationOut(many=True).dump(list_automations()))


@bp.post("/automations")
@api_doc("Create an automation: a trigger (registration, first_order, birthday, tier_change, dormant, "
         "points_expiring) and what it gives (a coupon, points, an inbox message), with quiet hours and a "
         "frequency cap per member", tags=["membership"], body=AutomationIn, response=AutomationAnswer, status=201)
def create():
    data = _ids(load_json(AutomationIn))
    with writing():
        made = create_automation(**data)
        record_audit("automation.create", target=f"automation {made.id}", details={"name": made.name})
    return jsonify(automation=AutomationOut().dump(made)), 201


@bp.get("/automations/<int:automation_id>")
@api_doc("One automation", tags=["membership"], response=AutomationAnswer)
def automation(automation_id: int):
    return jsonify(automation=AutomationOut().dump(find_automation(automation_id)))


@bp.patch("/automations/<int:automation_id>")
@api_doc("Change an automation (status paused stops it; runs waiting for quiet hours are then skipped)",
         tags=["membership"], body=AutomationPatchIn, response=AutomationAnswer)
def change(automation_id: int):
    data = _ids(load_json(AutomationPatchIn))
    with writing():
        found = update_automation(find_automation(automation_id), **data)
        record_audit("automation.update", target=f"automation {found.id}", details={"fields": sorted(data)})
    return jsonify(automation=AutomationOut().dump(found))


@bp.get("/automations/<int:automation_id>/runs")
@api_doc("What an automation did, newest first: for whom, on what occasion, what it gave or why it skipped",
         tags=["membership"], response=AutomationRunPageOut, query=PAGE_QUERY)
def runs(automation_id: int):
    find_automation(automation_id)
    limit, cursor = page_args()
    found, next_cursor = runs_of(automation_id, before=cursor, limit=limit)
    return jsonify(runs=AutomationRunOut(many=True).dump(found), next_cursor=str(next_cursor) if next_cursor else None)
