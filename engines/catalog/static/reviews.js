import { T, api, el, message, pagedList } from "../../runtime-static/h5/kit.js";

// An item's reviews: their average and the newest, a few at a time, appended to its article
// (`<article data-item="<item id>">`: the item page, a booking page).
// Read from the orders engine's public API (GET /items/<id>/reviews): the catalog asks it over
// HTTP, it never imports it. Only the reviews the shop shows; none: "No reviews yet.".
const REVIEWS_AT_ONCE = 5;
function starsText(n) { return n === 1 ? T.reviews_star_one : T.reviews_stars.replace("{n}", n); }
function stars(rating, label) {  // drawn by CSS from --rating, so an average's half star shows too
  const node = el("span", { class: "t-stars", role: "img", "aria-label": label || starsText(rating) });
  node.style.setProperty("--rating", String(rating));
  return node;
}
export function itemReviews(article) {
  const lang = document.documentElement.lang || undefined;
  const summary = el("p", { class: "t-reviews__summary", "data-rating": "" });
  const list = el("ul", { class: "t-reviews__list" });
  const block = el("section", { class: "t-card t-pad t-reviews", "aria-labelledby": "t-reviews-title", "data-reviews": "" }, [
    el("h2", { class: "t-reviews__title", id: "t-reviews-title", text: T.reviews_title }), summary, list]);
  function entry(r) {
    return el("li", { class: "t-reviews__entry", "data-review": r.id }, [
      el("p", { class: "t-reviews__head" }, [el("span", { class: "t-reviews__author", text: r.author }), stars(r.rating),
        el("time", { class: "t-muted t-reviews__date", datetime: r.created_at, text: new Date(r.created_at).toLocaleDateString(lang) })]),
      r.body ? el("p", { class: "t-reviews__words", text: r.body }) : null]);
  }
  function said(rating) {  // "4.5 ★★★★½ · 12 reviews", or "No reviews yet."
    if (!rating.count) return [el("span", { class: "t-muted", text: T.reviews_none })];
    const average = rating.average.toLocaleString(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    return [el("strong", { class: "t-reviews__average", "data-average": rating.average, text: average }),
      stars(rating.average, T.reviews_average.replace("{average}", average)),
      el("span", { class: "t-muted", "data-count": rating.count,
        text: "· " + (rating.count === 1 ? T.reviews_one : T.reviews_many.replace("{n}", rating.count.toLocaleString(lang))) })];
  }
  const path = "/items/" + encodeURIComponent(article.getAttribute("data-item")) + "/reviews?limit=" + REVIEWS_AT_ONCE;
  const fail = function (error) { message(block, error.message); };
  article.appendChild(block);
  api("GET", path).then(function (first) {
    summary.append.apply(summary, said(first.rating));
    pagedList(block, list, first, { key: "reviews", draw: entry, path: path, label: T.reviews_more, fail: fail,
                                    attrs: { class: "weui-btn weui-btn_mini weui-btn_default t-btn t-btn--ghost", "data-reviews-more": "" } });
  }).catch(fail);
}
