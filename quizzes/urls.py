"""Question bank, generation and quiz pages, under /courses/<course_id>/ (smartedu.urls_tenant)."""

from django.urls import path

from .views import attempts, bank, generation, live, progress, quizzes

app_name = "quizzes"

urlpatterns = [
    path("dashboard/", progress.class_dashboard, name="dashboard"),
    path("dashboard/quizzes/<int:quiz_id>/", progress.class_dashboard, name="quiz_statistics"),
    path("questions/", bank.bank, name="bank"),
    path("questions/generate/", generation.generate, name="generate"),
    path("questions/bulk/", bank.questions_bulk, name="bulk"),
    path("questions/import/", bank.questions_import, name="import"),
    path("questions/jobs/<int:job_id>/", generation.job_detail, name="job"),
    path("questions/jobs/<int:job_id>/panel/", generation.job_panel, name="job_panel"),
    path("questions/<int:question_id>/", bank.question_card, name="question"),
    path("questions/<int:question_id>/edit/", bank.question_edit, name="question_edit"),
    path("questions/<int:question_id>/accept/", bank.question_accept, name="question_accept"),
    path("questions/<int:question_id>/reject/", bank.question_reject, name="question_reject"),
    path(
        "questions/<int:question_id>/regenerate/",
        bank.question_regenerate,
        name="question_regenerate",
    ),
    path("quizzes/", quizzes.quiz_list, name="quizzes"),
    path("quizzes/<int:quiz_id>/", quizzes.quiz_detail, name="quiz"),
    path(
        "quizzes/<int:quiz_id>/items/<int:question_id>/move/",
        quizzes.quiz_item_move,
        name="quiz_item_move",
    ),
    path(
        "quizzes/<int:quiz_id>/items/<int:question_id>/remove/",
        quizzes.quiz_item_remove,
        name="quiz_item_remove",
    ),
    path("quizzes/<int:quiz_id>/publish/", quizzes.quiz_publish, name="quiz_publish"),
    path("quizzes/<int:quiz_id>/unpublish/", quizzes.quiz_unpublish, name="quiz_unpublish"),
    path("quizzes/<int:quiz_id>/export/<str:fmt>/", quizzes.quiz_export, name="quiz_export"),
    path("quizzes/<int:quiz_id>/live/", live.live_start, name="live_start"),
    path("quizzes/<int:quiz_id>/live/<int:session_id>/", live.live_host, name="live_host"),
    path(
        "quizzes/<int:quiz_id>/live/<int:session_id>/<slug:action>/",
        live.live_control,
        name="live_control",
    ),
    path("quizzes/<int:quiz_id>/take/", attempts.quiz_take, name="take"),
    path("attempts/<int:attempt_id>/", attempts.attempt_review, name="attempt"),
    path("accommodations/", attempts.accommodations, name="accommodations"),
]
