"""A school's backup restores whole (every row, every file), beside the original under a new
name or in place of an erased one; an export gives the school all of its data; erasure leaves
nothing of it behind; and none of these ever carries another school's data."""

import io
import json
import tarfile
import uuid
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from ai.retrieval import chunk_search
from quizzes import services as quiz_services
from quizzes.attempts.selectors import attempt_questions
from quizzes.attempts.services import answer_save, attempt_start, attempt_submit
from tenants import ai_providers
from tenants.backups.schema import file_columns, schema_tables
from tenants.backups.storage import stored_files
from tenants.models import AIModelUsage, AIUsage, School
from tenants.services import api_key_create

from ..ai.conftest import course_with_people, ingest_in_process, upload
from ..conftest import PASSWORD, make_school, tasks_run_in_process
from ..quizzes.conftest import VALID

NOTES = (
    "# Photosynthesis\n\nChlorophyll in the chloroplast captures light. The plant turns carbon "
    "dioxide and water into glucose and oxygen.\n\n# Respiration\n\nMitochondria release the "
    "energy stored in glucose as ATP.\n"
)


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def schools_made(committed):
    """Make committed schools with a distinctive name; whatever a test leaves is erased."""
    from tenants.backups.erase import school_erase

    made: list[str] = []

    def make(prefix: str = "bk"):
        slug = f"{prefix}{uuid.uuid4().hex[:10]}"
        school = make_school(slug, f"Backup Test {slug}")
        connection.set_schema_to_public()
        made.append(slug)
        return school

    yield make, made
    connection.set_schema_to_public()
    for slug in made:
        school = School.objects.filter(schema_name=slug).first()
        if school is not None:
            school_erase(school)


def fill(school, tmp_path):
    """Courses, a material with its stored file and embedded chunks, a published quiz, and a
    submitted attempt with answers; public rows: an API key and a month of AI use."""
    course = course_with_people(school)
    notes = tmp_path / "notes.md"
    notes.write_text(NOTES)
    material, _ = upload(school, course, notes)
    material = ingest_in_process(school, material.pk)
    assert material.state == "ready"
    with schema_context(school.schema):
        questions = [
            quiz_services.question_create(
                course=course, kind=kind, created_by=school.teacher, **VALID[kind]
            )
            for kind in ("single", "numeric", "short_answer")
        ]
        quiz = quiz_services.quiz_create(course=course, title="Plants", created_by=school.teacher)
        quiz_services.quiz_questions_add(quiz, [q.pk for q in questions])
        quiz = quiz_services.quiz_publish(quiz)
        attempt = attempt_start(quiz, school.student)
        responses = {
            "single": lambda pinned: {"option": pinned.version.options[0]["id"]},
            "numeric": lambda pinned: {"value": "100"},
            "short_answer": lambda pinned: {"text": "ATP"},
        }
        # The mastery recompute a submission queues runs here and now: a worker running it
        # after the backup would rewrite the original's rows and the copies would differ.
        with tasks_run_in_process():
            for pinned in attempt_questions(attempt):
                answer_save(attempt, pinned, responses[pinned.question.kind](pinned))
            attempt_submit(attempt)
    _key, secret = api_key_create(school=school.model, name="SIS", scope="read")
    AIUsage.objects.create(
        school=school.model, month="2026-11-01", tutor_questions=7, prompt_tokens=1234
    )
    # The school's own AI endpoint (its key never travels), its order and its cost per model.
    own = ai_providers.own_endpoint_save(
        school=school.model,
        name=f"{school.schema} endpoint",
        base_url=f"https://{school.schema}.ai.example/v1",
        model="school-model",
        api_key="sk-school-secret-key",
    )
    ai_providers.order_set(school=school.model, task="tutor", provider_ids=[own.pk, None])
    AIModelUsage.objects.create(
        school=school.model, month="2026-11-01", provider=own.name, model="school-model",
        prompt_tokens=1000, completion_tokens=10, cost=Decimal("0.0105"),
    )  # fmt: skip
    connection.set_schema_to_public()
    return secret


def table_rows(schema: str, *, rename: tuple[str, str] | None = None) -> dict[str, list]:
    """Every row of every table of a schema, as text, in primary-key order; file paths
    rewritten from one school's prefix to another's when ``rename`` is given."""
    files = set(file_columns())
    rows = {}
    with connection.cursor() as cursor:
        for table in schema_tables(schema):
            cursor.execute(f'SELECT to_jsonb(t)::text FROM "{schema}"."{table}" t ORDER BY 1')
            records = [json.loads(record) for (record,) in cursor.fetchall()]
            if rename:
                old, new = f"schools/{rename[0]}/", f"schools/{rename[1]}/"
                for record in records:
                    for t, column in files:
                        if t == table and (record.get(column) or "").startswith(old):
                            record[column] = new + record[column][len(old) :]
            rows[table] = records
    return rows


def file_bytes(schema: str) -> dict[str, bytes]:
    from django.core.files.storage import default_storage

    prefix = f"schools/{schema}/"
    result = {}
    for name in stored_files(schema):
        with default_storage.open(name, "rb") as handle:
            result[name[len(prefix) :]] = handle.read()
    return result


def searches(schema: str, query: str) -> list[str]:
    with schema_context(schema):
        return [hit.text for hit in chunk_search(query, course_ids=None, k=3)]


@pytest.mark.live
def test_a_school_restored_under_a_new_name_holds_every_row_and_file_of_the_original(
    schools_made, media, tmp_path
):
    make, made = schools_made
    school = make()
    secret = fill(school, tmp_path)
    before_rows = table_rows(school.schema)
    before_files = file_bytes(school.schema)
    assert before_files and before_rows["ai_chunk"] and before_rows["quizzes_attemptquestion"]
    assert before_rows["quizzes_mastery"]

    archive = tmp_path / "school.tar.gz"
    call_command("backup_school", school.schema, output=str(archive), verbosity=0)
    copy = f"{school.schema}r"
    made.append(copy)
    call_command("restore_school", str(archive), slug=copy, verbosity=0)

    assert table_rows(copy) == table_rows(school.schema, rename=(school.schema, copy))
    assert file_bytes(copy) == before_files
    # The copy is a working school on its own host...
    restored = School.objects.get(schema_name=copy)
    assert restored.primary_host == f"{copy}.{settings.SMARTEDU_BASE_DOMAIN}"
    assert restored.name == school.model.name
    response = Client(HTTP_HOST=restored.primary_host).post(
        "/accounts/login/", {"username": school.student.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert any("Mitochondria" in text for text in searches(copy, "where is ATP made"))
    assert AIUsage.objects.get(school=restored).prompt_tokens == 1234
    endpoint = ai_providers.own_endpoint(restored)
    assert (endpoint.name, endpoint.model, endpoint.api_key or "") == (
        f"{school.schema} endpoint",
        "school-model",
        "",
    )
    assert ai_providers.chosen_order(restored, "tutor") == [endpoint, None]
    assert AIModelUsage.objects.get(school=restored).cost == Decimal("0.0105")
    # ...and the original's partner key does not open it (a key belongs to one school).
    assert restored.api_keys.count() == 0
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {secret}"}
    assert (
        Client(HTTP_HOST=restored.primary_host, **headers).get("/api/v1/courses/").status_code
        == 401
    )
    assert Client(HTTP_HOST=school.host, **headers).get("/api/v1/courses/").status_code == 200
    # The original is untouched.
    assert table_rows(school.schema) == before_rows


@pytest.mark.live
def test_a_school_erased_then_restored_from_its_backup_comes_back_exactly(
    schools_made, media, tmp_path
):
    """What a fresh instance sees: the school is absent, and the archive brings it back under
    its own name, with its partners' keys."""
    from tenants.backups.erase import school_erase

    make, _made = schools_made
    school = make()
    secret = fill(school, tmp_path)
    before_rows = table_rows(school.schema)
    before_files = file_bytes(school.schema)
    archive = tmp_path / "school.tar.gz"
    call_command("backup_school", school.schema, output=str(archive), verbosity=0)

    school_erase(school.model)
    assert not School.objects.filter(schema_name=school.schema).exists()
    call_command("restore_school", str(archive), verbosity=0)

    assert table_rows(school.schema) == before_rows
    assert file_bytes(school.schema) == before_files
    headers = {"HTTP_AUTHORIZATION": f"Api-Key {secret}"}
    assert Client(HTTP_HOST=school.host, **headers).get("/api/v1/courses/").status_code == 200
    assert school.signs_in(school.teacher.username)


@pytest.mark.live
def test_a_backup_holds_nothing_of_another_school(schools_made, media, tmp_path):
    make, _made = schools_made
    school, other = make(), make()
    fill(school, tmp_path)
    fill(other, tmp_path)
    archive = tmp_path / "school.tar.gz"
    call_command("backup_school", school.schema, output=str(archive), verbosity=0)

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        contents = b"".join(tar.extractfile(m).read() for m in tar.getmembers() if m.isfile())
    files = [n for n in names if n.startswith("files/")]
    assert files and all(n.startswith(f"files/schools/{school.schema}/") for n in files)
    assert other.schema.encode() not in contents
    assert school.schema.encode() in contents


@pytest.mark.live
def test_a_restore_refuses_a_taken_name_and_another_release_and_writes_nothing(
    schools_made, media, tmp_path
):
    make, made = schools_made
    school = make()
    archive = tmp_path / "school.tar.gz"
    call_command("backup_school", school.schema, output=str(archive), verbosity=0)
    schools_before = School.objects.count()

    with pytest.raises(CommandError, match="already exists"):
        call_command("restore_school", str(archive), verbosity=0)

    # The same archive from a release with one more migration.
    tampered = tmp_path / "other-release.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["migrations"].append(["quizzes", "9999_from_the_future"])
                data = json.dumps(manifest).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    made.append("elsewhere")
    with pytest.raises(CommandError, match="another migration state.*9999_from_the_future"):
        call_command("restore_school", str(tampered), slug="elsewhere", verbosity=0)
    assert School.objects.count() == schools_before
    assert not list(stored_files("elsewhere"))


@pytest.mark.live
def test_an_export_holds_every_row_and_file_of_the_school_and_no_password(
    schools_made, media, tmp_path
):
    make, _made = schools_made
    school, other = make(), make()
    fill(school, tmp_path)
    fill(other, tmp_path)
    output = tmp_path / "export.zip"
    call_command("export_school", school.schema, output=str(output), verbosity=0)

    rows = table_rows(school.schema)
    with zipfile.ZipFile(output) as archive:
        exported = {
            name[len("data/") : -len(".json")]: json.loads(archive.read(name))
            for name in archive.namelist()
            if name.startswith("data/") and name != "data/school.json"
        }
        files = {n: archive.read(n) for n in archive.namelist() if n.startswith("files/")}
        everything = b"".join(archive.read(n) for n in archive.namelist())
        assert "README.txt" in archive.namelist()
    assert {table: len(records) for table, records in exported.items()} == {
        table: len(records) for table, records in rows.items()
    }
    assert all("password" not in user for user in exported["accounts_user"])
    assert {n[len("files/") :]: data for n, data in files.items()} == file_bytes(school.schema)
    assert other.schema.encode() not in everything


def residue(needle: str) -> list[str]:
    """Every place in the whole database (all schemas, every text column) holding ``needle``,
    and every schema named after it."""
    found = []
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", [f"%{needle}%"])
        found += [f"schema {name}" for (name,) in cursor.fetchall()]
        cursor.execute(
            "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
            "AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE' "
            "WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') "
            "AND c.data_type IN ('text', 'character varying', 'json', 'jsonb')"
        )
        for schema, table, column in cursor.fetchall():
            cursor.execute(
                f'SELECT count(*) FROM "{schema}"."{table}" WHERE "{column}"::text LIKE %s',
                [f"%{needle}%"],
            )
            if cursor.fetchone()[0]:
                found.append(f"{schema}.{table}.{column}")
    return found


@pytest.mark.live
def test_an_erased_school_leaves_nothing_behind_and_the_others_keep_everything(
    schools_made, media, tmp_path
):
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    make, _made = schools_made
    school, other = make(), make()
    fill(school, tmp_path)
    fill(other, tmp_path)
    with schema_context(school.schema):
        cache.set("dashboard", {"school": school.model.name})
    # The platform admin's history names the school too.
    from accounts.models import User

    operator, _ = User.objects.get_or_create(username="platform-operator", is_superuser=True)
    LogEntry.objects.create(
        user=operator,
        content_type=ContentType.objects.get_for_model(School),
        object_id=str(school.model.pk),
        object_repr=str(school.model),
        action_flag=CHANGE,
        change_message="Plan changed",
    )
    other_rows = table_rows(other.schema)
    other_files = file_bytes(other.schema)
    assert residue(school.schema)

    call_command("erase_school", school.schema, confirm=school.schema, verbosity=0)

    assert residue(school.schema) == []
    assert residue(school.model.name) == []
    assert not (media / "schools" / school.schema).exists()
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert list(client.scan_iter(match=f"*{school.schema}*")) == []
    client.close()
    assert table_rows(other.schema) == other_rows
    assert file_bytes(other.schema) == other_files
    assert other.signs_in(other.student.username)


def test_backup_commands_name_what_is_wrong_with_their_input(committed, tmp_path):
    with pytest.raises(CommandError, match="No school 'nosuchschool'"):
        call_command("backup_school", "nosuchschool", output=str(tmp_path / "b.tar.gz"))
    with pytest.raises(CommandError, match="No school 'school_template'"):
        call_command("export_school", "school_template", output=str(tmp_path / "e.zip"))
    not_a_backup = tmp_path / "notes.tar.gz"
    not_a_backup.write_text("these are my notes")
    schools_before = School.objects.count()
    with pytest.raises(CommandError, match="not a SmartEdu school backup"):
        call_command("restore_school", str(not_a_backup), slug="fromnotes")
    assert School.objects.count() == schools_before


def test_erasing_needs_the_name_twice_and_never_takes_the_template(committed):
    with pytest.raises(CommandError, match="--confirm must repeat"):
        call_command("erase_school", "alpha", confirm="alpah")
    with pytest.raises(CommandError, match="not a school"):
        call_command(
            "erase_school", settings.TENANT_BASE_SCHEMA, confirm=settings.TENANT_BASE_SCHEMA
        )
    assert School.objects.filter(schema_name="alpha").exists()
