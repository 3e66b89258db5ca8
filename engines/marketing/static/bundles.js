// The bundle card: puts every item of the set in the cart — the SKU chosen in the card for an item
// with several — one line each, in the set's quantities, then says so with a way to the cart.
import { T, api, base, el, signIn, token } from "../../runtime-static/h5/kit.js";

function linesOf(card) {
  return Array.prototype.map.call(card.querySelectorAll("[data-bundle-item]"), function (item) {
    return { sku_id: item.querySelector("[name=sku]").value, quantity: parseInt(item.getAttribute("data-quantity"), 10) };
  });
}

document.querySelectorAll("[data-bundle]").forEach(function (card) {
  const button = card.querySelector("[data-add-bundle]");
  const status = card.querySelector("[data-bundle-status]");
  if (!button) return;
  button.addEventListener("click", function () {
    if (!token()) return signIn();
    button.disabled = true;
    status.textContent = "";
    linesOf(card).reduce(function (added, line) {
      return added.then(function () { return api("POST", "/cart/lines", line); });
    }, Promise.resolve()).then(function () {
      status.append(T.bundle_added + " ", el("a", { href: base + "/cart", "data-bundle-cart": "" }, [T.bundle_to_cart]));
    }).catch(function (error) {
      if (error.message !== "unauthenticated") status.textContent = error.message;
    }).finally(function () { button.disabled = false; });
  });
});
