"""/merchant/membership/members with its filters and segments: the members list filtered by tier,
points and spend at least, ordered within or not for N days and a tag — applied through
engines.membership.segments (check_filters → members_query) so the list and segments keep the
same members — the filters saved as a segment, a segment applied or deleted, a coupon sent to a
segment's members a batch at a time, and a member's tags. Views of `engines.membership.admin.bp`,
audited as the Admin API audits them ("segment.create", "segment.delete", "segment.send_coupon",
"member.tags"); a refusal is a form message (400) and writes nothing."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from core.backoffice import record_staff_action, save_form
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm
from core.ids import parse_id
from core.money import Money, MoneyError
from core.paging import newest_first
from core.staff_session import permission_required
from engines.marketing.services import consumers_by_login, label_of, list_coupons
from engines.membership import admin_members as pages
from engines.membership.admin import MANAGE, WORDS, bp
from engines.membership.models import Member, MemberSegment
from engines.membership.segments import (MAX_TAGS, TAG_MAX, check_filters, create_segment, delete_segment,
                                         find_segment, list_segments, members_query, send_coupon_to_segment,
                                         set_tags)
from engines.membership.tiers import effective_tier, tier_for, tiers

DAYS = ("ordered_within_days", "not_ordered_for_days")
ARGS = ("tier", "points_at_least", "spent_at_least", *DAYS, "tag")  # the filters as the list's query names them
REFUSED = {"not_found": _l("not a customer of the shop"), "coupon_sold_out": _l("every copy issued"),
           "coupon_limit_reached": _l("already holds as many as one customer may")}


class FilterForm(FlaskForm):
    """The list's filters (GET: no CSRF); `tier` is the list's own select."""
    class Meta:
        csrf = False

    points_at_least = StringField(_l("Points at least"), render_kw={"inputmode": "numeric", "placeholder": "0"})
    spent_at_least = StringField(_l("Spent at least"), render_kw={"inputmode": "decimal", "placeholder": "0.00"})
    ordered_within_days = StringField(_l("Ordered within (days)"), render_kw={"inputmode": "numeric"})
    not_ordered_for_days = StringField(_l("Not ordered for (days)"), render_kw={"inputmode": "numeric"})
    tag = StringField(_l("Tag"), render_kw={"maxlength": TAG_MAX})


class SegmentForm(FlaskForm):
    segment_name = StringField(_l("Segment name"), render_kw={"maxlength": 60, "placeholder": _l("e.g. Tea lovers")})


class SendForm(FlaskForm):
    coupon_id = StringField(_l("Coupon"))
    cursor = StringField()


class TagsForm(FlaskForm):
    tags = StringField(_l("Tags"), description=_l("Separated by commas, e.g. vip, tea lover; up to %(n)s",
                                                  n=MAX_TAGS))


def _filters(values, form: FilterForm) -> tuple[dict | None, object]:
    """The filters `values` (the list's query or a posted form) name, checked by the service, and
    the list's extra condition for "no tier" (a shop without a base tier); None with the messages
    on `form` when something is wrong."""
    errors: dict[str, list[str]] = {}
    raw: dict = {}
    extra = None
    tier = (values.get("tier") or "").strip()
    shop_tiers = tiers()
    if tier == "none" and tier_for(0, shop_tiers) is None:
        extra = Member.tier_id.is_(None)
    elif parse_id(tier) is not None and any(t.id == parse_id(tier) for t in shop_tiers):
        raw["tier_ids"] = [tier]
    for name in ("points_at_least", *DAYS):
        text = (values.get(name) or "").strip().replace(",", "")
        if text and not (text.isascii() and text.isdigit() and len(text) <= 12):
            errors[name] = [_("A whole number, e.g. 100.")]
        elif text:
            raw[name] = int(text)
    spent = (values.get("spent_at_least") or "").strip().replace(",", "")
    if spent:
        try:
            raw["spent_at_least"] = Money.parse(spent, g.shop.currency).amount
        except MoneyError as error:
            errors["spent_at_least"] = [str(error)]
        if raw.get("spent_at_least", 0) < 0:
            errors["spent_at_least"] = [_("An amount of 0 or more, e.g. 50.00.")]
    if (values.get("tag") or "").strip():
        raw["tags"] = [values["tag"].strip()]
    try:
        checked = check_filters(raw)
    except APIError as refused:
        for name, messages in refused.fields.items():
            errors.setdefault({"tags": "tag", "tier_ids": "tier"}.get(name, name), list(messages))
        checked = None
    for name, messages in errors.items():
        field = getattr(form, name, None)
        if field is None:
            form.form_errors.extend(messages)
        else:
            field.errors = [*field.errors, *messages]
    return (None if errors else checked), extra


def _as_args(filters: dict) -> dict:
    """A segment's filters as the list's query names them (one tier only: the select's)."""
    args = {name: str(filters[name]) for name in ("points_at_least", *DAYS) if name in filters}
    if "spent_at_least" in filters:
        args["spent_at_least"] = format(Money(filters["spent_at_least"], g.shop.currency).to_decimal(), "f")
    if len(filters.get("tier_ids") or []) == 1:
        args["tier"] = filters["tier_ids"][0]
    if filters.get("tags"):
        args["tag"] = filters["tags"][0]
    return args


def _segment(segment_id: int) -> MemberSegment:
    try:
        return find_segment(segment_id)
    except APIError:
        abort(404, description=_("There is no such segment."))


def _list_page(values, *, segment: MemberSegment | None = None, segment_form: SegmentForm | None = None,
               send_form: SendForm | None = None, status: int = 200, query: str = ""):
    values = _as_args(segment.filters) if segment is not None else values
    args = {name: values.get(name).strip() for name in ARGS if (values.get(name) or "").strip()}
    form = FilterForm(formdata=None, data=args)
    filters, extra = _filters(values, form)
    before = parse_id(request.args.get("before"))
    rows, next_cursor = [], None
    if filters is not None and not query:
        statement = members_query(segment.filters if segment is not None else filters)
        rows, next_cursor = newest_first(statement if extra is None else statement.where(extra), Member.id,
                                         limit=pages.PAGE, before=before)
    coupons, next_batch = [], None
    if segment is not None:
        active, _more = list_coupons(status="active", limit=100)
        coupons = [(coupon.id, label_of(coupon, g.shop.currency)) for coupon in active]
        coupon_id, after = parse_id(request.args.get("coupon")), parse_id(request.args.get("after"))
        if coupon_id is not None and after is not None:
            next_batch = {"coupon_id": coupon_id, "cursor": after, "label": dict(coupons).get(coupon_id, "")}
    shop_tiers = tiers()
    page = render_template(
        "membership/members.html", rows=rows, people=pages.consumers_of(rows), tiers=shop_tiers,
        tier_of=lambda member: effective_tier(member.tier_id), tier_choice=args.get("tier", ""),
        no_base=tier_for(0, shop_tiers) is None, query=query, paged=before is not None, next_cursor=next_cursor,
        name_of=pages.name_of, login_of=pages.login_of, words=WORDS, form=form, args=args, bad=filters is None,
        segments=list_segments(), segment=segment, segment_form=segment_form or SegmentForm(formdata=None),
        send_form=send_form or SendForm(formdata=None), coupons=coupons, next_batch=next_batch, action_form=ConfirmForm(),
        tags_of=lambda member: [tag for tag in (member.tags or "").split(",") if tag])
    return page, 400 if filters is None else status


@bp.get("/members")
@permission_required(MANAGE)
def members():
    """The members, newest first, as the filters (or ?segment=) keep them; ?q= a phone number or
    an email opens that customer's page (a customer who has no member row yet gets one there)."""
    query = request.args.get("q", "").strip()[:254]
    if query:
        found = consumers_by_login([query]).get(query)
        if found is not None:
            return redirect(url_for(".member", consumer_id=found))
        return _list_page({}, query=query)
    segment_id = parse_id(request.args.get("segment"))
    return _list_page(request.args, segment=_segment(segment_id) if segment_id is not None else None)


@bp.post("/members/segments")
@permission_required(MANAGE)
def save_segment():
    """The list's filters (posted as hidden fields) saved under a name."""
    form = SegmentForm()
    if form.validate_on_submit():
        def save():
            filters, extra = _filters(request.form, FilterForm(formdata=None))
            if filters is None or extra is not None:
                raise APIError("invalid_input", fields={"segment_name": [
                    _("These filters cannot be saved: correct them first.")]})
            try:
                return create_segment(form.segment_name.data or "", filters)
            except APIError as refused:
                raise APIError("invalid_input", fields={"segment_name" if name == "name" else name: messages
                                                        for name, messages in refused.fields.items()}) from None
        done = save_form(form, save, audit_as=lambda made: ("segment.create", f"segment {made.id}", {"name": made.name}),
                         saved=lambda made: _("Segment %(name)s saved.", name=made.name),
                         then=lambda made: url_for(".members", segment=made.id))
        if done:
            return done
    return _list_page(request.form, segment_form=form, status=400)


@bp.post("/segments/<int:segment_id>/delete")
@permission_required(MANAGE)
def remove_segment(segment_id: int):
    segment = _segment(segment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    name = segment.name
    record_staff_action("segment.delete", f"segment {segment.id}", {"name": name})
    delete_segment(segment)
    db.session.commit()
    flash(_("Segment %(name)s deleted.", name=name), "success")
    return redirect(url_for(".members"))


@bp.post("/segments/<int:segment_id>/send-coupon")
@permission_required(MANAGE)
def send_to_segment(segment_id: int):
    """A batch of copies of the coupon to the segment's members; the answer names how many got
    one, who was refused and why, and offers the next batch (?coupon=&after=) when there is one."""
    segment = _segment(segment_id)
    form = SendForm()
    coupon_id, cursor = parse_id(form.coupon_id.data), parse_id(form.cursor.data)
    if form.validate_on_submit():
        def send():
            if coupon_id is None:
                raise APIError("invalid_input", fields={"coupon_id": [_("Choose a coupon.")]})
            try:
                return send_coupon_to_segment(segment, coupon_id, after=cursor)
            except APIError as refused:
                message = _("There is no such coupon.") if refused.code == "not_found" else refused.message
                raise APIError("invalid_input", fields={"coupon_id": [message]}) from None
        done = save_form(
            form, send, audit_as=lambda sent: ("segment.send_coupon", f"segment {segment.id}",
                                               {"coupon_id": str(coupon_id), "sent": len(sent[0]),
                                                "refused": len(sent[1])}),
            saved=lambda sent: _sent_words(*sent),
            then=lambda sent: url_for(".members", segment=segment.id, coupon=coupon_id, after=sent[2]))
        if done:
            return done
    return _list_page({}, segment=segment, send_form=form, status=400)


def _sent_words(issued: list, refused: list, next_cursor: int | None) -> str:
    words = _("Sent to %(n)s, %(m)s refused", n=len(issued), m=len(refused))
    if refused:
        why: dict[str, int] = {}
        for _consumer, code in refused:
            why[code] = why.get(code, 0) + 1
        words += " (" + "; ".join(f"{REFUSED.get(code, code)}: {n}" for code, n in why.items()) + ")"
    return words + "." + (" " + _("More members are left: send to the next batch.") if next_cursor else "")


@bp.post("/members/<int:consumer_id>/tags")
@permission_required(MANAGE)
def tag_member(consumer_id: int):
    pages._member(consumer_id)  # another shop's customer: 404 before anything is read
    form = TagsForm()
    if form.validate_on_submit():
        tags = [tag.strip() for tag in (form.tags.data or "").split(",") if tag.strip()]
        done = save_form(form, lambda: set_tags(consumer_id, tags),
                         audit_as=lambda member: ("member.tags", f"consumer {consumer_id}", {"tags": tags}),
                         saved=_("Tags saved."), then=lambda member: url_for(".member", consumer_id=consumer_id))
        if done:
            return done
    return pages._member_page(consumer_id, tags_form=form, status=400)

