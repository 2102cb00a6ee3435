// Live progress pages (templates/quizzes/progress.html, class_dashboard.html,
// school_overview.html). The page subscribes to its topic on /ws/progress/<topic>/<key>/ and
// patches what a push says in place (mastery bars, heatmap cells, a quiz's attempt figures);
// what a push cannot patch (a new topic, a new attempt in a list, question statistics) is
// fetched again: the page's own URL, whose sections replace the shown ones by id. Without a
// socket the page still works; it is simply as fresh as its last load.
(function () {
  "use strict";

  var head = document.querySelector("[data-progress-page]");
  if (!head) return;
  var page = head.getAttribute("data-progress-page"); // "student", "course" or "school"
  var status = document.getElementById("live-status");
  var announcer = document.getElementById("live-announcer");
  var REFRESH_MS = 1500;
  var SCHOOL_POLL_MS = 60000;
  var FINAL_CLOSE_CODES = [4401, 4403, 4404];
  var newest = {}; // "<student>:<course>" -> updated_at of the newest mastery shown

  function setStatus(state, text) {
    if (!status) return;
    status.setAttribute("data-state", state);
    status.textContent = text;
  }

  function announce(text) {
    if (!announcer) return;
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 60);
  }

  function pct(percent) {
    if (percent === null || percent === undefined) return "—";
    return Math.round(percent * 10) / 10 + "%";
  }

  function num(value) {
    return String(Math.round(value * 100) / 100);
  }

  function detail(row) {
    var n = row.questions_answered;
    return num(row.earned) + " of " + num(row.possible) + " points · " + n +
      (n === 1 ? " question" : " questions");
  }

  function heat(percent) {
    if (percent === null || percent === undefined) return "none";
    return String(Math.min(9, Math.floor(percent / 10)));
  }

  function flash(node) {
    node.classList.remove("is-updated");
    void node.offsetWidth; // restart the animation
    node.classList.add("is-updated");
  }

  function byData(scope, selector, name, value) {
    var nodes = scope.querySelectorAll(selector);
    for (var i = 0; i < nodes.length; i++) {
      if (nodes[i].getAttribute(name) === String(value)) return nodes[i];
    }
    return null;
  }

  // --- fetching sections again ------------------------------------------------------------

  var wanted = {};
  var timer = null;

  function refresh(ids) {
    ids.forEach(function (id) { wanted[id] = true; });
    if (!timer) timer = window.setTimeout(runRefresh, REFRESH_MS);
  }

  function runRefresh() {
    timer = null;
    var ids = Object.keys(wanted);
    wanted = {};
    if (!ids.length) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        ids.forEach(function (id) {
          var shown = document.getElementById(id);
          var next = fresh.getElementById(id);
          if (!shown || !next) return;
          var hadFocus = shown.contains(document.activeElement);
          shown.replaceWith(document.importNode(next, true));
          if (hadFocus) {
            var heading = document.getElementById(id).querySelector("[tabindex='-1']");
            if (heading) heading.focus();
          }
        });
      })
      .catch(function () {
        // Try again a little later; the figures on screen stay as they were.
        refresh(ids);
      });
  }

  // --- the student's page -------------------------------------------------------------------

  function patchMastery(node, row) {
    if (!node || !row) return false;
    var fill = node.querySelector(".bar__fill");
    var percent = node.querySelector("[data-field='percent']");
    var text = node.querySelector("[data-field='detail']");
    if (!fill || !percent || !text) return false;
    var changed = percent.textContent !== pct(row.percent) || text.textContent !== detail(row);
    fill.style.width = Math.max(0, Math.min(100, row.percent || 0)) + "%";
    percent.textContent = pct(row.percent);
    text.textContent = detail(row);
    if (changed) flash(node);
    return true;
  }

  function isStale(message) {
    var key = message.student + ":" + message.course;
    if (message.updated_at && newest[key] && message.updated_at < newest[key]) return true;
    if (message.updated_at) newest[key] = message.updated_at;
    return false;
  }

  function studentMastery(message) {
    var section = byData(document, "[data-course]", "data-course", message.course);
    if (!section) return refresh(["courses"]);
    var complete = patchMastery(section.querySelector("[data-mastery='overall']"), message.overall);
    ["topics", "objectives"].forEach(function (dimension) {
      var list = section.querySelector("[data-dimension='" + dimension + "']");
      var rows = message[dimension] || [];
      if (!list) { if (rows.length) complete = false; return; }
      if (list.querySelectorAll("[data-tag]").length !== rows.length) complete = false;
      rows.forEach(function (row) {
        if (!patchMastery(byData(list, "[data-tag]", "data-tag", row.tag), row)) complete = false;
      });
    });
    if (!complete) refresh([section.id]);
    var title = section.querySelector("h2");
    if (message.overall) {
      announce("Progress updated" + (title ? " in " + title.textContent.trim() : "") + ": " +
        pct(message.overall.percent) + " overall.");
    }
  }

  // --- the class dashboard ------------------------------------------------------------------

  function courseMastery(message) {
    var row = byData(document.getElementById("students") || document, "tr[data-student]", "data-student", message.student);
    if (!row) return refresh(["dashboard-stats", "heatmap", "students"]);
    if (!patchMastery(row.querySelector("[data-mastery='overall']"), message.overall)) {
      refresh(["students"]);
    }
    var activity = row.querySelector("[data-field='last-activity']");
    if (activity) activity.textContent = "Just now";
    var heatRow = byData(document.getElementById("heatmap") || document, "tr[data-student]", "data-student", message.student);
    var topics = message.topics || [];
    var complete = Boolean(heatRow) || !topics.length;
    if (heatRow) {
      var cells = heatRow.querySelectorAll("td[data-topic]");
      var given = {};
      topics.forEach(function (topic) { given[topic.tag] = topic; });
      var found = 0;
      for (var i = 0; i < cells.length; i++) {
        var cell = cells[i];
        var topic = given[cell.getAttribute("data-topic")];
        var percent = topic ? topic.percent : null;
        if (topic) found += 1;
        var label = pct(percent);
        if (cell.textContent !== label) {
          cell.textContent = label;
          cell.className = "heat heat--" + heat(percent);
          flash(cell);
        }
      }
      if (found !== topics.length) complete = false;
    }
    if (!complete) refresh(["heatmap"]);
  }

  function courseAttempt(message) {
    var summary = message.quiz_summary;
    var row = summary && byData(document.getElementById("quizzes") || document, "tr[data-quiz]", "data-quiz", summary.quiz);
    if (row) {
      var values = {
        attempts: String(summary.attempts),
        students: String(summary.students),
        average: pct(summary.average),
        median: pct(summary.median),
      };
      Object.keys(values).forEach(function (name) {
        var cell = row.querySelector("[data-field='" + name + "']");
        if (cell && cell.textContent !== values[name]) { cell.textContent = values[name]; flash(cell); }
      });
    } else {
      refresh(["quizzes"]);
    }
    refresh(["dashboard-stats", "weak", "question-stats"]);
    if (message.attempt) announce("An attempt at " + message.attempt.quiz_title + " was submitted.");
  }

  // --- dispatch -----------------------------------------------------------------------------

  function onMessage(message) {
    if (message.type !== "progress") return;
    if (page === "school") {
      if (message.event === "attempt_submitted") refresh(["school-stats", "attempts-chart", "courses"]);
      return;
    }
    if (message.event === "mastery") {
      if (isStale(message)) return;
      if (page === "student") studentMastery(message);
      else courseMastery(message);
    } else if (message.event === "attempt_submitted") {
      if (page === "student") {
        var section = byData(document, "[data-course]", "data-course", message.course);
        refresh([section ? section.id : "courses"]);
        if (message.attempt) {
          announce("Your attempt at " + message.attempt.quiz_title + " was submitted: " +
            pct(message.attempt.percent) + ".");
        }
      } else {
        courseAttempt(message);
      }
    }
  }

  var socket = null;
  var retryMs = 1000;
  var everOpened = false;

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    setStatus("connecting", "Connecting for live updates…");
    try {
      socket = new WebSocket(scheme + window.location.host + head.getAttribute("data-ws-path"));
    } catch (error) {
      setStatus("off", "Live updates are unavailable; reload the page to see new results.");
      return;
    }
    socket.addEventListener("open", function () {
      retryMs = 1000;
      setStatus("live", "Live: updates as answers are graded.");
      // Anything that happened while the socket was away.
      if (everOpened) refresh(page === "student" ? ["courses"] : page === "course"
        ? ["dashboard-stats", "heatmap", "students", "quizzes", "weak", "question-stats"]
        : ["school-stats", "attempts-chart", "courses", "live-sessions"]);
      everOpened = true;
    });
    socket.addEventListener("message", function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      onMessage(message);
    });
    socket.addEventListener("close", function (event) {
      if (FINAL_CLOSE_CODES.indexOf(event.code) !== -1) {
        setStatus("off", event.code === 4401
          ? "Your session has ended; sign in again for live updates."
          : "Live updates are not available for this page.");
        return;
      }
      setStatus("connecting", "Reconnecting for live updates…");
      window.setTimeout(connect, retryMs);
      retryMs = Math.min(30000, retryMs * 2);
    });
  }

  connect();
  if (page === "school") {
    // Live sessions start and end without a push to this page; look again now and then.
    window.setInterval(function () {
      if (!document.hidden) refresh(["school-stats", "live-sessions"]);
    }, SCHOOL_POLL_MS);
  }
})();
