"""Writes on the question bank (``bank``) and on quizzes (``quizzes``): one function per state
change, called by the pages, the API, the generation job and the importers alike. The package
names the app's write API; each module holds its own."""

from .bank import (
    TAG_FIELDS,
    question_accept,
    question_create,
    question_delete,
    question_reject,
    question_update,
    questions_bulk_accept,
    version_was_shown,
)
from .quizzes import (
    ATTEMPTS_MAX,
    LATE_MAX_MINUTES,
    QUIZ_SETTING_FIELDS,
    TIME_LIMIT_MAX_MINUTES,
    quiz_create,
    quiz_publish,
    quiz_question_remove,
    quiz_questions_add,
    quiz_questions_reorder,
    quiz_unpublish,
    quiz_update,
)

__all__ = [
    "ATTEMPTS_MAX",
    "LATE_MAX_MINUTES",
    "QUIZ_SETTING_FIELDS",
    "TAG_FIELDS",
    "TIME_LIMIT_MAX_MINUTES",
    "question_accept",
    "question_create",
    "question_delete",
    "question_reject",
    "question_update",
    "questions_bulk_accept",
    "quiz_create",
    "quiz_publish",
    "quiz_question_remove",
    "quiz_questions_add",
    "quiz_questions_reorder",
    "quiz_unpublish",
    "quiz_update",
    "version_was_shown",
]
