"""/merchant/articles: write, publish and remove the shop's articles. Every view checks the
"articles.manage" permission; every write is audited."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from core import audit
from core.backoffice import register_nav
from core.db import db
from core.errors import APIError
from core.forms import ConfirmForm, show_errors
from core.permissions import Role, register_permission
from core.staff_session import permission_required, signed_in_identity
from engines.articles.models import ArticleStatus
from engines.articles.services import (create_article, delete_article, find_article, list_for_staff, publish_article,
                                       unpublish_article, update_article)

bp = Blueprint("articles_admin", __name__, url_prefix="/merchant/articles", template_folder="templates")

MANAGE = "articles.manage"
register_permission(MANAGE, _l("Write and publish articles"), roles=(Role.MANAGER,))
register_nav("articles_admin.index", _l("Articles"), icon="news", permission=MANAGE, order=30)


class ArticleForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    summary = TextAreaField(_l("Summary"), validators=[Length(max=300)])
    cover = StringField(_l("Cover image"), validators=[Length(max=520)],
                        description=_l("media:<id> from the media library, or an https address"))
    body = TextAreaField(_l("Text"), description=_l("HTML: paragraphs, headings, lists, links, bold and italics."))


def _audit(action: str, article) -> None:
    audit.record(action, actor=signed_in_identity(), tenant_id=g.shop.id, target=f"article {article.id}",
                 details={"title": article.title}, ip=request.remote_addr)


@bp.get("/")
@permission_required(MANAGE)
def index():
    status = request.args.get("status") or None
    rows, next_cursor = list_for_staff(status=status, before=request.args.get("before", type=int))
    return render_template("articles/index.html", articles=rows, status=status, next_cursor=next_cursor,
                           action_form=ConfirmForm(), statuses=ArticleStatus)


@bp.route("/new", methods=["GET", "POST"])
@permission_required(MANAGE)
def new():
    form = ArticleForm()
    if form.validate_on_submit():
        try:
            article = create_article(title=form.title.data, summary=form.summary.data or "",
                                     cover=form.cover.data or "", body=form.body.data or "",
                                     author_id=signed_in_identity().id, publish="publish" in request.form)
        except APIError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            _audit("article.create", article)
            db.session.commit()
            flash(_("Article saved."), "success")
            return redirect(url_for(".edit", article_id=article.id))
    return render_template("articles/form.html", form=form, article=None), 400 if form.errors else 200


@bp.route("/<int:article_id>", methods=["GET", "POST"])
@permission_required(MANAGE)
def edit(article_id: int):
    article = find_article(article_id) or abort(404)
    form = ArticleForm(obj=article)
    if form.validate_on_submit():
        try:
            update_article(article, title=form.title.data, summary=form.summary.data or "",
                           cover=form.cover.data or "", body=form.body.data or "")
        except APIError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            _audit("article.update", article)
            db.session.commit()
            flash(_("Article saved."), "success")
            return redirect(url_for(".edit", article_id=article.id))
    return render_template("articles/form.html", form=form, article=article, action_form=ConfirmForm()), \
        400 if form.errors else 200


def _act(article_id: int, change, action: str, message: str):
    article = find_article(article_id) or abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400, description=_("The form expired; reload the page and try again."))
    change(article)
    _audit(action, article)
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(".index") if action == "article.delete" else url_for(".edit", article_id=article_id))


@bp.post("/<int:article_id>/publish")
@permission_required(MANAGE)
def publish(article_id: int):
    return _act(article_id, publish_article, "article.publish", _("Published: the shop shows it now."))


@bp.post("/<int:article_id>/unpublish")
@permission_required(MANAGE)
def unpublish(article_id: int):
    return _act(article_id, unpublish_article, "article.unpublish", _("Unpublished: back to draft."))


@bp.post("/<int:article_id>/delete")
@permission_required(MANAGE)
def delete(article_id: int):
    return _act(article_id, delete_article, "article.delete", _("Article deleted."))
