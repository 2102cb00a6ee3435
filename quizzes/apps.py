from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"

    def ready(self) -> None:
        from smartedu.progress import progress_topic_register
        from tenants.signals import demo_school_seed

        from .demo import demo_quiz_seed
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

        demo_school_seed.connect(demo_quiz_seed, dispatch_uid="quizzes.demo_quiz_seed")
        # A generation job's progress: the teachers of its course and the school's admins.
        progress_topic_register("generation", _can_watch_generation_job)


def _can_watch_generation_job(user, key: str) -> bool:
    from courses.selectors import can_manage_course

    from .models import GenerationJob

    if not key.isdigit():
        return False
    job = GenerationJob.objects.select_related("course").filter(pk=int(key)).first()
    return job is not None and can_manage_course(user, job.course)
