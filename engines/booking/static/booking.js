// The booking page's picker, drawn from the consumer API (GET /booking/availability):
// - a service: the days ahead, each day's free times (in the shop's time zone), and who serves —
//   the first available or a chosen staff member;
// - an event: its sessions to come with the tickets left of the chosen type, and the registration form;
// - a room type: a calendar of nights with their prices, the day of arrival then the day of leaving.
// Then to checkout with the line naming its slot, session or dates (signed in first).
// Below it, the reviews of what is booked (the catalog's reviews block).
import { T, api, base, clear, el, message, token, zone } from "../../runtime-static/h5/kit.js";
import { itemReviews } from "../catalog/reviews.js";

const lang = document.documentElement.lang || undefined;
const DAY_MS = 86400000;
const SERVICE_DAYS = 14;  // a service's days asked at once
const EVENT_DAYS = 62;  // the most the availability answers at once
const ROOM_DAYS = 56;  // eight weeks of nights at once

function say(text, values) {
  return Object.keys(values).reduce(function (out, key) { return out.replace("{" + key + "}", values[key]); }, text);
}
// Dates are the shop's calendar days ("YYYY-MM-DD"), counted in UTC so no local clock shifts them.
function dayOf(text) { return new Date(text + "T00:00:00Z"); }
function isoDay(date) { return date.toISOString().slice(0, 10); }
function addDays(text, n) { return isoDay(new Date(dayOf(text).getTime() + n * DAY_MS)); }
function todayIn(zone) { return new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(new Date()); }
function dayLabel(text, options) { return dayOf(text).toLocaleDateString(lang, Object.assign({ timeZone: "UTC" }, options)); }

function bookingForm(form) {
  const shape = form.getAttribute("data-shape");
  const horizon = parseInt(form.getAttribute("data-horizon"), 10) || 90;
  const picker = form.querySelector("[data-picker]"), go = form.querySelector("[data-book-now]");
  const resourceId = form.getAttribute("data-booking");
  const today = todayIn(zone), lastDay = addDays(today, horizon);
  const clock = new Intl.DateTimeFormat(lang, { timeZone: zone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  let chosen = null;  // what the line books: {start, staff_id?} | {session_id} | {from, to}

  function sku() { const on = form.querySelector("input[name=sku]:checked") || form.querySelector("input[name=sku]"); return on.value; }
  function ready(booking, note) {
    chosen = booking;
    go.disabled = !booking;
    form.querySelector("[data-book-message]").textContent = note || "";
  }
  function ask(from, to, extra) {
    return api("GET", "/booking/availability?resource=" + resourceId + "&from=" + from + "&to=" + to + (extra || ""));
  }
  function pager(from, step, load) {  // Earlier / Later, within today and the horizon
    const earlier = el("button", { type: "button", class: "weui-btn weui-btn_mini weui-btn_default t-btn t-btn--ghost", "data-earlier": "",
                                   disabled: from <= today ? "disabled" : null, onclick: function () { load(addDays(from, -step)); } }, [T.book_earlier]);
    const later = el("button", { type: "button", class: "weui-btn weui-btn_mini weui-btn_default t-btn t-btn--ghost", "data-later": "",
                                 disabled: addDays(from, step) > lastDay ? "disabled" : null, onclick: function () { load(addDays(from, step)); } }, [T.book_later]);
    return el("div", { class: "t-book__pager" }, [earlier, later]);
  }
  function failed(error) { clear(picker); picker.removeAttribute("aria-busy"); message(picker, error.message); }
  // While the picker asks again (another staff member, earlier or later days), what it shows is
  // of the last answer: nothing in it can be chosen until the new one is drawn.
  function busy() {
    picker.setAttribute("aria-busy", "true");
    picker.querySelectorAll("input, button").forEach(function (control) { control.disabled = true; });
  }

  // -- a service: days, times, who serves ---------------------------------------------------------
  function service() {
    const staffIds = JSON.parse(form.getAttribute("data-staff") || "[]"), staffNames = JSON.parse(form.getAttribute("data-staff-names") || "[]");
    let staffId = "", from = today, day = null;
    function load(start) {
      from = start < today ? today : start;
      ready(null);
      busy();
      ask(from, addDays(from, SERVICE_DAYS - 1), staffId ? "&staff_id=" + staffId : "").then(draw).catch(failed);
    }
    function draw(answer) {
      clear(picker);
      picker.removeAttribute("aria-busy");
      if (staffIds.length) {
        const who = el("fieldset", { class: "t-book__staff", "data-choose-staff": "" }, [el("legend", { class: "t-muted", text: T.book_staff })]);
        [["", T.book_any_staff]].concat(staffIds.map(function (id, i) { return [id, staffNames[i]]; })).forEach(function (pair) {
          who.appendChild(el("label", { class: "t-chip" }, [el("input", { type: "radio", name: "staff", value: pair[0], checked: pair[0] === staffId ? "checked" : null,
            onchange: function () { staffId = pair[0]; load(from); } }), " " + pair[1]]));
        });
        picker.appendChild(who);
      }
      const open = answer.days.filter(function (d) { return d.slots.some(function (s) { return s.left > 0; }); });
      if (!day || !answer.days.some(function (d) { return d.date === day && d.slots.some(function (s) { return s.left > 0; }); })) {
        day = open.length ? open[0].date : (answer.days[0] || {}).date;
      }
      const days = el("div", { class: "t-book__days", role: "radiogroup", "aria-label": T.book_day, "data-days": "" });
      answer.days.forEach(function (d) {
        const free = d.slots.some(function (s) { return s.left > 0; });
        days.appendChild(el("button", { type: "button", class: "t-book__day" + (d.date === day ? " is-on" : ""), role: "radio",
          "aria-checked": d.date === day ? "true" : "false", disabled: free ? null : "disabled", "data-day": d.date,
          onclick: function () { day = d.date; draw(answer); } },
          [el("span", { class: "t-book__weekday", text: dayLabel(d.date, { weekday: "short" }) }),
           el("span", { class: "t-book__date", text: dayLabel(d.date, { month: "numeric", day: "numeric" }) })]));
      });
      picker.appendChild(days);
      picker.appendChild(pager(from, SERVICE_DAYS, load));
      const times = el("fieldset", { class: "t-book__times", "data-times": "" }, [el("legend", { class: "t-muted", text: T.book_time })]);
      const shown = (answer.days.filter(function (d) { return d.date === day; })[0] || { slots: [] }).slots;
      if (!shown.some(function (s) { return s.left > 0; })) times.appendChild(el("p", { class: "t-muted", "data-none-free": "", text: T.book_none_free }));
      shown.forEach(function (s) {
        const capacity = parseInt(form.getAttribute("data-capacity"), 10) || 1;
        const label = clock.format(new Date(s.start)) + (s.left <= 0 ? " · " + T.book_full : capacity > 1 ? " · " + say(T.book_left, { n: s.left }) : "");
        times.appendChild(el("label", { class: "t-chip" + (s.left <= 0 ? " is-disabled" : "") }, [el("input", { type: "radio", name: "slot", value: s.start,
          disabled: s.left <= 0 ? "disabled" : null, "data-slot": s.start,
          onchange: function () { ready(staffId ? { start: s.start, staff_id: staffId } : { start: s.start }); } }), " " + label]));
      });
      picker.appendChild(times);
      ready(null, T.book_choose_slot);
    }
    load(today);
  }

  // -- an event: sessions and tickets -------------------------------------------------------------
  function event() {
    let answer = null;
    function draw() {
      clear(picker);
      const open = answer.sessions.filter(function (s) { return s.status === "on_sale"; });
      if (!open.length) { picker.appendChild(el("p", { class: "t-muted", "data-no-sessions": "", text: T.book_no_sessions })); ready(null); return; }
      const list = el("fieldset", { class: "t-book__sessions", "data-sessions": "" }, [el("legend", { class: "t-muted", text: T.book_sessions })]);
      const ticket = sku();
      open.forEach(function (s) {
        const left = (s.tickets.filter(function (t) { return t.sku_id === ticket; })[0] || { left: 0 }).left;
        const start = new Date(s.starts_at);
        const text = start.toLocaleDateString(lang, { timeZone: zone, weekday: "short", month: "short", day: "numeric" }) + " " +
          clock.format(start) + "–" + clock.format(new Date(s.ends_at)) + (s.place ? " · " + s.place : "") +
          " · " + (left > 0 ? say(T.book_left, { n: left }) : T.book_full);
        list.appendChild(el("label", { class: "t-radio" + (left > 0 ? "" : " is-disabled"), "data-session": s.id }, [el("input", { type: "radio", name: "session", value: s.id,
          disabled: left > 0 ? null : "disabled", onchange: function () { ready({ session_id: s.id }); } }), text]));
      });
      picker.appendChild(list);
      ready(null, T.book_choose_session);
    }
    form.querySelectorAll("input[name=sku]").forEach(function (input) { input.addEventListener("change", function () { if (answer) draw(); }); });
    ask(today, addDays(today, EVENT_DAYS - 1)).then(function (found) { answer = found; draw(); }).catch(failed);
  }

  // -- a room type: arrival and departure on a calendar of nights ---------------------------------
  function room() {
    const low = parseInt(form.getAttribute("data-min-stay"), 10) || 1, high = parseInt(form.getAttribute("data-max-stay"), 10) || 30;
    let from = today, nights = {}, arrive = null, leave = null;
    function load(start) {
      from = start < today ? today : start;
      ask(from, addDays(from, ROOM_DAYS - 1), "&sku_id=" + sku()).then(function (answer) {
        answer.nights.forEach(function (n) { nights[n.date] = n; });
        draw();
      }).catch(failed);
    }
    function free(first, last) {  // every night from the first to the last has a room
      for (let d = first; d <= last; d = addDays(d, 1)) { if (!nights[d] || nights[d].left <= 0) return false; }
      return true;
    }
    function pick(date) {
      const open = nights[date] && nights[date].left > 0;  // a night with no room left is only a day of leaving
      if (!arrive || leave || date <= arrive) { arrive = open ? date : null; leave = null; }
      else {
        const count = Math.round((dayOf(date) - dayOf(arrive)) / DAY_MS);
        if (count < low || count > high) { form.querySelector("[data-book-message]").textContent = say(T.book_stay_rule, { low: low, high: high }); return; }
        if (!free(arrive, addDays(date, -1))) { arrive = open ? date : null; leave = null; }
        else leave = date;
      }
      draw();
    }
    function draw() {
      clear(picker);
      const grid = el("div", { class: "t-book__calendar", "data-calendar": "" });
      let month = null;
      const first = dayOf(from), offset = (first.getUTCDay() + 6) % 7;  // weeks start on Monday
      for (let i = -offset; i < ROOM_DAYS; i++) {
        const date = addDays(from, i);
        if (date.slice(0, 7) !== month && i >= 0) {
          month = date.slice(0, 7);
          grid.appendChild(el("p", { class: "t-book__month", text: dayLabel(date, { year: "numeric", month: "long" }) }));
          const pad = (dayOf(date).getUTCDay() + 6) % 7;
          for (let p = 0; p < pad; p++) grid.appendChild(el("span", { class: "t-book__blank" }));
        }
        if (i < 0) continue;
        const night = nights[date], open = night && night.left > 0;
        const inStay = arrive && leave && date >= arrive && date < leave;
        const canLeave = arrive && !leave && date > arrive;  // the day of leaving needs no room that night
        grid.appendChild(el("button", { type: "button", class: "t-book__night" + (date === arrive || date === leave ? " is-on" : inStay ? " is-in" : ""),
          disabled: open || canLeave ? null : "disabled", "data-night": date, "aria-pressed": date === arrive || date === leave || inStay ? "true" : "false",
          "aria-label": dayLabel(date, { month: "long", day: "numeric" }) + (open ? " · " + night.price.display : " · " + T.book_closed),
          onclick: function () { pick(date); } },
          [el("span", { class: "t-book__daynum", text: String(dayOf(date).getUTCDate()) }),
           el("span", { class: "t-book__price", text: open ? night.price.display : "—" })]));
      }
      picker.appendChild(grid);
      picker.appendChild(pager(from, ROOM_DAYS, load));
      if (arrive && leave) {
        const count = Math.round((dayOf(leave) - dayOf(arrive)) / DAY_MS);
        ready({ from: arrive, to: leave }, dayLabel(arrive, { month: "short", day: "numeric" }) + " → " + dayLabel(leave, { month: "short", day: "numeric" }) +
          " · " + (count === 1 ? T.book_one_night : say(T.book_nights, { n: count })));
      } else ready(null, arrive ? T.book_choose_dates : say(T.book_stay_rule, { low: low, high: high }) + " " + T.book_choose_dates);
    }
    form.querySelectorAll("input[name=sku]").forEach(function (input) { input.addEventListener("change", function () { nights = {}; load(from); }); });
    load(today);
  }

  // -- to checkout ---------------------------------------------------------------------------------
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (!chosen || !form.reportValidity()) return;
    const booking = Object.assign({}, chosen);
    let quantity = 1;
    if (shape === "night") booking.guests = parseInt(form.querySelector("input[name=guests]").value, 10) || 1;
    else quantity = parseInt((form.querySelector("input[name=qty]") || { value: "1" }).value, 10) || 1;
    if (shape === "session") {
      const answers = {};
      form.querySelectorAll("[data-answer]").forEach(function (input) { if (input.value.trim()) answers[input.getAttribute("data-answer")] = input.value.trim(); });
      booking.answers = answers;
    }
    const url = base + "/checkout?sku=" + sku() + "&qty=" + quantity + "&booking=" + encodeURIComponent(JSON.stringify(booking)) +
      (form.getAttribute("data-ask-address") === "true" ? "&address=1" : "");
    location.href = token() ? url : base + "/account/login?next=" + encodeURIComponent(url);
  });
  ({ slot: service, session: event, night: room })[shape]();
}

document.querySelectorAll("[data-booking]").forEach(bookingForm);
document.querySelectorAll("article[data-item]").forEach(itemReviews);
