"""What an uploaded file really is, checked before anything is stored or queued: part of accepting
a material (courses.services.materials), and the readers ai.extraction opens files with.

The type comes from the content (magic bytes, the members of a zip, whether the bytes decode as
text), never from the name; the name only breaks the tie between Markdown and plain text. Every
refusal is a ``MaterialRejected`` with a stable code and a sentence a teacher can act on.

Nothing here decompresses a zip member or renders a page: checks read the zip directory, the
PDF's page tree, and stream the file once or twice in fixed-size blocks (constant memory).

Modules: ``inspection`` (material_inspect, the one entry point), ``rejection`` (MaterialRejected
and the limits every check shares), ``pdf``, ``office`` (zip-based Office files, legacy Office and
other binaries) and ``text`` (HTML, Markdown, plain text and their encodings).
"""
