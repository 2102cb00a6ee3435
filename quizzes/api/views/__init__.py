"""The quiz generation, question bank, quiz and exchange API for partner systems (and signed-in
people).

Who may do what follows the web pages, through the same helpers (``courses.access`` and
``quizzes.access``): the bank, generation jobs and exports hold answer keys, so only the people
who run a course (its teachers, the school's admins, API keys) reach them; a student gets 403
on a course they take and 404 on any other.
Students read the published quizzes of their courses, without keys. Every role passes the
permission class (which still stops read-only keys from writing) so that the access helpers,
not the role, decide between 403 and 404."""

from .attempts import (
    AttemptAnswerApi,
    AttemptDetailApi,
    AttemptSubmitApi,
    CourseAttemptListApi,
    QuizAttemptListApi,
    StudentAttemptListApi,
    UserAccommodationApi,
)
from .bank import (
    CourseQuestionBulkAcceptApi,
    CourseQuestionListApi,
    QuestionAcceptApi,
    QuestionDetailApi,
    QuestionRegenerateApi,
    QuestionRejectApi,
    QuestionVersionListApi,
)
from .common import (
    BANK_TAGS,
    EVERYONE,
    EXCHANGE_TAGS,
    GENERATION_TAGS,
    MANAGER_ONLY,
    QUIZ_TAGS,
    QUOTA_EXCEEDED,
)
from .exchange import (
    EXPORT_WARNING_COUNT_HEADER,
    EXPORT_WARNINGS_HEADER,
    EXPORT_WARNINGS_HEADER_MAX_BYTES,
    CourseQuestionImportApi,
    ExchangeFormatNegotiation,
    QuizExportApi,
    QuizExportWarningsApi,
    warnings_header,
)
from .generation import (
    CourseGenerationJobListApi,
    GenerationJobDetailApi,
    GenerationJobQuestionListApi,
)
from .progress import CourseProgressApi, QuizStatisticsApi, StudentProgressApi
from .quizzes import (
    QUIZ_FOR_CALLER,
    CourseQuizListApi,
    QuizDetailApi,
    QuizPublishApi,
    QuizQuestionDetailApi,
    QuizQuestionListApi,
    QuizQuestionOrderApi,
    QuizUnpublishApi,
)

__all__ = [
    "GENERATION_TAGS",
    "BANK_TAGS",
    "QUIZ_TAGS",
    "EXCHANGE_TAGS",
    "EVERYONE",
    "MANAGER_ONLY",
    "QUOTA_EXCEEDED",
    "CourseGenerationJobListApi",
    "GenerationJobDetailApi",
    "GenerationJobQuestionListApi",
    "CourseQuestionListApi",
    "QuestionDetailApi",
    "QuestionAcceptApi",
    "QuestionRejectApi",
    "QuestionRegenerateApi",
    "CourseQuestionBulkAcceptApi",
    "QuestionVersionListApi",
    "QUIZ_FOR_CALLER",
    "CourseQuizListApi",
    "QuizDetailApi",
    "QuizQuestionListApi",
    "QuizQuestionDetailApi",
    "QuizQuestionOrderApi",
    "QuizPublishApi",
    "QuizUnpublishApi",
    "EXPORT_WARNINGS_HEADER",
    "EXPORT_WARNING_COUNT_HEADER",
    "EXPORT_WARNINGS_HEADER_MAX_BYTES",
    "ExchangeFormatNegotiation",
    "warnings_header",
    "QuizExportApi",
    "QuizExportWarningsApi",
    "CourseQuestionImportApi",
    "QuizAttemptListApi",
    "AttemptDetailApi",
    "AttemptAnswerApi",
    "AttemptSubmitApi",
    "CourseAttemptListApi",
    "StudentAttemptListApi",
    "UserAccommodationApi",
    "CourseProgressApi",
    "StudentProgressApi",
    "QuizStatisticsApi",
]
