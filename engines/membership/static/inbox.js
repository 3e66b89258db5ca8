// The member's inbox: the shop's messages (its automations') and reminders of bookings about to
// start, newest first; opening an unread one marks it read.
import { T, api, clear, el, failer, mount, pagedList, signIn, token } from "../../runtime-static/h5/kit.js";

const lang = document.documentElement.lang || undefined;

function say(text, values) {
  return Object.keys(values).reduce(function (out, key) { return out.replace("{" + key + "}", values[key]); }, text);
}
function moment(iso) {
  const d = new Date(iso);
  return d.toLocaleDateString(lang) + " " + d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}

mount("inbox", function (root) {
  if (!token()) return signIn();
  const fail = failer(root);
  api("GET", "/me/inbox?limit=20").then(function (page) {
    clear(root);
    const summary = root.appendChild(el("p", { class: "t-inbox__summary", "data-unread": page.unread, role: "status" }));
    let unread = page.unread;
    function count() { summary.textContent = unread ? say(T.inbox_unread, { n: unread }) : ""; summary.hidden = !unread; }
    count();
    if (!page.messages.length) { root.appendChild(el("p", { class: "t-empty", text: T.inbox_none })); return; }
    const list = root.appendChild(el("ul", { class: "t-card t-inbox" }));
    function message(m) {
      const reminder = m.kind === "booking_reminder";  // a booking about to start: the words are the reader's
      const body = el("p", { class: "t-inbox__body", text: reminder ? say(T.inbox_booking_starts, { when: m.body }) : m.body,
                             hidden: m.read ? null : "" });
      const badge = m.read ? null : el("span", { class: "t-inbox__new", text: T.inbox_new });
      const item = el("li", { class: "t-inbox__message" + (m.read ? "" : " is-unread"), "data-message-id": m.id,
                              "data-read": m.read ? "true" : "false" }, [
        el("button", { class: "t-inbox__open", type: "button", "aria-expanded": m.read ? "true" : "false",
                       onclick: function (event) {
                         const opener = event.currentTarget;
                         body.hidden = !body.hidden;
                         opener.setAttribute("aria-expanded", body.hidden ? "false" : "true");
                         if (item.getAttribute("data-read") === "true") return;
                         api("POST", "/me/inbox/" + m.id + "/read").then(function () {
                           item.setAttribute("data-read", "true");
                           item.classList.remove("is-unread");
                           if (badge) badge.remove();
                           unread = Math.max(0, unread - 1);
                           count();
                         }).catch(fail);
                       } }, [
          el("span", { class: "t-inbox__title", text: reminder ? say(T.inbox_booking_reminder, { name: m.title }) : m.title }), badge,
          el("span", { class: "t-muted t-inbox__when", text: moment(m.created_at) })]),
        body]);
      return item;
    }
    pagedList(root, list, page, { key: "messages", draw: message, path: "/me/inbox?limit=20", label: T.inbox_more,
                                  attrs: { "data-inbox-more": "" }, fail: fail });
  }).catch(fail);
});
