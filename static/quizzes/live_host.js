// The host screen of a live session (templates/quizzes/live_host.html): the code, who has
// joined, the open question with "answered n / m" as answers come in, the results chart and
// the leaderboard. The buttons send their command over the socket; without it they post as
// plain forms (the page then reloads with the new state).
(function () {
  "use strict";

  var live = window.SmartEdu.live;
  var root = document.getElementById("live");
  if (!root) return;

  var HEADINGS = {
    lobby: "Waiting for students",
    question: "Question open",
    reveal: "Results",
    finished: "Session finished",
  };
  var nodes = {
    connection: document.getElementById("live-connection"),
    participants: document.getElementById("live-participants"),
    heading: document.getElementById("live-heading"),
    status: document.getElementById("live-status"),
    question: document.getElementById("live-question"),
    answered: document.getElementById("live-answered"),
    answeredText: document.getElementById("live-answered-text"),
    answeredBar: document.getElementById("live-answered-bar"),
    results: document.getElementById("live-results"),
    board: document.getElementById("live-board"),
    error: document.getElementById("live-error"),
    next: document.getElementById("live-next"),
    close: document.getElementById("live-close"),
    end: document.getElementById("live-end"),
  };
  var countdown = live.timer(document.getElementById("live-timer"));
  var current = { state: "lobby", position: 0, total: 0 };
  var socket = null;

  function setCounts(counts) {
    if (!counts) return;
    nodes.participants.textContent = counts.participants;
    if (counts.position !== undefined && counts.position !== current.position) return;
    nodes.answeredText.textContent = "answered " + counts.answered + " / " + counts.participants;
    var share = counts.participants ? (100 * counts.answered) / counts.participants : 0;
    nodes.answeredBar.style.width = Math.min(100, share) + "%";
  }

  function setControls() {
    var state = current.state;
    var last = current.position >= current.total;
    var hadFocus = [nodes.next, nodes.close, nodes.end].indexOf(document.activeElement) !== -1;
    nodes.next.textContent = state === "lobby" ? "Start" : "Next question";
    nodes.next.disabled = state === "question" || state === "finished" || (state === "reveal" && last);
    nodes.close.disabled = state !== "question";
    nodes.end.disabled = state === "finished";
    nodes.end.classList.toggle("button--primary", state === "reveal" && last);
    // A pressed button that is now disabled would drop the keyboard focus to the page.
    if (hadFocus && document.activeElement.disabled) {
      var next = [nodes.next, nodes.close, nodes.end].filter(function (b) { return !b.disabled; })[0];
      if (next) next.focus();
    }
  }

  function setState(session) {
    current.state = session.state;
    current.position = session.position;
    current.total = session.total;
    nodes.heading.textContent = HEADINGS[session.state] || session.state;
    setControls();
  }

  function showLobby(session, counts) {
    live.clear(nodes.question);
    live.clear(nodes.results);
    live.clear(nodes.board);
    nodes.answered.hidden = true;
    countdown.stop();
    nodes.status.textContent =
      "Students join with the code. " + live.plural(session.total, "question") + " to go; press Start when everyone is in.";
    setCounts(counts);
  }

  function showQuestion(session, round, counts) {
    live.clear(nodes.results);
    live.clear(nodes.board);
    live.clear(nodes.question);
    nodes.question.appendChild(live.questionHeader(round, session));
    if (round.options && round.options.length) {
      var list = live.el("ol", "live-options live-options--host");
      round.options.forEach(function (option) {
        list.appendChild(live.html("li", null, option.text_html));
      });
      nodes.question.appendChild(list);
    } else {
      nodes.question.appendChild(
        live.el("p", "muted", round.kind === "numeric" ? "Students type a number." : "Students type their answer.")
      );
    }
    nodes.answered.hidden = false;
    nodes.status.textContent = "Question " + round.position + " of " + session.total + " is open.";
    setCounts(counts);
    if (round.closed) countdown.stop();
    else countdown.start(round.remaining_seconds);
  }

  function showReveal(reveal) {
    setState(reveal.session);
    countdown.stop();
    showQuestion(reveal.session, reveal.round, null);
    nodes.answered.hidden = true;
    live.renderResults(nodes.results, reveal);
    live.renderBoard(nodes.board, reveal.leaderboard, null);
    var last = reveal.session.position >= reveal.session.total;
    nodes.status.textContent = "Answers are closed. " + (last ? "That was the last question." : "Press Next question to go on.");
  }

  function showEnded(session, board, participants) {
    setState(session);
    countdown.stop();
    live.clear(nodes.question);
    live.clear(nodes.results);
    nodes.answered.hidden = true;
    nodes.status.textContent =
      "The session has ended" + (participants !== undefined ? " (" + live.plural(participants, "participant") + ")" : "") +
      ". The join code is free again.";
    live.renderBoard(nodes.board, board, null, "Final leaderboard");
    if (!board) nodes.board.appendChild(live.el("p", "muted", "This session shows no leaderboard."));
  }

  function render(state) {
    setState(state.session);
    if (state.session.state === "lobby") showLobby(state.session, state.counts);
    else if (state.session.state === "question" && state.round) showQuestion(state.session, state.round, state.counts);
    else if (state.session.state === "reveal" && state.reveal) showReveal(state.reveal);
    else if (state.session.state === "finished") showEnded(state.session, state.final && state.final.leaderboard, state.counts.participants);
    setCounts(state.counts);
  }

  function onMessage(message) {
    if (message.type === "state") {
      render(message);
    } else if (message.type === "question") {
      nodes.error.textContent = "";
      setState(message.session);
      showQuestion(message.session, message.round, message.counts);
    } else if (message.type === "counts") {
      setCounts(message);
    } else if (message.type === "reveal") {
      showReveal(message);
    } else if (message.type === "ended") {
      showEnded(message.session, message.leaderboard, message.participants);
      if (socket) socket.stop();
      live.showStatus(nodes.connection, "ended", "Session finished");
    } else if (message.type === "error") {
      nodes.error.textContent = message.message || "Something went wrong.";
    }
  }

  [nodes.next, nodes.close, nodes.end].forEach(function (button) {
    button.form.addEventListener("submit", function (event) {
      if (!socket || !socket.isOpen()) return; // the plain form does it
      event.preventDefault();
      var command = button.getAttribute("data-command");
      if (command === "end" && !window.confirm("End the session for everyone and show the final leaderboard?")) return;
      nodes.error.textContent = "";
      socket.send({ type: command === "next" && current.state === "lobby" ? "start" : command });
    });
  });

  var initial = document.getElementById("live-initial");
  if (initial) render(JSON.parse(initial.textContent));
  if (current.state === "finished") {
    live.showStatus(nodes.connection, "ended", "Session finished");
    return;
  }
  socket = live.connect(root.getAttribute("data-ws-path"), {
    message: onMessage,
    status: function (state, text) { live.showStatus(nodes.connection, state, text); },
  });
})();
