from django.urls import path

from . import views

urlpatterns = [
    # generation
    path(
        "courses/<int:course_id>/generation-jobs/",
        views.CourseGenerationJobListApi.as_view(),
        name="api-course-generation-jobs",
    ),
    path(
        "generation-jobs/<int:job_id>/",
        views.GenerationJobDetailApi.as_view(),
        name="api-generation-job",
    ),
    path(
        "generation-jobs/<int:job_id>/questions/",
        views.GenerationJobQuestionListApi.as_view(),
        name="api-generation-job-questions",
    ),
    # the bank
    path(
        "courses/<int:course_id>/questions/",
        views.CourseQuestionListApi.as_view(),
        name="api-course-questions",
    ),
    path(
        "courses/<int:course_id>/questions/bulk-accept/",
        views.CourseQuestionBulkAcceptApi.as_view(),
        name="api-course-questions-bulk-accept",
    ),
    path(
        "courses/<int:course_id>/questions/import/",
        views.CourseQuestionImportApi.as_view(),
        name="api-course-questions-import",
    ),
    path("questions/<int:question_id>/", views.QuestionDetailApi.as_view(), name="api-question"),
    path(
        "questions/<int:question_id>/accept/",
        views.QuestionAcceptApi.as_view(),
        name="api-question-accept",
    ),
    path(
        "questions/<int:question_id>/reject/",
        views.QuestionRejectApi.as_view(),
        name="api-question-reject",
    ),
    path(
        "questions/<int:question_id>/regenerate/",
        views.QuestionRegenerateApi.as_view(),
        name="api-question-regenerate",
    ),
    path(
        "questions/<int:question_id>/versions/",
        views.QuestionVersionListApi.as_view(),
        name="api-question-versions",
    ),
    # quizzes
    path(
        "courses/<int:course_id>/quizzes/",
        views.CourseQuizListApi.as_view(),
        name="api-course-quizzes",
    ),
    path("quizzes/<int:quiz_id>/", views.QuizDetailApi.as_view(), name="api-quiz"),
    path(
        "quizzes/<int:quiz_id>/questions/",
        views.QuizQuestionListApi.as_view(),
        name="api-quiz-questions",
    ),
    path(
        "quizzes/<int:quiz_id>/questions/order/",
        views.QuizQuestionOrderApi.as_view(),
        name="api-quiz-questions-order",
    ),
    path(
        "quizzes/<int:quiz_id>/questions/<int:question_id>/",
        views.QuizQuestionDetailApi.as_view(),
        name="api-quiz-question",
    ),
    path("quizzes/<int:quiz_id>/publish/", views.QuizPublishApi.as_view(), name="api-quiz-publish"),
    path(
        "quizzes/<int:quiz_id>/unpublish/",
        views.QuizUnpublishApi.as_view(),
        name="api-quiz-unpublish",
    ),
    # exchange
    path("quizzes/<int:quiz_id>/export/", views.QuizExportApi.as_view(), name="api-quiz-export"),
    path(
        "quizzes/<int:quiz_id>/export/warnings/",
        views.QuizExportWarningsApi.as_view(),
        name="api-quiz-export-warnings",
    ),
    # attempts, results and progress
    path(
        "quizzes/<int:quiz_id>/attempts/",
        views.QuizAttemptListApi.as_view(),
        name="api-quiz-attempts",
    ),
    path("attempts/<int:attempt_id>/", views.AttemptDetailApi.as_view(), name="api-attempt"),
    path(
        "attempts/<int:attempt_id>/answers/<int:position>/",
        views.AttemptAnswerApi.as_view(),
        name="api-attempt-answer",
    ),
    path(
        "attempts/<int:attempt_id>/submit/",
        views.AttemptSubmitApi.as_view(),
        name="api-attempt-submit",
    ),
    path(
        "courses/<int:course_id>/attempts/",
        views.CourseAttemptListApi.as_view(),
        name="api-course-attempts",
    ),
    path(
        "students/<int:user_id>/attempts/",
        views.StudentAttemptListApi.as_view(),
        name="api-student-attempts",
    ),
    path(
        "courses/<int:course_id>/progress/",
        views.CourseProgressApi.as_view(),
        name="api-course-progress",
    ),
    path(
        "students/<int:user_id>/progress/",
        views.StudentProgressApi.as_view(),
        name="api-student-progress",
    ),
    path(
        "quizzes/<int:quiz_id>/statistics/",
        views.QuizStatisticsApi.as_view(),
        name="api-quiz-statistics",
    ),
    path(
        "users/<int:user_id>/accommodation/",
        views.UserAccommodationApi.as_view(),
        name="api-user-accommodation",
    ),
]
