// The coupon form: show only the fields the chosen kind and scope use. Without this script every
// field shows, and the server ignores those the kind does not use.
(function () {
  "use strict";
  var form = document.querySelector("[data-coupon-form]");
  if (!form) return;
  var kind = form.querySelector("select[name=kind]");
  var scope = form.querySelector("select[name=scope]");

  function show(attribute, value) {
    form.querySelectorAll("[" + attribute + "]").forEach(function (box) {
      box.hidden = box.getAttribute(attribute).split(" ").indexOf(value) < 0;
    });
  }

  function update() {
    show("data-kinds", kind.value);
    show("data-scopes", scope.value);
  }

  kind.addEventListener("change", update);
  scope.addEventListener("change", update);
  update();
})();
