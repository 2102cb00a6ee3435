from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"

    def ready(self) -> None:
        from smartedu.progress import progress_topic_register
        from tenants.signals import demo_school_seed

        from .demo import demo_course_seed

        def admin_only(user, key: str) -> bool:
            return getattr(user, "role", None) == "admin"

        progress_topic_register("roster-import", admin_only)
        demo_school_seed.connect(demo_course_seed, dispatch_uid="courses.demo_course_seed")
