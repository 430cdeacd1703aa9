"""Where does intake spend its time and memory? Per-statement profile of ``run_intake``.

    .venv/bin/python bench/profile_intake.py bench/data/transactions-1000000-seed20261031-v1.0.0.csv
    .venv/bin/python bench/profile_intake.py --thorough FILE   # as a file with problem rows

Wraps the DuckDB connection that ``run_intake`` opens and the transcoding so
that every SQL statement (and the transcoding) is timed, with its user and system CPU time
(worker processes included) and the process's peak RSS during it (sampled every 10 ms).
Nothing in playbook/ is changed; the statements are those of the installed
``playbook.intake``. Prints the totals, then the costliest steps.
"""

from __future__ import annotations

import argparse
import re
import sys
import threading
import time
from pathlib import Path

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_intake import AS_OF, COLUMNS, ROOT  # noqa: E402

PROC = psutil.Process()
STEPS: list[tuple[str, float, float, float, float, float]] = []
# label, seconds, rss before, peak rss, user CPU s, system CPU s (worker processes included)


def _cpu() -> tuple[float, float]:
    t = PROC.cpu_times()
    return t.user + t.children_user, t.system + t.children_system


class Peak:
    """Samples RSS in a thread while a step runs."""

    def __enter__(self):
        self.before = PROC.memory_info().rss
        self.peak = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self.started = time.perf_counter()
        self.cpu = _cpu()
        return self

    def _run(self):
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, PROC.memory_info().rss)

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.started
        user, system = _cpu()
        self.user, self.system = user - self.cpu[0], system - self.cpu[1]
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, PROC.memory_info().rss)


def _label(sql: str) -> str:
    text = re.sub(r"\s+", " ", sql).strip()
    return text[:150] + ("..." if len(text) > 150 else "")


class TimedConnection:
    def __init__(self, con):
        self._con = con

    def execute(self, sql, *args, **kwargs):
        with Peak() as p:
            result = self._con.execute(sql, *args, **kwargs)
        STEPS.append((_label(sql), p.seconds, p.before, p.peak, p.user, p.system))
        return result

    def __getattr__(self, name):
        return getattr(self._con, name)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "data" / "runs" / "profile")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--thorough", action="store_true",
                        help="switch off the quick write of clean files, as for a file with "
                             "problem rows")
    args = parser.parse_args()

    import playbook.intake as intake
    import playbook.intake.sources as sources
    import playbook.intake.transactions as transactions
    from playbook.params import params_from_dict

    real_connect = duckdb.connect
    duckdb.connect = lambda *a, **k: TimedConnection(real_connect(*a, **k))
    real_transcode = sources._transcode  # noqa: SLF001

    def timed_transcode(*a, **k):
        with Peak() as p:
            out = real_transcode(*a, **k)
        STEPS.append(("_transcode (cp1251 -> utf-8 copy)", p.seconds, p.before, p.peak, p.user,
                      p.system))
        return out

    sources._transcode = timed_transcode
    if args.thorough:
        transactions._write_clean = lambda *a, **k: False  # noqa: SLF001
    params = params_from_dict({
        "client": {"name": "Bench"},
        "data": {"transactions": {"path": str(args.csv.resolve()), "columns": COLUMNS}},
        "as_of": AS_OF.isoformat(),
    }, base_dir=ROOT)
    with Peak() as total:
        intake.run_intake(params, args.out, today=AS_OF)
    duckdb.connect = real_connect
    accounted = sum(s[1] for s in STEPS)
    print(f"run_intake: {total.seconds:.2f} s, peak RSS {total.peak / 2**20:,.0f} MiB, CPU "
          f"{total.user:.2f} s user + {total.system:.2f} s system; {accounted:.2f} s in "
          f"{len(STEPS)} timed steps, {total.seconds - accounted:.2f} s elsewhere (Python)")
    print(f"\n{'s':>7} {'share':>6} {'user':>6} {'sys':>6} {'peak MiB':>9}  step")
    for label, seconds, _before, peak, user, system in sorted(STEPS, key=lambda s: -s[1])[
            :args.top]:
        print(f"{seconds:>7.2f} {seconds / total.seconds:>6.1%} {user:>6.2f} {system:>6.2f} "
              f"{peak / 2**20:>9,.0f}  {label}")


if __name__ == "__main__":
    main()
