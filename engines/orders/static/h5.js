// The orders engine's H5 views, mounted on the main sections of its system pages: the cart, the
// checkout, the order list and an order. Plain DOM over the consumer API, as a mini-program does.
import { T, api, base, button, card, clear, el, failer, ghostButton, keepTable, message, money, mount, radio,
  signIn, statusLabel, token, uuid, visitTable } from "../../runtime-static/h5/kit.js";

function optionsText(line) {
  return Object.values(line.options || {}).concat(Object.keys(line.choices || {}).map(function (g) {
    return line.choices[g].join(", ");
  })).join(" / ");
}

// -- the cart ------------------------------------------------------------------------------------
mount("cart", function view(root) {
  if (!token()) return signIn();
  const fail = failer(root);
  const again = function () { view(root); };
  api("GET", "/cart").then(function (cart) {
    clear(root);
    if (!cart.lines.length) {
      root.appendChild(el("div", { class: "t-empty" }, [el("p", { text: T.empty_cart }),
        el("a", { class: "weui-btn weui-btn_default t-btn t-btn--ghost", href: base + "/" }, [T.keep_shopping])]));
      return;
    }
    cart.lines.forEach(function (line) {
      const qty = el("input", { type: "number", min: "1", max: "999", value: line.quantity, "aria-label": T.quantity, class: "t-qty",
        onchange: function () { api("PATCH", "/cart/lines/" + line.id, { quantity: parseInt(qty.value, 10) }).then(again).catch(fail); } });
      root.appendChild(card([
        el("div", { class: "t-line" }, [el("strong", { text: line.name }), el("span", { class: "t-muted", text: optionsText(line) }),
          el("span", { text: money(line.price) }), line.available ? null : el("span", { class: "t-badge", text: T.unavailable })]),
        el("div", { class: "t-line" }, [qty, ghostButton(T.remove, function () { api("DELETE", "/cart/lines/" + line.id).then(again).catch(fail); },
          { class: "weui-btn weui-btn_mini weui-btn_default t-btn t-btn--ghost" })])
      ], { "data-cart-line": line.id }));
    });
    root.appendChild(el("div", { class: "t-actionbar" }, [el("p", { class: "t-total", text: T.total + " " + money(cart.total) }),
      el("a", { class: "weui-btn weui-btn_primary t-btn", href: base + "/checkout", "data-checkout": "" }, [T.checkout])]));
  }).catch(fail);
});

// -- paying: the pay step -------------------------------------------------------------------------
// The ways to pay the shop offers and paying an order with one: a pay page (the sandbox's, Stripe's)
// sends the consumer back to `returnTo` (the order's page unless told); the balance — the membership
// engine's stored value, offered where the shop keeps balances — pays here and now. Exported for
// the engines that sell through orders (the membership engine's recharge card).
const BALANCE = "balance";
let offeredProviders = null;
export function providers() {  // the ways to pay the shop offers, asked once per page
  offeredProviders = offeredProviders || api("GET", "/payments/providers").then(function (answer) { return answer.providers; });
  return offeredProviders;
}
function toPayPage(nextAction, orderId, returnTo) {
  if (nextAction.type === "paid") {  // nothing was left to pay: the order is paid already
    location.href = base + "/orders/" + orderId;
    return;
  }
  const url = new URL(nextAction.url, location.href);
  url.searchParams.set("return_to", returnTo || base + "/orders/" + orderId);
  location.href = url.toString();
}
// A payment started: from the balance it is confirmed here (the order is paid when it answers),
// any other way goes on to its pay page.
function follow(started, orderId, returnTo) {
  if (started.next_action.type !== "balance") return Promise.resolve(toPayPage(started.next_action, orderId, returnTo));
  return api("POST", "/payments/" + started.payment.id + "/balance").then(function () {
    location.href = base + "/orders/" + orderId + "?paid=1";
  });
}
export function payOrder(orderId, provider, returnTo) {
  return api("POST", "/orders/" + orderId + "/payments", { provider: provider },
             { "Idempotency-Key": "pay-" + orderId + "-" + uuid() }).then(function (started) {
    return follow(started, orderId, returnTo);
  });
}

function isBalance(p) { return p.name === BALANCE; }
let walletAsked = null;
function wallet(fresh) {  // the consumer's balance ({principal, bonus, total}), null where it cannot be read
  if (fresh || !walletAsked) {
    walletAsked = api("GET", "/me/wallet?limit=1").then(function (answer) { return answer.wallet; }).catch(function () { return null; });
  }
  return walletAsked;
}
// The ways to pay and, when the balance is one, what it holds (a balance that cannot be read is
// not offered).
function waysToPay() {
  return providers().then(function (offered) {
    if (!offered.some(isBalance)) return { offered: offered, wallet: null };
    return wallet().then(function (held) {
      return { offered: held ? offered : offered.filter(function (p) { return !isBalance(p); }), wallet: held };
    });
  });
}
// Where the consumer recharges: the app's page holding the recharge plans (the membership engine's
// section, which a merchant may put on any page of their own or on "Me"); null where there is none.
let rechargeAsked = null;
function rechargePage() {
  rechargeAsked = rechargeAsked || api("GET", "/app").then(function (app) {
    return app.pages.filter(function (p) { return p.kind === "member" || p.kind === "custom"; }).reduce(function (found, p) {
      return found.then(function (url) {
        return url || api("GET", "/pages/" + encodeURIComponent(p.id)).then(function (page) {
          if (!page.sections.some(function (s) { return s.type === "recharge_plans"; })) return null;
          return base + (p.kind === "member" ? "/me" : "/p/" + encodeURIComponent(p.id));
        });
      });
    }, Promise.resolve(null));
  }).catch(function () { return null; });
  return rechargeAsked;
}

// The ways to pay as a choice (the first offered chosen). The balance says what it holds; while it
// does not cover the order (`cover(total)`) it cannot be chosen, and a message says so beside a
// link to recharge. `refused(error)`: the balance did not pay (spent meanwhile), shown as it is now.
export function payChoice(ways) {
  const offered = ways.offered, others = offered.filter(function (p) { return !isBalance(p); });
  let chosen = offered[0].name, due = null;
  const inputs = {}, labels = {};
  const short = el("p", { class: "t-message t-message--error", role: "status", "data-balance-short": "", hidden: true });
  const recharge = el("a", { class: "weui-btn weui-btn_mini weui-btn_default t-btn t-btn--ghost", "data-recharge": "", hidden: true },
                      [T.recharge]);
  const node = card([el("h2", { text: T.pay_with })].concat(offered.map(function (p, i) {
    labels[p.name] = el("span", {});
    const option = radio("provider", p.name, labels[p.name], i === 0, function () { chosen = p.name; }, { "data-provider": p.name });
    inputs[p.name] = option.querySelector("input");
    return option;
  }), [short, recharge]), { "data-providers": "" });
  function label() {
    offered.forEach(function (p) {
      labels[p.name].textContent = isBalance(p) ? T.pay_balance.replace("{balance}", money(ways.wallet.total))
        : (T["pay_" + p.name] || p.name);
    });
  }
  function cover(total) {  // whether the way chosen can pay `total`
    due = total;
    if (!inputs[BALANCE]) return true;
    const enough = ways.wallet.total.amount >= total.amount;
    inputs[BALANCE].disabled = !enough;
    short.hidden = enough;
    recharge.hidden = true;
    if (enough) return true;
    short.textContent = T.balance_short.replace("{balance}", money(ways.wallet.total)).replace("{total}", money(total));
    rechargePage().then(function (url) {
      if (!url || short.hidden) return;
      recharge.href = url;
      recharge.hidden = false;
    });
    if (chosen === BALANCE && others.length) {
      chosen = others[0].name;
      inputs[chosen].checked = true;
    }
    return chosen !== BALANCE;
  }
  function refused(error) {
    return wallet(true).then(function (held) {
      if (held) ways.wallet = held;
      label();
      if (due) cover(due);
      // too little: the message above says so in the shop's money; anything else as the API says it
      if (short.hidden || ((error.data || {}).error || {}).code !== "balance_insufficient") message(node, error.message);
    });
  }
  label();
  return { node: node, chosen: function () { return chosen; }, cover: cover, refused: refused };
}

// -- checkout ------------------------------------------------------------------------------------
// A price step's label in the page's language where it is the shop's own (the delivery fee, the
// points spent); a promotion's or a coupon's is the merchant's name for it.
function stepLabel(step, fulfillmentType) {
  if (step.step === "points") return T.points_step;
  return step.step === "shipping" ? (T[fulfillmentType] || step.label) : step.label;
}
// Its amount, and for points how many paid it: "-¥2.00 (200 points)".
function stepAmount(step) {
  return money(step.amount) + (step.step === "points" && step.points ? " (" + T.n_points.replace("{n}", step.points) + ")" : "");
}
const POINTS_REFUSED = ["points_insufficient", "points_not_accepted"];
function refusedPoints(error) {
  return POINTS_REFUSED.indexOf(((error.data || {}).error || {}).code) >= 0;
}

function storeText(store) {
  return [store.name, store.address, store.hours].filter(Boolean).join(" · ");
}

mount("checkout", function view(root, settings) {
  if (!token()) return signIn();
  const fail = failer(root);
  const params = new URLSearchParams(location.search);
  let choices = {};
  try { choices = JSON.parse(params.get("choices") || "{}") || {}; } catch (e) { choices = {}; }
  let booking = null;  // a line booked by time (the booking page): its slot, session or dates
  try { booking = JSON.parse(params.get("booking") || "null"); } catch (e) { booking = null; }
  const lines = params.get("sku") ? [{ sku_id: params.get("sku"), quantity: parseInt(params.get("qty") || "1", 10), choices: choices }] : null;
  if (lines && booking && typeof booking === "object") lines[0].booking = booking; else booking = null;
  const serviceAddress = booking !== null && params.get("address") === "1";  // a service at the customer's home
  const tableCode = visitTable();
  let idempotencyKey = uuid();
  Promise.all([api("GET", "/addresses"), api("GET", "/stores"), waysToPay(), api("GET", "/checkout/options"),
               tableCode ? api("GET", "/tables/" + encodeURIComponent(tableCode)).catch(function () { return null; }) : null]).then(function (loaded) {
    const addresses = loaded[0].items, stores = loaded[1].stores, paying = loaded[2], offered = paying.offered,
      ways = loaded[3].fulfillment, table = loaded[4];
    clear(root);
    if (!offered.length) {
      root.appendChild(el("div", { class: "t-empty", role: "status", "data-no-payments": "" }, [T.no_payments]));
      return;
    }
    if (tableCode && !table) keepTable(null);  // a table that no longer exists
    // a booking is not carried: nothing to choose ("none"), but a service's address where it is done
    const types = booking ? ["none"] : ["express", "same_city", "pickup"].concat(table ? ["dine_in"] : []).filter(function (type) { return ways.indexOf(type) >= 0; });
    const usual = booking ? "none" : table ? "dine_in" : (addresses.length ? "express" : "pickup");
    const choice = { type: types.indexOf(usual) >= 0 ? usual : (types[0] || "none"),
                     address_id: (addresses.filter(function (a) { return a.is_default; })[0] || addresses[0] || {}).id,
                     store_id: (stores[0] || {}).id };
    const summary = el("div", { "data-summary": "" });
    const note = el("input", { class: "weui-input", name: "note", maxlength: "200", placeholder: T.note, "aria-label": T.note });
    function needsAddress() { return serviceAddress || choice.type === "express" || choice.type === "same_city"; }
    function needsStore() { return choice.type === "pickup" || choice.type === "same_city"; }
    function fulfillment() {
      if (serviceAddress) booking.address_id = choice.address_id;  // the line's booking names where
      const f = { type: choice.type };
      if (needsAddress()) f.address_id = choice.address_id;
      if (needsStore()) f.store_id = choice.store_id;
      if (f.type === "dine_in") f.table = table.code;
      return f;
    }
    const payWith = offered.length > 1 ? payChoice(paying) : null;
    const place = button(T.place_order, function (event) {
      event.target.disabled = true;
      // the order placed and its payment started in one call, then to the pay page (or paid from
      // the balance here; a balance spent meanwhile leaves the order on its page, with the other ways)
      api("POST", "/checkout/pay", { lines: lines, fulfillment: fulfillment(), note: note.value,
                                     provider: payWith ? payWith.chosen() : offered[0].name,
                                     coupon_ids: couponChoice ? [couponChoice] : [], points: pointsUsed(),
                                     deposit: depositOffered && payDeposit },
          { "Idempotency-Key": idempotencyKey }).then(function (placed) {
        return follow(placed, placed.order.id).catch(function () { location.href = base + "/orders/" + placed.order.id; });
      }).catch(function (error) {
        event.target.disabled = false;
        if (!refusedPoints(error)) return fail(error);
        idempotencyKey = uuid();  // the refusal is that key's answer: placing without points is another request
        refusePoints(error);
      });
    }, { "data-place-order": "" });
    // The consumer's coupons for this order (the marketing engine's answer; a shop without it
    // answers 404 and checkout shows none): the best is chosen, another or none may be.
    const couponCard = el("section", { class: "t-card t-pad", "data-coupons": "", hidden: true });
    let couponChoice = null, couponsAsked = false;
    function offerCoupons() {
      if (couponsAsked) return;
      couponsAsked = true;
      api("POST", "/checkout/coupons", { lines: lines, fulfillment: fulfillment() }).then(function (answer) {
        if (!answer.coupons || !answer.coupons.length) return;
        couponChoice = answer.best;
        couponCard.hidden = false;
        couponCard.appendChild(el("h2", { text: T.coupons }));
        couponCard.appendChild(radio("coupon", "", T.no_coupon, !couponChoice, function () { couponChoice = null; requote(); }));
        answer.coupons.forEach(function (c) {
          const label = c.name + (c.applicable ? " −" + money(c.discount) : " · " + c.reason);
          const option = radio("coupon", c.id, label, c.id === couponChoice, function () { couponChoice = c.id; requote(); },
                               { "data-coupon": c.id });
          if (!c.applicable) option.querySelector("input").disabled = true;
          couponCard.appendChild(option);
        });
        requote();
      }).catch(function () { return null; });
    }
    // The consumer's points (the membership engine's answer; where it does not answer, checkout
    // shows no row): on, the quote spends as many of them as the shop lets pay.
    const pointsSwitch = el("input", { type: "checkbox", class: "weui-switch", role: "switch", id: "t-use-points", "data-use-points": "",
                                       onchange: function () { pointsCard.querySelectorAll("[data-message]").forEach(function (m) { m.remove(); }); requote(); } });
    const pointsText = el("span", { "data-points-available": "" });
    const pointsCard = el("section", { class: "t-card t-pad", "data-points": "", hidden: true },
                          [el("label", { class: "t-switch", for: "t-use-points" }, [pointsText, pointsSwitch])]);
    let pointsAvailable = 0;
    function pointsUsed() { return pointsSwitch.checked ? pointsAvailable : 0; }
    function offerPoints() {
      return api("GET", "/me/member").then(function (answer) {
        pointsAvailable = answer.member.points.available;
        pointsText.textContent = T.use_points.replace("{n}", pointsAvailable.toLocaleString(document.documentElement.lang || undefined));
        pointsText.setAttribute("data-points-available", pointsAvailable);
        pointsCard.hidden = pointsSwitch.disabled = !pointsAvailable;
        if (!pointsAvailable) pointsSwitch.checked = false;
      }).catch(function () { return null; });
    }
    function refusePoints(error) {  // too few points now (spent elsewhere meanwhile), or the shop takes none
      pointsSwitch.checked = false;
      offerPoints().then(function () {
        pointsCard.hidden = false;  // what was refused stays said, beside what is left
        message(pointsCard, error.message);
      });
      requote();
    }
    // A room or a service the shop lets be paid partly online: the deposit now and the rest on
    // the day, or everything now (the quote says what each takes).
    const depositCard = el("section", { class: "t-card t-pad", "data-deposit": "", hidden: true });
    let depositOffered = false, payDeposit = false;
    function offerDeposit(q) {
      depositOffered = !!q.deposit;
      depositCard.hidden = !depositOffered;
      depositCard.textContent = "";
      if (!depositOffered) return;
      depositCard.appendChild(el("h2", { text: T.how_to_pay }));
      depositCard.appendChild(radio("deposit", "full", T.pay_in_full.replace("{total}", money(q.total)), !payDeposit,
                                    function () { payDeposit = false; drawDue(q); }, { "data-pay-in-full": "" }));
      depositCard.appendChild(radio("deposit", "deposit", T.pay_deposit.replace("{now}", money(q.deposit.now)).replace("{later}", money(q.deposit.later)),
                                    payDeposit, function () { payDeposit = true; drawDue(q); }, { "data-pay-deposit": "" }));
    }
    function drawDue(q) {  // the total, and with a deposit what is paid now and what at the shop
      summary.querySelectorAll("[data-due]").forEach(function (node) { node.remove(); });
      const now = depositOffered && payDeposit ? q.deposit.now : q.total;
      if (now !== q.total) {
        summary.appendChild(el("p", { class: "t-line t-line--pair", "data-due": "now" }, [el("span", { text: T.pay_now }), el("span", { class: "t-money", text: money(now) })]));
        summary.appendChild(el("p", { class: "t-line t-line--pair t-muted", "data-due": "later" }, [el("span", { text: T.at_the_shop }), el("span", { class: "t-money", text: money(q.deposit.later) })]));
      }
      place.disabled = payWith ? !payWith.cover(now) : false;
    }
    function requote() {
      if (needsAddress() && !choice.address_id) {  // nothing to price the delivery on yet: say so, no error
        quotesAsked++;  // and an answer still coming for the choice before is not drawn over it
        summary.textContent = "";
        summary.appendChild(el("p", { class: "t-muted", "data-needs-address": "", text: T.address_first }));
        place.disabled = true;
        return;
      }
      offerCoupons();
      const asked = ++quotesAsked;  // only the latest question's answer is drawn: an earlier one may arrive last
      api("POST", "/checkout/quote", { lines: lines, fulfillment: fulfillment(), coupon_ids: couponChoice ? [couponChoice] : [],
                                       points: pointsUsed() }).then(function (q) {
        if (asked !== quotesAsked) return;
        summary.textContent = "";
        q.lines.forEach(function (l) {
          const options = optionsText(l);
          summary.appendChild(el("p", { class: "t-line t-line--pair" }, [el("span", { text: l.name + (options ? " (" + options + ")" : "") + " × " + l.quantity }),
            el("span", { class: "t-money", text: money(l.subtotal) })]));
        });
        q.pricing.forEach(function (s) {
          if (s.step !== "items") summary.appendChild(el("p", { class: "t-line t-line--pair t-muted", "data-step": s.step }, [el("span", { text: stepLabel(s, choice.type) }), el("span", { class: "t-money", text: stepAmount(s) })]));
        });
        summary.appendChild(el("p", { class: "t-total", "data-total": q.total.amount, text: T.total + " " + money(q.total) }));
        offerDeposit(q);
        drawDue(q);
      }).catch(function (error) {
        if (asked !== quotesAsked) return;
        if (refusedPoints(error)) return refusePoints(error);
        place.disabled = true;
        fail(error);
      });
    }
    let quotesAsked = 0;
    const sections = {};
    function show() {
      if (sections.address) sections.address.hidden = !needsAddress();
      if (sections.store) sections.store.hidden = !needsStore();
      if (sections.table) sections.table.hidden = choice.type !== "dine_in";
    }
    if (!booking) {
      root.appendChild(card([el("h2", { text: T.how }), ...types.map(function (type) {
        return radio("fulfillment", type, T[type], choice.type === type, function () { choice.type = type; show(); requote(); });
      })]));
    }
    if (table) {
      sections.table = root.appendChild(card([el("h2", { text: T.table }),
        el("p", { "data-table": table.code, text: table.name + " · " + table.store.name }),
        el("p", { class: "t-muted", text: T.change_table }),
        ghostButton(T.leave_table, function () { keepTable(null); view(root, settings); }, { "data-leave-table": "" })]));
    }
    if (addresses.length) {
      sections.address = root.appendChild(card([el("h2", { text: T.address }), ...addresses.map(function (a) {
        return radio("address", a.id, a.name + " " + a.phone + " · " + a.region + " " + a.line, a.id === choice.address_id,
                     function () { choice.address_id = a.id; requote(); });
      }), el("a", { href: base + "/addresses", class: "t-link" }, [T.addresses])], { "data-address": "" }));
    } else {
      const fields = ["name", "phone", "region", "line"].map(function (name) {
        return el("input", { class: "weui-input", name: name, placeholder: T[name], "aria-label": T[name] });
      });
      sections.address = root.appendChild(card([el("h2", { text: T.add_address }), ...fields, button(T.save, function () {
        const data = {}; fields.forEach(function (f) { data[f.name] = f.value.trim(); });
        api("POST", "/addresses", data).then(function () { view(root, settings); }).catch(fail);
      }, { "data-save-address": "" })], { "data-address": "" }));
    }
    if (stores.length) {
      sections.store = root.appendChild(card([el("h2", { text: T.store }), ...stores.map(function (s) {
        return radio("store", s.id, storeText(s), s.id === choice.store_id, function () { choice.store_id = s.id; requote(); },
                     { "data-store": s.id });
      })], { "data-stores": "" }));
    }
    show();
    if (settings.note !== "false") root.appendChild(card([note]));
    if (payWith) root.appendChild(payWith.node);
    root.appendChild(couponCard);
    root.appendChild(pointsCard);
    root.appendChild(depositCard);
    root.appendChild(card([summary, place], { class: "t-card t-pad t-checkout__total" }));
    offerPoints();
    requote();
  }).catch(fail);
});

// -- orders --------------------------------------------------------------------------------------
const TABS = [["all", ""], ["to_pay", "pending_payment"], ["to_ship", "paid,awaiting_shipment,in_preparation,ready_for_pickup,in_service"],
              ["to_receive", "shipped"], ["done", "completed"]];

mount("order_list", function (root) {
  if (!token()) return signIn();
  const wanted = new URLSearchParams(location.search).get("status") || "";
  api("GET", "/orders" + (wanted ? "?status=" + encodeURIComponent(wanted) : "")).then(function (page) {
    clear(root);
    root.appendChild(el("nav", { class: "t-tabs", "aria-label": T.my_orders }, TABS.map(function (tab) {
      return el("a", { href: base + "/orders" + (tab[1] ? "?status=" + tab[1] : ""), class: "t-tab",
        "aria-current": tab[1] === wanted ? "page" : null, "data-tab": tab[0] }, [T[tab[0]]]);
    }).concat([el("a", { href: base + "/addresses", class: "t-tab", "data-tab": "addresses" }, [T.addresses])])));
    if (!page.orders.length) { root.appendChild(el("p", { class: "t-empty", text: T.no_orders })); return; }
    page.orders.forEach(function (o) {
      root.appendChild(el("a", { class: "t-card t-pad t-order", href: base + "/orders/" + o.id, "data-order": o.id }, [
        el("strong", { text: o.number }), el("span", { class: "t-badge", "data-status": o.status, text: statusLabel(o.status) }),
        el("span", { text: o.lines.map(function (l) { return l.name + " × " + l.quantity; }).join(", ") }),
        el("span", { class: "t-total", text: money(o.total) })]));
    });
  }).catch(failer(root));
});

// Where an order is, in the steps its way of fulfilment has.
function progress(o) {
  const steps = {
    express: ["placed", "paid", "on_the_way", "done"], same_city: ["placed", "paid", "on_the_way", "done"],
    pickup: ["placed", "paid", "preparing", "ready", "done"], dine_in: ["placed", "paid", "preparing", "done"],
    none: ["placed", "paid", "done"]
  }[o.fulfillment.type] || ["placed", "paid", "done"];
  const at = { pending_payment: "placed", paid: "paid", awaiting_shipment: "paid", shipped: "on_the_way",
               in_preparation: "preparing", in_service: "preparing", ready_for_pickup: "ready", completed: "done" }[o.status];
  if (!at) return null;
  const reached = steps.indexOf(at);
  return el("ol", { class: "t-progress", "data-progress": at }, steps.map(function (step, i) {
    return el("li", { class: i <= reached ? "is-done" : "" }, [T["progress_" + step]]);
  }));
}

function receiving(o) {  // how the order reaches the buyer: the address, the store, the table, the parcel
  const f = o.fulfillment, rows = [[T.how, T[f.type] || f.type]];
  if (f.address) rows.push([T.address, [f.address.name, f.address.phone, f.address.region, f.address.line].filter(Boolean).join(" ")]);
  if (f.table) rows.push([T.table, f.table]);
  if (f.store) rows.push([T.store, storeText(f.store)]);
  if (o.carrier || o.tracking_number) rows.push([T.carrier, (o.carrier || "") + " " + (o.tracking_number || "")]);
  return card(rows.map(function (row) {
    return el("p", { class: "t-line t-line--pair" }, [el("span", { class: "t-muted", text: row[0] }), el("span", { text: row[1] })]);
  }), { "data-receiving": "" });
}

mount("order_detail", function view(root) {
  if (!token()) return signIn();
  const fail = failer(root);
  const again = function () { view(root); };
  const id = (location.pathname.match(/\/orders\/(\d+)/) || [])[1];
  api("GET", "/orders/" + id).then(function (answer) {  // an order to pay comes with the ways to pay it,
    const o = answer.order;  // a completed one with the reviews of its lines
    return Promise.all([o, o.actions.indexOf("pay") >= 0 ? waysToPay() : null,
                        o.status === "completed" ? api("GET", "/orders/" + o.id + "/reviews").then(function (r) { return r.reviews; }) : null]);
  }).then(function (loaded) {
    const o = loaded[0], paying = loaded[1], reviews = loaded[2];
    clear(root);
    root.appendChild(card([el("h2", { text: o.number }),
      el("p", { class: "t-badge", "data-status": o.status, text: statusLabel(o.status) }),
      progress(o),
      o.pickup_number ? el("p", { class: "t-code", "data-pickup-number": "" }, [(o.fulfillment.type === "dine_in" ? T.serving_number : T.pickup_number) + " " + o.pickup_number]) : null]));
    if (o.verification_code) {
      const booked = o.lines.some(function (l) { return l.booked; });  // a ticket, a service, a stay: shown on arrival
      root.appendChild(card([el("p", { text: o.fulfillment.type === "dine_in" ? T.code_for_table : booked ? T.code_for_booking : T.code_to_show }),
        el("img", { class: "t-code__qr", alt: o.verification_code, src: base + "/api/v1/orders/" + o.id + "/code.svg?token=" + encodeURIComponent(o.verification_qr_token || "") }),
        el("p", { class: "t-code", "data-code": "", text: o.verification_code.replace(/(\d{4})(?=\d)/g, "$1 ") })]));
    }
    root.appendChild(receiving(o));
    root.appendChild(card(o.lines.map(function (l) {
      const options = optionsText(l);
      return el("p", { class: "t-line t-line--pair", "data-line": l.id }, [el("span", { text: l.name + (options ? " (" + options + ")" : "") + " × " + l.quantity +
        (l.refunded_quantity ? "  (−" + l.refunded_quantity + ")" : "") }), el("span", { class: "t-money", text: money(l.subtotal) })]);
    }).concat(o.pricing.filter(function (s) { return s.step !== "items"; }).map(function (s) {
      return el("p", { class: "t-line t-line--pair t-muted", "data-step": s.step }, [el("span", { text: stepLabel(s, o.fulfillment.type) }), el("span", { class: "t-money", text: stepAmount(s) })]);
    })).concat([el("p", { class: "t-total", "data-amount": "" }, [T.total + " " + money(o.total)]),
      o.balance_due && o.balance_due.amount ? el("p", { class: "t-line t-line--pair", "data-balance-due": "" }, [el("span", { text: T.at_the_shop }), el("span", { class: "t-money", text: money(o.balance_due) })]) : null,
      o.refunded && o.refunded.amount ? el("p", { class: "t-muted", text: T.refunded + " " + money(o.refunded) }) : null]), { "data-lines": "" }));
    if (reviews) root.appendChild(reviewsCard(o, reviews));
    const actions = [];
    const payWith = paying && paying.offered.length > 1 ? payChoice(paying) : null;
    if (payWith) payWith.cover(o.payable_now || o.total);
    if (paying) {
      actions.push(button(T.pay, function (event) {
        if (!paying.offered.length) return fail(new Error(T.no_payments));
        const chosen = payWith ? payWith.chosen() : paying.offered[0].name;
        event.target.disabled = true;
        payOrder(o.id, chosen).catch(function (error) {
          event.target.disabled = false;
          if (chosen === BALANCE && payWith) return payWith.refused(error);
          fail(error);
        });
      }, { "data-pay": "" }));
    }
    if (o.actions.indexOf("cancel") >= 0) actions.push(ghostButton(T.cancel, function () { api("POST", "/orders/" + o.id + "/cancel").then(again).catch(fail); }, { "data-cancel": "" }));
    if (o.actions.indexOf("confirm_receipt") >= 0) actions.push(button(T.confirm_receipt, function () { api("POST", "/orders/" + o.id + "/confirm-receipt").then(again).catch(fail); }, { "data-confirm": "" }));
    let form = null;
    if (o.actions.indexOf("after_sale") >= 0) {
      form = afterSaleForm(o, root, again);
      form.hidden = true;
      actions.push(ghostButton(T.after_sale, function (event) { form.hidden = false; event.target.hidden = true; form.scrollIntoView(); },
                               { "data-open-after-sale": "" }));
    }
    if (payWith) root.appendChild(payWith.node);
    if (actions.length) root.appendChild(el("div", { class: "t-actionbar t-actionbar--end" }, actions));
    if (form) root.appendChild(form);
    if (o.after_sales.length) {
      root.appendChild(card([el("h2", { text: T.requests }), ...o.after_sales.map(function (a) {
        const row = el("div", { "data-after-sale": a.status }, [el("p", { text: (a.kind === "refund" ? T.refund_only : T.return_refund) + " · " + statusLabel(a.status) + " · " + money(a.amount) })]);
        if (a.status === "awaiting_return") {
          const carrier = el("input", { class: "weui-input", placeholder: T.carrier, "aria-label": T.carrier });
          const number = el("input", { class: "weui-input", placeholder: T.return_tracking, "aria-label": T.return_tracking });
          [carrier, number, button(T.submit, function () {
            api("POST", "/after-sales/" + a.id + "/return", { carrier: carrier.value, tracking_number: number.value }).then(again).catch(fail);
          })].forEach(function (n) { row.appendChild(n); });
        }
        return row;
      })]));
    }
    if (new URLSearchParams(location.search).get("paid")) message(root, T.thanks, "ok");
  }).catch(fail);
});

function afterSaleForm(o, root, again) {
  const kind = el("select", { "aria-label": T.after_sale, class: "weui-select" }, [el("option", { value: "refund", text: T.refund_only }),
    o.status === "shipped" || o.status === "completed" ? el("option", { value: "return_refund", text: T.return_refund }) : null]);
  const picks = o.lines.filter(function (l) { return l.quantity > l.refunded_quantity; }).map(function (l) {
    return el("label", { class: "t-radio" }, [l.name + " ", el("input", { type: "number", min: "0", max: String(l.quantity - l.refunded_quantity),
      value: String(l.quantity - l.refunded_quantity), "data-line-id": l.id, "aria-label": T.quantity, class: "t-qty" })]);
  });
  const reason = el("input", { class: "weui-input", placeholder: T.refund_reason, maxlength: "200", "aria-label": T.refund_reason });
  return card([el("h2", { text: T.after_sale }), kind, ...picks, reason, button(T.submit, function () {
    const lines = picks.map(function (p) { const input = p.querySelector("input"); return { line_id: input.getAttribute("data-line-id"), quantity: parseInt(input.value, 10) || 0 }; })
      .filter(function (l) { return l.quantity > 0; });
    api("POST", "/orders/" + o.id + "/after-sales", { kind: kind.value, lines: lines, reason: reason.value }).then(again).catch(failer(root));
  }, { "data-request-refund": "" })], { "data-after-sale-form": "" });
}

// -- reviews: each line of a completed order with its review, or a button to write one ------------
function starsText(n) { return n === 1 ? T.review_star_one : T.review_stars.replace("{n}", n); }
// A rating as stars (drawn by CSS from --rating, so halves show too), read as "4 stars".
function stars(rating, label) {
  const node = el("span", { class: "t-stars", role: "img", "aria-label": label || starsText(rating), "data-rating": rating });
  node.style.setProperty("--rating", String(rating));
  return node;
}

function reviewsCard(o, reviews) {
  const byLine = {};
  reviews.forEach(function (r) { byLine[r.line_id] = r; });
  return card([el("h2", { text: T.review_title })].concat(o.lines.map(function (l) {
    const row = el("div", { class: "t-review", "data-review-line": l.id });
    const options = optionsText(l);
    const head = el("div", { class: "t-review__head" }, [el("span", { class: "t-review__name", text: l.name + (options ? " (" + options + ")" : "") })]);
    row.appendChild(head);
    if (byLine[l.id]) {
      row.appendChild(reviewShown(byLine[l.id]));
      return row;
    }
    const write = ghostButton(T.review_write, function () {
      write.hidden = true;
      const form = reviewForm(o, l, function (made, said) {
        form.replaceWith(reviewShown(made));
        write.remove();
        message(row, said || T.review_thanks, said ? "error" : "ok");
      }, function () { form.remove(); write.hidden = false; write.focus(); });
      row.appendChild(form);
      form.querySelector("input").focus();
    }, { class: "weui-btn weui-btn_mini weui-btn_default t-btn t-btn--ghost", "data-write-review": "" });
    head.appendChild(write);
    return row;
  })), { class: "t-card t-pad t-review-card", "data-reviews": "" });
}

function reviewShown(r) {
  return el("div", { class: "t-review__given", "data-review": r.id }, [stars(r.rating),
    r.body ? el("p", { class: "t-review__words", text: r.body }) : null]);
}

// The form under a line: 1 to 5 stars (radios drawn as stars, each read as "n stars"), the words,
// Submit. `done(review)` once it is saved — `done(review, said)` when it was saved before, from
// another tab; `cancel()` to close it. A refusal is said as the API says it.
function reviewForm(o, line, done, cancel) {
  let rating = 0, key = null;
  const choices = [1, 2, 3, 4, 5].map(function (n) {
    return el("label", { class: "t-rate__star" }, [el("input", { type: "radio", name: "rating-" + line.id, value: String(n),
      onchange: function () { rating = n; paint(); } }), el("span", { class: "t-rate__glyph", "aria-hidden": "true" }),
      el("span", { class: "t-visually-hidden", text: starsText(n) })]);
  });
  function paint() {  // the stars up to the one chosen lit; "choose the stars" said no more
    choices.forEach(function (c, i) { c.classList.toggle("is-on", i < rating); });
    const said = form.querySelector("[data-message]");
    if (said) said.remove();
  }
  const words = el("textarea", { class: "weui-textarea t-review__input", rows: "3", maxlength: "500", placeholder: T.review_words,
    "aria-label": T.review_words, "data-review-words": "" });
  const count = el("span", { class: "t-muted t-review__count", "aria-hidden": "true", text: "0/500" });
  words.addEventListener("input", function () { count.textContent = words.value.length + "/500"; });
  const submit = button(T.submit, function () {
    if (!rating) return message(form, T.review_pick_stars);
    submit.disabled = true;
    key = key || uuid();  // the same key while a request may have gone unanswered: saved once
    api("POST", "/orders/" + o.id + "/reviews", { line_id: line.id, rating: rating, body: words.value.trim() },
        { "Idempotency-Key": "review-" + key }).then(function (answer) {
      done(answer.review);
    }).catch(function (error) {
      submit.disabled = false;
      if (error.data) key = null;  // answered: what is sent next is a new request
      failer(form)(error);
      if (((error.data || {}).error || {}).code === "already_reviewed") {  // reviewed meanwhile (another tab): show it
        api("GET", "/orders/" + o.id + "/reviews").then(function (answer) {
          const made = answer.reviews.filter(function (r) { return r.line_id === line.id; })[0];
          if (made) done(made, error.message);
        }).catch(failer(form));
      }
    });
  }, { class: "weui-btn weui-btn_mini weui-btn_primary t-btn", "data-submit-review": "" });
  const form = el("div", { class: "t-review__form", "data-review-form": "" }, [
    el("fieldset", { class: "t-rate" }, [el("legend", { class: "t-muted", text: T.review_rating })].concat(choices)),
    words, count,
    el("div", { class: "t-review__actions" }, [ghostButton(T.review_cancel, cancel, { class: "weui-btn weui-btn_mini weui-btn_default t-btn t-btn--ghost" }), submit])]);
  return form;
}
