"""Quiz generation: candidate questions from course passages, by the built-in offline generator
or an OpenAI-compatible language model, checked before they reach the bank.

- ``types``: what generators take and give (Passage, GenerationSpec, Candidate, Batch);
- ``offline``: the extractive generator (the default with no provider configured);
- ``llm``: the language-model generator (JSON-schema structured output);
- ``checks``: repair and validation of raw output, grounding (key supported by the cited passage,
  no distractor supported), near-duplicates;
- ``service``: the job's write path (create with quota, run in slices, fail), called by the API,
  the pages and the ``gpu``-queue task.

Heavy libraries (torch, the model) load lazily, as everywhere in ai/."""
