"""Moodle XML (https://docs.moodle.org/en/Moodle_XML_format): export a quiz's questions, read a
file's questions.

Text goes out as Markdown (``format="markdown"``, which Moodle renders), so what a teacher wrote
comes back unchanged; HTML coming in is reduced to the bank's text. The bank's topic, objective
and difficulty travel as ``topic:…``, ``objective:…`` and ``difficulty:…`` tags. A multiple-answer
question's fractions follow SmartEdu's grading: each correct option 100/n, each wrong option
−100/n (n correct options), which are grades Moodle accepts for n up to 7."""

from .reader import parse
from .writer import export

__all__ = ["export", "parse"]
