"""The question bank, quizzes and the attempts that pin what a student saw.

A ``Question`` is the bank entry (its status, tags, where it came from); its wording and key live
in immutable-once-seen ``QuestionVersion`` rows. Editing a question no student has been shown
rewrites its current version; editing one that an attempt has shown creates a new version, and
the attempt keeps the one it saw (``AttemptQuestion.version``)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from pgvector.django import VectorField

from ai.models import EMBEDDING_DIMENSIONS

# GenerationJob (moved from ai) and the live sessions have modules of their own; every model is
# importable from quizzes.models.
from .generation import GenerationJob as GenerationJob
from .live import LiveAnswer as LiveAnswer
from .live import LiveParticipant as LiveParticipant
from .live import LiveRound as LiveRound
from .live import LiveSession as LiveSession


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Multiple choice (one answer)"
        MULTIPLE = "multiple", "Multiple answers"
        TRUE_FALSE = "true_false", "True or false"
        SHORT_ANSWER = "short_answer", "Short answer"
        NUMERIC = "numeric", "Numeric"
        FILL_BLANK = "fill_blank", "Fill in the blank"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    class Origin(models.TextChoices):
        GENERATED = "generated", "Generated"
        MANUAL = "manual", "Written by a teacher"
        IMPORTED = "imported", "Imported"

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.MANUAL)
    current_version = models.ForeignKey(
        "QuestionVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Tags a teacher filters and (later) reads mastery by.
    topic = models.CharField(max_length=200, blank=True)
    objective = models.CharField(max_length=300, blank=True)
    difficulty = models.CharField(
        max_length=8, choices=Difficulty.choices, default=Difficulty.MEDIUM
    )
    # Where it came from: the passage that supports the key. The quote and page are copied so
    # the citation survives re-ingesting or deleting the material.
    source_chunk = models.ForeignKey(
        "ai.Chunk", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_material = models.ForeignKey(
        "courses.Material", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_page = models.PositiveIntegerField(null=True, blank=True)
    source_section = models.CharField(max_length=500, blank=True)
    source_quote = models.TextField(blank=True, help_text="The passage text that supports the key.")
    generation_job = models.ForeignKey(
        "quizzes.GenerationJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="questions",
    )
    generator = models.CharField(max_length=200, blank=True)
    # The embedding of the current wording, for near-duplicate detection inside a course.
    embedding = VectorField(dimensions=EMBEDDING_DIMENSIONS, null=True, blank=True)
    # Vectors of different models are not comparable: duplicates are only looked for among
    # questions embedded by the school's current model (the rest are embedded again first).
    embedding_model = models.CharField(max_length=200, blank=True)
    rejection_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["course", "-created_at", "-id"]
        indexes = [
            models.Index(name="question_course_status_idx", fields=["course", "status"]),
        ]

    def __str__(self) -> str:
        stem = self.current_version.stem if self.current_version is not None else ""
        return f"question {self.pk}: {stem[:40]}"

    @property
    def current(self) -> "QuestionVersion":
        """The version in force. Every question has one from its creation on
        (quizzes.services.question_create); only a half-made question has none."""
        version = self.current_version
        if version is None:
            raise QuestionVersion.DoesNotExist(f"Question {self.pk} has no current version.")
        return version


class QuestionVersion(models.Model):
    """The wording and key of a question at one point in time.

    ``options`` (single, multiple, true_false): ``[{"id": "a", "text": "…", "correct": bool,
    "feedback": "…"}]``; true/false questions have the options ``true`` and ``false``.
    ``answer`` (short_answer, fill_blank): ``{"accepted": ["ATP", …], "case_sensitive": false}``;
    (numeric): ``{"value": 100.0, "tolerance": 0.5, "unit": "°C"}``. A fill-in-the-blank stem
    marks its blank with ``____``. Text fields hold sanitised Markdown (quizzes.rendering)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    stem = models.TextField()
    options = models.JSONField(default=list, blank=True)
    answer = models.JSONField(default=dict, blank=True)
    explanation = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "number"]
        constraints = [
            models.UniqueConstraint(fields=["question", "number"], name="question_version_once")
        ]

    def __str__(self) -> str:
        return f"question {self.question_id} v{self.number}"


class Quiz(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Feedback(models.TextChoices):
        IMMEDIATELY = "immediately", "After each answer"
        AFTER_SUBMIT = "after_submit", "When the attempt is submitted"
        AFTER_CLOSE = "after_close", "When the quiz closes"
        NEVER = "never", "Never"

    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="quizzes")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    time_limit_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: no time limit."
    )
    attempts_allowed = models.PositiveSmallIntegerField(default=1, help_text="0: unlimited.")
    shuffle_questions = models.BooleanField(default=False)
    shuffle_options = models.BooleanField(default=False)
    show_feedback = models.CharField(
        max_length=16, choices=Feedback.choices, default=Feedback.AFTER_SUBMIT
    )
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    # Late work: after closes_at students may still start and submit for this long; those
    # attempts are marked late and lose late_penalty_percent of their score.
    late_minutes = models.PositiveIntegerField(
        default=0, help_text="Minutes after closing that late attempts are still taken (0: none)."
    )
    late_penalty_percent = models.PositiveSmallIntegerField(
        default=0, help_text="Share of the score a late attempt loses (0 to 100)."
    )
    questions = models.ManyToManyField(Question, through="QuizItem", related_name="quizzes")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["course", "-created_at", "-id"]
        verbose_name_plural = "quizzes"

    def __str__(self) -> str:
        return self.title


class QuizItem(models.Model):
    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="quiz_items")
    position = models.PositiveIntegerField()
    points = models.DecimalField(max_digits=6, decimal_places=2, default=1)

    class Meta:
        ordering = ["quiz", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["quiz", "question"], name="quiz_item_once")]

    def __str__(self) -> str:
        return f"{self.quiz_id}#{self.position}: question {self.question_id}"


class Accommodation(models.Model):
    """What a student is allowed beyond a quiz's settings (set by teachers and admins): extra time
    on timed attempts and extra attempts. Copied onto each attempt when it starts, so a later
    change never moves a running attempt's deadline."""

    student = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="accommodation"
    )
    extra_time_percent = models.PositiveSmallIntegerField(
        default=0, help_text="Added to every time limit, e.g. 50 for time and a half."
    )
    extra_attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Added to every quiz's attempts allowed."
    )
    note = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"accommodation for {self.student_id}: +{self.extra_time_percent}% time"


class Attempt(models.Model):
    """One student's attempt at a quiz. It pins the question versions it showed.

    The server owns the clock: ``deadline`` is fixed when the attempt starts (time limit plus the
    student's extra time, never past the quiz's closing time plus its late window); no answer is
    taken after it, and an attempt still open past it is submitted by the server."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"

    class SubmitReason(models.TextChoices):
        STUDENT = "student", "Submitted by the student"
        DEADLINE = "deadline", "Time ran out"

    quiz = models.ForeignKey(Quiz, on_delete=models.CASCADE, related_name="attempts")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    number = models.PositiveSmallIntegerField(default=1)
    state = models.CharField(max_length=16, choices=State.choices, default=State.IN_PROGRESS)
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField(null=True, blank=True, help_text="Empty: no time limit.")
    extra_time_percent = models.PositiveSmallIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submit_reason = models.CharField(max_length=16, choices=SubmitReason.choices, blank=True)
    is_late = models.BooleanField(default=False)
    # score: the points earned after any late penalty; max_score: the points on offer.
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["quiz", "student", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["quiz", "student", "number"], name="attempt_number_once"
            ),
            # Two tabs pressing "start" at once still make one running attempt.
            models.UniqueConstraint(
                fields=["quiz", "student"],
                condition=models.Q(state="in_progress"),
                name="attempt_one_in_progress",
            ),
        ]
        indexes = [
            models.Index(
                name="attempt_open_deadline_idx",
                fields=["deadline"],
                condition=models.Q(state="in_progress"),
            ),
            models.Index(name="attempt_student_idx", fields=["student", "quiz"]),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.student_id} at quiz {self.quiz_id}"

    @property
    def percent(self) -> float | None:
        if self.score is None or not self.max_score:
            return None
        return round(100 * self.score / self.max_score, 1)


class AttemptQuestion(models.Model):
    """A question as one attempt showed it: the version, its place and its option order; the
    student's answer and grade once given."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="questions")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(
        QuestionVersion, on_delete=models.PROTECT, related_name="attempt_questions"
    )
    position = models.PositiveIntegerField()
    option_order = models.JSONField(default=list, blank=True)
    points = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    response = models.JSONField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)  # 0..1 of the points
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "question"], name="attempt_question_once")
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id}#{self.position}: v{self.version_id}"


class Mastery(models.Model):
    """How well a student does in a course, overall and per topic and objective (question tags):
    the share of points earned on the latest graded answer to each question. Recomputed from
    the answers after each graded answer (quizzes.progress), so it is never out of step."""

    class Dimension(models.TextChoices):
        COURSE = "course", "Course"
        TOPIC = "topic", "Topic"
        OBJECTIVE = "objective", "Objective"

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mastery"
    )
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="mastery")
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    tag = models.CharField(max_length=300, blank=True, help_text="Empty for the course overall.")
    earned = models.FloatField(default=0)
    possible = models.FloatField(default=0)
    questions_answered = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["student", "course", "dimension", "tag"]
        verbose_name_plural = "mastery"
        constraints = [
            models.UniqueConstraint(
                fields=["student", "course", "dimension", "tag"], name="mastery_once"
            )
        ]
        indexes = [models.Index(name="mastery_course_idx", fields=["course", "dimension", "tag"])]

    def __str__(self) -> str:
        return f"{self.student_id} {self.course_id} {self.dimension}:{self.tag}"

    @property
    def percent(self) -> float | None:
        return round(100 * self.earned / self.possible, 1) if self.possible else None
