"""Reading numbers and dates written the ways exports write them, as DuckDB SQL: the
decimal mark and date formats are detected from a sample; a cheap plain form first, the
full parsers for the rest.
"""

from __future__ import annotations

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
    sample of the file (and recorded in its FileInfo).
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
