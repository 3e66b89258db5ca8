// The catalog's H5 behaviour: the item page's buy form. Choosing by dimension (Size, Colour…)
// selects the SKU of that combination and shows its price, stock and picture; combinations that
// are sold out or do not exist are disabled. A choice made while signed out is kept through
// sign-in and added to the cart then. Below it, the item's reviews.
import { T, api, base, keepPendingLine, token } from "../../runtime-static/h5/kit.js";
import { itemReviews } from "./reviews.js";

function buyForm(form) {
  const status = form.querySelector("[data-buy-message]");
  const skus = Array.prototype.slice.call(form.querySelectorAll("input[name=sku]"));
  const dimensions = Array.prototype.slice.call(form.querySelectorAll("[data-dimension]"));
  const price = document.querySelector("[data-price]");
  const left = form.querySelector("[data-stock-left]");
  const photo = document.querySelector("[data-item-photo]");
  const firstPhoto = photo ? photo.getAttribute("src") : null;
  const optionsOf = function (input) { return JSON.parse(input.getAttribute("data-options") || "{}"); };

  function picked() {
    const wanted = {};
    dimensions.forEach(function (d) {
      const on = d.querySelector("input:checked");
      if (on) wanted[d.getAttribute("data-dimension")] = on.value;
    });
    return wanted;
  }
  function matches(input, wanted) {
    const options = optionsOf(input);
    return Object.keys(wanted).every(function (k) { return options[k] === wanted[k]; });
  }
  function showSku(input) {
    if (!input) return;
    input.checked = true;
    if (price) price.textContent = input.getAttribute("data-price");
    const stock = parseInt(input.getAttribute("data-stock"), 10) || 0;
    if (left) left.textContent = stock ? left.getAttribute("data-left-text").replace("{n}", stock) : left.getAttribute("data-sold-out-text");
    if (photo) photo.setAttribute("src", input.getAttribute("data-image") || firstPhoto);
  }
  function refresh() {
    const wanted = picked();
    // each value is offered when, with the other dimensions as chosen, a SKU in stock has it
    dimensions.forEach(function (d) {
      const name = d.getAttribute("data-dimension");
      d.querySelectorAll("input").forEach(function (input) {
        const trial = Object.assign({}, wanted); trial[name] = input.value;
        const available = skus.some(function (sku) { return !sku.disabled && matches(sku, trial); });
        input.disabled = !available;
        input.parentNode.classList.toggle("is-disabled", !available);
        if (!available && input.checked) input.checked = false;
      });
    });
    const complete = Object.keys(picked()).length === dimensions.length;
    const sku = complete ? skus.filter(function (s) { return !s.disabled && matches(s, picked()); })[0] : null;
    skus.forEach(function (s) { if (s !== sku) s.checked = false; });
    form.querySelectorAll("[data-add-to-cart], [data-buy-now]").forEach(function (b) { b.disabled = !sku; });
    if (sku) showSku(sku);
  }
  if (dimensions.length) {
    form.querySelector("[data-sku-list]").hidden = true;
    dimensions.forEach(function (d) { d.hidden = false; d.addEventListener("change", refresh); });
    const first = skus.filter(function (s) { return !s.disabled; })[0];  // start on the first combination in stock
    if (first) {
      const options = optionsOf(first);
      dimensions.forEach(function (d) {
        const input = d.querySelector('input[value="' + CSS.escape(options[d.getAttribute("data-dimension")] || "") + '"]');
        if (input) input.checked = true;
      });
    }
    refresh();
  } else {
    skus.forEach(function (s) { s.addEventListener("change", function () { showSku(s); }); });
  }

  function chosen() {
    const sku = form.querySelector("input[name=sku]:checked");
    const choices = {};
    form.querySelectorAll("[data-choice-group]").forEach(function (group) {
      const values = Array.prototype.map.call(group.querySelectorAll("input:checked"), function (i) { return i.value; });
      if (values.length) choices[group.getAttribute("data-choice-group")] = values;
    });
    return { sku_id: sku ? sku.value : null, quantity: parseInt(form.querySelector("input[name=qty]").value, 10) || 1, choices: choices };
  }
  function checkoutUrl() {
    const c = chosen();
    return form.getAttribute("action") + "?sku=" + c.sku_id + "&qty=" + c.quantity + "&choices=" + encodeURIComponent(JSON.stringify(c.choices));
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!chosen().sku_id) return;
    location.href = token() ? checkoutUrl() : base + "/account/login?next=" + encodeURIComponent(checkoutUrl());
  });
  form.querySelector("[data-add-to-cart]").addEventListener("click", function () {
    const line = chosen();
    if (!line.sku_id) return;
    if (!token()) {  // kept through sign-in, added then, and back here
      keepPendingLine(line);
      location.href = base + "/account/login?next=" + encodeURIComponent(location.pathname + location.search);
      return;
    }
    api("POST", "/cart/lines", line).then(function () { status.textContent = T.added || "✓"; })
      .catch(function (error) { status.textContent = error.message; });
  });
  if (new URLSearchParams(location.search).get("added")) status.textContent = T.added || "✓";
}

document.querySelectorAll("[data-buy]").forEach(buyForm);
document.querySelectorAll("article[data-item]").forEach(itemReviews);
