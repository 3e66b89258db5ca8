// The consumer's bookings: upcoming and past, newest first, a page at a time, with who serves and
// the photos staff took of the work; a paid booking still to come may be cancelled (the shop's
// rules say how much is refunded).
import { T, api, base, card, clear, el, failer, ghostButton, message, money, mount, pagedList, signIn, token, zone }
  from "../../runtime-static/h5/kit.js";

const lang = document.documentElement.lang || undefined;
const TABS = ["upcoming", "past"];

function say(text, values) {
  return Object.keys(values).reduce(function (out, key) { return out.replace("{" + key + "}", values[key]); }, text);
}
function when(b) {
  if (b.first_night) {  // calendar dates: counted in UTC so that no clock moves them
    const day = { timeZone: "UTC" };
    const leaving = new Date(b.last_night + "T00:00:00Z");
    leaving.setUTCDate(leaving.getUTCDate() + 1);
    return say(T.bookings_nights, { from: new Date(b.first_night + "T00:00:00Z").toLocaleDateString(lang, day),
                                   to: leaving.toLocaleDateString(lang, day) });
  }
  const start = new Date(b.starts_at), end = new Date(b.ends_at);
  const clock = { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  return start.toLocaleDateString(lang, { timeZone: zone, weekday: "short", month: "short", day: "numeric" }) + " " +
    start.toLocaleTimeString(lang, clock) + "–" + end.toLocaleTimeString(lang, clock);
}

mount("my_bookings", function (root) {
  if (!token()) return signIn();
  const fail = failer(root);
  const status = new URLSearchParams(location.search).get("status") === "past" ? "past" : "upcoming";
  const path = "/me/bookings?status=" + status + "&limit=20";
  api("GET", path).then(function (page) {
    clear(root);
    root.appendChild(el("nav", { class: "t-tabs", "aria-label": T.bookings_upcoming }, TABS.map(function (tab) {
      return el("a", { class: "t-tab", href: location.pathname + "?status=" + tab, "aria-current": tab === status ? "page" : null,
                       "data-tab": tab }, [T["bookings_" + tab]]);
    })));
    if (!page.bookings.length) { root.appendChild(el("p", { class: "t-empty", text: T.bookings_none })); return; }
    const list = root.appendChild(el("div", { class: "t-bookings" }));
    function draw(b) {
      const places = b.quantity - b.refunded_quantity;
      const state = el("span", { class: "t-booking__status", "data-status": b.status, text: T["booking_" + b.status] || b.status });
      const body = [
        el("div", { class: "t-booking__head" }, [el("strong", { class: "t-booking__name", text: b.name }), state]),
        el("p", { class: "t-booking__when", text: when(b) }),
        places > 1 ? el("p", { class: "t-muted", text: say(T.bookings_places, { n: places }) }) : null,
        b.staff_name ? el("p", { class: "t-muted", "data-served-by": "", text: say(T.bookings_served_by, { name: b.staff_name }) }) : null,
        b.photos.length ? el("div", { class: "t-booking__photos", "data-photos": "" }, b.photos.map(function (p) {
          // the photos staff took of the work (on arrival, on completion): a tap opens the full one
          return el("a", { href: p.url, target: "_blank", rel: "noopener" }, [el("img", {
            src: p.thumbnail, loading: "lazy", alt: p.stage === "arrival" ? T.bookings_photo_arrival : T.bookings_photo_completion })]);
        })) : null,
        el("a", { class: "t-link", href: base + "/orders/" + b.order_id }, [T.bookings_order])];
      if (b.status === "confirmed" && status === "upcoming") {
        body.push(ghostButton(T.bookings_cancel, function (event) {
          const pressed = event.currentTarget;
          if (!window.confirm(T.bookings_cancel_ask)) return;
          pressed.disabled = true;
          api("POST", "/me/bookings/" + b.id + "/cancel").then(function (answer) {
            state.textContent = T.booking_cancelled;
            state.setAttribute("data-status", "cancelled");
            pressed.remove();
            message(root, say(T.bookings_cancelled, { amount: money(answer.after_sale.amount) }), "ok");
          }).catch(function (error) { pressed.disabled = false; fail(error); });
        }, { "data-cancel": b.id }));
      }
      return card(body, { class: "t-card t-pad t-booking", "data-booking": b.id });
    }
    pagedList(root, list, page, { key: "bookings", draw: draw, path: path, label: T.bookings_more,
                                  attrs: { "data-bookings-more": "" }, fail: fail });
  }).catch(fail);
});
