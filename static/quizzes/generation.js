// Live progress of a generation job. Progress arrives over /ws/progress/generation/<id>/; the
// finished panel (counts, "Review N drafts", reasons for rejections) is fetched as HTML from
// the server, the same partial a reload renders. Without a socket the panel is polled.
(function () {
  "use strict";

  var panel = document.getElementById("job-panel");
  if (!panel) return;
  var FINISHED = ["done", "failed"];
  var socket = null;
  var pollTimer = null;

  function state() {
    var node = panel.querySelector(".job-state");
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
        var next = holder.querySelector(".job-state");
        if (!next) return;
        var done = FINISHED.indexOf(next.getAttribute("data-state")) !== -1;
        // While running, the socket's figures are newer than the last database write.
        if (!done && socket && socket.readyState === 1 && state() === "running") return;
        panel.innerHTML = html;
        if (done) {
          stop();
          var link = document.getElementById("review-link");
          var heading = panel.querySelector("h2");
          if (heading) heading.setAttribute("tabindex", "-1");
          (link || heading).focus();
        }
      })
      .catch(function () { /* the next poll or message tries again */ });
  }

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
    // The job may have moved on (or finished) before the socket was listening.
    socket.addEventListener("open", refresh);
    socket.addEventListener("message", function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message.type !== "progress") return;
      if (FINISHED.indexOf(message.state) !== -1) {
        if (message.state === "done") {
          var bar = document.getElementById("job-progress");
          if (bar) bar.value = 100;
        }
        refresh();
      } else {
        showProgress(message);
      }
    });
    socket.addEventListener("close", function () {
      if (!finished()) poll();
    });
  }

  if (!finished()) connect();
})();
