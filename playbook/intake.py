"""Intake: the one module that reads a client's files.

A client's export arrives as CSV (utf-8, utf-8 with BOM, cp1251 or UTF-16; ``;``, ``,``,
tab or whitespace separated; decimal commas; thousands separators with spaces), as a
workbook (.xlsx, .xls or .ods) or as Parquet. :func:`run_intake` reads it once per run, maps its columns to the playbook's
canonical names, parses dates and money, applies the documented handling of problem rows,
and writes normalised Parquet files that the notebooks read:

``transactions.parquet``
    customer_id, date, amount, margin, and whichever optional columns were mapped (order_id,
    quantity, product, category, channel, branch, manager, customer_name), in file order.
``customers.parquet``
    the customers file, when given: customer_id, name, manager, contact_person, birthday,
    first_deal, phone, email, source, referral.
``customer_summary.parquet``
    one row per customer (see :func:`playbook.summary.customer_summary`).
``intake.json``
    what was read, how, and every issue found with what was done about it.

Input files are only ever opened for reading. Every problem a consultant must fix raises a
:class:`~playbook.errors.DataError` naming the file, the column, up to five rows and what to do.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from playbook.errors import DataError, format_rows
from playbook.params import Params, Source
from playbook.summary import customer_summary_sql

__all__ = [
    "Issue",
    "FileInfo",
    "IntakeResult",
    "run_intake",
    "read_raw",
    "detect_columns",
    "TRANSACTION_HEADERS",
    "CUSTOMER_HEADERS",
]

# Header synonyms, compared after normalising (lower case, ё -> е, punctuation to spaces).
# Within a canonical column, earlier groups win: a file with both "Код клиента" and
# "Контрагент" maps the code to customer_id and the name to customer_name.
NAME_HEADERS = ["клиент", "контрагент", "покупатель", "заказчик", "партнер",
                "наименование клиента", "customer", "client", "buyer", "customer name",
                "client name"]
TRANSACTION_HEADERS: dict[str, list[list[str]]] = {
    "customer_id": [
        ["код клиента", "код контрагента", "код покупателя", "id клиента", "customer id",
         "customerid", "client id", "clientid", "cust id", "customer code", "client code",
         "customer no", "customer number", "account id"],
        NAME_HEADERS,
    ],
    "date": [["дата", "дата продажи", "дата документа", "дата заказа", "дата покупки",
              "дата чека", "date", "order date", "invoice date", "invoicedate",
              "transaction date", "purchase date", "sale date", "period", "период"]],
    "amount": [["сумма", "выручка", "сумма продажи", "сумма с ндс", "сумма руб",
                "сумма документа", "стоимость", "amount", "revenue", "sales", "sales amount",
                "total", "sum", "net sales", "monetary", "order value", "value"]],
    "order_id": [["документ", "номер документа", "номер заказа", "заказ", "чек", "номер чека",
                  "order id", "orderid", "order", "order no", "order number", "invoice",
                  "invoice no", "invoiceno", "receipt", "document", "transaction id"]],
    "cost": [["себестоимость", "cost", "cogs", "cost of goods"]],
    "margin": [["маржа", "валовая прибыль", "прибыль", "наценка руб", "margin",
                "gross profit", "gross margin", "profit"]],
    "quantity": [["количество", "кол во", "qty", "quantity", "units"]],
    "price": [["цена", "цена за единицу", "цена продажи", "price", "unit price", "unitprice",
               "price per unit", "sale price"]],
    # A name before a code: "Номенклатура" and "Артикул", "Description" and "StockCode".
    "product": [["номенклатура", "товар", "наименование товара", "product", "product name",
                 "item", "description"],
                ["артикул", "код товара", "sku", "stockcode", "stock code", "item code",
                 "product code"]],
    "category": [["номенклатурная группа", "категория", "группа товаров", "группа",
                  "category", "product group", "product category"]],
    "channel": [["канал", "канал продаж", "channel", "sales channel"]],
    "branch": [["филиал", "подразделение", "магазин", "точка продаж", "branch", "store",
                "shop", "location"]],
    "customer_name": [NAME_HEADERS],
    "manager": [["менеджер", "ответственный", "торговый представитель", "manager",
                 "sales rep", "salesperson", "account manager", "rep"]],
}
CUSTOMER_HEADERS: dict[str, list[list[str]]] = {
    "customer_id": [["код клиента", "код контрагента", "код", "id клиента", "customer id",
                     "customerid", "client id", "id", "customer code", "client code"]],
    "name": [["наименование", "клиент", "контрагент", "название", "покупатель",
              "наименование клиента", "name", "customer", "client", "company",
              "customer name", "client name", "company name"]],
    "manager": TRANSACTION_HEADERS["manager"],
    "contact_person": [["контактное лицо", "контакт", "фио контакта", "contact",
                        "contact person", "contact name"]],
    "birthday": [["дата рождения", "день рождения", "дата рождения контакта",
                  "др контакта", "birthday", "birth date", "date of birth", "dob"]],
    "first_deal": [["дата первой сделки", "первая сделка", "дата первой покупки",
                    "клиент с", "first deal", "first deal date", "first purchase",
                    "first order date", "customer since"]],
    "phone": [["телефон", "тел", "мобильный", "телефон контакта", "phone", "mobile",
               "phone number", "tel"]],
    "email": [["e mail", "email", "эл почта", "электронная почта", "почта", "mail"]],
    "source": [["источник", "откуда узнали", "канал привлечения", "как узнали", "source",
                "lead source", "acquisition channel", "how found"]],
    "referral": [["по рекомендации", "рекомендация", "referral", "referred", "is referral"]],
}
REQUIRED = {"transactions": ("customer_id", "date", "amount"), "customers": ("customer_id",)}
#: Survey exports and the questionnaire template each is read with, unless the params say.
SURVEY_TEMPLATES = {"survey": "quarterly", "survey_annual": "annual", "exit_survey": "exit"}
#: Small tables beside the surveys: complaints per period, and the surveyed base.
SIDE_TABLES: dict[str, dict[str, list[list[str]]]] = {
    "complaints": {
        "period": [["период", "квартал", "месяц", "волна", "period", "quarter", "month",
                    "wave"]],
        "complaints": [["жалоб", "жалобы", "количество жалоб", "complaints"]],
        "customers": [["клиентов в базе", "клиентов", "база", "customers", "base"]],
    },
    "survey_base": {
        "wave": [["волна", "период", "квартал", "wave", "period"]],
        "segment": [["сегмент", "segment"]],
        "customers": [["клиентов в базе", "клиентов", "customers", "base"]],
        "invited": [["приглашено", "приглашённых", "invited"]],
    },
}
SIDE_REQUIRED = {"complaints": ("period", "complaints"),
                 "survey_base": ("wave", "segment", "customers")}
NUMERIC = {"amount", "cost", "margin", "quantity", "price"}
#: A missing column that others can stand in for: amount = quantity x price.
ALTERNATIVES = {"amount": ("quantity", "price")}
DATES = {"date", "birthday", "first_deal"}
REFERRAL_WORDS = ("рекоменд", "сарафан", "от знаком", "по совету", "referr", "recommend",
                  "word of mouth")
SAMPLE_ROWS = 20_000
#: How many leading rows of a sheet may hold a title above the table's header.
HEADER_SEARCH_ROWS = 30
#: A row whose first text says this is a total line of the export, not a sale (no \b:
#: DuckDB's RE2 knows word boundaries only between ASCII letters).
TOTALS = r"^\s*(итого|всего|итог|total|grand total|totals|subtotal)(\s|[.:,;-]|$)"
#: Text files from this size on are decoded by one process per CPU (see _transcode).
PARALLEL_TRANSCODE_BYTES = 32 << 20
TRANSCODE_WORKERS = 8
TRANSCODE_CHUNK = 1 << 20
#: DuckDB's share of memory; with Python, pandas and pyarrow a run stays under 1.5 GB.
MEMORY_LIMIT = "1GB"
# Snappy: zstd makes ten million transactions 15% smaller and their write 0.6 s slower.
COMPRESSION = "snappy"
NOT_CLEAN = "playbook: a row needs the thorough way"  # raised inside the quick write
QUICK_FILE = "transactions.parquet"  # the quick write's output, in the work folder


@dataclass
class Issue:
    """One kind of problem found in a file, how many rows it touched and what was done.

    ``action`` is one of: ``dropped``, ``netted``, ``kept``, ``kept_aside``, ``filled``,
    ``not_read``.
    """

    kind: str
    rows: int
    action: str
    file: str = ""
    column: str | None = None
    examples: list[tuple[int, str | None]] = field(default_factory=list)
    amount: float | None = None


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
        return self.out_dir / "transactions.parquet"

    @property
    def customers_path(self) -> Path | None:
        path = self.out_dir / "customers.parquet"
        return path if path.exists() else None

    @property
    def summary_path(self) -> Path:
        return self.out_dir / "customer_summary.parquet"


# ---------------------------------------------------------------------------------------
# Reading any supported file into a DuckDB table of strings, rows in file order.
# ---------------------------------------------------------------------------------------

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
    lines = [ln for ln in lines if ln.strip()][:50]
    records = _records(lines)
    best, best_score = None, 0
    for sep in (";", "\t", ",", "|"):
        counts = [_split_outside_quotes(rec, sep) for rec in records]
        if not counts or counts[0] == 0:
            continue
        consistent = sum(c == counts[0] for c in counts) / len(counts)
        score = consistent * 10 + min(counts[0], 9) / 10
        if consistent >= 0.9 and score > best_score:
            best, best_score = sep, score
    if best:
        return best
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


def _reads_as_table(lines: list[str], sep: str) -> bool:
    """Whether the records of ``lines`` all have the first one's number of ``sep`` (90%)."""
    counts = [_split_outside_quotes(rec, sep) for rec in _records([ln for ln in lines
                                                                    if ln.strip()][:50])]
    return bool(counts) and counts[0] > 0 and \
        sum(c == counts[0] for c in counts) / len(counts) >= 0.9


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


def _transcode(path: Path, encoding: str, work_dir: Path) -> Path:
    """Copy a non-UTF-8 text file to UTF-8 in the run's work folder (the input stays as is).

    Python's codecs do a few hundred MB a second, which makes decoding a big cp1251 export
    one of the costliest steps of a run, so a big file in a single-byte code page is decoded
    by one process per CPU (:func:`_transcode_parallel`); anything else in one pass here.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / f"{path.stem}.utf8{path.suffix or '.csv'}"
    if _cpus() > 1 and path.stat().st_size >= PARALLEL_TRANSCODE_BYTES \
            and _single_byte(encoding):
        return _transcode_parallel(path, encoding, target)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with path.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(TRANSCODE_CHUNK):
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return target


def _single_byte(encoding: str) -> bool:
    """True for code pages such as cp1251 or koi8-r: a byte is a character whatever follows
    it, so the file can be cut anywhere (not so in UTF-8, UTF-16, Shift JIS, GB18030...)."""
    def text(data: bytes) -> str | None:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            return None

    if text(b"A;\n") != "A;\n":  # UTF-16, UTF-32
        return False
    alone = [text(bytes([byte])) for byte in range(256)]
    return all(text(bytes([lead, trail])) == (None if None in (alone[lead], alone[trail])
                                               else alone[lead] + alone[trail])
               for lead in range(256) for trail in range(256))


# A worker of _transcode_parallel, run as `python -I -S -c`: a bare interpreter starts in
# milliseconds, where one importing the playbook (pandas, DuckDB) would take a second.
_TRANSCODE_PART = """
import sys
source, encoding, start, stop, target, chunk = sys.argv[1:]
position, stop, chunk = int(start), int(stop), int(chunk)
with open(source, "rb") as src, open(target, "r+b" if position == 0 else "wb") as dst:
    src.seek(position)
    while position < stop:
        data = src.read(min(chunk, stop - position))
        try:
            dst.write(data.decode(encoding).encode("utf-8"))
        except UnicodeDecodeError as exc:
            sys.stdout.write(str(position + exc.start))
            sys.exit(3)
        position += len(data)
"""


def _transcode_parallel(path: Path, encoding: str, target: Path) -> Path:
    """:func:`_transcode` with the file cut into one part per CPU, decoded side by side.

    In a single-byte code page any cut falls between two characters. The first part is
    written into ``target`` and the others into files of their own, appended to it in order
    afterwards (a copy inside the kernel, a fraction of the decoding time).
    """
    size = path.stat().st_size
    n = min(_cpus(), TRANSCODE_WORKERS)
    cuts = [size * i // n for i in range(n + 1)]
    parts = [target] + [target.with_name(f"{target.name}.part{i}") for i in range(1, n)]
    target.write_bytes(b"")
    # Each chunk's text and bytes are a few MB: glibc would map fresh pages for them from the
    # kernel and hand them back every time, and faulting those in cost more than decoding.
    # These keep them in the worker's heap, to be reused.
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(64 << 20),
           "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
    workers = [subprocess.Popen([sys.executable, "-I", "-S", "-c", _TRANSCODE_PART, str(path),
                                 encoding, str(start), str(stop), str(part),
                                 str(TRANSCODE_CHUNK)], stdout=subprocess.PIPE, env=env)
               for start, stop, part in zip(cuts, cuts[1:], parts)]
    outcomes = [(worker.communicate()[0], worker.returncode) for worker in workers]
    try:
        for out, code in outcomes:
            if code == 3:
                offset = int(out)
                raise UnicodeDecodeError(encoding, b"", offset, offset + 1, "invalid byte")
            if code != 0:
                raise OSError(f"decoding {path} as {encoding} failed (worker exit status {code})")
        with target.open("r+b") as dst:  # not "ab": copy_file_range refuses O_APPEND
            dst.seek(0, os.SEEK_END)
            for part in parts[1:]:
                with part.open("rb") as src:
                    _append(src, dst)
    finally:
        for part in parts[1:]:
            part.unlink(missing_ok=True)
    return target


def _cpus() -> int:
    """CPUs this process may run on (fewer than the machine's in a container or a cgroup)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _append(src, dst) -> None:
    """Copy the rest of file ``src`` to the end of ``dst``, inside the kernel where it can."""
    dst.flush()
    if hasattr(os, "copy_file_range"):
        while os.copy_file_range(src.fileno(), dst.fileno(), 1 << 30):
            pass
    else:
        shutil.copyfileobj(src, dst, 16 << 20)


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
    drop (:func:`_write_clean`): the file takes the thorough way."""


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
    # DEFAULT 0, not NULL: DuckDB then knows the column holds no NULLs, and Parquet files get
    # source_row as a required column.
    con.execute(f"ALTER TABLE {out} ADD COLUMN _row BIGINT DEFAULT 0")
    con.execute(f"UPDATE {out} SET _row = rowid + {raw.csv.first_row}")
    raw.info.rows_read = con.execute(f"SELECT count(*) FROM {out}").fetchall()[0][0]


def _read_whitespace(con, path: Path, table: str, header: bool) -> None:
    """Whitespace-separated text (fixed-width dumps such as CDNOW's): split on runs of blanks."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _lines AS SELECT string_split_regex(trim(line), "
                f"'\\s+') AS parts FROM read_csv(?, columns={{'line': 'VARCHAR'}}, delim=chr(0),"
                f" header=false, quote='', escape='') WHERE trim(line) <> ''", [str(path)])
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


def _read_workbook(con, path: Path, source: Source, table: str, kind: str) -> FileInfo:
    """A sheet of an Excel (.xlsx or 1997-2003 .xls) or OpenDocument (.ods) workbook, read
    with calamine: a 500,000-row sheet takes seconds (openpyxl, which writes the playbook's
    own workbooks, needs about a minute)."""
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
        for index, name in enumerate(chosen):
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
        for other in chosen[index + 1:]:
            more = _sheet_rows(_sheet_cells(book, path, other))
            if more is not None and more[1] == rows[1]:
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


def _sheet_cells(book, path: Path, name: str) -> list[list]:
    try:
        return book.get_sheet_by_name(name).to_python(skip_empty_area=False)
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
    and checked to have a data row, but not read yet."""
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


# ---------------------------------------------------------------------------------------
# Column mapping
# ---------------------------------------------------------------------------------------

def _norm(header: str) -> str:
    text = str(header).lower().replace("ё", "е").replace("_", " ")
    return re.sub(r"[^\w]+", " ", text).strip()


def detect_columns(headers: list[str], synonyms: dict[str, list[list[str]]],
                   explicit: dict[str, str | int], *, file: Path, required: tuple[str, ...],
                   ) -> dict[str, str]:
    """Map canonical column names to a file's headers.

    Explicit mappings from the parameters win; the rest are matched against ``synonyms``
    (exact header first, then a header starting with a synonym). A canonical column that two
    headers match equally well is ambiguous: an error, unless it is optional (then skipped).

    Returns
    -------
    dict
        ``{canonical: header}`` for every column found.
    """
    listing = ", ".join(repr(h) for h in headers)
    mapping: dict[str, str] = {}
    for canonical, header in explicit.items():
        if isinstance(header, int):
            if not 1 <= header <= len(headers):
                raise DataError(f"{file}: column number {header} for '{canonical}' is out of "
                                f"range; the file has {len(headers)} columns: {listing}.")
            header = headers[header - 1]
        if header not in headers:
            near = [h for h in headers if _norm(h) == _norm(header)]
            if near:
                header = near[0]
            else:
                raise DataError(f"{file}: the parameters map '{canonical}' to column "
                                f"{header!r}, which is not in the file. The file's columns "
                                f"are: {listing}. Fix 'columns' in the parameters.")
        mapping[canonical] = header
    taken = set(mapping.values())
    normed = {h: _norm(h) for h in headers}
    for canonical, groups in synonyms.items():
        if canonical in mapping:
            continue
        found = None
        for group in groups:
            names = set(group)
            for level in (lambda n: n in names,
                          lambda n: any(n.startswith(s + " ") for s in names)):
                hits = [h for h in headers if h not in taken and level(normed[h])]
                if len(hits) > 1:
                    if canonical in required:
                        raise DataError(
                            f"{file}: more than one column could be '{canonical}': "
                            f"{', '.join(repr(h) for h in hits)}. Say which one in the "
                            f"parameters, e.g. columns: {{{canonical}: {hits[0]!r}}}. The "
                            f"file's columns are: {listing}.")
                    hits = []
                    break
                if hits:
                    found = hits[0]
                    break
            if found:
                break
        twins = [h for h in headers if found and re.fullmatch(re.escape(found) + r"_\d+", h)]
        if twins:  # the file repeats the header: "Сумма;Сумма" is read as Сумма, Сумма_1
            if canonical in required:
                raise DataError(
                    f"{file}: {len(twins) + 1} columns are called {found!r}, so "
                    f"'{canonical}' is ambiguous. Rename them in the file, or say which one "
                    f"to use in the parameters, e.g. columns: {{{canonical}: {twins[0]!r}}} "
                    f"(repeated headers are read as {found!r}, "
                    f"{', '.join(repr(t) for t in twins)}). The file's columns are: {listing}.")
            found = None
        if found:
            mapping[canonical] = found
            taken.add(found)
    missing = [c for c in required if c not in mapping
               and not all(a in mapping for a in ALTERNATIVES.get(c, ("?",)))]
    if missing:
        raise DataError(f"{file}: cannot find the {' and '.join(repr(m) for m in missing)} "
                        f"column{'s' if len(missing) > 1 else ''}. The file's columns are: "
                        f"{listing}. Name them in the parameters, e.g. columns: "
                        f"{{{missing[0]}: {headers[0]!r}}}.")
    return mapping


# ---------------------------------------------------------------------------------------
# Parsing values: money and dates, formats detected from a sample of the column.
# ---------------------------------------------------------------------------------------

_BLANKS = (" ", "\u00a0", "\u202f", "\u2009", "'")


def _strip_blanks(expr: str) -> str:
    for ch in _BLANKS:
        expr = f"replace({expr}, {_lit(ch)}, '')"
    return expr


def _detect_decimal(values: list[str], delimiter: str | None) -> str:
    comma = dot = thousands = 0
    for raw in values:
        v = raw
        for ch in _BLANKS:
            v = v.replace(ch, "")
        if re.fullmatch(r"[-+(]?\d*(\.\d{3})*,\d+\)?-?", v) and not re.fullmatch(
                r"[-+(]?\d{1,3}(,\d{3})+\)?", v):
            comma += 1
        elif re.fullmatch(r"[-+(]?\d*(,\d{3})*\.\d+\)?", v) and not re.fullmatch(
                r"[-+(]?\d{1,3}(\.\d{3}){2,}\)?", v):
            dot += 1
        elif re.fullmatch(r"[-+(]?\d{1,3}(,\d{3})+\)?", v):
            thousands += 1
    # A tie goes to the decimal comma where the file's own convention suggests it: ';' or tab
    # separated text, or a workbook (numeric cells always read with a dot there).
    if comma > dot or (comma and comma == dot and delimiter in {";", "\t", None}):
        return ","
    if dot or thousands:
        return "."
    return "," if delimiter in {";", "\t"} else "."


def _number_sql(col: str, decimal: str) -> str:
    text = _strip_blanks(f"trim({col})")
    # The other mark is dropped only where it groups thousands (1.234,50 or 1,234.50): a
    # stray "10,5" in a dot-decimal column must fail (and be reported), not read as 105.
    other = "." if decimal == "," else ","
    grouped = _lit(rf"^\D*\d{{1,3}}(\{other}\d{{3}})+([{decimal}]|[^\d{other}]|$)")
    text = (f"CASE WHEN contains({text}, {_lit(other)}) AND regexp_matches({text}, {grouped}) "
            f"THEN replace({text}, {_lit(other)}, '') ELSE {text} END")
    if decimal == ",":
        text = f"replace({text}, ',', '.')"
    fast = f"TRY_CAST({text} AS DOUBLE)"
    # Slow path, only for rows the fast one could not read: currency marks, (123) negatives.
    minus = f"replace(replace(lower({text}), '\u2212', '-'), '\u2013', '-')"  # − and –
    cleaned = (f"regexp_replace({minus}, '(руб\\.?|р\\.|₽|rub|usd|eur|\\$|€)', '', 'g')")
    slow = (f"CASE WHEN regexp_full_match({cleaned}, '\\(.*\\)') THEN "
            f"-TRY_CAST(trim({cleaned}, '()') AS DOUBLE) "
            f"WHEN regexp_full_match({cleaned}, '[0-9.]+-') THEN "
            f"-TRY_CAST(rtrim({cleaned}, '-') AS DOUBLE) ELSE TRY_CAST({cleaned} AS DOUBLE) END")
    value = f"coalesce({fast}, CASE WHEN {col} IS NOT NULL THEN {slow} END)"
    return f"CASE WHEN isfinite({value}) THEN {value} END"


def _plain_number_sql(col: str, decimal: str) -> str:
    """:func:`_number_sql` for the plain form only (1234,56 or -1234.5), else NULL.

    Where this reads a number, the full expression reads the same one: it only drops
    blanks, which the cast ignores at the ends and fails on inside, and thousands marks,
    which this refuses.
    """
    other = "." if decimal == "," else ","
    text = f"replace({col}, ',', '.')" if decimal == "," else col
    value = f"CASE WHEN NOT contains({col}, {_lit(other)}) THEN TRY_CAST({text} AS DOUBLE) END"
    return f"CASE WHEN isfinite({value}) THEN {value} END"


_DATE_PATTERNS = [
    (r"\d{1,2}\.\d{1,2}\.\d{4}", "%d.%m.%Y"),
    (r"\d{4}-\d{1,2}-\d{1,2}", "%Y-%m-%d"),
    (r"\d{1,2}\.\d{1,2}\.\d{2}", "%d.%m.%y"),
    (r"\d{1,2}/\d{1,2}/\d{4}", "%d/%m/%Y"),
    (r"\d{1,2}-\d{1,2}-\d{4}", "%d-%m-%Y"),
    (r"\d{4}/\d{1,2}/\d{1,2}", "%Y/%m/%d"),
    (r"\d{4}\.\d{1,2}\.\d{1,2}", "%Y.%m.%d"),
    (r"\d{1,2}/\d{1,2}/\d{2}", "%d/%m/%y"),
    (r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])", "%Y%m%d"),
]
EXCEL_SERIAL = "excel serial"


def _date_part(value: str) -> str:
    return re.split(r"[ T]", value.strip(), maxsplit=1)[0]


def _detect_date_formats(values: list[str], declared: str | None) -> list[str]:
    if declared:
        return [declared]
    counts: dict[str, int] = {}
    month_first = day_first = 0
    for raw in values:
        v = _date_part(raw)
        for pattern, fmt in _DATE_PATTERNS:
            if re.fullmatch(pattern, v):
                counts[fmt] = counts.get(fmt, 0) + 1
                if "/" in fmt and fmt.startswith("%d"):
                    first, second = (int(x) for x in v.split("/")[:2])
                    day_first += first > 12
                    month_first += second > 12
                break
        else:
            if re.fullmatch(r"\d{5}([.,]\d+)?", v) and \
                    20_000 <= float(v.replace(",", ".")) <= 80_000:
                counts[EXCEL_SERIAL] = counts.get(EXCEL_SERIAL, 0) + 1
    formats = sorted(counts, key=counts.get, reverse=True)
    if month_first > day_first:
        formats = [f.replace("%d/%m", "%m/%d") for f in formats]
    return formats or ["%d.%m.%Y", "%Y-%m-%d"]


def _date_sql(col: str, formats: list[str]) -> str:
    part = f"split_part(replace(trim({col}), 'T', ' '), ' ', 1)"
    pieces = []
    text_formats = [f for f in formats if f != EXCEL_SERIAL]
    if text_formats:
        pieces.append(f"CAST(try_strptime({part}, [{', '.join(_lit(f) for f in text_formats)}])"
                      f" AS DATE)")
    if EXCEL_SERIAL in formats:
        serial = f"TRY_CAST(replace({part}, ',', '.') AS DOUBLE)"  # 45351,5 from a ;-file
        pieces.append(f"CASE WHEN {serial} BETWEEN 20000 AND 80000 THEN "
                      f"DATE '1899-12-30' + CAST(floor({serial}) AS INTEGER) END")
    return pieces[0] if len(pieces) == 1 else f"coalesce({', '.join(pieces)})"


def _plain_date_sql(col: str, formats: list[str]) -> str:
    """:func:`_date_sql` for cells in the first format and nothing else, else NULL.

    Where this reads a date, the full expression reads the same one: without a space or a
    "T" in the cell, cutting off a time does nothing, and the first format is tried first.
    """
    if formats[0] == EXCEL_SERIAL:
        return "CAST(NULL AS DATE)"
    return (f"CASE WHEN NOT (contains({col}, ' ') OR contains({col}, 'T')) THEN "
            f"CAST(try_strptime({col}, {_lit(formats[0])}) AS DATE) END")


def _sample(con, raw: _Raw, column: str) -> list[str]:
    rows = _run(con, raw, f"SELECT CAST({_q(column)} AS VARCHAR) FROM {raw.relation} WHERE "
                          f"{_q(column)} IS NOT NULL LIMIT {SAMPLE_ROWS}")
    return [r[0] for r in rows if r[0] is not None and str(r[0]).strip()]


# ---------------------------------------------------------------------------------------
# Normalising transactions and customers
# ---------------------------------------------------------------------------------------

def _read_table(con, source: Source, name: str, out: str, work_dir: Path,
                synonyms: dict[str, list[list[str]]], required: tuple[str, ...], *,
                row_hash: bool = False, raw: _Raw | None = None) -> _Raw:
    """Open a client file (unless ``raw`` is it, already open and mapped), map its columns
    and parse it into table ``out`` (see :func:`_parse_table`); a file that turns out not to
    be UTF-8 is read again as cp1251."""
    try:
        raw = raw or _open_mapped(con, source, name, work_dir, synonyms, required)
        _parse_table(con, raw, out, source, row_hash=row_hash)
    except _NotUtf8:
        return _read_table(con, _as_cp1251(source), name, out, work_dir, synonyms, required,
                           row_hash=row_hash)
    return raw


def _open_mapped(con, source: Source, name: str, work_dir: Path,
                 synonyms: dict[str, list[list[str]]], required: tuple[str, ...]) -> _Raw:
    """:func:`_open_raw` with the columns mapped (see :func:`detect_columns`)."""
    try:
        raw = _open_raw(con, source, name, work_dir)
    except _NotUtf8:
        return _open_mapped(con, _as_cp1251(source), name, work_dir, synonyms, required)
    raw.info.mapping = detect_columns(raw.info.headers, synonyms, source.columns,
                                      file=source.path, required=required)
    return raw


@dataclass
class _Parser:
    """How one mapped column becomes a canonical one: ``plain`` reads the common form cheaply
    (all of the column for text), ``full`` (numbers and dates) every form intake accepts."""

    text: str                                 # the cell as text
    plain: str
    full: Callable[[str], str] | None = None  # SQL reading the text in the given column


def _parsers(con, raw: _Raw, source: Source) -> dict[str, _Parser]:
    """The parser of every mapped column; decimal marks and date formats are detected from a
    sample of the file (and recorded in its FileInfo)."""
    info = raw.info
    if source.date_format:
        _check_date_format(con, source)
    parsers = {}
    for canonical, header in info.mapping.items():
        col = f"CAST({_q(header)} AS VARCHAR)"
        if canonical in NUMERIC:
            info.decimal = source.decimal or _detect_decimal(_sample(con, raw, header),
                                                             info.delimiter)
            parsers[canonical] = _Parser(col, _plain_number_sql(col, info.decimal),
                                         partial(_number_sql, decimal=info.decimal))
        elif canonical in DATES:
            formats = _detect_date_formats(_sample(con, raw, header), source.date_format)
            info.date_formats[canonical] = ", ".join(formats)
            parsers[canonical] = _Parser(col, _plain_date_sql(col, formats),
                                         partial(_date_sql, formats=formats))
        else:
            parsers[canonical] = _Parser(col, f"nullif(trim({col}), '')")
    return parsers


def _parsed_sql(parser: _Parser) -> str:
    """SQL for the parsed value: the plain reading where it gives one, else the full one.

    CASE, not coalesce(): DuckDB then runs the full parser only on the cells left unread.
    """
    if parser.full is None:
        return parser.plain
    return (f"CASE WHEN {parser.plain} IS NULL THEN {parser.full(parser.text)} "
            f"ELSE {parser.plain} END")


def _parse_table(con, raw: _Raw, out: str, source: Source, *, row_hash: bool = False) -> None:
    """Create ``out`` with canonical, typed columns plus the raw text of parsed ones.

    With ``row_hash``, a CSV file's rows also get ``_hash``, a hash of all their cells, for
    :func:`_find_duplicates`.
    """
    info = raw.info
    # Messages quote the text of amounts and dates of any row (returns, duplicates, future
    # dates), and of quantity and price where they make the amount; of other parsed columns
    # only cells that cannot be read, so only those keep their text.
    quoted = {"amount", "date"} | (set() if "amount" in info.mapping
                                   else set(ALTERNATIVES["amount"]))
    selects, full = [], {}
    for canonical, parser in _parsers(con, raw, source).items():
        if parser.full is None:
            selects.append(f"{parser.plain} AS {canonical}")
            continue
        full[canonical] = parser.full(f"_raw_{canonical}")
        text = (parser.text if canonical in quoted
                else f"CASE WHEN {parser.plain} IS NULL THEN {parser.text} END")
        selects += [f"{parser.plain} AS {canonical}", f"{text} AS _raw_{canonical}"]
    if row_hash and raw.csv is not None:
        selects.append(f"hash({', '.join(_q(h) for h in info.headers)}) AS _hash")
    _build(con, raw, out, selects)
    # Most cells are in the plain form, read cheaply above; the full parsers (blanks,
    # thousands marks, currency, other date formats) run only on the cells left unread.
    for canonical, expression in full.items():
        con.execute(f"UPDATE {out} SET {canonical} = {expression} "
                    f"WHERE {canonical} IS NULL AND _raw_{canonical} IS NOT NULL")


def _check_date_format(con, source: Source) -> None:
    fmt = source.date_format
    try:
        con.execute(f"SELECT try_strptime('', {_lit(fmt)})").fetchall()
        valid = "%" in fmt
    except duckdb.Error:
        valid = False
    if not valid:
        raise DataError(f"{source.path}: date_format {fmt!r} in the parameters is not a date "
                        f"format. Write it with strptime codes, e.g. '%d.%m.%Y' for 31.12.2024 "
                        f"or '%m/%d/%Y' for 12/31/2024, or leave it out to detect it.")


def _examples(con, table: str, where: str, column: str) -> list[tuple[int, str | None]]:
    return [(int(r[0]), r[1]) for r in con.execute(
        f"SELECT _row, {column} FROM {table} WHERE {where} ORDER BY _row LIMIT 5").fetchall()]


def _count(con, table: str, where: str) -> int:
    # fetchall, not fetchone, throughout: it completes the result, which con.unregister()
    # and the next statement on the connection require.
    return con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchall()[0][0]


def _totals(con, info: FileInfo, path: Path) -> list[Issue]:
    """Total lines an accounting export adds ("Итого", "Всего", "Total"): not sales, dropped.

    Only rows without a readable date qualify, so a customer called "Итого" keeps its sales.
    """
    texts = [c for c in ("customer_id", "order_id", "customer_name", "product", "category",
                         "manager") if c in info.mapping] + ["_raw_date"]
    where = "date IS NULL AND (" + " OR ".join(
        f"regexp_matches(lower(coalesce(CAST({c} AS VARCHAR), '')), {_lit(TOTALS)})"
        for c in texts) + ")"
    n = _count(con, "tx", where)
    if not n:
        return []
    issue = Issue("totals", n, "dropped", path.name, None,
                  _examples(con, "tx", where, "_raw_amount"), amount=_sum(con, "tx", where))
    con.execute(f"DELETE FROM tx WHERE {where}")
    return [issue]


def _unparseable(con, table: str, info: FileInfo, path: Path, policy: str,
                 columns: tuple[str, ...]) -> list[Issue]:
    """Rows whose required date or amount cannot be read: stop with a message, or drop."""
    issues, messages = [], []
    for canonical in columns:
        if canonical not in info.mapping:
            continue
        where = f"{canonical} IS NULL"
        n = _count(con, table, where)
        if not n:
            continue
        examples = _examples(con, table, where, f"_raw_{canonical}")
        header = info.mapping[canonical]
        what = "dates" if canonical in DATES else "amounts"
        messages.append(f"column {header!r} ({canonical}) has {n:,} row(s) whose {what} cannot "
                        f"be read: {format_rows([(r, v or '') for r, v in examples], n)}")
        issues.append(Issue(kind=f"bad_{canonical}", rows=n, action="dropped", file=path.name,
                            column=header, examples=examples))
    if messages and policy == "stop":
        formats = "; ".join(f"{k}: {v}" for k, v in info.date_formats.items())
        raise DataError(f"{path}: " + "; ".join(messages) + ". Fix these cells in the file, or "
                        "set intake.bad_rows: drop in the parameters to leave such rows out "
                        "(they will be counted in the data-quality section)."
                        + (f" Date formats tried: {formats}." if formats else ""))
    for issue in issues:
        con.execute(f"DELETE FROM {table} WHERE {issue.kind[4:]} IS NULL")
    return issues


def _transactions(con, params: Params, work_dir: Path, today: dt.date, target: Path):
    """Read the transactions into ``tx`` (a table, or a view over ``target`` when
    :func:`_write_clean` wrote it); return the file's FileInfo, the issues found, and
    whether ``target`` was written."""
    source = params.data.transactions
    path = source.path
    policy = params.intake.duplicates
    raw = _open_mapped(con, source, "raw_tx", work_dir, TRANSACTION_HEADERS,
                       REQUIRED["transactions"])
    try:
        written = _write_clean(con, raw, params, today, target)
    except _NotUtf8:
        raw = _open_mapped(con, _as_cp1251(source), "raw_tx", work_dir, TRANSACTION_HEADERS,
                           REQUIRED["transactions"])
        written = _write_clean(con, raw, params, today, target)
    if written:
        return raw.info, [], True
    raw = _read_table(con, source, "raw_tx", "tx", work_dir, TRANSACTION_HEADERS,
                      REQUIRED["transactions"], row_hash=policy != "keep", raw=raw)
    info = raw.info
    if policy != "keep":
        _find_duplicates(con, raw, "tx")
    if "amount" not in info.mapping:  # no amount column: quantity x unit price
        con.execute("ALTER TABLE tx ADD COLUMN amount DOUBLE")
        con.execute("ALTER TABLE tx ADD COLUMN _raw_amount VARCHAR")
        con.execute("UPDATE tx SET amount = quantity * price, _raw_amount = "
                    "coalesce(_raw_quantity, '') || ' x ' || coalesce(_raw_price, '')")
        info.mapping["amount"] = f"{info.mapping['quantity']} x {info.mapping['price']}"
    issues = _totals(con, info, path) if "date" in info.mapping else []
    issues += _unparseable(con, "tx", info, path, params.intake.bad_rows, ("date", "amount"))
    name = path.name

    blank = "customer_id IS NULL"
    if n := _count(con, "tx", blank):
        issues.append(Issue("blank_customer_id", n, "dropped", name, info.mapping["customer_id"],
                            _examples(con, "tx", blank, "customer_id"),
                            amount=_sum(con, "tx", blank)))
        con.execute(f"DELETE FROM tx WHERE {blank}")

    # Identical rows are an export error when rows carry a document number; without one,
    # two equal purchases on one day (as in CDNOW) are indistinguishable from a doubled row.
    drop = policy == "drop" or (policy == "auto" and "order_id" in info.mapping)
    where = "_row IN (SELECT _row FROM _dups)"
    if policy != "keep" and (n := _count(con, "tx", where)):
        issues.append(Issue("duplicates", n, "dropped" if drop else "kept", name, None,
                            _examples(con, "tx", where, "_raw_amount"),
                            amount=_sum(con, "tx", where)))
        if drop:
            con.execute(f"DELETE FROM tx WHERE {where}")

    limit = today + dt.timedelta(days=params.intake.max_future_days)
    future = f"date > DATE '{limit.isoformat()}'"
    if n := _count(con, "tx", future):
        issues.append(Issue("future_dates", n, "dropped", name, info.mapping["date"],
                            _examples(con, "tx", future, "_raw_date"),
                            amount=_sum(con, "tx", future)))
        con.execute(f"DELETE FROM tx WHERE {future}")

    for col in ("cost", "margin", "quantity"):
        if col in info.mapping:
            bad = f"{col} IS NULL AND nullif(trim(_raw_{col}), '') IS NOT NULL"
            if n := _count(con, "tx", bad):
                issues.append(Issue(f"bad_{col}", n, "kept", name, info.mapping[col],
                                    _examples(con, "tx", bad, f"_raw_{col}")))
    return info, issues, False


def _write_clean(con, raw: _Raw, params: Params, today: dt.date, target: Path) -> bool:
    """Write a clean delimited transactions file straight to ``target`` (in the work folder)
    in one parallel read, and make ``tx`` a view over it; False (nothing written) for any
    other.

    Most big exports are clean: every row has a customer, a date up to today and a positive
    amount, and the optional numbers read. Such a file needs no table of its rows: it is
    parsed as it is read and written out, and the figures and the summary read the Parquet
    file. The first row that a message would have to quote or that intake would drop
    (a blank, unreadable or future cell, a return, a zero amount, a row after as_of) stops
    the write (:data:`NOT_CLEAN`), and so does a pair of identical rows found afterwards:
    the file is then read the thorough way, which reports each of them.
    """
    info = raw.info
    if raw.csv is None or "amount" not in info.mapping:
        return False
    source = params.data.transactions
    parsers = _parsers(con, raw, source)
    values = [f"{_parsed_sql(p)} AS {c}" for c, p in parsers.items()]
    optional = [c for c in ("cost", "margin", "quantity") if c in parsers]
    values += [f"{parsers[c].text} AS _raw_{c}" for c in optional]
    unread = [f"({c} IS NULL AND nullif(trim(_raw_{c}), '') IS NOT NULL)" for c in optional]
    target.parent.mkdir(parents=True, exist_ok=True)
    limit = today + dt.timedelta(days=params.intake.max_future_days)
    if params.as_of:
        limit = min(limit, params.as_of)
    stop = " OR ".join(["customer_id IS NULL", "date IS NULL", "amount IS NULL",
                        "amount <= 0", f"date > DATE '{limit.isoformat()}'", *unread])
    columns = _output_columns(info)
    try:
        _run(con, raw, f"COPY (SELECT {columns} FROM (SELECT {', '.join(values)} "
                       f"FROM {raw.relation}) WHERE CASE WHEN {stop} THEN "
                       f"error({_lit(NOT_CLEAN)}) ELSE true END) TO {_lit(str(target))} "
                       f"(FORMAT parquet, COMPRESSION {COMPRESSION})")
    except _NotClean:
        target.unlink(missing_ok=True)
        return False
    con.execute(f"CREATE OR REPLACE VIEW tx AS SELECT CAST(file_row_number + "
                f"{raw.csv.first_row} AS BIGINT) AS _row, * EXCLUDE (file_row_number) FROM "
                f"read_parquet({_lit(str(target))}, file_row_number = true)")
    info.rows_read = _count(con, "tx", "true")
    if params.intake.duplicates != "keep" and _maybe_duplicates(con, info):
        con.execute("DROP VIEW tx")
        target.unlink()
        return False
    return True


def _maybe_duplicates(con, info: FileInfo) -> bool:
    """Whether ``tx`` has two rows equal in every column: rows identical in the file are.

    (The converse may fail: the thorough way compares the cells as written.) Rows sharing
    their numbers are found first, reading only the numeric columns, and only those rows are
    compared on their text as well.
    """
    names = _output_names(info)
    numbers = ", ".join(c for c in names if c in {"date", "amount", "margin", "quantity"})
    con.execute(f"CREATE OR REPLACE TEMP TABLE _shared AS SELECT hash({numbers}) AS h FROM tx "
                f"GROUP BY h HAVING count(*) > 1")
    if not _count(con, "_shared", "true"):
        return False
    return bool(_count(con, f"(SELECT 1 FROM tx WHERE hash({numbers}) IN (SELECT h FROM _shared) "
                            f"GROUP BY hash({', '.join(names)}) HAVING count(*) > 1)", "true"))


def _find_duplicates(con, raw: _Raw, table: str) -> None:
    """Create temp table ``_dups``: the ``_row`` of each row of the file that is identical,
    in every column, to an earlier row.

    Comparing every column of every row means sorting or hashing all of a big file's text
    again. A CSV file's rows were hashed as they were read (``_hash``): only rows that share
    a hash can be duplicates, so only those (usually none or a few) are read again and
    compared in full, which keeps the check exact. The rows read again come in file order
    and are matched by position to their ``_row``, so no row of ``table`` may have been
    deleted yet.
    """
    columns = ", ".join(_q(h) for h in raw.info.headers)
    rows = raw.relation
    if raw.csv is not None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _shared AS SELECT _hash FROM {table} "
                    f"GROUP BY _hash HAVING count(*) > 1")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _candidates AS SELECT _row FROM {table} "
                    f"WHERE _hash IN (SELECT _hash FROM _shared) ORDER BY _row")
        if not _count(con, "_candidates", "true"):
            con.execute("CREATE OR REPLACE TEMP TABLE _dups AS SELECT _row FROM _candidates")
            return
        _run(con, raw, f"CREATE OR REPLACE TEMP TABLE _candidate_text AS SELECT * FROM "
                       f"{raw.relation} WHERE hash({columns}) IN (SELECT _hash FROM _shared)")
        con.execute("CREATE OR REPLACE TEMP TABLE _candidates AS SELECT * "
                    "FROM _candidates POSITIONAL JOIN _candidate_text")
        rows = "_candidates"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _dups AS SELECT _row FROM (SELECT _row, "
                f"row_number() OVER (PARTITION BY {columns} ORDER BY _row) AS k FROM {rows}) "
                f"WHERE k > 1")


def _sum(con, table: str, where: str) -> float:
    return float(con.execute(f"SELECT coalesce(sum(amount), 0) FROM {table} WHERE {where}")
                 .fetchall()[0][0])


def _customers(con, params: Params, work_dir: Path):
    source = params.data.customers
    path = source.path
    info = _read_table(con, source, "raw_cu", "cu", work_dir, CUSTOMER_HEADERS,
                       REQUIRED["customers"]).info
    issues = []
    name = path.name
    if n := _count(con, "cu", "customer_id IS NULL"):
        issues.append(Issue("customers_blank_id", n, "dropped", name,
                            info.mapping["customer_id"]))
        con.execute("DELETE FROM cu WHERE customer_id IS NULL")
    dup = "_row IN (SELECT _row FROM (SELECT _row, row_number() OVER (PARTITION BY " \
          "customer_id ORDER BY _row) AS k FROM cu) WHERE k > 1)"
    if n := _count(con, "cu", dup):
        issues.append(Issue("customers_duplicate_id", n, "dropped", name,
                            info.mapping["customer_id"], _examples(con, "cu", dup, "customer_id")))
        con.execute(f"DELETE FROM cu WHERE {dup}")
    for col in ("birthday", "first_deal"):
        bad = f"{col} IS NULL AND nullif(trim(_raw_{col}), '') IS NOT NULL"
        if col in info.mapping and (n := _count(con, "cu", bad)):
            issues.append(Issue(f"customers_bad_{col}", n, "kept", name, info.mapping[col],
                                _examples(con, "cu", bad, f"_raw_{col}")))
    referral = "NULL::BOOLEAN"
    words = " OR ".join(f"lower({{c}}) LIKE '%{w}%'" for w in REFERRAL_WORDS)
    if "referral" in info.mapping:
        referral = (f"CASE WHEN lower(referral) IN ('1', 'да', 'yes', 'y', 'true', 'истина', "
                    f"'д', '+') OR ({words.format(c='referral')}) THEN TRUE "
                    f"WHEN referral IS NULL THEN NULL ELSE FALSE END")
    elif "source" in info.mapping:
        referral = (f"CASE WHEN source IS NULL THEN NULL WHEN {words.format(c='source')} "
                    f"THEN TRUE ELSE FALSE END")
    keep = [c for c in info.mapping if c != "referral"]
    con.execute(f"CREATE OR REPLACE TABLE customers AS SELECT {', '.join(keep)}, "
                f"{referral} AS referral FROM cu ORDER BY _row")
    return info, issues


def run_intake(params: Params, out_dir: Path, *, today: dt.date | None = None) -> IntakeResult:
    """Read the client's files once and write the normalised tables the notebooks use.

    Parameters
    ----------
    params
        Validated parameters (see :func:`playbook.params.load_params`).
    out_dir
        Folder for the Parquet files and ``intake.json`` (created if needed).
    today
        The date "future" is measured from; defaults to the real today.

    Raises
    ------
    DataError
        When a file cannot be used; the message names the file, column, rows and the fix.
    """
    today = today or dt.date.today()
    out_dir.mkdir(parents=True, exist_ok=True)
    work_dir = out_dir / "_work"
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    # Within the limit DuckDB keeps what it can in memory and spills the rest to the work
    # folder: ten million transactions take about 2.5 GB as a table.
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute(f"SET temp_directory = {_lit(str(work_dir / 'spill'))}")
    try:
        tx_info, issues, written = _transactions(con, params, work_dir, today,
                                                 work_dir / QUICK_FILE)
        files = [tx_info]
        if params.data.customers is not None:
            cu_info, cu_issues = _customers(con, params, work_dir)
            files.append(cu_info)
            issues += cu_issues
            unknown = "customer_id NOT IN (SELECT customer_id FROM customers)"
            if n := _count(con, "tx", unknown):
                issues.append(Issue("unknown_customers", n, "kept", tx_info.name,
                                    tx_info.mapping["customer_id"],
                                    _examples(con, "tx", unknown, "customer_id")))
        last = con.execute("SELECT max(date) FROM tx").fetchall()[0][0]
        if last is None:
            dropped = ", ".join(f"{i.rows:,} {i.kind.replace('_', ' ')}" for i in issues)
            raise DataError(f"{params.data.transactions.path}: no usable rows are left "
                            f"(dropped: {dropped or 'none'}). Check the dates, amounts and "
                            f"customer ids in the file, and intake in the parameters.")
        as_of = params.as_of or last
        if tx_info.unread_sheets:
            sheets = ", ".join(repr(n) for n in tx_info.unread_sheets)
            issues.append(Issue("other_sheets", sum(tx_info.unread_sheets.values()),
                                "not_read", tx_info.name, sheets))
        issues += _period_issues(con, tx_info.name, as_of)
        figures = _figures(con, tx_info, issues, as_of)
        _write_outputs(con, out_dir, tx_info, params, as_of, written)
        files += _surveys(con, params, out_dir, work_dir)
    finally:
        con.close()
        _remove_tree(work_dir)
    result = IntakeResult(out_dir=out_dir, figures=figures, files=files, issues=issues)
    _atomic_json(out_dir / "intake.json", {
        "figures": figures,
        "files": [asdict(f) for f in files],
        "issues": [asdict(i) for i in issues],
    })
    return result


def _text_frame(con, table: str) -> pd.DataFrame:
    frame = con.execute(f"SELECT * EXCLUDE (_row) FROM {table} ORDER BY _row").df()
    return frame.astype("string")


def _surveys(con, params: Params, out_dir: Path, work_dir: Path) -> list[FileInfo]:
    """Read the survey exports and their side tables into ``survey__<name>.parquet``.

    Responses are checked against their questionnaire template (see
    :func:`playbook.forms.prepare_responses`): an answer off its scale is an error naming
    the file, the column and the rows.
    """
    from playbook.forms import prepare_responses

    files = []
    for name in (*SURVEY_TEMPLATES, *SIDE_TABLES):
        source = getattr(params.data, name)
        target = out_dir / f"survey__{name}.parquet"
        if source is None:
            target.unlink(missing_ok=True)
            continue
        info = read_raw(con, source, "raw_survey", work_dir)
        frame = _text_frame(con, "raw_survey")
        if name in SURVEY_TEMPLATES:
            renames = {}
            for question, header in source.columns.items():
                header = info.headers[header - 1] if isinstance(header, int) else header
                if header not in frame.columns:
                    raise DataError(f"{source.path}: the parameters map {question!r} to column "
                                    f"{header!r}, which is not in the file. Its columns are: "
                                    f"{', '.join(map(repr, info.headers))}.")
                renames[header] = question
            template = source.template or SURVEY_TEMPLATES[name]
            try:
                table = prepare_responses(frame.rename(columns=renames), template)
            except DataError as exc:
                raise DataError(f"{source.path}: {exc}") from None
            info.mapping = {v: k for k, v in renames.items()} or {"template": template}
        else:
            info.mapping = detect_columns(info.headers, SIDE_TABLES[name], source.columns,
                                          file=source.path, required=SIDE_REQUIRED[name])
            table = pd.DataFrame({k: frame[h] for k, h in info.mapping.items()})
            for column in ("complaints", "customers", "invited"):
                if column in table:
                    table[column] = _side_numbers(table[column], source.path,
                                                  info.mapping[column])
        partial = target.with_name(target.name + ".partial")
        table.to_parquet(partial, index=False)
        partial.replace(target)
        files.append(info)
    return files


def _side_numbers(values: pd.Series, path: Path, header: str) -> pd.Series:
    text = values.str.replace(r"[\s\u00a0]", "", regex=True).str.replace(",", ".")
    numbers = pd.to_numeric(text, errors="coerce")
    bad = numbers.isna() & values.notna() & (values.str.strip() != "")
    if bad.any():
        rows = [(int(i) + 2, values.iat[i]) for i in bad.to_numpy().nonzero()[0][:5]]
        raise DataError(f"{path}: column {header!r} holds values that are not numbers: "
                        f"{format_rows(rows, int(bad.sum()))}. Correct them and run again.")
    return numbers


def _period_issues(con, name: str, as_of: dt.date) -> list[Issue]:
    issues = []
    later = f"date > DATE '{as_of.isoformat()}'"
    if n := _count(con, "tx", later):
        issues.append(Issue("after_as_of", n, "kept_aside", name, None,
                            _examples(con, "tx", later, "_raw_date"),
                            amount=_sum(con, "tx", later)))
    used = f"date <= DATE '{as_of.isoformat()}'"
    returns = f"amount < 0 AND {used}"
    if n := _count(con, "tx", returns):
        issues.append(Issue("returns", n, "netted", name, None,
                            _examples(con, "tx", returns, "_raw_amount"),
                            amount=_sum(con, "tx", returns)))
    zero = f"amount = 0 AND {used}"
    if n := _count(con, "tx", zero):
        issues.append(Issue("zero_amounts", n, "kept", name, None,
                            _examples(con, "tx", zero, "_raw_amount")))
    return issues


def _figures(con, info: FileInfo, issues: list[Issue], as_of: dt.date) -> dict:
    rows_used, revenue, customers, start, end = con.execute(
        f"SELECT count(*), coalesce(sum(amount), 0), count(DISTINCT customer_id), min(date), "
        f"max(date) FROM tx WHERE date <= DATE '{as_of.isoformat()}'").fetchall()[0]
    if rows_used == 0:
        raise DataError(f"{info.name}: no usable rows dated on or before as_of "
                        f"({as_of.isoformat()}). Check as_of in the parameters and the dates "
                        f"in the file.")
    return {
        "transactions": {"rows_read": int(info.rows_read), "rows_used": int(rows_used)},
        "revenue": round(float(revenue), 2),
        "customers": int(customers),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "as_of": as_of.isoformat(),
        "issues": [{"kind": i.kind, "rows": i.rows, "action": i.action} for i in issues],
    }


OPTIONAL_OUTPUT = ("order_id", "quantity", "product", "category", "channel", "branch",
                   "manager", "customer_name")


def _output_names(info: FileInfo) -> list[str]:
    """The columns of transactions.parquet, in order."""
    return ["customer_id", "date", "amount", "margin",
            *(c for c in OPTIONAL_OUTPUT if c in info.mapping)]


def _output_columns(info: FileInfo) -> str:
    """SQL selecting the columns of transactions.parquet from the parsed ones: margin is
    amount - cost when only the cost is known, NULL when neither is."""
    margin = ("margin" if "margin" in info.mapping else "amount - cost AS margin"
              if "cost" in info.mapping else "CAST(NULL AS DOUBLE) AS margin")
    return ", ".join(margin if c == "margin" else c for c in _output_names(info))


def _write_outputs(con, out_dir: Path, info: FileInfo, params: Params, as_of: dt.date,
                   written: bool) -> None:
    target = out_dir / "transactions.parquet"
    if written:  # by _write_clean, into the work folder
        (out_dir / "_work" / QUICK_FILE).replace(target)
        con.execute(f"CREATE OR REPLACE VIEW transactions AS SELECT * FROM "
                    f"read_parquet({_lit(str(target))})")
    else:
        # The view has the output columns only: the summary query reads it.
        con.execute(f"CREATE OR REPLACE VIEW transactions AS SELECT {_output_columns(info)} "
                    f"FROM tx")
        # No ORDER BY: tx holds its rows in file order, which the copy keeps.
        _copy(con, "SELECT * FROM transactions", target)
    if params.data.customers is not None:
        _copy(con, "SELECT * FROM customers", out_dir / "customers.parquet")
    else:
        (out_dir / "customers.parquet").unlink(missing_ok=True)
    _copy(con, customer_summary_sql("transactions", as_of), out_dir / "customer_summary.parquet")


def _copy(con, query: str, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    con.execute(f"COPY ({query}) TO {_lit(str(partial))} (FORMAT parquet, "
                f"COMPRESSION {COMPRESSION})")
    partial.replace(target)


def _atomic_json(path: Path, data) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str),
                       encoding="utf-8")
    partial.replace(path)


def _remove_tree(path: Path) -> None:
    if path.exists():
        for child in sorted(path.rglob("*"), reverse=True):
            child.rmdir() if child.is_dir() else child.unlink()
        path.rmdir()


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}_{k + 1}")
    return out


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _kw(options: dict) -> str:
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        return _lit(v) if isinstance(v, str) else str(v)
    return ", ".join(f"{k}={value(v)}" for k, v in options.items())


def _sep_name(sep: str) -> str:
    names = {"\t": "tab", ";": "';'", ",": "','", "|": "'|'", " ": "whitespace"}
    return names.get(sep, repr(sep))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
