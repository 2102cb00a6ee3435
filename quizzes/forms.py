"""Forms of the question-bank and quiz pages. They only shape input: what a question or a quiz
may be is decided by quizzes.content and quizzes.services (and, for generation, by
quizzes.generation.lifecycle), whose ValidationErrors ``add_service_errors`` puts back on the
form."""

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from quizzes.models import GenerationJob

from .content import MAX_OPTIONS
from .models import Difficulty, Question, Quiz
from .services import ATTEMPTS_MAX, LATE_MAX_MINUTES, QUIZ_SETTING_FIELDS, TIME_LIMIT_MAX_MINUTES

CHOICE_KINDS = (Question.Kind.SINGLE, Question.Kind.MULTIPLE)
TEXT_KINDS = (Question.Kind.SHORT_ANSWER, Question.Kind.FILL_BLANK)
OBJECTIVES_MAX = 10
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def add_service_errors(form: forms.Form, exc: ValidationError, *, aliases=None) -> None:
    """Attach a service's ValidationError to the form: an error about a field the form has goes
    to that field (``aliases`` maps service names to form names), the rest to the form."""
    aliases = aliases or {}
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = aliases.get(name, name)
            form.add_error(target if target in form.fields else None, errors)
        return
    form.add_error(None, exc.error_list)


class MaterialChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.title


class GenerateForm(forms.Form):
    materials = MaterialChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Materials",
        help_text="Choose none to draw on all of the course's ready material.",
    )
    count = forms.IntegerField(
        label="Number of questions",
        initial=10,
        min_value=1,
        max_value=settings.GENERATION_MAX_QUESTIONS,
        help_text=f"1 to {settings.GENERATION_MAX_QUESTIONS} per request.",
    )
    kinds = forms.MultipleChoiceField(
        label="Question types",
        choices=Question.Kind.choices,
        initial=[Question.Kind.SINGLE, Question.Kind.TRUE_FALSE],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one question type."},
        help_text="The questions are spread evenly over the types you choose.",
    )
    difficulty = forms.ChoiceField(
        choices=GenerationJob.Difficulty.choices, initial=GenerationJob.Difficulty.MEDIUM
    )
    topic = forms.CharField(
        max_length=300,
        required=False,
        help_text="Steer the questions to this topic (e.g. “cell respiration”).",
    )
    objectives = forms.CharField(
        label="Learning objectives",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=f"One per line, at most {OBJECTIVES_MAX}; questions are tagged with them.",
    )

    def __init__(self, *args, materials=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["materials"]
        assert isinstance(field, MaterialChoiceField)
        field.queryset = materials

    def clean_objectives(self) -> list[str]:
        lines = [" ".join(line.split()) for line in self.cleaned_data["objectives"].splitlines()]
        objectives = [line for line in lines if line]
        if len(objectives) > OBJECTIVES_MAX:
            raise ValidationError(f"At most {OBJECTIVES_MAX} learning objectives.")
        return objectives


class QuestionEditForm(forms.Form):
    """A question's wording, key and tags, shaped by its kind. Each card's form has its own
    prefix (``q<id>``) so several can be open on one page."""

    stem = forms.CharField(label="Question", widget=forms.Textarea(attrs={"rows": 3}))
    explanation = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to students with the feedback.",
    )
    topic = forms.CharField(max_length=200, required=False)
    objective = forms.CharField(label="Learning objective", max_length=300, required=False)
    difficulty = forms.ChoiceField(choices=Difficulty.choices)

    def __init__(self, question: Question, data=None) -> None:
        self.question = question
        self.kind = question.kind
        version = question.current
        initial = {
            "stem": version.stem,
            "explanation": version.explanation,
            "topic": question.topic,
            "objective": question.objective,
            "difficulty": question.difficulty,
        }
        options = list(version.options or [])
        answer = dict(version.answer or {})
        prefix = f"q{question.pk}"
        self.option_slots = 0
        if self.kind in CHOICE_KINDS:
            posted = 0
            if data is not None:
                while f"{prefix}-option_{posted}" in data and posted < MAX_OPTIONS:
                    posted += 1
            self.option_slots = min(MAX_OPTIONS, max(len(options) + 1, 4, posted))
        super().__init__(data, initial=initial, prefix=prefix)
        if self.kind in CHOICE_KINDS:
            for i in range(self.option_slots):
                option = options[i] if i < len(options) else {}
                letter = "abcdefgh"[i]
                self.fields[f"option_{i}"] = forms.CharField(
                    label=f"Option {letter}",
                    required=False,
                    initial=option.get("text", ""),
                    widget=forms.TextInput(attrs={"placeholder": f"Option {letter}"}),
                )
                self.fields[f"correct_{i}"] = forms.BooleanField(
                    label=f"Option {letter} is correct",
                    required=False,
                    initial=bool(option.get("correct")),
                )
                self.fields[f"feedback_{i}"] = forms.CharField(
                    label=f"Feedback for option {letter}",
                    required=False,
                    initial=option.get("feedback", ""),
                    widget=forms.TextInput(attrs={"placeholder": "Feedback (optional)"}),
                )
        elif self.kind == Question.Kind.TRUE_FALSE:
            key = next((o["id"] for o in options if o.get("correct")), "true")
            self.fields["correct_answer"] = forms.ChoiceField(
                label="The statement is",
                choices=[("true", "True"), ("false", "False")],
                widget=forms.RadioSelect,
                initial=key,
            )
        elif self.kind in TEXT_KINDS:
            self.fields["accepted"] = forms.CharField(
                label="Accepted answers",
                widget=forms.Textarea(attrs={"rows": 2}),
                initial="\n".join(answer.get("accepted", [])),
                help_text="One per line. Case, spacing, end punctuation and a leading "
                "“the”/“a” do not matter.",
            )
            self.fields["case_sensitive"] = forms.BooleanField(
                label="Case matters", required=False, initial=answer.get("case_sensitive")
            )
        else:
            self.fields["value"] = forms.CharField(
                label="Correct value", initial=number_text(answer.get("value"))
            )
            self.fields["tolerance"] = forms.CharField(
                label="Tolerance (±)",
                required=False,
                initial=number_text(answer.get("tolerance")),
                help_text="Answers within this distance of the value count as right.",
            )
            self.fields["unit"] = forms.CharField(
                label="Unit", required=False, max_length=40, initial=answer.get("unit", "")
            )

    @property
    def option_rows(self) -> list[tuple]:
        return [
            (self[f"option_{i}"], self[f"correct_{i}"], self[f"feedback_{i}"])
            for i in range(self.option_slots)
        ]

    def content(self) -> dict:
        """What to hand to quizzes.services.question_update (after ``is_valid``)."""
        data = self.cleaned_data
        values = {
            "stem": data["stem"],
            "explanation": data["explanation"],
            "topic": data["topic"],
            "objective": data["objective"],
            "difficulty": data["difficulty"],
        }
        if self.kind in CHOICE_KINDS:
            values["options"] = [
                {
                    "text": data[f"option_{i}"],
                    "correct": data[f"correct_{i}"],
                    "feedback": data[f"feedback_{i}"],
                }
                for i in range(self.option_slots)
                if data[f"option_{i}"].strip()
            ]
        elif self.kind == Question.Kind.TRUE_FALSE:
            values["options"] = [
                {"id": key, "correct": data["correct_answer"] == key} for key in ("true", "false")
            ]
        elif self.kind in TEXT_KINDS:
            values["answer"] = {
                "accepted": [line for line in data["accepted"].splitlines() if line.strip()],
                "case_sensitive": data["case_sensitive"],
            }
        else:
            values["answer"] = {
                "value": data["value"],
                "tolerance": data["tolerance"] or 0,
                "unit": data["unit"],
            }
        return values


def number_text(value) -> str:
    if value is None:
        return ""
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


class RejectForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=300, required=False)


class QuizCreateForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)


class QuizSettingsForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown to students before they start.",
    )
    time_limit_minutes = forms.IntegerField(
        label="Time limit (minutes)",
        required=False,
        widget=forms.NumberInput(attrs={"min": 1, "max": TIME_LIMIT_MAX_MINUTES}),
        help_text="Empty: no time limit.",
    )
    attempts_allowed = forms.IntegerField(
        label="Attempts allowed",
        widget=forms.NumberInput(attrs={"min": 0, "max": ATTEMPTS_MAX}),
        help_text="0: unlimited.",
    )
    shuffle_questions = forms.BooleanField(label="Shuffle the questions", required=False)
    shuffle_options = forms.BooleanField(label="Shuffle the options", required=False)
    show_feedback = forms.ChoiceField(label="Show feedback", choices=Quiz.Feedback.choices)
    opens_at = forms.DateTimeField(
        label="Opens",
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text="Empty: open as soon as it is published. Times are UTC.",
    )
    closes_at = forms.DateTimeField(
        label="Closes",
        required=False,
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT),
        help_text="Empty: never closes.",
    )
    # Ranges are checked by quizzes.services (one message for the web and the API); empty is 0.
    late_minutes = forms.IntegerField(
        label="Late work (minutes after closing)",
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": LATE_MAX_MINUTES}),
        help_text="Students may still start and submit for this long after the quiz closes. "
        "0: no late work.",
    )
    late_penalty_percent = forms.IntegerField(
        label="Late penalty (%)",
        required=False,
        widget=forms.NumberInput(attrs={"min": 0, "max": 100}),
        help_text="Taken off the score of an attempt submitted after closing.",
    )

    @classmethod
    def for_quiz(cls, quiz: Quiz, data=None) -> "QuizSettingsForm":
        initial = {name: getattr(quiz, name) for name in QUIZ_SETTING_FIELDS}
        return cls(data, initial=initial)

    def clean_late_minutes(self) -> int:
        return self.cleaned_data["late_minutes"] or 0

    def clean_late_penalty_percent(self) -> int:
        return self.cleaned_data["late_penalty_percent"] or 0


class AccommodationForm(forms.Form):
    """One student's accommodation (quizzes.accommodations.accommodation_set checks ranges)."""

    student = forms.TypedChoiceField(
        label="Student",
        coerce=int,
        error_messages={"required": "Choose a student.", "invalid_choice": "Choose a student."},
    )
    extra_time_percent = forms.IntegerField(
        label="Extra time (%)",
        widget=forms.NumberInput(attrs={"min": 0, "max": 400}),
        help_text="Added to every time limit: 50 gives time and a half. 0 to 400.",
        error_messages={"required": "Type 0 for no extra time."},
    )
    extra_attempts = forms.IntegerField(
        label="Extra attempts",
        widget=forms.NumberInput(attrs={"min": 0, "max": 20}),
        help_text="Added to every quiz that limits attempts. 0 to 20.",
        error_messages={"required": "Type 0 for no extra attempts."},
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=300,
        help_text="Why, for the other teachers (students do not see it). At most 300 characters.",
    )

    def __init__(self, *args, students=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["student"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "Choose a student")] + [
            (s.pk, f"{s.display_name} ({s.username})") for s in students
        ]


class ImportForm(forms.Form):
    format = forms.ChoiceField(
        label="Format",
        choices=[("moodle", "Moodle XML"), ("gift", "GIFT")],
    )
    file = forms.FileField(
        label="File",
        help_text=f"At most {settings.QUIZ_IMPORT_MAX_BYTES // (1024 * 1024)} MB. Imported "
        "questions join the bank as drafts, for you to review.",
    )

    def clean_file(self):
        # Checked before the file is read: an upload far over the limit never reaches memory.
        upload = self.cleaned_data["file"]
        limit = settings.QUIZ_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"“{upload.name}” is {upload.size:,} bytes; files can be at most {limit:,} bytes."
            )
        return upload
