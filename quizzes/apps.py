from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"

    def ready(self) -> None:
        from smartedu.progress import progress_topic_register

        from .progress.access import can_watch_course, can_watch_school, can_watch_student

        # A student's own mastery page, and a course's class dashboard (its teachers, admins).
        progress_topic_register("student-progress", can_watch_student)
        progress_topic_register("course-progress", can_watch_course)
        # The school overview (its admins): which course and quiz just had an attempt submitted.
        progress_topic_register("school-overview", can_watch_school)
        # Registers this app's tasks with Celery in every process, not only in workers: a task
        # the services enqueue by name then runs through its registered options, and in-process
        # where tasks run eagerly (CELERY_TASK_ALWAYS_EAGER, the tests) instead of on the broker.
        from . import tasks  # noqa: F401
