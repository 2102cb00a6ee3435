"""GenerationJob moved from ai to quizzes in Django's model state only (its table kept its name),
so a backup taken before the move restores: its tables are the same, and the two state-only
migrations it lacks do not make it another release's."""

import io
import json
import tarfile

import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from quizzes.generation.cursor import GenerationCursor
from quizzes.models import GenerationJob
from tenants.backups.schema import STATE_ONLY_MIGRATIONS

from ..ai.conftest import course_with_people
from .test_backups import media, schools_made  # noqa: F401 (fixtures)

CURSOR = {"plan": [3, 1], "used": [3], "made": {"single": 1}, "evidence": ["A sentence."]}


def as_before_the_move(archive, target) -> None:
    """``archive`` as the release before the move wrote it: without the state-only migrations,
    and with the job's content type under ai."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isfile() else b""
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["migrations"] = [
                    m for m in manifest["migrations"] if tuple(m) not in STATE_ONLY_MIGRATIONS
                ]
                data = json.dumps(manifest).encode()
            elif member.name == "tables/django_content_type.csv":
                data = data.replace(b",quizzes,generationjob", b",ai,generationjob")
            member.size = len(data)
            out.addfile(member, io.BytesIO(data) if member.isfile() else None)


@pytest.mark.live
def test_a_backup_from_before_generationjob_moved_restores_with_its_jobs(
    schools_made,  # noqa: F811
    media,  # noqa: F811
    tmp_path,
):
    make, made = schools_made
    school = make()
    course = course_with_people(school)
    with schema_context(school.schema):
        job = GenerationJob.objects.create(course=course, count=3, kinds=["single"], cursor=CURSOR)
    archive = tmp_path / "school.tar.gz"
    call_command("backup_school", school.schema, output=str(archive), verbosity=0)
    old = tmp_path / "before-the-move.tar.gz"
    as_before_the_move(archive, old)

    copy = f"{school.schema}m"
    made.append(copy)
    call_command("restore_school", str(old), slug=copy, verbosity=0)

    with schema_context(copy):
        restored = GenerationJob.objects.get(pk=job.pk)
        assert restored.course_id == course.pk
        assert GenerationCursor.from_json(restored.cursor).to_json() == CURSOR
