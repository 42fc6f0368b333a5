/* Draws the plotly charts of the results page, the HTML gap report and the comparison page.
 * Each chart is a <div data-chart="ID"> whose figure is in <script type="application/json" id="ID">
 * (written by Django's json_script: data, not code, so the strict CSP allows it). Every chart
 * has a table with the same figures, so a page is complete without JavaScript. */
(function () {
  "use strict";

  // A point whose customdata is a path of this app (a heatmap cell: that site's assessment)
  // opens it on click; the table links beside the chart do the same by keyboard.
  function followLinks(element) {
    if (typeof element.on !== "function") {
      return;
    }
    element.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      var link = point && point.customdata;
      if (typeof link === "string" && link.charAt(0) === "/" && link.charAt(1) !== "/") {
        window.location.assign(link);
      }
    });
  }

  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || typeof window.Plotly === "undefined") {
      return;
    }
    var figure = JSON.parse(source.textContent);
    window.Plotly.newPlot(element, figure.data, figure.layout, figure.config).then(function () {
      element.classList.add("is-drawn");
      followLinks(element);
    });
  }

  function drawAll() {
    var charts = document.querySelectorAll("[data-chart]");
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
