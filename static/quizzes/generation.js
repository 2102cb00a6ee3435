// Live progress of a generation job (SmartEdu.livePanel, static/js/live_panel.js). Progress
// arrives over /ws/progress/generation/<id>/; the finished panel (counts, "Review N drafts",
// reasons for rejections) is fetched as HTML from the server, the same partial a reload renders.
(function () {
  "use strict";

  var panel = document.getElementById("job-panel");
  if (!panel) return;

  function setCount(name, value) {
    var node = panel.querySelector('[data-count="' + name + '"]');
    if (node && typeof value === "number") node.textContent = String(value);
  }

  function showProgress(message) {
    var box = panel.querySelector(".job-state");
    var bar = document.getElementById("job-progress");
    var text = document.getElementById("job-progress-text");
    var badge = panel.querySelector('[data-role="state"]');
    var heading = document.getElementById("job-progress-title");
    if (!box || !bar || !text) return;
    if (message.state === "running") {
      box.setAttribute("data-state", "running");
      if (badge) { badge.className = "badge badge--running"; badge.textContent = "Running"; }
      if (heading) heading.textContent = "Generating…";
    }
    var total = message.total || 0;
    var done = message.done || 0;
    if (total > 0) {
      bar.max = 100;
      bar.value = Math.min(100, Math.round((100 * done) / total));
      text.textContent = done + " of " + total + " made so far…";
    }
    setCount("created", message.done);
    setCount("duplicates", message.duplicates);
    setCount("rejected", message.rejected);
  }

  window.SmartEdu.livePanel(panel, {
    stateSelector: ".job-state",
    progress: showProgress,
    finished: function (message) {
      if (message.state !== "done") return;
      var bar = document.getElementById("job-progress");
      if (bar) bar.value = 100;
    },
    // While running, the socket's figures are newer than the last database write.
    replaceUnfinished: function (shownState, live) {
      return !(live && shownState === "running");
    },
    focus: function () {
      return document.getElementById("review-link");
    },
  });
})();
