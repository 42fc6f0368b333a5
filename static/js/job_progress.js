// Progress of a background job (a report being prepared, a batch export), without reloading:
// polls the JSON status named by data-job-status. A report's download starts when it is
// ready (data-job-download); a batch page reloads once, to show its download link.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status]");
  if (!box) {
    return;
  }
  var bar = box.querySelector("progress");
  var label = box.querySelector("[data-job-label]");
  var count = box.querySelector("[data-job-count]");
  var retry = box.querySelector("[data-job-retry]");
  var delay = 1000;

  function show(state) {
    if (bar) {
      bar.value = state.progress;
      bar.textContent = state.progress + " %";
    }
    if (label && label.textContent !== state.label) {
      label.textContent = state.label;
    }
    if (count && state.total !== undefined) {
      count.textContent = state.done + " of " + state.total;
    }
    if (retry) {
      retry.classList.toggle("d-none", state.state !== "failed");
    }
  }

  function poll() {
    fetch(box.dataset.jobStatus, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.state === "ready" && box.dataset.jobDownload) {
          window.location.assign(box.dataset.jobDownload);
          return;
        }
        if (state.finished || state.state === "expired") {
          if (box.dataset.jobReload) {
            window.location.reload();
          }
          return;
        }
        if (state.state === "failed") {
          return;
        }
        delay = Math.min(delay * 1.3, 5000);
        window.setTimeout(poll, delay);
      })
      .catch(function () {
        // A network hiccup: try again, more slowly.
        delay = Math.min(delay * 2, 10000);
        window.setTimeout(poll, delay);
      });
  }

  window.setTimeout(poll, delay);
})();
