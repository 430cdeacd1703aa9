"""What a file is before it is read: its kind, encoding, delimiter, and where its table starts."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

from playbook.errors import MAX_ROWS_QUOTED, DataError, format_rows
from playbook.intake.sql import _sep_name

#: How many leading rows of a sheet may hold a title above the table's header.
HEADER_SEARCH_ROWS = 30

#: Zero bytes in one of the two byte positions (odd or even) of a file's start, as a share of
#: its characters, from which a file without a byte-order mark is read as UTF-16: digits,
#: separators and line breaks (most of a table) have a zero byte there, Cyrillic letters 0x04.
UTF16_ZEROS = 0.2
#: Control characters (not tab, line breaks or form feed) in a file's first 8 KB, as a share,
#: from which a file is binary rather than text with a few damaged bytes.
BINARY_CONTROLS = 0.1
_CONTROLS = bytes(b for b in range(32) if b not in b"\t\n\r\x0c")
_NOT_CONTROLS = bytes(b for b in range(256) if b not in _CONTROLS)
_SIGNATURES = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"BZh",
               b"7z\xbc\xaf", b"Rar!", b"\xfd7zXZ")


def _sniff_kind(path: Path, head: bytes, declared_encoding: str | None = None) -> str:
    suffix = path.suffix.lower()
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                if any(n.startswith("xl/") for n in names):
                    return "xlsx"
                if "mimetype" in names and archive.getinfo("mimetype").file_size < 100 and \
                        b"opendocument.spreadsheet" in archive.read("mimetype"):
                    return "ods"
        raise DataError(f"{path}: this is a ZIP archive, not a spreadsheet or CSV file. "
                        f"Unpack it and point the parameters at the file inside.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE2 file: Excel 97-2003, or Word's .doc
        return "xls"
    if head.startswith(_SIGNATURES) or suffix in {".pdf", ".png", ".jpg", ".docx", ".doc"}:
        raise DataError(f"{path}: this is a binary file, not a table (CSV, Excel or Parquet). "
                        f"Export the data from the client's system as CSV or XLSX.")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or _utf16_order(head) or \
            _wide(declared_encoding):
        return "csv"
    if _binary(head[:8192]):
        raise DataError(f"{path}: this is a binary file, not a table (CSV, Excel or Parquet). "
                        f"Export the data from the client's system as CSV or XLSX.")
    return "csv"


def _binary(sample: bytes) -> bool:
    """Whether ``sample`` (a file's start) is binary: many control characters. A text file
    with a few zero bytes (a damaged export) is text: intake names the rows that hold them.
    """
    controls = len(sample.translate(None, _NOT_CONTROLS))
    return controls > BINARY_CONTROLS * len(sample)


def _wide(encoding: str | None) -> bool:
    """Whether ``encoding`` is UTF-16 or UTF-32, whose text is full of zero bytes."""
    try:
        return bool(encoding) and codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))
    except LookupError:
        return False


def _utf16_order(head: bytes) -> str | None:
    """The byte order of UTF-16 text without a byte-order mark ("utf-16-le" or "utf-16-be"),
    told by its zero bytes (see :data:`UTF16_ZEROS`); None for other text, or a binary file.
    """
    sample = head[:1 << 16]
    sample = sample[:len(sample) // 2 * 2]
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= UTF16_ZEROS * pairs and even <= 0.01 * pairs:
        order = "utf-16-le"
    elif even >= UTF16_ZEROS * pairs and odd <= 0.01 * pairs:
        order = "utf-16-be"
    else:
        return None
    try:  # a surrogate pair may be cut by the sample's end: not final
        text = codecs.getincrementaldecoder(order)(errors="strict").decode(sample, final=False)
    except UnicodeDecodeError:
        return None
    controls = sum(text.count(chr(c)) for c in _CONTROLS)
    return order if controls <= BINARY_CONTROLS * len(text) else None


def _sniff_encoding(head: bytes, declared: str | None) -> str:
    if declared:
        # UTF-16 without a byte-order mark: Python would take it as little-endian; the zero
        # bytes tell the order.
        if _wide(declared) and codecs.lookup(declared).name == "utf-16" and \
                not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return _utf16_order(head) or declared
        return declared
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if order := _utf16_order(head):
        return order
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:  # a character cut by the sample's end
            return "utf-8"
        return "cp1251"


def _utf8_line(line: bytes) -> bool | None:
    """True for a line of UTF-8 text with letters beyond ASCII, False for one that is not
    UTF-8 (cp1251, say), None for plain ASCII, which reads the same in either.
    """
    if line.isascii():
        return None
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A piece of a longer line (see _numbered_lines) may end inside a character.
        return not line.endswith(b"\n") and exc.start >= len(line) - 3 and \
            _utf8_line(line[:exc.start]) is not False
    return True


def _numbered_lines(path: Path):
    """(row number, line) of each line of text file ``path``, as bytes.

    Rows are numbered from 1 as a spreadsheet numbers them (see :func:`_blank_lines` in
    sources): a quoted cell running over several lines is one row. A line is read a megabyte
    at most at a time (a longer one comes in pieces, with one number), so a file without line
    breaks costs no more memory.
    """
    record, quoted, whole = 0, False, True
    with path.open("rb") as handle:
        while piece := handle.readline(1 << 20):
            if whole and not quoted:  # the piece starts a line that starts a row
                record += 1
            quoted ^= piece.count(b'"') % 2 == 1
            whole = piece.endswith(b"\n")
            yield record, piece


def _rows_by_class(path: Path, classify, limit: int = MAX_ROWS_QUOTED) -> dict:
    """{class: (rows, the first ``limit`` as (row number, line))} of the rows of text file
    ``path`` by ``classify(line)``, in one read; a line classed None is not counted, and a
    row is counted once in a class however many of its lines fall in it.
    """
    classes: dict = {}
    for record, line in _numbered_lines(path):
        kind = classify(line)
        if kind is None:
            continue
        count, rows, last = classes.get(kind, (0, [], 0))
        if last == record:
            continue
        if len(rows) < limit:
            rows.append((record, line.rstrip(b"\r\n")))
        classes[kind] = (count + 1, rows, record)
    return {kind: (count, rows) for kind, (count, rows, _) in classes.items()}


def _records_where(path: Path, test, limit: int = MAX_ROWS_QUOTED):
    """How many rows of text file ``path`` have a line that passes ``test`` (its bytes), and
    the first ``limit`` as (row number, line); see :func:`_rows_by_class`.
    """
    return _rows_by_class(path, lambda line: True if test(line) else None, limit).get(
        True, (0, []))


def _quoted(data: bytes, encoding: str = "utf-8") -> str:
    """A row's text as a message quotes it: decoded, at most 60 characters."""
    text = data.decode(encoding, errors="replace")
    return text if len(text) <= 60 else text[:57] + "..."


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
