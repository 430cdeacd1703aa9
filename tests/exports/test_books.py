"""The notebooks hand their task lists over; each manager's workbook comes out the same
whether the notebooks wrote it one after another or the runner writes it once after them.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from playbook.exports import books, lists, workbook
from playbook.report.i18n import Lang

START = dt.date(2026, 11, 2)
OUTCOMES = pd.DataFrame({"manager": ["Иванов Иван"] * 3 + ["Петров Пётр"],
                         "list": ["calls", "calls", "winback", "retain"],
                         "status": ["done", "no_answer", "won_back", "todo"]})


def _tasks(key, managers, lang):
    n = len(managers)
    ids = [f"{key}-{i}" for i in range(n)]
    rows = pd.DataFrame({"customer_id": ids, "reason": [f"{key} reason"] * n,
                         "suggested_action": ["act"] * n, "due_date": [START] * n,
                         "value_at_stake": [float(10 * (i + 1)) for i in range(n)]})
    people = pd.DataFrame({"customer_id": ids, "manager": managers,
                           "customer_name": [f"=name {i}" for i in range(n)],
                           "contact_person": [None] * n, "phone": ["+7 912 345-67-89"] * n,
                           "email": [None] * n})
    return lists.finish(rows, key, lang, people=people, context=None, start=START)


def _handed(lang):
    """What the three notebooks hand over: managers spread unevenly over the lists."""
    return [
        ("segmentation", {"calls": _tasks("calls", ["Иванов Иван", "unassigned"], lang),
                          "greetings": _tasks("greetings", ["Петров Пётр"], lang)}, OUTCOMES),
        ("ltv", {"retain": _tasks("retain", ["Петров Пётр", "Петров Пётр"], lang)}, None),
        ("winback", {"winback": _tasks("winback", ["Иванов Иван", "Сидоров С."], lang),
                     "apology": _tasks("apology", [], lang)}, OUTCOMES),
    ]


def _run(folder, lang):
    return SimpleNamespace(run_dir=folder, lang=lang, handover=START)


def _cells(folder):
    """Every workbook's properties and every sheet's cells, by file name."""
    out = {}
    for path in sorted(folder.glob("*.xlsx")):
        book = openpyxl.load_workbook(path)
        props = book.properties
        out[path.name] = (props.title, props.identifier, props.keywords, props.subject,
                          {sheet.title: [tuple(c.value for c in row) for row in sheet.rows]
                           for sheet in book.worksheets})
    return out


@pytest.mark.parametrize("code", ["ru", "en"])
def test_written_once_after_the_notebooks_equals_written_by_each(tmp_path, code):
    lang = Lang(code)
    one_by_one, at_the_end = tmp_path / "sequential", tmp_path / "runner"
    paths = {}
    for source, handed, outcomes in _handed(lang):
        paths[source] = books.hand_over(_run(one_by_one, lang), source, handed,
                                        outcomes=outcomes)
    books.defer(at_the_end)
    for source, handed, outcomes in reversed(_handed(lang)):  # finished in another order
        got = books.hand_over(_run(at_the_end, lang), source, handed, outcomes=outcomes)
        # the notebook is told the files its lists go into, as when it wrote them
        assert [p.name for p in got] == [p.name for p in paths[source]]
    assert not list((at_the_end / "exports").glob("*.xlsx"))  # nothing written yet
    written = books.write_recorded(at_the_end, lang)
    assert [p.name for p in written] == sorted(p.name for p in (one_by_one / "exports").iterdir())
    assert len(written) == 4  # Иванов, Петров, Сидоров and the customers without a manager
    assert _cells(at_the_end / "exports") == _cells(one_by_one / "exports")


def test_last_period_outcomes_reach_a_manager_with_only_the_ltv_list(tmp_path):
    # One after another, the LTV notebook (which gives no outcomes) wrote such a manager's
    # summary alone, as "no filled-in workbooks yet"; written once, it has them.
    lang = Lang("en")
    books.defer(tmp_path)
    handed = _handed(lang)
    handed[0][1]["greetings"] = _tasks("greetings", ["Иванов Иван"], lang)
    for source, lists_, outcomes in handed:
        books.hand_over(_run(tmp_path, lang), source, lists_, outcomes=outcomes)
    books.write_recorded(tmp_path, lang)
    book = openpyxl.load_workbook(tmp_path / "exports" / "Петров_Пётр.xlsx")
    assert book.sheetnames == ["Summary", "Retain"]
    summary = book["Summary"]
    rows = [r for r in summary.iter_rows(values_only=True)]
    at = [r[0] for r in rows].index("Last period's completion")
    assert rows[at + 2][:2] == ("Retain", 1)


def test_nothing_handed_over_writes_nothing(tmp_path):
    books.defer(tmp_path)
    assert books.write_recorded(tmp_path, Lang("ru")) == []
    assert not (tmp_path / "exports").exists()


def _one_stem(monkeypatch):
    """File stems never clash by design (a hash where needed): make them clash."""
    monkeypatch.setattr(workbook, "manager_stem", lambda manager, lang=None: "same")


def test_a_clash_of_file_names_stops_the_notebook_that_hands_it_over(tmp_path, monkeypatch):
    _one_stem(monkeypatch)
    lang = Lang("ru")
    books.defer(tmp_path)
    clash = {"calls": _tasks("calls", ["Иванов Иван", "Петров Пётр"], lang)}
    with pytest.raises(RuntimeError, match="would share the file"):
        books.hand_over(_run(tmp_path, lang), "segmentation", clash)
    assert not (books.tasks_folder(tmp_path) / "segmentation.pickle").exists()


def test_a_clash_across_notebooks_is_found_when_the_workbooks_are_written(tmp_path,
                                                                          monkeypatch):
    _one_stem(monkeypatch)
    lang = Lang("ru")
    books.defer(tmp_path)
    books.hand_over(_run(tmp_path, lang), "segmentation",
                    {"calls": _tasks("calls", ["Иванов Иван"], lang)})
    books.hand_over(_run(tmp_path, lang), "ltv", {"retain": _tasks("retain", ["Петров Пётр"],
                                                                   lang)})
    with pytest.raises(RuntimeError, match="would share the file"):
        books.write_recorded(tmp_path, lang)
    assert not list((tmp_path / "exports").glob("*.xlsx"))


def test_an_unknown_source_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown source"):
        books.hand_over(_run(tmp_path, Lang("ru")), "survey", {})


def _recorded_twice(tmp_path, lang):
    """Two run folders whose notebooks handed the same lists over."""
    folders = tmp_path / "one", tmp_path / "two"
    for folder in folders:
        books.defer(folder)
        for source, handed, outcomes in _handed(lang):
            books.hand_over(_run(folder, lang), source, handed, outcomes=outcomes)
    return folders


def test_a_large_clients_workbooks_shared_among_processes_are_the_same(tmp_path, monkeypatch):
    lang = Lang("ru")
    one, two = _recorded_twice(tmp_path, lang)
    books.write_recorded(one, lang)
    monkeypatch.setattr(books, "PARALLEL_TASKS", 1)  # this small client counts as large
    written = books.write_recorded(two, lang, processes=2)
    assert written == sorted(written) and len(written) == 4
    assert _cells(two / "exports") == _cells(one / "exports")


def test_managers_are_shared_by_their_tasks():
    lang = Lang("ru")
    lists = {"calls": _tasks("calls", ["A"] * 5 + ["B"] * 3 + ["C"] * 2 + ["D"], lang)}
    assert books._groups(lists, 2) == [{"A", "D"}, {"B", "C"}]  # 6 and 5 tasks
    assert books._groups(lists, 8) == [{"A"}, {"B"}, {"C"}, {"D"}]  # no empty group
    assert books._groups(lists, 1) == [{"A", "B", "C", "D"}]


def test_a_process_that_dies_writing_leaves_the_workbooks_to_the_runner(tmp_path, monkeypatch):
    import concurrent.futures
    from concurrent.futures.process import BrokenProcessPool

    lang = Lang("ru")
    one, two = _recorded_twice(tmp_path, lang)
    books.write_recorded(one, lang)

    class Dying(concurrent.futures.ThreadPoolExecutor):
        """Writes the first part, then its 'process' dies, a half-written file left."""

        def __init__(self, max_workers, mp_context):
            super().__init__(max_workers)

        def map(self, fn, *parts):
            fn(*[p[0] for p in parts])
            (parts[1][0] / "Сидоров_С.xlsx.partial").write_bytes(b"half")
            raise BrokenProcessPool("a child process terminated abruptly")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", Dying)
    monkeypatch.setattr(books, "PARALLEL_TASKS", 1)
    written = books.write_recorded(two, lang, processes=2)
    assert len(written) == 4
    assert not list((two / "exports").glob("*.partial"))
    assert _cells(two / "exports") == _cells(one / "exports")
