from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"
    verbose_name = "AI"

    def ready(self) -> None:
        from smartedu.progress import progress_topic_register

        def course_manager(user, key: str) -> bool:
            from courses.models import Material
            from courses.selectors import can_manage_course

            material = Material.objects.select_related("course").filter(pk=key).first()
            return material is not None and can_manage_course(user, material.course)

        progress_topic_register("material", course_manager)
