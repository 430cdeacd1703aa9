"""Benchmark: the whole playbook end to end, each ratio against a baseline of the same run.

``make bench`` (or ``.venv/bin/python bench/bench_e2e.py``) measures, one after another:

``naive``
    the demo client the naive way: ``papermill`` on each notebook in turn (each one runs
    intake itself, as a notebook opened by hand does), then ``jupyter nbconvert --to html``
    on each executed notebook.
``demo``
    ``playbook run`` on the demo client.
``1m`` / ``10m``
    ``playbook run`` on a generated client of that many transactions
    (:func:`playbook.demo.large.write_large`: the demo's process and file format, no survey,
    win-back or standards files), written once into ``bench/data`` and reused.
``batch``
    ``playbook batch`` on ``--batch-size`` copies of the demo client (each under its own
    name), with ``--workers 1`` and then ``--workers 2``. Both batches run each client's
    notebooks one at a time (``PLAYBOOK_CONCURRENCY=1``), so that the ratio measures what
    the workers add, not the runner's own concurrency.

Wall time is measured around each command; memory is the peak of the summed resident
memory (RSS) of the command's whole process tree (the runner, its kernels, their
children), sampled every 0.2 s with psutil. Then one PASS/FAIL line per target of issue 15:
demo / naive <= 0.5, 1M / demo <= 1.5, 10M / demo <= 5 with peak memory < 4 GB, batch
1 worker / 2 workers >= 1.7. The exit status is 0 whether targets pass or not (it is a
measurement), unless a command failed or ``--strict`` is given. Timings on a shared machine
are noisy: the load average before each step is printed beside it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEMO = ROOT / "params" / "clients" / "demo.yaml"
TARGETS = {"demo_vs_naive": 0.5, "1m_vs_demo": 1.5, "10m_vs_demo": 5.0, "batch_speedup": 1.7}
MEMORY_LIMIT_GB = 4.0
COLUMNS = {  # the demo's mapping (params/clients/demo.yaml)
    "customer_id": "Код клиента", "date": "Дата", "amount": "Сумма", "order_id": "Документ",
    "cost": "Себестоимость", "category": "Номенклатурная группа", "manager": "Менеджер",
    "customer_name": "Контрагент"}


class Peak:
    """The peak summed RSS of a process and all its descendants, sampled in a thread."""

    def __init__(self, pid: int, every: float = 0.2):
        self.pid, self.every, self.bytes = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop.is_set():
            total = 0
            try:
                for proc in [root, *root.children(recursive=True)]:
                    try:
                        total += proc.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                break
            self.bytes = max(self.bytes, total)
            self._stop.wait(self.every)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.bytes / 2**30


def measure(label: str, command: list[str], *, env: dict | None = None,
            cwd: Path = ROOT) -> dict:
    """Run ``command``; its wall time, peak tree memory and exit code."""
    load = os.getloadavg()[0]
    print(f"{label}: running (load average {load:.1f}) ...", flush=True)
    started = time.perf_counter()
    log = ROOT / "bench" / "data" / "e2e" / f"{label}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as sink:
        child = subprocess.Popen(command, cwd=cwd, stdout=sink, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})})
        peak = Peak(child.pid)
        code = child.wait()
    seconds = time.perf_counter() - started
    gb = peak.stop()
    status = "ok" if code == 0 else f"FAILED (exit {code}, see {log.relative_to(ROOT)})"
    print(f"{label}: {seconds:.1f} s, peak memory {gb:.2f} GB, {status}", flush=True)
    return {"seconds": seconds, "gb": gb, "code": code, "load": load}


def playbook(params: Path, out: Path, label: str, **kw) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    return measure(label, [str(BIN / "playbook"), "run", str(params), "--out", str(out)], **kw)


def naive(out: Path) -> dict:
    """papermill each notebook, then nbconvert each, in one shell loop measured as a whole."""
    from playbook.params import load_params

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    names = load_params(DEMO).run.notebooks
    steps = [f"{BIN / 'papermill'} {n} {out / n} -p params_path {DEMO} --no-progress-bar "
             f"--log-level ERROR" for n in names]
    steps += [f"{BIN / 'jupyter'} nbconvert --to html --log-level ERROR {out / n}"
              for n in names]
    return measure("naive", ["/bin/sh", "-ec", " && ".join(steps)], cwd=ROOT / "notebooks")


def large_client(rows: int, data: Path) -> Path:
    """Parameters of a generated client of about ``rows`` transactions (file made once)."""
    csv = data / f"transactions-{rows}.csv"
    if not csv.exists():  # in a child, so that this process stays small while others run
        print(f"data: generating {rows:,} rows into {csv} ...", flush=True)
        partial = csv.with_name(csv.name + ".partial")
        subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from "
                        "playbook.demo.large import write_large; "
                        "write_large(Path(sys.argv[1]), int(sys.argv[2]))", str(partial),
                        str(rows)], check=True)
        partial.replace(csv)
    params = data / f"client-{rows}.yaml"
    params.write_text(yaml.safe_dump({
        "client": {"name": f"Bench {rows}", "language": "ru", "currency": "RUB"},
        "data": {"transactions": {"path": str(csv), "columns": COLUMNS}},
        "as_of": "2026-10-31"}, allow_unicode=True), encoding="utf-8")
    return params


def batch_clients(n: int, data: Path) -> list[Path]:
    """``n`` copies of the demo client's parameters, each under its own name."""
    raw = yaml.safe_load(DEMO.read_text("utf-8"))
    folder = data / "batch"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(1, n + 1):
        copy = yaml.safe_load(yaml.safe_dump(raw))
        copy["client"]["name"] = f"{raw['client']['name']} {i}"
        for key, value in copy["data"].items():
            if isinstance(value, dict):
                value["path"] = str((DEMO.parent / value["path"]).resolve())
            elif isinstance(value, str):
                copy["data"][key] = str((DEMO.parent / value).resolve())
        path = folder / f"client-{i}.yaml"
        path.write_text(yaml.safe_dump(copy, allow_unicode=True), encoding="utf-8")
        paths.append(path)
    return paths


def verdict(name: str, value: float, passed: bool, what: str) -> str:
    return f"{'PASS' if passed else 'FAIL'}  {name:<14} {value:6.2f}  {what}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "data")
    parser.add_argument("--large", type=int, default=1_000_000, help="rows of the 1M client")
    parser.add_argument("--huge", type=int, default=10_000_000, help="rows of the 10M client")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--skip-1m", action="store_true")
    parser.add_argument("--skip-10m", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    data = args.data_dir.resolve()
    runs = data / "e2e"
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; every "
          f"ratio is against a baseline measured in this run", flush=True)

    got: dict[str, dict] = {}
    if not args.skip_naive:
        got["naive"] = naive(runs / "naive")
    got["demo"] = playbook(DEMO, runs / "demo", "demo")
    if not args.skip_1m:
        got["1m"] = playbook(large_client(args.large, data), runs / "1m", "1m")
    if not args.skip_batch:
        clients = [str(p) for p in batch_clients(args.batch_size, data)]
        for workers in (1, 2):
            out = runs / f"batch-{workers}"
            shutil.rmtree(out, ignore_errors=True)
            got[f"batch{workers}"] = measure(
                f"batch{workers}", [str(BIN / "playbook"), "batch", *clients, "--workers",
                                    str(workers), "--out", str(out)],
                env={"PLAYBOOK_CONCURRENCY": "1"})
    if not args.skip_10m:  # last: the longest, and it may fail
        got["10m"] = playbook(large_client(args.huge, data), runs / "10m", "10m")

    demo = got["demo"]["seconds"]
    lines = []
    if "naive" in got:
        ratio = demo / got["naive"]["seconds"]
        lines.append(verdict("demo/naive", ratio, ratio <= TARGETS["demo_vs_naive"],
                             f"<= {TARGETS['demo_vs_naive']} (demo {demo:.1f} s, naive "
                             f"{got['naive']['seconds']:.1f} s)"))
    if "1m" in got:
        ratio = got["1m"]["seconds"] / demo
        lines.append(verdict("1M/demo", ratio, ratio <= TARGETS["1m_vs_demo"] and
                             got["1m"]["code"] == 0,
                             f"<= {TARGETS['1m_vs_demo']} ({got['1m']['seconds']:.1f} s, "
                             f"peak {got['1m']['gb']:.2f} GB)"))
    if "10m" in got:
        ratio = got["10m"]["seconds"] / demo
        lines.append(verdict("10M/demo", ratio, ratio <= TARGETS["10m_vs_demo"] and
                             got["10m"]["code"] == 0,
                             f"<= {TARGETS['10m_vs_demo']} ({got['10m']['seconds']:.1f} s)"))
        gb = got["10m"]["gb"]
        lines.append(verdict("10M memory GB", gb, gb < MEMORY_LIMIT_GB,
                             f"< {MEMORY_LIMIT_GB} (all processes together)"))
    if "batch1" in got:
        ratio = got["batch1"]["seconds"] / got["batch2"]["seconds"]
        lines.append(verdict("batch 2w/1w", ratio, ratio >= TARGETS["batch_speedup"] and
                             got["batch1"]["code"] == got["batch2"]["code"] == 0,
                             f">= {TARGETS['batch_speedup']} ({args.batch_size} clients: "
                             f"{got['batch1']['seconds']:.1f} s on 1 worker, "
                             f"{got['batch2']['seconds']:.1f} s on 2)"))
    print("\n" + "\n".join(lines), flush=True)
    crashed = any(r["code"] != 0 for r in got.values())
    failed = any(line.startswith("FAIL") for line in lines)
    return 1 if crashed or (args.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
