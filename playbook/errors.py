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
    "format_rows",
]

#: How many offending rows an error message quotes.
MAX_ROWS_QUOTED = 5


class PlaybookError(Exception):
    """An error with a message meant for the consultant; exit code 2 on the command line."""

    exit_code = 2


class ParamsError(PlaybookError):
    """The parameters file is missing, malformed or names an unknown or invalid key."""


class DataError(PlaybookError):
    """A client's data file cannot be read or does not hold what the playbook needs."""


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
