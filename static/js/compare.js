/* Comparison page: draws the plotly figures of reports/compare.html.
 * Each chart is a <div data-compare-chart="ID"> whose figure is in <script type="application/json" id="ID">
 * (written by Django's json_script: data, not code, so the strict CSP allows it). Every chart has
 * a table with the same figures, so the page is complete without JavaScript. */
(function () {
  "use strict";

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-compare-chart"));
    if (!source || typeof window.Plotly === "undefined") {
      return;
    }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(element, figure.data, figure.layout, figure.config).then(function () {
      element.classList.add("is-drawn");
      // A heatmap cell opens that site's assessment (the table links do the same by keyboard).
      if (typeof element.on === "function") {
        element.on("plotly_click", function (event) {
          var point = event && event.points && event.points[0];
          var link = point && point.customdata;
          if (typeof link === "string" && link.charAt(0) === "/") {
            window.location.assign(link);
          }
        });
      }
    });
  }

  function drawAll() {
    var charts = document.querySelectorAll("[data-compare-chart]");
    for (var i = 0; i < charts.length; i += 1) {
      draw(charts[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
