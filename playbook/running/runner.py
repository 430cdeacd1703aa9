"""Running the playbook for one client: validate, intake, notebooks, results, report.

``run_playbook(params_path)`` makes a new run folder (``runs/<client>/<timestamp>/`` by
default), runs intake once, executes each notebook with papermill in the client's language,
collects ``results.json``, renders ``report.html`` and, only when all of that succeeded,
points ``runs/<client>/latest`` at the folder. Files are written atomically, so a failed run
never leaves a half-written report and never replaces the last good one.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import papermill
from jupyter_client import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError

from playbook.errors import NotebookError, ParamsError
from playbook.intake import run_intake
from playbook.params import PROJECT_ROOT, Params, client_slug, load_params
from playbook.report import results as results_mod
from playbook.report.document import export_pdf, render_report
from playbook.running.context import intake_dir

__all__ = ["RunOutcome", "run_playbook", "NOTEBOOKS", "prepare_notebook", "new_run_dir"]

NOTEBOOKS = PROJECT_ROOT / "notebooks"
log = logging.getLogger("playbook")


@dataclass
class RunOutcome:
    """Where a successful run put things."""

    run_dir: Path
    report: Path
    results: dict


def new_run_dir(params: Params, out: str | Path | None, now: dt.datetime) -> Path:
    """The run folder: ``out`` if given, else a new ``runs/<client>/<timestamp>``."""
    if out:
        folder = Path(out).expanduser().resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    base = PROJECT_ROOT / "runs" / client_slug(params.client.name)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    for n in range(100):
        folder = base / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
    raise ParamsError(f"{base}: cannot create a new run folder; remove old runs there.")


def prepare_notebook(source: Path, lang: str) -> nbformat.NotebookNode:
    """A notebook with only the prose of the report's language (cells tagged ``lang-xx``)."""
    nb = nbformat.read(source, as_version=4)
    keep = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        langs = [t[5:] for t in tags if t.startswith("lang-")]
        if not langs or lang in langs:
            keep.append(cell)
    nb.cells = keep
    return nb


def _failed_cell(saved: Path) -> tuple[int | None, str]:
    """The code cell (1-based, as the saved notebook counts) where execution stopped.

    A raising cell is marked failed by papermill; a dead kernel or a timeout leaves no mark,
    so the last cell that started is the one that was running.
    """
    try:
        nb = nbformat.read(saved, as_version=4)
    except Exception:  # the saved notebook itself may be unreadable after a crash
        return None, ""
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    started = None
    for number, cell in enumerate(code_cells, start=1):
        status = cell.get("metadata", {}).get("papermill", {})
        if status.get("exception") or status.get("status") == "failed":
            started = number
            break
        if status.get("start_time"):
            started = number
    if started is None:
        return None, ""
    source = code_cells[started - 1].source.strip().splitlines()
    return started, source[0][:80] if source else ""


def _kernel_manager(log_path: Path) -> type[AsyncKernelManager]:
    """A kernel manager whose kernel writes its own stdout and stderr to the run's log.

    The kernel otherwise inherits the console and prints warnings and, on a timeout, the
    interrupted cell's traceback there.
    """
    class RunKernelManager(AsyncKernelManager):
        async def _async_launch_kernel(self, kernel_cmd, **kw):
            with log_path.open("ab") as sink:
                kw["stdout"] = kw["stderr"] = sink
                await super()._async_launch_kernel(kernel_cmd, **kw)

    return RunKernelManager


def _execute(name: str, params: Params, run_dir: Path, index: int, total: int,
             progress: Callable[[str], None]) -> Path:
    source = NOTEBOOKS / name  # an absolute path in run.notebooks stays as it is
    name = source.name
    if not source.exists():
        available = ", ".join(sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")))
        raise ParamsError(f"run.notebooks names {name!r}, which is not in {NOTEBOOKS}. "
                          f"Available: {available}.")
    prepared = run_dir / "notebooks" / "_input" / name
    prepared.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(prepare_notebook(source, params.client.language), prepared)
    output = run_dir / "notebooks" / name
    title = nbformat.read(source, as_version=4).metadata.get("playbook", {}).get(
        "title", {}).get(params.client.language, name)
    progress(f"[{index}/{total}] {name}: {title}")
    where = (f"The executed notebook is saved as {output} (cells are counted there); open it "
             f"to see the traceback.")
    try:
        papermill.execute_notebook(
            str(prepared), str(output),
            parameters={"params_path": str(params.source_file), "run_dir": str(run_dir)},
            kernel_name=params.run.kernel, cwd=str(NOTEBOOKS), progress_bar=False,
            log_output=False, execution_timeout=params.run.cell_timeout,
            kernel_manager_class=_kernel_manager(run_dir / "kernel.log"))
    except PapermillExecutionError as exc:
        cell, source_line = _failed_cell(output)
        raise NotebookError(
            f"Notebook {name} failed in code cell {cell or exc.exec_count}"
            f"{f' ({source_line})' if source_line else ''}: "
            f"{exc.ename}: {str(exc.evalue)[:300]}. {where}",
            notebook=name, cell=cell, saved=str(output)) from exc
    except DeadKernelError as exc:
        cell, source_line = _failed_cell(output)
        raise NotebookError(
            f"Notebook {name}: the kernel died in code cell {cell or '?'}"
            f"{f' ({source_line})' if source_line else ''}, for example from lack of memory. "
            f"{where}", notebook=name, cell=cell, saved=str(output)) from exc
    except CellTimeoutError as exc:
        cell, source_line = _failed_cell(output)
        raise NotebookError(
            f"Notebook {name}: code cell {cell or '?'}"
            f"{f' ({source_line})' if source_line else ''} ran longer than "
            f"run.cell_timeout ({params.run.cell_timeout} s). Raise run.cell_timeout in the "
            f"parameters or check the data's size. {where}",
            notebook=name, cell=cell, saved=str(output)) from exc
    return output


def _point_latest(run_dir: Path) -> None:
    latest = run_dir.parent / "latest"
    temporary = run_dir.parent / f".latest-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(run_dir.name)
    temporary.replace(latest)


def run_playbook(params_path: str | Path, *, out: str | Path | None = None,
                 progress: Callable[[str], None] = lambda message: None,
                 today: dt.date | None = None, pdf: bool = False) -> RunOutcome:
    """Run the whole playbook for one client; see the module docstring.

    Raises
    ------
    ParamsError, DataError
        Bad parameters or data (exit code 2 on the command line).
    NotebookError
        A notebook failed (exit code 1), naming the notebook, the cell and the saved copy.
    """
    params = load_params(params_path)
    now = dt.datetime.now()
    run_dir = new_run_dir(params, out, now)
    handler = logging.FileHandler(run_dir / "playbook.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    for name in ("playbook", "papermill"):
        logging.getLogger(name).addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.info("run %s for %s in %s", params.source_file, params.client.name, run_dir)
        total = len(params.run.notebooks) + 1
        progress(f"[0/{total - 1}] intake: {params.data.transactions.path.name}")
        intake = run_intake(params, intake_dir(run_dir), today=today)
        results = {"intake": intake.figures}
        executed = []
        for index, name in enumerate(params.run.notebooks, start=1):
            path = _execute(name, params, run_dir, index, total - 1, progress)
            executed.append(path)
            results_mod.collect(nbformat.read(path, as_version=4), results)
        results_mod.write(run_dir / "results.json", results)
        intake_json = json.loads((intake_dir(run_dir) / "intake.json").read_text("utf-8"))
        report = render_report(executed, results, intake_json, params, run_dir / "report.html",
                               generated=today)
        if pdf:
            progress("report.pdf")
            export_pdf(report, run_dir / "report.pdf")
        if out is None:
            _point_latest(run_dir)
        log.info("report written to %s", report)
        return RunOutcome(run_dir=run_dir, report=report, results=results)
    except Exception:
        log.exception("run failed")
        raise
    finally:
        for name in ("playbook", "papermill"):
            logging.getLogger(name).removeHandler(handler)
        handler.close()
