"""Running the playbook for one client: validate, intake, notebooks, results, report.

``run_playbook(params_path)`` makes a new run folder (``runs/<client>/<timestamp>/`` by
default), runs intake once, executes each notebook with papermill in the client's language,
collects ``results.json``, renders ``report.html`` and, only when all of that succeeded,
points ``runs/<client>/latest`` at the folder. Files are written atomically, so a failed run
never leaves a half-written report and never replaces the last good one.

``--out DIR`` names the run folder instead. A new or empty folder is written directly. A
folder holding an earlier run is replaced only when the new run succeeds: the run is built
beside it in ``DIR.new-<timestamp>`` and swapped in at the end (the old folder renamed
aside, the new one renamed in, the old one removed); a failed run stays in
``DIR.new-<timestamp>`` for inspection and ``DIR`` is untouched. A folder holding anything
else, a file in the way, a read-only folder, a full disk or a symlink loop is an
:class:`~playbook.errors.OutputError` (exit code 2) naming the folder.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import shutil
import stat
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import papermill
from jupyter_client import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from papermill.exceptions import PapermillExecutionError

from playbook.errors import (
    DataError,
    NotebookError,
    OutputError,
    ParamsError,
    PlaybookError,
    shorten,
)
from playbook.exports import books
from playbook.intake import run_intake
from playbook.params import NOTEBOOKS_DIR, PROJECT_ROOT, Params, client_slug, load_params
from playbook.report import results as results_mod
from playbook.report.document import export_pdf, render_report, summary_results
from playbook.report.i18n import Lang
from playbook.running.context import intake_dir
from playbook.running.memory import tidy
from playbook.running.resources import CONCURRENCY_ENV, concurrency, memory_budget

__all__ = ["RunOutcome", "run_playbook", "NOTEBOOKS", "prepare_notebook", "new_run_dir",
           "new_folder", "point_latest", "consultant_notes", "out_folder", "notebook_needs",
           "concurrency", "CONCURRENCY_ENV"]

NOTEBOOKS = NOTEBOOKS_DIR
log = logging.getLogger("playbook")
#: Every run folder holds this log from its start: it marks a folder a run may replace.
RUN_LOG = "playbook.log"
#: The playbook's notebooks: each needs only intake's data (read from the run folder), so
#: any of them may run beside any other. Segmentation, LTV and win-back hand their task
#: lists over (:func:`playbook.exports.hand_over`) and the runner writes the managers'
#: workbooks once they are done (:class:`_TaskBooks`); what one notebook analyses and another
#: needs again is made once (:meth:`~playbook.running.context.RunContext.cached`).
INDEPENDENT = frozenset({"00_intake.ipynb", "10_segmentation.ipynb", "20_ltv.ipynb",
                         "30_survey.ipynb", "40_winback.ipynb", "50_standards.ipynb",
                         "60_followup.ipynb"})
#: The playbook's longest notebooks, started first when they may (the others fill the
#: cores beside them rather than leave one of these to run alone at the end).
LONGEST_FIRST = ("10_segmentation.ipynb", "40_winback.ipynb", "20_ltv.ipynb")
#: Errors that are always about where the run writes, whichever file raised them.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


@dataclass
class RunOutcome:
    """Where a successful run put things."""

    run_dir: Path
    report: Path
    results: dict
    #: What the notebooks' consultant-only cells said: advice for the consultant (which
    #: parameter to set, what data to ask for), never shown in the report.
    notes: list[str] = field(default_factory=list)


def new_run_dir(params: Params, out: str | Path | None, now: dt.datetime) -> Path:
    """The folder a run is written into: a new ``runs/<client>/<timestamp>``, or for ``out``
    the folder itself when new or empty, else a new ``<out>.new-<timestamp>`` beside it
    (see :func:`out_folder`).
    """
    if out:
        return out_folder(params, out, now)[1]
    base = PROJECT_ROOT / "runs" / client_slug(params.client.name)
    return new_folder(base, now.strftime("%Y%m%d-%H%M%S"), base)


def new_folder(parent: Path, stamp: str, shown: Path) -> Path:
    """A new folder ``parent/<stamp>`` (``-1``, ``-2``... when taken)."""
    for n in range(100):
        folder = parent / (stamp if n == 0 else f"{stamp}-{n}")
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
        except OSError as exc:
            raise _output_error(shown, exc) from None
    raise OutputError(f"Cannot create a new run folder in {shorten(parent, 200)}: 100 runs "
                      f"started in the same second. Remove old runs there and run again.")


def out_folder(params: Params, out: str | Path, now: dt.datetime) -> tuple[Path, Path]:
    """Check ``--out`` and choose where the run is written: ``(final, build)``.

    ``build`` is ``final`` for a new or empty folder; for a folder holding an earlier run it
    is a new sibling ``<out>.new-<timestamp>``, swapped in when the run succeeds.

    Raises
    ------
    OutputError
        ``out`` is a file, a symlink loop, not writable, holds the client's input files, or
        holds files that are not an earlier run.
    """
    shown = shorten(out, 200)
    try:
        final = Path(out).expanduser().resolve()
    except RuntimeError:  # a symlink loop (Python 3.11, 3.12) or an unknown ~user
        raise OutputError(f"--out {shown} cannot be used: it is a symbolic link that loops "
                          f"back on itself (or names an unknown ~user). Give another folder "
                          f"with --out.") from None
    except OSError as exc:
        raise _output_error(Path(out), exc) from None
    shown = shorten(final, 200)
    try:
        info = os.stat(final)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _output_error(final, exc) from None
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise OutputError(f"--out {shown} is a file, not a folder. Give the path of a folder "
                          f"(it is created when missing) with --out, and run again.")
    for path in [params.source_file] + params.data.paths():
        if path is not None and path.is_relative_to(final):
            raise OutputError(f"--out {shown} holds the client's input file "
                              f"{shorten(path, 200)}, and a run folder is replaced by the next "
                              f"run into it. Give a folder of its own with --out.")
    try:
        if info is None:
            empty = True
        else:
            with os.scandir(final) as entries:
                empty = next(entries, None) is None
        if empty:
            final.mkdir(parents=True, exist_ok=True)
            _check_writable(final)
            return final, final
        if not (final / RUN_LOG).is_file():
            raise OutputError(f"--out {shown} holds other files: it is not a folder of an "
                              f"earlier run, which is all a run may replace. Give a new or "
                              f"empty folder with --out (a folder of an earlier run is replaced "
                              f"when the new run succeeds).")
        _check_writable(final)
        _check_writable(final.parent)
    except OSError as exc:
        raise _output_error(final, exc) from None
    return final, new_folder(final.parent, f"{final.name}.new-{now:%Y%m%d-%H%M%S}", final)


def _check_writable(folder: Path) -> None:
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))


def _output_error(folder: Path, exc: OSError) -> OutputError:
    """An :class:`OutputError` naming ``folder``, why it cannot be written and what to do."""
    code = exc.errno
    where = "with --out"
    if code in (errno.ENOSPC, errno.EDQUOT):
        why = "the disk is full (no space left on the device)"
        fix = f"Free some space on that disk, or give a folder on another disk {where}."
    elif code == errno.EROFS:
        why = "the disk is read-only"
        fix = f"Give a folder on a writable disk {where}."
    elif code in (errno.EACCES, errno.EPERM):
        why = "it is read-only for you (permission denied)"
        fix = f"Give a folder you can write to {where}, or fix the folder's permissions."
    elif code == errno.ELOOP:
        why = "its path is a symbolic link that loops back on itself"
        fix = f"Remove the link, or give another folder {where}."
    elif code in (errno.ENOTDIR, errno.EEXIST):
        why = "a part of its path is a file, not a folder"
        fix = f"Give a folder path {where}."
    elif code == errno.ENAMETOOLONG:
        why = "its path is too long"
        fix = f"Give a shorter folder path {where}."
    else:
        why = shorten(exc.strerror or type(exc).__name__, 80)
        fix = f"Check the folder, or give another one {where}."
    return OutputError(f"Cannot write the run folder {shorten(folder, 200)}: {why}. {fix} "
                       f"The last good report, if any, is untouched.")


def _disk_full(message: str) -> bool:
    """Whether an error message from a library (DuckDB, Arrow, a kernel) says the disk is full."""
    return "No space left on device" in message or "[Errno 28]" in message


def _about_output(exc: OSError, build: Path) -> bool:
    """Whether an error raised during a run is about writing the run folder."""
    if exc.errno in _OUTPUT_ERRNOS:
        return True
    names = [n for n in (exc.filename, getattr(exc, "filename2", None)) if n]
    return exc.errno in (errno.EACCES, errno.EPERM, errno.ELOOP, errno.ENOTDIR) and any(
        Path(os.path.abspath(n)).is_relative_to(build) for n in names)


def _swap_in(build: Path, final: Path) -> None:
    """Replace the earlier run in ``final`` by the finished one in ``build``.

    The executed notebooks name their run folder; they are pointed at ``final`` first, so
    they reopen there. Then the old folder is renamed aside, the new one renamed in and the
    old one removed; if the second rename fails the old folder is put back.
    """
    old, new = json.dumps(str(build))[1:-1], json.dumps(str(final))[1:-1]
    for notebook in (build / "notebooks").glob("*.ipynb"):
        text = notebook.read_text("utf-8")
        if old in text:
            partial = notebook.with_name(notebook.name + ".partial")
            partial.write_text(text.replace(old, new), encoding="utf-8")
            partial.replace(notebook)
    aside = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
    final.replace(aside)  # a folder may replace an empty folder
    try:
        build.rename(final)
    except OSError:
        aside.rename(final)
        raise
    shutil.rmtree(aside, ignore_errors=True)


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
    """A kernel manager whose kernel writes its own stdout and stderr to the run's log and,
    on POSIX, talks over Unix sockets of its own rather than TCP ports.

    The kernel otherwise inherits the console and prints warnings and, on a timeout, the
    interrupted cell's traceback there.
    """
    class RunKernelManager(AsyncKernelManager):
        def __init__(self, **kw):
            # Over TCP the kernel's five ports are picked by binding and releasing them, so
            # kernels of clients run in parallel (playbook batch --workers N) can pick the same
            # port ("address already in use"). Unix sockets in a folder of this kernel's own
            # cannot collide; Windows has no such sockets for ZeroMQ and keeps TCP.
            self._sockets = None
            if os.name == "posix" and "transport" not in kw:
                self._sockets = tempfile.mkdtemp(prefix="playbook-kernel-")
                kw.update(transport="ipc", ip=os.path.join(self._sockets, "k"))
            super().__init__(**kw)

        def cleanup_ipc_files(self) -> None:
            super().cleanup_ipc_files()
            if self._sockets:
                shutil.rmtree(self._sockets, ignore_errors=True)

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            # The kernel starts in the notebooks' folder, as in JupyterLab. Not papermill's
            # cwd=: that changes this whole process's folder, and notebooks running in
            # threads side by side would leave it wherever the last one restored it.
            kw["cwd"] = str(NOTEBOOKS)
            with log_path.open("ab") as sink:
                kw["stdout"] = kw["stderr"] = sink
                await super()._async_launch_kernel(kernel_cmd, **kw)

    return RunKernelManager


def _execute(name: str, params: Params, run_dir: Path, index: int, total: int,
             progress: Callable[[str], None]) -> Path:
    source = NOTEBOOKS / name
    if Path(name).name != name or name in ("", ".", ".."):  # the parameters check this too
        raise ParamsError(f"run.notebooks names {shorten(name)!r}: name one of the playbook's "
                          f"notebooks, without a folder.")
    if not source.is_file():
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
            kernel_name=params.run.kernel, progress_bar=False,
            log_output=False, execution_timeout=params.run.cell_timeout,
            kernel_manager_class=_kernel_manager(run_dir / "kernel.log"))
    except PapermillExecutionError as exc:
        if _disk_full(f"{exc.ename}: {exc.evalue}"):  # a cell could not write its output
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(output)) from exc
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


def notebook_needs(names: Sequence[str]) -> dict[str, set[str]]:
    """For each notebook, the notebooks listed before it that must finish before it starts.

    Intake's data is read before any notebook starts. A notebook in :data:`INDEPENDENT`
    needs nothing else; any other notebook (one the playbook does not know) needs every
    notebook before it, and every notebook after it needs it: it runs alone, as in a
    sequential run.
    """
    needs: dict[str, set[str]] = {}
    barrier: set[str] = set()
    for position, name in enumerate(names):
        if name in INDEPENDENT:
            needs[name] = set(barrier)
        else:
            needs[name] = set(names[:position])
            barrier = {name}
    return needs


def _execute_all(params: Params, run_dir: Path, progress: Callable[[str], None],
                 jobs: int, on_done: Callable[[set[str]], None] = lambda done: None
                 ) -> list[Path]:
    """Execute ``run.notebooks``, up to ``jobs`` at a time as :func:`notebook_needs` allows;
    the executed notebooks in the listed order.

    Notebooks start as soon as what they need is done, :data:`LONGEST_FIRST` first, the
    others in the listed order. After a failure
    no notebook starts, those running finish, and the failure of the first failed notebook
    in the listed order is raised: the same error a sequential run raises. ``on_done`` is
    called with the notebooks done so far each time one more is done.
    """
    names = list(params.run.notebooks)
    needs = notebook_needs(names)
    done: dict[str, Path] = {}
    failed: dict[str, BaseException] = {}
    waiting = sorted(names, key=lambda n: (LONGEST_FIRST.index(n) if n in LONGEST_FIRST
                                           else len(LONGEST_FIRST), names.index(n)))
    running: dict = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="notebook") as pool:
        while waiting or running:
            for name in [] if failed else list(waiting):
                if len(running) >= jobs:
                    break
                if needs[name] <= done.keys():
                    waiting.remove(name)
                    running[pool.submit(_execute, name, params, run_dir,
                                        names.index(name) + 1, len(names), progress)] = name
            if failed:
                waiting.clear()
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                name = running.pop(future)
                try:
                    done[name] = future.result()
                except BaseException as exc:  # noqa: BLE001 (raised below, in listed order)
                    failed[name] = exc
                else:
                    on_done(set(done))
    if failed:
        raise failed[min(failed, key=names.index)]
    return [done[name] for name in names]


class _TaskBooks:
    """Each manager's workbook written once, from the lists the notebooks handed over, in a
    thread of the runner as soon as the notebooks that hand lists over are done (the others
    may still be running in their kernels).
    """

    #: The notebooks that hand task lists over (:data:`playbook.exports.books.SOURCES`).
    NOTEBOOKS = frozenset({"10_segmentation.ipynb", "20_ltv.ipynb", "40_winback.ipynb"})

    def __init__(self, run_dir: Path, params: Params, processes: int):
        self.run_dir, self.params, self.processes = run_dir, params, processes
        self.needed = self.NOTEBOOKS & set(params.run.notebooks)
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None
        self.written: list[Path] = []

    def notebook_done(self, done: set[str]) -> None:
        if self.thread is None and self.needed <= done:
            self.thread = threading.Thread(target=self._write, name="task-books", daemon=True)
            self.thread.start()

    def _write(self) -> None:
        lang = Lang(self.params.client.language, self.params.client.currency)
        try:
            self.written = books.write_recorded(self.run_dir, lang, processes=self.processes)
        except BaseException as exc:  # noqa: BLE001 (raised by finish, in the run's thread)
            self.error = exc

    def join(self) -> None:
        """Wait for the workbooks if they are being written."""
        if self.thread is not None:
            self.thread.join()

    def finish(self) -> None:
        """Wait for the workbooks (write them now if no notebook started it); raise what
        writing them raised, a clash of managers' file names as a :class:`DataError`.
        """
        self.notebook_done(self.needed)
        self.join()
        if isinstance(self.error, RuntimeError):  # two managers' names give one file name
            raise DataError(f"The managers' task workbooks cannot be written: {self.error}") \
                from self.error
        if self.error is not None:
            raise self.error
        shutil.rmtree(books.tasks_folder(self.run_dir))  # the records are written out now
        log.info("%d managers' task workbooks written", len(self.written))


def point_latest(run_dir: Path) -> None:
    """Point ``<run_dir's parent>/latest`` at ``run_dir`` in one step (a link renamed over
    the old one), also when several runs of one process finish at once (playbook batch).
    """
    latest = run_dir.parent / "latest"
    temporary = run_dir.parent / f".latest-{os.getpid()}-{threading.get_ident()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(run_dir.name)
    temporary.replace(latest)


def consultant_notes(notebook: Path) -> list[str]:
    """The plain text of an executed notebook's ``consultant-only`` cells, one note a line.

    The report never shows these cells; the command line prints them for the consultant.
    """
    nb = nbformat.read(notebook, as_version=4)
    notes = []
    for cell in nb.cells:
        if "consultant-only" not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain") or output.get("text") or ""
            notes += [line.strip() for line in str(text).splitlines() if line.strip()]
    return notes


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
    tidy()  # the runner too gives back what intake, the workbooks and the report freed
    now = dt.datetime.now()
    if out:
        final, run_dir = out_folder(params, out, now)
    else:
        final = run_dir = new_run_dir(params, None, now)
    try:
        handler = logging.FileHandler(run_dir / RUN_LOG, encoding="utf-8")
    except OSError as exc:
        _discard(run_dir, final)
        raise _output_error(final, exc) from None
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
        books.defer(run_dir)
        rows = intake.figures.get("transactions", {}).get("rows_used", 0)
        jobs = concurrency(params, rows)
        task_books = _TaskBooks(run_dir, params, processes=jobs)
        if jobs < concurrency(params):
            progress(f"{rows:,} transactions: {jobs} notebook{'s' if jobs > 1 else ''} at a "
                     f"time, to stay within {memory_budget(params) / 1e9:.1f} GB of memory "
                     f"(run.memory_gb)")
        try:
            executed = _execute_all(params, run_dir, progress, jobs, task_books.notebook_done)
        finally:
            task_books.join()  # never left writing into a failed run's folder
        task_books.finish()
        for path in executed:  # in the listed order, whichever finished first
            results_mod.collect(nbformat.read(path, as_version=4), results)
        results["summary"] = summary_results(results, params, intake_dir(run_dir), today)
        results_mod.write(run_dir / "results.json", results)
        intake_json = json.loads((intake_dir(run_dir) / "intake.json").read_text("utf-8"))
        render_report(executed, results, intake_json, params, run_dir / "report.html",
                      generated=today)
        if pdf:
            progress("report.pdf")
            export_pdf(run_dir / "report.html", run_dir / "report.pdf")
        # Read before a swap moves the executed notebooks to the final folder.
        notes = [note for path in executed for note in consultant_notes(path)]
        if run_dir != final:
            _swap_in(run_dir, final)
        if out is None:
            point_latest(final)
        log.info("report written to %s", final / "report.html")
        return RunOutcome(run_dir=final, report=final / "report.html", results=results,
                          notes=notes)
    except OSError as exc:
        log.exception("run failed")
        if not _about_output(exc, run_dir):
            raise
        _discard(run_dir, final)
        raise _output_error(final, exc) from exc
    except Exception as exc:
        log.exception("run failed")
        if not isinstance(exc, PlaybookError) and _disk_full(str(exc)):  # DuckDB, Arrow
            _discard(run_dir, final)
            raise _output_error(final, OSError(errno.ENOSPC, "disk full")) from exc
        raise
    finally:
        for name in ("playbook", "papermill"):
            logging.getLogger(name).removeHandler(handler)
        handler.close()


def _discard(build: Path, final: Path) -> None:
    """Remove a run folder built beside ``final`` that cannot be written (a full disk)."""
    if build != final:
        shutil.rmtree(build, ignore_errors=True)
