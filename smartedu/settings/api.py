"""Django REST framework and the OpenAPI schema."""

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.api_auth.SchoolAPIKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["smartedu.api.permissions.IsSchoolStaffOrScopedKey"],
    "DEFAULT_PAGINATION_CLASS": "smartedu.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "smartedu.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_VERSIONING_CLASS": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "SmartEdu API",
    "DESCRIPTION": (
        "The partner API of a SmartEdu school. Call it on the school's own host "
        "(`https://<school>.<domain>/api/v1/`) with an API key created by the school's admin: "
        "`Authorization: Api-Key <key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "smartedu.api.docs.error_codes_hook",
    ],
    # Two different choice sets are both called "role"; name them so neither is "Role*Enum".
    "ENUM_NAME_OVERRIDES": {
        "UserRoleEnum": "accounts.models.User.Role",
        "CourseRoleEnum": "courses.models.Enrollment.Role",
        "MaterialStateEnum": "courses.models.Material.State",
        "MaterialKindEnum": "courses.models.Material.Kind",
        "TutorTurnStateEnum": "ai.models.TutorTurn.State",
        "QuestionKindEnum": "quizzes.models.Question.Kind",
        "QuestionStatusEnum": "quizzes.models.Question.Status",
        "QuestionDifficultyEnum": "quizzes.models.Difficulty",
        "QuizStateEnum": "quizzes.models.Quiz.State",
        "GenerationJobStateEnum": "quizzes.models.GenerationJob.State",
        "GenerationDifficultyEnum": "quizzes.models.GenerationJob.Difficulty",
    },
}

# Swagger UI assets are served from our own static files (no CDN: schools' networks block them).
SPECTACULAR_SETTINGS.update(
    {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"}
)
