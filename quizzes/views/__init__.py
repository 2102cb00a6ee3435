"""Pages of the question bank and quizzes, under /courses/<course_id>/: generating questions
with live progress, reviewing drafts beside the passages they came from (edit in place,
accept, reject, regenerate, bulk accept, add to a quiz), and quizzes with their settings.

Thin on purpose: who may see what comes from ``courses.selectors`` and ``quizzes.selectors``
(always as the asking person), every write goes through ``quizzes.services`` or
``quizzes.generation.lifecycle``. Every id is looked up inside the course in the URL, so an id
from another course or school is a 404. Question text reaches the page only through
``quizzes.rendering.render`` (sanitised HTML), never marked safe as it is stored.

htmx requests (``HX-Request``) get the partial they swap (a question card, a quiz's item
list); the same URLs without htmx redirect back, so every action works from a plain form."""
