"""``playbook batch --scheduler``: a real Dask scheduler and two workers on loopback (``dask
scheduler`` and ``dask worker`` processes), tiny clients that run the intake notebook only,
and workers killed while they run a client (``cluster_hooks.py``, preloaded into the workers,
makes a client sleep for its first attempts so the test can kill the worker running it).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import ROOT
from test_batch import _client

from playbook.params import client_slug
from playbook.running.batch import HASH_FILE, BatchError, ClientRun, Progress, run_batch
from playbook.running.cluster import Cluster, _client_args, _here, run_client

HOOKS = Path(__file__).with_name("cluster_hooks.py")
#: The scheduler gives up on a client after its worker was lost twice, and sends a worker
#: only as many clients as it has threads (so a killed worker loses only the one it runs).
DASK_ENV = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
            "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}


def _wait_for(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _address(file: Path) -> str | None:
    try:
        return json.loads(file.read_text("utf-8"))["address"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """A scheduler and two one-thread workers on loopback; the scheduler file's path."""
    folder = tmp_path_factory.mktemp("dask")
    file = folder / "scheduler.json"
    env = {**os.environ, **DASK_ENV}
    started = []

    def start(module: str, *args: str) -> None:
        with (folder / f"{module.rsplit('_', 1)[1]}.log").open("wb") as log:
            started.append(subprocess.Popen(
                [sys.executable, "-m", f"distributed.cli.{module}", *args], cwd=ROOT,
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True))  # its own process group: stopped whole below

    try:
        start("dask_scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
              "--scheduler-file", str(file))
        _wait_for(lambda: _address(file), 120, "the scheduler")
        start("dask_worker", "--scheduler-file", str(file), "--host", "127.0.0.1",
              "--nworkers", "2", "--nthreads", "1", "--no-dashboard", "--preload", str(HOOKS))
        log = folder / "worker.log"
        _wait_for(lambda: log.read_text("utf-8", "replace").count("Registered to:") >= 2, 180,
                  "two workers")
        yield file
    finally:
        for process in reversed(started):
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)
            except ProcessLookupError:
                pass


def _batch(scheduler: Path, out: Path, *params: Path, kill: Sequence[Path] = ()):
    """Run ``playbook batch PARAMS --scheduler``; kill the worker that writes each of
    ``kill`` (an attempt marker, see cluster_hooks.py) when it appears. The batch's result
    and the process ids of the killed workers' children.
    """
    batch = subprocess.Popen(
        [sys.executable, "-m", "playbook", "batch", *map(str, params), "--scheduler",
         str(scheduler), "--out", str(out), "--lang", "en"], cwd=ROOT, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children = []
    try:
        for marker in kill:
            _wait_for(marker.is_file, 240, f"{marker.name} of {marker.parent.name}")
            worker, child = map(int, marker.read_text().split())
            os.kill(worker, signal.SIGKILL)  # the worker process running that client
            children.append(child)
        stdout, stderr = batch.communicate(timeout=400)
    finally:
        if batch.poll() is None:
            batch.kill()
            batch.communicate()
    return subprocess.CompletedProcess(batch.args, batch.returncode, stdout, stderr), children


def test_a_cluster_batch_isolates_a_failure_and_retries_a_client_whose_worker_died(
        scheduler, tmp_path):
    good = _client(tmp_path / "good", "Good Client")
    broken = _client(tmp_path / "broken", "Broken Client")
    (broken.parent / "tx.csv").write_bytes(b"\x00\x01 not a table at all\n")
    once = _client(tmp_path / "once", "Lost Once")  # its first worker is killed: a retry
    (once.parent / "slow").write_text("1")
    bad = tmp_path / "bad" / "params.yaml"
    bad.parent.mkdir()
    bad.write_text("client:\n  nmae: Typo\n", encoding="utf-8")
    out = tmp_path / "batch"
    started = time.monotonic()
    result, children = _batch(scheduler, out, once, good, broken, bad,
                              kill=[once.parent / "attempt-1"])
    assert time.monotonic() - started < 500
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert " done " in rows[client_slug("Good Client")]
    assert rows[client_slug("Good Client")].endswith("report.html")
    assert "bad data" in rows[client_slug("Broken Client")] and "tx.csv" in result.stdout
    assert any("bad parameters" in row and "nmae" in row for row in rows.values())
    # Run again elsewhere; only the retry's run folder is good and latest.
    assert " done " in rows[client_slug("Lost Once")], result.stdout
    folder = out / client_slug("Lost Once")
    runs = sorted(p for p in folder.iterdir() if p.name != "latest")
    good_runs = [p for p in runs if (p / HASH_FILE).is_file()]
    assert len(runs) == 2 and good_runs == [(folder / "latest").resolve()]
    assert not any((p / "report.html").exists() for p in runs if p not in good_runs)
    assert f"{client_slug('Lost Once')} runs again on tcp://127.0.0.1:" in result.stderr
    # The killed worker's child died with it.
    _wait_for(lambda: not any(map(_alive, children)), 30, "the lost client's child to end")
    # Progress and the portfolio, as a local batch.
    assert "4/4 clients done" in result.stderr
    assert f"running: {client_slug('Lost Once')}" in result.stderr
    portfolio = json.loads((out / "portfolio.json").read_text("utf-8"))
    assert [row["status"] for row in portfolio] == [
        "done", "done", "bad data", "bad parameters"]
    assert portfolio[1]["customers"] == 3 and (out / portfolio[1]["report"]).is_file()
    assert "Lost Once" in (out / "index.html").read_text("utf-8")
    assert not list(out.glob(".playbook-batch-*"))  # the token file is removed


def test_a_client_whose_workers_keep_dying_fails_with_the_reason(scheduler, tmp_path):
    twice = _client(tmp_path / "twice", "Lost Twice")  # both attempts' workers are killed
    (twice.parent / "slow").write_text("2")
    out = tmp_path / "batch"
    started = time.monotonic()
    result, children = _batch(scheduler, out, twice,
                              kill=[twice.parent / "attempt-1", twice.parent / "attempt-2"])
    assert time.monotonic() - started < 500
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    row = result.stdout.splitlines()[1]
    assert " failed " in row and "lost 2 times" in row and "KilledWorker" in row
    assert not (out / client_slug("Lost Twice") / "latest").exists()
    assert "1/1 clients done" in result.stderr
    _wait_for(lambda: not any(map(_alive, children)), 30, "the lost client's children to end")
    assert json.loads((out / "portfolio.json").read_text("utf-8"))[0]["status"] == "failed"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_scheduler_that_cannot_be_reached_is_exit_2_without_a_traceback(tmp_path):
    good = _client(tmp_path / "good", "Good Client")
    env = {**os.environ, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "playbook", "batch", str(good), "--scheduler",
         f"tcp://127.0.0.1:{_free_port()}", "--out", str(tmp_path / "batch")], cwd=ROOT,
        env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Cannot reach the Dask scheduler at tcp://127.0.0.1:" in result.stderr
    assert "no client was run" in result.stderr and "Traceback" not in result.stderr
    assert time.monotonic() - started < 60
    assert not (tmp_path / "batch" / "index.html").exists()


def test_a_bad_scheduler_argument_is_a_batch_error(tmp_path):
    good = _client(tmp_path / "good", "Good Client")
    cases = [
        ("not an address", "neither a Dask scheduler's address"),
        (str(good), "not a Dask scheduler file"),  # a file, but not a scheduler file
    ]
    for address, message in cases:
        with pytest.raises(BatchError, match=message):
            run_batch([good], scheduler=address, out=tmp_path / "batch")
    with pytest.raises(BatchError, match="--workers 2 is for a batch on this machine"):
        run_batch([good], scheduler="tcp://127.0.0.1:1", workers=2, out=tmp_path / "batch")
    assert not (tmp_path / "batch" / "index.html").exists()
    assert _client_args("scheduler.example:8786") == {"address": "tcp://scheduler.example:8786"}
    file = tmp_path / "scheduler.json"
    file.write_text(json.dumps({"address": "tcp://127.0.0.1:8786"}), encoding="utf-8")
    assert _client_args(str(file)) == {"address": "tcp://127.0.0.1:8786"}


class _FakeClient:
    """What ``Cluster`` asks of ``distributed.Client`` before a batch, with fixed answers."""

    def __init__(self, answers):
        self.answers = answers

    def run(self, function, *args, on_error="raise"):
        return self.answers

    def close(self, timeout=None):
        pass


def test_workers_that_cannot_run_the_batch_stop_it_with_their_names(tmp_path):
    ok = {**_here(), "sees_out": True, "host": "node1"}
    cluster = Cluster(_FakeClient({
        "tcp://node1:40001": ok,
        "tcp://node2:40001": {**ok, "sees_out": False, "host": "node2"},
        "tcp://node3:40001": {**ok, "playbook": "0.0.1", "host": "node3"},
        "tcp://node4:40001": ModuleNotFoundError("No module named 'playbook'"),
    }), "tcp://scheduler:8786", tmp_path)
    with pytest.raises(BatchError) as caught:
        cluster._check_workers()
    message = str(caught.value)
    assert "tcp://node1:40001" not in message
    assert "node2 cannot see the batch folder" in message
    assert "node3 has playbook 0.0.1" in message
    assert "node4:40001 cannot run the playbook (ModuleNotFoundError" in message
    cluster.close()
    assert not list(tmp_path.iterdir())  # the token file is removed
    Cluster(_FakeClient({"tcp://node1:40001": ok}), "tcp://scheduler:8786",
            tmp_path)._check_workers()


def test_a_worker_that_cannot_see_the_files_fails_the_client_with_the_reason(tmp_path):
    params = _client(tmp_path / "c", "Some Client")
    token = tmp_path / "out" / ".playbook-batch-x"
    token.parent.mkdir()
    token.write_text("x", encoding="utf-8")
    job = {"params": str(params), "slug": "some-client", "name": "Some Client", "digest": "d",
           "out": str(token.parent), "token": str(token), "text": "not what it holds",
           "topic": "t"}
    outcome = run_client(job)
    assert outcome["status"] == "failed" and "cannot see the batch's folder" in outcome["reason"]
    outcome = run_client({**job, "text": "x", "params": str(tmp_path / "elsewhere.yaml")})
    assert outcome["status"] == "failed"
    assert "cannot see the parameters file" in outcome["reason"]
    assert outcome["run_dir"] is None and outcome["figures"] is None
    assert list(token.parent.iterdir()) == [token]  # no run folder


class _NoWorkers(_FakeClient):
    """A scheduler that answers but has no worker."""

    status = "running"

    def __init__(self):
        super().__init__({})

    def subscribe_topic(self, topic, handler):
        pass

    def nthreads(self):
        return {}

    def submit(self, *args, **kwargs):
        raise AssertionError("nothing is submitted to a cluster without threads")


def test_a_cluster_without_workers_fails_the_clients_instead_of_waiting_forever(
        tmp_path, monkeypatch):
    from playbook.running import cluster as cluster_module

    monkeypatch.setattr(cluster_module, "NO_WORKER_WAIT", 0.3)
    monkeypatch.setattr(cluster_module, "_POLL", 0.05)
    clients = [ClientRun(tmp_path / f"{n}.yaml", f"client-{n}", f"Client {n}") for n in (1, 2)]
    lines = []
    state = Progress(len(clients), 0, lines.append)
    started = time.monotonic()
    Cluster(_NoWorkers(), "tcp://scheduler:8786", tmp_path).run(clients, state)
    assert time.monotonic() - started < 30
    assert [c.status for c in clients] == ["failed", "failed"]
    assert all("had no worker for 0 s" in c.reason for c in clients)
    assert "batch: the cluster has no worker; waiting up to 0 s for one" in lines
    assert lines[-1] == "batch: 2/2 clients done; running: -"
