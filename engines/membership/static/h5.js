// The membership engine's H5 views: the member card (tier, growth, points, the daily sign-in), the
// consumer's points ledger and stored value (the balance, recharge plans, the statement).
import { T, api, base, clear, el, failer, message, mount, pagedList, signIn, token } from "../../runtime-static/h5/kit.js";
import { payChoice, payOrder, providers } from "../orders/h5.js";

const lang = document.documentElement.lang || undefined;
const pointsPage = base + "/my/points_history";

function number(n) { return Number(n || 0).toLocaleString(lang); }
function date(iso) { return iso ? new Date(iso).toLocaleDateString(lang) : ""; }
function moment(iso) {
  const d = new Date(iso);
  return d.toLocaleDateString(lang) + " " + d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}
function say(text, values) {
  return Object.keys(values).reduce(function (out, key) { return out.replace("{" + key + "}", values[key]); }, text);
}

// Points available (a link to the ledger) and pending, and those about to expire.
function figures(member) {
  const p = member.points;
  return [el("div", { class: "t-member-card__figures" }, [
    el("a", { class: "t-member-card__figure", href: pointsPage, "data-points-available": p.available }, [
      el("strong", { text: number(p.available) }), el("span", { text: T.member_points })]),
    el("div", { class: "t-member-card__figure", "data-points-frozen": p.frozen }, [
      el("strong", { text: number(p.frozen) }), el("span", { text: T.member_frozen })])]),
    p.expiring ? el("p", { class: "t-muted t-member-card__expiring", "data-points-expiring": p.expiring,
      text: say(T.member_expiring, { n: number(p.expiring), date: date(p.expiring_at) }) }) : null];
}

// The growth still needed for the next tier, with a bar from this tier to the next.
function growth(member) {
  const tier = member.tier, next = member.next_tier, from = tier ? tier.threshold : 0;
  if (!next) return tier ? [el("p", { class: "t-muted t-member-card__growth", text: T.member_top_tier })] : [];
  return [el("p", { class: "t-muted t-member-card__growth", "data-growth-needed": next.growth_needed,
                    text: say(T.member_to_next, { n: number(next.growth_needed), tier: next.name }) }),
    el("progress", { class: "t-member-card__bar", max: next.threshold - from, value: Math.max(0, member.growth - from),
                     "aria-label": say(T.member_growth, { growth: number(member.growth), threshold: number(next.threshold) }) })];
}

mount("member_card", function (root, settings) {
  const title = settings.title ? el("h2", { class: "t-member-card__title", text: settings.title }) : null;
  if (!token()) {
    clear(root).appendChild(el("section", { class: "t-card t-pad t-member-card", "data-member-card": "signed-out" }, [title,
      el("p", { class: "t-muted t-member-card__join", text: T.member_join }),
      el("a", { class: "weui-btn weui-btn_primary t-btn", href: base + "/account/login?next=" + encodeURIComponent(location.pathname + location.search),
                "data-member-join": "" }, [T.member_join_button])]));
    return;
  }
  api("GET", "/me/member").then(function (answer) { draw(answer.member); }).catch(failer(root));

  function draw(member, signedIn) {
    const tier = member.tier;
    let today = null;
    if (member.signed_in_today) {
      today = el("p", { class: "t-member-card__signed", "data-signed-in": member.streak }, [say(T.member_signed_in, { n: number(member.streak) }),
        signedIn ? el("span", { class: "t-member-card__earned", "data-earned": signedIn.points, text: " " + say(T.member_earned, { n: number(signedIn.points) }) }) : null]);
    } else if (settings.showSignIn !== "false") {
      today = el("button", { class: "weui-btn weui-btn_mini weui-btn_primary t-btn", type: "button", "data-member-sign-in": "",
        onclick: function (event) {
          event.target.disabled = true;
          api("POST", "/me/sign-in").then(function (answer) { draw(answer.member, answer.sign_in); })
            .catch(function (error) { event.target.disabled = false; message(root, error.message); });
        } }, [T.member_sign_in]);
    }
    clear(root).appendChild(el("section", { class: "t-card t-pad t-member-card", "data-member-card": "" }, [title,
      el("div", { class: "t-member-card__head" }, [
        el("p", { class: "t-member-card__tier", "data-tier": tier ? tier.name : "", text: tier ? tier.name : T.member_no_tier }), today])]
      .concat(growth(member), figures(member))));
  }
});

// -- the ledger ------------------------------------------------------------------------------------
// What an entry says besides its kind: its order, and the shop's own words (a staff adjustment's
// reason, an automation's name, the recharge plan bought) — the engine's other notes are English, for the back office.
const NOTED = ["adjustment", "reward", "recharge"];
function details(e) {
  return [e.order_number ? el("p", { class: "t-muted t-points__note", "data-order-number": e.order_number,
                                     text: say(T.entry_order, { number: e.order_number }) }) : null,
          e.note && NOTED.indexOf(e.kind) >= 0 ? el("p", { class: "t-muted t-points__note", text: e.note }) : null];
}
function entry(e) {
  const credit = e.amount > 0;
  return el("li", { class: "t-points__entry", "data-points-entry": e.id, "data-kind": e.kind }, [
    el("div", { class: "t-points__what" }, [
      el("p", { class: "t-points__kind", text: T["points_kind_" + e.kind] || e.kind.replace(/_/g, " ") }),
      ...details(e),
      el("p", { class: "t-muted", text: moment(e.created_at) })]),
    el("div", { class: "t-points__how" }, [
      el("p", { class: "t-points__amount " + (credit ? "is-credit" : "is-debit"), "data-amount": e.amount,
                text: (credit ? "+" : "−") + number(Math.abs(e.amount)) }),
      el("p", { class: "t-muted", text: say(T.points_balance, { n: number(e.balance_after) }) })])]);
}

mount("points_history", function (root) {
  if (!token()) return signIn();
  const fail = failer(root);
  Promise.all([api("GET", "/me/member"), api("GET", "/me/points?limit=20")]).then(function (loaded) {
    const member = loaded[0].member, page = loaded[1];
    clear(root);
    root.appendChild(el("section", { class: "t-card t-pad t-points__summary", "data-points-summary": member.points.available }, [
      el("p", { class: "t-points__total", text: say(T.points_available, { n: number(member.points.available) }) }),
      member.points.frozen ? el("p", { class: "t-muted", text: T.member_frozen + " " + number(member.points.frozen) }) : null,
      member.points.expiring ? el("p", { class: "t-muted", text: say(T.member_expiring, { n: number(member.points.expiring), date: date(member.points.expiring_at) }) }) : null]));
    if (!page.entries.length) { root.appendChild(el("p", { class: "t-empty", text: T.points_none })); return; }
    const list = root.appendChild(el("ul", { class: "t-card t-points", "aria-label": T.member_my_points }));
    pagedList(root, list, page, { key: "entries", draw: entry, path: "/me/points?limit=20", label: T.points_more,
                                  attrs: { "data-points-more": "" }, fail: fail });
  }).catch(fail);
});

// -- stored value ----------------------------------------------------------------------------------
function signedMoney(m) { return (m.amount > 0 ? "+" : "") + m.display; }

// A movement of the balance: what it was, and what it did to each part (the bonus on its own line).
function walletEntry(e) {
  const main = e.principal.amount || !e.bonus.amount ? e.principal : e.bonus;
  const credit = main.amount > 0;
  return el("li", { class: "t-points__entry", "data-wallet-entry": e.id, "data-kind": e.kind }, [
    el("div", { class: "t-points__what" }, [
      el("p", { class: "t-points__kind", text: T["wallet_kind_" + e.kind] || e.kind.replace(/_/g, " ") }),
      ...details(e),
      el("p", { class: "t-muted", text: moment(e.created_at) })]),
    el("div", { class: "t-points__how" }, [
      el("p", { class: "t-points__amount " + (credit ? "is-credit" : "is-debit"), "data-amount": main.amount,
                text: main === e.bonus ? say(T.wallet_bonus_part, { amount: signedMoney(main) }) : signedMoney(main) }),
      main !== e.bonus && e.bonus.amount ? el("p", { class: "t-muted", "data-bonus": e.bonus.amount,
        text: say(T.wallet_bonus_part, { amount: signedMoney(e.bonus) }) }) : null])]);
}

// The balance, with what the member paid in and the bonus apart.
function balanceCard(title, held) {
  return el("section", { class: "t-card t-pad t-member-card", "data-wallet": held.total.amount }, [title,
    el("p", { class: "t-muted t-member-card__join", text: T.wallet_balance }),
    el("p", { class: "t-member-card__tier", "data-balance": held.total.amount, text: held.total.display }),
    el("div", { class: "t-member-card__figures" }, [
      el("div", { class: "t-member-card__figure", "data-principal": held.principal.amount }, [
        el("strong", { text: held.principal.display }), el("span", { text: T.wallet_principal })]),
      el("div", { class: "t-member-card__figure", "data-bonus": held.bonus.amount }, [
        el("strong", { text: held.bonus.display }), el("span", { text: T.wallet_bonus })])])]);
}

mount("recharge_plans", function (root, settings) {
  const title = settings.title ? el("h2", { class: "t-member-card__title", text: settings.title }) : null;
  if (!token()) {
    clear(root).appendChild(el("section", { class: "t-card t-pad t-member-card", "data-wallet": "signed-out" }, [title,
      el("p", { class: "t-muted t-member-card__join", text: T.wallet_join }),
      el("a", { class: "weui-btn weui-btn_primary t-btn", href: base + "/account/login?next=" + encodeURIComponent(location.pathname + location.search),
                "data-wallet-join": "" }, [T.wallet_join_button])]));
    return;
  }
  const fail = failer(root);
  const recharged = new URLSearchParams(location.search).get("recharged");  // back from paying a recharge
  Promise.all([api("GET", "/me/wallet?limit=20"), api("GET", "/recharge-plans"), providers(),
               recharged ? api("GET", "/orders/" + encodeURIComponent(recharged)).catch(function () { return null; }) : null])
    .then(function (loaded) {
      const statement = loaded[0], plans = loaded[1].plans, back = loaded[3] && loaded[3].order;
      const ways = loaded[2].filter(function (p) { return p.name !== "balance"; });  // a recharge is paid with money
      clear(root);
      let shown = root.appendChild(balanceCard(title, statement.wallet));
      if (back) {
        history.replaceState(null, "", location.pathname);  // said once, not again on a reload
        const paid = back.status === "paid" || back.status === "completed";
        message(root, paid ? T.recharge_paid : T.recharge_unpaid, paid ? "ok" : "error");
        if (back.status === "paid") {  // paid, the credit on its way (a job): the balance once more in a moment
          setTimeout(function () {
            api("GET", "/me/wallet?limit=1").then(function (answer) {
              const fresh = balanceCard(title, answer.wallet);
              root.replaceChild(fresh, shown);
              shown = fresh;
            }).catch(function () { return null; });
          }, 3000);
        }
      }

      const payWith = ways.length > 1 ? payChoice({ offered: ways, wallet: null }) : null;
      const tiles = plans.map(function (plan) {
        return el("button", { class: "t-member-card__figure t-btn--ghost", type: "button", "data-plan": plan.id,
                              onclick: function () { buy(plan); } }, [
          el("strong", { text: say(T.recharge_pay, { amount: plan.pay.display }) }), " ",  // read as "Pay ¥100.00 get ¥110.00"
          el("span", { text: say(T.recharge_gets, { amount: plan.gets.display }) })]);
      });
      function buy(plan) {  // the plan ordered, then paid as any order: back here when paid
        tiles.forEach(function (tile) { tile.disabled = true; });
        api("POST", "/recharge-plans/" + plan.id + "/buy").then(function (answer) {
          const order = answer.order;
          return payOrder(order.id, payWith ? payWith.chosen() : ways[0].name, location.pathname + "?recharged=" + order.id);
        }).catch(function (error) {
          tiles.forEach(function (tile) { tile.disabled = false; });
          fail(error);
        });
      }
      let offer;
      if (!plans.length) offer = el("p", { class: "t-muted", "data-no-plans": "", text: T.recharge_none });
      else if (!ways.length) offer = el("p", { class: "t-muted", "data-no-payments": "", text: T.no_payments });
      else offer = el("div", { class: "t-member-card__figures" }, tiles);
      root.appendChild(el("section", { class: "t-card t-pad", "data-recharge-plans": "" }, [
        el("h2", { class: "t-member-card__title", text: T.recharge }), offer]));
      if (payWith && plans.length) root.appendChild(payWith.node);

      root.appendChild(el("h2", { class: "t-coupons__title", text: T.wallet_statement }));
      if (!statement.entries.length) { root.appendChild(el("p", { class: "t-empty", "data-wallet-none": "", text: T.wallet_none })); return; }
      const list = root.appendChild(el("ul", { class: "t-card t-points", "aria-label": T.wallet_statement }));
      pagedList(root, list, statement, { key: "entries", draw: walletEntry, path: "/me/wallet?limit=20",
                                         label: T.wallet_more, attrs: { "data-wallet-more": "" }, fail: fail });
    }).catch(fail);
});
