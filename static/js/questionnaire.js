// Questionnaire page: show_if follow-ups and autosave of each question as it changes.
// Without JavaScript the page still works: the Save buttons post the whole domain.
(function () {
  "use strict";

  var form = document.getElementById("questionnaire");
  if (!form) return;
  var statusBox = document.getElementById("save-status");
  var autosave = form.dataset.autosave === "on";
  var timers = {};
  var inFlight = {};
  var queued = {};
  // A radio group's choice is saved once it has settled for this long (or focus left it).
  var RADIO_SETTLE_MS = 1000;

  function cards() {
    return Array.prototype.slice.call(form.querySelectorAll(".question-card"));
  }

  function cardFor(key) {
    return document.getElementById("q-" + key);
  }

  function currentValue(card) {
    var checked = card.querySelector('input[type="radio"][name="' + card.dataset.key + '"]:checked');
    return checked ? checked.value : "";
  }

  // The same rule as the server: visible when the referred question is visible and its
  // answer is one of the listed values. Cards refer only to earlier questions, so one pass
  // in document order settles chains.
  function applyVisibility() {
    cards().forEach(function (card) {
      var ref = card.dataset.showIf;
      if (!ref) return;
      var refCard = cardFor(ref);
      if (!refCard) return; // refers to another domain: the server decided
      var values = JSON.parse(card.dataset.showIfValues || "[]");
      var visible = !refCard.hidden && values.indexOf(currentValue(refCard)) !== -1;
      card.hidden = !visible;
    });
  }

  function setStatus(text, isError) {
    if (!statusBox) return;
    statusBox.textContent = text;
    statusBox.classList.toggle("is-error", !!isError);
  }

  function fieldsOf(key) {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector('input[name="csrfmiddlewaretoken"]').value);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || (el.name !== key && el.name.indexOf(key + "--") !== 0)) return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      data.append(el.name, el.value);
    });
    // A cleared radio group still has to say "no answer" to the server.
    if (!data.has(key)) data.append(key, "");
    return data;
  }

  function updateProgress(progress, overall) {
    Object.keys(progress || {}).forEach(function (domainKey) {
      var link = document.querySelector('.domain-nav [data-domain="' + domainKey + '"] [data-count]');
      if (!link) return;
      var p = progress[domainKey];
      link.textContent = p.answered + "/" + p.total;
      link.classList.toggle("domain-done", p.answered === p.total);
    });
    var overallBox = document.getElementById("overall-progress");
    if (overallBox && typeof overall === "number") overallBox.textContent = overall + "% answered overall";
  }

  function save(key, keepalive) {
    if (!autosave) return Promise.resolve();
    if (inFlight[key]) {
      queued[key] = true;
      return inFlight[key];
    }
    setStatus("Saving…");
    var request = fetch(form.action, {
      method: "POST",
      body: fieldsOf(key),
      headers: { "X-Autosave": "1", "Accept": "application/json" },
      credentials: "same-origin",
      keepalive: !!keepalive
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.redirected || type.indexOf("application/json") === -1) {
          // Signed out (the session expired): the login page came back instead of JSON.
          var error = new Error("signed out");
          error.signedOut = true;
          throw error;
        }
        return response.json().then(function (body) {
          return { status: response.status, body: body };
        });
      })
      .then(function (result) {
        var body = result.body;
        if (body.locked) {
          setStatus(body.message, true);
          autosave = false;
          return;
        }
        Object.keys(body.saved || {}).forEach(function (savedKey) {
          var card = cardFor(savedKey);
          if (!card) return;
          card.querySelector('input[name="' + savedKey + '--rev"]').value = body.saved[savedKey].rev;
          card.querySelector('input[name="' + savedKey + '--base"]').value = body.saved[savedKey].base;
        });
        Object.keys(body.problems || {}).forEach(function (problemKey) {
          var card = cardFor(problemKey);
          if (!card) return;
          var wrapper = document.createElement("div");
          wrapper.innerHTML = body.problems[problemKey];
          var fresh = wrapper.firstElementChild;
          card.replaceWith(fresh);
        });
        updateProgress(body.progress, body.overall);
        applyVisibility();
        if (Object.keys(body.problems || {}).length) {
          setStatus("Not saved: see the highlighted question.", true);
        } else {
          var now = new Date();
          setStatus("All changes saved at " + now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) + ".");
        }
      })
      .catch(function (error) {
        if (error && error.signedOut) {
          setStatus("Your session has ended. Sign in again in another tab, then press Save: your answers are kept on this page.", true);
        } else {
          setStatus("Could not reach the server. Your answers are kept on this page; press Save when you are back online.", true);
        }
      })
      .finally(function () {
        delete inFlight[key];
        if (queued[key]) {
          delete queued[key];
          save(key);
        }
      });
    inFlight[key] = request;
    return request;
  }

  function keyOf(element) {
    var card = element.closest(".question-card");
    return card ? card.dataset.key : null;
  }

  function schedule(key, delay) {
    clearTimeout(timers[key]);
    timers[key] = setTimeout(function () {
      delete timers[key];
      save(key);
    }, delay);
  }

  function flushAll(keepalive) {
    Object.keys(timers).forEach(function (key) {
      clearTimeout(timers[key]);
      delete timers[key];
      save(key, keepalive);
    });
  }

  form.addEventListener("change", function (event) {
    var key = keyOf(event.target);
    if (!key) return;
    if (event.target.type === "radio" && event.target.name === key) applyVisibility();
    if (event.target.name === key + "--resolve") return; // a choice is saved with the answer
    // Arrow keys move through a radio group one option at a time, each a "change": wait
    // until the choice settles (a second without another change, or focus leaving the
    // group) so that the history records one change, not every option passed on the way.
    if (event.target.type === "radio") setStatus("Unsaved changes…");
    schedule(key, event.target.type === "radio" ? RADIO_SETTLE_MS : 300);
  });

  form.addEventListener("input", function (event) {
    if (event.target.tagName !== "TEXTAREA") return;
    var key = keyOf(event.target);
    if (key) schedule(key, 1000);
  });

  form.addEventListener("focusout", function (event) {
    var key = keyOf(event.target);
    var next = event.relatedTarget;
    // Focus moving to another option of the same radio group is arrowing, not leaving.
    if (event.target.type === "radio" && next && next.type === "radio" && next.name === event.target.name) return;
    if (key && timers[key]) {
      clearTimeout(timers[key]);
      delete timers[key];
      save(key);
    }
  });

  // The whole-page Save: let pending autosaves finish first so it starts from their revisions.
  form.addEventListener("submit", function (event) {
    var pending = Object.keys(timers).length || Object.keys(inFlight).length;
    if (!pending || form.dataset.flushed === "1") return;
    event.preventDefault();
    var submitter = event.submitter;
    flushAll(false);
    var waits = Object.keys(inFlight).map(function (k) { return inFlight[k]; });
    Promise.all(waits).finally(function () {
      form.dataset.flushed = "1";
      if (submitter && submitter.name) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = submitter.name;
        hidden.value = submitter.value;
        form.appendChild(hidden);
      }
      form.submit();
    });
  });

  // Closing the tab or switching away: send what is pending.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flushAll(true);
  });
  window.addEventListener("pagehide", function () {
    flushAll(true);
  });

  applyVisibility();
})();
