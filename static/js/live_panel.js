// A live panel follows a background job (a roster import, a generation job). Progress arrives
// over the websocket at the panel's data-ws-path; the finished panel is fetched as HTML from its
// data-panel-url (the same partial a reload renders), so a page never rebuilds it. If the socket
// cannot be used, the panel is polled instead.
(function () {
  "use strict";

  var FINISHED = ["done", "failed"];
  var POLL_MS = 2000;

  // options:
  //   stateSelector: the element inside the panel whose data-state says where the job stands.
  //   progress(message): show a progress message of a job still running.
  //   finished(message), optional: called with the message that says the job has finished,
  //     before the finished panel is fetched.
  //   replaceUnfinished(shownState, live), optional: whether the server's copy of a job still
  //     running replaces the panel (live: the socket is open). Without it only a finished copy
  //     does.
  //   focus(), optional: what takes the focus once the panel is finished; its heading otherwise.
  function livePanel(panel, options) {
    var socket = null;
    var pollTimer = null;

    function isFinished(state) {
      return FINISHED.indexOf(state) !== -1;
    }

    function state() {
      var node = panel.querySelector(options.stateSelector);
      return node ? node.getAttribute("data-state") : "";
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
          var next = holder.querySelector(options.stateSelector);
          if (!next) return;
          var done = isFinished(next.getAttribute("data-state"));
          if (!done) {
            var live = Boolean(socket && socket.readyState === 1);
            if (!options.replaceUnfinished || !options.replaceUnfinished(state(), live)) return;
          }
          panel.innerHTML = html;
          if (done) {
            stop();
            var heading = panel.querySelector("h2");
            if (heading) heading.setAttribute("tabindex", "-1");
            var target = (options.focus && options.focus()) || heading;
            if (target) target.focus();
          }
        })
        .catch(function () { /* the next poll or message tries again */ });
    }

    function poll() {
      if (!pollTimer) pollTimer = window.setInterval(refresh, POLL_MS);
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
        if (isFinished(message.state)) {
          if (options.finished) options.finished(message);
          refresh();
        } else {
          options.progress(message);
        }
      });
      socket.addEventListener("close", function () {
        if (!isFinished(state())) poll();
      });
    }

    if (!isFinished(state())) connect();
  }

  window.SmartEdu = window.SmartEdu || {};
  window.SmartEdu.livePanel = livePanel;
})();
