"""Live class sessions: a teacher runs a published quiz in class, students join with a code and
answer each question from their own device, and everyone sees the results together.

One write path per state change (``services``, ``answers``), called alike by the websocket
consumer (``quizzes.consumers.live``) and the host page's plain forms (``quizzes.views.live``):

- ``live_session_start``: a session in the lobby with a fresh join code: six characters from an
  alphabet without look-alikes (no 0/O, 1/I/L), unique among running sessions (the database
  constraint ``live_join_code_active_once`` has the last word; a finished session frees it).
- ``live_join``: a course student becomes a participant with a stable alias ("Blue Otter");
  joining again (a reload, another device) finds the same participant, alias and score.
- ``live_round_open_next``: the next question opens as a ``LiveRound`` pinned to the question's
  current version (read under a share lock, like an attempt's start).
- ``live_answer``: a participant's one answer to the open round, graded at once against the
  pinned version. The first answer counts; an answer after the round closed or its time ran
  out (the server's clock) is refused. One SQL statement stores it and adds the points.
- ``live_round_close``: answers stop and the results are revealed. Idempotent: the host's
  button, a page's timer and a reconnecting page may all call it; one of them closes it.
- ``live_session_end``: the final leaderboard; the session is finished and its code free.

Scoring: a round is worth its quiz item's points times the share the answer earned (partial
credit on multiple-answer questions). With speed scoring a right answer earns up to double:
``points × score × (1 + max(0, 1 − elapsed / window))``, the window being the round's seconds
(or ``SPEED_WINDOW_SECONDS`` when the teacher closes each question by hand).

Events reach every open page through the session's channel groups after commit; each is built
once per event, not once per socket: the JSON text every socket sends as it is, and for reveals
and the end a map of each participant's own standing that the consumer splices in.

The modules, each importing only those above it in this list (no cycles):

- ``rules``: limits, ``LiveRefused``, join-code cleaning, ``speed_points`` (pure);
  ``aliases``: the alias word lists (pure); ``groups``: the channel group names;
- ``shown`` and ``payloads``: typed frozen dataclasses: the pieces pages show (session, round,
  counts, standings, results) and the websocket frames (``smartedu.payloads.Frame``);
- ``selectors``: reads (the session a code names, the role, rounds, counts, standings,
  leaderboard, a round's results) and the process-wide caches of what never changes;
- ``snapshots``: the state a page gets on (re)connect, the reveal and the end events;
- ``broadcasts``: the after-commit fan-out of questions, reveals, the end, joins and answers;
- ``services``: the session's writes (start, join, connect, open, close, end);
  ``answers``: a participant's answer, the hot path.

This package exposes nothing itself: import from the module that holds the name."""
