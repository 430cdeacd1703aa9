"""The managers' task workbooks of a run: every notebook hands its lists over here, and
each manager's workbook is written once.

Segmentation, lifetime value and win-back each have lists for the same managers (calls,
retain, win back...), and each manager gets one workbook with all of them. Under
``playbook run`` those notebooks run at the same time, so none of them may write the
workbooks: each records its lists in the run folder (``data/tasks/<source>.pickle``) and
the runner writes every manager's workbook once, after the notebooks
(:func:`write_recorded`). Opened by hand in JupyterLab, a notebook writes its sheets into
the workbooks at once, as it always did (:func:`hand_over` without :func:`defer`).

Either way the workbooks are the same: lists are applied in the notebooks' order
(segmentation, lifetime value, win-back), a later list of the same key replaces an
earlier one, and the summary sheet shows the last outcomes given.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import pickle
import tempfile
from pathlib import Path

import pandas as pd

from playbook.exports.workbook import manager_files, write_task_lists
from playbook.report.i18n import Lang

__all__ = ["SOURCES", "PARALLEL_TASKS", "defer", "deferred", "hand_over", "book_paths",
           "write_recorded", "tasks_folder"]

log = logging.getLogger(__name__)
#: The notebooks that hand lists over, in the order their lists are applied.
SOURCES = ("segmentation", "ltv", "winback")
#: The runner leaves this file in :func:`tasks_folder` while its notebooks run.
_DEFERRED = "written-by-the-runner"


def tasks_folder(run_dir: Path) -> Path:
    """Where a run's notebooks record their task lists."""
    return Path(run_dir) / "data" / "tasks"


def defer(run_dir: Path) -> None:
    """Tell the notebooks of this run folder to record their lists, not write workbooks."""
    folder = tasks_folder(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _DEFERRED).touch()


def deferred(run_dir: Path) -> bool:
    """Whether the runner writes this run folder's workbooks after the notebooks."""
    return (tasks_folder(run_dir) / _DEFERRED).exists()


def book_paths(lists: dict[str, pd.DataFrame], folder: Path, lang: Lang) -> list[Path]:
    """The workbooks these lists go into: one per manager with a task, sorted.

    Raises
    ------
    RuntimeError
        When two managers' names would share a file (:func:`manager_files`).
    """
    return sorted(folder / f"{stem}.xlsx" for stem in manager_files(lists, lang).values())


def hand_over(run, source: str, lists: dict[str, pd.DataFrame], *,
              outcomes: pd.DataFrame | None = None) -> list[Path]:
    """A notebook's task lists for the managers' workbooks.

    Under ``playbook run`` (:func:`deferred`) they are recorded and the runner writes the
    workbooks after the notebooks; otherwise they are written into the workbooks now.

    Parameters
    ----------
    run
        The notebook's :class:`~playbook.running.context.RunContext`.
    source
        The notebook: one of :data:`SOURCES`.
    lists, outcomes
        As for :func:`~playbook.exports.workbook.write_task_lists`.

    Returns
    -------
    list of Path
        The workbooks these lists go into (written now or by the runner), sorted.
    """
    if source not in SOURCES:
        raise ValueError(f"unknown source of task lists {source!r}; one of {SOURCES}")
    folder = Path(run.run_dir) / "exports"
    if not deferred(run.run_dir):
        return write_task_lists(lists, folder, run.lang, start=run.handover,
                                outcomes=outcomes)
    paths = book_paths(lists, folder, run.lang)  # a clash of names stops this notebook
    record = {"lists": lists, "outcomes": outcomes, "start": run.handover}
    target = tasks_folder(run.run_dir) / f"{source}.pickle"
    handle, partial = tempfile.mkstemp(prefix=f".{source}-", dir=target.parent)
    with os.fdopen(handle, "wb") as sink:
        pickle.dump(record, sink, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(partial, target)  # the runner never reads half a record
    return paths


def write_recorded(run_dir: Path, lang: Lang, *, processes: int = 1) -> list[Path]:
    """Write every manager's workbook once from the lists the notebooks recorded.

    With ``processes`` above one and at least :data:`PARALLEL_TASKS` tasks, the managers are
    shared among that many processes (a large client's workbooks take a minute of CPU).
    Returns the workbooks written, sorted (none when no notebook recorded lists). Raises
    RuntimeError as :func:`~playbook.exports.workbook.write_task_lists` does.
    """
    folder = tasks_folder(run_dir)
    lists, outcomes, start = _recorded(folder)
    if start is None:
        return []
    exports = Path(run_dir) / "exports"
    groups = _groups(lists, processes) if sum(map(len, lists.values())) >= PARALLEL_TASKS \
        else []
    if len(groups) < 2:
        return write_task_lists(lists, exports, lang, start=start, outcomes=outcomes)
    book_paths(lists, exports, lang)  # a clash of names stops it before any file is written
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    parts = [{key: tasks[tasks["manager"].map(str).isin(group)] for key, tasks in lists.items()}
             for group in groups]
    del lists  # each process gets its part; the runner keeps no copy of a large client's
    spawn = multiprocessing.get_context("spawn")  # never a fork of the runner's threads
    try:
        with ProcessPoolExecutor(max_workers=len(parts), mp_context=spawn) as pool:
            futures = [pool.submit(_write_part, part, exports, (lang.code, lang.currency),
                                   start, outcomes) for part in parts]
            del parts
            return sorted(p for future in futures for p in future.result())
    except BrokenProcessPool:  # a process died (out of memory?): write them all here
        log.warning("a process writing the managers' workbooks died; writing them in one")
        for partial in exports.glob("*.xlsx.partial"):
            partial.unlink()
        lists, outcomes, start = _recorded(folder)
        return write_task_lists(lists, exports, lang, start=start, outcomes=outcomes)


def _recorded(folder: Path) -> tuple[dict[str, pd.DataFrame], pd.DataFrame | None,
                                     dt.date | None]:
    """The lists the notebooks recorded in ``folder``, the outcomes of last period's tasks
    and the hand-over date (None: no notebook recorded lists).
    """
    lists: dict[str, pd.DataFrame] = {}
    outcomes = None
    start: dt.date | None = None
    for source in SOURCES:
        path = folder / f"{source}.pickle"
        if not path.exists():
            continue
        record = pickle.loads(path.read_bytes())
        lists.update(record["lists"])
        if record["outcomes"] is not None:
            outcomes = record["outcomes"]
        start = record["start"]
    return lists, outcomes, start


#: Fewer tasks than this are written in one process: starting another costs a second.
PARALLEL_TASKS = 20_000


def _groups(lists: dict[str, pd.DataFrame], processes: int) -> list[set[str]]:
    """The managers shared among ``processes`` groups of about equal tasks (the largest
    first, each to the group with the fewest so far); no empty group.
    """
    counts: dict[str, int] = {}
    for tasks in lists.values():
        for manager, n in tasks["manager"].map(str).value_counts().items():
            counts[manager] = counts.get(manager, 0) + int(n)
    groups: list[tuple[int, set[str]]] = [(0, set()) for _ in range(max(1, processes))]
    for manager in sorted(counts, key=lambda m: (-counts[m], m)):
        at = min(range(len(groups)), key=lambda i: (groups[i][0], i))
        total, members = groups[at]
        groups[at] = (total + counts[manager], members | {manager})
    return [members for _, members in groups if members]


def _write_part(lists: dict[str, pd.DataFrame], folder: Path, language: tuple[str, str],
                start: dt.date, outcomes: pd.DataFrame | None) -> list[Path]:
    """One process's share of the workbooks (its managers' rows of every list)."""
    return write_task_lists(lists, folder, Lang(*language), start=start, outcomes=outcomes)
