"""Does intake still write what it wrote before the performance work? Same rows, same values.

    .venv/bin/python bench/compare_outputs.py                          # the demo client
    .venv/bin/python bench/compare_outputs.py --rows 1000000           # a generated file
    .venv/bin/python bench/compare_outputs.py --csv FILE --baseline REV

Runs ``run_intake`` twice on the same input, each in its own interpreter: once with
``playbook/intake.py`` and ``playbook/summary.py`` as they are in git revision ``--baseline``
(read with ``git show``, so a revision from before intake became a package; the rest of the
playbook is the working tree's), once with the working tree. Then compares every file written:

* each Parquet file (less the baseline's columns in ``RETIRED``): same columns and types,
  same number of rows, and every value equal, in the same order (exactly: NULLs where
  NULLs, NaN where NaN, floats bit for bit); a column marked required (no NULLs) in one file
  and optional in the other is printed as a note;
* ``intake.json`` (less keys in ``ADDED`` that the baseline lacks): equal, except that
  floats may differ by 1e-9 relative (issue amounts are sums of doubles, which a parallel
  scan adds in varying order).

Exit status 1 when anything differs. Only the work folders under ``--data-dir`` are written.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from bench_intake import AS_OF, COLUMNS, data_file  # noqa: E402

#: The last commit before the performance work on intake.
DEFAULT_BASELINE = "64a00a9"
#: Columns the baseline wrote that intake no longer writes, on purpose: transactions.parquet
#: lost source_row when clean files came to be written in one parallel pass (1159b9b).
RETIRED = {"source_row"}
#: intake.json keys added since the baseline, compared only when the baseline has them.
ADDED = {"lines_above_header", "unread_sheets"}

_RUN = """
import datetime as dt, importlib.util, json, sys, time
from pathlib import Path
baseline_dir, params_json, out, today = sys.argv[1:]
if baseline_dir:  # load intake.py and summary.py of the baseline in place of the tree's
    import playbook
    for name in ("summary", "intake"):
        spec = importlib.util.spec_from_file_location(f"playbook.{name}",
                                                      Path(baseline_dir) / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        setattr(playbook, name, module)
from playbook.intake import run_intake
from playbook.params import load_params, params_from_dict
spec = json.loads(params_json)
params = (load_params(spec["file"]) if "file" in spec
          else params_from_dict(spec["dict"], base_dir=Path(spec["base"])))
started = time.perf_counter()
run_intake(params, Path(out), today=dt.date.fromisoformat(today))
import resource
print(f"{time.perf_counter() - started:.2f} "
      f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
"""


def run(baseline_dir: Path | None, params: dict, out: Path, today: str) -> tuple[float, float]:
    """run_intake in a fresh interpreter; returns its wall time and peak RSS in MiB."""
    result = subprocess.run([sys.executable, "-c", _RUN, str(baseline_dir or ""),
                             json.dumps(params), str(out), today],
                            cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"compare: run_intake failed ({'baseline' if baseline_dir else 'tree'})"
                         f":\n{result.stderr}")
    wall, peak = result.stdout.strip().splitlines()[-1].split()
    return float(wall), float(peak)


def baseline_sources(revision: str, folder: Path) -> Path:
    """playbook/intake.py and playbook/summary.py at ``revision``, written into ``folder``."""
    for name in ("intake", "summary"):
        text = subprocess.run(["git", "show", f"{revision}:playbook/{name}.py"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
        (folder / f"{name}.py").write_text(text, encoding="utf-8")
    return folder


def schema_notes(a: Path, b: Path) -> list[str]:
    """Columns marked required (no NULLs) in one file and optional in the other.

    DuckDB marks a column required when its statistics show no NULLs, which depends on how
    the column was computed as well as on the data; the values are compared separately.
    """
    import pyarrow.parquet as pq

    sa, sb = pq.read_schema(a), pq.read_schema(b)
    return [f"{a.name}: column {x.name} is {'optional' if x.nullable else 'required'} in the "
            f"baseline, {'optional' if y.nullable else 'required'} now"
            for x, y in zip(sa, sb, strict=False) if x.name == y.name and x.nullable != y.nullable]


def compare_parquet(a: Path, b: Path) -> list[str]:
    """Differences between two Parquet files' contents (not their encodings or row groups)."""
    import numpy as np
    import pyarrow.parquet as pq

    ta, tb = pq.read_table(a), pq.read_table(b)
    ta = ta.drop_columns([c for c in ta.schema.names
                          if c in RETIRED and c not in tb.schema.names])
    if ta.schema.names != tb.schema.names or ta.schema.types != tb.schema.types:
        return [f"columns differ: {ta.schema} vs {tb.schema}"]
    if ta.num_rows != tb.num_rows:
        return [f"{ta.num_rows:,} vs {tb.num_rows:,} rows"]
    problems = []
    for name in ta.schema.names:
        x, y = ta[name].combine_chunks(), tb[name].combine_chunks()
        if x.equals(y):
            continue
        nulls = x.is_null().to_numpy(zero_copy_only=False)
        same = np.array_equal(nulls, y.is_null().to_numpy(zero_copy_only=False))
        if same and (x.type.id in (10, 11, 12)):  # half/float/double: NaN equals NaN
            same = np.array_equal(x.to_numpy(zero_copy_only=False)[~nulls],
                                  y.to_numpy(zero_copy_only=False)[~nulls], equal_nan=True)
        if not same:
            first = next(i for i in range(len(x)) if x[i] != y[i])
            problems.append(f"column {name}: values differ (first at row {first}: "
                            f"{x[first]} vs {y[first]})")
    return problems


def compare_json(a, b, where: str = "intake.json") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        b = {k: v for k, v in b.items() if k in a or k not in ADDED}
        if a.keys() != b.keys():
            return [f"{where}: keys {sorted(a)} vs {sorted(b)}"]
        return [p for k in a for p in compare_json(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} vs {len(b)} items"]
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True))
                for p in compare_json(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and isinstance(b, (int, float)):
        return [] if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) else [f"{where}: {a} vs {b}"]
    return [] if a == b else [f"{where}: {a!r} vs {b!r}"]


def compare_runs(base: Path, tree: Path) -> list[str]:
    names = sorted({p.name for p in base.iterdir()} | {p.name for p in tree.iterdir()})
    problems = []
    for name in names:
        a, b = base / name, tree / name
        if not (a.exists() and b.exists()):
            problems.append(f"{name}: written by only one of the two")
        elif name.endswith(".parquet"):
            problems += [f"{name}: {p}" for p in compare_parquet(a, b)]
        elif name == "intake.json":
            problems += compare_json(json.loads(a.read_text(encoding="utf-8")),
                                     json.loads(b.read_text(encoding="utf-8")))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--params", type=Path, help="a client's parameters file "
                        "(default: params/clients/demo.yaml)")
    source.add_argument("--csv", type=Path, help="a transactions file in the benchmark's format")
    source.add_argument("--rows", type=int, help="generate (or reuse) the benchmark's file of "
                        "about this many rows")
    parser.add_argument("--baseline", default=DEFAULT_BASELINE,
                        help=f"git revision to compare with (default {DEFAULT_BASELINE})")
    parser.add_argument("--today", default=AS_OF.isoformat(), help="the run's 'today'")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "data")
    args = parser.parse_args(argv)

    if args.rows or args.csv:
        from playbook.demo.sales import DEMO_SEED

        csv = args.csv or data_file(args.data_dir.resolve(), args.rows, DEMO_SEED)
        params = {"dict": {"client": {"name": "Bench"}, "as_of": AS_OF.isoformat(),
                           "data": {"transactions": {"path": str(csv.resolve()),
                                                     "columns": COLUMNS}}},
                  "base": str(ROOT)}
        label = str(csv)
    else:
        path = (args.params or ROOT / "params" / "clients" / "demo.yaml").resolve()
        params, label = {"file": str(path)}, str(path)
    runs = args.data_dir.resolve() / "runs" / "compare"
    with tempfile.TemporaryDirectory() as tmp:
        baseline = baseline_sources(args.baseline, Path(tmp))
        t_base = run(baseline, params, runs / "baseline", args.today)
        t_tree = run(None, params, runs / "tree", args.today)
    problems = compare_runs(runs / "baseline", runs / "tree")
    files = sorted(p.name for p in (runs / "tree").iterdir())
    print(f"compare: {label}\n  baseline {args.baseline}: {t_base[0]:.2f} s, peak RSS "
          f"{t_base[1]:,.0f} MiB; working tree: {t_tree[0]:.2f} s, peak RSS {t_tree[1]:,.0f} "
          f"MiB\n  files: {', '.join(files)}")
    for name in files:
        if name.endswith(".parquet") and (runs / "baseline" / name).exists():
            for note in schema_notes(runs / "baseline" / name, runs / "tree" / name):
                print(f"  note: {note}")
    for p in problems:
        print(f"  DIFFERS {p}")
    print("IDENTICAL" if not problems else f"{len(problems)} difference(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
