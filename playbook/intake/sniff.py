"""What a file is before it is read: its kind, encoding, delimiter, and where its table starts."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

from playbook.errors import DataError, format_rows
from playbook.intake.sql import _sep_name

#: How many leading rows of a sheet may hold a title above the table's header.
HEADER_SEARCH_ROWS = 30


def _sniff_kind(path: Path, head: bytes) -> str:
    suffix = path.suffix.lower()
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                if any(n.startswith("xl/") for n in names):
                    return "xlsx"
                if "mimetype" in names and \
                        b"opendocument.spreadsheet" in archive.read("mimetype"):
                    return "ods"
        raise DataError(f"{path}: this is a ZIP archive, not a spreadsheet or CSV file. "
                        f"Unpack it and point the parameters at the file inside.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE2 file: Excel 97-2003, or Word's .doc
        return "xls"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "csv"
    if b"\x00" in head[:8192] or suffix in {".pdf", ".png", ".jpg", ".docx", ".doc"}:
        raise DataError(f"{path}: this is a binary file, not a table (CSV, Excel or Parquet). "
                        f"Export the data from the client's system as CSV or XLSX.")
    return "csv"


def _sniff_encoding(head: bytes, declared: str | None) -> str:
    if declared:
        return declared
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the sample's end
            return "utf-8"
        return "cp1251"


def _split_outside_quotes(line: str, sep: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            count += 1
    return count


def _records(lines: list[str]) -> list[str]:
    """Join lines where a quoted field runs over a line break: one string per CSV record."""
    records, pending = [], None
    for line in lines:
        pending = line if pending is None else pending + "\n" + line
        if pending.count('"') % 2 == 0:
            records.append(pending)
            pending = None
    return records + ([pending] if pending is not None else [])


def _sniff_delimiter(lines: list[str], declared: str | None) -> str | None:
    if declared:
        return "\t" if declared in {"\\t", "tab"} else declared
    best, best_score = None, 0
    for sep in (";", "\t", ",", "|"):
        first, consistent = _consistency(lines, sep)
        if first == 0:
            continue
        score = consistent * 10 + min(first, 9) / 10
        if consistent >= 0.9 and score > best_score:
            best, best_score = sep, score
    if best:
        return best
    lines = [ln for ln in lines if ln.strip()][:50]
    if lines and all(len(ln.split()) >= 2 for ln in lines) and \
            len({len(ln.split()) for ln in lines}) == 1:
        return " "
    return None


def _find_table(lines: list[str], declared: str | None,
                header: bool) -> tuple[str | None, int]:
    """The delimiter, and how many lines come before the table's first line.

    Accounting systems often put a title, the period or the company above the header of a
    CSV report, as they do in spreadsheets; saved from a spreadsheet, such lines come padded
    with separators ("Продажи за 2025 год;;;;;"). Within the first HEADER_SEARCH_ROWS lines,
    the header is the first line that is not such a line: one with more than two cells
    filled, or at least 60% as many as the fullest line (as for XLSX sheets). A file whose
    first lines do not read as a table at all is read from the first line below them that
    does. Without a header, only lines without any separator are skipped; whitespace
    separated text (fixed-width dumps) is only taken as such from the first line.
    """
    delimiter = _sniff_delimiter(lines, declared)
    start = 0
    if delimiter is None or (declared and not _reads_as_table(lines, delimiter)):
        for above in range(1, min(HEADER_SEARCH_ROWS, len(lines) - 1)):
            rest = lines[above:]
            if not rest[0].strip():
                continue
            found = _sniff_delimiter(rest, declared)
            if found not in (None, " ") and _reads_as_table(rest, found):
                delimiter, start = found, above
                break
        else:
            return delimiter, 0
    if delimiter == " " or not header:
        return delimiter, start
    filled = [_filled_cells(line, delimiter) for line in lines[:HEADER_SEARCH_ROWS]]
    need = max(2, -(-6 * max(filled) // 10))
    return delimiter, next((i for i in range(start, len(filled))
                            if filled[i] >= need or filled[i] > 2), start)


def _filled_cells(line: str, sep: str) -> int:
    cells, cell, quoted = [], [], False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            cells.append("".join(cell))
            cell = []
        else:
            cell.append(ch)
    cells.append("".join(cell))
    return sum(bool(c.strip()) for c in cells)


def _consistency(lines: list[str], sep: str) -> tuple[int, float]:
    """The number of ``sep`` in the first record of ``lines`` (outside quotes), and the share
    of the first 50 non-blank records that have as many.
    """
    records = _records([ln for ln in lines if ln.strip()][:50])
    counts = [_split_outside_quotes(rec, sep) for rec in records]
    if not counts:
        return 0, 0.0
    return counts[0], sum(c == counts[0] for c in counts) / len(counts)


def _reads_as_table(lines: list[str], sep: str) -> bool:
    """Whether the records of ``lines`` all have the first one's number of ``sep`` (90%)."""
    first, consistent = _consistency(lines, sep)
    return first > 0 and consistent >= 0.9


def _why_not_a_table(lines: list[str]) -> str:
    records = [r for r in _records(lines) if r.strip()]
    header = records[0]
    for sep in (";", "\t", ","):
        if _split_outside_quotes(header, sep):
            expected = _split_outside_quotes(header, sep)
            odd = [(n, r[:60]) for n, r in enumerate(records, start=1)
                   if _split_outside_quotes(r, sep) != expected]
            quotes = " (look for an unbalanced quote there)" if any('"' in r for _, r in odd) \
                else ""
            return (f"its header has {expected} {_sep_name(sep)} separator(s) but these rows "
                    f"have a different number: {format_rows(odd, len(odd))}{quotes}")
    return (f"no ';', ',' or tab separators were found in its first lines (it starts with "
            f"{header[:60]!r})")


def _text_head(path: Path, encoding: str, n_bytes: int = 1 << 20) -> list[str]:
    with path.open("rb") as handle:
        raw = handle.read(n_bytes)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(raw)
    return text.splitlines()[:200]
