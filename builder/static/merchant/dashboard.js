/* The merchant's dashboard: draws each trend's sales chart (Chart.js, vendored) from the JSON the
   page carries, and switches the chart, the total and the top items between periods. */
(function () {
  "use strict";

  function colour(name, fallback) {
    var value = getComputedStyle(document.body).getPropertyValue(name).trim();
    return value || fallback;
  }

  function draw(section) {
    var data = JSON.parse(section.querySelector("[data-chart-data]").textContent);
    var canvas = section.querySelector("[data-chart]");
    var buttons = section.querySelectorAll("[data-period]");
    var current = data.periods[buttons[0].getAttribute("data-period")];
    var primary = colour("--tblr-primary", "#066fd1");
    var muted = colour("--tblr-secondary", "#6c7a91");
    var chart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: current.map(function (point) { return point.label; }),
        datasets: [{data: current.map(function (point) { return point.value; }), backgroundColor: primary,
                    borderRadius: 3, maxBarThickness: 36}]
      },
      options: {
        responsive: true,
        aspectRatio: canvas.parentNode.clientWidth < 576 ? 1.6 : 2.6,  // taller on a phone
        animation: false,
        plugins: {
          legend: {display: false},
          tooltip: {callbacks: {
            title: function (items) { return current[items[0].dataIndex].day; },
            label: function (item) {
              var point = current[item.dataIndex];
              return point.display + " · " + data.text.orders + ": " + point.orders;
            }
          }}
        },
        scales: {
          x: {grid: {display: false}, ticks: {color: muted, autoSkip: true, maxRotation: 0}},
          y: {beginAtZero: true, ticks: {color: muted, precision: 0}}
        }
      }
    });
    canvas.setAttribute("data-drawn", "true");

    buttons.forEach(function (button) {
      button.addEventListener("click", function () {
        var days = button.getAttribute("data-period");
        current = data.periods[days];
        buttons.forEach(function (other) {
          var on = other === button;
          other.classList.toggle("active", on);
          other.setAttribute("aria-pressed", on ? "true" : "false");
        });
        section.querySelectorAll("[data-period-panel]").forEach(function (panel) {
          panel.classList.toggle("d-none", panel.getAttribute("data-period-panel") !== days);
        });
        chart.data.labels = current.map(function (point) { return point.label; });
        chart.data.datasets[0].data = current.map(function (point) { return point.value; });
        chart.update();
      });
    });
  }

  document.querySelectorAll("[data-trend]").forEach(draw);
})();
