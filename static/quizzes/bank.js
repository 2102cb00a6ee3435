// The question bank: cards swap in place through htmx (edit, accept, reject, regenerate). A
// refused edit answers 422 with the form and its reasons, which htmx would drop by default, so
// it is swapped in like a success. After a swap, focus goes where the person's attention is:
// the first refused field, the question text of a fresh form, or the card that came back.
// Without scripts every action is a plain form that posts and comes back to the bank.
(function () {
  "use strict";

  var select = document.getElementById("select-all");
  var selectLabel = document.getElementById("select-all-label");
  var counter = document.getElementById("selected-count");

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll(".qcard__select"));
  }

  function updateCount() {
    if (!counter) return;
    var all = boxes();
    var checked = all.filter(function (box) { return box.checked; }).length;
    counter.textContent = checked ? checked + " of " + all.length + " selected" : "";
    if (select) {
      select.checked = checked > 0 && checked === all.length;
      select.indeterminate = checked > 0 && checked < all.length;
    }
  }

  if (select && selectLabel) {
    selectLabel.hidden = false;
    select.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = select.checked; });
      updateCount();
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.classList && event.target.classList.contains("qcard__select")) updateCount();
  });
  updateCount();

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The element that sent a request is usually inside the card it replaces, so it is gone by
  // the time the swap finishes: remember which card a person acted on, and move focus when
  // its replacement arrives (htmx:load fires on the new content). A card polling for its
  // replacement sends requests itself and must not steal focus.
  var pendingFocus = null;
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.target;
    var card = source && source.closest ? source.closest(".qcard") : null;
    if (!card || source === card) return;
    pendingFocus = card.id;
  });

  document.body.addEventListener("htmx:load", function (event) {
    var card = event.target;
    if (!card || !card.id || card.id !== pendingFocus) return;
    pendingFocus = null;
    var focusable = null;
    if (card.classList.contains("qcard--editing")) {
      focusable = card.querySelector("[aria-invalid='true']") || card.querySelector("textarea");
    } else {
      focusable = card.querySelector(".qcard__title");
      if (focusable) focusable.setAttribute("tabindex", "-1");
    }
    if (focusable) focusable.focus();
    updateCount();
  });
})();
