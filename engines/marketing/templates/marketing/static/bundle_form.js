// The bundle form: show the rows of the set in use (at least two) with a button for one more.
// Without this script every row shows, and the server skips blank ones.
(function () {
  "use strict";
  var form = document.querySelector("[data-bundle-form]");
  if (!form) return;
  var rows = Array.prototype.slice.call(form.querySelectorAll("[data-set-row]"));
  var add = form.querySelector("[data-add-row]");

  function inUse(row) {
    return row.querySelector(".is-invalid") !== null || row.querySelector("select").value !== "";
  }

  // The rows shown: up to the last one in use, and at least two.
  var shown = 2;
  rows.forEach(function (row, index) { if (inUse(row)) shown = Math.max(shown, index + 1); });

  function showRows() {
    rows.forEach(function (row, index) { row.hidden = index >= shown; });
    add.hidden = shown >= rows.length;
  }

  add.addEventListener("click", function () {
    shown += 1;
    showRows();
    rows[shown - 1].querySelector("select").focus();
  });
  showRows();
})();
