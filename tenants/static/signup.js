// Sign-up form: the shop's address follows its name until the merchant types one, and whether
// an address is free is asked as it is typed (GET /signup/address), said beside the field.
(function () {
  "use strict";
  var form = document.getElementById("signup-form");
  if (!form) return;
  var name = form.querySelector("[name=shop_name]");
  var slug = form.querySelector("[name=slug]");
  var said = form.querySelector("[data-slug-check]");
  var typed = slug.value !== "";
  var timer = null;
  var asked = 0;

  function fromName(text) {
    return text.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40).replace(/-+$/, "");
  }

  function say(text, good) {
    said.textContent = text;
    said.className = "small mt-1 " + (good ? "text-success" : "text-danger");
  }

  function check() {
    var value = slug.value.trim().toLowerCase();
    if (!value) { said.textContent = ""; return; }
    var mine = ++asked;
    fetch(form.dataset.addressCheck + "?slug=" + encodeURIComponent(value), {headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (mine !== asked) return;  // a later keystroke asked again
        say(answer.available ? form.dataset.prefix + answer.slug + "/ · " + answer.message : answer.message,
            answer.available);
      })
      .catch(function () { said.textContent = ""; });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  }

  name.addEventListener("input", function () {
    if (typed) return;
    slug.value = fromName(name.value);
    later();
  });
  slug.addEventListener("input", function () {
    typed = slug.value !== "";
    later();
  });
  if (slug.value) check();
})();
