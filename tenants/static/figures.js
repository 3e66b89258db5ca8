/* The console's figures: sign-ups a week as a bar chart (Chart.js, vendored), from the page's JSON. */
(function () {
  "use strict";
  var source = document.querySelector("[data-figures]");
  var canvas = document.querySelector('[data-figure-chart="signups"]');
  if (!source || !canvas || !window.Chart) return;
  var data = JSON.parse(source.textContent);
  var style = getComputedStyle(document.body);
  var primary = style.getPropertyValue("--tblr-primary").trim() || "#066fd1";
  var muted = style.getPropertyValue("--tblr-secondary").trim() || "#6c7a91";
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: data.signups.map(function (week) { return week.week.slice(5); }),
      datasets: [{data: data.signups.map(function (week) { return week.count; }), backgroundColor: primary,
                  borderRadius: 3, maxBarThickness: 36}]
    },
    options: {
      responsive: true, animation: false, aspectRatio: canvas.parentNode.clientWidth < 576 ? 1.6 : 2.6,
      plugins: {legend: {display: false}},
      scales: {x: {grid: {display: false}, ticks: {color: muted, maxRotation: 0}},
               y: {beginAtZero: true, ticks: {color: muted, precision: 0}}}
    }
  });
  canvas.setAttribute("data-drawn", "true");
})();
