// The quiz player. Everything goes over the attempt websocket (/ws/quizzes/<id>/attempt/):
// "open" resumes the attempt in progress (or says whether one may start), each answer is sent
// as it is given and acknowledged with "saved", and the server submits the attempt itself when
// its deadline passes. The server owns the clock: the timer counts down to the attempt's
// deadline on the server's time (its server_time gives this device's offset).
//
// No answer is lost: an answer not yet acknowledged is kept in localStorage (by attempt and
// question, the latest only) and sent again after a reconnect or a reload. Question text arrives
// as HTML the server has already sanitised (stem_html, text_html, explanation_html,
// feedback_html); everything else reaches the page through textContent.
(function () {
  "use strict";

  var root = document.getElementById("player");
  if (!root) return;

  var CLOSE_NOT_SIGNED_IN = 4401;
  var CLOSE_FORBIDDEN = 4403;
  var CLOSE_NO_SUCH_QUIZ = 4404;
  var TEXT_DELAY_MS = 800; // typing: send once the student pauses
  var CHOICE_DELAY_MS = 250; // arrow keys move through a radio group one change at a time
  var PING_MS = 25000;
  var RETRY_MAX_MS = 15000;
  var OFFLINE_RETRY_MS = 30000;
  var TIME_UP_GRACE_MS = 6000;
  var WARNINGS = [
    { seconds: 300, text: "5 minutes left.", late: "Less than 5 minutes left." },
    { seconds: 60, text: "1 minute left.", late: "Less than a minute left." },
  ];
  var HINTS = {
    single: "Choose one answer.",
    true_false: "True or false?",
    multiple: "Choose every answer that applies.",
    short_answer: "Type a short answer.",
    fill_blank: "Type the missing word or words.",
    numeric: "Type a number (a point or a comma for decimals).",
  };
  var CONNECTION = {
    connecting: "Connecting…",
    connected: "Connected",
    reconnecting: "Reconnecting…",
    offline: "Offline — your answers are kept on this device and sent when you're back",
  };

  function byId(id) { return document.getElementById(id); }

  var ui = {
    connection: byId("player-connection"),
    timer: byId("player-timer"),
    timerValue: byId("player-timer-value"),
    warning: byId("player-warning"),
    alert: byId("player-alert"),
    intro: byId("player-intro"),
    introTitle: byId("intro-title"),
    introStatus: byId("intro-status"),
    introAttempts: byId("intro-attempts"),
    introError: byId("intro-error"),
    introLast: byId("intro-last"),
    start: byId("player-start"),
    attempt: byId("player-attempt"),
    nav: byId("player-nav"),
    progress: byId("player-progress"),
    form: byId("player-form"),
    questions: byId("player-questions"),
    prev: byId("player-prev"),
    next: byId("player-next"),
    submit: byId("player-submit"),
    results: byId("player-results"),
    resultsTitle: byId("results-title"),
    resultsBody: byId("results-body"),
    resultsReview: byId("results-review"),
    again: byId("player-again"),
    dialog: byId("submit-dialog"),
    dialogSummary: byId("submit-summary"),
    dialogList: byId("submit-unanswered"),
    dialogNote: byId("submit-note"),
    confirm: byId("submit-confirm"),
    cancel: byId("submit-cancel"),
  };
  var wsPath = root.getAttribute("data-ws-path");
  var attemptUrl = root.getAttribute("data-attempt-url"); // ends in /0/
  var materialUrl = root.getAttribute("data-material-url");

  var socket = null;
  var everConnected = false;
  var gaveUp = false;
  var retryDelay = 1000;
  var retryTimer = null;
  var pingTimer = null;
  var view = "intro";
  var state = null; // the attempt shown: attempt_state from the server
  var current = 0; // index of the question shown
  var pending = {}; // position -> {response, ref}: given here, not yet acknowledged
  var drafts = {}; // position -> response chosen but not checked (feedback shown at once)
  var sendTimers = {};
  var errors = {}; // position -> the server's last refusal of an answer
  var refCount = 0;
  var offset = 0; // the server's clock minus this device's, in ms
  var deadline = null; // ms on the server's clock
  var tickTimer = null;
  var warned = {};
  var timeUp = false;
  var timeUpTimer = null;
  var submitRef = null;
  var starting = false;

  // ---- small helpers -------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function html(tag, className, markup) {
    // Only for the *_html fields, which the server has sanitised.
    var node = el(tag, className);
    node.innerHTML = markup || "";
    return node;
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function clock(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(date.getHours()) + ":" + two(date.getMinutes()) + ":" + two(date.getSeconds());
  }

  function number(value) {
    if (value === null || value === undefined || value === "") return "";
    var n = Number(value);
    if (isNaN(n)) return String(value);
    return String(Math.round(n * 100) / 100);
  }

  function connected() { return Boolean(socket && socket.readyState === WebSocket.OPEN); }

  function send(message) {
    if (!connected()) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  function showAlert(text, kind) {
    ui.alert.textContent = text || "";
    ui.alert.className = "alert player-alert alert--" + (kind || "warning");
    ui.alert.hidden = !text;
  }

  function warn(text) {
    // Emptied first so the same words are announced again.
    ui.warning.textContent = "";
    window.setTimeout(function () { ui.warning.textContent = text; }, 60);
  }

  // ---- answers kept on this device -------------------------------------------------------

  function storageKey(attemptId) { return "smartedu.attempt." + attemptId + ".pending"; }

  function loadPending(attemptId) {
    try {
      var stored = JSON.parse(window.localStorage.getItem(storageKey(attemptId)) || "{}");
      return stored && typeof stored === "object" ? stored : {};
    } catch (error) {
      return {};
    }
  }

  function storePending() {
    if (!state) return;
    try {
      if (Object.keys(pending).length) {
        window.localStorage.setItem(storageKey(state.attempt), JSON.stringify(pending));
      } else {
        window.localStorage.removeItem(storageKey(state.attempt));
      }
    } catch (error) { /* storage full or blocked: the answers still live in this page */ }
  }

  // Which question the student was on, so a reload (or another tab) opens it again.
  function placeKey(attemptId) { return "smartedu.attempt." + attemptId + ".at"; }

  function forgetPending(attemptId) {
    try {
      window.localStorage.removeItem(storageKey(attemptId));
      window.localStorage.removeItem(placeKey(attemptId));
    } catch (error) { /* ignore */ }
  }

  // What the server stores for a response (quizzes.attempts.rules.response_clean), to tell whether
  // an answer kept here already reached it.
  function normal(response) {
    if (!response) return "";
    if ("options" in response) return JSON.stringify({ options: (response.options || []).slice().sort() });
    if ("text" in response) return JSON.stringify({ text: String(response.text).split(/\s+/).filter(Boolean).join(" ") });
    if ("value" in response) return JSON.stringify({ value: String(response.value).trim() });
    return JSON.stringify({ option: response.option });
  }

  function answered(response) {
    if (!response) return false;
    if ("option" in response) return Boolean(response.option);
    if ("options" in response) return (response.options || []).length > 0;
    if ("text" in response) return String(response.text).trim() !== "";
    if ("value" in response) return String(response.value).trim() !== "";
    return false;
  }

  // ---- questions -----------------------------------------------------------------------

  function immediate() { return Boolean(state && state.show_feedback === "immediately"); }

  function question(position) {
    if (!state) return null;
    for (var i = 0; i < state.questions.length; i++) {
      if (state.questions[i].position === position) return state.questions[i];
    }
    return null;
  }

  function box(position) { return byId("pq-" + position); }

  function shownResponse(q) {
    if (pending[q.position]) return pending[q.position].response;
    if (drafts[q.position]) return drafts[q.position];
    return q.response;
  }

  function buildQuestion(q, total) {
    var id = "pq-" + q.position;
    var set = el("fieldset", "pq");
    set.id = id;
    set.setAttribute("data-position", q.position);
    set.setAttribute("data-kind", q.kind);
    set.setAttribute("aria-labelledby", id + "-legend " + id + "-stem");
    set.hidden = true;
    var legend = el("legend", "pq__legend", "Question " + q.position + " of " + total);
    legend.id = id + "-legend";
    legend.setAttribute("tabindex", "-1");
    legend.appendChild(el("span", "pq__points", " · " + plural(Number(number(q.points)), "point")));
    set.appendChild(legend);
    var stem = html("div", "pq__stem", q.stem_html);
    stem.id = id + "-stem";
    set.appendChild(stem);
    var hint = el("p", "pq__hint help", HINTS[q.kind] || "");
    hint.id = id + "-hint";
    if (immediate()) hint.textContent += " Your answer is final once you check it.";
    set.appendChild(hint);

    if (q.kind === "single" || q.kind === "true_false" || q.kind === "multiple") {
      var list = el("div", "pq__options");
      var type = q.kind === "multiple" ? "checkbox" : "radio";
      q.options.forEach(function (option, index) {
        var label = el("label", "pq-option");
        label.setAttribute("data-option", option.id);
        var input = el("input");
        input.type = type;
        input.name = id + "-choice";
        input.value = option.id;
        input.id = id + "-option-" + index;
        label.appendChild(input);
        label.appendChild(html("span", "pq-option__text", option.text_html));
        label.appendChild(el("span", "pq-option__mark"));
        list.appendChild(label);
      });
      set.appendChild(list);
    } else {
      var field = el("div", "field pq__field");
      var label2 = el("label", "", q.kind === "numeric" ? "Your answer (a number)" : "Your answer");
      label2.setAttribute("for", id + "-input");
      field.appendChild(label2);
      var row = el("div", "pq-input");
      var text = el("input");
      text.type = "text";
      text.id = id + "-input";
      text.name = id + "-input";
      text.autocomplete = "off";
      text.spellcheck = q.kind !== "numeric";
      text.maxLength = q.kind === "numeric" ? 100 : 500;
      var described = id + "-hint";
      if (q.kind === "numeric") text.setAttribute("inputmode", "decimal");
      row.appendChild(text);
      if (q.unit) {
        var unit = el("span", "pq-input__unit", q.unit);
        unit.id = id + "-unit";
        row.appendChild(unit);
        described += " " + id + "-unit";
      }
      text.setAttribute("aria-describedby", described + " " + id + "-status " + id + "-error");
      field.appendChild(row);
      set.appendChild(field);
    }
    if (immediate()) {
      var check = el("button", "button pq__check", "Check answer");
      check.type = "button";
      check.setAttribute("data-check", q.position);
      set.appendChild(check);
    }
    var status = el("p", "pq__status");
    status.id = id + "-status";
    status.setAttribute("aria-live", "polite");
    set.appendChild(status);
    var error = el("p", "pq__error errorlist");
    error.id = id + "-error";
    error.setAttribute("role", "alert");
    set.appendChild(error);
    var feedback = el("div", "pq__feedback");
    feedback.id = id + "-feedback";
    feedback.setAttribute("aria-live", "polite");
    set.appendChild(feedback);
    return set;
  }

  function readResponse(q) {
    var set = box(q.position);
    if (q.kind === "multiple") {
      var chosen = [];
      set.querySelectorAll("input[type=checkbox]").forEach(function (input) {
        if (input.checked) chosen.push(input.value);
      });
      return { options: chosen };
    }
    if (q.kind === "single" || q.kind === "true_false") {
      var picked = set.querySelector("input[type=radio]:checked");
      return picked ? { option: picked.value } : null;
    }
    var value = set.querySelector("input[type=text]").value;
    return q.kind === "numeric" ? { value: value.trim() } : { text: value };
  }

  function writeResponse(q, response) {
    var set = box(q.position);
    if (!set) return;
    response = response || {};
    if (q.kind === "multiple" || q.kind === "single" || q.kind === "true_false") {
      var chosen = response.options || (response.option ? [response.option] : []);
      set.querySelectorAll("input").forEach(function (input) {
        input.checked = chosen.indexOf(input.value) !== -1;
      });
      return;
    }
    var input = set.querySelector("input[type=text]");
    if (document.activeElement === input && pending[q.position]) return; // being typed
    input.value = q.kind === "numeric" ? (response.value || "") : (response.text || "");
  }

  function lock(q) {
    var set = box(q.position);
    if (!set) return;
    var locked = Boolean(q.locked) || timeUp || (state && state.state !== "in_progress");
    set.setAttribute("data-locked", locked ? "true" : "false");
    set.querySelectorAll("input, button").forEach(function (control) { control.disabled = locked; });
  }

  function renderStatus(q) {
    var status = byId("pq-" + q.position + "-status");
    if (!status) return;
    var text = "";
    var kind = "idle";
    if (pending[q.position]) {
      if (connected()) {
        text = "Saving…";
        kind = "saving";
      } else {
        text = "Not saved yet — offline";
        kind = "offline";
      }
    } else if (drafts[q.position]) {
      text = "Not checked yet: press “Check answer” to save it.";
      kind = "draft";
    } else if (q.saved_at) {
      text = "Saved " + clock(q.saved_at);
      kind = "saved";
    } else {
      text = "Not answered yet";
    }
    status.textContent = text;
    status.setAttribute("data-state", kind);
    var error = byId("pq-" + q.position + "-error");
    if (error) error.textContent = errors[q.position] || "";
  }

  function optionText(q, optionId) {
    for (var i = 0; i < q.options.length; i++) {
      if (q.options[i].id === optionId) return q.options[i].text_html;
    }
    return "";
  }

  function verdict(feedback) {
    if (!feedback.answered) return { key: "unanswered", text: "Not answered" };
    if (feedback.correct) return { key: "correct", text: "Correct" };
    if ((feedback.score || 0) > 0) return { key: "partial", text: "Partly right" };
    return { key: "wrong", text: "Not right" };
  }

  function sourceBox(source) {
    var aside = el("aside", "qsource attempt-source");
    aside.setAttribute("aria-label", "Source");
    var where = el("p", "qsource__where");
    where.appendChild(el("span", "qsource__label", "Source"));
    if (source.title) where.appendChild(el("span", "qsource__material", source.title));
    if (source.page) where.appendChild(el("span", "qsource__page", "Page " + source.page));
    if (source.section) where.appendChild(el("span", "qsource__section", source.section));
    aside.appendChild(where);
    if (source.quote) aside.appendChild(el("blockquote", "qsource__quote", source.quote));
    if (source.material) {
      var link = el("a", "qsource__link", "Open " + (source.title || "the material"));
      link.href = materialUrl + source.material + "/";
      aside.appendChild(link);
    }
    return aside;
  }

  // The feedback on one question: right or not, the right answer, why, and the source.
  function feedbackBlock(q, feedback) {
    var result = verdict(feedback);
    var block = el("div", "pfb pfb--" + result.key);
    var head = el("p", "pfb__verdict");
    head.appendChild(el("strong", "", result.text));
    head.appendChild(document.createTextNode(
      " — " + number(feedback.points_earned) + " of " + plural(Number(number(q.points)), "point")));
    block.appendChild(head);
    var answer = feedback.correct_answer || {};
    var key = el("p", "pfb__answer");
    key.appendChild(el("span", "qanswer__label", "Right answer"));
    key.appendChild(document.createTextNode(" "));
    if (answer.options) {
      answer.options.forEach(function (id, index) {
        if (index) key.appendChild(document.createTextNode(", "));
        key.appendChild(html("span", "pfb__key", optionText(q, id)));
      });
    } else if (answer.accepted) {
      key.appendChild(el("span", "pfb__key", answer.accepted.map(function (a) { return "“" + a + "”"; }).join(" or ")));
    } else {
      var value = number(answer.value);
      if (answer.tolerance) value += " ± " + number(answer.tolerance);
      if (answer.unit) value += " " + answer.unit;
      key.appendChild(el("span", "pfb__key", value));
    }
    if (!feedback.correct) block.appendChild(key);
    (feedback.option_feedback || []).forEach(function (option) {
      if (option.chosen && option.feedback_html) block.appendChild(html("div", "pfb__option", option.feedback_html));
    });
    if (feedback.explanation_html) {
      var why = html("div", "pfb__explanation", feedback.explanation_html);
      why.insertBefore(document.createTextNode(" "), why.firstChild);
      why.insertBefore(el("span", "qanswer__label", "Why"), why.firstChild);
      block.appendChild(why);
    }
    if (feedback.source) block.appendChild(sourceBox(feedback.source));
    return block;
  }

  function markOptions(set, feedback) {
    var marks = {};
    (feedback.option_feedback || []).forEach(function (o) { marks[o.id] = o; });
    set.querySelectorAll(".pq-option").forEach(function (label) {
      var o = marks[label.getAttribute("data-option")];
      var mark = label.querySelector(".pq-option__mark");
      label.classList.remove("pq-option--correct", "pq-option--wrong");
      mark.textContent = "";
      if (!o) return;
      if (o.correct) {
        label.classList.add("pq-option--correct");
        mark.textContent = o.chosen ? "Your answer: right" : "Right answer";
      } else if (o.chosen) {
        label.classList.add("pq-option--wrong");
        mark.textContent = "Your answer: not right";
      }
    });
  }

  function renderFeedback(q) {
    var holder = byId("pq-" + q.position + "-feedback");
    if (!holder) return;
    holder.textContent = "";
    if (!q.feedback) return;
    holder.appendChild(feedbackBlock(q, q.feedback));
    markOptions(box(q.position), q.feedback);
  }

  function refreshQuestion(q) {
    writeResponse(q, shownResponse(q));
    lock(q);
    renderStatus(q);
    renderFeedback(q);
  }

  function refreshAll() {
    if (!state) return;
    state.questions.forEach(function (q) { renderStatus(q); });
    renderNav();
  }

  // ---- the navigator ---------------------------------------------------------------------

  function buildNav() {
    ui.nav.textContent = "";
    state.questions.forEach(function (q, index) {
      var item = el("li");
      var button = el("button", "pnav", String(q.position));
      button.type = "button";
      button.setAttribute("data-index", index);
      item.appendChild(button);
      ui.nav.appendChild(item);
    });
  }

  function renderNav() {
    if (!state) return;
    var count = 0;
    ui.nav.querySelectorAll(".pnav").forEach(function (button, index) {
      var q = state.questions[index];
      var done = answered(shownResponse(q)) && !drafts[q.position];
      if (done) count += 1;
      button.classList.toggle("pnav--answered", done);
      button.setAttribute("aria-label", "Question " + q.position + (done ? ", answered" : ", not answered"));
      if (index === current) button.setAttribute("aria-current", "step");
      else button.removeAttribute("aria-current");
    });
    ui.progress.textContent = count + " of " + state.questions.length + " answered";
  }

  function go(index, focus) {
    if (!state || !state.questions.length) return;
    current = Math.max(0, Math.min(index, state.questions.length - 1));
    state.questions.forEach(function (q, i) { box(q.position).hidden = i !== current; });
    ui.prev.disabled = current === 0;
    ui.next.disabled = current === state.questions.length - 1;
    renderNav();
    try { window.localStorage.setItem(placeKey(state.attempt), String(current)); } catch (error) { /* ignore */ }
    if (focus) byId("pq-" + state.questions[current].position + "-legend").focus();
  }

  // ---- sending answers -------------------------------------------------------------------

  function newRef(position) {
    refCount += 1;
    return "q" + position + "-" + Date.now().toString(36) + "-" + refCount;
  }

  function sendAnswer(position) {
    window.clearTimeout(sendTimers[position]);
    delete sendTimers[position];
    var entry = pending[position];
    if (!entry || !state || state.state !== "in_progress") return;
    entry.ref = newRef(position);
    storePending();
    send({ type: "answer", attempt: state.attempt, position: position, response: entry.response, ref: entry.ref });
    var q = question(position);
    if (q) renderStatus(q);
  }

  function flushAll() {
    Object.keys(sendTimers).forEach(function (position) { sendAnswer(Number(position)); });
  }

  // The student changed an answer: keep it here at once, send it after `delay`.
  function answerChanged(q, delay) {
    if (q.locked || timeUp) return;
    var response = readResponse(q);
    delete errors[q.position];
    if (immediate()) {
      if (response && answered(response)) drafts[q.position] = response;
      else delete drafts[q.position];
      renderStatus(q);
      renderNav();
      return;
    }
    if (!response || (q.kind === "numeric" && !answered(response))) {
      delete pending[q.position];
      storePending();
      renderStatus(q);
      var status = byId("pq-" + q.position + "-status");
      if (q.kind === "numeric" && q.saved_at) status.textContent = "Type a number; your last saved answer is kept until you do.";
      renderNav();
      return;
    }
    pending[q.position] = { response: response, ref: null };
    storePending();
    renderStatus(q);
    renderNav();
    window.clearTimeout(sendTimers[q.position]);
    if (delay) sendTimers[q.position] = window.setTimeout(function () { sendAnswer(q.position); }, delay);
    else sendAnswer(q.position);
  }

  function check(q) {
    var response = drafts[q.position] || readResponse(q);
    if (!response || !answered(response)) {
      errors[q.position] = q.kind === "numeric" ? "Type a number first." : "Give an answer first.";
      renderStatus(q);
      return;
    }
    delete drafts[q.position];
    delete errors[q.position];
    pending[q.position] = { response: response, ref: null };
    storePending();
    sendAnswer(q.position);
  }

  ui.form.addEventListener("submit", function (event) { event.preventDefault(); });

  ui.form.addEventListener("change", function (event) {
    var set = event.target.closest(".pq");
    if (!set) return;
    var q = question(Number(set.getAttribute("data-position")));
    if (!q) return;
    var typed = event.target.type === "text";
    // A text box's change comes when it loses the focus: send what was typed now.
    answerChanged(q, typed ? 0 : CHOICE_DELAY_MS);
  });

  ui.form.addEventListener("input", function (event) {
    if (event.target.type !== "text") return;
    var set = event.target.closest(".pq");
    var q = set && question(Number(set.getAttribute("data-position")));
    if (q) answerChanged(q, TEXT_DELAY_MS);
  });

  ui.form.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.target.type !== "text" || event.isComposing) return;
    event.preventDefault();
    var set = event.target.closest(".pq");
    var q = set && question(Number(set.getAttribute("data-position")));
    if (!q) return;
    if (immediate()) check(q);
    else answerChanged(q, 0);
  });

  ui.form.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-check]") : null;
    if (!button) return;
    var q = question(Number(button.getAttribute("data-check")));
    if (q) check(q);
  });

  ui.nav.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".pnav") : null;
    if (button) go(Number(button.getAttribute("data-index")), true);
  });
  ui.prev.addEventListener("click", function () { go(current - 1, true); });
  ui.next.addEventListener("click", function () { go(current + 1, true); });

  // ---- the clock -------------------------------------------------------------------------

  function serverNow() { return Date.now() + offset; }

  function syncClock(message) {
    if (message.server_time) {
      var server = Date.parse(message.server_time);
      if (!isNaN(server)) offset = server - Date.now();
    }
  }

  function formatRemaining(seconds) {
    seconds = Math.max(0, Math.ceil(seconds));
    var h = Math.floor(seconds / 3600);
    var m = Math.floor((seconds % 3600) / 60);
    var s = seconds % 60;
    var mm = h ? (m < 10 ? "0" : "") + m : String(m);
    return (h ? h + ":" : "") + mm + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    if (deadline === null) return;
    var left = (deadline - serverNow()) / 1000;
    ui.timerValue.textContent = formatRemaining(left);
    ui.timer.setAttribute("data-seconds", String(Math.max(0, Math.ceil(left))));
    ui.timer.classList.toggle("player-bar__timer--warn", left <= 300);
    ui.timer.classList.toggle("player-bar__timer--danger", left <= 60);
    // The most urgent warning due and not given yet; the ones before it are skipped.
    var due = null;
    WARNINGS.forEach(function (warning) {
      if (left <= warning.seconds && !warned[warning.seconds]) due = warning;
    });
    if (due) {
      WARNINGS.forEach(function (w) { if (w.seconds >= due.seconds) warned[w.seconds] = true; });
      if (left > 0) warn(left > due.seconds - 10 ? due.text : due.late);
    }
    if (left <= 0 && !timeUp) onTimeUp();
  }

  function startClock(message) {
    syncClock(message);
    window.clearInterval(tickTimer);
    tickTimer = null;
    if (message.state !== "in_progress" || !message.deadline) {
      deadline = null;
      ui.timer.hidden = true;
      return;
    }
    deadline = Date.parse(message.deadline);
    ui.timer.hidden = false;
    tick();
    tickTimer = window.setInterval(tick, 500);
  }

  function stopClock() {
    window.clearInterval(tickTimer);
    tickTimer = null;
    deadline = null;
    ui.timer.hidden = true;
    window.clearTimeout(timeUpTimer);
  }

  // The server submits the attempt at its deadline and says so; until it does, nothing more can
  // be answered here. If its word does not come (the connection is down), ask again.
  function onTimeUp() {
    timeUp = true;
    Object.keys(sendTimers).forEach(function (p) { window.clearTimeout(sendTimers[p]); });
    sendTimers = {};
    if (state) state.questions.forEach(lock);
    ui.submit.disabled = true;
    if (ui.dialog.open) ui.dialog.close();
    ui.warning.textContent = ""; // the alert below says it (and is announced)
    showAlert(connected()
      ? "Time is up. Your attempt is being submitted with the answers saved so far…"
      : "Time is up. Your attempt is submitted by the server with the answers it received; reconnect to see your result.");
    timeUpTimer = window.setTimeout(function askAgain() {
      if (view !== "attempt") return;
      send({ type: "open" });
      timeUpTimer = window.setTimeout(askAgain, TIME_UP_GRACE_MS);
    }, TIME_UP_GRACE_MS);
  }

  // ---- views -----------------------------------------------------------------------------

  function setView(name) {
    view = name;
    root.setAttribute("data-view", name);
    ui.intro.hidden = name !== "intro";
    ui.attempt.hidden = name !== "attempt";
    ui.results.hidden = name !== "results";
  }

  function showIntro(message) {
    var availability = message.availability || {};
    stopClock();
    ui.introTitle.textContent = "Before you start";
    ui.introStatus.textContent = availability.message || "";
    var used = availability.attempts_used || 0;
    var allowed = availability.attempts_allowed || 0;
    ui.introAttempts.textContent = allowed
      ? "Attempts: " + used + " of " + allowed + " used."
      : "Attempts: " + used + " used; you may take this quiz as often as you like.";
    var last = message.last_attempt;
    ui.introLast.hidden = !last;
    ui.introLast.textContent = "";
    if (last) {
      ui.introLast.appendChild(document.createTextNode("Your last attempt: " + scoreText(last.result) + ". "));
      var link = el("a", "", "Review it");
      link.href = attemptUrl.replace(/\/0\/$/, "/" + last.attempt + "/");
      ui.introLast.appendChild(link);
    }
    ui.start.hidden = !availability.can_start;
    ui.start.disabled = false;
    ui.start.textContent = used ? "Start a new attempt" : "Start attempt";
    starting = false;
    setView("intro");
  }

  function showAttempt(message) {
    var fresh = !state || state.attempt !== message.attempt || view !== "attempt";
    if (fresh) {
      pending = loadPending(message.attempt);
      drafts = {};
      errors = {};
      warned = {};
      timeUp = false;
    }
    state = message;
    // An answer kept here that the server already has (its "saved" was lost on the way) is done.
    Object.keys(pending).forEach(function (key) {
      var q = question(Number(key));
      if (!q || q.locked || normal(q.response) === normal(pending[key].response)) delete pending[key];
    });
    storePending();
    if (fresh) {
      ui.questions.textContent = "";
      state.questions.forEach(function (q) { ui.questions.appendChild(buildQuestion(q, state.questions.length)); });
      buildNav();
    }
    state.questions.forEach(refreshQuestion);
    ui.submit.disabled = false;
    showAlert("");
    setView("attempt");
    var start = 0;
    if (fresh) {
      try { start = Number(window.localStorage.getItem(placeKey(state.attempt))) || 0; } catch (error) { start = 0; }
    } else {
      start = current;
    }
    go(start, fresh);
    startClock(message);
    Object.keys(pending).forEach(function (key) { sendAnswer(Number(key)); });
  }

  function scoreText(result) {
    if (!result || result.score === null || result.score === undefined) return "not scored";
    var text = number(result.score) + " of " + number(result.max_score);
    if (result.percent !== null && result.percent !== undefined) text += " (" + number(result.percent) + "%)";
    return text;
  }

  function answerText(q) {
    var response = q.response || {};
    if ("option" in response) return [optionText(q, response.option)];
    if ("options" in response) return response.options.map(function (id) { return optionText(q, id); });
    if ("text" in response) return [null, response.text];
    if ("value" in response) return [null, response.value + (q.unit ? " " + q.unit : "")];
    return [];
  }

  function showResults(message) {
    var lost = Object.keys(pending).length;
    forgetPending(message.attempt);
    pending = {};
    drafts = {};
    stopClock();
    timeUp = false;
    state = message;
    if (ui.dialog.open) ui.dialog.close();
    var result = message.result || {};
    var body = ui.resultsBody;
    body.textContent = "";
    var summary = el("div", "card result-summary");
    var score = el("p", "result-score");
    score.appendChild(el("span", "result-score__label", "Score "));
    score.appendChild(el("span", "result-score__value", scoreText(result)));
    summary.appendChild(score);
    var reason = message.reason || result.submit_reason;
    if (reason === "deadline") {
      summary.appendChild(el("p", "result-note result-note--time", "Time is up: your attempt was submitted with the answers saved before the deadline."));
    } else {
      summary.appendChild(el("p", "result-note", "Your attempt was submitted" + (result.submitted_at ? " at " + clock(result.submitted_at) : "") + "."));
    }
    if (result.late) {
      summary.appendChild(el("p", "result-note", "It came in after the quiz closed" +
        (result.late_penalty_percent ? ": " + result.late_penalty_percent + "% was taken off the score." : ".")));
    }
    if (lost) {
      summary.appendChild(el("p", "alert alert--warning", plural(lost, "answer") + " given on this device could not be sent before the attempt was submitted."));
    }
    summary.appendChild(el("p", "muted", message.answered + " of " + message.questions.length + " questions answered."));
    body.appendChild(summary);
    if (message.feedback_visible) {
      var list = el("ol", "result-list");
      message.questions.forEach(function (q) {
        var item = el("li", "result-item");
        item.appendChild(el("h3", "result-item__title", "Question " + q.position));
        item.appendChild(html("div", "pq__stem", q.stem_html));
        var given = el("p", "pfb__given");
        given.appendChild(el("span", "qanswer__label", "Your answer"));
        given.appendChild(document.createTextNode(" "));
        var parts = answerText(q);
        if (!parts.length) given.appendChild(el("span", "muted", "No answer given."));
        else if (parts[0] === null) given.appendChild(el("span", "pfb__key", parts[1]));
        else parts.forEach(function (part, i) {
          if (i) given.appendChild(document.createTextNode(", "));
          given.appendChild(html("span", "pfb__key", part));
        });
        item.appendChild(given);
        if (q.feedback) item.appendChild(feedbackBlock(q, q.feedback));
        list.appendChild(item);
      });
      body.appendChild(list);
    } else {
      body.appendChild(el("p", "muted", message.show_feedback === "after_close"
        ? "Your teacher shows the right answers once the quiz closes."
        : "Your teacher does not show the right answers for this quiz."));
    }
    ui.resultsReview.href = attemptUrl.replace(/\/0\/$/, "/" + message.attempt + "/");
    ui.again.hidden = true;
    setView("results");
    ui.warning.textContent = "";
    if (reason === "deadline") {
      showAlert("Time is up. Your attempt was submitted.", "warning");
    } else {
      showAlert("");
    }
    ui.resultsTitle.focus();
    send({ type: "open" }); // may another attempt start?
  }

  // ---- the socket ------------------------------------------------------------------------

  function onSaved(message) {
    if (!state || (message.attempt && message.attempt !== state.attempt)) return;
    var q = question(message.position);
    if (!q) return;
    var mine = pending[q.position];
    var acknowledged = Boolean(mine && message.ref && mine.ref === message.ref);
    if ("response" in message) q.response = message.response;
    if (message.saved_at) q.saved_at = message.saved_at;
    if (typeof message.answered === "number") state.answered = message.answered;
    if (acknowledged) {
      delete pending[q.position];
      storePending();
    }
    if (message.feedback) q.feedback = message.feedback;
    if (immediate()) q.locked = true;
    // Another tab (or the API) answered: show it here, unless this page has a newer answer.
    if (!pending[q.position]) writeResponse(q, q.response);
    lock(q);
    renderStatus(q);
    renderFeedback(q);
    renderNav();
  }

  function onError(message) {
    if (message.position !== undefined && message.position !== null && state) {
      var q = question(message.position);
      if (!q) return;
      var mine = pending[q.position];
      if (mine && (!message.ref || mine.ref === message.ref)) {
        delete pending[q.position];
        storePending();
      }
      errors[q.position] = message.message || "That answer was not saved.";
      if (message.code === "locked") q.locked = true;
      if (!pending[q.position]) writeResponse(q, q.response);
      lock(q);
      renderStatus(q);
      renderNav();
      if (message.code === "time_up" || message.code === "submitted") send({ type: "open" });
      return;
    }
    if (view === "intro" || starting) {
      starting = false;
      ui.start.disabled = false;
      ui.introError.textContent = message.message || "The attempt could not start.";
      return;
    }
    if (submitRef && message.ref === submitRef) {
      submitRef = null;
      ui.confirm.disabled = false;
      ui.confirm.textContent = "Submit now";
    }
    showAlert(message.message || "Something went wrong.", "error");
  }

  function onStatus(message) {
    var last = message.last_attempt;
    if (view === "attempt" && state && last && last.attempt === state.attempt) {
      // Submitted while this page was away (the deadline, another tab, the API).
      showResults(last);
      return;
    }
    if (view === "results") {
      var availability = message.availability || {};
      ui.again.hidden = !availability.can_start;
      return;
    }
    showIntro(message);
  }

  function onMessage(event) {
    var message;
    try {
      message = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    switch (message.type) {
      case "attempt":
        ui.introError.textContent = "";
        starting = false;
        if (message.state === "submitted") showResults(message);
        else showAttempt(message);
        break;
      case "status":
        onStatus(message);
        break;
      case "saved":
        onSaved(message);
        break;
      case "submitted":
        submitRef = null;
        ui.confirm.disabled = false;
        ui.confirm.textContent = "Submit now";
        if (!state || message.attempt === state.attempt || view !== "attempt") showResults(message);
        break;
      case "pong":
        syncClock(message);
        break;
      case "error":
        onError(message);
        break;
      default:
        break;
    }
  }

  function setConnection(kind, text) {
    ui.connection.setAttribute("data-state", kind);
    ui.connection.textContent = text || CONNECTION[kind] || "";
    root.setAttribute("data-connection", kind);
  }

  function startPing() {
    window.clearInterval(pingTimer);
    pingTimer = window.setInterval(function () { send({ type: "ping" }); }, PING_MS);
  }

  function connect() {
    window.clearTimeout(retryTimer);
    retryTimer = null;
    if (gaveUp || (socket && socket.readyState <= WebSocket.OPEN)) return;
    if (navigator.onLine === false) {
      setConnection("offline");
      retryTimer = window.setTimeout(connect, OFFLINE_RETRY_MS);
      refreshAll();
      return;
    }
    setConnection(everConnected ? "reconnecting" : "connecting");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var ws;
    try {
      ws = new WebSocket(scheme + window.location.host + wsPath);
    } catch (error) {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.addEventListener("open", function () {
      if (socket !== ws) return;
      everConnected = true;
      retryDelay = 1000;
      setConnection("connected");
      startPing();
      send({ type: "open" });
      refreshAll();
    });
    ws.addEventListener("message", function (event) {
      if (socket === ws) onMessage(event);
    });
    ws.addEventListener("close", function (event) {
      if (socket !== ws) return;
      socket = null;
      window.clearInterval(pingTimer);
      if (event.code === CLOSE_NOT_SIGNED_IN) {
        return giveUp("Your session has ended. Sign in again to go on; the answers given here are kept on this device.");
      }
      if (event.code === CLOSE_FORBIDDEN) return giveUp("Only the course's students can take this quiz.");
      if (event.code === CLOSE_NO_SUCH_QUIZ) return giveUp("This quiz is no longer available.");
      if (navigator.onLine === false) {
        setConnection("offline");
        retryTimer = window.setTimeout(connect, OFFLINE_RETRY_MS);
      } else {
        scheduleReconnect();
      }
      refreshAll();
    });
  }

  function giveUp(text) {
    gaveUp = true;
    setConnection("ended", text);
    showAlert(text, "error");
    refreshAll();
  }

  function scheduleReconnect() {
    setConnection("reconnecting");
    var wait = retryDelay + Math.floor(Math.random() * 300);
    retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
    retryTimer = window.setTimeout(connect, wait);
  }

  window.addEventListener("offline", function () {
    setConnection("offline");
    // The socket may linger half-open; answers given from now on wait here instead.
    if (socket) {
      var ws = socket;
      socket = null;
      window.clearInterval(pingTimer);
      ws.close();
    }
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(connect, OFFLINE_RETRY_MS);
    refreshAll();
  });

  window.addEventListener("online", function () {
    retryDelay = 1000;
    connect();
  });

  // ---- start and submit ------------------------------------------------------------------

  function startAttempt() {
    if (starting) return;
    ui.introError.textContent = "";
    if (!send({ type: "start" })) {
      ui.introError.textContent = "Not connected: the attempt starts once the connection is back.";
      return;
    }
    starting = true;
    ui.start.disabled = true;
  }

  ui.start.addEventListener("click", startAttempt);
  ui.again.addEventListener("click", function () {
    if (send({ type: "start" })) {
      starting = true;
      ui.again.disabled = true;
      window.setTimeout(function () { ui.again.disabled = false; }, 3000);
    }
  });

  function openSubmit() {
    if (!state) return;
    var missing = state.questions.filter(function (q) {
      return !answered(shownResponse(q)) || Boolean(drafts[q.position]);
    });
    ui.dialogList.textContent = "";
    if (missing.length) {
      ui.dialogSummary.textContent = "You have not answered " + plural(missing.length, "question") + ":";
      missing.forEach(function (q) {
        var item = el("li");
        var button = el("button", "link-button", "Go to question " + q.position);
        button.type = "button";
        button.setAttribute("data-goto", state.questions.indexOf(q));
        item.appendChild(button);
        ui.dialogList.appendChild(item);
      });
    } else {
      ui.dialogSummary.textContent = "You have answered all " + plural(state.questions.length, "question") + ".";
    }
    var unsent = Object.keys(pending).length;
    ui.confirm.disabled = !connected();
    ui.confirm.textContent = "Submit now";
    if (!connected()) {
      ui.dialogNote.textContent = "You are offline. You can submit once the connection is back; your answers are kept on this device until then.";
    } else if (unsent) {
      ui.dialogNote.textContent = plural(unsent, "answer") + " still being saved will be sent first.";
    } else {
      ui.dialogNote.textContent = "";
    }
    ui.dialogNote.hidden = !ui.dialogNote.textContent;
    if (typeof ui.dialog.showModal === "function") ui.dialog.showModal();
    else ui.dialog.setAttribute("open", "");
    ui.cancel.focus();
  }

  ui.submit.addEventListener("click", openSubmit);
  ui.cancel.addEventListener("click", function () { ui.dialog.close(); });
  ui.dialog.addEventListener("close", function () {
    if (view === "attempt" && !ui.submit.disabled) ui.submit.focus();
  });
  ui.dialogList.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-goto]") : null;
    if (!button) return;
    ui.dialog.close();
    go(Number(button.getAttribute("data-goto")), true);
  });
  ui.confirm.addEventListener("click", function () {
    if (!state || !connected()) return;
    flushAll();
    submitRef = "submit-" + Date.now().toString(36);
    ui.confirm.disabled = true;
    ui.confirm.textContent = "Submitting…";
    send({ type: "submit", attempt: state.attempt, ref: submitRef });
  });

  connect();
})();
