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

        def job_course_manager(user, key: str) -> bool:
            from courses.selectors import can_manage_course

            from .models import GenerationJob

            if not key.isdigit():
                return False
            job = GenerationJob.objects.select_related("course").filter(pk=int(key)).first()
            return job is not None and can_manage_course(user, job.course)

        progress_topic_register("material", course_manager)
        # A generation job's progress: the teachers of its course and the school's admins.
        progress_topic_register("generation", job_course_manager)
