"""What one notebook analyses and another needs again is made once per run folder, also
when the two ask at the same time."""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path

import pandas as pd
from conftest import write_tiny_client

from playbook.params import load_params
from playbook.running.context import RunContext


def _context(params_path: Path, run_dir: Path, reuse: bool = True) -> RunContext:
    (run_dir / "data").mkdir(parents=True, exist_ok=True)
    (run_dir / "data" / "intake.json").write_text(json.dumps({"figures": {"rows": 3}}))
    return RunContext(params=load_params(params_path), run_dir=run_dir, reuse=reuse)


def _slow_analysis(log: Path) -> dict:
    with log.open("a") as sink:
        sink.write("made\n")
    time.sleep(1.0)  # long enough for the other notebook to ask meanwhile
    return {"figure": 42}


def _ask(params_path: str, run_dir: str, log: str, answers) -> None:
    run = _context(Path(params_path), Path(run_dir))
    answers.put(run.cached("segmentation", lambda: _slow_analysis(Path(log))))


def test_two_notebooks_asking_at_once_make_it_once(tmp_path):
    params = write_tiny_client(tmp_path / "client")
    log = tmp_path / "made.log"
    spawn = multiprocessing.get_context("spawn")  # separate interpreters, as kernels are
    answers = spawn.Queue()
    askers = [spawn.Process(target=_ask, args=(str(params), str(tmp_path / "run"), str(log),
                                               answers)) for _ in range(2)]
    for asker in askers:
        asker.start()
    got = [answers.get(timeout=60) for _ in askers]
    for asker in askers:
        asker.join(timeout=60)
        assert asker.exitcode == 0
    assert got == [{"figure": 42}] * 2
    assert log.read_text().splitlines() == ["made"]


def test_made_once_then_read_back_as_a_fresh_copy(tmp_path):
    params = write_tiny_client(tmp_path / "client")
    run = _context(params, tmp_path / "run")
    log = tmp_path / "made.log"
    first = run.cached("ltv", lambda: _slow_analysis(log))
    first["figure"] = 0  # a caller may change its copy
    assert run.cached("ltv", lambda: _slow_analysis(log)) == {"figure": 42}
    assert run.cached("segmentation", lambda: {"other": 1}) == {"other": 1}
    assert log.read_text().splitlines() == ["made"]


def test_a_context_built_by_hand_always_computes(tmp_path):
    params = write_tiny_client(tmp_path / "client")
    run = _context(params, tmp_path / "run", reuse=False)
    log = tmp_path / "made.log"
    for _ in range(2):
        run.cached("ltv", lambda: _slow_analysis(log))
    assert log.read_text().splitlines() == ["made", "made"]
    assert not (tmp_path / "run" / "data" / "cache").exists()


def test_transactions_read_once_and_each_caller_gets_its_own(tmp_path, monkeypatch):
    from playbook.intake import run_intake
    from playbook.running.context import intake_dir

    params = load_params(write_tiny_client(tmp_path / "client"))
    run_intake(params, intake_dir(tmp_path / "run"))
    run = RunContext(params=params, run_dir=tmp_path / "run")
    reads = []
    real = pd.read_parquet
    monkeypatch.setattr(pd, "read_parquet", lambda *a, **kw: reads.append(a) or real(*a, **kw))
    first = run.transactions()
    kept = first.copy()
    first["amount"] = -1.0  # a caller changes its frame in every way it may
    first.loc[0, "customer_id"] = "changed"
    del first["date"]
    again = run.transactions()
    pd.testing.assert_frame_equal(again, kept)
    pd.testing.assert_frame_equal(run.transactions(after_as_of=True), kept)
    assert len(reads) == 1  # no line after as_of: the lines up to it are read once


def test_transactions_by_column_read_each_column_once(tmp_path, monkeypatch):
    """An analysis asking for its columns gets those of the whole frame, up to as_of, in
    its order; a column the file lacks is left out; no column is read twice (the dates
    once more, to find the rows up to as_of)."""
    from playbook.intake import run_intake
    from playbook.running.context import intake_dir

    params = load_params(write_tiny_client(tmp_path / "client", extra={"as_of": "2025-03-01"}))
    run_intake(params, intake_dir(tmp_path / "run"))
    whole = RunContext(params=params, run_dir=tmp_path / "run").transactions()
    assert len(whole) == 4 and whole["date"].max() <= pd.Timestamp("2025-03-01")
    run = RunContext(params=params, run_dir=tmp_path / "run")
    reads = []
    real = pd.read_parquet
    monkeypatch.setattr(pd, "read_parquet",
                        lambda *a, **kw: reads.extend(kw.get("columns") or ["*"])
                        or real(*a, **kw))
    amounts = run.transactions(columns=["amount", "manager", "customer_id"])
    pd.testing.assert_frame_equal(amounts, whole[["amount", "customer_id"]])
    dated = run.transactions(columns=["customer_id", "date"])
    pd.testing.assert_frame_equal(dated, whole[["customer_id", "date"]])
    pd.testing.assert_frame_equal(run.transactions(), whole)
    assert sorted(reads) == sorted(["amount", "customer_id", "date", "date", *[
        c for c in whole if c not in ("amount", "customer_id", "date")]])
    assert "manager" not in whole  # the tiny client's file has no manager column
    fresh = RunContext(params=params, run_dir=tmp_path / "run")
    fresh.transactions(columns=["customer_id"])
    reads.clear()
    for _ in range(2):  # not kept: read each time, beside the kept columns
        named = fresh.transactions(columns=["customer_id", "customer_name"], keep=False)
        pd.testing.assert_frame_equal(named, whole[["customer_id", "customer_name"]])
    assert reads == ["customer_name", "customer_name"]
    assert list(fresh._transactions[False]) == ["customer_id"]


def _ask_meanwhile(params_path: str, run_dir: str, log: str, answers, asking) -> None:
    run = _context(Path(params_path), Path(run_dir))
    asking.set()
    answers.put(run.cached("segmentation", lambda: _slow_analysis(Path(log)),
                           meanwhile=lambda: _note(Path(log), "meanwhile")))


def _note(log: Path, what: str) -> None:
    with log.open("a") as sink:
        sink.write(what + "\n")


def test_a_notebook_waiting_for_another_does_its_own_work_meanwhile(tmp_path):
    params = write_tiny_client(tmp_path / "client")
    log = tmp_path / "made.log"
    spawn = multiprocessing.get_context("spawn")
    answers, asking = spawn.Queue(), spawn.Event()
    waiter = spawn.Process(target=_ask_meanwhile, args=(
        str(params), str(tmp_path / "run"), str(log), answers, asking))
    run = _context(params, tmp_path / "run")

    def make() -> dict:  # still making it when the other notebook asks
        waiter.start()
        assert asking.wait(timeout=60)
        return _slow_analysis(log)

    first = run.cached("segmentation", make,
                       meanwhile=lambda: _note(log, "never: nobody was making it"))
    assert answers.get(timeout=60) == first == {"figure": 42}
    waiter.join(timeout=60)
    assert waiter.exitcode == 0
    assert sorted(log.read_text().splitlines()) == ["made", "meanwhile"]
    # read back later, nobody making it: no wait, so nothing meanwhile
    run.cached("segmentation", lambda: {}, meanwhile=lambda: _note(log, "not now"))
    assert sorted(log.read_text().splitlines()) == ["made", "meanwhile"]


def test_a_cut_short_or_foreign_cache_file_is_made_again(tmp_path):
    """A cache file cut short (a full disk, a copy interrupted) or not a pickle at all is
    never an error: the analysis is made again and the file replaced."""
    params = write_tiny_client(tmp_path / "client")
    run = _context(params, tmp_path / "run")
    value = {"figures": pd.Series(range(100_000), dtype="float64")}
    run.cached("ltv", lambda: value)
    (path,) = (tmp_path / "run" / "data" / "cache").glob("ltv-*.pickle")
    whole = path.read_bytes()
    for broken in (whole[: len(whole) // 2], whole[:10], b"", b"not a pickle"):
        path.write_bytes(broken)
        got = run.cached("ltv", lambda: value)
        pd.testing.assert_series_equal(got["figures"], value["figures"])
        assert path.read_bytes() == whole
