// The automation form: show only the fields the chosen trigger uses (the days without an order,
// the tier reached). Without this script every field shows, and the server reads them for the
// chosen trigger only.
(function () {
  "use strict";
  var form = document.querySelector("[data-automation-form]");
  if (!form) return;
  var trigger = form.querySelector("select[name=trigger]");

  function update() {
    form.querySelectorAll("[data-triggers]").forEach(function (box) {
      box.hidden = box.getAttribute("data-triggers").split(" ").indexOf(trigger.value) < 0;
    });
  }

  trigger.addEventListener("change", update);
  update();
})();
