"""Running the playbook for many clients: ``playbook batch PARAMS... [--workers N]``.

Each client runs as its own ``playbook run PARAMS --out <out>/<client>/<stamp>`` child process
(through :mod:`playbook.running.child`, which makes it die with the process that started it),
so one client's crash, bad data (exit 2) or failed notebook (exit 1) never stops the others;
``workers`` children run at a time, or, with ``scheduler``, each client is a task on a Dask
cluster that runs the same child on a worker (:mod:`playbook.running.cluster`). Parameters
are validated here first: a file that fails validation is that client's failure ("bad
parameters"), not the batch's. Kernels of parallel children cannot race for a TCP port: the
runner's kernels talk over Unix sockets of their own (see ``runner._kernel_manager``).

After a good run the batch stores the client's input hash (:func:`input_hash`) in its run
folder and points ``<out>/<client>/latest`` at it; with ``skip_unchanged`` a client whose hash
matches its last good run is not run again ("unchanged"). At the end the portfolio page and
files are written to ``out`` (:mod:`playbook.running.portfolio`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from playbook.errors import PlaybookError, bounded, shorten
from playbook.intake.decode import usable_cpus
from playbook.params import PROJECT_ROOT, Params, client_slug, load_params
from playbook.running.runner import CONCURRENCY_ENV, new_folder, point_latest

__all__ = ["BatchError", "ClientRun", "HASH_FILE", "Progress", "STATUSES", "input_hash",
           "run_batch", "run_one", "table"]

#: The input hash of a good run, in its run folder.
HASH_FILE = "inputs.sha256"
#: A client's status after a batch; the first two count as success.
STATUSES = ("done", "unchanged", "bad parameters", "bad data", "failed")
#: The child's console output, kept beside its run for the consultant.
CONSOLE_LOG = "console.log"


class BatchError(PlaybookError):
    """The batch's own arguments are wrong (exit code 2); no client was run."""

    exit_code = 2


@dataclass
class ClientRun:
    """One client of a batch and how it went."""

    params_path: Path
    slug: str
    name: str
    params: Params | None = None
    status: str = "pending"
    seconds: float = 0.0
    run_dir: Path | None = None
    reason: str = ""
    digest: str = ""
    #: The portfolio's figures as a cluster worker read them from results.json (None: read
    #: them from the run folder here).
    figures: dict | None = None

    @property
    def ok(self) -> bool:
        """Whether the client has a good report: run now, or unchanged since its last run."""
        return self.status in ("done", "unchanged")

    @property
    def report(self) -> Path | None:
        """The client's good report, or None."""
        return self.run_dir / "report.html" if self.ok and self.run_dir else None


def _version() -> str:
    """The installed playbook's version (its distribution is ``retention-playbook``)."""
    try:
        return metadata.version("retention-playbook")
    except metadata.PackageNotFoundError:
        return "unknown"


def input_hash(params: Params) -> str:
    """SHA-256 over the parameters file's bytes, every data file (a folder: every file in it,
    by relative name) and the playbook's version: what a run's results depend on.
    """
    digest = hashlib.sha256()

    def add(label: str, path: Path) -> None:
        digest.update(f"\0{label}\0".encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)

    digest.update(f"playbook {_version()}".encode())
    add("params", params.source_file)
    for path in sorted(p for p in params.data.paths() if p is not None):
        if path.is_dir():
            for item in sorted(p for p in path.rglob("*") if p.is_file()):
                add(f"{path}/{item.relative_to(path).as_posix()}", item)
        elif path.exists():
            add(str(path), path)
        else:
            digest.update(f"\0missing {path}\0".encode())
    return digest.hexdigest()


def _clients(paths: Sequence[str | Path]) -> list[ClientRun]:
    """The batch's clients, parameters validated; bad batch arguments raise BatchError."""
    if not paths:
        raise BatchError("Name at least one client's parameters file: playbook batch "
                         "PARAMS [PARAMS ...].")
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        raise BatchError(f"No parameters file at {shorten(', '.join(missing), 600)}. Check the "
                         f"paths and run the batch again; no client was run.")
    clients: list[ClientRun] = []
    for raw in paths:
        path = Path(raw).resolve()
        try:
            params = load_params(path)
        except PlaybookError as exc:
            # Named by its file: it has no valid client name, and it writes no run folder.
            clients.append(ClientRun(path, shorten(path, 60), str(path),
                                     status="bad parameters", reason=bounded(str(exc))))
            continue
        clients.append(ClientRun(path, client_slug(params.client.name), params.client.name,
                                 params=params))
    seen: dict[str, Path] = {}
    for client in clients:
        keys = [str(client.params_path)] + (["slug:" + client.slug] if client.params else [])
        for key in keys:
            if key in seen:
                raise BatchError(
                    f"{shorten(client.params_path, 200)} and {shorten(seen[key], 200)} are the "
                    f"same client ({client.slug}): each client's runs go to one folder. Name "
                    f"each client once; no client was run.")
            seen[key] = client.params_path
    return clients


def _last_good(folder: Path) -> Path | None:
    latest = folder / "latest"
    if (latest / "report.html").is_file() and (latest / HASH_FILE).is_file():
        return latest.resolve()
    return None


def _reason(stderr: str, code: int) -> str:
    """The child's one-paragraph message (its last ``playbook: ...`` line)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    messages = [line for line in lines if line.startswith("playbook: ")]
    if messages:
        return bounded(messages[-1].removeprefix("playbook: "))
    if lines:
        return bounded(lines[-1])
    return f"the run stopped with exit code {code} and no message."


def _command(params_path: Path, run_dir: Path) -> list[str]:
    """The child process of one client: ``playbook run`` that dies with its parent."""
    return [sys.executable, "-m", "playbook.running.child", str(os.getpid()), "run",
            str(params_path), "--out", str(run_dir)]


def run_one(client: ClientRun, out: Path, notebooks_at_once: int | None = None) -> None:
    """Run one client in a child process into a new run folder ``out/<slug>/<stamp>``; sets
    its status, time, run folder and reason. Only a good run gets ``inputs.sha256`` and the
    ``latest`` link, so a run that failed or was cut short never looks good.

    ``notebooks_at_once``, when given, caps how many of the client's notebooks run at the
    same time (the runner's ``PLAYBOOK_CONCURRENCY``), so parallel clients share the cores.

    The local batch and a cluster worker (:func:`playbook.running.cluster.run_client`) both
    run a client with this function.
    """
    folder = out / client.slug
    folder.mkdir(parents=True, exist_ok=True)
    client.run_dir = new_folder(folder, f"{dt.datetime.now():%Y%m%d-%H%M%S}", folder)
    env = None
    if notebooks_at_once is not None:
        env = {**os.environ, CONCURRENCY_ENV: str(notebooks_at_once)}
    started = time.monotonic()
    child = subprocess.run(
        _command(client.params_path, client.run_dir),
        cwd=PROJECT_ROOT, capture_output=True, text=True, errors="replace",
        stdin=subprocess.DEVNULL, env=env)
    client.seconds = time.monotonic() - started
    if client.run_dir.is_dir():
        (client.run_dir / CONSOLE_LOG).write_text(child.stdout + child.stderr, encoding="utf-8")
    if child.returncode == 0 and (client.run_dir / "report.html").is_file():
        (client.run_dir / HASH_FILE).write_text(client.digest + "\n", encoding="utf-8")
        point_latest(client.run_dir)
        client.status = "done"
        return
    client.status = "bad data" if child.returncode == 2 else "failed"
    client.reason = _reason(child.stderr, child.returncode)


class Progress:
    """The batch's progress lines: clients done of the total and which are running.

    Thread-safe: the local batch's threads and the cluster's event handler call it.
    """

    def __init__(self, total: int, done: int, progress: Callable[[str], None]):
        self.total, self.done, self._progress = total, done, progress
        self.running: list[str] = []
        self._lock = threading.Lock()

    def say(self, message: str) -> None:
        """One line of its own (a note about a client)."""
        with self._lock:
            self._progress(message)

    def _state(self) -> None:
        now = ", ".join(self.running) or "-"
        self._progress(f"batch: {self.done}/{self.total} clients done; running: {now}")

    def started(self, slug: str) -> None:
        """``slug`` is running (again: a line only when it was not shown running)."""
        with self._lock:
            if slug not in self.running:
                self.running.append(slug)
                self._state()

    def stopped(self, slug: str) -> None:
        """``slug`` no longer runs; its status comes with :meth:`finished`."""
        with self._lock:
            if slug in self.running:
                self.running.remove(slug)

    def finished(self, client: ClientRun) -> None:
        """``client`` has its status."""
        with self._lock:
            if client.slug in self.running:
                self.running.remove(client.slug)
            self.done += 1
            self._progress(f"batch: {client.slug} {client.status} in {client.seconds:.0f} s")
            self._state()


def notebooks_per_client(workers: int) -> int | None:
    """How many notebooks each of ``workers`` clients running here may run at once: the
    cores shared between them (at least 1); None with one worker, or when the consultant
    set ``PLAYBOOK_CONCURRENCY`` (the runner then decides as for a single run).
    """
    if workers <= 1 or os.environ.get(CONCURRENCY_ENV, "").strip():
        return None
    return max(1, usable_cpus() // workers)


def _run_local(todo: Sequence[ClientRun], out: Path, workers: int, state: Progress) -> None:
    """Run ``todo`` here, ``workers`` child processes at a time, sharing the cores."""
    share = notebooks_per_client(workers)

    def work(client: ClientRun) -> None:
        state.started(client.slug)
        try:
            run_one(client, out, share)
        except Exception as exc:  # a client that cannot even start is that client's failure
            client.status, client.reason = "failed", bounded(
                f"{type(exc).__name__}: {shorten(exc, 600)}")
        state.finished(client)

    with ThreadPoolExecutor(max_workers=workers) as pool:  # each thread waits on a child
        list(pool.map(work, todo))


def run_batch(paths: Sequence[str | Path], *, out: str | Path | None = None,
              workers: int | None = None, skip_unchanged: bool = False, lang: str = "ru",
              scheduler: str | None = None,
              progress: Callable[[str], None] = lambda message: None) -> list[ClientRun]:
    """Run every client in ``paths``; the clients with their status, in the order given.

    ``workers`` children run here at a time (default 1); with ``scheduler`` (a Dask
    scheduler's address or scheduler file) each client is a task on that cluster instead.

    Raises
    ------
    BatchError
        Missing parameters files, a client named twice, ``workers`` below 1 or given with
        ``scheduler``, an output folder that cannot be written, a scheduler that cannot be
        reached or whose workers cannot run the batch.
    """
    if scheduler is not None and workers is not None:
        raise BatchError(f"--workers {workers} is for a batch on this machine; on a cluster "
                         f"(--scheduler) the Dask workers decide how many clients run at a "
                         f"time. Leave out one of the two.")
    workers = 1 if workers is None else workers
    if workers < 1:
        raise BatchError(f"--workers {workers}: give 1 or more clients to run at a time.")
    clients = _clients(paths)
    out = Path(out).expanduser().resolve() if out else PROJECT_ROOT / "runs"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BatchError(f"Cannot write the batch folder {shorten(out, 200)}: "
                         f"{shorten(exc.strerror, 80)}. Give another folder with --out.") from None
    cluster = None
    if scheduler is not None:
        from playbook.running.cluster import Cluster

        cluster = Cluster.connect(scheduler, out)  # before any client runs: exit 2 if not
    try:
        todo = []
        for client in clients:
            if client.params is None:
                continue
            client.digest = input_hash(client.params)
            last = _last_good(out / client.slug)
            if skip_unchanged and last is not None and (
                    (last / HASH_FILE).read_text("utf-8").strip() == client.digest):
                client.status, client.run_dir = "unchanged", last
                continue
            todo.append(client)
        state = Progress(len(clients), len(clients) - len(todo), progress)
        if cluster is not None:
            cluster.run(todo, state)
        else:
            _run_local(todo, out, workers, state)
    finally:
        if cluster is not None:
            cluster.close()
    from playbook.running.portfolio import write_portfolio

    write_portfolio(clients, out, lang)
    return clients


def table(clients: Sequence[ClientRun]) -> str:
    """The batch's closing table: client, status, time, report path or the reason."""
    rows = [("client", "status", "time", "report or reason")]
    for client in clients:
        where = str(client.report) if client.ok else client.reason
        rows.append((client.slug, client.status, f"{client.seconds:.0f} s", where))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
             + "  " + row[3] for row in rows]
    return "\n".join(lines)
