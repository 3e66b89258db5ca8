// What every H5 module shares: the consumer's bearer token (localStorage, per shop), the JSON API
// a native mini-program uses too, DOM building with WeUI's classes, messages, and the mounting of
// an app section (`<div data-app="cart">`, the main section of a system page) by its module.
// Text comes from the page's <template id="t-strings">: each component brings its own strings.

const body = document.body;
export const base = body.getAttribute("data-base") || "";
export const tenant = body.getAttribute("data-tenant") || "";
// The shop's time zone: times are shown as the shop's clock says them (a 09:00 booking is at 09:00
// wherever the phone is).
export const zone = body.getAttribute("data-timezone") || undefined;
const stringsNode = document.getElementById("t-strings");
export const T = stringsNode ? JSON.parse(stringsNode.innerHTML.trim()) : {};
const tokenKey = "tessera.token." + tenant;
const pendingKey = "tessera.pending." + tenant;

export function token() { return localStorage.getItem(tokenKey); }
export function keepToken(text) { localStorage.setItem(tokenKey, text); }
export function forgetToken() { localStorage.removeItem(tokenKey); }

export function el(tag, attrs, children) {
  const node = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) {
    const value = attrs[k];
    if (k === "text") node.textContent = value;
    else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(k, value);
  });
  (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
  return node;
}

export function explain(data) {
  const error = (data && data.error) || {};
  const details = Object.keys(error.fields || {}).map(function (k) { return [].concat(error.fields[k]).join(" "); });
  return [error.message].concat(details).join(" ");
}

export function signIn(next) {
  location.href = base + "/account/login?next=" + encodeURIComponent(next || (location.pathname + location.search));
}

export function api(method, path, payload, extraHeaders) {
  const headers = { "Accept": "application/json", "X-Tenant": tenant };
  if (token()) headers.Authorization = "Bearer " + token();
  if (payload !== undefined) headers["Content-Type"] = "application/json";
  Object.assign(headers, extraHeaders || {});
  return fetch(base + "/api/v1" + path, { method: method, headers: headers,
    body: payload === undefined ? undefined : JSON.stringify(payload) }).then(function (response) {
    if (response.status === 401) { forgetToken(); signIn(); throw new Error("unauthenticated"); }
    if (response.status === 204) return {};
    return response.json().then(function (data) {
      if (!response.ok) { const e = new Error(explain(data)); e.data = data; throw e; }
      return data;
    });
  });
}

// Money as the server shows it (the currency's own decimals and symbol).
export function money(m) { return m ? m.display : ""; }
// A status as people read it, in the page's language.
export function statusLabel(status) { return T["status_" + status] || status.replace(/_/g, " "); }

export function clear(node) { node.textContent = ""; return node; }
export function message(root, text, kind) {
  let box = root.querySelector("[data-message]");
  if (!box) box = root.insertBefore(el("p", { "data-message": "", role: "alert" }), root.firstChild);
  box.textContent = text;
  box.className = "t-message t-message--" + (kind || "error");
}
export function failer(root) {
  return function (error) { if (error.message !== "unauthenticated") message(root, error.message); };
}

// A list shown a page at a time: the first page's answer (`first`, its rows under `key`) drawn into
// `list` by `draw`, then a "Load more" button (`label`, `attrs`) asking `path` for the next page by
// the answer's `next_cursor`, hidden on the last page; a refused page goes to `fail`.
export function pagedList(root, list, first, options) {
  const more = el("button", Object.assign({ class: "weui-btn weui-btn_default t-btn t-btn--ghost", type: "button" },
                                          options.attrs || {}), [options.label]);
  const bar = root.appendChild(el("div", { class: "t-actionbar" }, [more]));
  let cursor = null;
  function add(answer) {
    answer[options.key].forEach(function (row) { list.appendChild(options.draw(row)); });
    cursor = answer.next_cursor;
    bar.hidden = !cursor;
  }
  more.addEventListener("click", function () {
    more.disabled = true;
    const joiner = options.path.indexOf("?") >= 0 ? "&" : "?";
    api("GET", options.path + joiner + "cursor=" + encodeURIComponent(cursor)).then(function (answer) {
      more.disabled = false;
      add(answer);
    }).catch(function (error) { more.disabled = false; options.fail(error); });
  });
  add(first);
  return bar;
}

export function card(children, attrs) { return el("section", Object.assign({ class: "t-card t-pad" }, attrs || {}), children); }
export function button(label, onclick, attrs) {
  return el("button", Object.assign({ class: "weui-btn weui-btn_primary t-btn", type: "button", onclick: onclick }, attrs || {}), [label]);
}
export function ghostButton(label, onclick, attrs) {
  return button(label, onclick, Object.assign({ class: "weui-btn weui-btn_default t-btn t-btn--ghost" }, attrs || {}));
}
export function radio(name, value, label, checked, onchange, attrs) {
  return el("label", Object.assign({ class: "t-radio" }, attrs || {}), [el("input", { type: "radio", name: name, value: value,
    checked: checked ? "checked" : null, onchange: onchange }), label]);
}
export function uuid() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);
}

// A cart line chosen while signed out: kept until sign-in, then added (see account.js).
export function keepPendingLine(line) { sessionStorage.setItem(pendingKey, JSON.stringify(line)); }
export function takePendingLine() {
  const text = sessionStorage.getItem(pendingKey);
  sessionStorage.removeItem(pendingKey);
  try { return text ? JSON.parse(text) : null; } catch (e) { return null; }
}

// The table of a dine-in visit: set by the table's QR code (?table=), kept for the visit (this
// browser, 4 hours), shown and changeable at checkout.
const tableKey = "tessera.table." + tenant;
export function visitTable() {
  try {
    const kept = JSON.parse(localStorage.getItem(tableKey) || "null");
    return kept && kept.until > Date.now() ? kept.code : null;
  } catch (e) { return null; }
}
export function keepTable(code) {
  if (code) localStorage.setItem(tableKey, JSON.stringify({ code: code, until: Date.now() + 4 * 3600 * 1000 }));
  else localStorage.removeItem(tableKey);
}
const arrivedAt = new URLSearchParams(location.search).get("table");
if (arrivedAt) keepTable(arrivedAt);

// Each module mounts its views on the app sections of the page: mount("cart", function (root, data) {…}).
export function mount(app, view) {
  document.querySelectorAll('[data-app="' + app + '"]').forEach(function (root) {
    const data = {};
    Array.prototype.forEach.call(root.attributes, function (a) {
      if (a.name.indexOf("data-") === 0) data[a.name.slice(5).replace(/-([a-z])/g, function (m, c) { return c.toUpperCase(); })] = a.value;
    });
    view(root, data);
  });
}
