// A quiz's question list: moving or removing a question swaps the list through htmx; focus
// returns to the same control on the moved question (or the list) so keyboard users keep
// their place.
(function () {
  "use strict";

  var list = document.getElementById("quiz-items");
  if (!list) return;
  var last = null; // {question, direction} of the control that sent the request

  list.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest("form");
    var item = event.target.closest(".quiz-item");
    if (!form || !item) return;
    var direction = form.querySelector("[name=direction]");
    last = { question: item.getAttribute("data-question-id"), direction: direction ? direction.value : "" };
  });

  // The button that sent the request was replaced with the list; htmx:load fires on the new
  // content once it is in place.
  document.body.addEventListener("htmx:load", function (event) {
    if (!last || !list.contains(event.target)) return;
    var item = list.querySelector('.quiz-item[data-question-id="' + last.question + '"]');
    var target = null;
    if (item && last.direction) {
      var forms = item.querySelectorAll("form");
      forms.forEach(function (form) {
        var direction = form.querySelector("[name=direction]");
        var button = form.querySelector("button");
        if (direction && direction.value === last.direction && !button.disabled) target = button;
      });
      if (!target) target = item.querySelector("button:not([disabled])");
    }
    if (!target) {
      target = list.querySelector("button:not([disabled])") || document.getElementById("items-title");
      if (target && target.tagName === "H2") target.setAttribute("tabindex", "-1");
    }
    if (target) target.focus();
    last = null;
  });
})();
