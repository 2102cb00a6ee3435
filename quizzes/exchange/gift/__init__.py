"""GIFT, Moodle's plain-text question format (https://docs.moodle.org/en/GIFT_format): export a
quiz's questions, read a file's questions.

There is no well-kept GIFT parser on PyPI (pygiftparser was last released in 2017), so this is a
small one written to Moodle's own reader (question/format/gift/format.php): questions are
separated by blank lines; ``//`` lines are comments (Moodle 3.6+ reads ``[tag:…]`` in them);
``::title::`` names a question; ``[html]``/``[markdown]``/``[plain]``/``[moodle]`` sets the text
format; the one ``{…}`` block holds the answers; ``\\`` escapes ``~ = # { } :`` and ``\\n`` is a
line break. Unlike Moodle it refuses a stray brace or an unclosed title with the line it is on,
instead of guessing."""

from .reader import parse
from .writer import export

__all__ = ["export", "parse"]
