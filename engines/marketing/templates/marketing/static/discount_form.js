// The timed discount form: show only the field of the discount chosen (a percentage or an amount
// off each unit). Without this script both show, and the server reads only the chosen one.
(function () {
  "use strict";
  var form = document.querySelector("[data-discount-form]");
  if (!form) return;
  var off = form.querySelector("select[name=off]");

  function update() {
    form.querySelectorAll("[data-offs]").forEach(function (box) {
      box.hidden = box.getAttribute("data-offs").split(" ").indexOf(off.value) < 0;
    });
  }

  off.addEventListener("change", update);
  update();
})();
