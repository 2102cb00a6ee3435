"""Attempts over the API: what a student sends and reads while taking a quiz, and the attempt as
the people who run the course read it (keys included). Result rows and their filters are in
``.results``, a student's accommodation in ``.accommodations``.

What a student reads is ``quizzes.attempts.payloads.attempt_state`` (the same payload the websocket
sends), passed through the allow-lists below: a key reaches a student only inside ``feedback``,
which the domain adds only when the quiz shows feedback."""

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from quizzes.attempts.display import feedback_for, question_payload
from quizzes.models import Question, Quiz
from smartedu.api.serializers import StrictSerializer

# Attempt states and submit reasons are plain strings in the schema: as enums their component
# names would collide with the schema's other "state" and "reason" choice sets.
ATTEMPT_STATES = "`in_progress` or `submitted`."
SUBMIT_REASONS = "`student` (the student submitted) or `deadline` (time ran out)."


# --- taking a quiz -------------------------------------------------------------------------


@extend_schema_serializer(component_name="AttemptAnswer")
class AttemptAnswerInputSerializer(StrictSerializer):
    """One answer: ``{"option": "a"}`` (single, true/false), ``{"options": ["a", "c"]}``
    (multiple), ``{"text": "..."}`` (short answer, fill in the blank), ``{"value": "3.5"}``
    (numeric)."""

    response = serializers.JSONField(
        allow_null=True,
        help_text='single/true_false: {"option": id}; multiple: {"options": [ids]}; '
        'short_answer/fill_blank: {"text": "..."}; numeric: {"value": "3.5"}.',
        error_messages={
            # DRF formats these messages: braces are doubled.
            "required": 'Send the answer as {{"response": {{...}}}}, for example '
            '{{"response": {{"option": "a"}}}}.'
        },
    )


@extend_schema_serializer(component_name="AttemptOption")
class AttemptOptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    text_html = serializers.CharField()


@extend_schema_serializer(component_name="AttemptCorrectAnswer")
class CorrectAnswerSerializer(serializers.Serializer):
    """Choice questions: ``options`` (the right ids); typed answers: ``accepted``; numeric:
    ``value``, ``tolerance`` and ``unit``."""

    options = serializers.ListField(child=serializers.CharField(), required=False)
    accepted = serializers.ListField(child=serializers.CharField(), required=False)
    value = serializers.FloatField(required=False)
    tolerance = serializers.FloatField(required=False)
    unit = serializers.CharField(required=False)


@extend_schema_serializer(component_name="AttemptOptionFeedback")
class OptionFeedbackSerializer(serializers.Serializer):
    id = serializers.CharField()
    correct = serializers.BooleanField()
    chosen = serializers.BooleanField()
    feedback_html = serializers.CharField()


@extend_schema_serializer(component_name="AttemptCitation")
class CitationSerializer(serializers.Serializer):
    """Where the key comes from in the course material."""

    material = serializers.IntegerField(allow_null=True)
    title = serializers.CharField()
    page = serializers.IntegerField(allow_null=True)
    section = serializers.CharField()
    quote = serializers.CharField()


@extend_schema_serializer(component_name="AttemptFeedback")
class FeedbackSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True, help_text="0 to 1 of the points; null: none.")
    correct = serializers.BooleanField()
    answered = serializers.BooleanField()
    points_earned = serializers.FloatField()
    correct_answer = CorrectAnswerSerializer()
    explanation_html = serializers.CharField()
    option_feedback = OptionFeedbackSerializer(many=True)
    # The metaclass takes declared fields off the class, so this never hides Field.source;
    # the stubs cannot know that.
    source = CitationSerializer(allow_null=True)  # type: ignore[assignment]


@extend_schema_serializer(component_name="AttemptQuestionState")
class AttemptQuestionStateSerializer(serializers.Serializer):
    """A question as the student sees it: options in this attempt's order, their saved answer,
    and ``feedback`` only where the quiz shows it."""

    position = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    points = serializers.FloatField()
    stem_html = serializers.CharField()
    options = AttemptOptionSerializer(many=True)
    unit = serializers.CharField(help_text="numeric: the unit of the answer.")
    response = serializers.JSONField(allow_null=True, help_text="The saved answer, as stored.")
    saved_at = serializers.DateTimeField(allow_null=True)
    locked = serializers.BooleanField(help_text="The answer can no longer change.")
    feedback = FeedbackSerializer(required=False)


@extend_schema_serializer(component_name="AttemptResult")
class AttemptResultSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True, help_text="Points earned, after any penalty.")
    max_score = serializers.FloatField(allow_null=True)
    percent = serializers.FloatField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    submit_reason = serializers.CharField(help_text=SUBMIT_REASONS)
    late = serializers.BooleanField()
    late_penalty_percent = serializers.IntegerField()


@extend_schema_serializer(component_name="AttemptState")
class AttemptStateSerializer(serializers.Serializer):
    """Everything a quiz player shows (or resumes): the questions in this attempt's order with
    every saved answer, the deadline and the server's clock; ``result`` once submitted."""

    attempt = serializers.IntegerField()
    quiz = serializers.IntegerField()
    number = serializers.IntegerField()
    state = serializers.CharField(help_text=ATTEMPT_STATES)
    started_at = serializers.DateTimeField(allow_null=True)
    deadline = serializers.DateTimeField(allow_null=True, help_text="null: no time limit.")
    server_time = serializers.DateTimeField(help_text="The server's clock (it owns the time).")
    remaining_seconds = serializers.FloatField(allow_null=True)
    show_feedback = serializers.ChoiceField(choices=Quiz.Feedback.choices)
    feedback_visible = serializers.BooleanField()
    answered = serializers.IntegerField(help_text="How many questions have a saved answer.")
    questions = AttemptQuestionStateSerializer(many=True)
    result = AttemptResultSerializer(required=False)


@extend_schema_serializer(component_name="AttemptSubmitted")
class AttemptSubmittedSerializer(AttemptStateSerializer):
    reason = serializers.CharField(
        help_text="`student`, or `deadline` when time had already run out: the answers then "
        "count as at the deadline."
    )
    already_submitted = serializers.BooleanField(
        help_text="true: it was submitted before this request, which changed nothing."
    )


@extend_schema_serializer(component_name="AnswerSaved")
class AnswerSavedSerializer(serializers.Serializer):
    attempt = serializers.IntegerField()
    position = serializers.IntegerField()
    response = serializers.JSONField(help_text="The answer as stored (cleaned).")
    saved_at = serializers.DateTimeField()
    answered = serializers.IntegerField(help_text="How many questions have a saved answer now.")
    feedback = FeedbackSerializer(
        required=False, help_text="Only when the quiz shows feedback after each answer."
    )


# --- the attempt as the people who run the course read it ----------------------------------


@extend_schema_serializer(component_name="StudentRef")
class StudentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    external_id = serializers.CharField(allow_null=True)


@extend_schema_serializer(component_name="ManagedAttemptOption")
class ManagedOptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    text_html = serializers.CharField()
    correct = serializers.BooleanField()
    chosen = serializers.BooleanField()
    feedback_html = serializers.CharField()


@extend_schema_serializer(component_name="ManagedAttemptQuestion")
class ManagedAttemptQuestionSerializer(serializers.Serializer):
    """A question of the attempt with the student's answer, its grade and the key."""

    position = serializers.IntegerField()
    question = serializers.IntegerField()
    version = serializers.IntegerField(help_text="The question version this attempt showed.")
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    topic = serializers.CharField()
    objective = serializers.CharField()
    points = serializers.FloatField()
    stem_html = serializers.CharField()
    options = ManagedOptionSerializer(many=True, help_text="In the order this attempt showed.")
    unit = serializers.CharField()
    response = serializers.JSONField(allow_null=True)
    answered_at = serializers.DateTimeField(allow_null=True)
    score = serializers.FloatField(allow_null=True, help_text="0 to 1 of the points.")
    points_earned = serializers.FloatField()
    correct = serializers.BooleanField()
    correct_answer = CorrectAnswerSerializer()
    explanation_html = serializers.CharField()
    # Never hides Field.source: see above.
    source = CitationSerializer(allow_null=True)  # type: ignore[assignment]


def managed_question(attempt_question) -> dict:
    """One question of an attempt as a course's managers read it: what the student saw
    (``question_payload``) joined with its grade and key (``feedback_for``)."""
    shown = question_payload(attempt_question)
    graded = feedback_for(attempt_question)
    feedback_by_id = {o["id"]: o for o in graded["option_feedback"]}
    question = attempt_question.question
    return {
        "position": shown["position"],
        "question": attempt_question.question_id,
        "version": attempt_question.version_id,
        "kind": shown["kind"],
        "topic": question.topic,
        "objective": question.objective,
        "points": shown["points"],
        "stem_html": shown["stem_html"],
        "options": [
            {**option, **{k: v for k, v in feedback_by_id[option["id"]].items() if k != "id"}}
            for option in shown["options"]
        ],
        "unit": shown["unit"],
        "response": attempt_question.response,
        "answered_at": attempt_question.answered_at,
        "score": graded["score"],
        "points_earned": graded["points_earned"],
        "correct": graded["correct"],
        "correct_answer": graded["correct_answer"],
        "explanation_html": graded["explanation_html"],
        "source": graded["source"],
    }


@extend_schema_serializer(component_name="AttemptDetail")
class ManagedAttemptSerializer(serializers.Serializer):
    """An attempt with every answer, its grade and the key (the course's teachers, the
    school's admins and API keys). ``context["questions"]``: ``attempt_questions(attempt)``."""

    attempt = serializers.IntegerField(source="pk")
    quiz = serializers.IntegerField(source="quiz_id")
    quiz_title = serializers.CharField(source="quiz.title")
    course = serializers.IntegerField(source="quiz.course_id")
    student = StudentRefSerializer()
    number = serializers.IntegerField()
    state = serializers.CharField(help_text=ATTEMPT_STATES)
    started_at = serializers.DateTimeField()
    deadline = serializers.DateTimeField(allow_null=True)
    extra_time_percent = serializers.IntegerField(
        help_text="The student's extra time, as it was when the attempt started."
    )
    submitted_at = serializers.DateTimeField(allow_null=True)
    submit_reason = serializers.CharField(help_text="`student`, `deadline`, or empty.")
    late = serializers.BooleanField(source="is_late")
    score = serializers.FloatField(allow_null=True)
    max_score = serializers.FloatField(allow_null=True)
    percent = serializers.FloatField(allow_null=True)
    late_penalty_percent = serializers.SerializerMethodField()
    answered = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()

    def get_late_penalty_percent(self, attempt) -> int:
        return attempt.quiz.late_penalty_percent if attempt.is_late else 0

    def get_answered(self, attempt) -> int:
        return sum(1 for aq in self.context["questions"] if aq.answered_at is not None)

    @extend_schema_field(ManagedAttemptQuestionSerializer(many=True))
    def get_questions(self, attempt):
        return ManagedAttemptQuestionSerializer(
            [managed_question(aq) for aq in self.context["questions"]], many=True
        ).data


# --- result rows ---------------------------------------------------------------------------
