// Rich text in the back office: one Quill (vendored) set-up for the designer and the forms.
// TesseraRichText.create(holder, html, onChange, labels) makes an editor in `holder` from `html`
// (HTML the server sanitised when it stored it) and calls onChange(html) as the person types;
// `labels` names the toolbar's controls in the page's language (screen readers read them; the
// rich_text_labels macro writes them into the page).
// Each <textarea data-rich-text> (the rich_text_field macro of core/templates/core/macros.html)
// becomes such an editor writing its HTML back into the textarea, so the form posts the same
// field; the server sanitises it again (nh3).
(function () {
  "use strict";

  var TOOLBAR = [["bold", "italic", "underline"], [{ header: [2, 3, false] }], [{ list: "ordered" }, { list: "bullet" }],
    ["link", "blockquote"], ["clean"]];
  var CONTROLS = { bold: ".ql-bold", italic: ".ql-italic", underline: ".ql-underline", ordered: '.ql-list[value="ordered"]',
    bullet: '.ql-list[value="bullet"]', link: ".ql-link", quote: ".ql-blockquote", clean: ".ql-clean",
    style: ".ql-header .ql-picker-label", heading: '.ql-header .ql-picker-item[data-value="2"]',
    subheading: '.ql-header .ql-picker-item[data-value="3"]', normal: ".ql-header .ql-picker-item:not([data-value])" };

  function html(quill) {
    if (quill.getLength() <= 1) return "";  // an empty editor holds one newline
    // Quill 2.0.3 writes every space as &nbsp;, which stops lines wrapping on the storefront.
    return quill.getSemanticHTML().replace(/&nbsp;/g, " ");
  }

  function name(toolbar, labels) {
    Object.keys(CONTROLS).forEach(function (key) {
      if (!labels[key]) return;
      Array.prototype.forEach.call(toolbar.querySelectorAll(CONTROLS[key]), function (control) {
        control.setAttribute("aria-label", labels[key]);
        control.setAttribute("title", labels[key]);
      });
    });
  }

  function create(holder, initial, onChange, labels) {
    var quill = new window.Quill(holder, { theme: "snow", modules: { toolbar: TOOLBAR } });
    quill.clipboard.dangerouslyPasteHTML(initial || "", "silent");
    quill.on("text-change", function (delta, old, source) { if (source === "user") onChange(html(quill)); });
    name(quill.getModule("toolbar").container, labels || {});
    quill.root.setAttribute("role", "textbox");
    quill.root.setAttribute("aria-multiline", "true");
    return quill;
  }

  function enhance(area) {
    if (area.hasAttribute("data-rich-text-ready") || !window.Quill) return;
    area.setAttribute("data-rich-text-ready", "");
    var field = area.closest("[data-rich-text-field]");
    var labels = readLabels(field && field.querySelector("script[data-rich-text-labels]"));
    var frame = document.createElement("div");
    frame.className = "rich-text";
    var holder = document.createElement("div");
    if (area.classList.contains("is-invalid")) holder.className = "is-invalid";
    frame.appendChild(holder);
    area.parentNode.insertBefore(frame, area);
    area.hidden = true;
    var quill = create(holder, area.value, function (value) { area.value = value; }, labels);
    var label = area.id && document.querySelector('label[for="' + area.id + '"]');
    if (label) {
      label.id = label.id || area.id + "-label";
      quill.root.setAttribute("aria-labelledby", label.id);
      label.addEventListener("click", function () { quill.focus(); });
    }
    if (area.getAttribute("aria-describedby")) quill.root.setAttribute("aria-describedby", area.getAttribute("aria-describedby"));
  }

  function readLabels(script) {
    script = script || document.querySelector("script[data-rich-text-labels]");
    try { return JSON.parse(script ? script.textContent : "{}"); } catch (e) { return {}; }
  }

  // labels(): those of the page (a <script type="application/json" data-rich-text-labels>).
  window.TesseraRichText = { create: create, labels: function () { return readLabels(null); } };

  function enhanceAll() { Array.prototype.forEach.call(document.querySelectorAll("textarea[data-rich-text]"), enhance); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", enhanceAll);
  else enhanceAll();
})();
