"""The service-standards logs: mystery-shopping audits, the call log, the request log and the
training log.

Read like every client file (:func:`~playbook.intake.sources.read_raw`: encodings,
delimiters, workbooks; :func:`~playbook.intake.columns.detect_columns`: the parameters'
mapping or header synonyms), then parsed here: dates and times, yes/no answers and numbers,
any bad cell an error naming the file, the column and the rows. Written as
``standards__<name>.parquet`` for the standards notebook.

Audits come long (one row per checked item: date, branch, employee, item, passed) or wide
(one row per visit, one column per item, its header the standard's id; a blank cell is an
item not checked). The training log has one row per employee and course (a standard or a
training module): date, branch, employee, course, passed and/or score.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from playbook.errors import DataError, format_rows
from playbook.intake.columns import detect_columns
from playbook.intake.model import FileInfo
from playbook.intake.sources import read_raw

__all__ = ["LOGS", "LOG_HEADERS", "LOG_REQUIRED", "read_logs", "parse_moments", "parse_flags",
           "parse_numbers"]

LOGS = ("audits", "calls", "requests", "training")
_BRANCH = [["филиал", "подразделение", "магазин", "точка", "офис", "отдел", "branch", "store",
            "team", "office", "department"]]
_EMPLOYEE = [["сотрудник", "менеджер", "продавец", "консультант", "оператор", "фио",
              "employee", "staff", "manager", "agent", "consultant"]]
LOG_HEADERS: dict[str, dict[str, list[list[str]]]] = {
    "audits": {
        "date": [["дата", "дата проверки", "дата визита", "date", "visit date", "audit date"]],
        "branch": _BRANCH, "employee": _EMPLOYEE,
        "item": [["пункт", "стандарт", "критерий", "код стандарта", "item", "standard",
                  "criterion", "standard id"]],
        "passed": [["выполнено", "соблюдено", "результат", "оценка", "passed", "pass",
                    "result", "met", "ok"]],
    },
    "calls": {
        "time": [["дата и время", "время звонка", "начало звонка", "дата звонка", "время",
                  "дата", "time", "datetime", "call time", "start", "date"]],
        "branch": _BRANCH, "employee": _EMPLOYEE,
        "rings": [["гудков", "гудки", "звонков до ответа", "rings", "rings to answer"]],
        "answer_seconds": [["секунд до ответа", "ожидание ответа", "время ответа сек",
                            "answer seconds", "seconds to answer", "time to answer"]],
        "missed": [["пропущен", "пропущенный", "missed", "abandoned"]],
        "hold_seconds": [["удержание", "на удержании", "ожидание на линии", "hold",
                          "hold seconds", "on hold"]],
        "callback": [["обратный звонок", "перезвонили", "перезвон", "callback", "call back",
                      "called back"]],
    },
    "requests": {
        "received": [["получено", "поступило", "дата обращения", "время обращения",
                      "received", "created", "opened"]],
        "first_answer": [["первый ответ", "ответ", "дата ответа", "first answer",
                          "first response", "answered"]],
        "resolved": [["решено", "закрыто", "дата решения", "resolved", "closed"]],
        "channel": [["канал", "channel", "source"]],
        "category": [["категория", "тип", "тип обращения", "category", "type"]],
        "branch": _BRANCH, "employee": _EMPLOYEE,
    },
    "training": {
        "date": [["дата", "дата обучения", "дата аттестации", "date", "training date"]],
        "branch": _BRANCH, "employee": _EMPLOYEE,
        "course": [["курс", "стандарт", "тема", "модуль", "программа", "course", "standard",
                    "module", "topic", "training"]],
        "passed": [["сдал", "сдано", "зачёт", "зачет", "аттестован", "аттестация", "passed",
                    "pass", "result"]],
        "score": [["балл", "баллы", "оценка", "результат теста", "score", "points", "mark"]],
    },
}
LOG_REQUIRED = {"audits": ("date",), "calls": ("time",), "requests": ("received",),
                "training": ("date", "employee")}
_MOMENTS = {"audits": ("date",), "calls": ("time",),
            "requests": ("received", "first_answer", "resolved"), "training": ("date",)}
_FLAGS = {"audits": ("passed",), "calls": ("missed", "callback"), "training": ("passed",)}
_NUMBERS = {"calls": ("rings", "answer_seconds", "hold_seconds"), "training": ("score",)}
_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y %H:%M", "%d.%m.%y",
            "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M",
            "%Y-%m-%d", "%d/%m/%Y %H:%M", "%d/%m/%Y")
_YES = {"1", "1.0", "да", "д", "yes", "y", "true", "истина", "+", "pass", "passed", "ok",
        "выполнено", "соблюдено", "v", "✓", "x"}
_NO = {"0", "0.0", "нет", "н", "no", "n", "false", "ложь", "-", "fail", "failed",
       "не выполнено", "не соблюдено", "нарушено"}


def _bad(values: pd.Series, rows: pd.Series, bad: pd.Series, path: Path, header: str,
         what: str) -> DataError:
    where = bad.to_numpy().nonzero()[0]
    quoted = [(int(rows.iat[i]), values.iat[i]) for i in where[:5]]
    return DataError(f"{path}: column {header!r} holds {what}: "
                     f"{format_rows(quoted, int(bad.sum()))}. Correct them and run again.")


def parse_moments(values: pd.Series, rows: pd.Series, path: Path, header: str, *,
                  required: bool) -> pd.Series:
    """Dates or dates with times, day first (``05.01.2026 14:30``) or ISO; a cell that reads
    as none of them (or a blank one, when ``required``) is an error naming the rows.
    """
    text = values.astype("string").str.strip()
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in _FORMATS:
        missing = parsed.isna() & text.notna() & (text != "")
        if not missing.any():
            break
        parsed[missing] = pd.to_datetime(text[missing], format=fmt, errors="coerce")
    blank = text.isna() | (text == "")
    bad = parsed.isna() & ~blank
    if bad.any():
        raise _bad(values, rows, bad, path, header, "values that are not dates (day.month.year "
                   "with an optional hh:mm, or year-month-day)")
    if required and blank.any():
        raise _bad(values, rows, blank, path, header, "blank dates")
    return parsed


def parse_flags(values: pd.Series, rows: pd.Series, path: Path, header: str) -> pd.Series:
    """Yes/no answers (да/нет, 1/0, yes/no, pass/fail, +/-) as a nullable boolean; a blank
    cell is missing; anything else is an error naming the rows.
    """
    text = values.astype("string").str.strip().str.lower().str.replace("ё", "е")
    out = pd.Series(pd.NA, index=values.index, dtype="boolean")
    out[text.isin(_YES).fillna(False)] = True
    out[text.isin(_NO).fillna(False)] = False
    bad = out.isna() & text.notna() & (text != "")
    if bad.any():
        raise _bad(values, rows, bad, path, header, "values that are not yes or no (1/0, "
                   "да/нет, yes/no)")
    return out


def parse_numbers(values: pd.Series, rows: pd.Series, path: Path, header: str) -> pd.Series:
    """Non-negative numbers (a decimal comma and spaces between thousands are fine)."""
    text = values.astype("string").str.replace(r"[\s\u00a0]", "", regex=True) \
        .str.replace(",", ".")
    numbers = pd.to_numeric(text, errors="coerce")
    bad = (numbers.isna() & text.notna() & (text != "")) | (numbers < 0).fillna(False)
    if bad.any():
        raise _bad(values, rows, bad, path, header, "values that are not numbers of 0 or more")
    return numbers.astype("Float64")


def _wide_audits(frame: pd.DataFrame, mapping: dict[str, str], rows: pd.Series) -> tuple:
    """A wide audit sheet (one column per item) made long: the item columns are every
    column not mapped to date, branch or employee; blank cells are items not checked.
    """
    items = [c for c in frame.columns if c not in mapping.values()]
    long = frame.assign(_row=rows.to_numpy()).melt(
        id_vars=[*mapping.values(), "_row"], value_vars=items, var_name="_item",
        value_name="_passed")
    text = long["_passed"].astype("string").str.strip()
    long = long[text.notna() & (text != "")].reset_index(drop=True)
    return long, items


def _log_table(name: str, source, frame: pd.DataFrame, rows: pd.Series,
               mapping: dict[str, str]) -> pd.DataFrame:
    path = source.path
    if name == "audits" and "item" not in mapping and "passed" not in mapping:
        frame, items = _wide_audits(frame, mapping, rows)
        if not items:
            raise DataError(f"{path}: no item columns: a wide audit sheet has one column per "
                            f"standard (its header the standard's id), a long one has "
                            f"'item' and 'passed' columns. Name them in the parameters.")
        rows = frame.pop("_row")
        mapping = mapping | {"item": "_item", "passed": "_passed"}
    elif name == "audits":
        missing = [c for c in ("item", "passed") if c not in mapping]
        if missing:
            raise DataError(f"{path}: cannot find the {missing[0]!r} column of the audits. The "
                            f"file's columns are: {', '.join(map(repr, frame.columns))}. Name "
                            f"it in the parameters, e.g. columns: {{{missing[0]}: "
                            f"{frame.columns[0]!r}}}.")
    table = pd.DataFrame({"_row": rows.to_numpy()})
    for canonical, header in mapping.items():
        values = frame[header].reset_index(drop=True)
        if canonical in _MOMENTS.get(name, ()):
            table[canonical] = parse_moments(values, table["_row"], path, header,
                                             required=canonical in LOG_REQUIRED[name])
        elif canonical in _FLAGS.get(name, ()):
            table[canonical] = parse_flags(values, table["_row"], path, header)
        elif canonical in _NUMBERS.get(name, ()):
            table[canonical] = parse_numbers(values, table["_row"], path, header)
        else:
            table[canonical] = values.astype("string").str.strip()
    if name == "audits" and table["passed"].isna().any():
        raise _bad(frame[mapping["passed"]].reset_index(drop=True), table["_row"],
                   table["passed"].isna(), path, mapping["passed"], "blank answers")
    if name == "audits":
        table["item"] = table["item"].str.lower()
    if name == "training":
        if "passed" not in table and "score" not in table:
            raise DataError(f"{path}: the training log needs a 'passed' (yes/no) or a 'score' "
                            f"column. The file's columns are: "
                            f"{', '.join(map(repr, frame.columns))}. Name it in the "
                            f"parameters, e.g. columns: {{passed: {frame.columns[-1]!r}}}.")
        blank = table["employee"].isna() | (table["employee"] == "")
        if blank.any():
            raise _bad(frame[mapping["employee"]].reset_index(drop=True), table["_row"], blank,
                       path, mapping["employee"], "blank employees")
    return table.rename(columns={"_row": "row"})


def read_logs(con, params, out_dir: Path, work_dir: Path) -> list[FileInfo]:
    """Read the standards logs the parameters name into ``standards__<name>.parquet``
    (``row`` keeps each record's row number in the file); remove those of logs not given.

    Raises
    ------
    DataError
        Naming the file, the column and the rows of what cannot be read.
    """
    files = []
    for name in LOGS:
        source = getattr(params.data, name)
        target = out_dir / f"standards__{name}.parquet"
        if source is None:
            target.unlink(missing_ok=True)
            continue
        info = read_raw(con, source, "raw_log", work_dir)
        raw = con.execute("SELECT * FROM raw_log ORDER BY _row").df()
        rows = raw.pop("_row").astype("int64")
        raw = raw.astype("string")
        info.mapping = detect_columns(info.headers, LOG_HEADERS[name], source.columns,
                                      file=source.path, required=LOG_REQUIRED[name])
        table = _log_table(name, source, raw, rows, dict(info.mapping))
        partial = target.with_name(target.name + ".partial")
        table.to_parquet(partial, index=False)
        partial.replace(target)
        files.append(info)
    return files
