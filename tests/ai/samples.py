"""Real sample files for course-material tests, written on demand.

Every function writes a genuine file of its kind (fpdf2, pypdf, python-docx, python-pptx, PIL)
into ``directory`` (created if needed) and returns its path. File names include a digest of the
content, so several samples can share one directory. The prose is real biology (cells,
photosynthesis) so retrieval and tutor tests can ask real questions of it."""

import hashlib
import io
import zipfile
from pathlib import Path

CELL_BIOLOGY = [
    (
        "The cell is the basic unit of life. Every living organism is made of one or more "
        "cells, and every cell comes from a cell that existed before it. Cells are surrounded "
        "by a plasma membrane, a thin double layer of lipids that controls what enters and "
        "leaves the cell."
    ),
    (
        "Mitochondria are the powerhouses of the cell. They break down glucose and fatty acids "
        "in a process called cellular respiration and store the released energy in molecules "
        "of adenosine triphosphate, known as ATP. A muscle cell can contain thousands of "
        "mitochondria because it needs a great deal of energy."
    ),
    (
        "The nucleus holds the cell's genetic material. DNA is wound around proteins called "
        "histones and packed into chromosomes. The nuclear envelope, a double membrane with "
        "pores, separates the nucleus from the cytoplasm and lets messenger RNA travel out to "
        "the ribosomes."
    ),
    (
        "Ribosomes build proteins by reading messenger RNA three bases at a time. Each group of "
        "three bases, a codon, names one amino acid. Ribosomes float freely in the cytoplasm or "
        "sit on the rough endoplasmic reticulum, which folds new proteins and sends them on to "
        "the Golgi apparatus."
    ),
]

PHOTOSYNTHESIS = [
    (
        "Photosynthesis is the process by which green plants turn light energy into chemical "
        "energy. It takes place in chloroplasts, which contain the green pigment chlorophyll. "
        "Chlorophyll absorbs red and blue light and reflects green light, which is why leaves "
        "look green."
    ),
    (
        "In the light-dependent reactions, water molecules are split and oxygen is released as "
        "a by-product. The energy captured from light is stored in ATP and NADPH. These "
        "reactions happen in the thylakoid membranes inside the chloroplast."
    ),
    (
        "The Calvin cycle uses ATP and NADPH to fix carbon dioxide from the air into sugar. The "
        "enzyme RuBisCO attaches carbon dioxide to a five-carbon sugar. The cycle runs in the "
        "stroma, the fluid that surrounds the thylakoids, and produces glucose for the plant."
    ),
]


def _target(directory, stem: str, suffix: str, *parts) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(repr(parts).encode()).hexdigest()[:10]
    return directory / f"{stem}-{digest}{suffix}"


def _pdf_bytes(pages: list[str], headings: list[str | None] | None = None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_font("Helvetica", size=11)
    for index, text in enumerate(pages):
        pdf.add_page()
        heading = headings[index] if headings and index < len(headings) else None
        if heading:
            # start_section writes a real PDF outline entry (bookmark) for this page.
            pdf.start_section(heading)
            pdf.set_font("Helvetica", style="B", size=14)
            pdf.multi_cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", size=11)
        for paragraph in text.split("\n\n"):
            pdf.multi_cell(0, 5.5, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    return bytes(pdf.output())


def pdf_with_pages(directory, pages: list[str], headings: list[str | None] | None = None) -> Path:
    """A PDF with a real text layer: one page per string ("\\n\\n" separates paragraphs).

    ``headings`` (one per page, or None) are printed at the top of the page and recorded as
    the PDF's outline (bookmarks)."""
    path = _target(directory, "pages", ".pdf", pages, headings)
    path.write_bytes(_pdf_bytes(pages, headings))
    return path


def _encrypted_pdf(path: Path, *, user_password: str, owner_password: str) -> Path:
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(_pdf_bytes(CELL_BIOLOGY[:2])))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    with open(path, "wb") as handle:
        writer.write(handle)
    return path


def pdf_owner_password_only(directory) -> Path:
    """An encrypted PDF that opens without a password (only its permissions are locked)."""
    path = _target(directory, "owner-locked", ".pdf")
    return _encrypted_pdf(path, user_password="", owner_password="owner-secret")


def pdf_user_password(directory) -> Path:
    """A PDF that cannot be opened without its password."""
    path = _target(directory, "user-locked", ".pdf")
    return _encrypted_pdf(path, user_password="reader-secret", owner_password="owner-secret")


def pdf_scanned(directory, text: str) -> Path:
    """A PDF whose only page is a picture of ``text`` (no text layer), as a scanner makes."""
    from fpdf import FPDF
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=42)
    words, lines, line = text.split(), [], ""
    for word in words:
        candidate = f"{line} {word}".strip()
        if font.getlength(candidate) > 1500 and line:
            lines.append(line)
            line = word
        else:
            line = candidate
    lines.append(line)
    image = Image.new("L", (1654, 2339), color=255)  # A4 at 200 dpi
    draw = ImageDraw.Draw(image)
    for number, content in enumerate(lines):
        draw.text((120, 160 + number * 64), content, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    buffer.seek(0)
    pdf = FPDF(format="A4")
    pdf.add_page()
    pdf.image(buffer, x=0, y=0, w=210, h=297)
    path = _target(directory, "scanned", ".pdf", text)
    path.write_bytes(bytes(pdf.output()))
    return path


def truncated_pdf(directory) -> Path:
    """The first 60% of a real PDF, as an interrupted download leaves it."""
    data = _pdf_bytes(CELL_BIOLOGY + PHOTOSYNTHESIS)
    path = _target(directory, "truncated", ".pdf")
    path.write_bytes(data[: int(len(data) * 0.6)])
    return path


def docx_with_headings(directory) -> Path:
    """A Word document: Heading 1 "Cells" with Heading 2 "Mitochondria" and "Nucleus" below it,
    then Heading 1 "Photosynthesis", a table and a list."""
    from docx import Document

    document = Document()
    document.add_paragraph("Biology notes for year 10", style="Title")
    document.add_heading("Cells", level=1)
    document.add_paragraph(CELL_BIOLOGY[0])
    document.add_heading("Mitochondria", level=2)
    document.add_paragraph(CELL_BIOLOGY[1])
    document.add_heading("Nucleus", level=2)
    document.add_paragraph(CELL_BIOLOGY[2])
    document.add_heading("Photosynthesis", level=1)
    document.add_paragraph(PHOTOSYNTHESIS[0])
    table = document.add_table(rows=3, cols=2)
    for row, (stage, place) in zip(
        table.rows,
        [
            ("Stage", "Where"),
            ("Light-dependent reactions", "Thylakoid membranes"),
            ("Calvin cycle", "Stroma"),
        ],  # fmt: skip
        strict=True,
    ):
        row.cells[0].text, row.cells[1].text = stage, place
    document.add_paragraph("Chlorophyll absorbs red and blue light.", style="List Bullet")
    document.add_paragraph("Oxygen is released when water is split.", style="List Bullet")
    path = _target(directory, "cells", ".docx")
    document.save(path)
    return path


def pptx_with_slides(directory, slides: list[tuple[str, list[str]]] | None = None) -> Path:
    """A slide deck: one slide per (title, bullet points); slide 1 is a title slide."""
    from pptx import Presentation

    slides = slides or [
        ("Photosynthesis", ["How plants turn light into sugar"]),
        ("Chloroplasts", [PHOTOSYNTHESIS[0]]),
        ("Light-dependent reactions", [PHOTOSYNTHESIS[1]]),
        ("The Calvin cycle", [PHOTOSYNTHESIS[2]]),
    ]
    deck = Presentation()
    for number, (title, bullets) in enumerate(slides):
        layout = deck.slide_layouts[0 if number == 0 else 1]
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = title
        body = slide.placeholders[1].text_frame
        body.text = bullets[0] if bullets else ""
        for bullet in bullets[1:]:
            body.add_paragraph().text = bullet
    path = _target(directory, "slides", ".pptx", slides)
    deck.save(path)
    return path


# Each marker must never reach extracted text: they only live in code, attributes and
# hidden boilerplate.
HTML_FORBIDDEN = [
    "SCRIPT_MARKER_alert",
    "document.cookie",
    "javascript:",
    "onerror",
    "STYLE_MARKER",
    "NOSCRIPT_MARKER",
    "TEMPLATE_MARKER",
    "IFRAME_MARKER",
    "NAV_MARKER",
    "FOOTER_MARKER",
    "COMMENT_MARKER",
]


def html_with_scripts(directory) -> Path:
    """A web page about cells buried in scripts, inline handlers, javascript: URLs, styles,
    templates, iframes and navigation. Its visible article has h1 "Cells", h2 "Mitochondria"
    and h2 "Nucleus"."""
    html = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Cells</title>
  <style>body {{ font-family: serif; }} .STYLE_MARKER {{ color: red; }}</style>
  <script>window.SCRIPT_MARKER_alert = function () {{ alert(document.cookie); }};</script>
  <script type="application/ld+json">{{"@type": "Article", "name": "SCRIPT_MARKER_alert"}}</script>
</head>
<body onload="SCRIPT_MARKER_alert()">
  <nav><a href="/">Home NAV_MARKER</a> <a href="javascript:alert(document.cookie)">Log in</a></nav>
  <!-- COMMENT_MARKER: <script>alert(1)</script> -->
  <noscript>NOSCRIPT_MARKER please enable JavaScript</noscript>
  <template><p>TEMPLATE_MARKER hidden row</p></template>
  <iframe src="javascript:alert('IFRAME_MARKER')">IFRAME_MARKER</iframe>
  <main>
    <article>
      <h1>Cells</h1>
      <p>{CELL_BIOLOGY[0]}</p>
      <script>document.write('SCRIPT_MARKER_alert ' + document.cookie);</script>
      <h2>Mitochondria</h2>
      <p onclick="SCRIPT_MARKER_alert()">{CELL_BIOLOGY[1]}</p>
      <img src="x" onerror="SCRIPT_MARKER_alert()" alt="">
      <h2>Nucleus</h2>
      <p>{CELL_BIOLOGY[2]} <a href="javascript:void(SCRIPT_MARKER_alert())">Read more</a>.</p>
      <svg><script>SCRIPT_MARKER_alert()</script></svg>
    </article>
  </main>
  <footer>FOOTER_MARKER Copyright 2025</footer>
  <script src="https://cdn.example/app.js"></script>
  <script>setTimeout(function () {{ SCRIPT_MARKER_alert(); }}, 10)</script>
</body>
</html>
"""
    path = _target(directory, "cells", ".html")
    path.write_text(html, encoding="utf-8")
    return path


def markdown_doc(directory) -> Path:
    """Markdown with "# Photosynthesis" › "## Light-dependent reactions" / "## The Calvin
    cycle", emphasis, a link, a list, a code block and inline HTML."""
    text = f"""# Photosynthesis

{PHOTOSYNTHESIS[0].replace("chlorophyll", "**chlorophyll**")}

## Light-dependent reactions

{PHOTOSYNTHESIS[1]} See [the thylakoid](https://example.org/thylakoid) for details.

- Water is split.
- Oxygen is *released*.

## The Calvin cycle

{PHOTOSYNTHESIS[2]}

<script>alert("MARKDOWN_SCRIPT_MARKER")</script>

```
6 CO2 + 6 H2O -> C6H12O6 + 6 O2
```
"""
    path = _target(directory, "photosynthesis", ".md")
    path.write_text(text, encoding="utf-8")
    return path


def text_file(directory, text: str, name: str | None = None) -> Path:
    """A UTF-8 plain-text file holding ``text``."""
    path = Path(directory) / name if name else _target(directory, "notes", ".txt", text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def zip_bomb_docx(directory, expanded_bytes: int | None = None) -> Path:
    """A real Word document carrying one member of zeros that expands to ``expanded_bytes``
    (default: 16 MiB more than MATERIAL_MAX_UNCOMPRESSED_BYTES) from a few hundred kilobytes."""
    from django.conf import settings

    if expanded_bytes is None:
        expanded_bytes = settings.MATERIAL_MAX_UNCOMPRESSED_BYTES + 16 * 1024 * 1024
    source = docx_with_headings(Path(directory) / ".bomb-source")
    path = _target(directory, "bomb", ".docx", expanded_bytes)
    block = b"\0" * (1024 * 1024)
    with (
        zipfile.ZipFile(source) as original,
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as bomb,
    ):
        for item in original.infolist():
            bomb.writestr(item, original.read(item.filename))
        with bomb.open("word/media/padding.bin", "w", force_zip64=True) as member:
            remaining = expanded_bytes
            while remaining > 0:
                member.write(block[: min(remaining, len(block))])
                remaining -= len(block)
    return path


def empty_file(directory, name: str) -> Path:
    """A zero-byte file called ``name``."""
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def large_pdf(directory, pages: int = 2000) -> Path:
    """A ``pages``-page PDF with a short paragraph per page (built in a few seconds)."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_font("Helvetica", size=11)
    paragraphs = CELL_BIOLOGY + PHOTOSYNTHESIS
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_xy(15, 20)
        pdf.multi_cell(0, 5.5, f"Page {number}. {paragraphs[number % len(paragraphs)]}")
    path = _target(directory, "large", ".pdf", pages)
    path.write_bytes(bytes(pdf.output()))
    return path
