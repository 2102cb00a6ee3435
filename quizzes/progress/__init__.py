"""Progress and mastery: how well each student does in a course, overall and per topic and
objective (the tags on questions), kept up to date after every graded answer.

Mastery of a tag is the share of points earned on the *latest final* answer to each question
with that tag, from quiz attempts and live sessions alike: answering a question again replaces
the old answer, so mastery follows what a student knows now, not their first try. An answer is
final once the student can no longer change it: its attempt is submitted, or the quiz shows
feedback after each answer (the answer locks then), or it was given in a live session. Answers
still open to change in a running attempt do not count yet — otherwise the progress page would
tell a student whether an answer is right before the quiz means to.

``progress_changed`` is called after each graded answer commits. It queues one recompute per
student and course on the CPU queue, however many answers arrive before it runs; the task
rewrites that student's ``Mastery`` rows from the answers and pushes them to the student's
progress page (topic ``student-progress``) and the course's class dashboard (topic
``course-progress``). A submitted attempt also pushes an ``attempt_submitted`` event there and
to the school overview (topic ``school-overview``).

The package: ``services`` (the recompute queue, ``mastery_refresh`` and the pushes),
``mastery`` (which answers count and the mastery payload), ``dashboards`` (the reads behind the
progress pages: a student's courses, the class grid, the school overview) and ``access`` (who
may watch which topic)."""
