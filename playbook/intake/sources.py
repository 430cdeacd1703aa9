"""Opening a client file for reading: delimited text as a DuckDB view, Parquet as a table.

Every file becomes a relation whose rows are all text, in file order, with the row
numbers a consultant sees (see :class:`_Raw`). A workbook's sheet is read by
:mod:`~playbook.intake.workbooks`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from playbook.errors import DataError, format_rows
from playbook.intake.decode import Utf8Seen, _transcode
from playbook.intake.model import FileInfo
from playbook.intake.sniff import (
    _find_table,
    _quoted,
    _records_where,
    _rows_by_class,
    _sniff_encoding,
    _sniff_kind,
    _text_head,
    _utf8_line,
    _why_not_a_table,
)
from playbook.intake.sql import _first_line, _kw, _lit, _q, _sep_name
from playbook.intake.workbooks import WORKBOOKS, _read_workbook
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
    declared: str | None = None  # the encoding the parameters give, if they do

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
    except UnicodeError as exc:
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
        # cp1251 guessed, not given: a file with UTF-8 lines too must not be read as cp1251
        # in silence (their letters would turn into "РљР»").
        guessed = source.encoding is None and encoding == "cp1251"
        try:
            try:
                readable = _transcode(path, encoding, work_dir, watch_utf8=guessed)
            except Utf8Seen:
                if error := _mixed_encodings(path):
                    raise error from None
                readable = _transcode(path, encoding, work_dir)
        except UnicodeError as exc:
            where = f"byte {exc.start:,} is not valid there" if hasattr(exc, "start") else exc
            raise DataError(f"{path}: cannot be decoded as {encoding} ({where}). Save the file "
                            f"as UTF-8 or cp1251, or set 'encoding' for this file in the "
                            f"parameters.") from None
    _refuse_nul(path, readable)
    info = FileInfo(name=path.name, kind="csv", rows_read=0, headers=[], mapping={},
                    encoding=encoding.replace("-sig", " (BOM)"), delimiter=delimiter,
                    lines_above_header=above)
    options = dict(header=source.header, all_varchar=True, quote='"', escape='"',
                   null_padding=True, strict_mode=False, ignore_errors=False)
    if above:
        options["skip"] = above
    scan = _CsvScan(path, readable, encoding, delimiter, options,
                    above + (2 if source.header else 1), declared=source.encoding)
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
    """The exception for DuckDB's error reading a text file: :class:`_NotUtf8` for a file
    guessed to be UTF-8 that has bytes further on that are not, and has no other UTF-8 text
    beyond ASCII (plain ASCII, then cp1251: read again as cp1251); else a DataError.
    """
    if scan.readable == scan.path and "invalid unicode" in str(exc).lower():
        claim = (f"the parameters say encoding: {scan.declared}" if scan.declared else
                 "it starts with a UTF-8 byte-order mark" if scan.encoding == "utf-8-sig"
                 else None)
        if error := _mixed_encodings(scan.path, claim):
            return error
        if not claim:
            return _NotUtf8()
    return DataError(f"{scan.path}: cannot be read as a {_sep_name(scan.delimiter)}-separated "
                     f"table ({_first_line(exc)}). Check that the file is a plain export and "
                     f"that quotes are balanced.")


def _refuse_nul(path: Path, readable: Path) -> None:
    """Stop with a message naming the rows of a text file that hold NUL bytes (character 0).

    No export writes them: they come from a damaged copy or download, or a file in an
    encoding taken for another. DuckDB would read them into cells, where they would pass
    unseen. Looking costs one read of the file at memory speed (memchr), a few hundredths of
    a second for a 100 MB export; only a file that has one is read line by line.
    """
    with readable.open("rb") as handle:
        while chunk := handle.read(16 << 20):
            if b"\x00" in chunk:
                break
        else:
            return
    n, rows = _records_where(readable, lambda line: b"\x00" in line)
    quoted = format_rows([(r, _quoted(line)) for r, line in rows], n)
    raise DataError(f"{path}: {n:,} row(s) hold NUL bytes (character 0), which no export "
                    f"writes: {quoted}. The file was damaged in a copy or download, or is not "
                    f"plain text: export it again. If only these rows are damaged, delete the "
                    f"NUL characters in a text editor (Notepad++ shows them as NUL) or the "
                    f"rows themselves, and run again.")


def _mixed_encodings(path: Path, claim: str | None = None) -> DataError | None:
    """The message for a text file whose lines are in two encodings (exports joined
    together, say), or None when all its lines beyond ASCII are in one.

    Lines are told apart one by one: a line with letters beyond ASCII is UTF-8 if it decodes
    as UTF-8 (a line of cp1251 Cyrillic practically never does: its letters are bytes that
    UTF-8 never puts side by side) and in another encoding (cp1251, most likely) if not.
    Intake stops here, rather than decoding each line by its own encoding: which encoding
    the other lines are in is a guess (cp1251, koi8-r and cp866 all fit any bytes), and a
    wrong guess would put garbled names into the report without a word. The message names
    the minority's rows; the consultant fixes them or exports the file again in one encoding.
    With ``claim`` (why the file must be UTF-8: the parameters say so, or its byte-order
    mark), the rows that are not UTF-8 are named whatever the others are.
    """
    classes = _rows_by_class(path, _utf8_line)
    utf8, other = classes.get(True, (0, [])), classes.get(False, (0, []))
    if not other[0]:
        return None
    if claim:
        rows = format_rows([(r, _quoted(line, "cp1251")) for r, line in other[1]], other[0])
        advice = ("Set 'encoding' for this file to its real encoding (cp1251 for most "
                  "Russian Windows exports), or leave it out to detect it; if the file mixes "
                  "encodings, save it again in one." if "parameters" in claim else
                  "Export the file again, or retype those rows in a text editor and save the "
                  "file as UTF-8, and run again.")
        return DataError(f"{path}: {other[0]:,} row(s) are not UTF-8 text, though {claim}: "
                         f"{rows} (shown as cp1251). {advice}")
    if not utf8[0]:
        return None
    if utf8[0] >= other[0]:
        rows = format_rows([(r, _quoted(line, "cp1251")) for r, line in other[1]], other[0])
        what = (f"most of its rows are UTF-8, but {other[0]:,} row(s) are in another "
                f"encoding (cp1251, as shown here): {rows}")
    else:
        rows = format_rows([(r, _quoted(line)) for r, line in utf8[1]], utf8[0])
        what = f"most of its rows are in cp1251, but {utf8[0]:,} row(s) are UTF-8: {rows}"
    return DataError(f"{path}: the file mixes two encodings: {what}. It was probably put "
                     f"together from several exports. Export it again in one go, or open it "
                     f"in a text editor, retype or delete those rows and save the file as "
                     f"UTF-8, and run again (reading it in one encoding would garble the "
                     f"others' names).")


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


def _long_rows(scan: _CsvScan, rows: Iterable[int]) -> tuple[list[int], int]:
    """Which of ``rows`` (spreadsheet row numbers) have more cells than the header, and how
    many the header has: a delimiter inside a cell that is not in quotes moves the cells
    after it to the right. (DuckDB, reading leniently, may have taken the longer rows' count
    for the file's.) Without a header row, the first data row's count stands for it.

    Reads the file only as far as the last of ``rows``, as a spreadsheet counts rows (a
    quoted cell may run over several lines).
    """
    wanted = set(rows)
    if not wanted:
        return [], 0
    last = max(wanted)
    first = scan.first_row - 1 if scan.options.get("header") else scan.first_row
    found, cells = [], 0
    with scan.readable.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=scan.delimiter, quotechar='"', doublequote=True)
        try:
            for row, record in enumerate(reader, start=1):
                if row == first:
                    cells = len(record)
                elif row in wanted and cells and len(record) > cells:
                    found.append(row)
                if row >= last:
                    break
        except csv.Error:  # a cell longer than the csv module reads: no answer past it
            pass
    return found, cells


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
    kind = _sniff_kind(path, head, source.encoding)
    if kind in WORKBOOKS:
        raw = _Raw(_read_workbook(con, path, source, table, kind, work_dir), table)
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
        more = f", … ({len(info.headers)} in all)" if len(info.headers) > 8 else ""
        raise DataError(f"{path}: has a header row ({', '.join(info.headers[:8])}{more}) but "
                        f"no data rows. Export the data again with the rows included.")
    return raw
