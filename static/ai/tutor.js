// The course tutor: questions go over /ws/courses/<id>/tutor/, the answer streams back as text
// and, once done, its [n] markers become buttons that open the cited passage. Model and material
// text only ever reaches the page through textContent. If the socket drops the page reconnects
// (with backoff) and fetches any answer it was waiting for over HTTP.
(function () {
  "use strict";

  var root = document.getElementById("tutor");
  if (!root) return;
  var form = document.getElementById("tutor-form");
  var box = document.getElementById("tutor-question");
  var errorLine = document.getElementById("tutor-error");
  var connectionLine = document.getElementById("tutor-connection");
  var live = document.getElementById("tutor-live");
  var list = document.getElementById("turns");
  var emptyHint = document.getElementById("turns-empty");
  var dialog = document.getElementById("passage-dialog");
  var turnUrl = root.getAttribute("data-turn-url"); // ends in /0/
  var materialUrl = root.getAttribute("data-material-url");
  var CITATION = /\[(\d{1,2})\]/g;
  var CLOSE_NOT_SIGNED_IN = 4401;
  var CLOSE_FORBIDDEN = 4403;

  var socket = null;
  var pending = null; // a question typed while the socket was down
  var retryDelay = 1000;
  var gaveUp = false;
  var polling = {}; // turn id -> true while its answer is fetched over HTTP
  var opener = null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function announce(text) {
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function setConnection(text) {
    connectionLine.textContent = text;
  }

  function showFormError(text) {
    errorLine.textContent = text || "";
    if (text) box.setAttribute("aria-invalid", "true");
    else box.removeAttribute("aria-invalid");
  }

  // ---- turns ------------------------------------------------------------------------------

  function turnElement(id) {
    return document.getElementById("turn-" + id);
  }

  function answerBox(turn) {
    return turn.querySelector(".turn__answer");
  }

  function createTurn(id, question) {
    var existing = turnElement(id);
    if (existing) return existing;
    var turn = el("li", "turn turn--pending");
    turn.id = "turn-" + id;
    turn.setAttribute("data-turn-id", id);
    turn.setAttribute("data-state", "pending");
    var asked = el("p", "turn__question");
    asked.appendChild(el("span", "turn__who", "You asked"));
    asked.appendChild(document.createTextNode(" "));
    asked.appendChild(el("span", "turn__question-text", question));
    turn.appendChild(asked);
    var answer = el("div", "turn__answer");
    answer.setAttribute("aria-live", "polite");
    answer.setAttribute("aria-busy", "true");
    answer.appendChild(el("p", "answer-text answer-text--waiting muted", "Looking in your course material…"));
    turn.appendChild(answer);
    list.insertBefore(turn, list.firstChild);
    if (emptyHint) emptyHint.hidden = true;
    return turn;
  }

  function streamingText(turn) {
    var node = turn.querySelector(".answer-text");
    if (node.classList.contains("answer-text--waiting")) {
      node.className = "answer-text answer-text--streaming";
      node.textContent = "";
    }
    return node;
  }

  function materialLink(citation) {
    if (citation.href) return citation.href;
    if (!citation.material_id || !citation.chunk_id) return "";
    return materialUrl + citation.material_id + "/?chunk=" + citation.chunk_id + "#chunk-" + citation.chunk_id;
  }

  function citeButton(citation) {
    var button = el("button", "cite", "[" + citation.n + "]");
    button.type = "button";
    button.setAttribute("data-cite", "");
    button.setAttribute("data-n", citation.n);
    button.setAttribute("data-material-title", citation.material_title || "");
    button.setAttribute("data-page", citation.page === null || citation.page === undefined ? "" : citation.page);
    button.setAttribute("data-section", citation.section || "");
    button.setAttribute("data-quote", citation.quote || "");
    button.setAttribute("data-href", materialLink(citation));
    button.appendChild(el("span", "visually-hidden", " source: " + (citation.material_title || "")));
    return button;
  }

  function renderDone(turn, payload) {
    var citations = payload.citations || [];
    var byN = {};
    citations.forEach(function (c) { byN[c.n] = c; });
    var answer = answerBox(turn);
    answer.textContent = "";
    turn.setAttribute("data-state", "done");
    turn.className = "turn turn--done" + (payload.supported === false ? " turn--not-covered" : "");
    if (payload.supported === false) {
      var label = el("p", "not-covered-label");
      label.appendChild(el("span", "badge badge--not-covered", "Not in the course material"));
      answer.appendChild(label);
    }
    var text = el("p", "answer-text");
    var source = payload.answer || "";
    var last = 0;
    var match;
    CITATION.lastIndex = 0;
    while ((match = CITATION.exec(source)) !== null) {
      var citation = byN[parseInt(match[1], 10)];
      if (!citation) continue;
      if (match.index > last) text.appendChild(document.createTextNode(source.slice(last, match.index)));
      text.appendChild(citeButton(citation));
      last = match.index + match[0].length;
    }
    if (last < source.length) text.appendChild(document.createTextNode(source.slice(last)));
    answer.appendChild(text);
    if (citations.length) {
      var sources = el("div", "sources");
      sources.appendChild(el("p", "sources__title", "Sources"));
      var items = el("ol", "sources__list");
      citations.forEach(function (c) {
        var item = el("li");
        item.appendChild(citeButton(c));
        var where = " " + (c.material_title || "") + (c.page ? ", page " + c.page : "") +
          (c.section ? " · " + c.section : "");
        item.appendChild(document.createTextNode(where));
        items.appendChild(item);
      });
      sources.appendChild(items);
      answer.appendChild(sources);
    }
    answer.setAttribute("aria-busy", "false");
    announce(payload.supported === false
      ? "The tutor answered: the course material does not cover this."
      : "The tutor answered.");
  }

  function renderError(turn, message) {
    var answer = answerBox(turn);
    answer.textContent = "";
    turn.setAttribute("data-state", "failed");
    turn.className = "turn turn--failed";
    var alert = el("p", "alert alert--error turn__error", message);
    alert.setAttribute("role", "alert");
    answer.appendChild(alert);
    answer.setAttribute("aria-busy", "false");
  }

  function unfinished(turn) {
    var state = turn.getAttribute("data-state");
    return state !== "done" && state !== "failed";
  }

  // Fetch an answer the socket can no longer bring (it dropped, or the page was reloaded).
  function pollTurn(id, attempt) {
    var turn = turnElement(id);
    if (!turn || !unfinished(turn)) {
      delete polling[id];
      return;
    }
    if (polling[id] && !attempt) return;
    polling[id] = true;
    attempt = attempt || 0;
    fetch(turnUrl.replace(/\/0\/$/, "/" + id + "/"), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (payload) {
        if (payload.state === "done") renderDone(turn, payload);
        else if (payload.state === "failed") renderError(turn, payload.error);
        else throw new Error("not yet");
        delete polling[id];
      })
      .catch(function () {
        if (attempt >= 90) {
          delete polling[id];
          return;
        }
        window.setTimeout(function () { pollTurn(id, attempt + 1); }, 2000);
      });
  }

  function pollUnfinished() {
    list.querySelectorAll(".turn").forEach(function (turn) {
      if (unfinished(turn)) pollTurn(turn.getAttribute("data-turn-id"));
    });
  }

  // ---- socket -----------------------------------------------------------------------------

  function onMessage(event) {
    var message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    var turn = message.turn ? turnElement(message.turn) : null;
    switch (message.type) {
      case "asked":
        createTurn(message.turn, message.question);
        showFormError("");
        announce("Question sent. The tutor is answering.");
        break;
      case "sources":
        if (turn) {
          var waiting = turn.querySelector(".answer-text--waiting");
          var count = (message.sources || []).length;
          if (waiting) waiting.textContent = "Found " + count + (count === 1 ? " passage" : " passages") + ". Writing the answer…";
        }
        break;
      case "delta":
        if (turn) streamingText(turn).appendChild(document.createTextNode(message.text || ""));
        break;
      case "reset":
        if (turn) streamingText(turn).textContent = "";
        break;
      case "done":
        if (turn) renderDone(turn, message);
        break;
      case "error":
        if (turn) renderError(turn, message.message);
        else showFormError(message.message);
        break;
      default:
        break;
    }
  }

  function send(question) {
    socket.send(JSON.stringify({ type: "ask", question: question }));
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    setConnection(socket ? "Reconnecting…" : "Connecting…");
    try {
      socket = new WebSocket(scheme + window.location.host + root.getAttribute("data-ws-path"));
    } catch (error) {
      scheduleReconnect();
      return;
    }
    socket.addEventListener("open", function () {
      retryDelay = 1000;
      setConnection("Connected");
      root.setAttribute("data-connected", "true");
      if (pending !== null) {
        send(pending);
        pending = null;
      }
      pollUnfinished();
    });
    socket.addEventListener("message", onMessage);
    socket.addEventListener("close", function (event) {
      root.removeAttribute("data-connected");
      if (event.code === CLOSE_NOT_SIGNED_IN) {
        gaveUp = true;
        setConnection("Your session has ended. Sign in again to ask the tutor.");
        return;
      }
      if (event.code === CLOSE_FORBIDDEN) {
        gaveUp = true;
        setConnection("You can no longer ask the tutor in this course.");
        return;
      }
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    setConnection("Connection lost. Reconnecting…");
    window.setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 10000);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = box.value.replace(/\s+/g, " ").trim();
    if (!question) {
      showFormError("Type a question first.");
      box.focus();
      return;
    }
    if (gaveUp) return;
    showFormError("");
    box.value = "";
    if (socket && socket.readyState === WebSocket.OPEN) {
      send(question);
    } else {
      pending = question;
      setConnection("Reconnecting… your question is sent as soon as the connection is back.");
    }
  });

  box.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      if (form.requestSubmit) form.requestSubmit();
      else form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });

  // ---- passages ---------------------------------------------------------------------------

  function openPassage(button) {
    var page = button.getAttribute("data-page");
    var section = button.getAttribute("data-section");
    var where = [];
    if (page) where.push("Page " + page);
    if (section) where.push(section);
    document.getElementById("passage-source").textContent = "Source [" + button.getAttribute("data-n") + "]";
    document.getElementById("passage-title").textContent = button.getAttribute("data-material-title");
    document.getElementById("passage-where").textContent = where.join(" · ");
    document.getElementById("passage-quote").textContent = button.getAttribute("data-quote");
    var link = document.getElementById("passage-link");
    var href = button.getAttribute("data-href");
    link.hidden = !href;
    if (href) link.setAttribute("href", href);
    opener = button;
    if (typeof dialog.showModal === "function") dialog.showModal();
    else dialog.setAttribute("open", "");
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-cite]") : null;
    if (button) openPassage(button);
  });
  dialog.addEventListener("close", function () {
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  });
  // A click on the backdrop (outside the dialog's box) closes it.
  dialog.addEventListener("click", function (event) {
    if (event.target !== dialog) return;
    var box = dialog.getBoundingClientRect();
    var inside = event.clientX >= box.left && event.clientX <= box.right &&
      event.clientY >= box.top && event.clientY <= box.bottom;
    if (!inside) dialog.close();
  });

  connect();
  pollUnfinished();
})();
