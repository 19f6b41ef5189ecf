// The assessment page a candidate answers on: a timer on the server's clock, autosave feedback and
// integrity signals. Everything here only improves the page: without it the Save and Submit buttons
// do the same work, and the server enforces the deadline either way. No inline script (CSP).
(function () {
  "use strict";

  var SIGNAL_GAP_MS = { focus_lost: 3000, paste: 2000 };
  var MAX_SIGNALS = 60; // per page load; the server keeps its own ceiling too
  var FLUSH_WAIT_MS = 4000;
  var WARNINGS = [[300, "5 minutes left."], [60, "1 minute left."]];

  function say(region, text) {
    if (!region) return;
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function clockText(seconds) {
    var hours = Math.floor(seconds / 3600);
    var minutes = Math.floor((seconds % 3600) / 60);
    var secs = seconds % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return hours ? hours + ":" + two(minutes) + ":" + two(secs) : minutes + ":" + two(secs);
  }

  function isAnswerForm(element) {
    return Boolean(element && element.classList && element.classList.contains("answer-form"));
  }

  // --- The timer: the server sent its deadline and its "now", so the offset between the server's
  // clock and this computer's is known and a wrong local clock changes nothing.
  function flushAndSubmit(formId) {
    var submitForm = document.getElementById(formId);
    var sent = false;
    var go = function () {
      if (sent || !submitForm) return;
      sent = true;
      submitForm.submit();
    };
    var dirty = Array.prototype.slice.call(document.querySelectorAll("form.answer-form[data-dirty='true']"));
    var sends = dirty.map(function (form) {
      return window.fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { "HX-Request": "true" },
        credentials: "same-origin"
      }).catch(function () { return null; });
    });
    Promise.all(sends).then(go, go);
    window.setTimeout(go, FLUSH_WAIT_MS);
  }

  function startTimer() {
    var box = document.getElementById("assessment-timer");
    if (!box) return;
    var deadline = Date.parse(box.getAttribute("data-deadline"));
    var serverNow = Date.parse(box.getAttribute("data-now"));
    if (isNaN(deadline) || isNaN(serverNow)) return;
    var offset = serverNow - Date.now();
    var value = document.getElementById("timer-value");
    var announce = document.getElementById("timer-announce");
    var left = function () { return Math.max(0, Math.ceil((deadline - (Date.now() + offset)) / 1000)); };
    var warned = WARNINGS.map(function (warning) { return left() <= warning[0]; });
    var timer = null;
    var tick = function () {
      var seconds = left();
      value.textContent = clockText(seconds);
      WARNINGS.forEach(function (warning, i) {
        if (!warned[i] && seconds <= warning[0]) {
          warned[i] = true;
          say(announce, warning[1]);
        }
      });
      if (seconds > 0) return;
      window.clearInterval(timer);
      value.textContent = "0:00";
      box.classList.add("assessment-timer--over");
      say(announce, "Time is up. Your answers are being submitted.");
      flushAndSubmit(box.getAttribute("data-submit-form"));
    };
    tick();
    timer = window.setInterval(tick, 1000);
  }

  // --- Autosave: htmx posts each answer form on change; these handlers keep its feedback honest.
  function bumpAnswered() {
    var counter = document.getElementById("answered-count");
    if (!counter) return;
    var answered = parseInt(counter.getAttribute("data-answered"), 10) + 1;
    var count = parseInt(counter.getAttribute("data-count"), 10);
    counter.setAttribute("data-answered", String(answered));
    counter.textContent = Math.min(answered, count) + " of " + count;
  }

  function watchAnswers() {
    document.addEventListener("input", markDirty, true);
    document.addEventListener("change", markDirty, true);
    document.body.addEventListener("htmx:beforeSwap", function (event) {
      if (!isAnswerForm(event.detail.elt)) return;
      var status = event.detail.xhr.status;
      // Refusals carry a sentence for the candidate; show it beside the Save button.
      if (status === 404 || status === 409 || status === 410 || status === 422) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
      }
    });
    document.body.addEventListener("htmx:afterRequest", function (event) {
      var form = event.detail.elt;
      if (!isAnswerForm(form)) return;
      var status = event.detail.xhr ? event.detail.xhr.status : 0;
      if (status === 200) {
        form.setAttribute("data-dirty", "false");
        if (form.getAttribute("data-answered") !== "true") {
          form.setAttribute("data-answered", "true");
          bumpAnswered();
        }
      } else if (status === 409 || status === 410) {
        // The time is over, the link expired or the answers were submitted elsewhere: the page
        // itself says what happened and what to do.
        window.setTimeout(function () { window.location.reload(); }, 1500);
      }
    });
    document.body.addEventListener("htmx:sendError", function (event) {
      var form = event.detail.elt;
      if (!isAnswerForm(form)) return;
      var status = form.querySelector(".save-status");
      if (status) status.textContent = "Not saved: the connection failed. Press Save to try again.";
    });
  }

  function markDirty(event) {
    var form = event.target && event.target.closest ? event.target.closest("form.answer-form") : null;
    if (form) form.setAttribute("data-dirty", "true");
  }

  // --- Ordering questions: choosing an option for a place swaps it with the place that had it,
  // so the order always lists every option once.
  function watchOrdering() {
    document.addEventListener("focusin", function (event) {
      var select = event.target;
      if (select && select.classList && select.classList.contains("order-select")) {
        select.setAttribute("data-previous", select.value);
      }
    });
    document.addEventListener("change", function (event) {
      var select = event.target;
      if (!select || !select.classList || !select.classList.contains("order-select")) return;
      var previous = select.getAttribute("data-previous");
      var form = select.closest("form");
      if (form && previous !== null && previous !== select.value) {
        form.querySelectorAll("select.order-select").forEach(function (other) {
          if (other !== select && other.value === select.value) {
            other.value = previous;
            other.setAttribute("data-previous", previous);
          }
        });
      }
      select.setAttribute("data-previous", select.value);
    }, true);
  }

  // --- Integrity signals: facts for the hiring team (focus lost, text pasted), throttled, never
  // blocking anything. Leaving the page through its own links and buttons is not a lost focus.
  function watchSignals(root) {
    var url = root.getAttribute("data-signals-url");
    var last = {};
    var sent = 0;
    var leaving = false;
    var signal = function (kind, position, characters) {
      var now = Date.now();
      if (leaving || sent >= MAX_SIGNALS || (last[kind] && now - last[kind] < SIGNAL_GAP_MS[kind])) return;
      last[kind] = now;
      sent += 1;
      var body = new URLSearchParams();
      body.set("kind", kind);
      if (position !== null && position !== undefined) body.set("position", String(position));
      if (characters !== null && characters !== undefined) body.set("characters", String(characters));
      window.fetch(url, { method: "POST", body: body, credentials: "same-origin", keepalive: true })
        .catch(function () { return null; });
    };
    window.addEventListener("beforeunload", function () { leaving = true; });
    document.addEventListener("submit", function (event) {
      if (!isAnswerForm(event.target)) leaving = true;
    }, true);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") signal("focus_lost");
    });
    window.addEventListener("blur", function () { signal("focus_lost"); });
    document.addEventListener("paste", function (event) {
      var form = event.target && event.target.closest ? event.target.closest("form.answer-form") : null;
      if (!form) return;
      var text = event.clipboardData ? event.clipboardData.getData("text") : "";
      signal("paste", form.getAttribute("data-position"), text.length);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("assessment");
    if (!root || !root.classList.contains("assessment-take")) return;
    startTimer();
    watchAnswers();
    watchOrdering();
    watchSignals(root);
  });
})();
