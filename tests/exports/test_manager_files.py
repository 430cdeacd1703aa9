"""Managers' workbooks: one per manager whatever the name, safe everywhere, every task in one."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbook.exports import lists, workbook
from playbook.exports import tasks as exports
from playbook.report.i18n import Lang

LANG = Lang("ru")
START = dt.date(2026, 11, 2)
WINDOWS_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?", re.I)
FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f]')
LIST_TITLES = {name: exports.list_name(name, LANG)
               for name in ("calls", "greetings", "penetration", "retain")}

HOSTILE = [
    "a/b", "a:b", "a\\b", "a|b", "Иванов И.И.", "Иванов И. И.", "Иванов И.И", "Иванов Иван",
    "ИВАНОВ ИВАН", "иванов иван", "Иванов Иван ", " Иванов Иван", "Иванов  Иван",
    "Иванов\u00a0Иван", "Иванов\tИван", "Иванов\x0bИван", "Йошкин", unicodedata.normalize(
        "NFD", "Йошкин"), "CON", "con", "Con", "CON.txt", "nul.xlsx", "COM1", "Lpt9", "Com¹",
    "AUX", "Prn", "😀", "😀😀", "👩\u200d💼", "!!!", "...", " ", "-", "_", "", ".", "..",
    "Segments", "segments", "Unassigned", "unassigned", "=HYPERLINK(\"x\")", "@SUM(A1)",
    "Ж" * 300, "a" * 500, "Иванов " * 30, "Иванов Иван Иванович Петров-Водкин" * 4,
    "Smith & Sons &P", "$x^2$", "a__calls", "x-1a2b3c4d", "manager", "Manager",
]
NAMES = st.one_of(st.sampled_from(HOSTILE),
                  st.text(st.characters(exclude_categories=("Cs",)), max_size=120))


def test_names_that_used_to_share_a_file_get_their_own():
    for a, b in [("a/b", "a:b"), ("Иванов И.И.", "Иванов И. И."), ("Con", "CON"),
                 ("Иванов Иван", "ИВАНОВ ИВАН"), ("😀", "😀😀"), ("!!!", "..."),
                 ("Ж" * 300, "Ж" * 301)]:
        assert exports.manager_stem(a).casefold() != exports.manager_stem(b).casefold()


@pytest.mark.parametrize(("name", "stem"), [
    # the scheme, pinned: the same name gives the same files in every run and version
    ("Лебедев Дмитрий Сергеевич", "Лебедев_Дмитрий_Сергеевич"),
    ("Иванов И. И.", "Иванов_И_И-0cab8971"),
    ("Иванов И.И.", "Иванов_И_И-9ee827a2"),
    ("a/b", "a_b-c14cddc0"),
    ("CON", "CON-a3dbc4b6"),
    ("😀", "manager-f0443a34"),
    (exports.UNASSIGNED, "unassigned"),
    ("Без Менеджера", "Без_Менеджера-dd3745fc"),
    ("Рассылки", "Рассылки-02b65ae5"),
])
def test_stems_are_readable_and_stable(name, stem):
    assert exports.manager_stem(name) == stem


def test_customers_without_a_manager_get_a_file_named_in_the_clients_language():
    assert exports.manager_stem(exports.UNASSIGNED, Lang("ru")) == "Без_менеджера"
    assert exports.manager_stem(exports.UNASSIGNED, Lang("en")) == "unassigned"


@pytest.mark.parametrize("name", ["Ж" * 300, "a" * 500, "😀" * 40, "Иванов " * 30])
def test_long_names_are_cut_to_the_byte_limit(name):
    stem = exports.manager_stem(name)
    assert len(stem.encode("utf-8")) <= exports.MAX_STEM_BYTES
    assert len(f"{stem}.xlsx".encode()) <= 100
    assert exports.manager_stem(name + "x") != stem


def _check_file_name(path) -> None:
    name = path.name
    assert len(name.encode("utf-8")) <= 100, name
    assert not FORBIDDEN.search(name), name
    assert not WINDOWS_RESERVED.fullmatch(name.split(".")[0]), name
    assert not name.startswith((".", "-", " ")) and name == name.strip(), name
    assert unicodedata.normalize("NFC", name) == name, name


def _xml(text) -> str:
    """Text as it comes back from a workbook: no control characters, \r read as \n."""
    text = openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE.sub("", text or "")
    return text.replace("\r\n", "\n").replace("\r", "\n")


@st.composite
def task_lists(draw):
    """Managers with hostile names and the task lists the notebooks hand over."""
    managers = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    managers.append(exports.UNASSIGNED)

    def tasks(name, n):
        who = draw(st.lists(st.sampled_from(managers), min_size=n, max_size=n))
        return _tasks(name, who, draw(st.lists(NAMES, min_size=n, max_size=n)))

    sizes = draw(st.lists(st.integers(0, 6), min_size=4, max_size=4))
    return {name: tasks(name, n) for name, n in zip(LIST_TITLES, sizes, strict=True)}


def _tasks(name, managers, customers):
    """A finished list: one task per customer, of the given managers."""
    n = len(managers)
    rows = pd.DataFrame({"customer_id": [f"K-{i}" for i in range(n)], "reason": ["r"] * n,
                         "suggested_action": ["a"] * n, "due_date": [START] * n,
                         "value_at_stake": [float(n - i) for i in range(n)]})
    people = pd.DataFrame({"customer_id": rows["customer_id"], "manager": managers,
                           "customer_name": customers, "contact_person": [None] * n,
                           "phone": ["+7 912 345-67-89"] * n, "email": [None] * n})
    return lists.finish(rows, name, LANG, people=people, context=None, start=START)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(task_lists())
def test_every_task_lands_in_its_managers_files_once(tmp_path_factory, lists):
    folder = tmp_path_factory.mktemp("exports")
    segmentation = {k: v for k, v in lists.items() if k != "retain"}
    files = workbook.write_task_lists(segmentation, folder, LANG, start=START)  # 10_segmentation
    files += workbook.write_task_lists({"retain": lists["retain"]}, folder, LANG,
                                       start=START)  # 20_ltv
    for path in files:
        _check_file_name(path)
    stems = {p.stem for p in folder.glob("*.xlsx")}
    managers = set().union(*[set(t["manager"].map(str)) for t in lists.values()])
    assert len({s.casefold() for s in stems}) == len(stems) == len(managers)
    assert stems == {exports.manager_stem(m, LANG) for m in managers}

    for manager in managers:
        stem = exports.manager_stem(manager, LANG)
        book = openpyxl.load_workbook(folder / f"{stem}.xlsx")
        shown = "Без менеджера" if manager == exports.UNASSIGNED else manager
        digest = hashlib.sha256(manager.encode("utf-8", "surrogatepass")).hexdigest()
        assert book.properties.identifier == f"sha256:{digest}"  # whose workbook it is
        assert _xml(book.properties.title) == _xml(shown)
        calls = [k for k, t in segmentation.items() if (t["manager"].map(str) == manager).any()]
        retain = ["retain"] if (lists["retain"]["manager"].map(str) == manager).any() else []
        order = [n for n in exports.LISTS if n in calls + retain]
        assert book.sheetnames == ["Сводка"] + [LIST_TITLES[n][:31] for n in order]
        for name, tasks in lists.items():
            mine = tasks[tasks["manager"].map(str) == manager]
            if name not in calls + retain:  # no task for this manager: no sheet
                assert mine.empty
                continue
            sheet = book[LIST_TITLES[name][:31]]
            header = [c.value for c in sheet[1]]
            rows = list(sheet.iter_rows(min_row=2, values_only=True))
            assert len(rows) == len(mine)
            if not rows:
                continue
            at = header.index(exports.label("manager", LANG))
            assert [_xml(r[at]) for r in rows] == [_xml(exports.neutralise(shown))] * len(rows)
            ids = [r[header.index(exports.label("customer_id", LANG))] for r in rows]
            assert sorted(ids) == sorted(mine["customer_id"])


def test_names_equal_as_text_are_one_manager(tmp_path):
    frame = _tasks("calls", [101, "101"], ["A", "B"])
    workbook.write_task_lists({"calls": frame}, tmp_path, LANG, start=START)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["101.xlsx"]
    assert openpyxl.load_workbook(tmp_path / "101.xlsx")["Звонки"].max_row == 3


def test_a_workbook_of_another_manager_is_never_overwritten(tmp_path):
    frame = _tasks("calls", ["Иванов Иван"], ["A"])
    workbook.write_task_lists({"calls": frame}, tmp_path, LANG, start=START)
    book = openpyxl.load_workbook(tmp_path / "Иванов_Иван.xlsx")
    book.properties.identifier, book.properties.title = "sha256:0", "Someone else"
    book.save(tmp_path / "Иванов_Иван.xlsx")
    with pytest.raises(RuntimeError, match="Someone else"):
        workbook.write_task_lists({"retain": _tasks("retain", ["Иванов Иван"], ["A"])},
                                  tmp_path, LANG, start=START)
