"""Rebuild the evaluation's three documents from the documentation installed on a Debian 12
machine (see bench/eval/README.md for the sources, versions and licences). The files in this
folder are what it wrote; rerun it only to refresh them, then check the gold questions still
hold (a run of bench/eval.py lists any evidence phrase found in no passage).

    python bench/eval/vendor.py

What it does to each source, and nothing more:

- grep-manual.txt: the GNU grep manual's info file (``/usr/share/info/grep.info.gz``) as plain
  text, node by node, as ``info`` shows it: the control characters, the "File: ..., Node: ..."
  navigation lines, the dir entry, the tag table and the Index node (line numbers into the info
  file, meaningless outside it) are left out; every other line is kept as it is, the copyright
  notice and the GNU Free Documentation License included;
- valgrind-faq-memcheck.html: three pages of the Valgrind 3.19 documentation
  (``/usr/share/doc/valgrind/html``: the copyright page's notice, faq.html, quick-start.html,
  mc-manual.html) in one HTML file: each page's body as it is, less its navigation bars;
- npm-guide.markdown: eleven pages of the npm 11 documentation (``docs/content`` of the npm
  package) in one Markdown file, in the order below: each page as it is, its front matter (title and
  description) turned into a level-1 heading and a line of text.
"""

import gzip
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GREP_INFO = Path("/usr/share/info/grep.info.gz")
VALGRIND_HTML = Path("/usr/share/doc/valgrind/html")
VALGRIND_PAGES = ("faq.html", "quick-start.html", "mc-manual.html")
NPM_DOCS = Path("/usr/lib/node_modules/npm/docs/content")
NPM_PAGES = (
    "configuring-npm/package-json.md",
    "configuring-npm/package-lock-json.md",
    "configuring-npm/folders.md",
    "configuring-npm/npmrc.md",
    "using-npm/scripts.md",
    "using-npm/workspaces.md",
    "using-npm/developers.md",
    "using-npm/scope.md",
    "using-npm/registry.md",
    "commands/npm-ci.md",
    "commands/npm-install-test.md",
)


def grep_manual() -> str:
    text = gzip.decompress(GREP_INFO.read_bytes()).decode("utf-8")
    nodes = text.split("\x1f")
    out = []
    preamble = re.sub(r"INFO-DIR-SECTION.*?END-INFO-DIR-ENTRY\n", "", nodes[0], flags=re.DOTALL)
    out.append(preamble.strip("\n"))
    for node in nodes[1:]:
        body = node.lstrip("\n")
        if body.startswith(("Tag Table:", "End Tag Table", "Local Variables")):
            continue
        first, _, rest = body.partition("\n")
        if not first.startswith("File: grep.info,"):
            continue
        if re.search(r"Node: Index\b", first):
            continue
        out.append(rest.strip("\n"))
    return "\n\n\n".join(out) + "\n"


def valgrind_pages() -> str:
    import lxml.html

    def body_of(path: Path):
        root = lxml.html.parse(str(path)).getroot()
        body = root.find("body")
        for table in body.xpath(".//table[contains(@class, 'nav')]"):
            holder = table.getparent()
            (holder if holder is not body else table).drop_tree()
        for div in body.xpath(
            ".//div[contains(@class, 'navheader') or contains(@class, 'navfooter')]"
        ):
            div.drop_tree()
        return body

    index = body_of(VALGRIND_HTML / "index.html")
    notice = index.xpath(".//div[contains(@class, 'legalnotice')]") or index.xpath(
        ".//p[contains(., 'Permission is granted')]"
    )
    parts = ["<h1>Valgrind Documentation, Release 3.19.0</h1>"]
    copyright_ = index.xpath(".//p[contains(@class, 'copyright')]")
    parts += [lxml.html.tostring(e, encoding="unicode") for e in copyright_ + notice]
    for name in VALGRIND_PAGES:
        body = body_of(VALGRIND_HTML / name)
        inner = (body.text or "") + "".join(
            lxml.html.tostring(child, encoding="unicode") for child in body
        )
        parts.append(f"<!-- {name} -->\n{inner.strip()}")
    return (
        '<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n'
        "<title>Valgrind FAQ, Quick Start Guide and Memcheck manual</title>\n</head>\n<body>\n"
        + "\n".join(parts)
        + "\n</body>\n</html>\n"
    )


FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)


def npm_guide() -> str:
    pages = []
    for name in NPM_PAGES:
        text = (NPM_DOCS / name).read_text(encoding="utf-8")
        match = FRONT_MATTER.match(text)
        fields = dict(
            line.split(":", 1)
            for line in (match.group(1).splitlines() if match else [])
            if ":" in line
        )
        title = fields.get("title", Path(name).stem).strip()
        description = fields.get("description", "").strip()
        body = text[match.end() :] if match else text
        head = f"# {title}\n\n{description}\n" if description else f"# {title}\n"
        pages.append(f"{head}\n{body.strip()}\n")
    return "\n".join(pages)


def main() -> int:
    (HERE / "grep-manual.txt").write_text(grep_manual(), encoding="utf-8")
    (HERE / "valgrind-faq-memcheck.html").write_text(valgrind_pages(), encoding="utf-8")
    (HERE / "npm-guide.markdown").write_text(npm_guide(), encoding="utf-8")
    for name in ("grep-manual.txt", "valgrind-faq-memcheck.html", "npm-guide.markdown"):
        print(f"{name}: {(HERE / name).stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
