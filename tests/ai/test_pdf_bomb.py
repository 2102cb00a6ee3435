"""A PDF bomb — a small file whose content inflates to gigabytes inside the PDF library — is
read in a memory-capped child process: it fails with a reason, and the worker and the queue
carry on."""

import zlib
from pathlib import Path

import pytest

from . import samples
from .conftest import course_with_people, upload, wait_for_material

pytestmark = pytest.mark.live


def pdf_bomb(directory: Path, inflated_mb: int) -> Path:
    """A valid one-page PDF of about 1/1000 of ``inflated_mb``: its one content stream holds
    ``inflated_mb`` MB of text compressed with FlateDecode."""
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(b"BT /F1 12 Tf 72 712 Td (")]
    block = b"A" * (1024 * 1024)
    parts += [compressor.compress(block) for _ in range(inflated_mb)]
    parts += [compressor.compress(b") Tj ET"), compressor.flush()]
    stream = b"".join(parts)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    path = directory / "bomb.pdf"
    path.write_bytes(bytes(out))
    return path


def test_a_pdf_bomb_fails_alone_and_the_worker_goes_on(
    celery_worker_process, fresh_school, committed, tmp_path
):
    school = fresh_school()
    course = course_with_people(school)
    bomb_path = pdf_bomb(tmp_path, inflated_mb=2000)
    assert bomb_path.stat().st_size < 3 * 1024 * 1024  # small enough to pass every upload check

    bomb, _ = upload(school, course, bomb_path)
    after, _ = upload(school, course, samples.text_file(tmp_path, "Mitochondria produce ATP."))

    bomb = wait_for_material(school, bomb.pk, timeout=180)
    assert bomb.state == "failed"
    assert "needed more than 1536 MB of memory" in bomb.error
    assert wait_for_material(school, after.pk).state == "ready"
    assert celery_worker_process.poll() is None  # the worker itself never went down
