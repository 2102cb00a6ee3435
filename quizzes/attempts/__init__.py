"""Taking a quiz: start (or resume) an attempt, save each answer as it comes, submit.

One write path per state change — ``attempt_start``, ``answer_save``, ``attempt_submit``,
``attempts_submit_expired`` — called alike by the websocket consumer, the API and the deadline
sweep, so the rules below hold whichever way an answer arrives.

- A quiz takes attempts from ``opens_at`` to ``closes_at``. With ``late_minutes``, students may
  still start and submit for that long after closing; a submission after ``closes_at`` is late
  and loses ``late_penalty_percent`` of its score.
- Attempts allowed: the quiz's ``attempts_allowed`` (0: unlimited) plus the student's
  ``Accommodation.extra_attempts``. Only a course's students take its quizzes.
- The server owns the clock. ``Attempt.deadline`` is fixed at the start: the time limit, longer
  by the student's ``extra_time_percent``, never past the closing time (plus the late window).
  No answer is stored after it; an attempt still open after it is submitted by the server (the
  consumer's timer, the sweep task, or the next time anyone touches it).
- Answers are stored (and graded against the version the attempt pinned) the moment they
  arrive. With feedback shown immediately an answer is final once its feedback is seen.
- Submitting twice changes nothing the second time.

The package: ``rules`` (the windows, deadlines, allowances and the shape of a response, as pure
functions), ``services`` (every write), ``selectors`` (reads), ``payloads`` (what a player is
sent), ``broadcasts`` (what other open pages hear), ``groups`` (their channel groups) and
``exports`` (result rows as CSV).
"""

# The one name the package itself exposes: the refusal every attempt service raises (a
# DomainError, so the API, the pages and the socket answer it with its code and status).
from .errors import AttemptRefused

__all__ = ["AttemptRefused"]
