// Small behaviours of the H5 storefront; every page works without them.
(function () {
  "use strict";
  function carousels() {
    document.querySelectorAll("[data-carousel]").forEach(function (root) {
      var track = root.querySelector("[data-carousel-track]");
      var dots = root.querySelectorAll("[data-carousel-dot]");
      var count = track ? track.children.length : 0;
      var interval = parseInt(root.getAttribute("data-interval") || "4", 10) * 1000;
      if (!track || count < 2) return;
      var index = 0, timer = null;
      function show(i) {
        index = (i + count) % count;
        track.scrollTo({ left: track.clientWidth * index, behavior: "smooth" });
        dots.forEach(function (d, j) { d.classList.toggle("is-on", j === index); });
      }
      function start() { if (interval > 0) timer = setInterval(function () { show(index + 1); }, interval); }
      track.addEventListener("scroll", function () {
        var i = Math.round(track.scrollLeft / Math.max(track.clientWidth, 1));
        dots.forEach(function (d, j) { d.classList.toggle("is-on", j === i); });
        index = i;
      }, { passive: true });
      root.addEventListener("pointerdown", function () { clearInterval(timer); });
      start();
    });
  }
  function tabs() {
    document.querySelectorAll("[data-tabs]").forEach(function (root) {
      var buttons = root.querySelectorAll("[role=tab]");
      buttons.forEach(function (button) {
        button.addEventListener("click", function () {
          buttons.forEach(function (b) {
            var on = b === button;
            b.setAttribute("aria-selected", on ? "true" : "false");
            var panel = document.getElementById(b.getAttribute("aria-controls"));
            if (panel) panel.hidden = !on;
          });
        });
      });
    });
  }
  // A timed offer's countdown: "Ends in 2d 03:14:05", ticking; at the end the page reloads (the
  // cached page changes then too).
  function countdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (node) {
      var end = Date.parse(node.getAttribute("data-countdown"));
      var words = node.getAttribute("data-ends-text") || "";
      function pad(n) { return (n < 10 ? "0" : "") + n; }
      function tick() {
        var left = Math.max(0, Math.floor((end - Date.now()) / 1000));
        var days = Math.floor(left / 86400), rest = left % 86400;
        node.textContent = words + " " + (days ? days + "d " : "") + pad(Math.floor(rest / 3600)) + ":" +
          pad(Math.floor(rest % 3600 / 60)) + ":" + pad(rest % 60);
        if (left === 0) { clearInterval(timer); setTimeout(function () { location.reload(); }, 1500); }
      }
      var timer = setInterval(tick, 1000);
      tick();
    });
  }
  function toTop() {
    document.querySelectorAll("[data-scroll-top]").forEach(function (button) {
      button.addEventListener("click", function (event) { event.preventDefault(); window.scrollTo({ top: 0, behavior: "smooth" }); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { carousels(); tabs(); toTop(); countdowns(); });
})();
