"""Quiz generation's job, in quizzes (it is the question bank's state; ai.generation holds the
engines that write and check candidates and knows nothing of the bank).

- ``lifecycle``: create (validated, within the budget), regenerate one question, finish, fail,
  stalled/requeue: every state change of a GenerationJob but the running;
- ``slices``: one slice of a running job (claim the lease, plan, generate, apply);
- ``planning``: the passages in scope, their order, the bank's evidence, kinds per call;
- ``apply``: checked candidates become drafts in the bank (content gate, grounding,
  near-duplicates);
- ``cursor``: the job's resumable position (``GenerationCursor``, the JSON on the job);
- ``validation``: what a request may ask for.

The Celery tasks that run jobs are quizzes.tasks.generate_questions and
requeue_stalled_generation_jobs; services queue them by name."""
