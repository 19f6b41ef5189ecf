// Small behaviours shared by every page. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";

  // Buttons with data-copy="<element id>" copy that element's text to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) return;
    var text = "value" in source ? source.value : source.textContent;
    var status = document.getElementById(button.getAttribute("data-copy-status") || "");
    var say = function (message) {
      if (status) status.textContent = message;
    };
    // The selection fallback serves pages without the asynchronous clipboard and browsers that
    // refuse it for a moment (a window that is not focused), so one click always gets an answer.
    var copyBySelection = function () {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      document.body.appendChild(area);
      area.select();
      var copied = false;
      try {
        copied = document.execCommand("copy");
      } catch (error) {
        copied = false;
      }
      area.remove();
      say(copied ? "Copied to the clipboard." : "Could not copy: select the text and press Ctrl+C.");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        say("Copied to the clipboard.");
      }, copyBySelection);
    } else {
      copyBySelection();
    }
  });

  // Forms with data-confirm="question" ask before they are sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  // Forms with data-submit-once send once: a double click must not apply twice (the second answer
  // would replace the first one's status link in the browser).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-submit-once") || event.defaultPrevented) return;
    if (form.getAttribute("data-sent") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "true");
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
  });

  // After a refused form, move focus to the list of problems so screen readers hear it first.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
