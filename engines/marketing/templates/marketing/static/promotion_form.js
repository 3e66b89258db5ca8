// The promotion form: show only the fields the chosen kind and scope use, and the tier rows in
// use with a button for one more. Without this script every field and row shows, and the server
// skips blank rows.
(function () {
  "use strict";
  var form = document.querySelector("[data-promotion-form]");
  if (!form) return;
  var kind = form.querySelector("select[name=kind]");
  var scope = form.querySelector("select[name=scope]");
  var rows = Array.prototype.slice.call(form.querySelectorAll("[data-tier]"));
  var add = form.querySelector("[data-add-tier]");

  function show(attribute, value) {
    form.querySelectorAll("[" + attribute + "]").forEach(function (box) {
      box.hidden = box.getAttribute(attribute).split(" ").indexOf(value) < 0;
    });
  }

  function inUse(row) {
    return row.querySelector(".is-invalid") !== null ||
      Array.prototype.some.call(row.querySelectorAll("input, select"), function (input) {
        return input.type === "checkbox" ? input.checked : input.value.trim() !== "";
      });
  }

  // The rows shown: up to the last one in use, and at least the first.
  var shown = 1;
  rows.forEach(function (row, index) { if (inUse(row)) shown = index + 1; });

  function showRows() {
    rows.forEach(function (row, index) { row.hidden = index >= shown; });
    add.hidden = shown >= rows.length;
  }

  function update() {
    show("data-kinds", kind.value);
    show("data-scopes", scope.value);
  }

  add.addEventListener("click", function () {
    shown += 1;
    showRows();
    rows[shown - 1].querySelector("input").focus();
  });
  kind.addEventListener("change", update);
  scope.addEventListener("change", update);
  showRows();
  update();
})();
