"""Explicit input and output shapes of the generation, question bank, quiz and exchange API.

Two audiences read quizzes: the people who run a course (and API keys) see every question with
its key; students see published quizzes through the Student* serializers, which are built
from an allow-list of fields so a key can never slip through by adding a field elsewhere."""

from .accommodations import AccommodationInputSerializer, AccommodationSerializer
from .attempts import (
    AnswerSavedSerializer,
    AttemptAnswerInputSerializer,
    AttemptStateSerializer,
    AttemptSubmittedSerializer,
    ManagedAttemptSerializer,
    StudentRefSerializer,
)
from .bank import (
    KIND_ERRORS,
    AnswerInputSerializer,
    AnswerSerializer,
    BulkAcceptResultSerializer,
    OptionInputSerializer,
    OptionSerializer,
    QuestionCreateInputSerializer,
    QuestionFilterSerializer,
    QuestionIdsInputSerializer,
    QuestionOutputSerializer,
    QuestionRejectInputSerializer,
    QuestionUpdatedSerializer,
    QuestionUpdateInputSerializer,
    QuestionVersionOutputSerializer,
    SourceSerializer,
)
from .exchange import (
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    ExportQuerySerializer,
    ExportWarningsSerializer,
    ImportedQuestionSerializer,
    ImportInputSerializer,
    ImportReportSerializer,
)
from .generation import (
    GenerationJobCreateInputSerializer,
    GenerationJobFilterSerializer,
    GenerationJobOutputSerializer,
)
from .progress import (
    PROGRESS_CSV_COLUMNS,
    CourseProgressFilterSerializer,
    CourseProgressRowSerializer,
    QuizStatisticsSerializer,
    StudentProgressSerializer,
)
from .quizzes import (
    QuizCreateInputSerializer,
    QuizDetailOutputSerializer,
    QuizFilterSerializer,
    QuizItemOutputSerializer,
    QuizOutputSerializer,
    QuizQuestionsAddInputSerializer,
    QuizQuestionsOrderInputSerializer,
    QuizUpdateInputSerializer,
)
from .results import (
    AttemptRowSerializer,
    CourseAttemptFilterSerializer,
    QuizAttemptFilterSerializer,
    StudentAttemptFilterSerializer,
)
from .students import (
    StudentQuizDetailSerializer,
    StudentQuizSerializer,
)

__all__ = [
    "OptionSerializer",
    "AnswerSerializer",
    "OptionInputSerializer",
    "AnswerInputSerializer",
    "SourceSerializer",
    "KIND_ERRORS",
    "QuestionOutputSerializer",
    "QuestionUpdatedSerializer",
    "QuestionVersionOutputSerializer",
    "QuestionFilterSerializer",
    "QuestionCreateInputSerializer",
    "QuestionUpdateInputSerializer",
    "QuestionRejectInputSerializer",
    "QuestionIdsInputSerializer",
    "BulkAcceptResultSerializer",
    "GenerationJobCreateInputSerializer",
    "GenerationJobOutputSerializer",
    "GenerationJobFilterSerializer",
    "QuizCreateInputSerializer",
    "QuizUpdateInputSerializer",
    "QuizQuestionsAddInputSerializer",
    "QuizQuestionsOrderInputSerializer",
    "QuizOutputSerializer",
    "QuizItemOutputSerializer",
    "QuizDetailOutputSerializer",
    "QuizFilterSerializer",
    "StudentQuizSerializer",
    "StudentQuizDetailSerializer",
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "ExportQuerySerializer",
    "ExportWarningsSerializer",
    "ImportInputSerializer",
    "ImportedQuestionSerializer",
    "ImportReportSerializer",
    "AttemptAnswerInputSerializer",
    "AttemptStateSerializer",
    "AttemptSubmittedSerializer",
    "AnswerSavedSerializer",
    "StudentRefSerializer",
    "ManagedAttemptSerializer",
    "AttemptRowSerializer",
    "QuizAttemptFilterSerializer",
    "CourseAttemptFilterSerializer",
    "StudentAttemptFilterSerializer",
    "AccommodationSerializer",
    "AccommodationInputSerializer",
    "CourseProgressFilterSerializer",
    "CourseProgressRowSerializer",
    "StudentProgressSerializer",
    "PROGRESS_CSV_COLUMNS",
    "QuizStatisticsSerializer",
]
