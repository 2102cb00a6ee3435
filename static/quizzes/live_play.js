// A student's page in a live session (templates/quizzes/live_play.html): the question with its
// options as big buttons, "answer received", then the results, their points and rank. An
// answer not yet acknowledged is kept on the device and sent again once the connection is
// back (the server keeps the first answer only, so sending twice never counts twice).
(function () {
  "use strict";

  var live = window.SmartEdu.live;
  var root = document.getElementById("live");
  if (!root) return;

  var nodes = {
    connection: document.getElementById("live-connection"),
    score: document.getElementById("live-score"),
    rank: document.getElementById("live-rank"),
    heading: document.getElementById("live-heading"),
    status: document.getElementById("live-status"),
    question: document.getElementById("live-question"),
    form: document.getElementById("live-answer"),
    received: document.getElementById("live-received"),
    error: document.getElementById("live-error"),
    you: document.getElementById("live-you"),
    results: document.getElementById("live-results"),
    board: document.getElementById("live-board"),
  };
  var countdown = live.timer(document.getElementById("live-timer"));
  var current = { session: null, round: null, answered: false };
  var socket = null;

  function pendingKey(position) {
    return "smartedu-live:" + (current.session ? current.session.id : "") + ":" + position;
  }

  function remember(position, response) {
    try { window.localStorage.setItem(pendingKey(position), JSON.stringify(response)); } catch (error) { /* private mode */ }
  }

  function forget(position) {
    try { window.localStorage.removeItem(pendingKey(position)); } catch (error) { /* private mode */ }
  }

  function pending(position) {
    try {
      var stored = window.localStorage.getItem(pendingKey(position));
      return stored ? JSON.parse(stored) : null;
    } catch (error) {
      return null;
    }
  }

  function setYou(you) {
    if (!you) return;
    nodes.score.textContent = live.points(you.score);
    nodes.rank.textContent = you.rank ? " · rank " + you.rank : "";
  }

  function heading(text, focus) {
    nodes.heading.textContent = text;
    if (focus) nodes.heading.focus();
  }

  function send(response) {
    var round = current.round;
    if (!round) return;
    remember(round.position, response);
    nodes.error.textContent = "";
    nodes.received.textContent = "Sending…";
    lockForm(true);
    if (!socket || !socket.send({ type: "answer", round: round.position, response: response, ref: "r" + round.position })) {
      nodes.received.textContent = "Not connected: your answer is sent as soon as the connection is back.";
    }
  }

  function lockForm(locked) {
    Array.prototype.forEach.call(nodes.form.querySelectorAll("button, input"), function (control) {
      control.disabled = locked;
    });
  }

  function markChosen(response) {
    var chosen = response.option ? [response.option] : response.options || [];
    Array.prototype.forEach.call(nodes.form.querySelectorAll("[data-option]"), function (button) {
      button.setAttribute("aria-pressed", String(chosen.indexOf(button.getAttribute("data-option")) !== -1));
    });
    var input = nodes.form.querySelector("input");
    if (input && (response.text !== undefined || response.value !== undefined)) {
      input.value = response.text !== undefined ? response.text : response.value;
    }
  }

  function buildForm(round) {
    live.clear(nodes.form);
    nodes.form.hidden = false;
    if (round.kind === "single" || round.kind === "true_false") {
      var group = live.el("div", "live-choices");
      group.setAttribute("role", "group");
      group.setAttribute("aria-label", "Choose one answer");
      round.options.forEach(function (option, index) {
        var button = live.el("button", "live-choice live-choice--" + (index % 4));
        button.type = "button";
        button.setAttribute("data-option", option.id);
        button.setAttribute("aria-pressed", "false");
        button.innerHTML = option.text_html;
        button.addEventListener("click", function () { send({ option: option.id }); });
        group.appendChild(button);
      });
      nodes.form.appendChild(group);
    } else if (round.kind === "multiple") {
      var many = live.el("div", "live-choices");
      many.setAttribute("role", "group");
      many.setAttribute("aria-label", "Choose every right answer, then send");
      round.options.forEach(function (option, index) {
        var toggle = live.el("button", "live-choice live-choice--" + (index % 4));
        toggle.type = "button";
        toggle.setAttribute("data-option", option.id);
        toggle.setAttribute("aria-pressed", "false");
        toggle.innerHTML = option.text_html;
        toggle.addEventListener("click", function () {
          toggle.setAttribute("aria-pressed", String(toggle.getAttribute("aria-pressed") !== "true"));
        });
        many.appendChild(toggle);
      });
      nodes.form.appendChild(many);
      nodes.form.appendChild(submitButton());
      nodes.form.onsubmit = function (event) {
        event.preventDefault();
        var picked = Array.prototype.filter
          .call(nodes.form.querySelectorAll("[data-option]"), function (b) { return b.getAttribute("aria-pressed") === "true"; })
          .map(function (b) { return b.getAttribute("data-option"); });
        if (!picked.length) {
          nodes.error.textContent = "Choose at least one answer.";
          return;
        }
        send({ options: picked });
      };
    } else {
      var field = live.el("div", "field live-typed");
      var label = live.el("label", null, round.kind === "numeric" ? "Your answer (a number)" : "Your answer");
      label.setAttribute("for", "live-typed");
      var input = live.el("input");
      input.id = "live-typed";
      input.type = "text";
      input.autocomplete = "off";
      input.maxLength = round.kind === "numeric" ? 100 : 500;
      if (round.kind === "numeric") input.setAttribute("inputmode", "decimal");
      field.appendChild(label);
      var row = live.el("div", "live-typed__row");
      row.appendChild(input);
      if (round.unit) row.appendChild(live.el("span", "live-typed__unit", round.unit));
      field.appendChild(row);
      nodes.form.appendChild(field);
      nodes.form.appendChild(submitButton());
      nodes.form.onsubmit = function (event) {
        event.preventDefault();
        var text = input.value.trim();
        if (!text) {
          nodes.error.textContent = "Type your answer first.";
          input.focus();
          return;
        }
        send(round.kind === "numeric" ? { value: text } : { text: text });
      };
    }
  }

  function submitButton() {
    var button = live.el("button", "button button--primary live-answer__send", "Send answer");
    button.type = "submit";
    return button;
  }

  function showWaiting(session) {
    current.round = null;
    countdown.stop();
    live.clear(nodes.question);
    live.clear(nodes.form);
    nodes.form.hidden = true;
    nodes.received.textContent = "";
    live.clear(nodes.results);
    live.clear(nodes.you);
    live.clear(nodes.board);
    heading("You are in!", false);
    nodes.status.textContent = "Waiting for your teacher to start (" + live.plural(session.total, "question") + ").";
  }

  function showQuestion(session, round, answer, focus) {
    var fresh = !current.round || current.round.position !== round.position;
    current.round = round;
    current.answered = Boolean(answer);
    live.clear(nodes.results);
    live.clear(nodes.you);
    live.clear(nodes.board);
    live.clear(nodes.question);
    nodes.error.textContent = "";
    nodes.question.appendChild(live.questionHeader(round, session));
    heading("Question " + round.position + " of " + session.total, focus && fresh);
    nodes.status.textContent = "";
    buildForm(round);
    if (answer) {
      forget(round.position);
      markChosen(answer.response);
      lockForm(true);
      nodes.received.textContent = "Answer received. Wait for the results.";
    } else {
      nodes.received.textContent = "";
      var waiting = pending(round.position);
      if (waiting && !round.closed && socket) {
        markChosen(waiting);
        send(waiting);
      }
    }
    if (round.closed) countdown.stop();
    else countdown.start(round.remaining_seconds);
  }

  function showReveal(reveal, you) {
    current.session = reveal.session;
    countdown.stop();
    var round = reveal.round;
    if (!current.round || current.round.position !== round.position) {
      live.clear(nodes.question);
      nodes.question.appendChild(live.questionHeader(round, reveal.session));
    }
    current.round = null;
    live.clear(nodes.form);
    nodes.form.hidden = true;
    nodes.received.textContent = "";
    forget(round.position);
    heading("Results of question " + round.position, true);
    nodes.status.textContent = "Answers are closed.";
    live.clear(nodes.you);
    if (you) {
      var line;
      if (!you.answered) line = "You did not answer this one.";
      else if (you.correct) line = "Right! +" + live.plural(live.points(you.points_awarded), "point") + ".";
      else if (you.earned > 0) line = "Partly right: +" + live.plural(live.points(you.points_awarded), "point") + ".";
      else line = "Not this time: no points.";
      nodes.you.appendChild(live.el("p", "live-you__line live-you__line--" + (you.correct ? "right" : "wrong"), line));
      nodes.you.appendChild(
        live.el("p", "muted", "Your score: " + live.plural(live.points(you.score), "point") + (you.rank ? " · rank " + you.rank : "") + ".")
      );
      setYou(you);
    }
    live.renderResults(nodes.results, reveal);
    live.renderBoard(nodes.board, reveal.leaderboard, you);
  }

  function showEnded(session, board, you) {
    current.session = session;
    current.round = null;
    countdown.stop();
    live.clear(nodes.question);
    live.clear(nodes.form);
    nodes.form.hidden = true;
    nodes.received.textContent = "";
    live.clear(nodes.results);
    live.clear(nodes.you);
    heading("The quiz is over", true);
    nodes.status.textContent = "Thanks for playing!";
    if (you) {
      nodes.you.appendChild(
        live.el("p", "live-you__line", "Final score: " + live.plural(live.points(you.score), "point") + (you.rank ? " · rank " + you.rank : "") + ".")
      );
      setYou(you);
    }
    live.renderBoard(nodes.board, board, you, "Final leaderboard");
    live.showStatus(nodes.connection, "ended", "Session finished");
  }

  function render(state, focus) {
    current.session = state.session;
    setYou(state.you);
    var session = state.session;
    if (session.state === "lobby") showWaiting(session);
    else if (session.state === "question" && state.round) showQuestion(session, state.round, state.answer, focus);
    else if (session.state === "reveal" && state.reveal) showReveal(state.reveal, state.reveal.you);
    else if (session.state === "finished") showEnded(session, state.final && state.final.leaderboard, state.you);
  }

  function onMessage(message) {
    if (message.type === "state") {
      render(message, true);
    } else if (message.type === "question") {
      current.session = message.session;
      showQuestion(message.session, message.round, null, true);
    } else if (message.type === "answer_received") {
      if (current.round && message.position === current.round.position) {
        current.answered = true;
        forget(message.position);
        markChosen(message.response);
        lockForm(true);
        nodes.received.textContent = "Answer received. Wait for the results.";
      }
    } else if (message.type === "reveal") {
      showReveal(message, message.you);
    } else if (message.type === "ended") {
      showEnded(message.session, message.leaderboard, message.you);
      if (socket) socket.stop();
    } else if (message.type === "error") {
      if (message.round !== undefined) forget(message.round);
      nodes.received.textContent = "";
      nodes.error.textContent = message.message || "Something went wrong.";
      if (message.code === "bad_response" && current.round && !current.answered) lockForm(false);
      else if (message.code === "already_answered" && socket) socket.send({ type: "state" });
    }
  }

  var initial = document.getElementById("live-initial");
  if (initial) render(JSON.parse(initial.textContent), false);
  if (current.session && current.session.state === "finished") return;
  socket = live.connect(root.getAttribute("data-ws-path"), {
    message: onMessage,
    status: function (state, text) { live.showStatus(nodes.connection, state, text); },
  });
})();
