// The consumer's own pages of the H5 storefront (sign-in, cart, checkout, orders) and the item
// page's buy form: plain DOM over the same JSON API a native mini-program uses. The bearer token
// lives in localStorage per shop. Text comes from the page's <template id="t-strings"> (translated).
(function () {
  "use strict";
  var body = document.body;
  var base = body.getAttribute("data-base") || "";
  var tenant = body.getAttribute("data-tenant") || "";
  var stringsNode = document.getElementById("t-strings");
  var T = stringsNode ? JSON.parse(stringsNode.innerHTML.trim()) : {};
  var tokenKey = "tessera.token." + tenant;

  function token() { return localStorage.getItem(tokenKey); }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), attrs[k]);
      else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function api(method, path, payload, extraHeaders) {
    var headers = { "Accept": "application/json", "X-Tenant": tenant };
    if (token()) headers.Authorization = "Bearer " + token();
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    Object.keys(extraHeaders || {}).forEach(function (k) { headers[k] = extraHeaders[k]; });
    return fetch(base + "/api/v1" + path, { method: method, headers: headers,
      body: payload === undefined ? undefined : JSON.stringify(payload) }).then(function (response) {
      if (response.status === 401) { signIn(); throw new Error("unauthenticated"); }
      if (response.status === 204) return {};
      return response.json().then(function (data) {
        if (!response.ok) { var e = new Error(explain(data)); e.data = data; throw e; }
        return data;
      });
    });
  }
  function explain(data) {
    var error = (data && data.error) || {};
    var details = Object.keys(error.fields || {}).map(function (k) { return [].concat(error.fields[k]).join(" "); });
    return [error.message].concat(details).join(" ");
  }
  function signIn() {
    location.href = base + "/account/login?next=" + encodeURIComponent(location.pathname + location.search);
  }
  function money(m) { return m ? m.display : ""; }
  function root() { var main = document.getElementById("shop"); main.textContent = ""; return main; }
  function message(text, kind) {
    var box = document.querySelector("[data-message]") || document.getElementById("shop").appendChild(
      el("p", { "data-message": "", role: "alert", class: "t-message" }));
    box.textContent = text; box.className = "t-message t-message--" + (kind || "error");
  }
  function fail(error) { if (error.message !== "unauthenticated") message(error.message); }
  function card(children, attrs) { return el("section", Object.assign({ class: "t-card t-pad" }, attrs || {}), children); }
  function button(label, onclick, attrs) {
    return el("button", Object.assign({ class: "t-btn", type: "button", onclick: onclick }, attrs || {}), [label]);
  }
  function uuid() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
  }

  // -- sign in with a one-time code ------------------------------------------------------------
  function loginView() {
    var main = root();
    var phone = el("input", { class: "weui-input", name: "phone", inputmode: "tel", autocomplete: "tel", placeholder: T.phone });
    var code = el("input", { class: "weui-input", name: "code", inputmode: "numeric", autocomplete: "one-time-code", placeholder: T.code });
    main.appendChild(card([
      el("label", {}, [T.phone, phone]),
      button(T.send_code, function () {
        api("POST", "/auth/code", { phone: phone.value.trim() }).then(function (sent) {
          message(T.code_sent, "ok");
          if (sent.sandbox_code) code.value = sent.sandbox_code;  // the sandbox shows the code it would text
        }).catch(fail);
      }, { "data-send-code": "" }),
      el("label", {}, [T.code, code]),
      button(T.sign_in, function () {
        api("POST", "/auth/code/verify", { phone: phone.value.trim(), code: code.value.trim() }).then(function (answer) {
          localStorage.setItem(tokenKey, answer.token || answer.access_token);
          var next = new URLSearchParams(location.search).get("next") || "/orders";
          location.href = next.charAt(0) === "/" && next.charAt(1) !== "/" ? next : base + "/orders";
        }).catch(fail);
      }, { "data-sign-in": "" })
    ], { class: "t-card t-pad t-form" }));
  }

  // -- cart ------------------------------------------------------------------------------------
  function cartView() {
    if (!token()) return signIn();
    api("GET", "/cart").then(function (cart) {
      var main = root();
      if (!cart.lines.length) { main.appendChild(el("p", { class: "t-empty", text: T.empty_cart })); return; }
      cart.lines.forEach(function (line) {
        var qty = el("input", { type: "number", min: "1", max: "999", value: line.quantity, "aria-label": T.quantity,
          onchange: function () { api("PATCH", "/cart/lines/" + line.id, { quantity: parseInt(qty.value, 10) }).then(cartView).catch(fail); } });
        main.appendChild(card([
          el("div", { class: "t-line" }, [el("strong", { text: line.name }), el("span", { text: Object.values(line.options || {}).concat(
            Object.keys(line.choices || {}).map(function (g) { return line.choices[g].join(", "); })).join(" / ") }),
            el("span", { text: money(line.price) }), line.available ? null : el("span", { class: "t-badge", text: T.unavailable })]),
          qty, button(T.remove, function () { api("DELETE", "/cart/lines/" + line.id).then(cartView).catch(fail); }, { class: "t-btn t-btn--ghost" })
        ], { "data-cart-line": line.id }));
      });
      main.appendChild(card([el("p", { class: "t-total", text: T.total + " " + money(cart.total) }),
        el("a", { class: "t-btn", href: base + "/checkout", "data-checkout": "" }, [T.checkout])]));
    }).catch(fail);
  }

  // -- checkout --------------------------------------------------------------------------------
  function checkoutView() {
    if (!token()) return signIn();
    var params = new URLSearchParams(location.search);
    var choices = {};
    try { choices = JSON.parse(params.get("choices") || "{}") || {}; } catch (e) { choices = {}; }
    var lines = params.get("sku") ? [{ sku_id: params.get("sku"), quantity: parseInt(params.get("qty") || "1", 10), choices: choices }] : null;
    var table = params.get("table") || sessionStorage.getItem("tessera.table." + tenant);
    var idempotencyKey = uuid();
    Promise.all([api("GET", "/addresses"), api("GET", "/stores"), providers(), api("GET", "/checkout/options")]).then(function (loaded) {
      var addresses = loaded[0].items, stores = loaded[1].stores, offered = loaded[2], ways = loaded[3].fulfillment;
      var main = root();
      if (!offered.length) {
        main.appendChild(el("div", { class: "t-empty", role: "status", "data-no-payments": "" }, [T.no_payments]));
        return;
      }
      var usual = table ? "dine_in" : (addresses.length ? "express" : "pickup");
      var choice = { type: ways.indexOf(usual) >= 0 ? usual : (["express", "same_city", "pickup"].filter(function (t) { return ways.indexOf(t) >= 0; })[0] || usual) };
      var summary = el("div", { "data-summary": "" });
      var note = el("input", { class: "weui-input", name: "note", maxlength: "200", placeholder: T.note });
      function fulfillment() {
        var f = { type: choice.type };
        if (f.type === "express" || f.type === "same_city") f.address_id = choice.address_id || (addresses[0] || {}).id;
        if (f.type === "pickup" || f.type === "same_city") f.store_id = choice.store_id || (stores[0] || {}).id;
        if (f.type === "dine_in") f.table = table;
        return f;
      }
      function requote() {
        api("POST", "/checkout/quote", { lines: lines, fulfillment: fulfillment() }).then(function (q) {
          summary.textContent = "";
          q.lines.forEach(function (l) {
            var options = Object.values(l.options || {}).join(" / ");
            summary.appendChild(el("p", { text: l.name + (options ? " (" + options + ")" : "") + " × " + l.quantity + "  " + money(l.subtotal) }));
          });
          q.pricing.forEach(function (s) { summary.appendChild(el("p", { class: "t-muted", text: s.label + "  " + money(s.amount) })); });
          summary.appendChild(el("p", { class: "t-total", "data-total": q.total.amount, text: T.total + " " + money(q.total) }));
        }).catch(fail);
      }
      var types = ["express", "same_city", "pickup"].concat(table ? ["dine_in"] : []).filter(function (type) { return ways.indexOf(type) >= 0; });
      var addressCard;
      function showAddress() { if (addressCard) addressCard.hidden = choice.type !== "express" && choice.type !== "same_city"; }
      main.appendChild(card(types.map(function (type) {
        return el("label", { class: "t-radio" }, [el("input", { type: "radio", name: "fulfillment", value: type,
          checked: choice.type === type ? "checked" : null, onchange: function () { choice.type = type; showAddress(); requote(); } }), T[type]]);
      }).concat(table ? [el("p", { class: "t-muted", text: T.table + " ✓" })] : [])));
      if (addresses.length) {
        addressCard = main.appendChild(card([el("h2", { text: T.address })].concat(addresses.map(function (a, i) {
          return el("label", { class: "t-radio" }, [el("input", { type: "radio", name: "address", value: a.id, checked: i === 0 ? "checked" : null,
            onchange: function () { choice.address_id = a.id; requote(); } }), a.name + " " + a.phone + " · " + a.region + " " + a.line]);
        })), { "data-address": "" }));
      } else {
        var fields = ["name", "phone", "region", "line"].map(function (name) {
          return el("input", { class: "weui-input", name: name, placeholder: T[name], "aria-label": T[name] });
        });
        addressCard = main.appendChild(card([el("h2", { text: T.add_address })].concat(fields).concat([button(T.save, function () {
          var data = {}; fields.forEach(function (f) { data[f.name] = f.value.trim(); });
          api("POST", "/addresses", data).then(checkoutView).catch(fail);
        }, { "data-save-address": "" })]), { "data-address": "" }));
      }
      showAddress();
      if (stores.length > 1) {
        main.appendChild(card([el("h2", { text: T.store })].concat(stores.map(function (s, i) {
          return el("label", { class: "t-radio" }, [el("input", { type: "radio", name: "store", value: s.id, checked: i === 0 ? "checked" : null,
            onchange: function () { choice.store_id = s.id; requote(); } }), s.name + " · " + s.address]);
        }))));
      }
      main.appendChild(card([note]));
      var provider = offered[0].name;
      if (offered.length > 1) {
        main.appendChild(card([el("h2", { text: T.pay_with })].concat(offered.map(function (p, i) {
          return el("label", { class: "t-radio" }, [el("input", { type: "radio", name: "provider", value: p.name,
            checked: i === 0 ? "checked" : null, onchange: function () { provider = p.name; } }), T["pay_" + p.name] || p.name]);
        })), { "data-providers": "" }));
      }
      main.appendChild(card([summary, button(T.place_order, function (event) {
        event.target.disabled = true;
        var headers = { "Idempotency-Key": idempotencyKey };
        // the order placed and its payment started in one call, then to the pay page
        api("POST", "/checkout/pay", { lines: lines, fulfillment: fulfillment(), note: note.value, provider: provider },
            headers).then(function (placed) {
          toPayPage(placed.next_action, placed.order.id);
        }).catch(function (error) { event.target.disabled = false; fail(error); });
      }, { "data-place-order": "" })]));
      requote();
    }).catch(fail);
  }
  var offeredProviders = null;
  function providers() {  // the ways to pay the shop offers, asked once per page
    offeredProviders = offeredProviders || api("GET", "/payments/providers").then(function (answer) { return answer.providers; });
    return offeredProviders;
  }
  function pay(orderId) {  // paying later: the shop's first way to pay (the pay page may offer more)
    return providers().then(function (offered) {
      if (!offered.length) throw new Error(T.no_payments);
      return api("POST", "/orders/" + orderId + "/payments", { provider: offered[0].name },
                 { "Idempotency-Key": "pay-" + orderId + "-" + uuid() });
    }).then(function (answer) { toPayPage(answer.next_action, orderId); });
  }
  function toPayPage(nextAction, orderId) {
    var url = new URL(nextAction.url, location.href);
    url.searchParams.set("return_to", base + "/orders/" + orderId);
    location.href = url.toString();
  }

  // -- orders ----------------------------------------------------------------------------------
  // The member centre: orders by status, and the address book.
  var TABS = [["all", ""], ["to_pay", "pending_payment"], ["to_ship", "paid,awaiting_shipment,in_preparation,ready_for_pickup,in_service"],
              ["to_receive", "shipped"], ["done", "completed"]];
  function ordersView() {
    if (!token()) return signIn();
    var wanted = new URLSearchParams(location.search).get("status") || "";
    api("GET", "/orders" + (wanted ? "?status=" + encodeURIComponent(wanted) : "")).then(function (page) {
      var main = root();
      main.appendChild(el("nav", { class: "t-tabs", "aria-label": T.my_orders }, TABS.map(function (tab) {
        return el("a", { href: base + "/orders" + (tab[1] ? "?status=" + tab[1] : ""), class: "t-tab",
          "aria-current": tab[1] === wanted ? "page" : null, "data-tab": tab[0] }, [T[tab[0]]]);
      }).concat([el("a", { href: base + "/addresses", class: "t-tab", "data-tab": "addresses" }, [T.addresses])])));
      if (!page.orders.length) { main.appendChild(el("p", { class: "t-empty", text: T.no_orders })); return; }
      page.orders.forEach(function (o) {
        main.appendChild(el("a", { class: "t-card t-pad t-order", href: base + "/orders/" + o.id, "data-order": o.id }, [
          el("strong", { text: o.number }), el("span", { class: "t-badge", "data-status": o.status, text: o.status.replace(/_/g, " ") }),
          el("span", { text: o.lines.map(function (l) { return l.name + " × " + l.quantity; }).join(", ") }),
          el("span", { class: "t-total", text: money(o.total) })]));
      });
    }).catch(fail);
  }
  function addressesView() {
    if (!token()) return signIn();
    api("GET", "/addresses").then(function (answer) {
      var main = root();
      if (!answer.items.length) main.appendChild(el("p", { class: "t-empty", text: T.add_address }));
      answer.items.forEach(function (a) {
        main.appendChild(card([el("p", { text: a.name + " " + a.phone }), el("p", { class: "t-muted", text: a.region + " " + a.line }),
          a.is_default ? el("span", { class: "t-badge", text: T["default"] }) :
            button(T.make_default, function () { api("PATCH", "/addresses/" + a.id, { is_default: true }).then(addressesView).catch(fail); }, { class: "t-btn t-btn--ghost" }),
          button(T.remove, function () { api("DELETE", "/addresses/" + a.id).then(addressesView).catch(fail); }, { class: "t-btn t-btn--ghost", "data-remove-address": a.id })
        ], { "data-address-id": a.id }));
      });
      var fields = ["name", "phone", "region", "line"].map(function (name) {
        return el("input", { class: "weui-input", name: name, placeholder: T[name], "aria-label": T[name] });
      });
      main.appendChild(card([el("h2", { text: T.add_address })].concat(fields).concat([button(T.save, function () {
        var data = {}; fields.forEach(function (f) { data[f.name] = f.value.trim(); });
        api("POST", "/addresses", data).then(addressesView).catch(fail);
      }, { "data-save-address": "" })])));
    }).catch(fail);
  }
  // Where an order is, in the steps its way of fulfilment has.
  function progress(o) {
    var steps = {
      express: ["placed", "paid", "on_the_way", "done"], same_city: ["placed", "paid", "on_the_way", "done"],
      pickup: ["placed", "paid", "preparing", "ready", "done"], dine_in: ["placed", "paid", "preparing", "done"],
      none: ["placed", "paid", "done"]
    }[o.fulfillment.type] || ["placed", "paid", "done"];
    var at = { pending_payment: "placed", paid: "paid", awaiting_shipment: "paid", shipped: "on_the_way",
               in_preparation: "preparing", in_service: "preparing", ready_for_pickup: "ready", completed: "done" }[o.status];
    if (!at) return null;
    var reached = steps.indexOf(at);
    return el("ol", { class: "t-progress", "data-progress": at }, steps.map(function (step, i) {
      return el("li", { class: i <= reached ? "is-done" : "" }, [T["progress_" + step]]);
    }));
  }
  function orderView() {
    if (!token()) return signIn();
    var id = body.getAttribute("data-order-id");
    api("GET", "/orders/" + id).then(function (answer) {
      var o = answer.order, main = root();
      main.appendChild(card([el("h2", { text: o.number }),
        el("p", { class: "t-badge", "data-status": o.status, text: o.status.replace(/_/g, " ") }),
        progress(o),
        o.pickup_number ? el("p", { class: "t-code", "data-pickup-number": "" }, [T.pickup_number + " " + o.pickup_number]) : null,
        el("p", { class: "t-total", text: T.total + " " + money(o.total) })]));
      if (o.verification_code) {
        main.appendChild(card([el("p", { text: T.code_to_show }),
          el("img", { class: "t-code__qr", alt: o.verification_code, src: base + "/api/v1/orders/" + o.id + "/code.svg?token=" + encodeURIComponent(o.verification_qr_token || "") }),
          el("p", { class: "t-code", "data-code": "", text: o.verification_code.replace(/(\d{4})(?=\d)/g, "$1 ") })]));
      }
      main.appendChild(card(o.lines.map(function (l) {
        var options = Object.values(l.options || {}).join(" / ");
        return el("p", { "data-line": l.id }, [l.name + (options ? " (" + options + ")" : "") + " × " + l.quantity + "  " + money(l.paid) + (l.refunded_quantity ? "  (−" + l.refunded_quantity + ")" : "")]);
      })));
      var actions = [];
      if (o.actions.indexOf("pay") >= 0) actions.push(button(T.pay, function () { pay(o.id).catch(fail); }, { "data-pay": "" }));
      if (o.actions.indexOf("cancel") >= 0) actions.push(button(T.cancel, function () { api("POST", "/orders/" + o.id + "/cancel").then(orderView).catch(fail); }, { class: "t-btn t-btn--ghost", "data-cancel": "" }));
      if (o.actions.indexOf("confirm_receipt") >= 0) actions.push(button(T.confirm_receipt, function () { api("POST", "/orders/" + o.id + "/confirm-receipt").then(orderView).catch(fail); }, { "data-confirm": "" }));
      if (actions.length) main.appendChild(card(actions));
      if (o.actions.indexOf("after_sale") >= 0) main.appendChild(afterSaleForm(o));
      if (o.after_sales.length) {
        main.appendChild(card([el("h2", { text: T.requests })].concat(o.after_sales.map(function (a) {
          var row = el("div", { "data-after-sale": a.status }, [el("p", { text: (a.kind === "refund" ? T.refund_only : T.return_refund) + " · " + a.status.replace(/_/g, " ") + " · " + money(a.amount) })]);
          if (a.status === "awaiting_return") {
            var carrier = el("input", { class: "weui-input", placeholder: T.carrier }), number = el("input", { class: "weui-input", placeholder: T.return_tracking });
            [carrier, number, button(T.submit, function () {
              api("POST", "/after-sales/" + a.id + "/return", { carrier: carrier.value, tracking_number: number.value }).then(orderView).catch(fail);
            })].forEach(function (n) { row.appendChild(n); });
          }
          return row;
        }))));
      }
    }).catch(fail);
  }
  function afterSaleForm(o) {
    var kind = el("select", { "aria-label": T.after_sale }, [el("option", { value: "refund", text: T.refund_only }),
      o.status === "shipped" || o.status === "completed" ? el("option", { value: "return_refund", text: T.return_refund }) : null]);
    var picks = o.lines.filter(function (l) { return l.quantity > l.refunded_quantity; }).map(function (l) {
      return el("label", { class: "t-radio" }, [l.name + " ", el("input", { type: "number", min: "0", max: String(l.quantity - l.refunded_quantity), value: "0", "data-line-id": l.id, "aria-label": T.quantity })]);
    });
    var reason = el("input", { class: "weui-input", placeholder: T.refund_reason, maxlength: "200" });
    var form = card([el("h2", { text: T.after_sale }), kind].concat(picks).concat([reason, button(T.submit, function () {
      var lines = picks.map(function (p) { var input = p.querySelector("input"); return { line_id: input.getAttribute("data-line-id"), quantity: parseInt(input.value, 10) || 0 }; })
        .filter(function (l) { return l.quantity > 0; });
      api("POST", "/orders/" + o.id + "/after-sales", { kind: kind.value, lines: lines, reason: reason.value }).then(orderView).catch(fail);
    }, { "data-request-refund": "" })]), { "data-after-sale-form": "" });
    return form;
  }

  // -- the item page's buy form ----------------------------------------------------------------
  function buyForms() {
    document.querySelectorAll("[data-buy]").forEach(function (form) {
      var status = form.querySelector("[data-buy-message]");
      function chosen() {
        var sku = form.querySelector("input[name=sku]:checked");
        var choices = {};
        form.querySelectorAll("[data-choice-group]").forEach(function (group) {
          var picked = Array.prototype.map.call(group.querySelectorAll("input:checked"), function (i) { return i.value; });
          if (picked.length) choices[group.getAttribute("data-choice-group")] = picked;
        });
        return { sku_id: sku ? sku.value : null, quantity: parseInt(form.querySelector("input[name=qty]").value, 10) || 1, choices: choices };
      }
      function checkoutUrl() {
        var c = chosen();
        return form.getAttribute("action") + "?sku=" + c.sku_id + "&qty=" + c.quantity + "&choices=" + encodeURIComponent(JSON.stringify(c.choices));
      }
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (!chosen().sku_id) return;
        location.href = token() ? checkoutUrl() : base + "/account/login?next=" + encodeURIComponent(checkoutUrl());
      });
      form.querySelector("[data-add-to-cart]").addEventListener("click", function () {
        if (!token()) return signIn();
        api("POST", "/cart/lines", chosen()).then(function () { status.textContent = T.added || "✓"; })
          .catch(function (error) { status.textContent = error.message; });
      });
    });
  }

  var table = new URLSearchParams(location.search).get("table");
  if (table) sessionStorage.setItem("tessera.table." + tenant, table);  // arrived by a table's QR code
  var views = { login: loginView, cart: cartView, checkout: checkoutView, orders: ordersView, order: orderView,
                addresses: addressesView };
  document.addEventListener("DOMContentLoaded", function () {
    var view = body.getAttribute("data-shop-view");
    if (views[view]) views[view]();
    buyForms();
  });
})();
