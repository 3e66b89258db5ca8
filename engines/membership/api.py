"""The consumer API of membership: the member card (/api/v1/me/member), the points ledger
(/api/v1/me/points, keyset paged), the daily sign-in, the inbox (/api/v1/me/inbox, where
automations' messages land), the shop's tiers, and paid member cards (on sale, bought as an order,
activated by a code), stored value (recharge plans, the wallet's statement, paying a balance payment).
Checkout takes `"points": n` to spend (engines.membership.pricing)."""

from __future__ import annotations

from flask import current_app, jsonify

from core.api import api_blueprint, load_json, require_consumer_id
from core.db import db
from core.engines import flow_settings
from core.openapi import api_doc
from core.paging import page_arguments
from core.security import limiter
from engines.membership.automations import inbox_of, mark_read, unread_count
from engines.membership.cards import activate, buy, plans, running_card
from engines.membership.ledger import entries_of, member_of, member_or_blank
from engines.membership.members import card_of, set_birthday
from engines.membership.schemas import (dump_entries, ActivateIn, BirthdayIn, CardPlanListOut, CardPlanOut, HeldCardAnswer,
                                        HeldCardOut, InboxMessageAnswer, InboxMessageOut, InboxPageOut, MemberAnswer,
                                        PointsEntryOut, PointsPageOut, RechargePlanListOut, RechargePlanOut,
                                        BalancePaidOut, SignedInAnswer, SignInOut, MemberTierListOut, MemberTierOut,
                                        WalletEntryOut, WalletStatementOut, dump_card, dump_wallet)
from engines.membership.sign_ins import sign_in
from engines.membership.tiers import tiers
from engines.membership.wallet import buy_recharge, pay_with_balance, recharge_plans, statement
from engines.orders.services import OrderAnswer, dump_order

bp = api_blueprint("membership_api", __name__)


@bp.get("/member-tiers")
@api_doc("The shop's member tiers, lowest first, with what each gives", tags=["membership"], response=MemberTierListOut)
def member_tiers():
    return jsonify(tiers=MemberTierOut(many=True).dump(tiers()))


@bp.get("/me/member")
@api_doc("The consumer's member card: tier, growth to the next tier, points available, frozen and expiring, "
         "today's sign-in", tags=["membership"], response=MemberAnswer, auth=True)
def my_member():
    return jsonify(member=dump_card(card_of(require_consumer_id(), blank=True)))


@bp.patch("/me/member")
@api_doc("Set the consumer's birthday (once; the tier's birthday points come on it)", tags=["membership"],
         body=BirthdayIn, response=MemberAnswer, auth=True, errors=(409, 415))
def set_my_birthday():
    consumer_id = require_consumer_id()
    set_birthday(consumer_id, load_json(BirthdayIn)["birthday"])
    db.session.commit()
    return jsonify(member=dump_card(card_of(consumer_id)))


@bp.get("/me/points")
@api_doc("The consumer's points ledger, newest first: every movement with its reason and the balance after it",
         tags=["membership"], response=PointsPageOut, auth=True,
         query={"limit": "1 to 50 (default 20)", "cursor": "next_cursor of the previous page"})
def my_points():
    consumer_id = require_consumer_id()
    limit, before = page_arguments()
    entries = entries_of(consumer_id, before=before, limit=limit + 1)
    return jsonify(entries=dump_entries(PointsEntryOut, entries[:limit]),
                   next_cursor=str(entries[limit - 1].id) if len(entries) > limit else None)


@bp.post("/me/sign-in")
@api_doc("Sign in for today: points (and a streak bonus every so many days in a row)", tags=["membership"],
         response=SignedInAnswer, status=201, auth=True, errors=(409,))
def sign_in_today():
    consumer_id = require_consumer_id()
    done = sign_in(consumer_id)
    answer = SignInOut().dump(done)
    db.session.commit()
    return jsonify(sign_in=answer, member=dump_card(card_of(consumer_id))), 201


@bp.get("/me/inbox")
@api_doc("The consumer's inbox, newest first, with how many messages are unread", tags=["membership"],
         response=InboxPageOut, auth=True, query={"limit": "1 to 50 (default 20)", "cursor": "next_cursor"})
def my_inbox():
    consumer_id = require_consumer_id()
    limit, before = page_arguments()
    messages, next_cursor = inbox_of(consumer_id, before=before, limit=limit)
    return jsonify(messages=InboxMessageOut(many=True).dump(messages), unread=unread_count(consumer_id),
                   next_cursor=str(next_cursor) if next_cursor else None)


@bp.post("/me/inbox/<int:message_id>/read")
@api_doc("Mark a message read", tags=["membership"], response=InboxMessageAnswer, auth=True, errors=(404,))
def read_message(message_id: int):
    message = mark_read(require_consumer_id(), message_id)
    answer = InboxMessageOut().dump(message)
    db.session.commit()
    return jsonify(message=answer)


@bp.get("/member-cards")
@api_doc("The paid member cards on sale: period, list and first-purchase price, benefits", tags=["membership"],
         response=CardPlanListOut)
def member_cards():
    return jsonify(plans=CardPlanOut(many=True).dump(plans(on_sale_only=True)))


@bp.post("/member-cards/<int:plan_id>/buy")
@api_doc("Order a member card (the first-purchase price for a first card): pay the order as any order "
         "(POST /orders/<id>/payments); once paid the card starts, or the one held is extended", tags=["membership"],
         response=OrderAnswer, status=201, auth=True, errors=(404, 409))
def buy_card(plan_id: int):
    consumer_id = require_consumer_id()
    order, lines = buy(plan_id, consumer_id)
    answer = dump_order(order, lines=lines)
    db.session.commit()
    return jsonify(order=answer), 201


def activation_rate_limit() -> str:
    return current_app.config.get("REDEEM_RATE_LIMIT", "10/minute;100/day")


def _activation_key() -> str:
    return f"card-code:{require_consumer_id()}"


@bp.post("/member-cards/activate")
@limiter.limit(activation_rate_limit, key_func=_activation_key)
@api_doc("Activate a member card with a code (any case; spaces and dashes are ignored)", tags=["membership"],
         body=ActivateIn, response=HeldCardAnswer, status=201, auth=True, errors=(404, 409, 429))
def activate_card():
    consumer_id = require_consumer_id()
    activate(load_json(ActivateIn)["code"], consumer_id)
    held = running_card(consumer_id)
    answer = HeldCardOut().dump(held)
    db.session.commit()
    return jsonify(card=answer), 201


@bp.get("/recharge-plans")
@api_doc("The recharge plans on offer (pay X, the balance gets X + bonus)", tags=["membership"],
         response=RechargePlanListOut)
def recharge_offers():
    offered = recharge_plans(active_only=True) if flow_settings("membership")["stored_value"] else []
    return jsonify(plans=RechargePlanOut(many=True).dump(offered))


@bp.post("/recharge-plans/<int:plan_id>/buy")
@api_doc("Order a recharge: pay the order as any order, with money (POST /orders/<id>/payments); once paid the "
         "balance gets the principal and the bonus", tags=["membership"], response=OrderAnswer, status=201, auth=True,
         errors=(404, 409))
def buy_recharge_plan(plan_id: int):
    order, lines = buy_recharge(plan_id, require_consumer_id())
    answer = dump_order(order, lines=lines)
    db.session.commit()
    return jsonify(order=answer), 201


@bp.get("/me/wallet")
@api_doc("The consumer's stored value and its statement, newest first", tags=["membership"],
         response=WalletStatementOut, auth=True, query={"limit": "1 to 50 (default 20)", "cursor": "next_cursor"})
def my_wallet():
    consumer_id = require_consumer_id()
    limit, before = page_arguments()
    entries, next_cursor = statement(consumer_id, before=before, limit=limit)
    answer = {"wallet": dump_wallet(member_or_blank(consumer_id)), "entries": dump_entries(WalletEntryOut, entries),
              "next_cursor": str(next_cursor) if next_cursor else None}
    return jsonify(answer)


@bp.post("/payments/<int:payment_id>/balance")
@api_doc("Pay a balance payment (started with provider \"balance\") from the consumer's balance: the order is paid "
         "at once", tags=["membership", "payments"], response=BalancePaidOut, auth=True, errors=(404, 409))
def pay_from_balance(payment_id: int):
    consumer_id = require_consumer_id()
    outcome, _payment, order = pay_with_balance(payment_id, consumer_id)
    answer = {"outcome": outcome, "order_id": str(order.id), "wallet": dump_wallet(member_of(consumer_id))}
    db.session.commit()
    return jsonify(answer)
