// The marketing engine's H5 views: the coupon strip (claim a coupon) and the consumer's coupons.
import { T, api, base, clear, el, failer, message, money, mount, signIn, token } from "../../runtime-static/h5/kit.js";

function date(iso) { return iso ? new Date(iso).toLocaleDateString() : ""; }

// What a coupon gives, in words, as one translated phrase: "¥5.00 off a spend of ¥50.00" (满 ¥50.00 减 ¥5.00).
function gives(c) {
  const minimum = c.minimum && c.minimum.amount ? money(c.minimum) : null;
  if (c.kind === "amount" || c.kind === "threshold") {
    return minimum ? T.amount_off_spend.replace("{amount}", money(c.amount)).replace("{minimum}", minimum)
      : T.amount_off.replace("{amount}", money(c.amount));
  }
  const off = c.kind === "free_shipping" ? T.free_delivery : T.percent_off.replace("{percent}", (c.percent_bp / 100) + "%");
  return minimum ? off + " " + T.spend.replace("{amount}", minimum) : off;
}
function when(c) {
  return c.valid_days ? T.days_after.replace("{n}", c.valid_days) : T.until.replace("{date}", date(c.ends_at));
}

function ticket(c, extra, attrs) {
  return el("div", Object.assign({ class: "t-coupon" }, attrs || {}), [
    el("div", { class: "t-coupon__value" }, [el("strong", { text: gives(c) })]),
    el("div", { class: "t-coupon__body" }, [el("p", { class: "t-coupon__name", text: c.name }),
      el("p", { class: "t-muted", text: when(c) })]),
    extra]);
}

mount("coupon_strip", function (root, settings) {
  api("GET", "/coupons").then(function (answer) {
    clear(root);
    if (!answer.coupons.length) { root.hidden = true; return; }
    root.appendChild(el("h2", { class: "t-coupons__title", text: settings.title || "" }));
    const list = root.appendChild(el("div", { class: "t-coupons" }));
    answer.coupons.forEach(function (c) {
      const claim = el("button", { class: "weui-btn weui-btn_mini weui-btn_primary t-btn", type: "button", "data-claim": c.id,
        onclick: function () {
          if (!token()) return signIn();
          api("POST", "/coupons/" + c.id + "/claim").then(function () {
            claim.textContent = T.claimed; claim.disabled = true;
          }).catch(function (error) { message(root, error.message); });
        } }, [T.claim]);
      list.appendChild(ticket(c, claim, { "data-coupon": c.id }));
    });
  }).catch(failer(root));
});

const TABS = ["available", "used", "expired"];

mount("coupon_wallet", function view(root) {
  if (!token()) return signIn();
  const status = new URLSearchParams(location.search).get("status") || "available";
  api("GET", "/me/coupons?status=" + encodeURIComponent(status)).then(function (answer) {
    clear(root);
    root.appendChild(el("nav", { class: "t-tabs", "aria-label": T.available }, TABS.map(function (tab) {
      return el("a", { class: "t-tab", href: location.pathname + "?status=" + tab, "aria-current": tab === status ? "page" : null,
                       "data-tab": tab }, [T[tab]]);
    })));
    if (!answer.coupons.length) { root.appendChild(el("p", { class: "t-empty", text: T.no_coupons })); return; }
    const list = root.appendChild(el("div", { class: "t-coupons t-coupons--wallet" }));
    answer.coupons.forEach(function (held) {
      const c = Object.assign({}, held.coupon, { valid_days: null, ends_at: held.valid_until });
      const action = status === "available" ? el("a", { class: "weui-btn weui-btn_mini weui-btn_default t-btn t-btn--ghost",
                                                       href: base + "/" }, [T.use_now]) : null;
      list.appendChild(ticket(c, action, { "data-held-coupon": held.id, class: "t-coupon" + (status === "available" ? "" : " is-spent") }));
    });
  }).catch(failer(root));
});
