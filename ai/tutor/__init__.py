"""The course tutor: a question → retrieval inside the course → an answer grounded in the
material with numbered citations, or an honest "the material does not cover this".

``services.tutor_answer`` is the one write path for an answer; the websocket (through a Celery
task) and the partner API both call it. It runs the steps in order: ``retrieve`` (the passages
that support an answer), ``compose`` (the prompt, the offline answer, citations and quotes),
``stream`` (the model call, tokens to the asker, the offline fallback) and ``trace`` (what the
turn records for the teacher). ``payloads`` holds the websocket frames and the turn's JSON.

Material text is data, never instructions: it reaches a language model only inside escaped
<source> blocks under a fixed system prompt, and the offline answerer only ever quotes it."""
