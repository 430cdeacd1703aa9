"""One intake run: the transactions, the customers and the survey files, the figures and
the files the notebooks read.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from playbook.errors import DataError, format_rows
from playbook.intake.columns import (
    CUSTOMER_HEADERS,
    REQUIRED,
    SIDE_REQUIRED,
    SIDE_TABLES,
    SURVEY_TEMPLATES,
    detect_columns,
)
from playbook.intake.logs import read_logs
from playbook.intake.model import FileInfo, IntakeResult, Issue
from playbook.intake.sources import read_raw
from playbook.intake.sql import _count, _found, _lit
from playbook.intake.summary import customer_summary_sql
from playbook.intake.transactions import (
    COMPRESSION,
    _output_columns,
    _read_table,
    _transactions,
)
from playbook.params import Params

REFERRAL_WORDS = ("рекоменд", "сарафан", "от знаком", "по совету", "referr", "recommend",
                  "word of mouth")
#: DuckDB's share of memory; with Python, pandas and pyarrow a run stays under 1.5 GB.
MEMORY_LIMIT = "1GB"
QUICK_FILE = "transactions.parquet"  # the quick write's output, in the work folder


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
    if issue := _found(con, "customers_duplicate_id", dup, "dropped", name,
                       info.mapping["customer_id"], "customer_id", amount=False, table="cu"):
        issues.append(issue)
        con.execute(f"DELETE FROM cu WHERE {dup}")
    for col in ("birthday", "first_deal"):
        bad = f"{col} IS NULL AND nullif(trim(_raw_{col}), '') IS NOT NULL"
        if col in info.mapping and (issue := _found(
                con, f"customers_bad_{col}", bad, "kept", name, info.mapping[col],
                f"_raw_{col}", amount=False, table="cu")):
            issues.append(issue)
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
        _competitors(params, out_dir)  # a hand-filled file: its mistakes are found first
        tx_info, issues, written = _transactions(con, params, work_dir, today,
                                                 work_dir / QUICK_FILE)
        files = [tx_info]
        if params.data.customers is not None:
            cu_info, cu_issues = _customers(con, params, work_dir)
            files.append(cu_info)
            issues += cu_issues
            unknown = "customer_id NOT IN (SELECT customer_id FROM customers)"
            if issue := _found(con, "unknown_customers", unknown, "kept", tx_info.name,
                               tx_info.mapping["customer_id"], "customer_id", amount=False):
                issues.append(issue)
        last = con.execute("SELECT max(date) FROM tx").fetchall()[0][0]
        if last is None:
            dropped = ", ".join(f"{i.rows:,} {i.kind.replace('_', ' ')}" for i in issues)
            raise DataError(f"{params.data.transactions.path}: no usable rows are left "
                            f"(dropped: {dropped or 'none'}). Check the dates, amounts and "
                            f"customer ids in the file, and intake in the parameters.")
        as_of = params.as_of or last
        _refuse_returns_only(con, params, tx_info, as_of)
        if tx_info.unread_sheets:
            sheets = ", ".join(repr(n) for n in tx_info.unread_sheets)
            issues.append(Issue("other_sheets", sum(tx_info.unread_sheets.values()),
                                "not_read", tx_info.name, sheets))
        issues += _period_issues(con, tx_info.name, as_of)
        figures = _figures(con, tx_info, issues, as_of)
        _write_outputs(con, out_dir, tx_info, params, as_of, written)
        # The summary holds one row per customer with a purchase day: its row count is the
        # number, with no second pass over the transactions.
        figures["customers_with_purchase"] = pq.read_metadata(
            out_dir / "customer_summary.parquet").num_rows
        files += _surveys(con, params, out_dir, work_dir)
        files += read_logs(con, params, out_dir, work_dir)
        _tasks_done(params, out_dir, work_dir)
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


def _tasks_done(params: Params, out_dir: Path, work_dir: Path) -> None:
    """Read last period's filled-in task workbooks (``data.tasks_done``) into
    ``tasks_done.parquet`` and what the reading found into ``tasks_done.json``; without
    them, remove any a scratch folder kept.
    """
    targets = (out_dir / "tasks_done.parquet", out_dir / "tasks_done.json")
    if not params.data.tasks_done:
        for target in targets:
            target.unlink(missing_ok=True)
        return
    from playbook.followup.workbooks import read_returned

    frame, found = read_returned(params.data.tasks_done, work_dir)
    frame.to_parquet(targets[0], index=False)
    _atomic_json(targets[1], found)

def _competitors(params: Params, out_dir: Path) -> None:
    """The competitor profile (``data.competitors``), checked, as ``competitors.json``."""
    from playbook.winback.profile import read_competitors

    target = out_dir / "competitors.json"
    if params.data.competitors is None:
        target.unlink(missing_ok=True)
        return
    _atomic_json(target, read_competitors(params.data.competitors.path))


def _text_frame(con, table: str) -> pd.DataFrame:
    frame = con.execute(f"SELECT * EXCLUDE (_row) FROM {table} ORDER BY _row").df()
    return frame.astype("string")


def _surveys(con, params: Params, out_dir: Path, work_dir: Path) -> list[FileInfo]:
    """Read the survey exports and their side tables into ``survey__<name>.parquet``.

    Responses are checked against their questionnaire template (see
    :func:`playbook.survey.questionnaire.prepare_responses`): an answer off its scale is an
    error naming the file, the column and the rows.
    """
    from playbook.survey.questionnaire import prepare_responses

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


def _refuse_returns_only(con, params: Params, info: FileInfo, as_of: dt.date) -> None:
    """Stop when no amount of the rows analysed (dated up to ``as_of``) is positive: a file of
    returns only (or zeros) has no sales to analyse, and every figure would be nonsense.

    The advice depends on how the amount column was chosen: a column the parameters name is
    not to be "named in the parameters" again.
    """
    used = f"date <= DATE '{as_of.isoformat()}'"
    rows, sales, later = con.execute(
        f"SELECT count(*) FILTER ({used}), count(*) FILTER ({used} AND amount > 0), "
        f"count(*) FILTER (NOT ({used}) AND amount > 0) FROM tx").fetchall()[0]
    if sales or not rows:
        return
    source = params.data.transactions
    header = info.mapping["amount"]
    examples = con.execute(f"SELECT _row, _raw_amount FROM tx WHERE {used} ORDER BY _row "
                           f"LIMIT 5").fetchall()
    if later:
        advice = (f"Its {later:,} sale(s) are dated after as_of ({as_of.isoformat()}), set in "
                  f"the parameters: check as_of.")
    elif "amount" in source.columns:
        advice = (f"The parameters map amount to {header!r}: check that this column holds the "
                  f"sale amounts (not returns, refunds or a balance); otherwise export the sales "
                  f"themselves (shipments, invoices), with their returns, and run again.")
    elif "amount" not in info.mapping or " x " in header:
        advice = ("Here amount is quantity x price: check those columns, or name the column of "
                  "sale amounts in the parameters (columns: {amount: ...}).")
    else:
        advice = (f"If the sale amounts are in a column other than {header!r}, name it in the "
                  f"parameters (columns: {{amount: ...}}); otherwise export the sales "
                  f"themselves (shipments, invoices), with their returns, and run again.")
    raise DataError(f"{source.path}: every amount in column {header!r} is negative or zero "
                    f"({rows:,} rows: {format_rows([(r, v or '') for r, v in examples], rows)}): "
                    f"the file holds returns, not sales, and there is no revenue to analyse. "
                    f"{advice}")


def _period_issues(con, name: str, as_of: dt.date) -> list[Issue]:
    later = f"date > DATE '{as_of.isoformat()}'"
    used = f"date <= DATE '{as_of.isoformat()}'"
    found = [_found(con, "after_as_of", later, "kept_aside", name, None, "_raw_date"),
             _found(con, "returns", f"amount < 0 AND {used}", "netted", name, None,
                    "_raw_amount"),
             _found(con, "zero_amounts", f"amount = 0 AND {used}", "kept", name, None,
                    "_raw_amount", amount=False)]
    return [issue for issue in found if issue]


def _figures(con, info: FileInfo, issues: list[Issue], as_of: dt.date) -> dict:
    """The key figures of the rows used (dated up to ``as_of``).

    ``customers`` counts the distinct ids among them; ``customers_with_purchase`` those with
    a purchase day (a day whose net amount is not negative, as in the customer summary):
    a customer whose rows are all returns has none.
    """
    used = f"date <= DATE '{as_of.isoformat()}'"
    # Money as DECIMAL: a parallel sum of doubles depends on the order threads add them in.
    rows_used, revenue, customers, start, end = con.execute(
        f"SELECT count(*), coalesce(sum(CAST(amount AS DECIMAL(38, 6))), 0), "
        f"count(DISTINCT customer_id), min(date), max(date) FROM tx WHERE {used}").fetchall()[0]
    if rows_used == 0:
        raise DataError(f"{info.name}: no usable rows dated on or before as_of "
                        f"({as_of.isoformat()}). Check as_of in the parameters and the dates "
                        f"in the file.")
    return {
        "transactions": {"rows_read": int(info.rows_read), "rows_used": int(rows_used)},
        "revenue": round(float(revenue), 2),
        "customers": int(customers),
        "customers_with_purchase": None,  # counted by the customer summary, once written
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "as_of": as_of.isoformat(),
        "issues": [_issue_figures(i) for i in issues],
    }


def _issue_figures(issue: Issue) -> dict:
    figures = {"kind": issue.kind, "rows": issue.rows, "action": issue.action}
    if issue.documents is not None:
        figures["documents"] = issue.documents
    return figures


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
