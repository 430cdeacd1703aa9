"""Benchmark: intake + customer summary vs pandas and lifetimes on one generated file.

``make bench`` (or ``.venv/bin/python bench/bench_intake.py``) generates a transactions file
in the demo client's format (cp1251, ``;``, decimal commas, ``dd.mm.yyyy``, Russian headers;
see :func:`playbook.demo.large.write_large`) and runs three contenders on it, each in its own
subprocess so that its peak memory is its own:

``ours``
    ``playbook.intake.run_intake``: sniffing, transcoding, parsing, quality checks, and
    writing transactions.parquet and customer_summary.parquet.
``pandas``
    ``pandas.read_csv`` + the same cleaning (blank ids, exact duplicate rows, future dates)
    + two ``groupby`` passes to the same summary columns.
``lifetimes``
    the same ``read_csv`` and cleaning, then ``lifetimes.utils.summary_data_from_transaction_data``
    (frequency, recency, T, monetary_value).

Wall time is the contender's own work (from the file to the summary, interpreter start-up and
imports excluded); peak RSS is the subprocess's ``ru_maxrss`` from ``os.wait4``; CPU is its user
+ system time. The ratio is the contender's wall time over ours. With ``--repeat``, rounds of
all three run back to back and each round's ratios are printed; the machine's load average
and the CPUs kept busy by other processes are printed for every run, so that a noisy
measurement shows as one. Then one PASS/FAIL line per target of the issue:
3x faster than pandas, 5x faster than lifetimes, peak memory under 1.5 GiB, identical summaries.
The exit status is 0 whether targets pass or not (it is a measurement), unless a contender
crashed or ``--strict`` is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = dt.date(2026, 10, 31)  # the demo's last day; the generated file ends there too
MEMORY_LIMIT_MIB = 1536  # 1.5 GiB
TARGETS = {"pandas": 3.0, "lifetimes": 5.0}
FALLBACK_ROWS = 1_000_000

COLUMNS = {  # the demo's mapping (params/clients/demo.yaml)
    "customer_id": "Код клиента",
    "date": "Дата",
    "amount": "Сумма",
    "order_id": "Документ",
    "cost": "Себестоимость",
    "category": "Номенклатурная группа",
    "manager": "Менеджер",
    "customer_name": "Контрагент",
}
INT_COLUMNS = ["purchase_days", "frequency", "recency", "T"]
DATE_COLUMNS = ["first_purchase", "last_purchase"]
FLOAT_COLUMNS = ["total_spend", "avg_spend", "monetary_value", "total_margin"]


# ---------------------------------------------------------------------------------------
# The data file
# ---------------------------------------------------------------------------------------

def data_file(data_dir: Path, rows: int, seed: int) -> Path:
    """The generated file for ``rows`` and ``seed``, written once and reused afterwards.

    Its name carries a digest of the generator's source (every module of playbook/demo but
    the survey's) as well as its version, so that a file written by an edited generator is
    not taken for the current one's.
    """
    import hashlib

    import playbook.demo
    from playbook.demo.large import write_large
    from playbook.demo.sales import GENERATOR_VERSION

    digest = hashlib.sha256()
    for module in sorted(Path(playbook.demo.__file__).parent.glob("*.py")):
        if module.name != "survey.py":
            digest.update(module.name.encode() + b"\0" + module.read_bytes())
    source = digest.hexdigest()[:8]
    path = data_dir / f"transactions-{rows}-seed{seed}-v{GENERATOR_VERSION}-{source}.csv"
    if path.exists():
        print(f"data: reusing {_rel(path)} ({path.stat().st_size / 1e6:,.0f} MB)", flush=True)
        return path
    print(f"data: generating {rows:,} rows into {_rel(path)} ...", flush=True)
    started = time.perf_counter()
    partial = path.with_name(path.name + ".partial")
    write_large(partial, rows, seed=seed)
    partial.replace(path)
    print(f"data: written in {time.perf_counter() - started:.1f} s "
          f"({path.stat().st_size / 1e6:,.0f} MB)", flush=True)
    return path


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------
# Contenders (each runs in a subprocess: `bench_intake.py --worker NAME ...`)
# ---------------------------------------------------------------------------------------

def worker_ours(csv: Path, out: Path, as_of: dt.date) -> dict:
    from playbook.intake import run_intake
    from playbook.params import params_from_dict

    params = params_from_dict({
        "client": {"name": "Bench"},
        "data": {"transactions": {"path": str(csv), "columns": COLUMNS}},
        "as_of": as_of.isoformat(),
    }, base_dir=ROOT)
    started = time.perf_counter()
    result = run_intake(params, out / "intake", today=as_of)
    wall = time.perf_counter() - started
    shutil.copyfile(result.summary_path, out / "summary.parquet")
    figures = result.figures
    return {"wall": wall, "rows_read": figures["transactions"]["rows_read"],
            "rows_used": figures["transactions"]["rows_used"],
            "customers": figures["customers"], "phases": {}}


def pandas_transactions(csv: Path, as_of: dt.date, phases: dict):
    """Read and clean the file the way intake does (same rows kept), with plain pandas."""
    import pandas as pd

    t = time.perf_counter()
    text_cols = {COLUMNS[c]: "str" for c in ("customer_id", "order_id", "category", "manager",
                                             "customer_name")}
    raw = pd.read_csv(csv, sep=";", encoding="cp1251", decimal=",", thousands=" ",
                      dtype=text_cols)
    phases["read_csv"] = time.perf_counter() - t

    t = time.perf_counter()
    rows_read = len(raw)
    # Exact duplicate lines (every column equal) are dropped, the first one kept.
    raw = raw[~raw.duplicated(keep="first")]
    phases["drop_duplicates"] = time.perf_counter() - t

    t = time.perf_counter()
    amount = _money(raw[COLUMNS["amount"]])
    cost = _money(raw[COLUMNS["cost"]])
    date = pd.to_datetime(raw[COLUMNS["date"]], format="%d.%m.%Y", errors="coerce")
    bad = amount.isna() | date.isna()
    if bad.any():
        raise SystemExit(f"pandas: {int(bad.sum())} rows with unreadable dates or amounts "
                         f"(intake's default policy stops here too)")
    customer = raw[COLUMNS["customer_id"]].str.strip()
    tx = pd.DataFrame({"customer_id": customer, "date": date, "amount": amount,
                       "margin": amount - cost})
    del raw
    tx = tx[tx["customer_id"].notna() & (tx["customer_id"] != "")]
    # intake drops dates after today + max_future_days (0); the benchmark's today is as_of
    tx = tx[tx["date"] <= pd.Timestamp(as_of)]
    phases["parse_clean"] = time.perf_counter() - t
    return tx, rows_read


def _money(column):
    """Decimal-comma money; the slow path only if read_csv could not parse it (e.g. NBSP)."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        return column.astype("float64")
    text = (column.astype("str").str.replace(r"[\s\u00a0\u202f']", "", regex=True)
            .str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    return pd.to_numeric(text, errors="coerce")


def pandas_summary(tx, as_of: dt.date):
    """The customer summary of playbook/summary.py, in pandas."""
    import pandas as pd

    tx = tx[tx["date"] <= pd.Timestamp(as_of)]
    daily = (tx.groupby(["customer_id", "date"], sort=True)[["amount", "margin"]]
             .sum(min_count=1).reset_index())
    positive = daily[daily["amount"] > 0]
    by_pos = positive.groupby("customer_id", sort=True)
    summary = pd.DataFrame({
        "first_purchase": by_pos["date"].min(),
        "last_purchase": by_pos["date"].max(),
        "purchase_days": by_pos.size().astype("int64"),
        "first_amount": by_pos["amount"].first(),  # days are sorted within a customer
        "positive_spend": by_pos["amount"].sum(),
    })
    totals = daily.groupby("customer_id", sort=True)[["amount", "margin"]].sum(min_count=1)
    summary = summary.join(totals.rename(columns={"amount": "total_spend",
                                                  "margin": "total_margin"}), how="left")
    days = summary["purchase_days"]
    summary["frequency"] = days - 1
    summary["recency"] = (summary["last_purchase"] - summary["first_purchase"]).dt.days
    summary["T"] = (pd.Timestamp(as_of) - summary["first_purchase"]).dt.days
    summary["avg_spend"] = summary["total_spend"] / days
    summary["monetary_value"] = ((summary["positive_spend"] - summary["first_amount"])
                                 / (days - 1)).where(days > 1, 0.0)
    summary = summary.reset_index()
    return summary[["customer_id", *DATE_COLUMNS, *INT_COLUMNS, *FLOAT_COLUMNS]]


def worker_pandas(csv: Path, out: Path, as_of: dt.date) -> dict:
    phases: dict[str, float] = {}
    started = time.perf_counter()
    tx, rows_read = pandas_transactions(csv, as_of, phases)
    t = time.perf_counter()
    summary = pandas_summary(tx, as_of)
    phases["summary"] = time.perf_counter() - t
    wall = time.perf_counter() - started
    summary.to_parquet(out / "summary.parquet", index=False)
    return {"wall": wall, "rows_read": rows_read, "rows_used": len(tx),
            "customers": len(summary), "phases": phases}


def worker_lifetimes(csv: Path, out: Path, as_of: dt.date) -> dict:
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    phases: dict[str, float] = {}
    started = time.perf_counter()
    tx, rows_read = pandas_transactions(csv, as_of, phases)
    t = time.perf_counter()
    tx = tx[["customer_id", "date", "amount"]]
    if (tx["amount"] <= 0).any():
        # lifetimes counts every day with a transaction; the playbook counts only days whose
        # net amount is positive, so feed lifetimes only the rows of such days
        day_net = tx.groupby(["customer_id", "date"], sort=False)["amount"].transform("sum")
        tx = tx[day_net > 0]
    phases["positive_days"] = time.perf_counter() - t
    t = time.perf_counter()
    summary = summary_data_from_transaction_data(
        tx, "customer_id", "date", monetary_value_col="amount",
        observation_period_end=pd.Timestamp(as_of), freq="D")
    phases["summary_data_from_transaction_data"] = time.perf_counter() - t
    wall = time.perf_counter() - started
    summary.index = summary.index.astype("str")
    summary.rename_axis("customer_id").reset_index().to_parquet(out / "summary.parquet",
                                                                index=False)
    return {"wall": wall, "rows_read": rows_read, "rows_used": len(tx),
            "customers": len(summary), "phases": phases}


WORKERS = {"ours": worker_ours, "pandas": worker_pandas, "lifetimes": worker_lifetimes}


def run_worker(name: str, csv: Path, out: Path, as_of: dt.date) -> None:
    result = WORKERS[name](csv, out, as_of)
    result["self_maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    (out / "result.json").write_text(json.dumps(result), encoding="utf-8")


# ---------------------------------------------------------------------------------------
# The parent: runs each contender in a subprocess, measures, compares, reports
# ---------------------------------------------------------------------------------------

def run_contender(name: str, csv: Path, runs_dir: Path, as_of: dt.date,
                  timeout: float | None = None) -> dict | None:
    """Run one contender in a fresh interpreter; None if it was stopped by ``timeout``."""
    out = runs_dir / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    # Write out what is still to be written (a file just generated, the last contender's
    # outputs), so that no contender pays for another's disk writes.
    os.sync()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", name, "--csv", str(csv),
           "--out", str(out), "--as-of", as_of.isoformat()]
    print(f"run:  {name} on {_rel(csv)} ...", flush=True)
    busy_before = _cpu_busy()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    status, usage = _wait(proc.pid, timeout)
    process_wall = time.perf_counter() - started
    if status is None:
        print(f"run:  {name} stopped after {timeout:g} s (--lifetimes-timeout)", flush=True)
        return None
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"bench: contender {name!r} failed (exit status {code})")
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    others = (_cpu_busy() - busy_before - usage.ru_utime - usage.ru_stime) / process_wall
    result.update(name=name, peak_mib=usage.ru_maxrss / 1024, process_wall=process_wall,
                  cpu=usage.ru_utime + usage.ru_stime, summary=out / "summary.parquet", csv=csv,
                  others=max(0.0, others))
    print(f"run:  {name}: {result['wall']:.2f} s, peak RSS {result['peak_mib']:,.0f} MiB, "
          f"CPU {usage.ru_utime:.1f} s user + {usage.ru_stime:.1f} s system, other processes "
          f"{result['others']:.2f} CPUs busy, load average now {_load()}"
          + "".join(f"; {k} {v:.2f} s" for k, v in result["phases"].items()), flush=True)
    return result


def _load() -> str:
    """The machine's 1, 5 and 15-minute load averages (runnable processes, all users)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _cpu_busy() -> float:
    """CPU-seconds the whole machine has spent busy since boot (all processes)."""
    import psutil

    t = psutil.cpu_times()
    return t.user + t.nice + t.system + getattr(t, "irq", 0) + getattr(t, "softirq", 0)


def _wait(pid: int, timeout: float | None):
    """os.wait4 with a timeout: (status, rusage of this child), or (None, None) if killed."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG if deadline else 0)
        if done:
            return status, usage
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            os.wait4(pid, 0)
            return None, None
        time.sleep(0.2)


def best_of(runs: list[dict]) -> dict:
    """The fastest of repeated runs, with the highest peak memory seen in any of them."""
    best = dict(min(runs, key=lambda r: r["wall"]))
    best["peak_mib"] = max(r["peak_mib"] for r in runs)
    best["repeats"] = len(runs)
    return best


def compare_full(ours_path: Path, other_path: Path) -> list[str]:
    """Every customer, every column: ints and dates equal, floats within 1e-9 relative."""
    import numpy as np
    import pandas as pd

    ours = pd.read_parquet(ours_path)
    other = pd.read_parquet(other_path)
    problems = []
    ids_ours, ids_other = set(ours["customer_id"]), set(other["customer_id"])
    if ids_ours != ids_other:
        problems.append(f"customers differ: {len(ids_ours - ids_other)} only in ours, "
                        f"{len(ids_other - ids_ours)} only in the baseline")
    both = ours.merge(other, on="customer_id", suffixes=("", "_b"), validate="one_to_one")
    for col in INT_COLUMNS:
        bad = int((both[col].astype("int64") != both[f"{col}_b"].astype("int64")).sum())
        if bad:
            problems.append(f"{col}: {bad} customers differ")
    for col in DATE_COLUMNS:
        a = pd.to_datetime(both[col]).astype("datetime64[s]")
        b = pd.to_datetime(both[f"{col}_b"]).astype("datetime64[s]")
        if bad := int((a != b).sum()):
            problems.append(f"{col}: {bad} customers differ")
    for col in FLOAT_COLUMNS:
        a = both[col].to_numpy(dtype="float64", na_value=np.nan)
        b = both[f"{col}_b"].to_numpy(dtype="float64", na_value=np.nan)
        close = np.isclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)
        if bad := int((~close).sum()):
            worst = float(np.nanmax(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
            problems.append(f"{col}: {bad} customers differ (worst relative {worst:.2e})")
    return problems


def compare_lifetimes(ours_path: Path, lt_path: Path) -> tuple[list[str], int, int, int]:
    """frequency, recency, T equal; monetary_value within 1e-6 relative, common customers."""
    import numpy as np
    import pandas as pd

    ours = pd.read_parquet(ours_path)
    lt = pd.read_parquet(lt_path)
    both = ours.merge(lt, on="customer_id", suffixes=("", "_lt"))
    problems = []
    for col in ("frequency", "recency", "T"):
        if bad := int((both[col].astype("float64") != both[f"{col}_lt"]).sum()):
            problems.append(f"{col}: {bad} customers differ")
    close = np.isclose(both["monetary_value"].astype("float64"), both["monetary_value_lt"],
                       rtol=1e-6, atol=1e-9)
    if bad := int((~close).sum()):
        problems.append(f"monetary_value: {bad} customers differ")
    return problems, len(both), len(ours), len(lt)


def print_table(title: str, results: list[dict]) -> None:
    ours = next(r for r in results if r["name"] == "ours")
    print(f"\n{title}")
    header = (f"{'contender':<11} {'wall s':>9} {'CPU s':>7} {'peak RSS MiB':>13} "
              f"{'ratio vs ours':>14} {'other load':>11}")
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = r["wall"] / ours["wall"]
        print(f"{r['name']:<11} {r['wall']:>9.2f} {r['cpu']:>7.1f} {r['peak_mib']:>13,.0f} "
              f"{ratio:>13.2f}x {r['others']:>7.2f} CPU")
    print("(CPU s: user + system time of the whole subprocess, start-up and imports included, "
          "and for ours its decoding workers)")
    if max(r["others"] for r in results) > 0.25:
        print(f"note: other processes kept up to {max(r['others'] for r in results):.2f} of "
              f"{os.cpu_count()} CPUs busy during a run: the timings are noisy; run again on "
              f"an idle machine")


def verdict(ok: bool, text: str) -> bool:
    print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000,
                        help="rows of the generated file (about; default 10,000,000)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "bench" / "data",
                        help="where generated files and run outputs go (default bench/data)")
    parser.add_argument("--seed", type=int, default=None,
                        help="generator seed (default: the demo's)")
    parser.add_argument("--skip-lifetimes", action="store_true",
                        help="leave the lifetimes baseline out")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of all contenders; the table shows each one's fastest run")
    parser.add_argument("--lifetimes-timeout", type=float, default=1800.0,
                        help="seconds after which lifetimes counts as infeasible on this size; "
                             f"it is then measured on {FALLBACK_ROWS:,} rows (default 1800)")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a target is missed")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=AS_OF,
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        run_worker(args.worker, args.csv, args.out, args.as_of)
        return 0

    from playbook.demo.sales import DEMO_SEED

    seed = DEMO_SEED if args.seed is None else args.seed
    data_dir = args.data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    csv = data_file(data_dir, args.rows, seed)
    runs_dir = data_dir / "runs"
    import hashlib

    sources = hashlib.sha256()
    for path in sorted((ROOT / "playbook" / "intake").glob("*.py")) + [
            ROOT / "playbook" / "summary.py"]:
        sources.update(path.read_bytes())
    print(f"machine: {os.cpu_count()} CPUs, load average {_load()} (1, 5, 15 min), Python "
          f"{sys.version.split()[0]}, {_versions()}; playbook/intake/*.py + summary.py "
          f"sha256 {sources.hexdigest()[:12]}", flush=True)

    names = ["ours", "pandas"] + ([] if args.skip_lifetimes else ["lifetimes"])
    runs: dict[str, list[dict]] = {name: [] for name in names}
    lifetimes_failed_at: int | None = None
    # Rounds of all contenders back to back, so that each round's ratios are measured under
    # about the same load from other processes.
    for round_number in range(1, max(1, args.repeat) + 1):
        for name in names:
            if name == "lifetimes" and lifetimes_failed_at is not None:
                continue
            timeout = args.lifetimes_timeout if name == "lifetimes" else None
            r = run_contender(name, csv, runs_dir, args.as_of, timeout)
            if r is None:
                lifetimes_failed_at = args.rows
                continue
            runs[name].append(r)
        ours_wall = runs["ours"][-1]["wall"]
        print(f"round {round_number}: " + ", ".join(
            f"{name} {rs[-1]['wall'] / ours_wall:.2f}x" for name, rs in runs.items()
            if name != "ours" and len(rs) == round_number) + " (contender wall / ours)",
            flush=True)
    results = {name: best_of(rs) for name, rs in runs.items() if rs}
    ours = results["ours"]
    print(f"\nfile: {_rel(csv)}: {ours['rows_read']:,} rows, {ours['customers']:,} customers "
          f"with a purchase, as_of {args.as_of}")
    print_table(f"{ours['rows_read']:,} rows (best of {max(1, args.repeat)}; wall = the "
                f"contender's work, start-up and imports excluded)",
                [results[n] for n in names if n in results])

    small: dict[str, dict] = {}
    if lifetimes_failed_at is not None:
        print(f"\nlifetimes did not finish on {lifetimes_failed_at:,} rows within "
              f"{args.lifetimes_timeout:g} s: measuring ours and lifetimes on "
              f"{FALLBACK_ROWS:,} rows instead")
        small_csv = data_file(data_dir, FALLBACK_ROWS, seed)
        for name in ("ours", "lifetimes"):
            r = run_contender(name, small_csv, data_dir / "runs-small", args.as_of)
            if r is not None:
                small[name] = r
        print_table(f"{small['ours']['rows_read']:,} rows (lifetimes infeasible on the big file)",
                    [small["ours"], small["lifetimes"]])

    print()
    ok = True
    pandas_ratio = results["pandas"]["wall"] / ours["wall"]
    ok &= verdict(pandas_ratio >= TARGETS["pandas"],
                  f"{pandas_ratio:.2f}x faster than pandas (target >= {TARGETS['pandas']:.0f}x)")
    if not args.skip_lifetimes:
        lt_results = small if small else results
        lt_ratio = lt_results["lifetimes"]["wall"] / lt_results["ours"]["wall"]
        at = f" (on {lt_results['ours']['rows_read']:,} rows)" if small else ""
        ok &= verdict(lt_ratio >= TARGETS["lifetimes"],
                      f"{lt_ratio:.2f}x faster than lifetimes{at} "
                      f"(target >= {TARGETS['lifetimes']:.0f}x)")
    ok &= verdict(ours["peak_mib"] < MEMORY_LIMIT_MIB,
                  f"peak memory {ours['peak_mib']:,.0f} MiB (target < {MEMORY_LIMIT_MIB} MiB = "
                  f"1.5 GiB)")
    problems = compare_full(ours["summary"], results["pandas"]["summary"])
    ok &= verdict(not problems, f"summaries identical to pandas on all {ours['customers']:,} "
                  f"customers (ints and dates equal, floats within 1e-9 relative)"
                  + "".join(f"\n      {p}" for p in problems))
    for label, res in (("", results), (" (small file)", small)):
        if "lifetimes" in res:
            problems, common, n_ours, n_lt = compare_lifetimes(res["ours"]["summary"],
                                                               res["lifetimes"]["summary"])
            if n_ours != n_lt:
                problems.append(f"customer count: ours {n_ours:,}, lifetimes {n_lt:,}")
            ok &= verdict(not problems,
                          f"summaries match lifetimes{label} on {common:,} common customers "
                          f"(frequency, recency, T equal; monetary_value within 1e-6)"
                          + "".join(f"\n      {p}" for p in problems))
    return 1 if (args.strict and not ok) else 0


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for package in ("pandas", "numpy", "duckdb", "pyarrow", "lifetimes"):
        try:
            found.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            pass
    return ", ".join(found)


if __name__ == "__main__":
    sys.exit(main())
