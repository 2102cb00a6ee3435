// The materials page for a course's teachers: drag-and-drop (or chosen) files are posted with
// fetch to the same view the plain form uses, and every material still being read gets a live
// progress bar from /ws/progress/material/<id>/. Finished rows are fetched as HTML from the
// server (the same partial a reload renders), so the final state and its error reason are
// never rebuilt here. If a socket cannot be used, the row is polled instead.
(function () {
  "use strict";

  var table = document.getElementById("material-table");
  var form = document.getElementById("material-upload-form");
  if (!table || !form) return;
  var card = document.getElementById("upload-card");
  var dropzone = document.getElementById("dropzone");
  var report = document.getElementById("upload-report");
  var input = form.querySelector('input[type="file"]');
  var maxFiles = parseInt(form.getAttribute("data-max-files"), 10) || 20;
  var FINISHED = ["ready", "failed"];
  var LABELS = {
    queued: "Queued", extracting: "Extracting", embedding: "Embedding", ready: "Ready", failed: "Failed",
  };
  var watchers = {}; // material id -> {socket, pollTimer}

  function rowFor(id) {
    return document.getElementById("material-" + id);
  }

  function isFinished(row) {
    return !row || FINISHED.indexOf(row.getAttribute("data-state")) !== -1;
  }

  function unwatch(id) {
    var watcher = watchers[id];
    if (!watcher) return;
    if (watcher.pollTimer) window.clearInterval(watcher.pollTimer);
    watcher.pollTimer = null;
    if (watcher.socket && watcher.socket.readyState <= 1) watcher.socket.close();
    delete watchers[id];
  }

  function refreshRow(id) {
    var row = rowFor(id);
    if (!row) {
      unwatch(id);
      return Promise.resolve();
    }
    return fetch(row.getAttribute("data-row-url"), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (response.status === 404) {
          row.remove(); // deleted meanwhile (by a colleague or through the API)
          unwatch(id);
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        var holder = document.createElement("tbody");
        holder.innerHTML = html.trim();
        var next = holder.querySelector("tr");
        var current = rowFor(id);
        if (!next || !current) return;
        // Unfinished rows keep their live bar; the server's copy only knows the last batch.
        if (!isFinished(next)) return;
        current.replaceWith(next);
        unwatch(id);
      })
      .catch(function () { /* the next message or poll tries again */ });
  }

  function showProgress(row, message) {
    var state = message.state;
    var badge = row.querySelector('[data-role="state"]');
    var bar = row.querySelector("progress");
    var status = row.querySelector('[data-role="status"]');
    if (!state || !badge) return;
    row.setAttribute("data-state", state);
    badge.className = "badge badge--" + state;
    badge.textContent = LABELS[state] || state;
    if (!bar || !status) return;
    if (state === "extracting") {
      var pagesTotal = message.pages_total || 0;
      if (pagesTotal > 0) {
        bar.value = Math.round((50 * (message.pages_done || 0)) / pagesTotal);
        status.textContent = "Reading page " + (message.pages_done || 0) + " of " + pagesTotal +
          (message.chunks ? " · " + message.chunks + " passages so far" : "");
      } else {
        bar.removeAttribute("value");
        status.textContent = "Reading the file…" +
          (message.chunks ? " " + message.chunks + " passages so far" : "");
      }
    } else if (state === "embedding") {
      if (message.waiting) {
        status.textContent = "Waiting for the AI service: " + message.waiting;
      } else if (message.chunks > 0) {
        var embedded = message.embedded || 0;
        bar.value = 50 + Math.round((50 * embedded) / message.chunks);
        status.textContent = "Indexing passages: " + embedded + " of " + message.chunks;
      }
    } else if (state === "ready") {
      bar.value = 100;
      status.textContent = "Ready: " + (message.chunks || 0) + " passages.";
    } else if (state === "failed") {
      status.textContent = message.error || "This file could not be read.";
    }
  }

  function poll(id) {
    var watcher = watchers[id];
    if (!watcher || watcher.pollTimer) return;
    watcher.pollTimer = window.setInterval(function () { refreshRow(id); }, 3000);
  }

  function watch(row) {
    var id = row.getAttribute("data-material-id");
    var path = row.getAttribute("data-ws-path");
    if (!id || !path || watchers[id] || isFinished(row)) return;
    var watcher = { socket: null, pollTimer: null };
    watchers[id] = watcher;
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      watcher.socket = new WebSocket(scheme + window.location.host + path);
    } catch (error) {
      poll(id);
      return;
    }
    // The job may have moved on (or finished) before the socket was listening.
    watcher.socket.addEventListener("open", function () { refreshRow(id); });
    watcher.socket.addEventListener("message", function (event) {
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (message.type !== "progress") return;
      var current = rowFor(id);
      if (!current) return;
      showProgress(current, message);
      if (FINISHED.indexOf(message.state) !== -1) refreshRow(id);
    });
    watcher.socket.addEventListener("close", function () {
      if (watchers[id] && !isFinished(rowFor(id))) poll(id);
    });
  }

  function watchAll() {
    table.querySelectorAll("tr.material-row").forEach(watch);
  }

  function showReportMessage(text, isError) {
    report.textContent = "";
    var p = document.createElement("p");
    p.className = isError ? "alert alert--error" : "upload-note";
    if (isError) p.setAttribute("role", "alert");
    p.textContent = text;
    report.appendChild(p);
  }

  function upload(files) {
    if (!files || !files.length) {
      showReportMessage("Choose at least one file to upload.", true);
      return;
    }
    if (files.length > maxFiles) {
      showReportMessage(
        "You chose " + files.length + " files; upload at most " + maxFiles + " at once.", true
      );
      return;
    }
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    Array.prototype.forEach.call(files, function (file) { data.append("files", file, file.name); });
    showReportMessage(
      "Uploading " + files.length + (files.length === 1 ? " file" : " files") + "…", false
    );
    form.setAttribute("aria-busy", "true");
    fetch(form.getAttribute("action") || window.location.pathname, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (type.indexOf("application/json") === -1) {
          throw new Error(response.status === 403
            ? "You can no longer upload to this course."
            : "The upload did not go through (error " + response.status + "). Try again.");
        }
        return response.json();
      })
      .then(function (payload) {
        if (payload.errors && payload.errors.length) {
          showReportMessage(payload.errors.join(" "), true);
        } else {
          report.innerHTML = payload.report_html;
        }
        table.innerHTML = payload.table_html;
        Object.keys(watchers).forEach(function (id) {
          if (!rowFor(id)) unwatch(id);
        });
        watchAll();
        form.reset();
      })
      .catch(function (error) {
        showReportMessage(error.message || "The upload did not go through. Try again.", true);
      })
      .then(function () { form.removeAttribute("aria-busy"); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    upload(input ? input.files : []);
  });

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  if (dropzone && card) {
    dropzone.hidden = false;
    var depth = 0;
    card.addEventListener("dragenter", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth += 1;
      dropzone.classList.add("is-over");
    });
    card.addEventListener("dragover", function (event) {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    card.addEventListener("dragleave", function () {
      depth = Math.max(0, depth - 1);
      if (!depth) dropzone.classList.remove("is-over");
    });
    card.addEventListener("drop", function (event) {
      event.preventDefault();
      depth = 0;
      dropzone.classList.remove("is-over");
      upload(event.dataTransfer ? event.dataTransfer.files : []);
    });
    // A file dropped just outside the zone must not make the browser leave the page for it.
    window.addEventListener("dragover", function (event) {
      if (hasFiles(event) && !card.contains(event.target)) event.preventDefault();
    });
    window.addEventListener("drop", function (event) {
      if (hasFiles(event) && !card.contains(event.target)) event.preventDefault();
    });
  }

  watchAll();
})();
