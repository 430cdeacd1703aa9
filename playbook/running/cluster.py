"""A batch on a Dask distributed cluster: ``playbook batch PARAMS... --scheduler ADDRESS``.

Each client is one task, :func:`run_client`, on an existing cluster. On the worker the task
runs the client exactly as a local batch does (:func:`playbook.running.batch.run_one`): a
``playbook run`` child process with its own run folder and kernels, so a crashing kernel or
notebook takes down that child and never the worker, and the child dies with the worker
(:mod:`playbook.running.child`). The task returns a small plain outcome: status, seconds,
run folder, reason and the portfolio's figures.

**A shared filesystem is assumed.** The workers read the parameters and data files at the
paths given on this machine and write each client's run folder (report, results, logs,
``console.log``) straight into the batch's folder; this machine then writes the portfolio
there. Before any client is submitted every worker must read a token file written into the
batch's folder here, and run the same playbook version and Python version; otherwise the
batch stops with exit 2 and names the worker. A worker that joins later and cannot see the
folder or a client's parameters file fails that client with a reason saying so.

The batch submits at most as many clients as the cluster has worker threads, the next one
when one ends, so a client starts on the first free worker rather than waiting behind
another on a busy one; a worker thread is one client at a time (``dask worker --nthreads``).

A worker lost mid-client (killed, out of memory, its machine gone) makes the scheduler run
the client again on another worker, up to the scheduler's
``distributed.scheduler.allowed-failures`` (3 by default); after that the client fails with
a reason (Dask's ``KilledWorker``). The lost attempt's run folder stays beside the retry's
without ``inputs.sha256`` and is never ``latest``, like a failed run's. A lost connection to
the scheduler fails the clients not done at once, and a cluster with no worker for
:data:`NO_WORKER_WAIT` seconds fails them too: the batch never hangs.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from playbook.errors import bounded, shorten
from playbook.running.batch import BatchError, ClientRun, Progress, _version, run_one

__all__ = ["Cluster", "NO_WORKER_WAIT", "run_client"]

#: Seconds the batch waits while the cluster has no worker before failing what is left.
NO_WORKER_WAIT = 600.0
#: Seconds between two looks at the cluster while clients run.
_POLL = 2.0
#: The token file in the batch's folder that tells whether a worker sees that folder.
_TOKEN = ".playbook-batch-{id}"
_ADDRESS = re.compile(r"[\w.\-]+:\d+|\[[0-9a-fA-F:.]+\]:\d+")


def _here() -> dict:
    """What must be the same on this machine and every worker."""
    return {"playbook": _version(), "python": "{}.{}".format(*sys.version_info[:2])}


def _sees(token: str, text: str) -> bool:
    try:
        return Path(token).read_text("utf-8") == text
    except (OSError, ValueError):
        return False


def _probe(token: str, text: str) -> dict:
    """Run on every worker before the batch: its versions and whether it sees the folder."""
    return {**_here(), "sees_out": _sees(token, text), "host": socket.gethostname()}


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):  # not in a Dask task (a test calling it directly)
        return "-"


def _tell(job: dict, event: str, where: str) -> None:
    """Tell the batch (a Dask event on its topic) that this task is ``event`` on ``where``."""
    try:
        from distributed import get_worker

        get_worker().log_event(job["topic"], {"slug": job["slug"], "event": event,
                                              "worker": where})
    except Exception:  # no worker or no scheduler: progress is a nicety, never the run's end
        pass


def run_client(job: dict) -> dict:
    """The task of one client on a worker: run it into the batch's folder; its outcome.

    ``job`` holds plain values: ``params`` (the parameters file), ``slug``, ``name``,
    ``digest`` (its input hash), ``out`` (the batch's folder), ``token`` and ``text`` (the
    token file there and what it holds), ``topic`` (the batch's progress events). The
    outcome: ``status``, ``seconds``, ``run_dir`` (or None), ``reason``, ``figures`` (the
    portfolio's figures of a good run, else None) and ``worker``.
    """
    from playbook.running.portfolio import figures

    where = _worker_address()
    _tell(job, "start", where)
    client = ClientRun(Path(job["params"]), job["slug"], job["name"], digest=job["digest"])
    host = socket.gethostname()
    if not _sees(job["token"], job["text"]):
        client.status, client.reason = "failed", bounded(
            f"The Dask worker {where} on {host} cannot see the batch's folder "
            f"{shorten(job['out'], 300)}: the workers must share it with the machine that "
            f"starts the batch (a shared filesystem at the same path).")
    elif not client.params_path.is_file():
        client.status, client.reason = "failed", bounded(
            f"The Dask worker {where} on {host} cannot see the parameters file "
            f"{shorten(client.params_path, 300)}: the clients' parameters and data files must "
            f"be on a filesystem the workers share, at the same paths.")
    else:
        try:
            run_one(client, Path(job["out"]))
        except Exception as exc:  # a client that cannot even start is that client's failure
            client.status, client.reason = "failed", bounded(
                f"{type(exc).__name__}: {shorten(exc, 600)}")
    outcome = {"status": client.status, "seconds": client.seconds, "reason": client.reason,
               "run_dir": str(client.run_dir) if client.run_dir else None,
               "figures": figures(client.run_dir) if client.ok else None, "worker": where}
    _tell(job, "done", where)  # before the worker's next task tells "start"
    return outcome


def _client_args(scheduler: str) -> dict:
    """``distributed.Client`` arguments for ``--scheduler``: an address or a scheduler file."""
    if "://" in scheduler:
        return {"address": scheduler}
    path = Path(scheduler).expanduser()
    if path.is_file():
        try:
            address = json.loads(path.read_text("utf-8"))["address"]
        except (OSError, ValueError, KeyError, TypeError):
            address = None
        if not isinstance(address, str) or "://" not in address:
            raise BatchError(f"--scheduler {shorten(scheduler, 200)} is not a Dask scheduler "
                             f"file: it has no scheduler address (the JSON file `dask "
                             f"scheduler --scheduler-file` writes). No client was run.")
        return {"address": address}
    if _ADDRESS.fullmatch(scheduler):
        return {"address": "tcp://" + scheduler}
    raise BatchError(f"--scheduler {shorten(scheduler, 200)} is neither a Dask scheduler's "
                     f"address (tcp://host:8786) nor a scheduler file (the JSON file "
                     f"`dask scheduler --scheduler-file` writes). No client was run.")


def _lost_reason(exc: BaseException, attempts: int) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        tries = getattr(exc, "allowed_failures", None)
        count = ("more than once" if not isinstance(tries, int) else
                 "once" if tries == 0 else f"{tries + 1} times")
        return bounded(
            f"The Dask worker running this client was lost {count} (killed, out of memory or "
            f"its machine gone) and the scheduler gave up on it ({name}); the run folders of "
            f"those attempts are incomplete and never marked good. Look at the workers' logs "
            f"and their memory limit, then run the batch again for this client.")
    return bounded(f"The cluster could not run this client ({name}: {shorten(exc, 600)}); "
                   f"it was tried {attempts} time(s). Check that the workers have the same "
                   f"playbook installed, then run the batch again.")


class Cluster:
    """A connection to a Dask scheduler that runs a batch's clients; see the module."""

    def __init__(self, client, scheduler: str, out: Path):
        self.client, self.scheduler, self.out = client, scheduler, out
        self.id = uuid.uuid4().hex[:12]
        self.token = out / _TOKEN.format(id=self.id)

    @classmethod
    def connect(cls, scheduler: str, out: Path) -> Cluster:
        """Connect to ``scheduler`` and check its workers can run a batch into ``out``.

        Raises
        ------
        BatchError
            A bad address, a scheduler that cannot be reached in Dask's connect timeout
            (``distributed.comm.timeouts.connect``, 30 s by default), or a worker that cannot
            see ``out`` or runs another playbook or Python version.
        """
        args = _client_args(scheduler)
        import distributed

        # The batch prints its own progress and reasons; Dask's console log lines (a lost
        # connection, a version warning) would only repeat them, without the context.
        quiet = logging.getLogger("distributed")
        for handler in list(quiet.handlers):
            quiet.removeHandler(handler)
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False

        try:
            client = distributed.Client(**args, set_as_default=False)
        except Exception as exc:  # OSError, TimeoutError, ValueError, a bad scheduler file
            raise BatchError(
                f"Cannot reach the Dask scheduler at {shorten(scheduler, 200)} "
                f"({type(exc).__name__}: {shorten(exc, 300)}). Check that the scheduler is "
                f"running and that this machine can reach it; no client was run.") from None
        cluster = cls(client, scheduler, out)
        try:
            cluster._check_workers()
        except BaseException:
            cluster.close()
            raise
        return cluster

    def _check_workers(self) -> None:
        text = self.id
        try:
            self.token.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BatchError(f"Cannot write the batch folder {shorten(self.out, 200)}: "
                             f"{shorten(exc.strerror, 80)}. Give another folder with "
                             f"--out.") from None
        try:
            found = self.client.run(_probe, str(self.token), text, on_error="return")
        except Exception as exc:
            raise BatchError(f"The Dask workers at {shorten(self.scheduler, 200)} did not "
                             f"answer ({type(exc).__name__}: {shorten(exc, 300)}); no client "
                             f"was run.") from None
        here = _here()
        problems = []
        for worker, answer in sorted(found.items()):
            if isinstance(answer, BaseException):
                problems.append(f"{worker} cannot run the playbook ({type(answer).__name__}: "
                                f"{shorten(answer, 200)}); install it there")
            elif not answer["sees_out"]:
                problems.append(f"{worker} on {answer['host']} cannot see the batch folder "
                                f"{shorten(self.out, 200)}")
            elif {k: answer[k] for k in here} != here:
                problems.append(f"{worker} on {answer['host']} has playbook "
                                f"{answer['playbook']} on Python {answer['python']}, this "
                                f"machine playbook {here['playbook']} on Python "
                                f"{here['python']}")
        if problems:
            raise BatchError(
                f"The cluster at {shorten(self.scheduler, 200)} cannot run this batch: "
                f"{shorten('; '.join(problems[:3]), 900)}"
                f"{f' (and {len(problems) - 3} more)' if len(problems) > 3 else ''}. The "
                f"workers need the same playbook and Python as this machine, and the data and "
                f"the batch folder on a filesystem they share at the same paths; no client "
                f"was run.")

    def run(self, todo: Sequence[ClientRun], state: Progress) -> None:
        """Run ``todo`` on the cluster, one task per client; every client gets a status.

        At most as many clients are submitted as the cluster has threads, the next one when
        one ends: a client waits here, not behind another client on a busy worker, so it
        goes to the first free worker and a lost worker takes only the clients it runs.
        """
        if not todo:
            return
        topic = f"playbook-batch-{self.id}"
        starts: dict[str, int] = {}  # how many times each client started
        first: dict[str, float] = {}  # when each client first started

        def on_event(event) -> None:  # in the client's event loop thread
            message = event[1] if isinstance(event, tuple) else event
            if not isinstance(message, dict):
                return
            slug = message.get("slug", "?")
            if message.get("event") == "done":
                state.stopped(slug)
            if message.get("event") != "start":
                return
            starts[slug] = starts.get(slug, 0) + 1
            first.setdefault(slug, time.monotonic())
            if starts[slug] > 1:
                state.say(f"batch: {slug} runs again on {message.get('worker')}: the worker "
                          f"running it was lost")
            state.started(slug)

        self.client.subscribe_topic(topic, on_event)
        queue = list(todo)
        futures: dict = {}  # future: client

        def submit(threads: int) -> None:
            while queue and len(futures) < threads:
                client = queue.pop(0)
                job = {"params": str(client.params_path), "slug": client.slug,
                       "name": client.name, "digest": client.digest, "out": str(self.out),
                       "token": str(self.token), "text": self.id, "topic": topic}
                future = self.client.submit(run_client, job, pure=False,
                                            key=f"playbook-{client.slug}-{self.id}")
                futures[future] = client

        def end(future, client: ClientRun, status: str | None = None, reason: str = "") -> None:
            if future is not None:
                futures.pop(future, None)
            self._outcome(future, client, starts.get(client.slug, 0), first.get(client.slug),
                          status=status, reason=reason)
            state.finished(client)

        def end_all(status: str, reason: str = "") -> None:
            for future, client in list(futures.items()):
                end(future, client, status, reason)
                self._cancel(future)
            while queue:
                end(None, queue.pop(0), status, reason)

        no_worker_since: float | None = None
        submit(self._threads() or 0)
        try:
            while futures or queue:
                for future in self._wait(set(futures)):  # at most _POLL seconds
                    end(future, futures[future])
                if not (futures or queue):
                    break
                if self.client.status in ("closing", "closed"):  # it gave up reconnecting
                    end_all("cancelled")
                    break
                threads = self._threads()
                if threads is None:  # no answer: the connection is lost or coming back
                    continue
                if threads:
                    no_worker_since = None
                    submit(threads)
                elif no_worker_since is None:
                    no_worker_since = time.monotonic()
                    state.say(f"batch: the cluster has no worker; waiting up to "
                              f"{NO_WORKER_WAIT:.0f} s for one")
                elif time.monotonic() - no_worker_since > NO_WORKER_WAIT:
                    end_all("no worker", bounded(
                        f"The cluster at {shorten(self.scheduler, 200)} had no worker for "
                        f"{NO_WORKER_WAIT:.0f} s, so this client was not run. Start workers "
                        f"(dask worker {shorten(self.scheduler, 200)}) and run the batch "
                        f"again with --skip-unchanged."))
        finally:
            for future in futures:  # interrupted: tell the scheduler to drop the rest
                self._cancel(future)

    @staticmethod
    def _cancel(future) -> None:
        try:
            future.cancel()
        except Exception:  # the connection is already gone
            pass

    def _wait(self, pending: set) -> set:
        """The futures of ``pending`` that end within _POLL seconds."""
        from distributed import wait

        if not pending:
            time.sleep(_POLL)
            return set()
        try:
            return set(wait(list(pending), timeout=_POLL, return_when="FIRST_COMPLETED").done)
        except TimeoutError:
            return set()
        except Exception:  # a lost connection: the futures are cancelled, look at each
            time.sleep(_POLL)
            return {f for f in pending if f.status in ("finished", "error", "cancelled")}

    def _threads(self) -> int | None:
        """The cluster's threads now (0: no worker), or None when the scheduler does not
        answer.
        """
        try:
            return sum(self.client.nthreads().values())
        except Exception:
            return None

    def _outcome(self, future, client: ClientRun, attempts: int, started: float | None,
                 status: str | None = None, reason: str = "") -> None:
        """Set ``client``'s status from its finished, failed or cancelled task (``future``
        None: a client never submitted).
        """
        status = status or future.status
        if status == "finished":
            try:
                outcome = future.result()
            except Exception as exc:
                client.status, client.reason = "failed", _lost_reason(exc, attempts)
            else:
                client.status, client.seconds = outcome["status"], outcome["seconds"]
                client.reason = outcome["reason"]
                client.run_dir = Path(outcome["run_dir"]) if outcome["run_dir"] else None
                client.figures = outcome["figures"]
            future.release()
            return
        client.seconds = time.monotonic() - started if started is not None else 0.0
        client.status = "failed"
        if status == "error":
            try:
                exc = future.exception()
            except Exception as other:
                exc = other
            client.reason = _lost_reason(exc, attempts)
        elif status == "no worker":
            client.reason = reason
        else:  # cancelled: the connection to the scheduler was lost
            client.reason = bounded(
                f"The connection to the Dask scheduler at {shorten(self.scheduler, 200)} was "
                f"lost before this client's outcome came back. A run its worker finished all "
                f"the same is marked good in the client's folder (latest); run the batch "
                f"again with --skip-unchanged to run only the clients without a good run.")

    def close(self) -> None:
        """Close the connection and remove the token file."""
        try:
            self.client.close(timeout=10)
        except Exception:  # closing a connection that is already gone
            pass
        self.token.unlink(missing_ok=True)
