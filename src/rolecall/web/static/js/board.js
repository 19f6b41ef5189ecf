// The pipeline board: drag cards between columns (SortableJS), and say what happened.
// Every move goes to the same endpoint as the card's "Move to stage" form, with the card's version,
// so a card someone else moved first is refused (412) and snaps back. No inline script (CSP).
(function () {
  "use strict";

  var CONTROLS = "a, button, input, select, textarea, summary, label, details";

  function say(regionId, text) {
    var region = document.getElementById(regionId);
    if (!region) return;
    region.textContent = "";
    // A short pause so screen readers notice the change even when the text repeats.
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function reasonOf(xhr) {
    var type = (xhr && xhr.getResponseHeader("Content-Type")) || "";
    if (type.indexOf("text/plain") === 0 && xhr.responseText) return xhr.responseText;
    if (xhr && xhr.status === 403) return "You are not allowed to do that, or the page expired. Reload the board.";
    if (xhr && xhr.status === 404) return "That application is no longer on this board. Reload the board.";
    return "That did not work. Reload the board and try again.";
  }

  function snapBack(card) {
    var origin = card && card.boardOrigin;
    if (!origin) return;
    origin.list.insertBefore(card, origin.list.children[origin.index] || null);
    delete card.boardOrigin;
    card.focus();
  }

  function onDrop(event) {
    if (event.from === event.to) return;
    var card = event.item;
    card.boardOrigin = { list: event.from, index: event.oldIndex };
    var stage = event.to.getAttribute("data-stage");
    say("board-alert", "");
    htmx.ajax("POST", "/app/applications/" + card.id.replace(/^card-/, "") + "/move", {
      source: card,
      target: card,
      swap: "outerHTML",
      values: { stage: stage, version: card.getAttribute("data-version"), placed: "1" }
    });
  }

  function setUp() {
    var board = document.getElementById("board");
    if (!board || board.getAttribute("data-can-move") !== "true" || !window.Sortable) return;
    var group = "board-" + board.getAttribute("data-job");
    board.querySelectorAll("ol.cards").forEach(function (list) {
      if (list.boardSortable) return;
      list.boardSortable = window.Sortable.create(list, {
        group: group,
        draggable: "li.card",
        filter: CONTROLS,
        preventOnFilter: false,
        animation: 150,
        onEnd: onDrop
      });
    });
  }

  function onBoard(element) {
    return element && element.closest && element.closest("#board-region");
  }

  document.addEventListener("htmx:responseError", function (event) {
    var element = event.detail.elt;
    if (!onBoard(element) && !(element && element.boardOrigin)) return;
    say("board-alert", reasonOf(event.detail.xhr));
    snapBack(element.closest ? element.closest("li.card") || element : element);
  });

  document.addEventListener("htmx:sendError", function (event) {
    var element = event.detail.elt;
    if (!onBoard(element)) return;
    say("board-alert", "The server could not be reached; nothing changed.");
    snapBack(element.closest("li.card") || element);
  });

  // After a move, keep the keyboard where the person was: on the card, wherever it went.
  document.addEventListener("htmx:afterSettle", function () {
    var moved = document.querySelector("[data-just-moved]");
    if (moved) {
      moved.removeAttribute("data-just-moved");
      moved.focus();
    }
    setUp();
  });

  document.addEventListener("DOMContentLoaded", setUp);
})();
