// The price simulator's cart: show the rows in use (and at least the first) with a button for one
// more. Without this script every row shows, and the server skips rows with no item chosen.
(function () {
  "use strict";
  var cart = document.querySelector("#cart");
  var add = document.querySelector("[data-add-row]");
  if (!cart || !add) return;
  var rows = Array.prototype.slice.call(cart.querySelectorAll("[data-cart-row]"));

  function inUse(row) {
    return row.querySelector(".is-invalid") !== null || row.querySelector("select").value !== "";
  }

  var shown = 1;
  rows.forEach(function (row, index) { if (inUse(row)) shown = index + 1; });

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
