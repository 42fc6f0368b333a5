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
      // The side list and the phone's domain switcher both show the count.
      var p = progress[domainKey];
      document.querySelectorAll('[data-domain-count="' + domainKey + '"]').forEach(function (count) {
        count.textContent = p.answered + "/" + p.total;
        count.classList.toggle("domain-done", p.answered === p.total);
      });
    });
    refreshUnanswered();
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
        } else if (queued[key] || Object.keys(timers).length) {
          // Another change is waiting to be sent: "all saved" would not be true yet.
          setStatus("Saving…");
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
    // A card's evidence file input belongs to its own upload form: nothing to autosave.
    if (event.target.form !== form) return;
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

  // --- Finding what is left: "show unanswered only" and the unanswered count --------------
  var onlyBox = document.getElementById("only-unanswered");
  var countBox = document.getElementById("unanswered-count");

  function isAnswered(card) {
    if (currentValue(card)) return true;
    var text = card.querySelector('textarea[name="' + card.dataset.key + '"]');
    return !!(text && text.value.trim());
  }

  function refreshUnanswered() {
    if (!countBox) return;
    var open = cards().filter(function (card) { return !card.hidden && !isAnswered(card); }).length;
    var flagged = cards().filter(function (card) { return card.classList.contains("is-flagged"); }).length;
    countBox.textContent = open + " unanswered in this domain" + (flagged ? " · " + flagged + " marked for review" : "");
  }

  // Cards answered while the filter is on stay in place (focus would be lost otherwise);
  // switching it on again takes them away.
  function applyFilter() {
    cards().forEach(function (card) { card.classList.toggle("is-answered", isAnswered(card)); });
    form.classList.toggle("only-unanswered", onlyBox.checked);
    var url = new URL(window.location.href);
    if (onlyBox.checked) url.searchParams.set("only", "unanswered");
    else url.searchParams.delete("only");
    window.history.replaceState(null, "", url.toString());
  }

  if (onlyBox) onlyBox.addEventListener("change", applyFilter);

  // --- Mark for review: one flag per question, shared by everyone who edits --------------
  form.querySelectorAll(".review-toggle").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var card = button.closest(".question-card");
      var wanted = button.getAttribute("aria-pressed") !== "true";
      var data = new FormData();
      data.append("csrfmiddlewaretoken", form.querySelector('input[name="csrfmiddlewaretoken"]').value);
      data.append("flagged", wanted ? "1" : "0");
      fetch(button.dataset.reviewUrl, {
        method: "POST",
        body: data,
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, body: body }; });
        })
        .then(function (result) {
          if (!result.ok) {
            setStatus(result.body.message || "Could not change the review flag.", true);
            return;
          }
          var flagged = !!result.body.flagged;
          button.setAttribute("aria-pressed", flagged ? "true" : "false");
          card.classList.toggle("is-flagged", flagged);
          var badge = card.querySelector("[data-review-badge]");
          if (badge) badge.hidden = !flagged;
          setStatus(flagged ? "Marked for review." : "Review mark removed.");
          refreshUnanswered();
        })
        .catch(function () {
          setStatus("Could not reach the server: the review flag was not changed.", true);
        });
    });
  });

  // --- Focus never under the save bar (WCAG 2.2 2.4.11) ----------------------------------
  // scroll-padding in app.css covers focus scrolling; this catches what is already on screen.
  var bar = form.querySelector(".sticky-actions");
  document.addEventListener("focusin", function (event) {
    if (!bar || bar.contains(event.target)) return;
    var target = event.target;
    // Only controls: a click on a label focuses the page's <main> (tabindex -1, the skip
    // link's target) first, and scrolling to that moved the label from under the pointer,
    // so the click was lost.
    if (!target.matches("input, textarea, select, button, a[href], summary")) return;
    if (target.type === "radio") target = target.nextElementSibling || target;
    var box = target.getBoundingClientRect();
    var limit = bar.getBoundingClientRect().top - 8;
    if (box.bottom > limit) window.scrollBy({ top: box.bottom - limit, behavior: "instant" });
    else if (box.top < 8) window.scrollBy({ top: box.top - 8, behavior: "instant" });
  });

  applyVisibility();
  refreshUnanswered();
})();
