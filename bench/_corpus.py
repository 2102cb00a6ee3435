"""Real English text nobody on this team wrote, available offline: the Python standard library's
own documentation, rendered by pydoc. Used to build large real documents for the benches."""

import pydoc
import re
import warnings

MODULES = [
    "abc", "argparse", "array", "ast", "asyncio", "base64", "bisect", "bz2", "calendar", "cmath",
    "codecs", "collections", "colorsys", "concurrent.futures", "configparser", "contextlib",
    "copy", "csv", "dataclasses", "datetime", "decimal", "difflib", "dis", "email", "enum",
    "filecmp", "fnmatch", "fractions", "ftplib", "functools", "gettext", "glob", "graphlib",
    "gzip", "hashlib", "heapq", "hmac", "html", "http.client", "http.server", "imaplib",
    "importlib", "inspect", "io", "ipaddress", "itertools", "json", "keyword", "linecache",
    "locale", "logging", "lzma", "mailbox", "math", "mimetypes", "multiprocessing", "numbers",
    "operator", "optparse", "os", "pathlib", "pickle", "pkgutil", "platform", "plistlib",
    "poplib", "pprint", "queue", "quopri", "random", "re", "reprlib", "sched", "secrets",
    "selectors", "shelve", "shlex", "shutil", "signal", "smtplib", "socket", "socketserver",
    "sqlite3", "ssl", "statistics", "string", "struct", "subprocess", "symtable", "tarfile",
    "tempfile", "textwrap", "threading", "timeit", "tokenize", "trace", "traceback", "types",
    "typing", "unittest", "urllib.parse", "urllib.request", "uuid", "warnings", "wave",
    "weakref", "xml.dom", "xml.etree.ElementTree", "zipfile", "zlib",
]  # fmt: skip


def stdlib_documentation() -> list[tuple[str, str]]:
    """(module name, plain documentation text) for each module above that imports here."""
    documents = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in MODULES:
            try:
                text = pydoc.render_doc(name, renderer=pydoc.plaintext)
            except Exception:
                continue
            # pydoc draws class bodies with a "|" margin; it is layout, not text.
            documents.append((name, re.sub(r"(?m)^\s*\|\s?", "", text)))
    return documents


def paragraphs(min_words: int = 12) -> list[str]:
    """Prose paragraphs from the documentation (code listings and signatures left out)."""
    found = []
    for _, text in stdlib_documentation():
        for block in re.split(r"\n\s*\n", text):
            line = " ".join(block.split())
            words = line.split()
            if len(words) >= min_words and sum(w.isalpha() for w in words) / len(words) > 0.6:
                found.append(line)
    return found


def write_pdf(path, pages: int, words_per_page: int = 330) -> int:
    """A real PDF of ``pages`` pages of documentation text (one module title per page as its
    heading); returns the number of pages written."""
    from fpdf import FPDF

    source = paragraphs()
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_font("Helvetica", size=10)
    cursor = 0
    for page in range(pages):
        pdf.add_page()
        words: list[str] = []
        while len(words) < words_per_page:
            words.extend(source[cursor % len(source)].split())
            words.append("\n")
            cursor += 1
        text = " ".join(words).replace(" \n ", "\n").encode("latin-1", "replace").decode("latin-1")
        pdf.set_xy(15, 15)
        pdf.multi_cell(180, 4.6, f"Page {page + 1}\n{text}"[:3200])
    pdf.output(str(path))
    return pages
