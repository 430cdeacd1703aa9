"""The transactions file: parsed, checked for every documented problem, and written.

A clean delimited file is written straight to Parquet in one parallel read
(:func:`_write_clean`); any other file is read into a table and checked problem by problem
(the thorough way). Both give the same outputs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from playbook.errors import DataError, format_rows
from playbook.intake.columns import ALTERNATIVES, REQUIRED, TRANSACTION_HEADERS, detect_columns
from playbook.intake.model import FileInfo, Issue
from playbook.intake.parsing import DATES, _parsed_sql, _parsers
from playbook.intake.sources import (
    NOT_CLEAN,
    _as_cp1251,
    _build,
    _NotClean,
    _NotUtf8,
    _open_raw,
    _Raw,
    _run,
)
from playbook.intake.sql import _lit, _q
from playbook.params import Params, Source

#: A row whose first text says this is a total line of the export, not a sale (no \b:
#: DuckDB's RE2 knows word boundaries only between ASCII letters).
TOTALS = r"^\s*(итого|всего|итог|total|grand total|totals|subtotal)(\s|[.:,;-]|$)"
# Snappy: zstd makes ten million transactions 15% smaller and their write 0.6 s slower.
COMPRESSION = "snappy"


def _read_table(con, source: Source, name: str, out: str, work_dir: Path,
                synonyms: dict[str, list[list[str]]], required: tuple[str, ...], *,
                row_hash: bool = False, raw: _Raw | None = None) -> _Raw:
    """Open a client file (unless ``raw`` is it, already open and mapped), map its columns
    and parse it into table ``out`` (see :func:`_parse_table`); a file that turns out not to
    be UTF-8 is read again as cp1251.
    """
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
    issue = _found(con, "totals", where, "dropped", path.name, None, "_raw_amount")
    if issue is None:
        return []
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
    whether ``target`` was written.
    """
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
    if issue := _found(con, "blank_customer_id", blank, "dropped", name,
                       info.mapping["customer_id"], "customer_id"):
        issues.append(issue)
        con.execute(f"DELETE FROM tx WHERE {blank}")

    # Identical rows are an export error when rows carry a document number; without one,
    # two equal purchases on one day (as in CDNOW) are indistinguishable from a doubled row.
    drop = policy == "drop" or (policy == "auto" and "order_id" in info.mapping)
    where = "_row IN (SELECT _row FROM _dups)"
    if policy != "keep" and (issue := _found(con, "duplicates", where,
                                             "dropped" if drop else "kept", name, None,
                                             "_raw_amount")):
        issues.append(issue)
        if drop:
            con.execute(f"DELETE FROM tx WHERE {where}")

    limit = today + dt.timedelta(days=params.intake.max_future_days)
    future = f"date > DATE '{limit.isoformat()}'"
    if issue := _found(con, "future_dates", future, "dropped", name, info.mapping["date"],
                       "_raw_date"):
        issues.append(issue)
        con.execute(f"DELETE FROM tx WHERE {future}")

    for col in ("cost", "margin", "quantity"):
        if col in info.mapping:
            bad = f"{col} IS NULL AND nullif(trim(_raw_{col}), '') IS NOT NULL"
            if issue := _found(con, f"bad_{col}", bad, "kept", name, info.mapping[col],
                               f"_raw_{col}", amount=False):
                issues.append(issue)
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


def _found(con, kind: str, where: str, action: str, file: str, column: str | None,
           quote: str, *, amount: bool = True, table: str = "tx") -> Issue | None:
    """The Issue of the rows of ``table`` matching ``where`` (their number, up to five of
    them with the text of ``quote``, their amount), or None when there are none.
    """
    n = _count(con, table, where)
    if not n:
        return None
    return Issue(kind, n, action, file, column, _examples(con, table, where, quote),
                 amount=_sum(con, table, where) if amount else None)


def _sum(con, table: str, where: str) -> float:
    return float(con.execute(f"SELECT coalesce(sum(amount), 0) FROM {table} WHERE {where}")
                 .fetchall()[0][0])


OPTIONAL_OUTPUT = ("order_id", "quantity", "product", "category", "channel", "branch",
                   "manager", "customer_name")


def _output_names(info: FileInfo) -> list[str]:
    """The columns of transactions.parquet, in order."""
    return ["customer_id", "date", "amount", "margin",
            *(c for c in OPTIONAL_OUTPUT if c in info.mapping)]


def _output_columns(info: FileInfo) -> str:
    """SQL selecting the columns of transactions.parquet from the parsed ones: margin is
    amount - cost when only the cost is known, NULL when neither is.
    """
    margin = ("margin" if "margin" in info.mapping else "amount - cost AS margin"
              if "cost" in info.mapping else "CAST(NULL AS DOUBLE) AS margin")
    return ", ".join(margin if c == "margin" else c for c in _output_names(info))
