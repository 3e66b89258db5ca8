// The Stripe pay page: Stripe's Payment Element confirms the PaymentIntent at Stripe, which then
// sends the buyer back to the order; Stripe's webhook settles the payment on the server.
(function () {
  "use strict";
  var root = document.getElementById("stripe-pay");
  var form = root && root.querySelector("[data-card-form]");
  if (!form) return;
  var error = form.querySelector("[data-card-error]");
  var submit = form.querySelector("button[type=submit]");
  function show(message) { error.textContent = message; error.hidden = false; }
  if (typeof window.Stripe !== "function" || !root.dataset.publishableKey || !root.dataset.clientSecret) {
    show(root.dataset.unavailable);
    return;
  }
  var stripe = window.Stripe(root.dataset.publishableKey);
  var elements = stripe.elements({ clientSecret: root.dataset.clientSecret });
  elements.create("payment").mount(form.querySelector("[data-card-element]"));
  submit.disabled = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit.disabled = true;
    var back = new URL(root.dataset.returnTo || location.pathname, location.href).toString();
    stripe.confirmPayment({ elements: elements, confirmParams: { return_url: back } }).then(function (result) {
      if (result.error) { show(result.error.message); submit.disabled = false; }
    });
  });
})();
