"""IMS QTI 2.1 content package (a zip): ``imsmanifest.xml`` (IMS CP 1.1), one ``assessmentItem``
per question under ``items/`` and an ``assessmentTest`` (``assessment.xml``) that orders them,
weights them by their points and carries the time limit, shuffling and feedback timing.

Items score 0..1 (``SCORE``) the way SmartEdu grades: one-answer and true/false all or nothing;
multiple answers (right − wrong) / correct options, never below 0 (a ``mapping`` of ±1, then
``divide``); typed answers any accepted answer (``mapping`` with ``caseSensitive``); numeric
``equal`` with ``toleranceMode="absolute"``. The test multiplies each item's score by its
points (``weight``). Text is Markdown rendered to the XHTML subset QTI allows; the explanation
is a modal feedback and per-option feedback is ``feedbackInline``. Topic, objective and
difficulty go into IEEE LOM metadata on each item's resource in the manifest."""

from .package import export

__all__ = ["export"]
