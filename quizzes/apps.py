from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"

    def ready(self) -> None:
        from smartedu.progress import progress_topic_register
        from tenants.signals import demo_school_seed

        from .demo import demo_quiz_seed
        from .progress import can_watch_course, can_watch_school, can_watch_student

        # A student's own mastery page, and a course's class dashboard (its teachers, admins).
        progress_topic_register("student-progress", can_watch_student)
        progress_topic_register("course-progress", can_watch_course)
        # The school overview (its admins): which course and quiz just had an attempt submitted.
        progress_topic_register("school-overview", can_watch_school)
        demo_school_seed.connect(demo_quiz_seed, dispatch_uid="quizzes.demo_quiz_seed")
