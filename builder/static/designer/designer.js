// The merchant's page designer. State: one app document (as saved by the server), an undo
// history of snapshots, the selected page and section. Every edit updates the document, re-renders
// the affected sections through the real runtime (POST render) and autosaves with the revision.
(function () {
  "use strict";

  var root = document.getElementById("designer");
  var state = JSON.parse(document.getElementById("designer-state").textContent);
  var T = JSON.parse(document.getElementById("designer-text").textContent);
  var csrf = root.getAttribute("data-csrf");
  var $ = function (selector, scope) { return (scope || root).querySelector(selector); };
  var $$ = function (selector, scope) { return Array.prototype.slice.call((scope || root).querySelectorAll(selector)); };

  var doc = state.document;
  var revision = state.revision;
  var components = {};
  state.components.forEach(function (c) { components[c.type] = c; });
  var pageId = doc.app.home in doc.pages ? doc.app.home : Object.keys(doc.pages)[0];
  var selected = null;
  var undoStack = [], redoStack = [];
  var lastCoalesce = { key: null, at: 0 };
  var saveTimer = null, renderTimer = null, saving = false, pendingSave = false, conflict = false;
  var fieldErrors = {};
  var frame = $("[data-frame]");

  // -- helpers -----------------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child); });
    return node;
  }
  function icon(name) { return el("i", { "class": "ti ti-" + name, "aria-hidden": "true" }); }
  function clone(value) { return JSON.parse(JSON.stringify(value)); }
  function page() { return doc.pages[pageId]; }
  function api(method, url, body, isForm) {
    var headers = { "X-CSRFToken": csrf, "Accept": "application/json" };
    if (!isForm && body !== undefined) headers["Content-Type"] = "application/json";
    return fetch(url, { method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : (isForm ? body : JSON.stringify(body)) })
      .then(function (response) {
        return response.text().then(function (text) {
          var data = text ? JSON.parse(text) : {};
          return { ok: response.ok, status: response.status, data: data };
        });
      });
  }
  function newId(prefix, taken) {
    var id;
    do { id = prefix + Math.random().toString(36).slice(2, 8); } while (taken[id]);
    return id;
  }
  function setStatus(text, error) {
    var status = $("[data-status]");
    status.textContent = text;
    status.classList.toggle("is-error", !!error);
  }

  // -- history -----------------------------------------------------------------------------
  function change(mutate, options) {
    options = options || {};
    var now = Date.now();
    if (!(options.coalesce && lastCoalesce.key === options.coalesce && now - lastCoalesce.at < 800)) {
      undoStack.push(clone(doc));
      if (undoStack.length > 100) undoStack.shift();
      redoStack = [];
    }
    lastCoalesce = { key: options.coalesce || null, at: now };
    mutate();
    afterChange(options.sections);
  }
  function afterChange(sections) {
    updateHistoryButtons();
    renderOutline();
    if (!sections) { renderPages(); renderTheme(); renderPageSelect(); }
    scheduleRender(sections);
    scheduleSave();
  }
  function undo() { if (undoStack.length) { redoStack.push(clone(doc)); doc = undoStack.pop(); restore(); } }
  function redo() { if (redoStack.length) { undoStack.push(clone(doc)); doc = redoStack.pop(); restore(); } }
  function restore() {
    if (!doc.pages[pageId]) pageId = doc.app.home;
    if (selected && !page().sections[selected]) selected = null;
    lastCoalesce = { key: null, at: 0 };
    afterChange(null);
    renderInspector();
  }
  function updateHistoryButtons() {
    $("[data-undo]").disabled = !undoStack.length;
    $("[data-redo]").disabled = !redoStack.length;
  }

  // -- saving ------------------------------------------------------------------------------
  function scheduleSave() {
    if (conflict) return;
    setStatus(T.unsaved);
    clearTimeout(saveTimer);
    saveTimer = setTimeout(save, 900);
  }
  function save() {
    clearTimeout(saveTimer);
    if (conflict) return Promise.resolve(false);
    if (saving) { pendingSave = true; return Promise.resolve(false); }
    saving = true;
    setStatus(T.saving);
    return api("PUT", state.urls.draft, { document: doc, revision: revision }).then(function (result) {
      saving = false;
      if (result.ok) {
        revision = result.data.revision;
        fieldErrors = {};
        setStatus(T.saved);
        markErrors();
        if (pendingSave) { pendingSave = false; return save(); }
        return true;
      }
      if (result.status === 409) { conflict = true; $("[data-conflict]").hidden = false; setStatus(T.unsaved, true); return false; }
      fieldErrors = (result.data.error && result.data.error.fields) || {};
      setStatus(result.status === 422 ? T.invalid : (result.data.error ? result.data.error.message : T.unsaved), true);
      markErrors();
      return false;
    }, function () { saving = false; setStatus(T.unsaved, true); return false; });
  }
  function flush() { return saveTimer || pendingSave || saving ? save() : Promise.resolve(true); }

  // -- preview -----------------------------------------------------------------------------
  function frameDoc() { return frame.contentDocument; }
  function loadFrame() {
    frame.src = state.urls.preview + encodeURIComponent(pageId) + "?designer=1";
  }
  frame.addEventListener("load", function () {
    var fd = frameDoc();
    if (!fd || !fd.body) return;
    var sheet = new frame.contentWindow.CSSStyleSheet();
    sheet.replaceSync("[data-section]{cursor:pointer;transition:outline-color .1s}" +
      "[data-section].dz-hover{outline:2px dashed #206bc4;outline-offset:-2px}" +
      "[data-section].dz-selected{outline:2px solid #206bc4;outline-offset:-2px}" +
      ".dz-empty{padding:48px 16px;text-align:center;color:#8a94a2;font-size:14px}");
    fd.adoptedStyleSheets = [sheet];
    fd.addEventListener("click", function (event) {
      event.preventDefault();
      var section = event.target.closest("[data-section]");
      if (section) select(section.getAttribute("data-section"));
    }, true);
    fd.addEventListener("submit", function (event) { event.preventDefault(); }, true);
    fd.addEventListener("mouseover", function (event) {
      $$(".dz-hover", fd).forEach(function (n) { n.classList.remove("dz-hover"); });
      var section = event.target.closest("[data-section]");
      if (section) section.classList.add("dz-hover");
    });
    var script = fd.createElement("script");
    script.src = "/static/vendor/sortable/Sortable.min.js";
    script.onload = function () {
      var main = fd.getElementById("main");
      frame.contentWindow.Sortable.create(main, { forceFallback: true, draggable: "[data-section]", animation: 120,
        onEnd: function () {
          var order = $$("[data-section]", main).map(function (n) { return n.getAttribute("data-section"); });
          var hidden = page().order.filter(function (id) { return order.indexOf(id) < 0; });
          change(function () { page().order = order.concat(hidden); }, { sections: [] });
        } });
    };
    fd.head.appendChild(script);
    renderAll();
  });

  function scheduleRender(sections) {
    clearTimeout(renderTimer);
    renderTimer = setTimeout(function () { render(sections); }, sections && sections.length ? 120 : 10);
  }
  function renderAll() { render(null); }
  function render(sections) {
    if (sections && !sections.length) { decorate(); return; }
    var requestedPage = pageId;
    return api("POST", state.urls.render, { document: doc, page: pageId, sections: sections || null }).then(function (result) {
      if (requestedPage !== pageId) return;
      if (!result.ok) {
        if (result.data.error && result.data.error.fields) { fieldErrors = result.data.error.fields; markErrors(); }
        return;
      }
      applyRender(result.data, sections);
    });
  }
  function applyRender(data, only) {
    var fd = frameDoc();
    if (!fd) return;
    var main = fd.getElementById("main");
    if (!main) return;
    var sheet = new frame.contentWindow.CSSStyleSheet();
    sheet.replaceSync(data.css);
    fd.adoptedStyleSheets = [fd.adoptedStyleSheets[0], sheet].filter(Boolean);
    function fragment(html) { var t = fd.createElement("template"); t.innerHTML = html; return t.content.firstElementChild; }
    if (only) {
      Object.keys(data.sections).forEach(function (id) {
        var old = main.querySelector('[data-section="' + id + '"]');
        var fresh = fragment(data.sections[id]);
        if (old && fresh) old.replaceWith(fresh);
      });
    } else {
      $$("[data-section], .dz-empty, .t-empty", main).forEach(function (n) { n.remove(); });
      data.order.forEach(function (id) { var node = fragment(data.sections[id]); if (node) main.appendChild(node); });
      if (!data.order.length) main.appendChild(el("div", { "class": "dz-empty", text: T.none }));
    }
    decorate();
  }
  function decorate() {
    var fd = frameDoc();
    if (!fd) return;
    $$("[data-section]", fd).forEach(function (n) { n.classList.toggle("dz-selected", n.getAttribute("data-section") === selected); });
    var title = fd.querySelector(".t-navbar__title");
    if (title) title.textContent = page().title;
  }

  // -- palette and drag into the frame -----------------------------------------------------
  function renderPalette() {
    var query = ($("[data-palette-search]").value || "").toLowerCase();
    var groups = {};
    state.components.forEach(function (c) {
      if ((c.needs || []).some(function (name) { return doc.app.engines.indexOf(name) < 0; })) return;
      if (c.pages && c.pages.indexOf(page().kind || "custom") < 0) return;
      if (query && (c.label + " " + c.type).toLowerCase().indexOf(query) < 0) return;
      (groups[c.group] = groups[c.group] || []).push(c);
    });
    var palette = $("[data-palette]");
    palette.textContent = "";
    var known = (state.groups || []).map(function (pair) { return pair[0]; });
    var labels = {};
    (state.groups || []).forEach(function (pair) { labels[pair[0]] = pair[1]; });
    Object.keys(groups).sort(function (a, b) {
      var ia = known.indexOf(a), ib = known.indexOf(b);
      return (ia < 0 ? 1e3 : ia) - (ib < 0 ? 1e3 : ib) || (a < b ? -1 : a > b ? 1 : 0);
    }).forEach(function (group) {
      var list = el("div", { "class": "dz-palette" });
      groups[group].forEach(function (c) {
        var chip = el("button", { "class": "dz-chip", type: "button", "data-component": c.type, title: c.label },
          [icon(c.icon || "square"), el("span", { text: c.label })]);
        chip.addEventListener("pointerdown", function (event) { startDrag(event, c, chip); });
        list.appendChild(chip);
      });
      palette.appendChild(el("div", { "class": "dz-group", "data-group": group }, [el("h4", { text: labels[group] || group }), list]));
    });
  }

  function dropTarget(clientX, clientY) {
    var rect = frame.getBoundingClientRect();
    if (clientX < rect.left || clientX > rect.right || clientY < rect.top || clientY > rect.bottom) return null;
    var fd = frameDoc();
    var x = clientX - rect.left, y = clientY - rect.top;
    var hit = fd.elementFromPoint(x, y);
    var sections = $$("[data-section]", fd);
    var section = hit && hit.closest("[data-section]");
    var index = sections.length, lineY;
    if (section) {
      var box = section.getBoundingClientRect();
      var after = y > box.top + box.height / 2;
      index = sections.indexOf(section) + (after ? 1 : 0);
      lineY = rect.top + (after ? box.bottom : box.top);
    } else if (sections.length) {
      var first = sections[0].getBoundingClientRect();
      if (y < first.top) { index = 0; lineY = rect.top + first.top; }
      else { lineY = rect.top + sections[sections.length - 1].getBoundingClientRect().bottom; }
    } else {
      lineY = rect.top + 60;
    }
    var orderIndex = index < sections.length ? page().order.indexOf(sections[index].getAttribute("data-section")) : page().order.length;
    return { index: orderIndex, lineY: lineY, left: rect.left, width: rect.width };
  }

  function startDrag(event, component, chip) {
    if (event.button !== 0) return;
    event.preventDefault();
    // Captured, the pointer keeps reporting to this document even over the preview's frame.
    chip.setPointerCapture(event.pointerId);
    var startX = event.clientX, startY = event.clientY, ghost = null, target = null;
    var line = $("[data-drop-line]");
    function move(e) {
      if (!ghost && Math.abs(e.clientX - startX) + Math.abs(e.clientY - startY) < 6) return;
      if (!ghost) {
        ghost = el("div", { "class": "dz-chip dz-ghost" }, [icon(component.icon || "square"), el("span", { text: component.label })]);
        document.body.appendChild(ghost);
      }
      ghost.style.left = (e.clientX + 8) + "px";
      ghost.style.top = (e.clientY + 8) + "px";
      target = dropTarget(e.clientX, e.clientY);
      line.hidden = !target;
      if (target) { line.style.left = target.left + "px"; line.style.width = target.width + "px"; line.style.top = (target.lineY - 1) + "px"; }
    }
    function up(e) {
      chip.removeEventListener("pointermove", move);
      chip.removeEventListener("pointerup", up);
      line.hidden = true;
      if (ghost) { ghost.remove(); if (target) addSection(component, target.index); }
      else addSection(component, selected ? page().order.indexOf(selected) + 1 : page().order.length);
    }
    chip.addEventListener("pointermove", move);
    chip.addEventListener("pointerup", up);
  }

  function addSection(component, index, preset) {
    var present = page().order.filter(function (id) { return page().sections[id].type === component.type; }).length;
    if (component.limit && present >= component.limit) { setStatus(T.limit, true); return; }
    preset = preset || (component.presets && component.presets[0]) || {};
    var id = newId("s_", page().sections);
    var section = { type: component.type, settings: clone(preset.settings || {}) };
    if (preset.blocks) {
      section.blocks = clone(preset.blocks);
      Object.keys(section.blocks).forEach(function (b) { section.blocks[b].settings = section.blocks[b].settings || {}; });
      section.block_order = clone(preset.block_order || Object.keys(preset.blocks));
    }
    change(function () {
      page().sections[id] = section;
      page().order.splice(Math.max(0, Math.min(index, page().order.length)), 0, id);
    }, { sections: null });
    select(id);
  }

  // -- outline -----------------------------------------------------------------------------
  function sectionLabel(id) {
    var s = page().sections[id];
    var c = components[s.type];
    var text = (s.settings && (s.settings.text || s.settings.title)) || "";
    return (c ? c.label : s.type) + (text ? " · " + text : "");
  }
  var outlineSortable = null;
  function renderOutline() {
    var list = $("[data-outline]");
    list.textContent = "";
    page().order.forEach(function (id) {
      var s = page().sections[id];
      var item = el("li", { "data-id": id, "class": [id === selected ? "is-selected" : "", s.hidden ? "is-hidden" : "",
        hasError(id) ? "has-error" : ""].join(" ") }, [
        el("span", { "class": "dz-handle", title: "Drag" }, [icon("grip-vertical")]),
        el("span", { "class": "dz-label", text: sectionLabel(id), onclick: function () { select(id); } }),
        el("button", { "class": "dz-icon-btn", type: "button", title: s.hidden ? T.show : T.hide, "aria-label": s.hidden ? T.show : T.hide,
          onclick: function () { change(function () { if (page().sections[id].hidden) delete page().sections[id].hidden; else page().sections[id].hidden = true; }); } },
          [icon(s.hidden ? "eye-off" : "eye")]),
        el("button", { "class": "dz-icon-btn", type: "button", title: T.duplicate, "aria-label": T.duplicate,
          onclick: function () { duplicate(id); } }, [icon("copy")]),
        el("button", { "class": "dz-icon-btn", type: "button", title: T["delete"], "aria-label": T["delete"],
          onclick: function () { remove(id); } }, [icon("trash")])
      ]);
      list.appendChild(item);
    });
    if (outlineSortable) outlineSortable.destroy();
    outlineSortable = Sortable.create(list, { handle: ".dz-handle", animation: 120, onEnd: function () {
      var order = $$("li", list).map(function (li) { return li.getAttribute("data-id"); });
      change(function () { page().order = order; });
    } });
  }
  function duplicate(id) {
    var copy = clone(page().sections[id]);
    var newSection = newId("s_", page().sections);
    change(function () { page().sections[newSection] = copy; page().order.splice(page().order.indexOf(id) + 1, 0, newSection); });
    select(newSection);
  }
  function remove(id) {
    if (!window.confirm(T.delete_confirm)) return;
    change(function () { delete page().sections[id]; page().order = page().order.filter(function (x) { return x !== id; }); });
    if (selected === id) { selected = null; renderInspector(); }
  }
  function select(id) {
    selected = id;
    renderOutline();
    renderInspector();
    decorate();
    var node = frameDoc() && frameDoc().querySelector('[data-section="' + id + '"]');
    if (node) node.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  // -- inspector ---------------------------------------------------------------------------
  function hasError(id) {
    var prefix = "pages." + pageId + ".sections." + id + ".";
    return Object.keys(fieldErrors).some(function (path) { return path.indexOf(prefix) === 0; });
  }
  function markErrors() { renderOutline(); $$("[data-path]").forEach(showFieldError); }
  function showFieldError(wrapper) {
    var messages = fieldErrors[wrapper.getAttribute("data-path")];
    var feedback = wrapper.querySelector(".invalid-feedback");
    if (feedback) feedback.remove();
    $$(".is-invalid", wrapper).forEach(function (n) { n.classList.remove("is-invalid"); });
    if (messages) {
      wrapper.appendChild(el("div", { "class": "invalid-feedback", text: messages.join(" ") }));
      $$("input, select, textarea", wrapper).forEach(function (n) { n.classList.add("is-invalid"); });
    }
  }

  function renderInspector() {
    var box = $("[data-inspector]");
    box.textContent = "";
    if (!selected || !page().sections[selected]) {
      box.appendChild(el("p", { "class": "text-secondary p-3", text: box.getAttribute("data-empty") || "" }));
      return;
    }
    var id = selected, section = page().sections[id], component = components[section.type];
    box.appendChild(el("div", { "class": "dz-inspector-head" }, [icon(component ? component.icon : "square"),
      el("h3", { text: component ? component.label : section.type })]));
    if (!component) return;
    var path = "pages." + pageId + ".sections." + id;
    box.appendChild(fieldsFor(component.settings, function () { return page().sections[id].settings; },
      path + ".settings", [id]));
    if (component.blocks.length) box.appendChild(blocksEditor(component, id, path));
  }

  function fieldsFor(descriptors, target, path, sections) {
    var wrap = el("div", { "class": "dz-fields" });
    descriptors.forEach(function (field) {
      var value = target()[field.id];
      if (value === undefined) value = field["default"];
      var set = function (next) {
        change(function () { target()[field.id] = next; }, { sections: sections, coalesce: path + "." + field.id });
      };
      var wrapper = el("div", { "class": "dz-field", "data-path": path + "." + field.id }, [
        el("label", { "class": "form-label", text: field.label })]);
      wrapper.appendChild(widget(field, value, set));
      if (field.help) wrapper.appendChild(el("small", { "class": "form-hint", text: field.help }));
      showFieldError(wrapper);
      wrap.appendChild(wrapper);
    });
    return wrap;
  }

  function widget(field, value, set) {
    var input;
    switch (field.widget) {
      case "textarea":
        input = el("textarea", { "class": "form-control", rows: 4, maxlength: field.max_length });
        input.value = value || "";
        input.addEventListener("input", function () { set(input.value); });
        return input;
      case "richtext":
        return richText(value || "", set);
      case "number":
      case "range":
        var range = el("input", { type: "range", min: field.min, max: field.max, step: field.step || 1, "class": "form-range" });
        var number = el("input", { type: "number", min: field.min, max: field.max, step: field.step || 1, "class": "form-control form-control-sm dz-number" });
        range.value = number.value = value;
        range.addEventListener("input", function () { number.value = range.value; set(parseInt(range.value, 10)); });
        number.addEventListener("input", function () { if (number.value !== "") { range.value = number.value; set(parseInt(number.value, 10)); } });
        return el("div", { "class": "dz-inline" }, field.widget === "range" ? [range, number, field.unit ? el("span", { text: field.unit }) : null] : [number]);
      case "checkbox":
        input = el("input", { type: "checkbox", "class": "form-check-input" });
        input.checked = !!value;
        input.addEventListener("change", function () { set(input.checked); });
        return el("label", { "class": "form-check form-switch" }, [input]);
      case "select":
        input = el("select", { "class": "form-select" });
        field.choices.forEach(function (choice) { input.appendChild(el("option", { value: choice.value, text: choice.label })); });
        input.value = value;
        input.addEventListener("change", function () { set(input.value); });
        return input;
      case "colour":
        var picker = el("input", { type: "color", "class": "form-control form-control-color" });
        var text = el("input", { type: "text", "class": "form-control", maxlength: 7, placeholder: "#RRGGBB" });
        text.value = value || ""; picker.value = /^#[0-9a-fA-F]{6}$/.test(value) ? value : "#ffffff";
        picker.addEventListener("input", function () { text.value = picker.value.toUpperCase(); set(text.value); });
        text.addEventListener("input", function () { if (/^#([0-9a-fA-F]{3}){1,2}$/.test(text.value) || text.value === "") set(text.value); });
        return el("div", { "class": "dz-inline" }, [picker, text]);
      case "image":
      case "video":
        return mediaField(value || "", set, field.widget);
      case "link":
        return linkField(value || "", set);
      case "picker":
        return pickerField(field.kind, value || "", set);
      default:
        input = el("input", { type: "text", "class": "form-control", maxlength: field.max_length,
          placeholder: field.widget === "picker" ? field.kind + ":<id>" : "" });
        input.value = value || "";
        input.addEventListener("input", function () { set(input.value); });
        return input;
    }
  }

  function richText(html, set) {
    // Quill (vendored). What it produces is sanitised again by the server on save and on render.
    var holder = el("div", { "class": "dz-quill" });
    // The back office's one rich-text set-up (core/static/rich_text.js), as the item form has it.
    Promise.resolve().then(function () { TesseraRichText.create(holder, html, set, TesseraRichText.labels()); });
    return el("div", { "class": "dz-quill-wrap" }, [holder]);
  }

  function mediaField(value, set, kind) {
    var thumb = el("img", { "class": "dz-thumb", alt: "" });
    var text = el("input", { type: "text", "class": "form-control form-control-sm", placeholder: "media:<id> / https://…" });
    text.value = value;
    function preview(ref) { thumb.hidden = !ref; thumb.src = ref && ref.indexOf("https://") === 0 ? ref : (mediaCache[ref] || ""); }
    preview(value);
    text.addEventListener("input", function () { preview(text.value); set(text.value); });
    var choose = el("button", { type: "button", "class": "btn btn-sm" , text: T.choose, onclick: function () {
      openMedia(function (media) { text.value = media.ref; mediaCache[media.ref] = media.thumbnail; preview(media.ref); set(media.ref); });
    } });
    var clear = el("button", { type: "button", "class": "btn btn-sm btn-ghost-secondary", text: T.remove,
      onclick: function () { text.value = ""; preview(""); set(""); } });
    return el("div", {}, [el("div", { "class": "dz-inline mb-1" }, [thumb, choose, clear]), text]);
  }

  function linkField(value, set) {
    var kinds = ["", "page", "url", "tel", "item", "category", "article"];
    var kind = value ? value.split(":")[0] : "";
    var rest = value ? value.slice(kind.length + 1) : "";
    var select = el("select", { "class": "form-select form-select-sm mb-1" });
    kinds.forEach(function (k) { select.appendChild(el("option", { value: k, text: k ? T[k] : T.none })); });
    select.value = kind;
    var holder = el("div");
    function draw() {
      holder.textContent = "";
      var k = select.value;
      if (!k) return;
      if (k === "page") {
        var pages = el("select", { "class": "form-select form-select-sm" });
        Object.keys(doc.pages).forEach(function (p) { pages.appendChild(el("option", { value: p, text: doc.pages[p].title + " (" + p + ")" })); });
        pages.value = rest in doc.pages ? rest : Object.keys(doc.pages)[0];
        pages.addEventListener("change", function () { set("page:" + pages.value); });
        holder.appendChild(pages);
        if (!(rest in doc.pages)) set("page:" + pages.value);
      } else {
        var input = el("input", { type: "text", "class": "form-control form-control-sm",
          placeholder: k === "url" ? "https://" : (k === "tel" ? "+86…" : "id") });
        input.value = kind === k ? rest : "";
        input.addEventListener("input", function () { set(input.value ? k + ":" + input.value : ""); });
        holder.appendChild(input);
      }
    }
    select.addEventListener("change", function () { kind = select.value; rest = ""; if (!select.value) set(""); draw(); });
    draw();
    return el("div", {}, [select, holder]);
  }

  // What a picker offers comes from the engines (core.engines.Picker): rows of the shop's own
  // consumer API, the list under `items`, children (a category's) listed under their parent.
  function pickerSource(kind) {
    return (state.pickers || []).filter(function (p) { return p.kind === kind; })[0];
  }
  function pickerRows(source, data) {
    var out = [];
    (data[source.items] || []).forEach(function (row) {
      out.push({ id: row.id, name: row[source.label] });
      if (source.children) (row[source.children] || []).forEach(function (child) {
        out.push({ id: child.id, name: row[source.label] + " / " + child[source.label] });
      });
    });
    return out;
  }
  var pickerCache = {};
  function pickerField(kind, value, set) {
    var select = el("select", { "class": "form-select" });
    select.appendChild(el("option", { value: "", text: T.none }));
    if (value) select.appendChild(el("option", { value: value, text: value }));
    select.value = value;
    select.addEventListener("change", function () { set(select.value); });
    var source = pickerSource(kind);
    if (source) {
      pickerCache[kind] = pickerCache[kind] || fetch(source.url, { headers: { "X-Tenant": state.tenant, Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; });
      pickerCache[kind].then(function (data) {
        if (!data) return;
        pickerRows(source, data).forEach(function (row) {
          var ref = kind + ":" + row.id;
          var existing = select.querySelector('option[value="' + ref + '"]');
          if (existing) existing.textContent = row.name;
          else select.appendChild(el("option", { value: ref, text: row.name }));
        });
        select.value = value;
      });
    }
    return select;
  }

  function blocksEditor(component, id, path) {
    var wrap = el("div", { "class": "dz-fields" }, [el("h4", { text: T.blocks })]);
    var list = el("ul", { "class": "dz-blocks" });
    var section = page().sections[id];
    (section.block_order || []).forEach(function (blockId) {
      var block = section.blocks[blockId];
      block.settings = block.settings || {};  // documents may leave empty settings out
      var type = component.blocks.filter(function (b) { return b.type === block.type; })[0];
      if (!type) return;
      var details = el("details", { "class": "dz-block" }, [
        el("summary", {}, [el("span", { "class": "dz-handle" }, [icon("grip-vertical")]),
          el("span", { "class": "dz-label", text: type.label + ((block.settings && (block.settings.label || block.settings.title)) ? " · " + (block.settings.label || block.settings.title) : "") }),
          el("button", { type: "button", "class": "dz-icon-btn", title: T.remove, "aria-label": T.remove, onclick: function (e) {
            e.preventDefault();
            change(function () { delete section.blocks[blockId]; section.block_order = section.block_order.filter(function (b) { return b !== blockId; }); }, { sections: [id] });
            renderInspector();
          } }, [icon("trash")])]),
        fieldsFor(type.settings, function () { return page().sections[id].blocks[blockId].settings; }, path + ".blocks." + blockId + ".settings", [id])
      ]);
      list.appendChild(el("li", { "data-id": blockId, "class": "p-0 d-block border-0" }, [details]));
    });
    wrap.appendChild(list);
    Sortable.create(list, { handle: ".dz-handle", animation: 120, onEnd: function () {
      var order = $$("li", list).map(function (li) { return li.getAttribute("data-id"); });
      change(function () { page().sections[id].block_order = order; }, { sections: [id] });
    } });
    if ((section.block_order || []).length < component.max_blocks) {
      var typeSelect = el("select", { "class": "form-select form-select-sm" });
      component.blocks.forEach(function (b) { typeSelect.appendChild(el("option", { value: b.type, text: b.label })); });
      wrap.appendChild(el("div", { "class": "dz-inline" }, [typeSelect, el("button", { type: "button", "class": "btn btn-sm", text: T.add_block,
        onclick: function () {
          var blockId = newId("b_", section.blocks || {});
          change(function () {
            var s = page().sections[id];
            s.blocks = s.blocks || {}; s.block_order = s.block_order || [];
            s.blocks[blockId] = { type: typeSelect.value, settings: {} };
            s.block_order.push(blockId);
          }, { sections: [id] });
          renderInspector();
        } })]));
    }
    return wrap;
  }

  // -- media library: the back office's shared picker (core/static/media_picker.js) ----------
  var mediaCache = {};
  function openMedia(onPick) {
    TesseraMedia.open({ urls: { list: state.urls.media, upload: state.urls.upload, remove: state.urls.media }, csrf: csrf,
      text: T.media, onPick: function (media) { mediaCache[media.ref] = media.thumbnail; onPick(media); } });
  }

  // -- pages, theme, tab bar ---------------------------------------------------------------
  function renderPageSelect() {
    var s = $("[data-page-select]");
    s.textContent = "";
    Object.keys(doc.pages).forEach(function (id) {
      s.appendChild(el("option", { value: id, text: doc.pages[id].title + (id === doc.app.home ? " ★" : "") }));
    });
    s.value = pageId;
  }
  function switchPage(id) {
    pageId = id; selected = null;
    renderPageSelect(); renderOutline(); renderInspector(); renderPalette(); renderPages();
    loadFrame();
  }
  // "Add page" offers the built-in pages (system pages of the engines) the app does not have yet:
  // each comes with its main section, which the merchant surrounds but cannot remove.
  function renderPresets() {
    var select = $("[data-add-page] select[name=preset]");
    select.querySelectorAll("[data-kind]").forEach(function (option) { option.remove(); });
    var have = Object.keys(doc.pages).map(function (id) { return doc.pages[id].kind || "custom"; });
    (state.page_kinds || []).forEach(function (kind) {
      if (have.indexOf(kind.kind) >= 0) return;
      select.appendChild(el("option", { value: "kind:" + kind.kind, "data-kind": kind.kind, text: kind.label }));
    });
  }
  function presetOf(value) {
    if (value.indexOf("kind:") !== 0) return PAGE_PRESETS[value] || PAGE_PRESETS.blank;
    var kind = (state.page_kinds || []).filter(function (k) { return "kind:" + k.kind === value; })[0];
    return { needs: kind.needs, kind: kind.kind, sections: { main: { type: kind.main, settings: {} } } };
  }
  function renderPages() {
    renderPresets();
    var list = $("[data-pages]");
    list.textContent = "";
    Object.keys(doc.pages).forEach(function (id) {
      var p = doc.pages[id];
      list.appendChild(el("li", {}, [
        el("span", { "class": "dz-label", text: p.title + (id === doc.app.home ? " · " + T.home : ""), onclick: function () { switchPage(id); } }),
        el("button", { "class": "dz-icon-btn", type: "button", title: T.rename, "aria-label": T.rename, onclick: function () {
          var title = window.prompt(T.rename, p.title);
          if (title) change(function () { doc.pages[id].title = title.slice(0, 40); });
        } }, [icon("pencil")]),
        id === doc.app.home ? null : el("button", { "class": "dz-icon-btn", type: "button", title: T.make_home, "aria-label": T.make_home,
          onclick: function () { change(function () { doc.app.home = id; }); } }, [icon("home")]),
        id === doc.app.home ? null : el("button", { "class": "dz-icon-btn", type: "button", title: T["delete"], "aria-label": T["delete"],
          onclick: function () {
            change(function () { delete doc.pages[id]; doc.app.tabbar = doc.app.tabbar.filter(function (t) { return t.page !== id; }); });
            if (pageId === id) switchPage(doc.app.home);
          } }, [icon("trash")])
      ]));
    });
  }
  $("[data-add-page]").addEventListener("submit", function (event) {
    event.preventDefault();
    var title = event.target.title.value.trim();
    if (!title) return;
    var preset = presetOf(event.target.preset.value);
    var missing = (preset.needs || []).filter(function (name) { return doc.app.engines.indexOf(name) < 0; });
    if (missing.length) { setStatus(T.needs_feature, true); return; }
    var base = title.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "").slice(0, 30) || "page";
    if (!/^[a-z]/.test(base)) base = "p_" + base;
    var id = base, n = 2;
    while (doc.pages[id]) id = base + "_" + (n++);
    change(function () {
      var newPage = { title: title.slice(0, 40), sections: clone(preset.sections), order: Object.keys(preset.sections) };
      if (preset.kind) newPage.kind = preset.kind;
      doc.pages[id] = newPage;
    });
    event.target.reset();
    save().then(function () { switchPage(id); });  // the preview draws the saved draft: the new page first
  });

  // What "Add page" starts from; system pages carry their required main section.
  var PAGE_PRESETS = {
    blank: { sections: {} },
    about: { sections: { s_title: { type: "title", settings: { text: "About us" } }, s_text: { type: "rich_text", settings: {} },
                         s_store: { type: "store_info", settings: {} } } },
    contact: { sections: { s_contact: { type: "contact", settings: {} }, s_store: { type: "store_info", settings: {} } } },
    news: { needs: ["articles"], sections: { s_news: { type: "article_list", settings: { count: 10 } } } }
  };
  var THEME = [
    { id: "primary", widget: "colour", label: T.theme.primary }, { id: "accent", widget: "colour", label: T.theme.accent },
    { id: "background", widget: "colour", label: T.theme.background }, { id: "text", widget: "colour", label: T.theme.text },
    { id: "radius", widget: "range", label: T.theme.radius, min: 0, max: 24, unit: "px" },
    { id: "font_scale", widget: "range", label: T.theme.font_scale, min: 85, max: 130, unit: "%" }];
  var TAB_ICONS = ["home", "category", "cart", "user", "list", "star", "message", "map", "calendar", "book", "search", "gift", "heart", "shop"];
  function renderTheme() {
    var box = $("[data-theme]");
    box.textContent = "";
    box.appendChild(fieldsFor(THEME, function () { return doc.app.theme; }, "app.theme", []));
    var features = el("div", { "class": "dz-fields", "data-path": "app.engines" }, [el("h4", { text: T.features })]);
    state.engines.filter(function (engine) { return engine.feature; }).forEach(function (engine) {
      var box = el("input", { type: "checkbox", "class": "form-check-input", "data-engine": engine.name });
      box.checked = doc.app.engines.indexOf(engine.name) >= 0;
      box.addEventListener("change", function () {
        change(function () {
          doc.app.engines = doc.app.engines.filter(function (e) { return e !== engine.name; });
          if (box.checked) doc.app.engines.push(engine.name);
        });
        renderPalette();
      });
      features.appendChild(el("label", { "class": "form-check" }, [box, el("span", { "class": "form-check-label", text: engine.label })]));
    });
    showFieldError(features);
    box.appendChild(features);
    // Each engine's flow settings (what the merchant decides: the payment deadline, the ways to
    // receive an order …), drawn from its settings schema; they take effect once published.
    doc.app.settings = doc.app.settings || {};
    state.engines.forEach(function (engine) {
      if (!engine.settings.length || (engine.feature && doc.app.engines.indexOf(engine.name) < 0)) return;
      var section = el("div", { "class": "dz-fields", "data-engine-settings": engine.name }, [el("h4", { text: engine.label })]);
      section.appendChild(fieldsFor(engine.settings, function () {
        doc.app.settings[engine.name] = doc.app.settings[engine.name] || {};
        return doc.app.settings[engine.name];
      }, "app.settings." + engine.name, []));
      box.appendChild(section);
    });
    var tabs = $("[data-tabbar]");
    tabs.textContent = "";
    doc.app.tabbar.forEach(function (tab, index) {
      var pages = el("select", { "class": "form-select form-select-sm", "aria-label": T.page });
      Object.keys(doc.pages).forEach(function (p) { pages.appendChild(el("option", { value: p, text: doc.pages[p].title })); });
      pages.value = tab.page;
      pages.addEventListener("change", function () { change(function () { doc.app.tabbar[index].page = pages.value; }, { sections: null }); });
      var label = el("input", { "class": "form-control form-control-sm", maxlength: 8, "aria-label": T.label });
      label.value = tab.label;
      label.addEventListener("input", function () { change(function () { doc.app.tabbar[index].label = label.value; }, { coalesce: "tab" + index }); });
      var iconSelect = el("select", { "class": "form-select form-select-sm", "aria-label": T.icon });
      TAB_ICONS.forEach(function (name) { iconSelect.appendChild(el("option", { value: name, text: name })); });
      iconSelect.value = tab.icon || "home";
      iconSelect.addEventListener("change", function () { change(function () { doc.app.tabbar[index].icon = iconSelect.value; }); });
      tabs.appendChild(el("div", { "class": "dz-inline mb-2", "data-path": "app.tabbar." + index }, [pages, label, iconSelect,
        el("button", { "class": "dz-icon-btn", type: "button", title: T.remove, "aria-label": T.remove,
          onclick: function () { change(function () { doc.app.tabbar.splice(index, 1); }); } }, [icon("x")])]));
    });
    if (doc.app.tabbar.length < 5) {
      tabs.appendChild(el("button", { "class": "btn btn-sm", type: "button", text: T.add_tab, onclick: function () {
        change(function () { doc.app.tabbar.push({ page: pageId, label: page().title.slice(0, 8), icon: "home" }); });
      } }));
    }
  }

  // -- dialogs: publish, phone, versions ---------------------------------------------------
  function dialog(name) { return $('[data-dialog="' + name + '"]'); }
  $$("[data-close]").forEach(function (button) { button.addEventListener("click", function () { button.closest("dialog").close(); }); });
  $$("[data-open]").forEach(function (button) {
    button.addEventListener("click", function () {
      var name = button.getAttribute("data-open");
      if (name === "phone") openPhone();
      else if (name === "versions") openVersions();
      else { $("[data-publish-warnings]").textContent = ""; dialog("publish").showModal(); }
    });
  });
  $("[data-publish-form]").addEventListener("submit", function (event) {
    if (event.submitter && event.submitter.value !== "publish") return;
    event.preventDefault();
    var note = event.target.note.value;
    flush().then(function (saved) {
      if (!saved && (conflict || Object.keys(fieldErrors).length)) { dialog("publish").close(); return; }
      return api("POST", state.urls.publish, { revision: revision, note: note }).then(function (result) {
        if (!result.ok) { $("[data-publish-warnings]").textContent = result.data.error.message; return; }
        var warnings = result.data.warnings || [];
        setStatus(T.published.replace("{n}", result.data.version.number));
        if (warnings.length) { $("[data-publish-warnings]").textContent = warnings.join(" "); }
        else dialog("publish").close();
        event.target.reset();
      });
    });
  });
  function openPhone() {
    flush().then(function () {
      return api("POST", state.urls.preview_link, { page: pageId });
    }).then(function (result) {
      if (!result || !result.ok) return;
      $("[data-qr]").innerHTML = result.data.qr_svg; // an SVG our server made from the link
      $("[data-qr-url]").value = result.data.url;
      $("[data-qr-open]").href = result.data.url;
      $("[data-qr-copied]").textContent = "";
      dialog("phone").showModal();
    });
  }
  $("[data-qr-copy]").addEventListener("click", function () {
    var field = $("[data-qr-url]"), said = $("[data-qr-copied]");
    function done() { said.textContent = T.copied; }
    function fallback() { field.select(); try { document.execCommand("copy"); done(); } catch (e) { said.textContent = T.copy_by_hand; } }
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(field.value).then(done, fallback);
    else fallback();
  });
  $("[data-qr-url]").addEventListener("focus", function (event) { event.target.select(); });
  function openVersions() {
    api("GET", state.urls.versions).then(function (result) {
      var box = $("[data-versions]");
      box.textContent = "";
      var items = result.data.items || [];
      if (!items.length) box.appendChild(el("p", { "class": "text-secondary", text: T.no_versions }));
      items.forEach(function (v) {
        var diffList = el("ul", { "class": "dz-diff" });
        var main = el("div", { "class": "dz-version-main" }, [
          el("strong", { text: "v" + v.number }), " ", el("span", { "class": "text-secondary", text: new Date(v.published_at).toLocaleString() + (v.author ? " · " + v.author : "") }),
          v.note ? el("div", { text: v.note }) : null, diffList]);
        if (v.number > 1) {
          api("GET", state.urls.versions + "/" + v.number + "/diff").then(function (d) {
            if (!d.ok) return;
            var changes = d.data.changes || [];
            if (!changes.length) changes = [T.no_changes];
            changes.forEach(function (line) { diffList.appendChild(el("li", { text: line })); });
          });
        }
        box.appendChild(el("div", { "class": "dz-version" }, [main, el("button", { "class": "btn btn-sm", type: "button", text: T.rollback,
          onclick: function () {
            if (!window.confirm(T.rollback_confirm)) return;
            api("POST", state.urls.versions + "/" + v.number + "/rollback", {}).then(function (r) {
              if (!r.ok) return;
              undoStack.push(clone(doc)); doc = r.data.document; revision = r.data.revision;
              setStatus(T.published.replace("{n}", r.data.version.number));
              dialog("versions").close();
              restore(); loadFrame();
            });
          } })]));
      });
      dialog("versions").showModal();
    });
  }

  // -- wiring ------------------------------------------------------------------------------
  $$("[data-tab]").forEach(function (tab) {
    tab.addEventListener("click", function () {
      $$("[data-tab]").forEach(function (t) { t.setAttribute("aria-selected", t === tab ? "true" : "false"); });
      $$("[data-panel]").forEach(function (p) { p.hidden = p.getAttribute("data-panel") !== tab.getAttribute("data-tab"); });
    });
  });
  $("[data-palette-search]").addEventListener("input", renderPalette);
  $("[data-page-select]").addEventListener("change", function (e) { switchPage(e.target.value); });
  $("[data-undo]").addEventListener("click", undo);
  $("[data-redo]").addEventListener("click", redo);
  $("[data-reload]").addEventListener("click", function () { window.location.reload(); });
  document.addEventListener("keydown", function (event) {
    var mod = event.ctrlKey || event.metaKey;
    if (!mod) return;
    var key = event.key.toLowerCase();
    if (key === "z" && !event.shiftKey) { event.preventDefault(); undo(); }
    else if ((key === "z" && event.shiftKey) || key === "y") { event.preventDefault(); redo(); }
    else if (key === "s") { event.preventDefault(); save(); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (saveTimer || saving) { save(); event.preventDefault(); }
  });
  $("[data-inspector]").setAttribute("data-empty", $("[data-inspector]").textContent.trim());

  renderPageSelect(); renderPalette(); renderOutline(); renderPages(); renderTheme(); updateHistoryButtons();
  loadFrame();
  window.tesseraDesigner = { get document() { return doc; }, get revision() { return revision; }, save: save };
})();
