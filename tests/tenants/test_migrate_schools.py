"""migrate_schools: every school reaches the migration graph's target, in parallel; one school
that cannot be migrated is named with its error and stops nobody else; a second run resumes,
migrating only what is left."""

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.schema_migrations import school_schema_names

# A real migration of a tenant app (two columns and an index on ai_generationjob), rolled back
# in some schools to stand for "a release added a migration".
APP, BEFORE, LATEST = (
    "ai",
    "0004_generationjob",
    "0005_generationjob_replaces_generationjob_requested_by_and_more",
)


def roll_back(schema: str) -> None:
    call_command(
        "migrate_schemas",
        APP,
        BEFORE,
        schema_name=schema,
        interactive=False,
        verbosity=0,
    )
    connection.set_schema_to_public()


def has_latest(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT count(*) FROM "{schema}".django_migrations WHERE app = %s AND name = %s',
            [APP, LATEST],
        )
        recorded = cursor.fetchone()[0] == 1
        cursor.execute(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = %s "
            "AND table_name = 'ai_generationjob' AND column_name = 'replaces_id'",
            [schema],
        )
        assert recorded == (cursor.fetchone()[0] == 1), "recorded and applied must agree"
    return recorded


def migrate_schools(*schemas: str, **options) -> tuple[str, str, str | None]:
    """Runs the command; returns its stdout, its stderr and its error."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("migrate_schools", schemas=list(schemas), stdout=out, stderr=err, **options)
        error = None
    except CommandError as exc:
        error = str(exc)
    connection.set_schema_to_public()
    return out.getvalue(), err.getvalue(), error


@pytest.fixture
def schools(fresh_school, committed):
    """``schools(behind, current)``: committed schools, the first ``behind`` a migration behind."""

    def make(behind: int, current: int = 0) -> list[str]:
        made = [fresh_school("mig").schema for _ in range(behind + current)]
        for schema in made[:behind]:
            roll_back(schema)
        return made

    return make


def test_one_broken_school_is_named_the_others_are_migrated_and_a_rerun_resumes(schools, capsys):
    behind_a, behind_b, broken, current = all_four = schools(behind=3, current=1)
    # Something in the broken school already has a name the migration wants to create.
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{broken}".ai_generationjob ADD COLUMN requested_by_id int')

    out, err, error = migrate_schools(*all_four, processes=2, skip_shared=True)

    assert error is not None and broken in error and behind_a not in error, out
    assert f"FAILED {broken}: {APP}.{LATEST}" in out
    assert 'column "requested_by_id" of relation "ai_generationjob" already exists' in out
    assert "2 migrated" in out and "1 already up to date" in out and "1 failed" in out
    assert has_latest(behind_a) and has_latest(behind_b) and has_latest(current)
    # Its migration ran in one transaction: the column it added before failing is gone too.
    assert not has_latest(broken)
    progress = capsys.readouterr().err  # the bar writes to the process's stderr
    assert "Schools: 100%" in progress and "4/4" in progress and "failed=1" in progress

    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{broken}".ai_generationjob DROP COLUMN requested_by_id')
    out, err, error = migrate_schools(*all_four, processes=2, skip_shared=True)

    assert error is None
    assert "1 migrated" in out and "3 already up to date (3 skipped by the check)" in out
    # Rolled back to ai 0004, the school also lost what depends on 0005: GenerationJob's move to
    # quizzes (quizzes 0004_generationjob_from_ai, ai 0006_generationjob_to_quizzes) and the
    # tutor's answer check (ai 0007_tutorturn_answer_check).
    assert f"migrated {broken}: 4 migrations" in out
    assert f"migrated {behind_a}" not in out
    assert has_latest(broken)


def test_fail_fast_starts_no_school_after_the_first_failure(schools):
    first, second = schools(behind=2)
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{first}".ai_generationjob ADD COLUMN requested_by_id int')

    out, _, error = migrate_schools(first, second, processes=1, fail_fast=True, skip_shared=True)

    assert f"1 schools failed to migrate: {first}; 1 not attempted" in error
    assert not has_latest(first) and not has_latest(second)


def test_restart_runs_migrate_in_schools_the_check_finds_up_to_date(schools):
    (current,) = schools(behind=0, current=1)

    out, _, error = migrate_schools(current, processes=1, resume=False, skip_shared=True)

    assert error is None
    assert "1 already up to date (0 skipped by the check)" in out


def test_every_school_is_migrated_the_template_first(school_a, school_b):
    names = school_schema_names()

    assert names[0] == settings.TENANT_BASE_SCHEMA
    assert {school_a.schema, school_b.schema} <= set(names)
    assert "public" not in names


def test_an_unknown_schema_is_refused_before_anything_runs(committed):
    _, _, error = migrate_schools("no_such_school", processes=1)

    assert error == "No school has the schema: no_such_school"


def test_each_worker_opens_its_own_connection_whatever_the_calling_process_holds(
    schools, monkeypatch
):
    """A process can hold a connection that closing its own does not reach: here one opened
    before Playwright's sync API started, as in a test run. A forked worker that used it would
    share its socket with its siblings and the migrations would fail on crossed replies."""
    import asyncio
    import contextlib

    from playwright.sync_api import sync_playwright

    try:
        asyncio.get_running_loop()
        playwright = contextlib.nullcontext()  # the browser tests' Playwright already runs here
    except RuntimeError:
        playwright = sync_playwright()
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop runs here
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    with playwright:
        behind = schools(behind=2)
        out, _, error = migrate_schools(*behind, processes=2, skip_shared=True)

    assert error is None, out
    assert "2 migrated" in out
    assert all(has_latest(schema) for schema in behind)
