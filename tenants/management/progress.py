"""Progress bars for long commands (on stderr, so stdout stays the command's result)."""

import sys
from contextlib import contextmanager

from tqdm import tqdm


@contextmanager
def progress_bar(description: str, *, total: int | None = None, enabled: bool = True):
    """Yields a ``progress(message)`` callback that advances the bar by one step."""
    with tqdm(
        total=total, desc=description, unit="step", file=sys.stderr, disable=not enabled
    ) as bar:

        def advance(message: str) -> None:
            bar.set_postfix_str(message[-60:], refresh=False)
            bar.update(1)

        yield advance
