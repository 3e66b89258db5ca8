// The points mall (the items on offer for points, redeemed through a sheet that prices the
// redemption before placing it), the task centre and the consumer's redemptions.
import { T, api, base, clear, el, failer, message, money, mount, pagedList, signIn, statusLabel, token, uuid } from "../../runtime-static/h5/kit.js";

const lang = document.documentElement.lang || undefined;

function number(n) { return Number(n || 0).toLocaleString(lang); }
function say(text, values) {
  return Object.keys(values).reduce(function (out, key) { return out.replace("{" + key + "}", values[key]); }, text);
}
function here() { return encodeURIComponent(location.pathname + location.search); }
function priceOf(points, cash) {  // "500 points" or "500 points + ¥9.90"
  const inPoints = say(T.mall_points, { n: number(points) });
  return cash && cash.amount ? say(T.mall_plus, { points: inPoints, cash: money(cash) }) : inPoints;
}
function picture(src, alt, className) {
  return src ? el("img", { class: className, src: src, alt: alt, loading: "lazy" })
             : el("div", { class: className + " t-mall__blank", "aria-hidden": "true" });
}
function toPay(orderId) {  // the shop's first way to pay the cash part, as an order's Pay button does
  return api("GET", "/payments/providers").then(function (answer) {
    const offered = answer.providers.filter(function (p) { return p.name !== "balance"; });
    if (!offered.length) throw new Error(T.no_payments || "");
    return api("POST", "/orders/" + orderId + "/payments", { provider: offered[0].name },
               { "Idempotency-Key": "pay-" + orderId + "-" + uuid() });
  }).then(function (answer) {
    const url = new URL(answer.next_action.url, location.href);
    url.searchParams.set("return_to", base + "/orders/" + orderId);
    location.href = url.toString();
  });
}

// -- the mall --------------------------------------------------------------------------------------
mount("redemption_grid", function (root, settings) {
  const fail = failer(root);
  Promise.all([api("GET", "/points-mall"), token() ? api("GET", "/me/member") : null]).then(function (loaded) {
    const items = loaded[0].items, member = loaded[1] ? loaded[1].member : null;
    clear(root);
    if (settings.title) root.appendChild(el("h2", { class: "t-mall__title", text: settings.title }));
    if (member && settings.showBalance !== "false") {
      root.appendChild(el("p", { class: "t-mall__balance", "data-mall-points": member.points.available }, [
        el("span", { text: say(T.mall_my_points, { n: number(member.points.available) }) }),
        el("a", { href: base + "/my/redemptions", "data-mall-records": "", text: T.mall_records })]));
    }
    if (!items.length) { root.appendChild(el("p", { class: "t-empty", text: T.mall_none })); return; }
    const grid = root.appendChild(el("ul", { class: "t-mall", "aria-label": settings.title || T.mall_redeem }));
    items.forEach(function (item) { grid.appendChild(tile(item, member)); });
  }).catch(fail);

  function tile(item, member) {
    const short = member ? item.points - member.points.available : 0;
    let action;
    if (!item.in_stock) action = el("span", { class: "t-mall__state", text: T.mall_sold_out });
    else if (!member) action = el("a", { class: "weui-btn weui-btn_mini weui-btn_primary t-btn", href: base + "/account/login?next=" + here(), text: T.mall_sign_in });
    else if (short > 0) action = el("span", { class: "t-mall__state", "data-mall-short": short, text: say(T.mall_short, { n: number(short) }) });
    else action = el("button", { class: "weui-btn weui-btn_mini weui-btn_primary t-btn", type: "button", "data-mall-redeem": item.id,
                                 onclick: function () { sheet(item, member); } }, [T.mall_redeem]);
    const options = Object.keys(item.options || {}).map(function (k) { return item.options[k]; }).join(" · ");
    return el("li", { class: "t-mall__item", "data-mall-item": item.id }, [
      picture(item.image, item.name, "t-mall__picture"),
      el("div", { class: "t-mall__body" }, [
        el("p", { class: "t-mall__name", text: item.name }),
        options ? el("p", { class: "t-muted t-mall__note", text: options }) : null,
        el("p", { class: "t-mall__price", "data-mall-price": item.points, text: priceOf(item.points, item.cash) }),
        el("p", { class: "t-muted t-mall__was", text: money(item.price) }),
        item.exclusive_tier ? el("p", { class: "t-mall__tier", text: say(T.mall_for_tier, { tier: item.exclusive_tier.name }) }) : null,
        item.per_member_limit ? el("p", { class: "t-muted t-mall__note", text: say(T.mall_limit, { n: item.per_member_limit }) }) : null,
        action])]);
  }

  // How many, how it reaches the member, what it takes (priced by the API), then the order.
  function sheet(item, member) {
    const dialog = document.body.appendChild(el("dialog", { class: "t-sheet", "data-mall-sheet": item.id, "aria-label": item.name }));
    const body = dialog.appendChild(el("div", { class: "t-sheet__body" }));
    dialog.addEventListener("close", function () { dialog.remove(); });
    dialog.showModal();
    const carried = item.kind === "physical" || item.kind === "dish";
    Promise.all([carried ? api("GET", "/checkout/options") : null, carried ? api("GET", "/addresses") : null,
                 carried ? api("GET", "/stores") : null]).then(function (loaded) {
      const ways = carried ? loaded[0].fulfillment.filter(function (w) { return w === "express" || w === "pickup" || w === "same_city"; }) : [];
      const addresses = carried ? loaded[1].items : [], stores = carried ? loaded[2].stores : [];
      // delivery when the member has an address, else a way that needs none (pickup) when there is one
      const usual = addresses.length ? ways : ways.filter(function (w) { return w === "pickup"; }).concat(ways);
      const choice = { type: carried ? usual[0] : null,
                       address_id: ((addresses.filter(function (a) { return a.is_default; })[0] || addresses[0]) || {}).id,
                       store_id: (stores[0] || {}).id, quantity: 1 };
      const key = uuid();
      const total = el("div", { class: "t-sheet__total", "data-mall-total": "", "aria-live": "polite" });
      const problem = el("div", { class: "t-sheet__problem" });
      const confirm = el("button", { class: "weui-btn weui-btn_primary t-btn", type: "button", "data-mall-confirm": "" }, [T.mall_confirm]);
      const where = el("div", { class: "t-sheet__where" });
      function fulfillment() {
        if (!carried) return { type: "none" };
        const f = { type: choice.type };
        if (choice.type === "express" || choice.type === "same_city") f.address_id = choice.address_id;
        if (choice.type === "pickup" || choice.type === "same_city") f.store_id = choice.store_id;
        return f;
      }
      function select(label, options, value, onchange, name) {
        const field = el("select", { class: "weui-select t-sheet__select", name: name, "aria-label": label,
                                     onchange: function () { onchange(field.value); reprice(); } },
          options.map(function (o) { return el("option", { value: o.id, text: o.label }); }));
        field.value = value || "";
        return el("label", { class: "t-sheet__field" }, [el("span", { text: label }), field]);
      }
      function drawWhere() {
        clear(where);
        if (!carried) { where.appendChild(el("p", { class: "t-muted", text: T.none })); return; }
        where.appendChild(el("fieldset", { class: "t-sheet__ways" }, [el("legend", { text: T.mall_how })].concat(ways.map(function (way) {
          return el("label", { class: "t-sheet__way" }, [
            el("input", { type: "radio", name: "mall-way", value: way, checked: choice.type === way ? "" : null,
                          onchange: function () { choice.type = way; drawWhere(); reprice(); } }),
            el("span", { text: T[way] || way })]);
        }))));
        if (choice.type === "express" || choice.type === "same_city") {
          if (!addresses.length) where.appendChild(el("p", { class: "t-sheet__problem", text: T.mall_no_address }));
          else where.appendChild(select(T.mall_address, addresses.map(function (a) { return { id: a.id, label: a.name + " · " + a.region + " " + a.line }; }),
                                        choice.address_id, function (v) { choice.address_id = v; }, "address_id"));
        }
        if (choice.type === "pickup" || choice.type === "same_city") {
          where.appendChild(select(T.mall_store, stores.map(function (s) { return { id: s.id, label: s.name }; }),
                                   choice.store_id, function (v) { choice.store_id = v; }, "store_id"));
        }
      }
      const most = Math.max(1, Math.min(99, item.per_member_limit || 99, Math.floor(member.points.available / item.points)));
      const quantity = el("input", { class: "weui-input t-sheet__quantity", type: "number", min: "1", max: String(most), value: "1",
                                     name: "quantity", inputmode: "numeric", "aria-label": T.mall_quantity,
                                     onchange: function () {
                                       choice.quantity = Math.max(1, Math.min(most, parseInt(quantity.value, 10) || 1));
                                       quantity.value = String(choice.quantity);
                                       reprice();
                                     } });
      let asked = 0;
      function reprice() {
        const mine = ++asked;
        confirm.disabled = true;
        clear(problem);
        api("POST", "/points-mall/" + item.id + "/quote", { quantity: choice.quantity, fulfillment: fulfillment() }).then(function (quoted) {
          if (mine !== asked) return;
          const delivery = quoted.pricing.filter(function (s) { return s.step === "shipping" && s.amount.amount; })[0];
          clear(total).appendChild(el("p", { class: "t-sheet__points", "data-mall-takes": item.points * choice.quantity,
                                             text: say(T.mall_takes, { points: number(item.points * choice.quantity) }) }));
          if (delivery) total.appendChild(el("p", { class: "t-muted", text: say(T.mall_delivery, { amount: money(delivery.amount) }) }));
          total.appendChild(el("p", { class: "t-sheet__pay", "data-mall-pay": quoted.total.amount, text: say(T.mall_pay, { amount: money(quoted.total) }) }));
          confirm.disabled = false;
        }).catch(function (error) { if (mine === asked) { clear(total); message(problem, error.message, "warn"); } });
      }
      confirm.addEventListener("click", function () {
        confirm.disabled = true;
        api("POST", "/points-mall/" + item.id + "/redeem", { quantity: choice.quantity, fulfillment: fulfillment() },
            { "Idempotency-Key": key }).then(function (placed) {
          const order = placed.order;
          if (order.status !== "pending_payment") { location.href = base + "/orders/" + order.id; return; }
          return toPay(order.id).catch(function () { location.href = base + "/orders/" + order.id; });
        }).catch(function (error) { confirm.disabled = false; message(problem, error.message, "warn"); });
      });
      clear(body);
      body.append(
        el("div", { class: "t-sheet__head" }, [picture(item.image, item.name, "t-sheet__picture"),
          el("div", {}, [el("p", { class: "t-mall__name", text: item.name }),
                         el("p", { class: "t-mall__price", text: priceOf(item.points, item.cash) })])]),
        el("label", { class: "t-sheet__field" }, [el("span", { text: T.mall_quantity }), quantity]),
        where, total, problem,
        el("div", { class: "t-sheet__actions" }, [
          el("button", { class: "weui-btn weui-btn_default t-btn t-btn--ghost", type: "button", "data-mall-cancel": "",
                         onclick: function () { dialog.close(); } }, [T.mall_cancel]), confirm]));
      drawWhere();
      reprice();
    }).catch(function (error) { message(body, error.message, "warn"); });
  }
});

// -- the points balance ----------------------------------------------------------------------------
mount("points_balance", function (root) {
  if (!token()) {
    clear(root).appendChild(el("a", { class: "t-card t-pad t-balance", "data-points-balance": "signed-out",
                                      href: base + "/account/login?next=" + here(), text: T.balance_sign_in }));
    return;
  }
  api("GET", "/me/member").then(function (answer) {
    const p = answer.member.points;
    clear(root).appendChild(el("a", { class: "t-card t-pad t-balance", "data-points-balance": p.available,
                                      href: base + "/my/points_history" }, [
      el("span", { class: "t-balance__points", text: say(T.mall_my_points, { n: number(p.available) }) }),
      p.expiring ? el("span", { class: "t-muted t-balance__expiring",
                                text: say(T.member_expiring, { n: number(p.expiring), date: new Date(p.expiring_at).toLocaleDateString(lang) }) }) : null,
      el("span", { class: "t-balance__more", text: T.balance_history })]));
  }).catch(failer(root));
});

// -- the task centre -------------------------------------------------------------------------------
const TASKS = { sign_in: "task_sign_in", profile: "task_profile", first_order: "task_first_order" };

mount("task_list", function (root, settings) {
  const title = settings.title ? el("h2", { class: "t-tasks__title", text: settings.title }) : null;
  if (!token()) {
    clear(root).appendChild(el("section", { class: "t-card t-pad t-tasks", "data-tasks": "signed-out" }, [title,
      el("p", { class: "t-muted t-tasks__join" }, [T.task_join + " ",  // a link: the member card above asks with a button
        el("a", { href: base + "/account/login?next=" + here(), text: T.task_join_button })])]));
    return;
  }
  const fail = failer(root);
  api("GET", "/me/tasks").then(function (answer) { draw(answer.tasks); }).catch(fail);

  function draw(tasks, collected) {
    const list = el("ul", { class: "t-tasks__list" }, tasks.map(task));
    clear(root).appendChild(el("section", { class: "t-card t-pad t-tasks", "data-tasks": "" }, [title,
      collected ? el("p", { class: "t-tasks__collected", role: "status", "data-task-collected": collected, text: say(T.task_collected, { n: number(collected) }) }) : null,
      list]));
  }
  function task(t) {
    let action;
    if (t.claimed) action = el("span", { class: "t-tasks__done", text: T.task_done });
    else if (t.key === "sign_in") action = button(T.task_go, function (event) {
      event.target.disabled = true;
      api("POST", "/me/sign-in").then(function (answer) {
        return api("GET", "/me/tasks").then(function (again) { draw(again.tasks, answer.sign_in.points); });
      }).catch(function (error) { event.target.disabled = false; message(root, error.message, "warn"); });
    });
    else if (t.done) action = button(T.task_claim, function (event) {
      event.target.disabled = true;
      api("POST", "/me/tasks/" + t.key + "/claim").then(function (answer) { draw(answer.tasks, answer.points); })
        .catch(function (error) { event.target.disabled = false; message(root, error.message, "warn"); });
    });
    else if (t.key === "profile") action = birthday();
    else action = el("a", { class: "weui-btn weui-btn_mini weui-btn_default t-btn", href: base + "/", text: T.task_go });
    return el("li", { class: "t-tasks__task", "data-task": t.key, "data-task-state": t.claimed ? "claimed" : (t.done ? "done" : "todo") }, [
      el("div", { class: "t-tasks__what" }, [
        el("p", { class: "t-tasks__name", text: T[TASKS[t.key]] || t.key }),
        el("p", { class: "t-muted", text: "+" + say(T.mall_points, { n: number(t.points) }) + " · " + (t.daily ? T.task_daily : T.task_once) }),
        t.key === "profile" && !t.done ? el("p", { class: "t-muted", text: T.task_profile_hint }) : null]),
      action]);
  }
  function button(label, onclick) {
    return el("button", { class: "weui-btn weui-btn_mini weui-btn_primary t-btn", type: "button", onclick: onclick }, [label]);
  }
  function birthday() {  // the profile task asks for the birthday in place
    const input = el("input", { class: "weui-input t-tasks__date", type: "date", name: "birthday", "aria-label": T.task_birthday,
                                max: new Date().toISOString().slice(0, 10) });
    return el("form", { class: "t-tasks__form", onsubmit: function (event) {
      event.preventDefault();
      if (!input.value) return;
      api("PATCH", "/me/member", { birthday: input.value }).then(function () { return api("GET", "/me/tasks"); })
        .then(function (answer) { draw(answer.tasks); })
        .catch(function (error) { message(root, error.message, "warn"); });
    } }, [input, el("button", { class: "weui-btn weui-btn_mini weui-btn_primary t-btn", type: "submit" }, [T.task_save])]);
  }
});

// -- my redemptions --------------------------------------------------------------------------------
mount("redemption_records", function (root) {
  if (!token()) return signIn();
  const fail = failer(root);
  api("GET", "/me/redemptions?limit=20").then(function (page) {
    clear(root);
    if (!page.redemptions.length) { root.appendChild(el("p", { class: "t-empty", text: T.records_none })); return; }
    const list = root.appendChild(el("ul", { class: "t-card t-records", "aria-label": T.mall_records }));
    function record(r) {
      return el("li", { class: "t-records__entry", "data-redemption": r.order_id }, [
        el("a", { class: "t-records__link", href: base + "/orders/" + r.order_id }, [
          picture(r.image, r.name, "t-records__picture"),
          el("div", { class: "t-records__what" }, [
            el("p", { class: "t-mall__name", text: r.name + (r.quantity > 1 ? " × " + r.quantity : "") }),
            el("p", { class: "t-mall__price", text: say(T.mall_points, { n: number(r.points) }) }),
            r.paid.amount ? el("p", { class: "t-muted", text: say(T.records_paid, { amount: money(r.paid) }) }) : null,
            el("p", { class: "t-muted", text: new Date(r.created_at).toLocaleDateString(lang) })]),
          el("span", { class: "t-records__status", "data-status": r.status, text: statusLabel(r.status) })])]);
    }
    pagedList(root, list, page, { key: "redemptions", draw: record, path: "/me/redemptions?limit=20",
                                  label: T.records_more, attrs: { "data-records-more": "" }, fail: fail });
  }).catch(fail);
});
