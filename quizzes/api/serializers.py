"""Explicit input and output shapes of the generation, question bank, quiz and exchange API.

Two audiences read quizzes: the people who run a course (and API keys) see every question with
its key; students see published quizzes through the Student* serializers, which are built
from an allow-list of fields so a key can never slip through by adding a field elsewhere."""

from django.conf import settings
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from ai.models import GenerationJob
from quizzes.models import Difficulty, Question, QuestionVersion, Quiz
from quizzes.rendering import render
from smartedu.api.serializers import QueryFilterSerializer, StrictSerializer

# --- question content ---------------------------------------------------------------------


@extend_schema_serializer(component_name="QuestionOption")
class OptionSerializer(serializers.Serializer):
    """One choice of a single, multiple or true/false question."""

    id = serializers.CharField(help_text="`a`, `b`, … by position; `true`/`false` for true/false.")
    text = serializers.CharField()
    correct = serializers.BooleanField()
    feedback = serializers.CharField(help_text="Shown to a student who picks this option.")


@extend_schema_serializer(component_name="QuestionAnswer")
class AnswerSerializer(serializers.Serializer):
    """The key of a typed answer: `accepted` and `case_sensitive` (short_answer, fill_blank) or
    `value`, `tolerance` and `unit` (numeric). Empty for choice questions."""

    accepted = serializers.ListField(child=serializers.CharField(), required=False)
    case_sensitive = serializers.BooleanField(required=False)
    value = serializers.FloatField(required=False)
    tolerance = serializers.FloatField(required=False)
    unit = serializers.CharField(required=False)


@extend_schema_serializer(component_name="QuestionOptionInput")
class OptionInputSerializer(StrictSerializer):
    # Everything optional here: the content gate (quizzes.content) says what is missing in a
    # teacher's words ("Option 2 has no text.").
    id = serializers.CharField(
        required=False,
        help_text="Ignored except for true/false (`true`/`false`); ids follow the order.",
    )
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    correct = serializers.BooleanField(required=False, default=False)
    feedback = serializers.CharField(required=False, allow_blank=True)


@extend_schema_serializer(component_name="QuestionAnswerInput")
class AnswerInputSerializer(StrictSerializer):
    accepted = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="short_answer / fill_blank: the answers that count as right.",
    )
    case_sensitive = serializers.BooleanField(required=False)
    value = serializers.FloatField(required=False, help_text="numeric: the correct value.")
    tolerance = serializers.FloatField(required=False, help_text="numeric: ± this counts.")
    unit = serializers.CharField(required=False, allow_blank=True, help_text="numeric, e.g. °C.")


@extend_schema_serializer(component_name="QuestionSource")
class SourceSerializer(serializers.Serializer):
    """The passage of course material that supports the key (copied, so the citation survives
    the material being re-ingested or deleted)."""

    chunk_id = serializers.IntegerField(source="source_chunk_id", allow_null=True)
    material_id = serializers.IntegerField(source="source_material_id", allow_null=True)
    material_title = serializers.CharField(source="source_material.title", allow_null=True)
    page = serializers.IntegerField(source="source_page", allow_null=True)
    section = serializers.CharField(source="source_section")
    quote = serializers.CharField(source="source_quote")


KIND_ERRORS = {
    "invalid_choice": "Unknown question type “{input}”; use one of "
    + ", ".join(Question.Kind.values)
    + ".",
}


def _html(text: str) -> str:
    return str(render(text))


@extend_schema_serializer(component_name="Question")
class QuestionOutputSerializer(serializers.Serializer):
    """A question of the course's bank with its key, as its current version words it.

    Text fields are sanitised Markdown; `stem_html` and `explanation_html` are the same text as
    safe HTML (no script, only formatting tags and http(s)/mailto links)."""

    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    status = serializers.ChoiceField(choices=Question.Status.choices)
    origin = serializers.ChoiceField(choices=Question.Origin.choices)
    version = serializers.IntegerField(
        source="current_version.number", help_text="The number of the version now in force."
    )
    stem = serializers.CharField(source="current_version.stem")
    stem_html = serializers.SerializerMethodField()
    options = OptionSerializer(source="current_version.options", many=True)
    answer = AnswerSerializer(source="current_version.answer")
    explanation = serializers.CharField(source="current_version.explanation")
    explanation_html = serializers.SerializerMethodField()
    topic = serializers.CharField()
    objective = serializers.CharField()
    difficulty = serializers.ChoiceField(choices=Difficulty.choices)
    source = SourceSerializer(source="*")
    generation_job = serializers.IntegerField(
        source="generation_job_id", allow_null=True, help_text="The job that generated it."
    )
    generator = serializers.CharField(help_text="Which generator wrote it (provider/model).")
    rejection_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_stem_html(self, question) -> str:
        return _html(question.current_version.stem)

    def get_explanation_html(self, question) -> str:
        return _html(question.current_version.explanation)


@extend_schema_serializer(component_name="QuestionUpdated")
class QuestionUpdatedSerializer(QuestionOutputSerializer):
    new_version = serializers.SerializerMethodField(
        help_text="True when the edit made a new version because students had been shown the "
        "old one (their attempts keep it); false when the current version was rewritten."
    )

    def get_new_version(self, question) -> bool:
        return bool(self.context.get("new_version"))


@extend_schema_serializer(component_name="QuestionVersion")
class QuestionVersionOutputSerializer(serializers.ModelSerializer):
    """One version of a question's wording and key. A version an attempt has shown is frozen:
    editing the question then makes the next version."""

    stem_html = serializers.SerializerMethodField()
    options = OptionSerializer(many=True)
    answer = AnswerSerializer()
    created_by = serializers.IntegerField(source="created_by_id", allow_null=True)
    current = serializers.SerializerMethodField(help_text="The version now in force.")
    shown = serializers.BooleanField(help_text="Whether an attempt has shown it to a student.")

    class Meta:
        model = QuestionVersion
        fields = [
            "number",
            "stem",
            "stem_html",
            "options",
            "answer",
            "explanation",
            "created_by",
            "created_at",
            "current",
            "shown",
        ]
        read_only_fields = fields

    def get_stem_html(self, version) -> str:
        return _html(version.stem)

    def get_current(self, version) -> bool:
        return version.pk == self.context.get("current_version_id")


class QuestionFilterSerializer(QueryFilterSerializer):
    status = serializers.ChoiceField(choices=Question.Status.choices, required=False)
    kind = serializers.ChoiceField(choices=Question.Kind.choices, required=False)
    topic = serializers.CharField(required=False, help_text="Exactly this topic (any case).")
    objective = serializers.CharField(required=False, help_text="Exactly this objective.")
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)
    job = serializers.IntegerField(required=False, help_text="Made by this generation job.")
    material = serializers.IntegerField(required=False, help_text="Citing this material.")
    search = serializers.CharField(required=False, help_text="Words in the question's text.")


_CONTENT_HELP = (
    "single/multiple: `options` [{text, correct, feedback}] (2 to 8); true_false: `options` "
    '[{"id": "true", "correct": true}, {"id": "false"}]; short_answer/fill_blank: `answer` '
    "{accepted: [...], case_sensitive}; numeric: `answer` {value, tolerance, unit}. A "
    "fill-in-the-blank stem marks its blank with ____."
)


class _QuestionContentInput(StrictSerializer):
    stem = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="Markdown; HTML is removed."
    )
    options = OptionInputSerializer(many=True, required=False)
    answer = AnswerInputSerializer(required=False)
    explanation = serializers.CharField(required=False, allow_blank=True)
    topic = serializers.CharField(required=False, allow_blank=True)
    objective = serializers.CharField(required=False, allow_blank=True)
    difficulty = serializers.ChoiceField(choices=Difficulty.choices, required=False)


@extend_schema_serializer(component_name="QuestionCreate")
class QuestionCreateInputSerializer(_QuestionContentInput):
    __doc__ = f"A question written by a teacher; it enters the bank as a draft. {_CONTENT_HELP}"

    unknown_field_messages = {
        "status": "A new question is a draft; accept it with POST /questions/{id}/accept/.",
    }
    kind = serializers.ChoiceField(choices=Question.Kind.choices, error_messages=KIND_ERRORS)


@extend_schema_serializer(component_name="QuestionUpdate")
class QuestionUpdateInputSerializer(_QuestionContentInput):
    __doc__ = (
        "Only the keys sent change. If students have been shown the current version, a new "
        f"version is made and their attempts keep the old one. {_CONTENT_HELP}"
    )

    unknown_field_messages = {
        "status": "Change a question's status with POST /questions/{id}/accept/ or /reject/.",
    }
    kind = serializers.ChoiceField(
        choices=Question.Kind.choices, required=False, error_messages=KIND_ERRORS
    )


@extend_schema_serializer(component_name="QuestionReject")
class QuestionRejectInputSerializer(StrictSerializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=300, help_text="Why (kept with the question)."
    )


@extend_schema_serializer(component_name="QuestionIds")
class QuestionIdsInputSerializer(StrictSerializer):
    questions = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        min_length=1,
        max_length=500,
        help_text="Question ids, at most 500.",
        error_messages={"min_length": "Choose at least one question."},
    )


@extend_schema_serializer(component_name="BulkAcceptResult")
class BulkAcceptResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(
        help_text="Drafts accepted now (questions already accepted, rejected ones and ids of "
        "other courses are left as they are)."
    )


# --- generation ---------------------------------------------------------------------------


@extend_schema_serializer(component_name="GenerationJobCreate")
class GenerationJobCreateInputSerializer(StrictSerializer):
    """What to generate. The questions land in the course's bank as drafts, each citing the
    passage it came from."""

    count = serializers.IntegerField(
        help_text=f"How many questions (1 to {settings.GENERATION_MAX_QUESTIONS})."
    )
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=Question.Kind.choices, error_messages=KIND_ERRORS),
        required=False,
        help_text="Question types to mix (default: single).",
    )
    difficulty = serializers.ChoiceField(
        choices=GenerationJob.Difficulty.choices, required=False, default="medium"
    )
    topic = serializers.CharField(required=False, allow_blank=True, default="")
    objectives = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    materials = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="Material ids of the course (default: every ready material).",
    )


@extend_schema_serializer(component_name="GenerationJob")
class GenerationJobOutputSerializer(serializers.ModelSerializer):
    """A request for generated questions and how far it got. `state` moves queued → running →
    done (or failed, with `error`)."""

    course = serializers.IntegerField(source="course_id")
    materials = serializers.SerializerMethodField(help_text="Empty: every ready material.")
    requested_by = serializers.IntegerField(
        source="requested_by_id", allow_null=True, help_text="Who asked (null: an API key)."
    )
    replaces = serializers.IntegerField(
        source="replaces_id", allow_null=True, help_text="The question this one regenerates."
    )
    kinds = serializers.ListField(child=serializers.ChoiceField(choices=Question.Kind.choices))
    objectives = serializers.ListField(child=serializers.CharField())
    created_count = serializers.IntegerField(help_text="Questions added to the bank so far.")
    duplicate_count = serializers.IntegerField(
        help_text="Candidates dropped as near-duplicates of questions already in the bank."
    )
    rejected_count = serializers.IntegerField(
        help_text="Candidates that failed the checks (see `rejections`)."
    )
    rejections = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text='Why candidates were turned away: [{"reason", "stem"}], the latest 100.',
    )
    notes = serializers.ListField(
        child=serializers.CharField(), help_text="Things a teacher should know about the run."
    )

    class Meta:
        model = GenerationJob
        fields = [
            "id",
            "course",
            "state",
            "count",
            "kinds",
            "difficulty",
            "topic",
            "objectives",
            "materials",
            "replaces",
            "via",
            "requested_by",
            "created_count",
            "duplicate_count",
            "rejected_count",
            "generator",
            "notes",
            "rejections",
            "prompt_tokens",
            "completion_tokens",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_materials(self, job) -> list[int]:
        return sorted(m.pk for m in job.materials.all())


class GenerationJobFilterSerializer(QueryFilterSerializer):
    state = serializers.ChoiceField(choices=GenerationJob.State.choices, required=False)


# --- quizzes ------------------------------------------------------------------------------


class _QuizSettingsInput(StrictSerializer):
    description = serializers.CharField(required=False, allow_blank=True)
    time_limit_minutes = serializers.IntegerField(
        required=False, allow_null=True, help_text="1 to 1440; null for no limit."
    )
    attempts_allowed = serializers.IntegerField(required=False, help_text="0: unlimited.")
    shuffle_questions = serializers.BooleanField(required=False)
    shuffle_options = serializers.BooleanField(required=False)
    show_feedback = serializers.ChoiceField(choices=Quiz.Feedback.choices, required=False)
    opens_at = serializers.DateTimeField(required=False, allow_null=True)
    closes_at = serializers.DateTimeField(required=False, allow_null=True)


@extend_schema_serializer(component_name="QuizCreate")
class QuizCreateInputSerializer(_QuizSettingsInput):
    """A new draft quiz; add questions, then publish it."""

    title = serializers.CharField(allow_blank=True)


@extend_schema_serializer(component_name="QuizUpdate")
class QuizUpdateInputSerializer(_QuizSettingsInput):
    """Only the keys sent change; attempts already started keep their questions."""

    unknown_field_messages = {
        "state": "Publish or unpublish with POST /quizzes/{id}/publish/ or /unpublish/.",
        "questions": "Add, remove and order questions with /quizzes/{id}/questions/.",
    }
    title = serializers.CharField(required=False, allow_blank=True)


@extend_schema_serializer(component_name="QuizQuestionsAdd")
class QuizQuestionsAddInputSerializer(QuestionIdsInputSerializer):
    """Questions of the quiz's course to append, in this order. Drafts are accepted as they
    are added; a rejected question or one already in the quiz refuses the whole request."""

    points = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=0,
        required=False,
        default=1,
        coerce_to_string=False,
        help_text="Points each is worth (default 1).",
    )


@extend_schema_serializer(component_name="QuizQuestionsOrder")
class QuizQuestionsOrderInputSerializer(QuestionIdsInputSerializer):
    """Every question of the quiz, each once, in the new order."""


_QUIZ_FIELDS = [
    "id",
    "course",
    "title",
    "description",
    "state",
    "time_limit_minutes",
    "attempts_allowed",
    "shuffle_questions",
    "shuffle_options",
    "show_feedback",
    "opens_at",
    "closes_at",
    "question_count",
    "created_at",
    "published_at",
]


@extend_schema_serializer(component_name="Quiz")
class QuizOutputSerializer(serializers.ModelSerializer):
    course = serializers.IntegerField(source="course_id")
    question_count = serializers.SerializerMethodField()

    class Meta:
        model = Quiz
        fields = _QUIZ_FIELDS
        read_only_fields = fields

    def get_question_count(self, quiz) -> int:
        count = getattr(quiz, "question_count", None)
        return count if count is not None else quiz.items.count()


@extend_schema_serializer(component_name="QuizItem")
class QuizItemOutputSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    question = QuestionOutputSerializer()


@extend_schema_serializer(component_name="QuizDetail")
class QuizDetailOutputSerializer(QuizOutputSerializer):
    """A quiz with its questions in order, keys included (for the people who run the course)."""

    items = serializers.SerializerMethodField()

    class Meta(QuizOutputSerializer.Meta):
        fields = [*_QUIZ_FIELDS, "items"]
        read_only_fields = fields

    @extend_schema_field(QuizItemOutputSerializer(many=True))
    def get_items(self, quiz):
        return QuizItemOutputSerializer(self.context["items"], many=True).data

    def get_question_count(self, quiz) -> int:
        return len(self.context["items"])


class QuizFilterSerializer(QueryFilterSerializer):
    state = serializers.ChoiceField(
        choices=Quiz.State.choices, required=False, help_text="Students only see published ones."
    )


# --- what students see --------------------------------------------------------------------
# Allow-lists: nothing here reads `correct`, `feedback`, `accepted`, `value`, `tolerance` or the
# explanation. Adding a key to the bank's serializers never reaches a student.


@extend_schema_serializer(component_name="StudentOption")
class StudentOptionSerializer(serializers.Serializer):
    id = serializers.CharField()
    text = serializers.CharField()


@extend_schema_serializer(component_name="StudentQuizQuestion")
class StudentQuizQuestionSerializer(serializers.Serializer):
    """A question as a student may read it before answering: no key, no feedback, no
    explanation."""

    question = serializers.IntegerField(source="question_id")
    position = serializers.IntegerField()
    points = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=False)
    kind = serializers.ChoiceField(source="question.kind", choices=Question.Kind.choices)
    stem = serializers.CharField(source="question.current_version.stem")
    stem_html = serializers.SerializerMethodField()
    options = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField(help_text="numeric: the unit of the answer.")

    def get_stem_html(self, item) -> str:
        return _html(item.question.current_version.stem)

    @extend_schema_field(StudentOptionSerializer(many=True))
    def get_options(self, item):
        return [{"id": o["id"], "text": o["text"]} for o in item.question.current_version.options]

    def get_unit(self, item) -> str:
        if item.question.kind != Question.Kind.NUMERIC:
            return ""
        return str(item.question.current_version.answer.get("unit") or "")


_STUDENT_QUIZ_FIELDS = [
    "id",
    "course",
    "title",
    "description",
    "time_limit_minutes",
    "attempts_allowed",
    "show_feedback",
    "opens_at",
    "closes_at",
    "question_count",
    "published_at",
]


@extend_schema_serializer(component_name="StudentQuiz")
class StudentQuizSerializer(serializers.ModelSerializer):
    """A published quiz as a student of the course sees it."""

    course = serializers.IntegerField(source="course_id")
    question_count = serializers.SerializerMethodField()

    class Meta:
        model = Quiz
        fields = _STUDENT_QUIZ_FIELDS
        read_only_fields = fields

    def get_question_count(self, quiz) -> int:
        count = getattr(quiz, "question_count", None)
        return count if count is not None else quiz.items.count()


@extend_schema_serializer(component_name="StudentQuizDetail")
class StudentQuizDetailSerializer(StudentQuizSerializer):
    questions = serializers.SerializerMethodField()

    class Meta(StudentQuizSerializer.Meta):
        fields = [*_STUDENT_QUIZ_FIELDS, "questions"]
        read_only_fields = fields

    @extend_schema_field(StudentQuizQuestionSerializer(many=True))
    def get_questions(self, quiz):
        return StudentQuizQuestionSerializer(self.context["items"], many=True).data

    def get_question_count(self, quiz) -> int:
        return len(self.context["items"])


# --- exchange -----------------------------------------------------------------------------

EXPORT_FORMATS = [
    ("qti", "QTI 2.1 content package (zip)"),
    ("moodle", "Moodle XML"),
    ("gift", "GIFT (Moodle's text format)"),
]
IMPORT_FORMATS = [("moodle", "Moodle XML"), ("gift", "GIFT (Moodle's text format)")]


class ExportQuerySerializer(StrictSerializer):
    format = serializers.ChoiceField(
        choices=EXPORT_FORMATS,
        error_messages={
            "required": "Say which format: add ?format=qti, ?format=moodle or ?format=gift.",
            "invalid_choice": "Unknown export format “{input}”; use qti, moodle or gift.",
        },
    )


@extend_schema_serializer(component_name="ExportWarnings")
class ExportWarningsSerializer(serializers.Serializer):
    format = serializers.CharField()
    filename = serializers.CharField()
    warnings = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the format cannot carry (each sentence names the question).",
    )


@extend_schema_serializer(component_name="QuestionImport")
class ImportInputSerializer(StrictSerializer):
    """A Moodle XML or GIFT file as the `file` part of a multipart/form-data body."""

    file = serializers.FileField(
        allow_empty_file=True,
        help_text=f"At most {settings.QUIZ_IMPORT_MAX_BYTES} bytes.",
        error_messages={
            "required": "Attach the file as a `file` part of a multipart/form-data request."
        },
    )
    format = serializers.ChoiceField(
        choices=IMPORT_FORMATS,
        error_messages={
            "required": "Say which format the file is in: moodle or gift.",
            "invalid_choice": "Unknown import format “{input}”; use moodle or gift.",
        },
    )


@extend_schema_serializer(component_name="ImportedQuestion")
class ImportedQuestionSerializer(serializers.Serializer):
    """One question of the file and what became of it."""

    number = serializers.IntegerField(help_text="Its place among the file's questions, from 1.")
    line = serializers.IntegerField(allow_null=True, help_text="Where it starts in the file.")
    title = serializers.CharField()
    source_type = serializers.CharField(help_text="The format's name for its type.")
    status = serializers.CharField(help_text="`imported` or `skipped`.")
    kind = serializers.CharField(help_text="The bank's question type (empty when skipped).")
    question_id = serializers.IntegerField(allow_null=True, help_text="The new bank question.")
    reason = serializers.CharField(help_text="Why it was skipped.")
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="What the bank could not keep of it."
    )


@extend_schema_serializer(component_name="ImportReport")
class ImportReportSerializer(serializers.Serializer):
    format = serializers.CharField()
    imported = serializers.IntegerField()
    skipped = serializers.IntegerField()
    warnings = serializers.ListField(
        child=serializers.CharField(), help_text="About the file as a whole."
    )
    questions = ImportedQuestionSerializer(many=True)


# --- the 429 body -------------------------------------------------------------------------


class QuotaErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="`quota_exceeded`.")
    message = serializers.CharField(help_text="How much is used, what was asked, when it resets.")
    resets_at = serializers.DateTimeField(help_text="When this month's budget resets (UTC).")
    limit = serializers.IntegerField(help_text="The school's monthly budget of this kind.")
    used = serializers.IntegerField(help_text="How much of it is used.")


@extend_schema_serializer(component_name="QuotaExceededError")
class QuotaErrorSerializer(serializers.Serializer):
    error = QuotaErrorDetailSerializer()
