// The consumer's account pages: sign-in with a one-time code, the member centre and the address
// book (core's, used by every engine that delivers or visits).
import { T, api, base, button, card, clear, el, failer, forgetToken, ghostButton, keepToken, message, mount,
  takePendingLine, token } from "./kit.js";

function safeNext(next) {
  return next && next.charAt(0) === "/" && next.charAt(1) !== "/" ? next : base + "/me";
}

mount("sign_in", function (root) {
  const fail = failer(root);
  const phone = el("input", { class: "weui-input", name: "phone", inputmode: "tel", autocomplete: "tel", placeholder: T.phone, id: "t-phone" });
  const code = el("input", { class: "weui-input", name: "code", inputmode: "numeric", autocomplete: "one-time-code", placeholder: T.code, id: "t-code" });
  function signedIn(answer) {
    keepToken(answer.token || answer.access_token);
    const next = safeNext(new URLSearchParams(location.search).get("next"));
    const pending = takePendingLine();  // chosen before signing in: added now, then back to where it was chosen
    if (!pending) { location.href = next; return; }
    api("POST", "/cart/lines", pending).then(function () {
      const back = new URL(next, location.href);
      back.searchParams.set("added", "1");
      location.href = back.pathname + back.search;
    }).catch(function (error) { message(root, error.message); });
  }
  clear(root).appendChild(card([
    el("div", { class: "weui-cells weui-cells_form" }, [
      el("div", { class: "weui-cell" }, [el("label", { class: "weui-label", for: "t-phone", text: T.phone }), el("div", { class: "weui-cell__bd" }, [phone])]),
      el("div", { class: "weui-cell" }, [el("label", { class: "weui-label", for: "t-code", text: T.code }), el("div", { class: "weui-cell__bd" }, [code]),
        el("div", { class: "weui-cell__ft" }, [ghostButton(T.send_code, function () {
          api("POST", "/auth/code", { phone: phone.value.trim() }).then(function (sent) {
            message(root, T.code_sent, "ok");
            if (sent.sandbox_code) code.value = sent.sandbox_code;  // the sandbox shows the code it would text
          }).catch(fail);
        }, { "data-send-code": "", class: "weui-btn weui-btn_mini weui-btn_default t-btn t-btn--ghost" })])])]),
    button(T.sign_in, function () {
      api("POST", "/auth/code/verify", { phone: phone.value.trim(), code: code.value.trim() }).then(signedIn).catch(fail);
    }, { "data-sign-in": "" })
  ], { class: "t-card t-pad t-form" }));
});

mount("member_centre", function (root, settings) {
  const extra = JSON.parse(settings.extra || "{}");
  if (!token()) {
    clear(root).appendChild(card([el("p", { class: "t-muted", text: T.signed_out }),
      el("a", { class: "weui-btn weui-btn_primary t-btn", href: base + "/account/login?next=" + encodeURIComponent(base + "/me"), "data-sign-in-link": "" }, [T.sign_in])]));
    return;
  }
  api("GET", "/me").then(function (answer) {
    const me = answer.consumer || {};
    const links = [["orders", "", T.all], ["orders", "pending_payment", T.to_pay],
      ["orders", "paid,awaiting_shipment,in_preparation,ready_for_pickup,in_service", T.to_ship],
      ["orders", "shipped", T.to_receive], ["orders", "completed", T.done]];
    clear(root).appendChild(card([el("h2", { class: "t-member__name", text: me.name || me.phone || me.email || T.my_orders })]));
    root.appendChild(el("nav", { class: "t-card t-pad t-member__orders", "aria-label": T.my_orders }, links.map(function (link) {
      return el("a", { class: "t-member__link", href: base + "/" + link[0] + (link[1] ? "?status=" + link[1] : "") }, [link[2]]);
    })));
    root.appendChild(el("div", { class: "weui-cells" }, [
      ...(extra.links || []).map(function (link) {  // the engines' pages of the member centre
        return el("a", { class: "weui-cell weui-cell_access", href: link.url }, [el("div", { class: "weui-cell__bd", text: link.label }), el("div", { class: "weui-cell__ft" })]);
      }),
      el("a", { class: "weui-cell weui-cell_access", href: base + "/addresses" }, [el("div", { class: "weui-cell__bd", text: T.addresses }), el("div", { class: "weui-cell__ft" })]),
      el("a", { class: "weui-cell weui-cell_access", href: base + "/cart" }, [el("div", { class: "weui-cell__bd", text: T.cart }), el("div", { class: "weui-cell__ft" })])]));
    root.appendChild(el("div", { class: "t-actionbar" }, [ghostButton(T.sign_out, function () {
      api("POST", "/auth/logout").catch(function () { return null; }).then(function () { forgetToken(); location.href = base + "/"; });
    }, { "data-sign-out": "" })]));
  }).catch(failer(root));
});

export function addressFields() {
  return ["name", "phone", "region", "line"].map(function (name) {
    return el("input", { class: "weui-input", name: name, placeholder: T[name], "aria-label": T[name] });
  });
}

mount("address_book", function view(root) {
  if (!token()) { location.href = base + "/account/login?next=" + encodeURIComponent(location.pathname); return; }
  const fail = failer(root);
  const again = function () { view(root); };
  api("GET", "/addresses").then(function (answer) {
    clear(root);
    if (!answer.items.length) root.appendChild(el("p", { class: "t-empty", text: T.no_addresses }));
    answer.items.forEach(function (a) {
      root.appendChild(card([el("p", { text: a.name + " " + a.phone }), el("p", { class: "t-muted", text: a.region + " " + a.line }),
        a.is_default ? el("span", { class: "t-badge", text: T["default"] }) :
          ghostButton(T.make_default, function () { api("PATCH", "/addresses/" + a.id, { is_default: true }).then(again).catch(fail); }),
        ghostButton(T.remove, function () { api("DELETE", "/addresses/" + a.id).then(again).catch(fail); }, { "data-remove-address": a.id })
      ], { "data-address-id": a.id }));
    });
    const fields = addressFields();
    root.appendChild(card([el("h2", { text: T.add_address })].concat(fields).concat([button(T.save, function () {
      const data = {}; fields.forEach(function (f) { data[f.name] = f.value.trim(); });
      api("POST", "/addresses", data).then(again).catch(fail);
    }, { "data-save-address": "" })])));
  }).catch(fail);
});
