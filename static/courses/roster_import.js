// Live progress of a roster import (SmartEdu.livePanel, static/js/live_panel.js): the worker's
// progress arrives over the websocket; the finished report is fetched as HTML from the server,
// so the page never has to rebuild the report itself.
(function () {
  "use strict";

  var panel = document.getElementById("import-panel");
  if (!panel) return;

  function showProgress(message) {
    var bar = document.getElementById("import-progress");
    var text = document.getElementById("import-progress-text");
    if (!bar || !text) return;
    if (typeof message.total === "number" && message.total > 0) {
      bar.max = message.total;
      bar.value = message.done || 0;
      text.textContent = "Imported " + (message.done || 0) + " of " + message.total + " rows…";
    } else {
      text.textContent = "Import running…";
    }
  }

  window.SmartEdu.livePanel(panel, { stateSelector: ".import-state", progress: showProgress });
})();
