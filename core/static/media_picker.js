// The shop's media library as a dialog — upload a picture or choose one — shared by the designer
// and the back-office forms, and the picture fields built on it ([data-media-field], from the
// media_field macro of core/templates/core/macros.html): thumbnails to reorder (drag, or the
// arrow buttons) and remove, and "Add picture". A field keeps writing its text input, a list of
// space-separated references, so the form posts exactly what it posted before.
//
// TesseraMedia.open({ urls: { list, upload, remove? }, csrf, text, onPick(media) }): `remove`
// (the library's address for DELETE <remove>/<id>) adds a delete button to each picture.
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function icon(name) { return el("i", { "class": "ti ti-" + name, "aria-hidden": "true" }); }
  function call(method, url, csrf, body) {
    return fetch(url, { method: method, credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" } })
      .then(function (response) {
        return response.text().then(function (text) {
          var data = {};
          try { data = text ? JSON.parse(text) : {}; } catch (e) { data = {}; }
          return { ok: response.ok, status: response.status, data: data };
        });
      }, function () { return { ok: false, status: 0, data: {} }; });
  }
  function message(result, fallback) {
    var error = result.data && result.data.error;
    if (error && error.fields && error.fields.file) return error.fields.file.join(" ");
    return (error && error.message) || fallback || "";
  }

  // -- the library dialog ------------------------------------------------------------------
  var current = null;  // the options of the open dialog
  var nextCursor = null;
  var dialog = null;

  function part(name) { return dialog.querySelector("[data-" + name + "]"); }

  function build(text) {
    if (dialog) dialog.remove();
    dialog = el("dialog", { "class": "mp-dialog", "data-media-dialog": true, "aria-labelledby": "mp-title" }, [
      el("h3", { id: "mp-title", text: text.library || "Media library" }),
      el("p", { "class": "text-secondary small", text: text.choose || "" }),
      el("form", { "class": "mp-upload", "data-upload": true }, [
        el("input", { "class": "form-control", type: "file", name: "file", required: true,
          accept: "image/png,image/jpeg,image/gif,image/webp", "aria-label": text.file || "Image file" }),
        el("button", { "class": "btn btn-primary", type: "submit" }, [icon("upload"), " ", text.upload || "Upload"])]),
      el("div", { "class": "text-danger small mp-error", "data-upload-error": true, role: "alert" }),
      el("div", { "class": "mp-grid", "data-media-grid": true }),
      el("div", { "class": "mp-actions" }, [
        el("button", { "class": "btn", type: "button", "data-media-more": true, hidden: true, text: text.more || "More",
          onclick: function () { load(false); } }),
        el("button", { "class": "btn", type: "button", "data-media-close": true, text: text.close || "Close",
          onclick: function () { dialog.close(); } })])
    ]);
    part("upload").addEventListener("submit", upload);
    document.body.appendChild(dialog);
  }

  function load(reset) {
    var options = current;
    var url = options.urls.list + (!reset && nextCursor ? (options.urls.list.indexOf("?") < 0 ? "?" : "&") +
      "cursor=" + encodeURIComponent(nextCursor) : "");
    return call("GET", url, options.csrf).then(function (result) {
      if (options !== current) return;
      var grid = part("media-grid");
      if (reset) grid.textContent = "";
      if (!result.ok) { part("upload-error").textContent = message(result); return; }
      var items = result.data.items || [];
      items.forEach(function (media) { grid.appendChild(tile(media)); });
      if (reset && !items.length) grid.appendChild(el("p", { "class": "text-secondary small mp-empty", text: options.text.empty || "" }));
      nextCursor = result.data.next_cursor || null;
      part("media-more").hidden = !nextCursor;
    });
  }

  function tile(media) {
    var options = current;
    var item = el("div", { "class": "mp-item" }, [
      el("button", { "class": "mp-pick", type: "button", "data-media-item": media.ref, title: media.filename,
        "aria-label": media.filename, onclick: function () { pick(media); } },
        [el("img", { src: media.thumbnail, alt: media.alt || media.filename, loading: "lazy" })])]);
    if (options.urls.remove) {
      item.appendChild(el("button", { "class": "mp-delete", type: "button", title: options.text["delete"] || "Delete",
        "aria-label": (options.text["delete"] || "Delete") + " " + media.filename, onclick: function () {
          part("upload-error").textContent = "";
          call("DELETE", options.urls.remove + "/" + media.id, options.csrf).then(function (result) {
            if (result.ok) load(true);
            else part("upload-error").textContent = message(result);
          });
        } }, [icon("trash")]));
    }
    return item;
  }

  function pick(media) {
    var options = current;
    dialog.close();
    if (options && options.onPick) options.onPick(media);
  }

  function upload(event) {
    event.preventDefault();
    var options = current, form = event.target, error = part("upload-error");
    error.textContent = "";
    if (!form.file.files.length) { error.textContent = options.text.choose || ""; return; }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    call("POST", options.urls.upload, options.csrf, new FormData(form)).then(function (result) {
      button.disabled = false;
      if (options !== current) return;
      if (!result.ok) { error.textContent = message(result, options.text.failed); return; }
      form.reset();
      pick(result.data.media);  // people upload the picture they mean to use
    });
  }

  function open(options) {
    current = { urls: options.urls, csrf: options.csrf, text: options.text || {}, onPick: options.onPick };
    nextCursor = null;
    build(current.text);
    dialog.showModal();
    return load(true);
  }

  window.TesseraMedia = { open: open };

  // -- picture fields ----------------------------------------------------------------------
  function readJSON(node, name, fallback) {
    try { return JSON.parse(node.getAttribute(name) || "") || fallback; } catch (e) { return fallback; }
  }

  function enhance(wrapper) {
    var input = wrapper.querySelector("input");
    if (!input || wrapper.hasAttribute("data-media-ready")) return;
    wrapper.setAttribute("data-media-ready", "");
    var urls = readJSON(wrapper, "data-urls", {});
    var thumbnails = readJSON(wrapper, "data-thumbnails", {});
    var text = readJSON(wrapper, "data-text", {});
    var csrf = wrapper.getAttribute("data-csrf");
    var limit = parseInt(wrapper.getAttribute("data-limit"), 10) || 9;
    var label = wrapper.querySelector("label");
    var hint = wrapper.querySelector(".form-hint");
    var refs = input.value.split(/\s+/).filter(Boolean);

    input.type = "hidden";  // still posted; the thumbnails stand for it
    if (label) { label.id = label.id || input.id + "-label"; label.removeAttribute("for"); }
    if (hint && text.hint) hint.textContent = text.hint;
    var list = el("ul", { "class": "mp-thumbs", "data-media-thumbs": true, "aria-labelledby": label ? label.id : null });
    wrapper.insertBefore(list, input);

    function sync() {
      input.value = refs.join(" ");
      input.dispatchEvent(new Event("change", { bubbles: true }));
      draw();
    }
    function move(index, by) {
      var to = index + by;
      if (to < 0 || to >= refs.length) return;
      refs.splice(to, 0, refs.splice(index, 1)[0]);
      sync();
      var buttons = list.querySelectorAll("[data-media-ref]")[to];
      if (buttons) buttons.querySelector(by < 0 ? "[data-earlier]" : "[data-later]").focus();
    }
    function source(ref) {
      if (thumbnails[ref]) return thumbnails[ref];
      return ref.indexOf("https://") === 0 ? ref : "";
    }
    function draw() {
      list.textContent = "";
      refs.forEach(function (ref, index) {
        var name = (text.picture || "{n}").replace("{n}", index + 1);
        var src = source(ref);
        list.appendChild(el("li", { "class": "mp-thumb", "data-media-ref": ref }, [
          src ? el("img", { src: src, alt: name }) : el("span", { "class": "mp-missing", text: ref }),
          el("div", { "class": "mp-thumb-actions" }, [
            el("button", { type: "button", "class": "mp-icon", "data-earlier": true, title: text.earlier, disabled: index === 0,
              "aria-label": (text.earlier || "") + ": " + name, onclick: function () { move(index, -1); } }, [icon("arrow-left")]),
            el("button", { type: "button", "class": "mp-icon", "data-later": true, title: text.later, disabled: index === refs.length - 1,
              "aria-label": (text.later || "") + ": " + name, onclick: function () { move(index, 1); } }, [icon("arrow-right")]),
            el("button", { type: "button", "class": "mp-icon mp-icon--danger", "data-remove": true, title: text.remove,
              "aria-label": (text.remove || "") + ": " + name, onclick: function () { refs.splice(index, 1); sync(); } }, [icon("x")])])
        ]));
      });
      var add = el("li", { "class": "mp-add-slot" }, [
        el("button", { type: "button", "class": "mp-add", "data-media-add": true, disabled: refs.length >= limit,
          title: refs.length >= limit ? text.full : null, onclick: function () {
            open({ urls: urls, csrf: csrf, text: text, onPick: function (media) {
              thumbnails[media.ref] = media.thumbnail;
              if (refs.indexOf(media.ref) < 0 && refs.length < limit) refs.push(media.ref);
              sync();
              var added = list.querySelector("[data-media-add]");
              if (added) added.focus();
            } });
          } }, [icon("photo-plus"), el("span", { text: text.add || "Add picture" })])]);
      list.appendChild(add);
    }
    draw();
    if (window.Sortable) {
      window.Sortable.create(list, { draggable: ".mp-thumb", animation: 120, onEnd: function () {
        refs = Array.prototype.map.call(list.querySelectorAll("[data-media-ref]"), function (li) {
          return li.getAttribute("data-media-ref");
        });
        sync();
      } });
    }
  }

  function enhanceAll() { Array.prototype.forEach.call(document.querySelectorAll("[data-media-field]"), enhance); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", enhanceAll);
  else enhanceAll();
})();
