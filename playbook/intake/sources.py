"""Opening a client file for reading: delimited text as a DuckDB view, workbooks, Parquet.

Every file becomes a relation whose rows are all text, in file order, with the row
numbers a consultant sees (see :class:`_Raw`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from playbook.errors import DataError
from playbook.intake.decode import _transcode
from playbook.intake.model import FileInfo
from playbook.intake.sniff import (
    HEADER_SEARCH_ROWS,
    _find_table,
    _sniff_encoding,
    _sniff_kind,
    _text_head,
    _why_not_a_table,
)
from playbook.intake.sql import _first_line, _kw, _lit, _q, _sep_name, _unique
from playbook.params import Source

NOT_CLEAN = "playbook: a row needs the thorough way"  # raised inside the quick write


@dataclass
class _CsvScan:
    """How DuckDB reads a delimited text file: the ``read_csv`` call behind a raw view."""

    path: Path       # the client's file, named in messages
    readable: Path   # what DuckDB reads: that file, or its UTF-8 copy in the work folder
    encoding: str
    delimiter: str
    options: dict
    first_row: int   # the spreadsheet row number of the first data row

    def sql(self) -> str:
        return (f"read_csv({_lit(str(self.readable))}, delim={_lit(self.delimiter)}, "
                f"{_kw(self.options)})")


@dataclass
class _Raw:
    """A client file opened for reading: SQL reads its rows, all text, in file order, from
    ``relation``.

    That is a table with a ``_row`` column for spreadsheets, Parquet and whitespace-separated
    text (loaded when opened), and for delimited text a view over ``read_csv`` (``csv``):
    the file is then read once, straight into the table built from it (:func:`_build`),
    instead of into a table of text first and parsed from there.
    """

    info: FileInfo
    relation: str
    csv: _CsvScan | None = None


class _NotUtf8(Exception):
    """A file sniffed as UTF-8 has bytes further on that are not: it is read as cp1251."""


class _NotClean(Exception):
    """The quick write of a transactions file met a row a message must quote or intake must
    drop (:func:`_write_clean`): the file takes the thorough way.
    """


def _read_csv(con, path: Path, source: Source, table: str, work_dir: Path) -> _Raw:
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    encoding = _sniff_encoding(head, source.encoding)
    try:
        lines = _text_head(path, encoding)
    except LookupError:
        raise DataError(f"{path}: unknown encoding {source.encoding!r} in the parameters. "
                        f"Use utf-8, cp1251 or utf-16, or leave it out to detect it.") from None
    except UnicodeError as exc:  # e.g. utf-16 declared for a file without a byte-order mark
        raise DataError(f"{path}: cannot be decoded as {encoding} ({exc}). Set the right "
                        f"'encoding' for this file in the parameters, or leave it out to "
                        f"detect it.") from None
    if not any(ln.strip() for ln in lines):
        raise DataError(f"{path}: the file is empty. Export the data again; the file must "
                        f"have a header row and at least one data row.")
    delimiter, above = _find_table(lines, source.delimiter, source.header)
    if delimiter is None:
        raise DataError(f"{path}: does not look like a table: {_why_not_a_table(lines)}. "
                        f"Export the data as CSV or XLSX, or set 'delimiter' for this file in "
                        f"the parameters.")
    readable = path
    if encoding.replace("-", "").lower() not in {"utf8", "utf8sig"}:
        try:
            readable = _transcode(path, encoding, work_dir)
        except UnicodeError as exc:
            where = f"byte {exc.start:,} is not valid there" if hasattr(exc, "start") else exc
            raise DataError(f"{path}: cannot be decoded as {encoding} ({where}). Save the file "
                            f"as UTF-8 or cp1251, or set 'encoding' for this file in the "
                            f"parameters.") from None
    info = FileInfo(name=path.name, kind="csv", rows_read=0, headers=[], mapping={},
                    encoding=encoding.replace("-sig", " (BOM)"), delimiter=delimiter,
                    lines_above_header=above)
    options = dict(header=source.header, all_varchar=True, quote='"', escape='"',
                   null_padding=True, strict_mode=False, ignore_errors=False)
    if above:
        options["skip"] = above
    scan = _CsvScan(path, readable, encoding, delimiter, options,
                    above + (2 if source.header else 1))
    if delimiter == " ":
        try:
            _read_whitespace(con, readable, table, source.header)
        except duckdb.Error as exc:
            raise _read_error(scan, exc) from None
        info.headers = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
        return _Raw(info, table)
    raw = _Raw(info, f"_file_{table}", scan)
    _run(con, raw, f"CREATE OR REPLACE VIEW {raw.relation} AS SELECT * FROM {scan.sql()}")
    info.headers = [r[0] for r in _run(con, raw, f"DESCRIBE {raw.relation}")]
    return raw


def _run(con, raw: _Raw, sql: str) -> list[tuple]:
    """Execute ``sql``, which reads ``raw``, and fetch its rows.

    DuckDB reads a CSV file when a query needs its rows, so any query on the raw view may be
    the one to find a problem in the file: line breaks inside quoted cells (comments,
    addresses: the view is made to read serially, and the query run again), bytes that are
    not UTF-8 (:class:`_NotUtf8`), or a malformed file (a DataError).
    """
    if raw.csv is None:
        return con.execute(sql).fetchall()
    try:
        return con.execute(sql).fetchall()
    except duckdb.Error as exc:
        if NOT_CLEAN in str(exc):
            raise _NotClean() from None
        scan = raw.csv
        if "parallel=false" in str(exc) and scan.options.get("parallel", True):
            scan.options["parallel"] = False
            con.execute(f"CREATE OR REPLACE VIEW {raw.relation} AS SELECT * FROM {scan.sql()}")
            return _run(con, raw, sql)
        raise _read_error(scan, exc) from None


def _read_error(scan: _CsvScan, exc: duckdb.Error) -> Exception:
    if scan.encoding == "utf-8" and "invalid unicode" in str(exc).lower():
        return _NotUtf8()
    return DataError(f"{scan.path}: cannot be read as a {_sep_name(scan.delimiter)}-separated "
                     f"table ({_first_line(exc)}). Check that the file is a plain export and "
                     f"that quotes are balanced.")


def _build(con, raw: _Raw, out: str, selects: list[str]) -> None:
    """Create table ``out`` as ``SELECT selects FROM raw``, in file order, with ``_row``.

    For a CSV view this is where the file is read. Its rows get ``_row`` from the new
    table's ``rowid`` (rows are stored in file order: ``preserve_insertion_order``): an update
    of one column rather than a copy of the table. ``rows_read`` is counted here too.
    """
    columns = ", ".join(selects)
    if raw.csv is None:
        con.execute(f"CREATE OR REPLACE TABLE {out} AS SELECT _row, {columns} "
                    f"FROM {raw.relation}")
        return
    _run(con, raw, f"CREATE OR REPLACE TABLE {out} AS SELECT {columns} FROM {raw.relation}")
    # DEFAULT 0, not NULL: DuckDB then knows the column holds no NULLs.
    con.execute(f"ALTER TABLE {out} ADD COLUMN _row BIGINT DEFAULT 0")
    con.execute(f"UPDATE {out} SET _row = rowid + {raw.csv.first_row}")
    # DuckDB skips empty lines; a spreadsheet shows them as rows, so messages count them.
    raw.info.rows_read = con.execute(f"SELECT count(*) FROM {out}").fetchall()[0][0]
    blanks = _blank_lines(raw.csv.readable, raw.csv.first_row - 1,
                          raw.info.rows_read + raw.csv.first_row - 1)
    if blanks:
        # Blank row j (row b) has b - j other rows up to it: a row numbered r without the
        # blank rows moves down by one for each blank with b - j < r.
        shifts = ", ".join(f"({b - j})" for j, b in enumerate(blanks, start=1))
        con.execute(f"CREATE OR REPLACE TEMP TABLE _blank_shift AS "
                    f"SELECT * FROM (VALUES {shifts}) AS t(v)")
        con.execute(f"UPDATE {out} SET _row = _row + (SELECT count(*) FROM _blank_shift "
                    f"WHERE v < {out}._row)")


def _blank_lines(path: Path, after: int, records: int) -> list[int]:
    """Row numbers (records, from 1, as a spreadsheet counts them) of the empty lines of a
    text file after row ``after`` that have a non-empty row below them. An empty line inside
    a quoted cell is part of the cell.

    ``records`` is how many rows the file was read as, the header and the lines above it
    included: when the file has that many lines, none is empty, which one count of its line
    breaks tells (0.2 s a GB); only otherwise is it read line by line.
    """
    with path.open("rb") as handle:
        lines, last = 0, b""
        while chunk := handle.read(16 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
        if lines + (last not in (b"\n", b"")) == records:
            return []
        handle.seek(0)
        blanks, pending, quoted, record = [], [], False, 0
        for line in handle:
            if not quoted:  # the line starts a record (a spreadsheet row)
                record += 1
                if record > after:
                    if line.strip(b"\r\n"):
                        blanks += pending
                        pending = []
                    else:
                        pending.append(record)
            quoted ^= line.count(b'"') % 2 == 1  # a quoted cell runs on to the next line
    return blanks


def _read_whitespace(con, path: Path, table: str, header: bool) -> None:
    """Whitespace-separated text (fixed-width dumps such as CDNOW's): split on runs of blanks."""
    con.execute("CREATE OR REPLACE TEMP TABLE _lines AS SELECT string_split_regex(trim(line), "
                "'\\s+') AS parts FROM read_csv(?, columns={'line': 'VARCHAR'}, delim=chr(0),"
                " header=false, quote='', escape='') WHERE trim(line) <> ''", [str(path)])
    width = con.execute("SELECT max(len(parts)) FROM _lines").fetchall()[0][0] or 0
    if header:
        names = con.execute("SELECT parts FROM _lines LIMIT 1").fetchall()[0][0]
        names = [n or f"column{i + 1}" for i, n in enumerate(names)]
        names += [f"column{i + 1}" for i in range(len(names), width)]
    else:
        names = [f"column{i + 1}" for i in range(width)]
    columns = ", ".join(f"parts[{i + 1}] AS {_q(n)}" for i, n in enumerate(names))
    offset = "OFFSET 1" if header else ""
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {columns} FROM _lines {offset}")
    con.execute("DROP TABLE _lines")


WORKBOOKS = {"xlsx", "xls", "ods"}
#: Rows read to find the header of a sheet not read (at least HEADER_SEARCH_ROWS filled).
HEAD_ROWS = 4 * HEADER_SEARCH_ROWS


def _read_workbook(con, path: Path, source: Source, table: str, kind: str) -> FileInfo:
    """A sheet of an Excel (.xlsx or 1997-2003 .xls) or OpenDocument (.ods) workbook, read
    with calamine: a 500,000-row sheet takes seconds (openpyxl, which writes the playbook's
    own workbooks, needs about a minute).
    """
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own errors for a damaged file
        raise DataError(f"{path}: cannot be opened as a spreadsheet ({_first_line(exc)}). "
                        f"Open it in Excel or LibreOffice, save it again as .xlsx or CSV, and "
                        f"run again.") from None
    with book:
        names = book.sheet_names
        if source.sheet is not None:
            if isinstance(source.sheet, int):
                if not 0 <= source.sheet < len(names):
                    raise DataError(f"{path}: there is no sheet number {source.sheet} (counted "
                                    f"from 0); the workbook has {len(names)}: "
                                    f"{', '.join(names)}. Fix 'sheet' in the parameters.")
                chosen = [names[source.sheet]]
            elif source.sheet not in names:
                raise DataError(f"{path}: there is no sheet {source.sheet!r}; the sheets are: "
                                f"{', '.join(repr(n) for n in names)}. Fix 'sheet' in the "
                                f"parameters.")
            else:
                chosen = [source.sheet]
        else:
            chosen = names
        for name in chosen:
            rows = _sheet_rows(_sheet_cells(book, path, name))
            if rows is not None:
                break
        else:
            what = f"sheet {chosen[0]!r} is" if source.sheet is not None else "every sheet is"
            raise DataError(f"{path}: {what} empty. Check that the export holds the data, "
                            f"or name the sheet that does with 'sheet' in the parameters.")
        # A workbook split by year or month ("2024", "2025") holds more of the same table:
        # only the first is read (as documented), and the others are reported.
        unread = {}
        for other in chosen[chosen.index(name) + 1:]:  # sheet names are unique
            # The header is found in the first rows; only a sheet with the same header is
            # read whole, to count its rows (a big sheet of something else costs nothing).
            cells = _sheet_cells(book, path, other, nrows=HEAD_ROWS)
            whole = len(cells) < HEAD_ROWS
            if not whole and sum(any(_cell_text(v) is not None for v in row)
                                 for row in cells) < HEADER_SEARCH_ROWS:
                cells, whole = _sheet_cells(book, path, other), True  # too few to judge by
            more = _sheet_rows(cells)
            if more is None or more[1] != rows[1]:
                continue
            if not whole:
                more = _sheet_rows(_sheet_cells(book, path, other))
            unread[other] = len(more[2])
    header_row, header, body = rows
    if not source.header:
        body = [(header_row, header), *body]
        header = [f"column{i + 1}" for i in range(len(header))]
    header = _unique([h if h else f"column{i + 1}" for i, h in enumerate(header)])
    columns = {"_row": pa.array([n for n, _ in body], pa.int64())}
    for i, column in enumerate(header):
        columns[column] = pa.array([v[i] if i < len(v) else None for _, v in body], pa.string())
    arrow = pa.table(columns)
    con.register("_xlsx", arrow)
    con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _xlsx")
    con.unregister("_xlsx")
    # "_row" in the headers tells read_raw to keep the sheet's own row numbers.
    return FileInfo(name=path.name, kind=kind, rows_read=0, headers=["_row", *header],
                    mapping={}, sheet=name, unread_sheets=unread)


def _sheet_cells(book, path: Path, name: str, nrows: int | None = None) -> list[list]:
    """The cells of sheet ``name`` from its first row (its first ``nrows`` rows)."""
    try:
        return book.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=nrows)
    except Exception as exc:  # calamine's own errors for a damaged sheet
        raise DataError(f"{path}: sheet {name!r} cannot be read ({_first_line(exc)}). Open the "
                        f"file in Excel or LibreOffice, save it again as .xlsx or CSV, and run "
                        f"again.") from None


def _sheet_rows(values: list[list]):
    """(header row number, header, [(row number, values)]) of a sheet's cells (every row from
    the sheet's first, as calamine gives them), or None if it is empty.

    Exports often open with a title ("Продажи за 2025 год") above the table: the header
    is the first of the leading rows that fills at least 60% as many cells as the widest
    of them (and two or more), so title rows are skipped.
    """
    rows = []
    for number, row in enumerate(values, start=1):
        cells = [_cell_text(v) for v in row]
        if any(c is not None for c in cells):
            rows.append((number, cells))
    if not rows:
        return None
    filled = [sum(c is not None for c in cells) for _, cells in rows[:HEADER_SEARCH_ROWS]]
    need = max(2, -(-6 * max(filled) // 10))
    start = next((i for i, n in enumerate(filled) if n >= need), 0)
    header_row, cells = rows[start]
    header = [c.strip() if c else "" for c in cells]
    while header and not header[-1]:
        header.pop()
    return header_row, header, rows[start + 1:]


def _cell_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def _read_parquet(con, path: Path, table: str) -> FileInfo:
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_parquet(?)",
                    [str(path)])
    except duckdb.Error as exc:
        raise DataError(f"{path}: cannot be read as Parquet ({_first_line(exc)}). Export it "
                        f"again, or as CSV or XLSX.") from None
    headers = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    return FileInfo(name=path.name, kind="parquet", rows_read=0, headers=headers, mapping={})


def read_raw(con: duckdb.DuckDBPyConnection, source: Source, table: str,
             work_dir: Path) -> FileInfo:
    """Load a client file into DuckDB table ``table``, every column as text, in file order.

    The table gets a ``_row`` column: the row's number as a spreadsheet would show it (the
    header is row 1), used to point at offending rows in messages.
    """
    try:
        raw = _open_raw(con, source, table, work_dir)
        if raw.relation != table:
            _build(con, raw, table, ["*"])
    except _NotUtf8:
        return read_raw(con, _as_cp1251(source), table, work_dir)
    return raw.info


def _as_cp1251(source: Source) -> Source:
    return source.model_copy(update={"encoding": "cp1251"})


def _open_raw(con, source: Source, table: str, work_dir: Path) -> _Raw:
    """Open a client file for reading (see :class:`_Raw`); a delimited text file is sniffed
    and checked to have a data row, but not read yet.
    """
    path = source.path
    if not path.exists():
        hint = ""
        if path.parent.exists():
            near = [p.name for p in path.parent.iterdir() if p.is_file()][:8]
            hint = f" Files in {path.parent}: {', '.join(near) or 'none'}."
        raise DataError(f"{path}: the file does not exist.{hint} Check 'path' in the "
                        f"parameters (paths are relative to the parameters file).")
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a file. Point 'path' at the export itself.")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes). Export the data again.")
    with path.open("rb") as handle:
        head = handle.read(1 << 16)
    kind = _sniff_kind(path, head)
    if kind in WORKBOOKS:
        raw = _Raw(_read_workbook(con, path, source, table, kind), table)
    elif kind == "parquet":
        raw = _Raw(_read_parquet(con, path, table), table)
    else:
        raw = _read_csv(con, path, source, table, work_dir)
    info = raw.info
    if raw.csv is None and "_row" not in info.headers:
        first = 2 if source.header else 1
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT CAST(rowid + {first} AS BIGINT)"
                    f" AS _row, * FROM {table}")
    info.headers = [h for h in info.headers if h != "_row"]
    if raw.csv is None:
        info.rows_read = con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        empty = info.rows_read == 0
    else:  # counted when it is read
        empty = not _run(con, raw, f"SELECT 1 FROM {raw.relation} LIMIT 1")
    if empty:
        raise DataError(f"{path}: has a header row ({', '.join(info.headers[:8])}) but no data "
                        f"rows. Export the data again with the rows included.")
    return raw
