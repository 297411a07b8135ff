"""The command lines' rule for input they cannot use: one line that names the file and the problem,
and a non-zero exit, instead of a traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


def describe(error: Exception) -> str:
    """``path: reason`` for a file the system refused (missing, unreadable, a folder), else the message."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        return f"{error.filename}: {error.strerror}"
    return str(error)


@contextmanager
def one_line_errors(*expected: type[Exception], prefix: str = "error") -> Iterator[None]:
    """Exits with ``prefix: what went wrong`` on an OSError or one of ``expected`` (the errors that
    describe bad input, such as a CSV's line and column), and lets every other error through."""
    try:
        yield
    except (OSError, *expected) as e:
        sys.exit(f"{prefix}: {describe(e)}")
