"""Upload checks: the type comes from the content, and every refusal says why in a sentence a
teacher understands, before anything is stored."""

import hashlib
import io
import os
import shutil
import sys
import zipfile

import pytest

from courses.sniffing.inspection import material_inspect
from courses.sniffing.rejection import MaterialRejected

from . import samples

ACCEPTED = (
    "Accepted types are PDF, Word (.docx), PowerPoint (.pptx), web pages (HTML), Markdown and "
    "plain text."
)


def rejection(path, filename=None) -> MaterialRejected:
    with pytest.raises(MaterialRejected) as caught:
        material_inspect(str(path), filename or path.name)
    return caught.value


def renamed(path, name):
    target = path.parent / name
    shutil.copyfile(path, target)
    return target


# --- accepted files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, kind, pages",
    [
        (lambda d: samples.pdf_with_pages(d, samples.CELL_BIOLOGY[:3]), "pdf", 3),
        (samples.docx_with_headings, "docx", None),
        (samples.pptx_with_slides, "pptx", 4),
        (samples.html_with_scripts, "html", None),
        (samples.markdown_doc, "markdown", None),
        (lambda d: samples.text_file(d, samples.CELL_BIOLOGY[0]), "text", None),
    ],
    ids=["pdf", "docx", "pptx", "html", "markdown", "text"],
)
def test_every_accepted_kind_is_recognised_with_size_hash_and_pages(tmp_path, make, kind, pages):
    path = make(tmp_path)

    inspection = material_inspect(str(path), path.name)

    data = path.read_bytes()
    assert inspection.kind == kind
    assert inspection.page_count == pages
    assert inspection.size_bytes == len(data)
    assert inspection.sha256 == hashlib.sha256(data).hexdigest()


def test_the_name_never_decides_a_binary_type(tmp_path):
    pdf = renamed(samples.pdf_with_pages(tmp_path, ["Cells divide."]), "notes.txt")
    docx = renamed(samples.docx_with_headings(tmp_path), "slides.pptx")
    pptx = renamed(samples.pptx_with_slides(tmp_path), "paper.pdf")

    assert material_inspect(str(pdf), pdf.name).kind == "pdf"
    assert material_inspect(str(docx), docx.name).kind == "docx"
    assert material_inspect(str(pptx), pptx.name).kind == "pptx"


def test_html_is_recognised_from_its_content_whatever_the_name(tmp_path):
    page = renamed(samples.html_with_scripts(tmp_path), "page.txt")
    fragment = samples.text_file(
        tmp_path, "<div class='lesson'><p>Cells divide by mitosis.</p></div>", name="lesson"
    )

    assert material_inspect(str(page), page.name).kind == "html"
    assert material_inspect(str(fragment), fragment.name).kind == "html"


def test_the_name_breaks_the_tie_between_markdown_and_plain_text(tmp_path):
    markdown = samples.markdown_doc(tmp_path)
    as_txt = renamed(markdown, "photosynthesis.txt")
    no_extension = renamed(markdown, "photosynthesis")
    plain_as_md = samples.text_file(tmp_path, "Leaves are green.", name="leaves.md")

    assert material_inspect(str(as_txt), as_txt.name).kind == "text"
    assert material_inspect(str(no_extension), no_extension.name).kind == "markdown"
    assert material_inspect(str(plain_as_md), plain_as_md.name).kind == "markdown"


def test_text_in_utf16_or_windows_1252_is_accepted(tmp_path):
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("Zellkern und Mitochondrien: Größe".encode("utf-16"))
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\xe9 biology notes \x96 cells".encode("latin-1"))

    assert material_inspect(str(utf16), utf16.name).kind == "text"
    assert material_inspect(str(latin), latin.name).kind == "text"


def test_a_pdf_locked_only_by_its_owner_password_is_accepted(tmp_path):
    path = samples.pdf_owner_password_only(tmp_path)

    inspection = material_inspect(str(path), path.name)

    assert (inspection.kind, inspection.page_count) == ("pdf", 2)


def test_a_large_file_is_hashed_in_full(tmp_path):
    text = (" ".join(samples.CELL_BIOLOGY) + "\n\n") * 3000  # about 3 MB: several read blocks
    path = samples.text_file(tmp_path, text)

    inspection = material_inspect(str(path), path.name)

    assert inspection.size_bytes == path.stat().st_size > 2 * 1024 * 1024
    assert inspection.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


# --- refusals --------------------------------------------------------------------------------


def test_an_empty_file_is_rejected(tmp_path):
    error = rejection(samples.empty_file(tmp_path, "notes.pdf"))

    assert error.code == "empty"
    assert error.message == "This file is empty: there is nothing in it to read."


def test_a_file_of_blank_space_is_rejected_as_empty(tmp_path):
    error = rejection(samples.text_file(tmp_path, "  \n\n\t \r\n  ", name="blank.txt"))

    assert error.code == "empty"
    assert error.message == "This file is empty: it contains only blank space, no text to read."


def test_a_file_over_the_size_limit_is_rejected_with_the_limit_in_mb(tmp_path, settings):
    settings.MATERIAL_MAX_BYTES = 1024 * 1024
    path = samples.text_file(tmp_path, "Cells divide. " * 100_000)  # 1.4 MB

    error = rejection(path)

    assert error.code == "too_large"
    assert error.message == (
        "This file is 1.3 MB; the largest file you can upload is 1 MB. Split it into smaller "
        "files or compress its images."
    )


def test_a_program_renamed_pdf_is_rejected(tmp_path):
    program = tmp_path / "lesson.pdf"
    shutil.copyfile(os.path.realpath(sys.executable), program)

    error = rejection(program)

    assert error.code == "unsupported_type"
    assert error.message == f"This file is a computer program, which cannot be used. {ACCEPTED}"


def test_an_image_is_rejected_with_a_hint_about_scans(tmp_path):
    from PIL import Image

    path = tmp_path / "worksheet.pdf"
    Image.new("RGB", (64, 64), "white").save(path, format="PNG")

    error = rejection(path)

    assert error.code == "unsupported_type"
    assert error.message == (
        "This file is an image (PNG), which cannot be used. To use a scanned page, put it in a "
        f"PDF first. {ACCEPTED}"
    )


def test_an_old_office_file_is_rejected_with_what_to_do(tmp_path):
    # The OLE2 compound-file header that every .doc, .xls and .ppt starts with.
    path = tmp_path / "notes.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)

    error = rejection(path)

    assert error.code == "unsupported_type"
    assert error.message.startswith(
        "This is an older Microsoft Office file (.doc, .xls or .ppt), which cannot be used. "
        "Save it as .docx, .pptx or PDF and upload it again."
    )


def test_a_spreadsheet_is_rejected(tmp_path):
    path = tmp_path / "marks.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<Types><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
        )
        archive.writestr("xl/workbook.xml", "<workbook/>")

    error = rejection(path)

    assert error.code == "unsupported_type"
    assert error.message == (
        "This file is a spreadsheet, which cannot be used. Save the content you need as PDF. "
        f"{ACCEPTED}"
    )


def test_a_plain_zip_archive_is_rejected(tmp_path):
    path = tmp_path / "lessons.pdf"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("lesson1.txt", "Cells divide.")

    error = rejection(path)

    assert error.code == "unsupported_type"
    assert "a zip archive" in error.message and ACCEPTED in error.message


@pytest.mark.parametrize(
    "make, limit_name, message",
    [
        (
            lambda d: samples.pdf_with_pages(d, ["One.", "Two.", "Three.", "Four."]),
            "pages",
            "This PDF has 4 pages; the most a file can have is 3. Split it into smaller files.",
        ),
        (
            samples.pptx_with_slides,
            "slides",
            "This presentation has 4 slides; the most a file can have is 3. Split it into "
            "smaller files.",
        ),
    ],
    ids=["pdf", "pptx"],
)
def test_too_many_pages_or_slides_are_rejected(tmp_path, settings, make, limit_name, message):
    settings.MATERIAL_MAX_PAGES = 3

    error = rejection(make(tmp_path))

    assert error.code == "too_many_pages"
    assert error.message == message


def test_a_pdf_that_needs_a_password_to_open_is_rejected(tmp_path):
    error = rejection(samples.pdf_user_password(tmp_path))

    assert error.code == "password_protected"
    assert error.message == (
        "This PDF is protected by a password. Remove the password and upload it again."
    )


def test_a_password_protected_office_file_is_rejected(tmp_path):
    # Office saves an encrypted .docx as an OLE2 container with an "EncryptedPackage" stream.
    path = tmp_path / "secret.docx"
    path.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\0" * 2000
        + "EncryptedPackage".encode("utf-16-le")
        + b"\0" * 2000
    )

    error = rejection(path)

    assert error.code == "password_protected"
    assert error.message == (
        "This Office file is protected by a password. Remove the password and upload it again."
    )


def test_a_truncated_pdf_is_rejected_as_malformed(tmp_path):
    error = rejection(samples.truncated_pdf(tmp_path))

    assert error.code == "malformed"
    assert error.message == (
        "This PDF is incomplete: its end is missing, as if the upload or download was "
        "interrupted. Download or export it again and upload the complete file."
    )


def test_a_pdf_with_a_corrupt_body_is_rejected_as_malformed(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")

    error = rejection(path)

    assert error.code == "malformed"
    assert error.message == (
        "This PDF is damaged and cannot be opened. Export it again from the program that made "
        "it and upload the new file."
    )


def test_a_truncated_word_document_is_rejected_as_malformed(tmp_path):
    whole = samples.docx_with_headings(tmp_path).read_bytes()
    path = tmp_path / "cut.docx"
    path.write_bytes(whole[: len(whole) // 2])

    error = rejection(path)

    assert error.code == "malformed"
    assert error.message.startswith("This file is damaged")


def test_text_in_no_known_encoding_is_rejected_as_malformed(tmp_path):
    # Bytes that are neither UTF-8 nor Windows-1252 (0x81 and 0x8d are undefined there).
    path = tmp_path / "notes.txt"
    path.write_bytes(b"Cells divide \x81\x8d\xc3 by mitosis.\n" * 10)

    error = rejection(path)

    assert error.code == "malformed"
    assert error.message == (
        "This text file uses a character encoding that cannot be read. Save it as UTF-8 text "
        "and upload it again."
    )


def test_binary_data_of_unknown_type_is_rejected(tmp_path):
    path = tmp_path / "data.txt"
    path.write_bytes(bytes(range(1, 32)) * 200)

    error = rejection(path)

    assert error.code == "unsupported_type"
    assert error.message == (
        f"The type of this file could not be recognised: it is not text. {ACCEPTED}"
    )


def test_a_docx_zip_bomb_is_rejected_from_its_directory(tmp_path):
    path = samples.zip_bomb_docx(tmp_path)
    assert path.stat().st_size < 5 * 1024 * 1024

    error = rejection(path)

    assert error.code == "zip_bomb"
    assert error.message == (
        'This file expands to far more data than a real document holds (it looks like a "zip '
        'bomb"), so it was not accepted. Save the document again and upload the new file.'
    )


def test_a_zip_with_an_absurd_compression_ratio_is_a_bomb_even_under_the_size_limit(tmp_path):
    path = samples.zip_bomb_docx(tmp_path, expanded_bytes=40 * 1024 * 1024)

    assert rejection(path).code == "zip_bomb"


def test_a_pptx_with_overlapping_members_is_a_bomb(tmp_path):
    # Two directory entries pointing at the same bytes: how "overlapping" bombs multiply data.
    data = bytearray(samples.pptx_with_slides(tmp_path).read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        first_offset = archive.infolist()[0].header_offset
    first_entry = data.find(b"PK\x01\x02")
    lengths = [int.from_bytes(data[first_entry + at : first_entry + at + 2], "little")
               for at in (28, 30, 32)]  # fmt: skip
    second_entry = first_entry + 46 + sum(lengths)
    assert data[second_entry : second_entry + 4] == b"PK\x01\x02"
    data[second_entry + 42 : second_entry + 46] = first_offset.to_bytes(4, "little")
    path = tmp_path / "overlap.pptx"
    path.write_bytes(bytes(data))

    assert rejection(path).code == "zip_bomb"
