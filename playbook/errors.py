"""Exceptions a consultant can act on.

Every error the playbook raises on purpose is a :class:`PlaybookError`: its message is
one paragraph that names the file, the column, the rows and what to do. The command
line prints that paragraph and nothing else; the traceback goes to the run's log file.
"""

from __future__ import annotations

__all__ = [
    "PlaybookError",
    "ParamsError",
    "DataError",
    "NotebookError",
    "OutputError",
    "format_rows",
    "shorten",
    "bounded",
    "MAX_MESSAGE",
]

#: How many offending rows an error message quotes.
MAX_ROWS_QUOTED = 5
#: The longest message the command line prints (characters); a longer one is cut.
MAX_MESSAGE = 1500


class PlaybookError(Exception):
    """An error with a message meant for the consultant; exit code 2 on the command line."""

    exit_code = 2


class ParamsError(PlaybookError):
    """The parameters file is missing, malformed or names an unknown or invalid key."""


class DataError(PlaybookError):
    """A client's data file cannot be read or does not hold what the playbook needs.

    ``why``, when given, names the cause for a sentence in the consultant's language (a
    model that cannot be estimated: ``ltv.why.<why>`` of the locales, with ``facts``); the
    message stays the English paragraph of the log and of results.json.
    """

    def __init__(self, message: str = "", *, why: str | None = None, **facts: object):
        super().__init__(message)
        self.why = why
        self.facts = facts

    def cause(self) -> dict | None:
        """``{"why": ..., **facts}`` to keep beside the message (None: no cause named)."""
        return None if self.why is None else {"why": self.why, **self.facts}


class OutputError(PlaybookError):
    """The run folder cannot be made or written: a file in the way, a read-only folder, a
    full disk. The message names the folder and what to do; exit code 2.
    """


class NotebookError(PlaybookError):
    """A notebook failed while running: a cell raised, the kernel died or a cell timed out."""

    exit_code = 1

    def __init__(self, message: str, *, notebook: str, cell: int | None, saved: str | None):
        super().__init__(message)
        self.notebook = notebook
        self.cell = cell
        self.saved = saved


def format_rows(rows: list[tuple[int, object]], total: int) -> str:
    """Quote offending rows as ``row 12 ('abc'), row 40 ('')`` and say how many more there are.

    Parameters
    ----------
    rows
        ``(row_number, value)`` pairs; at most :data:`MAX_ROWS_QUOTED` are quoted.
    total
        How many rows are affected in all.
    """
    shown = ", ".join(f"row {n} ({value!r})" for n, value in rows[:MAX_ROWS_QUOTED])
    rest = total - min(len(rows), MAX_ROWS_QUOTED)
    return shown + (f" and {rest:,} more" if rest > 0 else "")


def shorten(text: object, limit: int = 80) -> str:
    """``text`` cut to at most ``limit`` characters, keeping its start and end (``ab…yz``).

    Used for every value or key an error message echoes, so that a hostile or huge input
    never makes a huge message.
    """
    text = str(text)
    if len(text) <= limit:
        return text
    head = (limit - 1) * 2 // 3
    return text[:head] + "…" + text[len(text) - (limit - 1 - head):]


def bounded(message: str, limit: int = MAX_MESSAGE) -> str:
    """A message cut to ``limit`` characters, marked as cut: the command line's last bound."""
    return message if len(message) <= limit else message[:limit - 1] + "…"
