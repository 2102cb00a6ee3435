"""How a course's quizzes and questions performed over the submitted attempts: ``questions``
(each question's facility, discrimination, answers chosen and the flags for weak questions) and
``scores`` (a quiz's summary and its score histogram)."""
