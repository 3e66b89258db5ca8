"""/merchant/articles: write, publish and remove the shop's articles. Every view needs the
"articles.manage" permission; every write is audited in the same transaction, and a refused
write leaves nothing behind."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from core.db import db
from core.errors import APIError
from core.backoffice import record_staff_action, save_form
from core.forms import ConfirmForm, show_errors
from core.ids import parse_id
from core.staff_session import permission_required, signed_in_identity
from engines.articles.models import Article, ArticleStatus
from engines.articles.services import (MAX_SUMMARY, MAX_TITLE, create_article, delete_article, find_article,
                                       list_for_staff, publish_article, unpublish_article, update_article)

bp = Blueprint("articles_admin", __name__, url_prefix="/merchant/articles", template_folder="templates")

MANAGE = "articles.manage"

EDITABLE = ("title", "summary", "cover", "body")
PAGE_SIZE = 50


class ArticleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=MAX_SUMMARY)], render_kw={"rows": 2})
    cover = StringField(_l("Cover image"), validators=[Length(max=520)],
                        description=_l("media:123 from the media library, or an https address"))
    body = TextAreaField(_l("Text"), render_kw={"rows": 14},
                         description=_l("HTML: paragraphs, headings, lists, links, bold and italics."))


def _audit(action: str, article: Article, **details) -> None:
    record_staff_action(action, f"article {article.id}", {"title": article.title, **details})


def _local(moment: dt.datetime | None) -> str:
    """A stored (UTC) time in the shop's time zone."""
    if moment is None:
        return ""
    try:
        zone = zoneinfo.ZoneInfo(g.shop.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = dt.timezone.utc
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _form_status(form: FlaskForm) -> int:
    return 400 if form.errors or form.form_errors else 200


@bp.get("/")
@permission_required(MANAGE)
def index():
    status = request.args.get("status")
    status = status if status in {s.value for s in ArticleStatus} else None
    before = parse_id(request.args.get("before"))
    rows, next_cursor = list_for_staff(status=status, before=before, limit=PAGE_SIZE)
    return render_template("articles/index.html", articles=rows, status=status, paged=before is not None,
                           next_cursor=next_cursor, local=_local)


@bp.route("/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new():
    form = ArticleForm()
    if form.validate_on_submit():
        done = save_form(form, lambda: create_article(
            title=form.title.data, summary=form.summary.data or "", cover=form.cover.data or "",
            body=form.body.data or "", author_id=signed_in_identity().id, publish="publish" in request.form),
            audit_as=lambda article: ("article.create", f"article {article.id}",
                                      {"title": article.title, "status": article.status.value}),
            saved=lambda article: _("Article published.") if article.is_published else _("Article saved as a draft."),
            then=lambda article: url_for(".edit", article_id=article.id))
        if done:
            return done
    return render_template("articles/form.html", form=form, article=None), _form_status(form)


@bp.route("/<int:article_id>", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit(article_id: int):
    article = find_article(article_id) or abort(404)
    form = ArticleForm(obj=article)
    if form.validate_on_submit():
        before = {name: getattr(article, name) for name in EDITABLE}
        try:
            update_article(article, title=form.title.data, summary=form.summary.data or "",
                           cover=form.cover.data or "", body=form.body.data or "")
        except APIError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            _audit("article.update", article, changed=[n for n in EDITABLE if getattr(article, n) != before[n]])
            if "publish" in request.form and not article.is_published:
                publish_article(article)
                _audit("article.publish", article)
            db.session.commit()
            flash(_("Article saved."), "success")
            return redirect(url_for(".edit", article_id=article.id))
    return render_template("articles/form.html", form=form, article=article, action_form=ConfirmForm(),
                           local=_local), _form_status(form)


def _change(article_id: int, change, action: str, message: str) -> None:
    """A state change from a button: the article, a valid CSRF token (the global check refuses a
    missing one first), the change, its audit row, one commit."""
    article = find_article(article_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    change(article)
    _audit(action, article)
    db.session.commit()
    flash(message, "success")


@bp.post("/<int:article_id>/publish")
@permission_required(MANAGE)
def publish(article_id: int):
    _change(article_id, publish_article, "article.publish", _("Published: the shop shows it now."))
    return redirect(url_for(".edit", article_id=article_id))


@bp.post("/<int:article_id>/unpublish")
@permission_required(MANAGE)
def unpublish(article_id: int):
    _change(article_id, unpublish_article, "article.unpublish", _("Unpublished: back to draft."))
    return redirect(url_for(".edit", article_id=article_id))


@bp.route("/<int:article_id>/delete", methods=["GET", "POST"])
@permission_required(MANAGE)
def delete(article_id: int):
    """GET asks for confirmation; POST deletes (softly: the row stays)."""
    if request.method == "POST":
        _change(article_id, delete_article, "article.delete", _("Article deleted."))
        return redirect(url_for(".index"))
    article = find_article(article_id) or abort(404)
    return render_template("articles/delete.html", article=article, action_form=ConfirmForm())
