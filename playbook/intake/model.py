"""What intake reports: the files it read (FileInfo), the problems it found (Issue), the
result of a run (IntakeResult).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Issue:
    """One kind of problem found in a file, how many rows it touched and what was done;
    for a problem of documents (order numbers) rather than rows, how many documents too.

    ``action`` is one of: ``dropped``, ``netted``, ``kept``, ``kept_aside``, ``filled``,
    ``not_read``, ``read_day_first``, ``read_month_first``.
    """

    kind: str
    rows: int
    action: str
    file: str = ""
    column: str | None = None
    examples: list[tuple[int, str | None]] = field(default_factory=list)
    amount: float | None = None
    documents: int | None = None


@dataclass
class FileInfo:
    """How a file was read: what was sniffed and how its columns were mapped."""

    name: str
    kind: str
    rows_read: int
    headers: list[str]
    mapping: dict[str, str]
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    decimal: str | None = None
    date_formats: dict[str, str] = field(default_factory=dict)
    # Day first or month first, per date column written either way: {column: {order,
    # basis ("data", "convention" or "assumed"), example}} (see
    # playbook.intake.parsing._date_order).
    date_order: dict[str, dict] = field(default_factory=dict)
    lines_above_header: int = 0  # a delimited file's title, period, blank lines: skipped
    # Sheets of a workbook after the one read, with the same header: {name: data rows}.
    unread_sheets: dict[str, int] = field(default_factory=dict)


@dataclass
class IntakeResult:
    """What :func:`run_intake` wrote and found; ``figures`` feeds results.json."""

    out_dir: Path
    figures: dict
    files: list[FileInfo]
    issues: list[Issue]

    @property
    def transactions_path(self) -> Path:
        """The normalised transactions (Parquet)."""
        return self.out_dir / "transactions.parquet"

    @property
    def customers_path(self) -> Path | None:
        """The normalised customers file (Parquet), or None when the client gave none."""
        path = self.out_dir / "customers.parquet"
        return path if path.exists() else None

    @property
    def summary_path(self) -> Path:
        """The per-customer summary (Parquet), see :mod:`playbook.intake.summary`."""
        return self.out_dir / "customer_summary.parquet"
