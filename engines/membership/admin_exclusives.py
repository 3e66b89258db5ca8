"""/merchant/membership/tiers/<id>: the items only the tier and those above may buy (a tier's
benefit), chosen from the catalog on the tier's page. A view of `engines.membership.admin.bp`;
the change goes through engines.membership.exclusives and is audited as the Admin API audits it
("member_tier.exclusive_items")."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from core.backoffice import record_staff_action
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm
from core.ids import parse_id
from core.staff_session import permission_required
from engines.catalog.services import list_for_staff
from engines.membership.admin import MANAGE, _tier, bp
from engines.membership.exclusives import MAX_ITEMS, exclusive_items, set_exclusive_items
from engines.membership.tiers import tier_by_id


def exclusive_choices(tier_id: int) -> list[dict]:
    """The shop's items (the newest MAX_ITEMS) for the tier's form: each with whether it is this
    tier's, or the name of the tier it is exclusive to now."""
    items, _next = list_for_staff(limit=MAX_ITEMS)
    held = exclusive_items()
    return [{"id": item.id, "name": item.name, "chosen": held.get(item.id) == tier_id,
             "elsewhere": (tier := tier_by_id(held.get(item.id))) and tier.id != tier_id and tier.name}
            for item in items]


@bp.post("/tiers/<int:tier_id>/exclusive-items")
@permission_required(MANAGE)
def tier_exclusive_items(tier_id: int):
    tier = _tier(tier_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    chosen = [parse_id(value) for value in request.form.getlist("item_ids")]
    if None in chosen:
        abort(400, description=_("Choose items from the list."))
    try:
        made = set_exclusive_items(tier.id, chosen)
    except APIError as error:
        db.session.rollback()
        flash(" ".join(message for messages in error.fields.values() for message in messages) or error.message,
              "danger")
        return redirect(url_for(".edit_tier", tier_id=tier_id) + "#exclusive-items")
    record_staff_action("member_tier.exclusive_items", f"member_tier {tier.id}", {"items": len(made)})
    db.session.commit()
    flash(ngettext("%(num)s item is now only for %(tier)s members and above.",
                   "%(num)s items are now only for %(tier)s members and above.", len(made), tier=tier.name)
          if made else _("No item is exclusive to %(tier)s now.", tier=tier.name), "success")
    return redirect(url_for(".edit_tier", tier_id=tier_id) + "#exclusive-items")
