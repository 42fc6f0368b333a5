/* Draws the plotly charts of the results page, the HTML gap report and the comparison page.
 * Each chart is a <div data-chart="ID">. On the comparison page its figure is in
 * <script type="application/json" id="ID"> (written by Django's json_script: data, not code, so
 * the strict CSP allows it); on the results page and the report, the figures of the page's
 * charts are fetched as JSON from data-chart-src, keyed by the chart's ID, when one is asked
 * for. Every chart has a table with the same figures, so a page is complete without JavaScript.
 *
 * plotly.js (static/vendor, about 430 KB gzipped) is the heaviest thing a page can load, so it
 * is fetched only when needed. A chart with data-chart-on-demand (results page, HTML report)
 * shows a static SVG drawn by the server and becomes interactive when its "Interactive chart"
 * button is pressed; any other chart is drawn the first time it comes within 200px of the
 * viewport. plotly.js's address is this script's data-plotly-src, and its style sheet
 * (data-plotly-css) is added first, so that plotly.js injects no <style> (the CSP forbids it). */
(function () {
  "use strict";

  var script = document.currentScript;
  var plotlySrc = script && script.getAttribute("data-plotly-src");
  var plotlyCss = script && script.getAttribute("data-plotly-css");
  var loading = null;

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

  function loadPlotly() {
    if (loading === null) {
      loading = new Promise(function (resolve, reject) {
        if (typeof window.Plotly !== "undefined") {
          resolve();
          return;
        }
        if (!plotlySrc) {
          reject(new Error("charts.js: no data-plotly-src"));
          return;
        }
        if (plotlyCss && !document.getElementById("plotly.js-style-global")) {
          var sheet = document.createElement("link");
          sheet.rel = "stylesheet";
          sheet.id = "plotly.js-style-global";
          sheet.className = "no-inline-styles";
          sheet.href = plotlyCss;
          document.head.appendChild(sheet);
        }
        var tag = document.createElement("script");
        tag.src = plotlySrc;
        tag.async = true;
        tag.onload = function () {
          resolve();
        };
        tag.onerror = function () {
          reject(new Error("charts.js: plotly.js did not load"));
        };
        document.head.appendChild(tag);
      });
    }
    return loading;
  }

  // The page's figures from its data-chart-src, fetched once for all its charts.
  var fetched = {};
  function fetchFigures(src) {
    if (!fetched[src]) {
      fetched[src] = fetch(src, {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (response) {
        if (!response.ok) {
          throw new Error("charts.js: " + src + " answered " + response.status);
        }
        return response.json(); // a sign-in page instead (an expired session) fails here
      }).catch(function (error) {
        delete fetched[src]; // asked again on the next press
        throw error;
      });
    }
    return fetched[src];
  }

  function figureOf(element) {
    var id = element.getAttribute("data-chart");
    var src = element.getAttribute("data-chart-src");
    if (src) {
      return fetchFigures(src).then(function (figures) {
        if (!figures[id]) {
          throw new Error("charts.js: no figure " + id);
        }
        return figures[id];
      });
    }
    var source = document.getElementById(id);
    if (!source) {
      return null;
    }
    return Promise.resolve(JSON.parse(source.textContent));
  }

  function draw(element) {
    var figureLoaded = figureOf(element);
    if (!figureLoaded) {
      return;
    }
    return Promise.all([figureLoaded, loadPlotly()]).then(function (loaded) {
      var figure = loaded[0];
      // The static picture, if any, gives way to the interactive chart.
      while (element.firstChild) {
        element.removeChild(element.firstChild);
      }
      return window.Plotly.newPlot(element, figure.data, figure.layout, figure.config);
    }).then(function () {
      element.classList.add("is-drawn");
      followLinks(element);
    }, function () {
      // Without plotly.js the chart's table (and its picture, if any) still hold its figures.
      element.classList.add("is-not-drawn");
    });
  }

  // A chart with a static picture: its button draws the interactive chart, then goes away.
  function offer(element) {
    var button = document.querySelector('[data-chart-interactive="' + element.id + '"]');
    if (!button) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      button.setAttribute("aria-busy", "true");
      draw(element).then(function () {
        if (element.classList.contains("is-drawn")) {
          button.hidden = true;
        } else {
          button.disabled = false;
          button.removeAttribute("aria-busy");
        }
      });
    });
  }

  function start() {
    var onDemand = document.querySelectorAll("[data-chart][data-chart-on-demand]");
    var charts = document.querySelectorAll("[data-chart]:not([data-chart-on-demand])");
    var i;
    for (i = 0; i < onDemand.length; i += 1) {
      offer(onDemand[i]);
    }
    if (!("IntersectionObserver" in window)) {
      for (i = 0; i < charts.length; i += 1) {
        draw(charts[i]);
      }
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (entry.isIntersecting) {
          observer.unobserve(entry.target);
          draw(entry.target);
        }
      });
    }, { rootMargin: "200px 0px" });
    for (i = 0; i < charts.length; i += 1) {
      observer.observe(charts[i]);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
