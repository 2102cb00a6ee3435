"""Roster CSV upload: clear errors for bad files, the import page and its report."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from accounts.models import User
from courses import services as course_services
from courses.models import RosterImport

from .conftest import text

pytestmark = pytest.mark.django_db

GOOD = b"username,email,role\nrita,rita@alpha.example,student\n,,student\n"


def _upload(school, content, name="roster.csv"):
    return school.client(school.admin).post(
        "/courses/roster/", {"file": SimpleUploadedFile(name, content, content_type="text/csv")}
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (
            "username,first_name\nrené,René\n".encode("latin-1"),
            "The file is not UTF-8 text. Save it as &#x27;CSV UTF-8&#x27; and retry.",
        ),
        (
            b"S-1,ann,ann@example.com\nS-2,bob,bob@example.com\n",
            "The header row must include a username or external_id column",
        ),
        (
            b"username,emial\nann,ann@example.com\n",
            "The header row has a column SmartEdu does not know: &#x27;emial&#x27;.",
        ),
        (b"", "The submitted file is empty."),
    ],
    ids=["not-utf8", "no-header", "unknown-column", "empty"],
)
def test_bad_roster_file_gives_a_clear_error_and_creates_nothing(school_a, content, message):
    with schema_context(school_a.schema):
        people_before = User.objects.count()
    response = _upload(school_a, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    with schema_context(school_a.schema):
        assert RosterImport.objects.count() == 0
        assert User.objects.count() == people_before


def test_good_upload_queues_an_import_and_opens_its_live_page(
    school_a, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _upload(school_a, GOOD)
    with schema_context(school_a.schema):
        roster_import = RosterImport.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/courses/roster/{roster_import.pk}/"
    )
    assert len(callbacks) == 1  # the background job, enqueued after commit
    page = school_a.client(school_a.admin).get(response["Location"])
    html = page.content.decode()
    assert 'data-state="queued"' in html
    assert f'data-ws-path="/ws/progress/roster-import/{roster_import.pk}/"' in html
    assert "Waiting for a worker to start the import" in text(page)


def test_finished_import_page_shows_the_report_on_reload(school_a):
    with schema_context(school_a.schema):
        roster_import = RosterImport.objects.create(
            filename="roster.csv", csv_text=GOOD.decode(), created_by=school_a.admin
        )
        course_services.roster_import_run(roster_import.pk, report_progress=lambda payload: None)
    page = text(school_a.client(school_a.admin).get(f"/courses/roster/{roster_import.pk}/"))
    assert "Import finished 1 Created 0 Updated 0 Unchanged 1 Rejected" in page
    assert "1 Created rita" in page
    assert "2 Rejected — username or external_id is required" in page
    panel = school_a.client(school_a.admin).get(f"/courses/roster/{roster_import.pk}/panel/")
    assert 'data-state="done"' in panel.content.decode() and "<html" not in panel.content.decode()


def test_roster_pages_are_admin_only_and_school_scoped(school_a, school_b):
    with schema_context(school_a.schema):
        roster_import = RosterImport.objects.create(filename="a.csv", csv_text="username\nx\n")
    assert (
        school_a.client(school_a.teacher).get(f"/courses/roster/{roster_import.pk}/").status_code
        == 403
    )
    with schema_context(school_b.schema):
        RosterImport.objects.filter(pk=roster_import.pk).delete()  # make sure B has no such id
    assert (
        school_b.client(school_b.admin).get(f"/courses/roster/{roster_import.pk}/").status_code
        == 404
    )
