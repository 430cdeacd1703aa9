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
from playbook.intake.documents import _document_issues, _maybe_document_issues
from playbook.intake.model import FileInfo, Issue
from playbook.intake.parsing import (
    DATES,
    MAX_NUMBER,
    _ambiguous_date_sql,
    _date_sql,
    _parsed_sql,
    _parsers,
    _suggest_date_format,
)
from playbook.intake.sources import (
    NOT_CLEAN,
    _as_cp1251,
    _build,
    _CsvScan,
    _long_rows,
    _NotClean,
    _NotUtf8,
    _open_raw,
    _Raw,
    _run,
)
from playbook.intake.sql import _count, _examples, _found, _lit, _q, _sep_name
from playbook.params import Params, Source

#: A row whose first text says this is a total line of the export, not a sale (no \b:
#: DuckDB's RE2 knows word boundaries only between ASCII letters).
TOTALS = r"^\s*(итого|всего|итог|total|grand total|totals|subtotal)(\s|[.:,;-]|$)"
# Snappy: zstd makes ten million transactions 15% smaller and their write 0.6 s slower.
COMPRESSION = "snappy"
#: Unreadable dates up to this share of the rows may be typos, to fix or leave out; more
#: are a format intake did not recognise, and leaving them out is not offered.
SMALL_SHARE = 0.05
#: Dates, of those unread and of those read, a proposed date_format must read.
SUGGEST_SAMPLE = 1000


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
        selects.append(f"{_row_hash(info.headers)} AS _hash")
    _build(con, raw, out, selects)
    # Most cells are in the plain form, read cheaply above; the full parsers (blanks,
    # thousands marks, currency, other date formats) run only on the cells left unread.
    for canonical, expression in full.items():
        con.execute(f"UPDATE {out} SET {canonical} = {expression} "
                    f"WHERE {canonical} IS NULL AND _raw_{canonical} IS NOT NULL")


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


def _unparseable(con, table: str, info: FileInfo, source: Source, policy: str,
                 columns: tuple[str, ...], today: dt.date, scan: _CsvScan | None = None
                 ) -> list[Issue]:
    """Rows whose required date or amount cannot be read: stop with a message, or drop.

    The message quotes up to five rows of each column and says what to do. When dates
    cannot be read, a ``date_format`` that reads them is proposed if one of the usual ones
    does (see :func:`~playbook.intake.parsing._suggest_date_format`); leaving the rows out
    (``intake.bad_rows: drop``) is offered only when a small share of the dates fails. When
    quoted rows of a delimited file (``scan``) have more cells than its header, the message
    says first that a delimiter inside a cell moved their cells.
    """
    path = source.path
    issues, messages, advice = [], [], []
    droppable, fix_cells = True, False
    rows = _count(con, table, "true")
    for canonical in columns:
        if canonical not in info.mapping:
            continue
        where = f"{canonical} IS NULL"
        n = _count(con, table, where)
        if not n:
            continue
        examples = _examples(con, table, where, f"_raw_{canonical}")
        header = info.mapping[canonical]
        what = "dates" if canonical in DATES else "amounts (numbers below 10^15)"
        messages.append(f"column {header!r} ({canonical}) has {n:,} row(s) whose {what} cannot "
                        f"be read: {format_rows([(r, v or '') for r, v in examples], n)}")
        issues.append(Issue(kind=f"bad_{canonical}", rows=n, action="dropped", file=path.name,
                            column=header, examples=examples))
        if canonical not in DATES:
            fix_cells = True
            continue
        share = n / rows
        droppable = droppable and share <= SMALL_SHARE
        if proposal := _date_proposal(con, table, canonical, today):
            advice.append(proposal)
        elif share > 0.5:
            advice.append("Most dates in the column cannot be read: set date_format for this "
                          "file in the parameters to the way they are written, with strptime "
                          "codes (e.g. '%d.%m.%Y' for 31.12.2024, '%m/%d/%Y %H:%M' for "
                          "12/31/2024 18:30), or check that the column holds the dates")
        else:
            fix_cells = True
    if messages and policy == "stop":
        moved, cells = _long_rows(scan, [row for issue in issues for row, _ in issue.examples]
                                  ) if scan is not None else ([], 0)
        if moved:
            advice.insert(0, f"{'Rows' if len(moved) > 1 else 'Row'} "
                          f"{', '.join(map(str, moved))} {'have' if len(moved) > 1 else 'has'}"
                          f" more cells than the header's {cells}: a "
                          f"{_sep_name(scan.delimiter)} inside a cell that is not in quotes (a "
                          f"name, an address, a comment) moves the cells after it one column "
                          f"to the right. Export again with such cells in double quotes, or "
                          f"with another delimiter")
        if fix_cells:
            advice.append("Fix these cells in the file" + (
                ", or set intake.bad_rows: drop in the parameters to leave such rows out (they "
                "will be counted in the data-quality section)" if droppable else ""))
        formats = "; ".join(f"{k}: {v}" for k, v in info.date_formats.items())
        dates = any(issue.kind[4:] in DATES for issue in issues)
        raise DataError(f"{path}: " + "; ".join(messages) + ". " + ". ".join(advice) + "."
                        + (f" Date formats tried: {formats}." if formats and dates else ""))
    for issue in issues:
        con.execute(f"DELETE FROM {table} WHERE {issue.kind[4:]} IS NULL")
    return issues


def _date_proposal(con, table: str, canonical: str, today: dt.date) -> str | None:
    """The advice to set a ``date_format`` that reads the column's unread dates and the read
    ones alike (a sample of each, in file order), or None when no usual format does.
    """
    text = f"_raw_{canonical}"
    unread = con.execute(f"SELECT _row, {text} FROM {table} WHERE {canonical} IS NULL AND "
                         f"nullif(trim({text}), '') IS NOT NULL ORDER BY _row "
                         f"LIMIT {SUGGEST_SAMPLE}").fetchall()
    if not unread:  # blank cells: no format reads them
        return None
    read = con.execute(f"SELECT {text} FROM {table} WHERE {canonical} IS NOT NULL "
                       f"ORDER BY _row LIMIT {SUGGEST_SAMPLE}").fetchall()
    fmt = _suggest_date_format(con, [v for _, v in unread] + [v for (v,) in read], today)
    if fmt is None:
        return None
    row, text = unread[0]
    date = con.execute(f"SELECT {_date_sql('v', [fmt])} FROM (SELECT ?::VARCHAR AS v)",
                       [text]).fetchall()[0][0]
    return (f"They read as dates with date_format: {fmt!r} (row {row}: {text!r} is "
            f"{date.isoformat()}): set it for this file in the parameters (data: transactions:"
            f" date_format: {fmt!r})")


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
        con.execute(f"UPDATE tx SET amount = CASE WHEN abs(quantity * price) < "
                    f"{MAX_NUMBER:.0f} THEN quantity * price END, _raw_amount = "
                    f"coalesce(_raw_quantity, '') || ' x ' || coalesce(_raw_price, '')")
        info.mapping["amount"] = f"{info.mapping['quantity']} x {info.mapping['price']}"
    issues = _totals(con, info, path) if "date" in info.mapping else []
    issues += _unparseable(con, "tx", info, source, params.intake.bad_rows, ("date", "amount"),
                           today, raw.csv)
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

    order = info.date_order.get("date", {})
    if order.get("basis") == "assumed" and (issue := _found(
            con, "ambiguous_dates", _ambiguous_date_sql("_raw_date"), f"read_{order['order']}",
            name, info.mapping["date"], "_raw_date", amount=False)):
        issues.append(issue)

    formats = ([source.date_format] if source.date_format
               else info.date_formats["date"].split(", "))
    issues += _document_issues(con, info, formats, params.intake.relogged_lines, name)

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
    the write (:data:`NOT_CLEAN`), and so do, found afterwards, a pair of identical rows, an
    order line that may be logged again or a document with two customers (see
    :mod:`~playbook.intake.documents`), and, found before, dates whose order of day and month
    is assumed: the file is then read the thorough way, which reports each of them.
    """
    info = raw.info
    if raw.csv is None or "amount" not in info.mapping:
        return False
    source = params.data.transactions
    parsers = _parsers(con, raw, source)
    if info.date_order.get("date", {}).get("basis") == "assumed":
        return False  # day first is assumed: reported, with the rows it concerns
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
    if (params.intake.duplicates != "keep" and _maybe_duplicates(con, info)) or \
            _maybe_document_issues(con, info):
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


def _row_hash(headers: list[str]) -> str:
    """SQL: a hash of all the cells of a row as written (see :func:`_find_duplicates`)."""
    return f"hash({', '.join(_q(h) for h in headers)})"


def _find_duplicates(con, raw: _Raw, table: str) -> None:
    """Create temp table ``_dups``: the ``_row`` of each row of the file that is identical,
    in every column, to an earlier row. The first of identical rows in file order stays, the
    same on every run.

    Comparing every column of every row means sorting or hashing all of a big file's text
    again. A CSV file's rows were hashed as they were read (``_hash``): only rows that share
    a hash can be duplicates, so only those (usually none or a few) are read again and
    compared in full, which keeps the check exact. A parallel read that filters rows gives
    them in no set order, so the rows read again are not matched to their ``_row`` by
    position: rows sharing a hash are identical when their texts are all the same, which
    the rows read again tell; only for hashes shared by different texts (a 64-bit
    collision, practically never) is the whole file read again in order. No row of
    ``table`` may have been deleted yet: its ``rowid`` is then the row's place in the file.
    """
    columns = ", ".join(_q(h) for h in raw.info.headers)
    if raw.csv is None:  # a table with the file's own _row
        con.execute(f"CREATE OR REPLACE TEMP TABLE _dups AS SELECT _row FROM (SELECT _row, "
                    f"row_number() OVER (PARTITION BY {columns} ORDER BY _row) AS k "
                    f"FROM {raw.relation}) WHERE k > 1")
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE _shared AS SELECT _hash FROM {table} "
                f"GROUP BY _hash HAVING count(*) > 1")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _candidates AS SELECT rowid AS _at, _row, _hash, "
                f"0 AS _text FROM {table} WHERE _hash IN (SELECT _hash FROM _shared)")
    if _count(con, "_candidates", "true"):
        row_hash = _row_hash(raw.info.headers)
        _run(con, raw, f"CREATE OR REPLACE TEMP TABLE _candidate_text AS SELECT DISTINCT "
                       f"{row_hash} AS _hash, {columns} FROM {raw.relation} "
                       f"WHERE {row_hash} IN (SELECT _hash FROM _shared)")
        con.execute("CREATE OR REPLACE TEMP TABLE _collided AS SELECT _hash FROM "
                    "_candidate_text GROUP BY _hash HAVING count(*) > 1")
        if _count(con, "_collided", "true"):
            _split_collisions(con, raw)
    con.execute("CREATE OR REPLACE TEMP TABLE _dups AS SELECT _row FROM (SELECT _row, "
                "row_number() OVER (PARTITION BY _hash, _text ORDER BY _row) AS k "
                "FROM _candidates) WHERE k > 1")


def _split_collisions(con, raw: _Raw) -> None:
    """Number the texts of the candidates whose hash is shared by different texts
    (``_collided``) in ``_candidates._text``: the file is read again whole, in order, its
    rows matched to the candidates by their place in the file.
    """
    columns = [_q(h) for h in raw.info.headers]
    _run(con, raw, f"CREATE OR REPLACE TEMP TABLE _file_text AS SELECT {', '.join(columns)} "
                   f"FROM {raw.relation}")  # no filter: the rows keep the file's order
    con.execute(f"CREATE OR REPLACE TEMP TABLE _text_ids AS SELECT c._at, dense_rank() OVER "
                f"(ORDER BY {', '.join(f'f.{c}' for c in columns)}) AS _text FROM _candidates c "
                f"JOIN _file_text f ON f.rowid = c._at "
                f"WHERE c._hash IN (SELECT _hash FROM _collided)")
    con.execute("UPDATE _candidates SET _text = t._text FROM _text_ids t "
                "WHERE t._at = _candidates._at")
    con.execute("DROP TABLE _file_text")


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
