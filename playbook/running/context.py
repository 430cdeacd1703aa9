"""What a notebook opens first: the client's parameters and the run's intake output.

``open_run(params_path, run_dir)`` is the one line at the top of every notebook. Under
``playbook run`` the run folder already holds intake's Parquet files; opened by hand in
JupyterLab (``run_dir`` empty), intake runs into a scratch folder next to the client's runs,
and is reused while neither the parameters nor the data files change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from playbook.intake import run_intake
from playbook.keys import KEY
from playbook.keys import coded as customer_key
from playbook.params import PROJECT_ROOT, Params, client_slug, load_params
from playbook.report.i18n import Lang
from playbook.running.memory import tidy, trim

__all__ = ["RunContext", "open_run", "intake_dir"]

T = TypeVar("T")


@cache
def _code_digest() -> str:
    """A digest of the playbook's own source: a cached analysis from other code is stale."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for module in sorted(package.rglob("*.py")):
        digest.update(str(module.relative_to(package)).encode() + b"\0" + module.read_bytes())
    return digest.hexdigest()


def intake_dir(run_dir: Path) -> Path:
    """Where intake writes inside a run folder."""
    return run_dir / "data"


@dataclass
class RunContext:
    """The parameters, language and intake tables of one client's run."""

    params: Params
    run_dir: Path
    #: the day of the run (the hand-over date unless ``tasks.start`` says otherwise); a
    #: test or a batch gives it, so the workbooks' dates do not depend on the clock
    today: dt.date = field(default_factory=dt.date.today)
    #: whether :meth:`cached` keeps analyses in the run folder: on for a folder made by
    #: ``playbook run`` (:func:`open_run` with a ``run_dir``), off for a context built by hand
    reuse: bool = False
    _transactions: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    _transaction_schema: pa.Schema | None = field(default=None, init=False, repr=False,
                                                  compare=False)
    _as_of_rows: tuple | None = field(default=None, init=False, repr=False, compare=False)

    @cached_property
    def lang(self) -> Lang:
        """The client's language and currency, for every text and number shown."""
        return Lang(self.params.client.language, self.params.client.currency)

    @cached_property
    def intake(self) -> dict:
        """``intake.json``: figures, files read and issues found."""
        return json.loads((intake_dir(self.run_dir) / "intake.json").read_text("utf-8"))

    @property
    def as_of(self) -> dt.date:
        """The date the analysis is made as of (``as_of``, else the last transaction)."""
        return dt.date.fromisoformat(self.intake["figures"]["as_of"])

    @property
    def handover(self) -> dt.date:
        """The day the managers get their task workbooks: ``tasks.start``, else the run's
        date. Due dates count from it and are never before it.
        """
        return self.params.tasks.start or self.today

    def transactions(self, *, after_as_of: bool = False,
                     columns: Sequence[str] | None = None, keep: bool = True,
                     coded: Sequence[str] = ()) -> pd.DataFrame:
        """Normalised transactions up to ``as_of`` (or also those after it).

        ``columns``: only these, in this order (those the client's file has: the optional
        ones, such as ``order_id`` or ``manager``, are left out when it has none); None:
        every column. A large client's text columns (names, managers, categories,
        documents) are most of its memory, and every filter of a frame copies each of its
        columns, so an analysis asks for the columns it reads.

        Each column is read once per context: a notebook asks for them many times, and a
        large client's file takes seconds to read and gigabytes to hold twice. Each call
        returns its own frame of the same columns; with pandas' copy-on-write a caller may
        change it freely (a changed column is copied then, never the one kept here).
        ``keep=False``: a column read now is not kept, for what is made once a run (who
        each customer is, from the names and managers of every line).
        ``coded``: of those columns, text ones read as pandas categoricals (each distinct
        text held once: a large client's categories or managers in megabytes rather than
        hundreds of them), for this call only, never kept.
        :data:`playbook.keys.KEY` among ``columns``: each line's customer as a number as
        well (a categorical of the sorted ids, coded once), for the analyses that group a
        large client's lines by customer.
        """
        path = self._transactions_path
        names = self.transaction_columns
        wanted = names if columns is None else [c for c in columns if c in names or c == KEY]
        # with no line after as_of, the lines up to it are all the lines: one set held
        whole = after_as_of and self.lines_after_as_of
        held = self._transactions.setdefault(whole, {})
        read = {}
        codes = [c for c in wanted if c in coded]
        if KEY in wanted and KEY not in held:
            ids = self.transactions(after_as_of=after_as_of, columns=["customer_id"],
                                    keep=keep)["customer_id"]
            read[KEY] = customer_key(ids)  # coded once, in the order of the sorted ids
            if keep:
                held[KEY] = read[KEY]
            if "customer_id" not in codes:  # (read for the key: not read twice)
                read["customer_id"] = ids
            del ids
        missing = [c for c in wanted
                   if c not in held and c not in read and c not in codes and c != KEY] + codes
        if missing:
            frame = pd.read_parquet(path, columns=missing, read_dictionary=codes or None)
            if "date" in frame:
                frame["date"] = pd.to_datetime(frame["date"])
            if not whole:
                rows = self._up_to_as_of(path, frame.get("date"))
                if rows is not None:
                    frame = frame[rows].reset_index(drop=True)
            read.update(frame.items())
            if keep:
                held.update({c: v for c, v in frame.items() if c not in codes})
            del frame
            trim()
        return pd.DataFrame({c: read[c] if c in read else held[c] for c in wanted},
                            copy=False)

    def let_go(self) -> None:
        """Give back the transactions' columns this context holds (a large client's are
        gigabytes), for a notebook done with the lines; a later call reads them again.
        """
        self._transactions.clear()
        trim()

    @property
    def lines_after_as_of(self) -> bool:
        """Whether the transactions go on after ``as_of`` (then :meth:`transactions` gives
        fewer lines than ``transactions(after_as_of=True)``).
        """
        return self._up_to_as_of(self._transactions_path, None) is not None

    @property
    def transaction_columns(self) -> list[str]:
        """The normalised transactions' columns (the optional ones only when the client's
        file has them).
        """
        return self._schema.names

    @property
    def _schema(self) -> pa.Schema:
        """The transactions file's pyarrow schema, read once."""
        if self._transaction_schema is None:
            self._transaction_schema = pq.read_schema(self._transactions_path)
        return self._transaction_schema

    @property
    def _transactions_path(self) -> Path:
        return intake_dir(self.run_dir) / "transactions.parquet"

    def _row_groups(self, column: str):
        """``column`` of the transactions file, one row group at a time: (first row in the
        file, pyarrow array).
        """
        parquet = pq.ParquetFile(self._transactions_path)
        first = 0
        for group in range(parquet.num_row_groups):
            values = parquet.read_row_group(group, columns=[column]).column(0)
            yield first, values
            first += len(values)

    def transaction_known(self, column: str) -> np.ndarray:
        """Which of the rows :meth:`transactions` gives have a value in ``column``, read a
        row group at a time: a large client's names or managers are never held whole.
        """
        if column not in self.transaction_columns:
            return np.zeros(len(self.transactions(columns=["date"])), dtype=bool)
        parts = [values.is_valid().to_numpy(zero_copy_only=False)
                 for _, values in self._row_groups(column)]
        known = np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
        trim()
        rows = self._up_to_as_of(self._transactions_path, None)
        return known if rows is None else known[rows]

    def transaction_values(self, column: str, lines: np.ndarray) -> pd.Series:
        """``column``'s values on ``lines`` (positions in the rows :meth:`transactions`
        gives), in that order, as :meth:`transactions` gives them; read a row group at a
        time, keeping only those lines: who a few hundred thousand customers are, from the
        names of ten million lines, without holding those names.
        """
        lines = np.asarray(lines, dtype=np.int64)
        rows = self._up_to_as_of(self._transactions_path, None)
        at = lines if rows is None else np.flatnonzero(rows)[lines]
        order = np.argsort(at, kind="stable")
        wanted = at[order]
        pieces = []
        for first, values in self._row_groups(column):
            start, stop = np.searchsorted(wanted, [first, first + len(values)])
            if stop > start:
                pieces.append(values.take(pa.array(wanted[start:stop] - first)))
            if stop == len(wanted):
                break
        found = pa.chunked_array(pieces, type=self._schema.field(column).type).to_pandas()
        del pieces
        trim()
        placed = np.empty(len(at), dtype=np.int64)
        placed[order] = np.arange(len(at))
        return found.take(placed).reset_index(drop=True).rename(column)

    def _up_to_as_of(self, path: Path, dates: pd.Series | None) -> np.ndarray | None:
        """Which rows of the transactions file are on or before ``as_of`` (None: all);
        ``dates``: the file's dates when just read.
        """
        if self._as_of_rows is None:
            if dates is None:
                dates = pd.to_datetime(pd.read_parquet(path, columns=["date"])["date"])
            keep = (dates <= pd.Timestamp(self.as_of)).to_numpy()
            self._as_of_rows = (None if keep.all() else keep,)
        return self._as_of_rows[0]

    def customers(self) -> pd.DataFrame | None:
        """The normalised customers file, or None when the client gave none."""
        path = intake_dir(self.run_dir) / "customers.parquet"
        return pd.read_parquet(path) if path.exists() else None

    def survey(self, name: str) -> pd.DataFrame | None:
        """A survey table read by intake (``survey``, ``survey_annual``, ``exit_survey``,
        ``complaints``, ``survey_base``), or None when the client gave none.
        """
        path = intake_dir(self.run_dir) / f"survey__{name}.parquet"
        return pd.read_parquet(path) if path.exists() else None

    def tasks_done(self) -> tuple[pd.DataFrame, dict] | None:
        """Last period's tasks read back from the managers' workbooks (one row per task,
        see :mod:`playbook.followup.workbooks`) and what the reading found, or None when
        the client gave none (``data.tasks_done``).
        """
        path = intake_dir(self.run_dir) / "tasks_done.parquet"
        if not self.params.data.tasks_done or not path.exists():
            return None
        found = json.loads(path.with_suffix(".json").read_text("utf-8"))
        return pd.read_parquet(path), found

    def competitors(self) -> dict | None:
        """The competitor profile read by intake (``data.competitors``), or None."""
        path = intake_dir(self.run_dir) / "competitors.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else None

    def standards_log(self, name: str) -> pd.DataFrame | None:
        """A service-standards log read by intake (``audits``, ``calls``, ``requests``), or
        None when the client gave none.
        """
        path = intake_dir(self.run_dir) / f"standards__{name}.parquet"
        return pd.read_parquet(path) if path.exists() else None

    def summary(self) -> pd.DataFrame:
        """One row per customer (see :mod:`playbook.intake.summary`)."""
        return pd.read_parquet(intake_dir(self.run_dir) / "customer_summary.parquet")

    def cached(self, name: str, compute: Callable[[], T], *,
               meanwhile: Callable[[], object] | None = None) -> T:
        """``compute()``, made once per run folder and read back by the other notebooks.

        Segmentation and the lifetime-value model are analysed once in the segmentation
        notebook and needed again by the LTV and win-back notebooks. The result is pickled
        in ``data/cache/`` under a key of the parameters, the run's date, intake's output and
        the playbook's code, so a change to any of them computes afresh; each call returns a
        fresh copy, which a caller may change freely. Without :attr:`reuse`, it computes.

        ``meanwhile``: work this notebook will need anyway and may do while another
        notebook is making this one (on two cores, rather than leave one idle while waiting:
        win-back's kernel makes the lifetime-value model while the segmentation's kernel
        makes the segmentation, which its lists need next). Called only then.
        """
        if not self.reuse:
            return compute()
        key = hashlib.sha256("\0".join([
            name, self.params.model_dump_json(), self.today.isoformat(), _code_digest(),
            json.dumps(self.intake, sort_keys=True, default=str)]).encode()).hexdigest()[:20]
        path = intake_dir(self.run_dir) / "cache" / f"{name}-{key}.pickle"
        with _made_by_one(path, meanwhile):  # side by side: one makes it, others wait
            try:
                # read from the file as it unpickles: a large client's segmentation is a
                # few hundred megabytes, not to be held twice (its bytes and the objects)
                with path.open("rb") as source:
                    return pickle.load(source)
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
                pass  # not made yet (or unreadable): make it
            value = compute()
            try:
                handle, partial = tempfile.mkstemp(prefix=f".{name}-", dir=path.parent)
                with os.fdopen(handle, "wb") as sink:
                    pickle.dump(value, sink, protocol=pickle.HIGHEST_PROTOCOL)
                os.replace(partial, path)  # a reader never sees half a file
            except OSError:
                pass  # a read-only run folder: the next notebook computes it again
            return value


@contextmanager
def _made_by_one(path: Path, meanwhile: Callable[[], object] | None = None):
    """Hold an exclusive lock on ``path``'s lock file while inside (no lock where the folder
    cannot be written or the system has no ``fcntl``): of two notebooks that need the same
    analysis at once, the second waits for the first's and reads it instead of making it
    again on the same cores. ``meanwhile`` is called before waiting, when there is a wait.
    """
    try:
        import fcntl
    except ImportError:  # Windows: each notebook may make it; the result is the same
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(path.with_suffix(".lock"), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another notebook is making it
            if meanwhile is not None:
                meanwhile()
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _stale(out: Path, params: Params) -> bool:
    marker = out / "intake.json"
    if not marker.exists():
        return True
    built = marker.stat().st_mtime
    inputs = [params.source_file] + params.data.paths()
    return any(p is not None and p.exists() and p.stat().st_mtime > built for p in inputs)


def _locate(params_path: str | Path) -> Path:
    """A relative path is taken from the notebooks' folder (where JupyterLab and papermill
    run them), else from the current folder.
    """
    path = Path(params_path).expanduser()
    if path.is_absolute():
        return path
    beside_notebooks = PROJECT_ROOT / "notebooks" / path
    return beside_notebooks if beside_notebooks.exists() else path


def open_run(params_path: str | Path, run_dir: str | Path = "") -> RunContext:
    """Open a client's run for a notebook.

    Parameters
    ----------
    params_path
        The client's parameters file (relative paths are taken from the notebook's folder).
    run_dir
        The run folder made by ``playbook run``; empty for interactive use, when intake
        runs into ``runs/<client>/scratch`` if it has not already.
    """
    params = load_params(_locate(params_path))
    tidy()  # this kernel gives the memory it frees back (a large client's temporaries)
    if run_dir:
        folder = Path(run_dir)
    else:
        folder = PROJECT_ROOT / "runs" / client_slug(params.client.name) / "scratch"
        if _stale(intake_dir(folder), params):
            run_intake(params, intake_dir(folder))
    from playbook.report.render import use_labels  # matplotlib: only when a notebook opens

    use_labels(params.labels.model_dump())  # client values shown by their display labels
    return RunContext(params=params, run_dir=folder, reuse=bool(run_dir))
