// Live class sessions: what the host screen (live_host.js) and the student's page (live_play.js)
// share: the socket with its reconnects, the question timer, and drawing the question, the
// results chart and the leaderboard. Question text arrives as sanitised HTML (stem_html,
// text_html, explanation_html); everything else (names, aliases, quotes) is set as text.
(function () {
  "use strict";

  var REFUSED = {
    4401: "You are signed out. Sign in again, then reload this page.",
    4403: "You cannot take part in this session.",
    4404: "No running session with that code.",
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function html(tag, className, markup) {
    var node = el(tag, className);
    node.innerHTML = markup || "";
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  }

  function plural(count, one, many) {
    return count + " " + (Number(count) === 1 ? one : many || one + "s");
  }

  function points(value) {
    var rounded = Math.round(Number(value || 0) * 100) / 100;
    return String(rounded);
  }

  // connect(path, {message(msg), status(state, text), open()}) -> {send(obj), stop(), isOpen()}
  // Reconnects with a growing pause (1 s to 10 s) unless the server refused the page (44xx).
  function connect(path, handlers) {
    var socket = null;
    var delay = 1000;
    var stopped = false;
    var retry = null;
    var lastError = "";

    function open() {
      retry = null;
      var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      try {
        socket = new WebSocket(scheme + window.location.host + path);
      } catch (error) {
        schedule();
        return;
      }
      socket.addEventListener("open", function () {
        delay = 1000;
        handlers.status("connected", "Connected");
        if (handlers.open) handlers.open();
      });
      socket.addEventListener("message", function (event) {
        var message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        if (message.type === "error" && !message.ref) lastError = message.message || "";
        handlers.message(message);
      });
      socket.addEventListener("close", function (event) {
        if (stopped) return;
        if (event.code >= 4400 && event.code < 4500) {
          stopped = true;
          handlers.status("ended", lastError || REFUSED[event.code] || "The server refused this page.");
          return;
        }
        schedule();
      });
    }

    function schedule() {
      if (stopped || retry) return;
      handlers.status("reconnecting", "Connection lost. Reconnecting…");
      retry = window.setTimeout(open, delay);
      delay = Math.min(delay * 2, 10000);
    }

    window.addEventListener("online", function () {
      if (!stopped && (!socket || socket.readyState > 1)) {
        if (retry) window.clearTimeout(retry);
        open();
      }
    });
    open();
    return {
      send: function (payload) {
        if (socket && socket.readyState === 1) {
          socket.send(JSON.stringify(payload));
          return true;
        }
        return false;
      },
      stop: function () {
        stopped = true;
        if (retry) window.clearTimeout(retry);
        if (socket && socket.readyState <= 1) socket.close(1000);
      },
      isOpen: function () {
        return Boolean(socket && socket.readyState === 1);
      },
    };
  }

  function showStatus(node, state, text) {
    node.setAttribute("data-state", state);
    node.textContent = text;
  }

  // A countdown from the server's remaining seconds (the server's clock decides; this only
  // shows it).
  function timer(node) {
    var handle = null;
    var deadline = 0;

    function tick() {
      var left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      node.textContent = left > 0 ? plural(left, "second") + " left" : "Time is up";
      node.classList.toggle("live-timer--low", left <= 5);
      if (left <= 0) stop();
    }

    function stop() {
      if (handle) window.clearInterval(handle);
      handle = null;
    }

    return {
      start: function (remainingSeconds) {
        stop();
        if (remainingSeconds === null || remainingSeconds === undefined) {
          node.hidden = true;
          return;
        }
        deadline = Date.now() + remainingSeconds * 1000;
        node.hidden = false;
        tick();
        handle = window.setInterval(tick, 250);
      },
      stop: function () {
        stop();
        node.hidden = true;
      },
    };
  }

  function questionHeader(round, session) {
    var wrap = el("div", "live-question__head");
    wrap.appendChild(
      el(
        "p",
        "eyebrow",
        "Question " + round.position + " of " + session.total + " · " + plural(round.points, "point")
      )
    );
    wrap.appendChild(html("div", "live-question__stem", round.stem_html));
    return wrap;
  }

  function correctLine(results, round) {
    var answer = results.correct_answer || {};
    var line = el("p", "live-correct");
    line.appendChild(el("strong", null, "Right answer: "));
    if (answer.options) {
      var texts = (round.options || [])
        .filter(function (option) { return answer.options.indexOf(option.id) !== -1; })
        .map(function (option) { return option.text_html; });
      line.appendChild(html("span", null, texts.join(", ")));
    } else if (answer.accepted) {
      line.appendChild(el("span", null, answer.accepted.join(" or ")));
    } else {
      var text = String(answer.value);
      if (answer.tolerance) text += " (± " + answer.tolerance + ")";
      if (answer.unit) text += " " + answer.unit;
      line.appendChild(el("span", null, text));
    }
    return line;
  }

  function barRow(labelNode, count, percent, modifier) {
    var row = el("li", "live-bars__row" + (modifier ? " live-bars__row--" + modifier : ""));
    var label = el("span", "live-bars__label");
    label.appendChild(labelNode);
    if (modifier === "correct") label.appendChild(el("span", "live-tag", "Correct"));
    row.appendChild(label);
    var track = el("span", "live-bars__track");
    track.setAttribute("aria-hidden", "true");
    var fill = el("span", "live-bars__fill");
    fill.style.width = Math.max(0, Math.min(100, percent)) + "%";
    track.appendChild(fill);
    row.appendChild(track);
    row.appendChild(el("span", "live-bars__value", plural(count, "answer") + " (" + percent + "%)"));
    return row;
  }

  // The results of a closed round: the counts in words, a bar chart (each bar also written
  // out), the right answer, the explanation and the source passage.
  function renderResults(container, reveal) {
    clear(container);
    var results = reveal.results;
    var round = reveal.round;
    container.appendChild(el("h3", null, "How the class answered"));
    var summary = results.answered + " of " + plural(results.participants, "participant") +
      " answered: " + results.right + " right";
    if (results.partial) summary += ", " + results.partial + " partly right";
    summary += ", " + results.wrong + " wrong";
    if (results.unanswered) summary += "; " + results.unanswered + " did not answer";
    container.appendChild(el("p", "live-results__summary", summary + "."));

    var figure = el("figure", "live-chart");
    var bars = el("ul", "live-bars");
    if (results.options && results.options.length) {
      figure.appendChild(el("figcaption", "visually-hidden", "Answers per option"));
      results.options.forEach(function (option) {
        bars.appendChild(
          barRow(html("span", null, option.text_html), option.count, option.percent, option.correct ? "correct" : "")
        );
      });
    } else {
      figure.appendChild(el("figcaption", "visually-hidden", "Right and wrong answers"));
      var total = results.participants || 0;
      var pct = function (n) { return total ? Math.round((100 * n) / total) : 0; };
      bars.appendChild(barRow(el("span", null, "Right"), results.right, pct(results.right), "right"));
      if (results.partial) bars.appendChild(barRow(el("span", null, "Partly right"), results.partial, pct(results.partial), "partial"));
      bars.appendChild(barRow(el("span", null, "Wrong"), results.wrong, pct(results.wrong), "wrong"));
      bars.appendChild(barRow(el("span", null, "No answer"), results.unanswered, pct(results.unanswered), "none"));
    }
    figure.appendChild(bars);
    container.appendChild(figure);
    container.appendChild(correctLine(results, round));
    if (results.explanation_html) container.appendChild(html("div", "live-explanation", results.explanation_html));
    var source = results.source;
    if (source && (source.quote || source.title)) {
      var cite = el("figure", "live-source");
      if (source.quote) cite.appendChild(el("blockquote", null, source.quote));
      var where = [];
      if (source.title) where.push(source.title);
      if (source.page) where.push("page " + source.page);
      if (source.section) where.push(source.section);
      cite.appendChild(el("figcaption", "muted", "Source: " + (where.join(", ") || "course material")));
      container.appendChild(cite);
    }
  }

  // The top of the board; with ``you`` (a student's own line) their row is marked, and their
  // rank is added below when they are not in the top.
  function renderBoard(container, board, you, title) {
    clear(container);
    if (!board) return;
    var table = el("table", "live-board__table");
    table.appendChild(el("caption", null, title || "Leaderboard"));
    var head = el("thead");
    var headRow = el("tr");
    ["Rank", "Name", "Points"].forEach(function (label) {
      var th = el("th", null, label);
      th.setAttribute("scope", "col");
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = el("tbody");
    var shown = false;
    board.forEach(function (entry) {
      var row = el("tr");
      var mine = you && entry.participant === you.participant;
      if (mine) {
        row.className = "live-board__mine";
        shown = true;
      }
      row.appendChild(el("td", null, entry.rank));
      var name = el("td", null, entry.name);
      if (mine) name.appendChild(el("span", "live-tag", "you"));
      row.appendChild(name);
      row.appendChild(el("td", null, points(entry.score)));
      body.appendChild(row);
    });
    table.appendChild(body);
    container.appendChild(table);
    if (you && !shown && you.rank) {
      container.appendChild(
        el("p", "live-board__own", "Your rank: " + you.rank + " · " + plural(points(you.score), "point"))
      );
    }
    if (!board.length) container.appendChild(el("p", "muted", "Nobody has joined."));
  }

  window.SmartEdu = window.SmartEdu || {};
  window.SmartEdu.live = {
    el: el,
    html: html,
    clear: clear,
    plural: plural,
    points: points,
    connect: connect,
    showStatus: showStatus,
    timer: timer,
    questionHeader: questionHeader,
    renderResults: renderResults,
    renderBoard: renderBoard,
  };
})();
