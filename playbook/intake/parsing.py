"""Reading numbers and dates written the ways exports write them, as DuckDB SQL: the
decimal mark and date formats are detected from a sample; a cheap plain form first, the
full parsers for the rest.

Whether ``03/02/2024`` is the 3rd of February or the 2nd of March is decided from the whole
column (:func:`_date_order`): one date with a day above 12 decides; when none has, day first
is taken, and for slashes or dashes reported as assumed. A declared ``date_format`` may
include the time (``%m/%d/%Y %H:%M``, ``%Y%m%d%H``). When dates cannot be read,
:func:`_suggest_date_format` looks for a format that reads them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import duckdb

from playbook.errors import DataError
from playbook.intake.sources import _Raw, _run
from playbook.intake.sql import _lit, _q
from playbook.params import Source

NUMERIC = {"amount", "cost", "margin", "quantity", "price"}
#: Numbers from this size on (1e30, a 40-digit code in the amount column) cannot be read, like
#: text, and are reported as such: no real amount is that large, and sums of up to 10^17
#: amounts below it stay exact in DECIMAL(38, 6). Infinity and NaN are out too.
MAX_NUMBER = 1e15
DATES = {"date", "birthday", "first_deal"}
SAMPLE_ROWS = 20_000
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
    return f"CASE WHEN abs({value}) < {MAX_NUMBER:.0f} THEN {value} END"


def _plain_number_sql(col: str, decimal: str) -> str:
    """:func:`_number_sql` for the plain form only (1234,56 or -1234.5), else NULL.

    Where this reads a number, the full expression reads the same one: it only drops
    blanks, which the cast ignores at the ends and fails on inside, and thousands marks,
    which this refuses.
    """
    other = "." if decimal == "," else ","
    text = f"replace({col}, ',', '.')" if decimal == "," else col
    value = f"CASE WHEN NOT contains({col}, {_lit(other)}) THEN TRY_CAST({text} AS DOUBLE) END"
    return f"CASE WHEN abs({value}) < {MAX_NUMBER:.0f} THEN {value} END"


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
#: A cell that starts with two numbers up to 31 and a year, day and month in either order:
#: its first two numbers (RE2 and Python alike).
_DAY_MONTH_CELL = r"^\s*(\d{1,2})[./-](\d{1,2})[./-]\d{2,4}([ T]|$)"
#: strptime codes of a time of day: a format with one reads the whole cell, time included.
_TIME_CODES = re.compile(r"%[HIMSpfTRXc]")
#: How the time after a date is written, for the moment of a row (see :func:`_moment_sql`).
_TIMES_OF_DAY = ["%H:%M:%S", "%H:%M", "%H:%M:%S.%f", "%I:%M %p", "%I:%M:%S %p"]
#: Formats :func:`_suggest_date_format` tries on dates the detected formats could not read,
#: in order of preference (day first before month first, as intake assumes).
DATE_FORMAT_CANDIDATES = [
    "%Y%m%d", "%Y%m%d%H", "%Y%m%d%H%M", "%Y%m%d%H%M%S", "%d%m%Y", "%m%d%Y",
    "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%y", "%m/%d/%y", "%d-%m-%Y",
    "%m-%d-%Y", "%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S",
    "%d/%m/%Y %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S", "%d %b %Y", "%d-%b-%Y", "%d-%b-%y", "%b %d, %Y", "%d %B %Y",
    "%B %d, %Y",
]
#: Dates a suggested format may give: a sale before 1970 is a misreading.
PLAUSIBLE_FROM = dt.date(1970, 1, 1)


def _date_part(value: str) -> str:
    return re.split(r"[ T]", value.strip(), maxsplit=1)[0]


def _whole_cell(fmt: str) -> bool:
    """Whether ``fmt`` reads the whole cell: it has a time of day or a space (31 Dec 2024);
    other formats read the date before a space or a "T", a time after it being ignored.
    """
    return bool(_TIME_CODES.search(fmt)) or " " in fmt


def _detect_date_formats(values: list[str], declared: str | None) -> list[str]:
    """The date formats of a column, most frequent in ``values`` first (day before month:
    see :func:`_date_order` for month first).
    """
    if declared:
        return [declared]
    counts: dict[str, int] = {}
    for raw in values:
        v = _date_part(raw)
        for pattern, fmt in _DATE_PATTERNS:
            if re.fullmatch(pattern, v):
                counts[fmt] = counts.get(fmt, 0) + 1
                break
        else:
            if re.fullmatch(r"\d{5}([.,]\d+)?", v) and \
                    20_000 <= float(v.replace(",", ".")) <= 80_000:
                counts[EXCEL_SERIAL] = counts.get(EXCEL_SERIAL, 0) + 1
    formats = sorted(counts, key=counts.get, reverse=True)
    return formats or ["%d.%m.%Y", "%Y-%m-%d"]


def _day_month_counts(values: list[str]) -> tuple[int, int, str | None, str | None]:
    """Of the cells written day and month in either order: how many only read day first (a
    first number above 12), how many only month first, and the first of each.
    """
    day = month = 0
    day_example = month_example = None
    for value in values:
        found = re.match(_DAY_MONTH_CELL, value)
        if not found:
            continue
        first, second = int(found[1]), int(found[2])
        if 12 < first <= 31 and second <= 12:
            day += 1
            day_example = day_example or value
        elif 12 < second <= 31 and first <= 12:
            month += 1
            month_example = month_example or value
    return day, month, day_example, month_example


def _date_order(con, raw: _Raw, header: str, formats: list[str],
                sample: list[str]) -> dict | None:
    """Day first or month first, decided from the whole column: the record of the decision
    (``order``; ``basis``: data, convention or assumed; an ``example`` cell that shows the
    order), or None when no format of the column puts day and month in either order.

    One cell with a first number above 12 (13/01/2024) shows day first, one with a second
    number above 12 (01/13/2024) month first; when both occur, the more frequent wins (the
    others cannot be read and are reported). The sample decides when it shows either; only
    when it shows neither is the rest of the column read. When no cell shows either, day
    first is taken: by convention for dates with dots (31.12.2024 is written day first
    wherever dots are used), assumed for slashes and dashes (12/31/2024 is American), and
    an assumption is reported.
    """
    if not any(re.match(r"%d[./-]%m", f) for f in formats):
        return None
    day, month, day_example, month_example = _day_month_counts(sample)
    if not day and not month:
        cell = f"CAST({_q(header)} AS VARCHAR)"
        first, second = (f"TRY_CAST(regexp_extract({cell}, {_lit(_DAY_MONTH_CELL)}, {i}) "
                         f"AS INTEGER)" for i in (1, 2))
        shows_day = f"{first} BETWEEN 13 AND 31 AND {second} <= 12"
        shows_month = f"{second} BETWEEN 13 AND 31 AND {first} <= 12"
        # min(), not the first in file order: a parallel scan has no order, the record must.
        day, month, day_example, month_example = _run(
            con, raw, f"SELECT count(*) FILTER ({shows_day}), count(*) FILTER ({shows_month}), "
                      f"min({cell}) FILTER ({shows_day}), min({cell}) FILTER ({shows_month}) "
                      f"FROM {raw.relation}")[0]
    if month > day:
        return {"order": "month_first", "basis": "data", "example": month_example}
    if day:
        return {"order": "day_first", "basis": "data", "example": day_example}
    slashes = any(re.match(r"%d[/-]%m", f) for f in formats)
    return {"order": "day_first", "basis": "assumed" if slashes else "convention",
            "example": None}


def _month_first(formats: list[str]) -> list[str]:
    """``formats`` with day and month swapped where day comes first (%d/%m -> %m/%d)."""
    return [re.sub(r"%d([./-])%m", r"%m\1%d", f) for f in formats]


def _ambiguous_date_sql(col: str) -> str:
    """SQL: whether a cell's date reads differently day first and month first (03/02/2024;
    not 03/03/2024, and not 13/02/2024, which only reads one way).
    """
    first, second = (f"TRY_CAST(regexp_extract({col}, {_lit(_DAY_MONTH_CELL)}, {i}) AS INTEGER)"
                     for i in (1, 2))
    return f"coalesce({first} <= 12 AND {second} <= 12 AND {first} <> {second}, false)"


def _date_sql(col: str, formats: list[str]) -> str:
    """SQL reading a date in one of ``formats``: a format with a time of day or a space reads
    the whole cell, any other the date before a space or a "T" (a time after it is ignored).
    """
    part = f"split_part(replace(trim({col}), 'T', ' '), ' ', 1)"
    pieces = []
    text_formats = [f for f in formats if f != EXCEL_SERIAL]
    timed = [f for f in text_formats if _whole_cell(f)]
    dated = [f for f in text_formats if not _whole_cell(f)]
    if timed:
        pieces.append(f"CAST(try_strptime(trim({col}), [{', '.join(_lit(f) for f in timed)}])"
                      f" AS DATE)")
    if dated:
        pieces.append(f"CAST(try_strptime({part}, [{', '.join(_lit(f) for f in dated)}])"
                      f" AS DATE)")
    if EXCEL_SERIAL in formats:
        serial = f"TRY_CAST(replace({part}, ',', '.') AS DOUBLE)"  # 45351,5 from a ;-file
        pieces.append(f"CASE WHEN {serial} BETWEEN 20000 AND 80000 THEN "
                      f"DATE '1899-12-30' + CAST(floor({serial}) AS INTEGER) END")
    return pieces[0] if len(pieces) == 1 else f"coalesce({', '.join(pieces)})"


def _plain_date_sql(col: str, formats: list[str]) -> str:
    """:func:`_date_sql` for cells in the first format and nothing else, else NULL.

    Where this reads a date, the full expression reads the same one: without a space or a
    "T" in the cell, cutting off a time does nothing, and the first format is tried first;
    a format of the whole cell reads it as it is (the full one only trims it).
    """
    if formats[0] == EXCEL_SERIAL:
        return "CAST(NULL AS DATE)"
    if _whole_cell(formats[0]):
        return f"CAST(try_strptime({col}, {_lit(formats[0])}) AS DATE)"
    return (f"CASE WHEN NOT (contains({col}, ' ') OR contains({col}, 'T')) THEN "
            f"CAST(try_strptime({col}, {_lit(formats[0])}) AS DATE) END")


def _moment_sql(col: str, date: str, formats: list[str]) -> str:
    """SQL for the moment of a row (TIMESTAMP): the date ``date`` read from the text ``col``
    in ``formats``, and the time of day where the cell has one (``12/1/2010 8:26``,
    ``2018100100``, an Excel serial with a fraction); midnight where it has none.
    """
    text = f"trim({col})"
    pieces = []
    timed = [f for f in formats if f != EXCEL_SERIAL and _whole_cell(f)]
    if timed:
        pieces.append(f"try_strptime({text}, [{', '.join(_lit(f) for f in timed)}])")
    if EXCEL_SERIAL in formats:
        serial = f"TRY_CAST(replace({text}, ',', '.') AS DOUBLE)"
        pieces.append(f"CASE WHEN {serial} BETWEEN 20000 AND 80000 THEN TIMESTAMP '1899-12-30'"
                      f" + to_seconds(CAST(round({serial} * 86400) AS BIGINT)) END")
    rest = f"regexp_extract(replace({text}, 'T', ' '), ' (.*)$', 1)"
    times = ", ".join(_lit(f) for f in _TIMES_OF_DAY)
    pieces.append(f"{date} + coalesce(CAST(try_strptime({rest}, [{times}]) AS TIME), "
                  f"TIME '00:00:00')")
    return pieces[0] if len(pieces) == 1 else f"coalesce({', '.join(pieces)})"


def _suggest_date_format(con, values: list[str], today: dt.date) -> str | None:
    """The first of :data:`DATE_FORMAT_CANDIDATES` that reads every one of ``values`` (as
    ``date_format`` would, see :func:`_date_sql`) to a plausible date: from 1970 to a year
    after ``today``. None when no candidate does.
    """
    values = [v for v in values if v is not None and v.strip()]
    if not values:
        return None
    latest = today + dt.timedelta(days=366)
    for fmt in DATE_FORMAT_CANDIDATES:
        date = _date_sql("v", [fmt])
        unread = con.execute(
            f"SELECT count(*) FROM (SELECT {date} AS d FROM (SELECT unnest(?::VARCHAR[]) AS v))"
            f" WHERE d IS NULL OR d < DATE '{PLAUSIBLE_FROM.isoformat()}' OR "
            f"d > DATE '{latest.isoformat()}'", [values]).fetchall()[0][0]
        if not unread:
            return fmt
    return None


def _sample(con, raw: _Raw, column: str) -> list[str]:
    rows = _run(con, raw, f"SELECT CAST({_q(column)} AS VARCHAR) FROM {raw.relation} WHERE "
                          f"{_q(column)} IS NOT NULL LIMIT {SAMPLE_ROWS}")
    return [r[0] for r in rows if r[0] is not None and str(r[0]).strip()]


@dataclass
class _Parser:
    """How one mapped column becomes a canonical one: ``plain`` reads the common form cheaply
    (all of the column for text), ``full`` (numbers and dates) every form intake accepts.
    """

    text: str                                 # the cell as text
    plain: str
    full: Callable[[str], str] | None = None  # SQL reading the text in the given column


def _parsers(con, raw: _Raw, source: Source) -> dict[str, _Parser]:
    """The parser of every mapped column; decimal marks and date formats are detected from a
    sample of the file, day first or month first from the whole column (and all of it is
    recorded in its FileInfo).
    """
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
            sample = _sample(con, raw, header)
            formats = _detect_date_formats(sample, source.date_format)
            if not source.date_format:
                if canonical not in info.date_order:  # decided once per opened file
                    order = _date_order(con, raw, header, formats, sample)
                    if order is not None:
                        info.date_order[canonical] = order
                if info.date_order.get(canonical, {}).get("order") == "month_first":
                    formats = _month_first(formats)
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
