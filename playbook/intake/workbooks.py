"""Reading a sheet of a workbook (.xlsx, .xls, .ods) with calamine, as rows of text.

A workbook is checked before it is unpacked (:func:`_check_archive`: declared sizes and
packing, against zip bombs), then read in a forked child process with a memory and a time
limit (:func:`_isolated`), which writes the sheet as an Arrow file that becomes a DuckDB
table with the sheet's row numbers (:func:`_read_workbook`). Reading the sheet skips title
rows above the header, caps a sheet's cells, stops at formulas whose results were never
saved, and reports other sheets with the same header. :mod:`~playbook.intake.sources`
opens the file and calls it for a workbook.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import posixpath
import re
import select
import signal
import sys
import time
import zipfile
from pathlib import Path

import pyarrow as pa

from playbook.errors import MAX_ROWS_QUOTED, DataError, format_rows
from playbook.intake.model import FileInfo
from playbook.intake.sniff import HEADER_SEARCH_ROWS
from playbook.intake.sql import _first_line, _unique
from playbook.params import Source

WORKBOOKS = {"xlsx", "xls", "ods"}
#: Rows read to find the header of a sheet not read (at least HEADER_SEARCH_ROWS filled).
HEAD_ROWS = 4 * HEADER_SEARCH_ROWS

# Limits on a workbook, generous for real exports: a full Excel sheet (1,048,576 rows) of
# twenty text columns unpacks to about 1 GB of XML and is read in well under a minute with
# 2 GB of memory. Beyond them a file is damaged or built to exhaust the machine (a
# "decompression bomb": a few kilobytes that unpack to gigabytes, or one cell far out that
# makes a sheet of billions), and the message says to save the sheet as CSV.
#: The most the parts of a workbook (.xlsx and .ods are ZIP archives) may unpack to, in all.
MAX_UNPACKED_BYTES = 2 << 30
#: The most a part of over a megabyte may be compressed: spreadsheet XML packs 5 to 30
#: times smaller, a decompression bomb hundreds or thousands of times.
MAX_COMPRESSION = 200
#: The most cells (rows x columns, from A1 to the last cell used) of a sheet read whole: a
#: full Excel sheet of 30 columns.
MAX_SHEET_CELLS = 32_000_000
#: The memory (address space) that reading a workbook may take on top of what intake holds
#: already: a sheet of MAX_SHEET_CELLS takes about 4.5 GB. The reader (calamine, native code)
#: holds a sheet's every cell at once: one far-out cell makes it ask for more than the
#: machine has, and it aborts the process rather than raise.
WORKBOOK_MEMORY = 6 << 30
#: How long reading a workbook may take, at most (a sheet of a million rows takes 15 s).
WORKBOOK_SECONDS = 300
#: Rows of a sheet turned into Arrow at a time.
BATCH_ROWS = 1 << 16
# Workbooks are read in a child process (see _isolated) where fork is safe to use.
_FORK = sys.platform.startswith("linux")
_SIGNALS = {int(s) for s in signal.Signals}


def _read_workbook(con, path: Path, source: Source, table: str, kind: str,
                   work_dir: Path) -> FileInfo:
    """A sheet of an Excel (.xlsx or 1997-2003 .xls) or OpenDocument (.ods) workbook, read
    with calamine: a 500,000-row sheet takes seconds (openpyxl, which writes the playbook's
    own workbooks, needs about a minute).

    calamine is native code, and a damaged or hostile workbook can make it panic, abort the
    process or exhaust memory. So the archive is checked first (:func:`_check_archive`), and
    the sheet is read in a child process with a memory and a time limit
    (:func:`_isolated`), which hands it over as an Arrow file in the work folder: whatever
    happens there, intake stops with a message naming the file.
    """
    if kind in {"xlsx", "ods"}:
        _check_archive(path)
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / f"_{table}.arrow"
    try:
        found = _isolated(lambda: _load_workbook(path, source, kind, target), path,
                          work_dir / f"_{table}.log")
        with pa.memory_map(str(target)) as mapped:
            arrow = pa.ipc.open_file(mapped).read_all()
            con.register("_xlsx", arrow)
            con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM _xlsx")
            con.unregister("_xlsx")
            del arrow
    finally:
        target.unlink(missing_ok=True)
    # "_row" in the headers tells read_raw to keep the sheet's own row numbers.
    return FileInfo(name=path.name, kind=kind, rows_read=0, headers=["_row", *found["header"]],
                    mapping={}, sheet=found["sheet"], unread_sheets=found["unread"])


def _check_archive(path: Path) -> None:
    """Refuse a workbook whose ZIP archive declares parts too big or too tightly packed to
    be a real spreadsheet (see :data:`MAX_UNPACKED_BYTES`), before the reader unpacks any.

    The sizes are those the archive declares. One that lies (declares less than its parts
    hold) gets past this; the reader then meets the memory limit of :func:`_isolated`.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be opened as a spreadsheet ({_first_line(exc)}). "
                        f"Open it in Excel or LibreOffice, save it again as .xlsx or CSV, and "
                        f"run again.") from None
    advice = ("It is damaged or built to exhaust the computer's memory (a \"zip bomb\"). Open "
              "it in Excel or LibreOffice and save the sheet as CSV, or ask for the export "
              "again, and run again.")
    total = sum(part.file_size for part in parts)
    if total > MAX_UNPACKED_BYTES:
        raise DataError(f"{path}: unpacks to {_size(total)}, more than the "
                        f"{_size(MAX_UNPACKED_BYTES)} a workbook may hold (a sheet of a million "
                        f"rows and twenty columns is about 1 GB). {advice}")
    for part in parts:
        if part.file_size > 1 << 20 and \
                part.file_size > MAX_COMPRESSION * max(part.compress_size, 1):
            raise DataError(f"{path}: its part {part.filename!r} unpacks from "
                            f"{_size(part.compress_size)} to {_size(part.file_size)}, "
                            f"{part.file_size // max(part.compress_size, 1):,} times over; a "
                            f"spreadsheet packs at most {MAX_COMPRESSION} times. {advice}")


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n} bytes"


def _isolated(work, path: Path, log: Path) -> dict:
    """``work()`` (reading a workbook with calamine) run in a child process, forked so that
    it starts at once with everything loaded, with :data:`WORKBOOK_MEMORY` more memory than
    intake holds and :data:`WORKBOOK_SECONDS` to finish; its output goes to ``log``, never to
    the console.

    The child hands back work()'s result, or the message of a DataError it raised. A panic
    of the reader (python-calamine raises a PanicException, which derives from
    BaseException, not Exception), running out of memory, an abort, a crash or a hang: each
    becomes a DataError naming the file. Without fork (not Linux), work() runs here, with
    the same messages for what it raises.
    """
    if not _FORK:
        return _unwrap(_outcome(work, reraise_interrupts=True), path, None, log)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: whatever happens, it ends here and never returns
        code = 70
        try:
            os.close(read_end)
            _quiet(log)
            _limit_memory(WORKBOOK_MEMORY)
            data = json.dumps(_outcome(work)).encode()
            with os.fdopen(write_end, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write_end)
    data, running = None, True
    try:
        data = _read_until(read_end, WORKBOOK_SECONDS)
        if data is not None:
            running = False
    finally:
        os.close(read_end)
        if running:  # timed out, or interrupted
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _, status = os.waitpid(pid, 0)
    if data is None:
        log.unlink(missing_ok=True)
        raise DataError(f"{path}: reading it took more than {WORKBOOK_SECONDS:,} seconds, "
                        f"and was stopped; a real export of a million rows takes under a minute. "
                        f"The file is damaged or unusual: open it in Excel or LibreOffice, save "
                        f"the sheet as CSV, and run again.")
    outcome = json.loads(data) if data else None
    return _unwrap(outcome, path, status, log)


def _outcome(work, *, reraise_interrupts: bool = False) -> dict:
    """{"ok": work()}, or what went wrong: {"data_error": message}, or {"crash": what} for
    anything else raised, BaseException included (a native reader's panic).
    """
    try:
        return {"ok": work()}
    except DataError as exc:
        return {"data_error": str(exc)}
    except (KeyboardInterrupt, SystemExit):
        if reraise_interrupts:
            raise
        return {"crash": "interrupted"}
    except BaseException as exc:  # a native reader's PanicException is one
        return {"crash": f"{type(exc).__name__}: {_first_line(exc)}"[:300],
                "memory": isinstance(exc, MemoryError)}


def _unwrap(outcome: dict | None, path: Path, status: int | None, log: Path) -> dict:
    """The result of :func:`_outcome`, or the DataError for what went wrong (``status``: the
    child's wait status; ``log``: its output, read for the reader's last words and removed).
    """
    said = ""
    if log.exists():
        with log.open("rb") as handle:  # the reader's last words come first, a backtrace next
            said = handle.read(1 << 16).decode("utf-8", "replace")
        log.unlink()
    if outcome and "ok" in outcome:
        return outcome["ok"]
    if outcome and "data_error" in outcome:
        raise DataError(outcome["data_error"])
    asked = re.search(r"memory allocation of (\d+) bytes failed", said)
    if asked or (outcome and outcome.get("memory")):
        need = f"it asked for {_size(int(asked.group(1)))} at once" if asked else "it ran out"
        raise DataError(f"{path}: reading it needs more memory than it may take ({need}; the "
                        f"limit is {_size(WORKBOOK_MEMORY)}). A sheet whose used range is far "
                        f"larger than its table (a stray cell far below or right of the data) "
                        f"does that, and so does a file built to exhaust memory. Open it in "
                        f"Excel or LibreOffice, delete the empty rows and columns around the "
                        f"table (or copy the table to a new workbook), save it as .xlsx or CSV, "
                        f"and run again.")
    if outcome:
        what = outcome["crash"]
    elif status is not None and os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        what = f"it crashed: {signal.Signals(number).name if number in _SIGNALS else number}"
    else:
        what = f"it stopped with exit status {os.waitstatus_to_exitcode(status or 0)}"
    raise DataError(f"{path}: the spreadsheet reader failed on this file ({what}). The file is "
                    f"damaged or unusual: open it in Excel or LibreOffice, save it again as "
                    f".xlsx (or the sheet as CSV), and run again.")


def _read_until(fd: int, seconds: float) -> bytes | None:
    """Everything from pipe ``fd`` up to its end, or None if that takes over ``seconds``."""
    deadline = time.monotonic() + seconds
    chunks = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _quiet(log: Path) -> None:
    """Send this (child) process's output to ``log``: a native reader's panic or abort
    prints a backtrace there, never on the console.
    """
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    # Python's own streams too: in a notebook's kernel they are sockets served by threads
    # that the child does not have.
    sys.stdout = sys.stderr = open(1, "w", encoding="utf-8", errors="replace",
                                   closefd=False)


def _limit_memory(extra: int) -> None:
    """Let this (child) process map ``extra`` bytes more than it has (RLIMIT_AS), where the
    system tells: beyond that an allocation fails instead of exhausting the machine.
    """
    try:
        import resource

        with open("/proc/self/statm") as statm:
            size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
        if soft == resource.RLIM_INFINITY or soft > limit:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass


def _load_workbook(path: Path, source: Source, kind: str, target: Path) -> dict:
    """Read the sheet of workbook ``path`` that the parameters name (else the first that is
    not empty) into Arrow file ``target``: ``_row`` (the sheet's row numbers) and its columns
    as text. Returns {"sheet": its name, "header": its columns, "unread": {other sheet with
    the same columns: its rows}}. Run by :func:`_isolated`.
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
        header_row, header, body = rows
        if not source.header:
            body = itertools.chain([(header_row, header)], body)
            header = [f"column{i + 1}" for i in range(len(header))]
        header = _unique([h if h else f"column{i + 1}" for i, h in enumerate(header)])
        blanks = _write_sheet(target, header, body)
        if blanks and kind == "xlsx":
            _refuse_unsaved_formulas(path, name, header_row, header)
        # A workbook split by year or month ("2024", "2025") holds more of the same table:
        # only the first is read (as documented), and the others are reported.
        unread = {}
        for other in chosen[chosen.index(name) + 1:]:  # sheet names are unique
            # The header is found in the first rows; only a sheet with the same header is
            # read whole, to count its rows (a big sheet of something else costs little).
            cells = list(_sheet_cells(book, path, other, nrows=HEAD_ROWS))
            whole = len(cells) < HEAD_ROWS
            if not whole and sum(any(_cell_text(v) is not None for v in row)
                                 for row in cells) < HEADER_SEARCH_ROWS:
                cells, whole = _sheet_cells(book, path, other), True  # too few to judge by
            more = _sheet_rows(cells)
            if more is None or more[1] != rows[1]:
                continue
            if not whole:
                more = _sheet_rows(_sheet_cells(book, path, other))
            unread[other] = sum(1 for _ in more[2])
    return {"sheet": name, "header": header, "unread": unread}


def _write_sheet(target: Path, header: list[str], body) -> bool:
    """Write the rows ``body`` ((row number, cells)) of a sheet with columns ``header`` to
    Arrow file ``target``, :data:`BATCH_ROWS` at a time (a sheet's text is never all in
    Python objects at once); whether any cell of theirs is empty.
    """
    schema = pa.schema([("_row", pa.int64())] + [(h, pa.string()) for h in header])
    blanks = False
    with pa.OSFile(str(target), "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        while batch := list(itertools.islice(body, BATCH_ROWS)):
            columns = [pa.array([n for n, _ in batch], pa.int64())]
            for i in range(len(header)):
                columns.append(pa.array([v[i] if i < len(v) else None for _, v in batch],
                                        pa.string()))
                blanks = blanks or columns[-1].null_count > 0
            writer.write_batch(pa.record_batch(columns, schema=schema))
    return blanks


def _sheet_cells(book, path: Path, name: str, nrows: int | None = None):
    """The cells of sheet ``name``, row by row from its first (A1), as calamine gives them;
    only its first ``nrows`` rows when given. A sheet read whole may have at most
    :data:`MAX_SHEET_CELLS` cells.
    """
    try:
        sheet = book.get_sheet_by_name(name)
        end = sheet.end
    except Exception as exc:  # calamine's own errors for a damaged sheet
        raise DataError(f"{path}: sheet {name!r} cannot be read ({_first_line(exc)}). Open the "
                        f"file in Excel or LibreOffice, save it again as .xlsx or CSV, and run "
                        f"again.") from None
    if end is None:
        return
    cells = (end[0] + 1) * (end[1] + 1)
    if nrows is None and cells > MAX_SHEET_CELLS:
        raise DataError(f"{path}: sheet {name!r} spans {end[0] + 1:,} rows and {end[1] + 1:,} "
                        f"columns (A1:{_column(end[1])}{end[0] + 1}, {cells:,} cells), more "
                        f"than the {MAX_SHEET_CELLS:,} intake reads from a sheet. A stray cell "
                        f"far below or right of the table makes a sheet that big: in Excel, "
                        f"delete the rows and columns around the table (or copy the table to "
                        f"a new workbook), or save the sheet as CSV, and run again.")
    # iter_rows starts at row 1 but at the first column used: pad to column A.
    pad = [None] * sheet.start[1]
    try:
        for number, row in enumerate(sheet.iter_rows()):
            if nrows is not None and number >= nrows:
                return
            yield pad + row if pad else row
    except Exception as exc:
        raise DataError(f"{path}: sheet {name!r} cannot be read ({_first_line(exc)}). Open the "
                        f"file in Excel or LibreOffice, save it again as .xlsx or CSV, and run "
                        f"again.") from None


def _column(index: int) -> str:
    """Excel's name of column ``index`` (from 0): A, ..., Z, AA, ..."""
    name, index = "", index + 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _sheet_rows(values):
    """(header row number, header, iterator of (row number, values)) of a sheet's cells
    (every row from the sheet's first, as calamine gives them), or None if it is empty.

    Exports often open with a title ("Продажи за 2025 год") above the table: the header
    is the first of the leading rows that fills at least 60% as many cells as the widest
    of them (and two or more), so title rows are skipped.
    """
    rows = _filled_rows(values)
    first = list(itertools.islice(rows, HEADER_SEARCH_ROWS))
    if not first:
        return None
    filled = [sum(c is not None for c in cells) for _, cells in first]
    need = max(2, -(-6 * max(filled) // 10))
    start = next((i for i, n in enumerate(filled) if n >= need), 0)
    header_row, cells = first[start]
    header = [c.strip() if c else "" for c in cells]
    while header and not header[-1]:
        header.pop()
    return header_row, header, itertools.chain(first[start + 1:], rows)


def _filled_rows(values):
    """(row number, cells as text) of the rows of ``values`` with a cell filled."""
    for number, row in enumerate(values, start=1):
        cells = [_cell_text(v) for v in row]
        if any(c is not None for c in cells):
            yield number, cells


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


# A cell with a formula and no value after it (<v/>, <v></v> or none): group 1 its
# attributes, group 2 the formula (none for a shared formula's other cells).
_FORMULA_CELL = re.compile(
    rb'<c\s([^>]*)>\s*<f(?:\s[^>]*)?(?:/>|>([^<]*)</f>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>')
_CELL_REF = re.compile(rb'\br="([A-Z]+)(\d+)"')


def _refuse_unsaved_formulas(path: Path, sheet: str, header_row: int,
                             header: list[str]) -> None:
    """Stop with a message if cells of the table (below ``header_row``) of .xlsx sheet
    ``sheet`` hold a formula whose result was never saved.

    Excel saves each formula's last result with it; a program that writes workbooks
    (openpyxl, say) saves the formula alone, and the reader sees an empty cell. Dropping
    such rows would be wrong; opening and saving the workbook in Excel calculates them. Only
    looked for when the table has empty cells.
    """
    cells, total = _unsaved_formulas(path, sheet, header_row)
    if not total:
        return
    quoted = [(row, f"{header[col] if col < len(header) else _column(col)}: ={formula}")
              for row, col, formula in cells]
    raise DataError(f"{path}: sheet {sheet!r} has {total:,} cell(s) with a formula whose "
                    f"result was never saved, so they read as empty: "
                    f"{format_rows(quoted, total)}. The workbook was written by a program, "
                    f"not saved by Excel. Open it in Excel or LibreOffice and save it (that "
                    f"calculates the formulas and stores their results), and run again.")


def _unsaved_formulas(path: Path, sheet: str, below: int):
    """([(row, column index, formula)] of the first cells, how many in all) of sheet
    ``sheet`` of .xlsx workbook ``path`` below row ``below`` with a formula and no value.
    """
    import html

    found, total = [], 0
    with zipfile.ZipFile(path) as archive:
        part = _sheet_part(archive, sheet)
        if part is None:
            return found, total
        with archive.open(part) as stream:
            rest = b""
            while chunk := stream.read(16 << 20):
                data = rest + chunk
                end = data.rfind(b"</c>") + 4  # a cell cut by the chunk's end goes on
                data, rest = (data[:end], data[end:]) if end >= 4 else (b"", data[-65536:])
                if b"<f" not in data:
                    continue
                for match in _FORMULA_CELL.finditer(data):
                    ref = _CELL_REF.search(match.group(1))
                    # t="str" with no value: a formula whose result is "" (Excel's way).
                    if not ref or b't="str"' in match.group(1) or int(ref.group(2)) <= below:
                        continue
                    total += 1
                    if len(found) < MAX_ROWS_QUOTED:
                        formula = html.unescape((match.group(2) or b"").decode("utf-8",
                                                                                "replace"))
                        found.append((int(ref.group(2)), _column_index(ref.group(1).decode()),
                                      formula or "(shared)"))
    return found, total


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index - 1


def _sheet_part(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The archive path of .xlsx sheet ``sheet`` (xl/worksheets/sheet1.xml, say)."""
    from xml.etree import ElementTree

    relation = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        links = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return None
    ids = [e.get(relation) for e in book.iter() if e.tag.endswith("}sheet")
           and e.get("name") == sheet]
    for link in links:
        if ids and link.get("Id") == ids[0]:
            target = link.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
    return None
