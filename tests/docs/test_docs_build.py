"""The manual builds (strict, offline), the README stays short, and no Markdown file in the
repository links to a path outside it."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ._generator import ROOT

# A script, stylesheet, font, image or frame fetched from another host when a page is viewed.
EXTERNAL_LOAD = re.compile(
    r"<(?:script|link|img|iframe|source|audio|video)\b[^>]*\b(?:src|href)=\"(?:https?:)?//",
    re.IGNORECASE,
)
MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"\b(?:href|src)=\"([^\"]+)\"")
# A relative path written out in the text (`../shared/DESIGN.md`), linked or not.
PARENT_PATH = re.compile(r"(?<![\w./])((?:\.\./)+[\w.\-/]*)")
SKIPPED_DIRS = {"site", "node_modules", "staticfiles"}


def markdown_files() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.md")
        if not any(
            part.startswith(".") or part in SKIPPED_DIRS
            for part in path.relative_to(ROOT).parts[:-1]
        )
    )


def inside_repository(path: Path) -> bool:
    return path.resolve().is_relative_to(ROOT)


@pytest.mark.docs
def test_the_manual_builds_strictly_and_loads_nothing_from_the_internet(tmp_path):
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    pages = list(site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        html = page.read_text()
        assert not EXTERNAL_LOAD.search(html), page.relative_to(site)
        assert "fonts.googleapis.com" not in html, page.relative_to(site)
    # The generated parts are in.
    settings_page = (site / "settings.html").read_text()
    assert "DATABASE_URL" in settings_page and "AWS_STORAGE_BUCKET_NAME" in settings_page
    assert "Message reference (generated)" in (site / "websockets.html").read_text()
    # bench/RESULTS.md is included as it is.
    assert "SmartEdu benchmark results" in (site / "benchmarks" / "results.html").read_text()


def test_the_readme_is_short_and_points_into_the_manual():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 250
    assert "](docs/index.md)" in readme
    # The development section records the measured CI and fast-tier times with their date.
    development = readme.split("## Development", 1)[1]
    assert re.search(r"measured on \d{4}-\d{2}-\d{2}", development)
    assert re.search(r"CI\s.*?\d+ min \d+ s", development, re.S)
    assert re.search(r"`make test-fast` [\d,]+ tests in \d+ min \d+ s", development)


def test_no_markdown_file_links_outside_the_repository():
    files = markdown_files()
    assert ROOT / "README.md" in files and ROOT / "docs" / "index.md" in files
    problems = []
    for path in files:
        text = path.read_text()
        targets = MARKDOWN_LINK.findall(text) + HTML_LINK.findall(text)
        for target in targets:
            if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue  # a web address or an anchor on the same page
            if target.startswith("/"):
                problems.append(f"{path.relative_to(ROOT)}: absolute path {target}")
                continue
            linked = path.parent / target.split("#")[0]
            if not inside_repository(linked):
                problems.append(f"{path.relative_to(ROOT)}: {target} is outside the repository")
            elif not linked.exists():
                problems.append(f"{path.relative_to(ROOT)}: {target} does not exist")
        for written in PARENT_PATH.findall(text):
            if not inside_repository(path.parent / written):
                problems.append(f"{path.relative_to(ROOT)}: {written} is outside the repository")
    assert problems == []
