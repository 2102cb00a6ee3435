// Live progress of a roster import. The worker's progress arrives over the websocket; the
// finished report is fetched as HTML from the server (the same partial a reload renders), so the
// page never has to rebuild the report itself. If the socket cannot be used, it polls instead.
(function () {
  "use strict";

  var panel = document.getElementById("import-panel");
  if (!panel) return;
  var FINISHED = ["done", "failed"];
  var socket = null;
  var pollTimer = null;

  function state() {
    var node = panel.querySelector(".import-state");
    return node ? node.getAttribute("data-state") : "";
  }

  function finished() {
    return FINISHED.indexOf(state()) !== -1;
  }

  function stop() {
    if (pollTimer) window.clearInterval(pollTimer);
    pollTimer = null;
    if (socket && socket.readyState <= 1) socket.close();
  }

  function refresh() {
    return fetch(panel.getAttribute("data-panel-url"), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var next = holder.querySelector(".import-state");
        if (next && FINISHED.indexOf(next.getAttribute("data-state")) !== -1) {
          panel.innerHTML = html;
          stop();
          var heading = panel.querySelector("h2");
          if (heading) {
            heading.setAttribute("tabindex", "-1");
            heading.focus();
          }
        }
      })
      .catch(function () { /* the next poll or message tries again */ });
  }

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

  function poll() {
    if (!pollTimer) pollTimer = window.setInterval(refresh, 2000);
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + panel.getAttribute("data-ws-path"));
    } catch (error) {
      poll();
      return;
    }
    // The import may have finished before the socket opened: check once it is listening.
    socket.addEventListener("open", refresh);
    socket.addEventListener("message", function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message.type !== "progress") return;
      if (FINISHED.indexOf(message.state) !== -1) refresh();
      else showProgress(message);
    });
    socket.addEventListener("close", function () {
      if (!finished()) poll();
    });
  }

  if (!finished()) connect();
})();
