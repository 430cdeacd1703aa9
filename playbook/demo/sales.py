"""A deterministic generator of the demo client's data, from a known purchase process.

The demo client, ООО «Вектор-Снаб», is a Russian wholesaler of office and warehouse
supplies. Its customers buy by the BG/NBD process (Fader, Hardie & Lee 2005) with time in
weeks, and spend by the Gamma-Gamma model; the true parameters are :data:`TRUE_PARAMS`, so
every estimate the playbook makes on the demo can be checked against the truth.

The files look like 1C exports: ``cp1251``, ``;``-separated, decimal commas, ``dd.mm.yyyy``
dates, Russian headers, CRLF line ends. ``data_samples/README.md`` documents them, the true
parameters and the data-quality problems planted on purpose.

This module writes the demo (:func:`write_demo`) and is the command line; the work is done by

- :mod:`playbook.demo.settings`: the true parameters and the demo's settings (re-exported here);
- :mod:`playbook.demo.names`: Russian names of people and companies;
- :mod:`playbook.demo.purchases`: the purchase process (:func:`simulate_bgnbd`,
  :func:`simulate_spend`);
- :mod:`playbook.demo.documents`: purchases as 1C document lines and their text;
- :mod:`playbook.demo.customers`: customer codes, managers and the CRM's customer file;
- :mod:`playbook.demo.problems`: returns and the planted data-quality problems;
- :mod:`playbook.demo.followup`: last quarter's task workbooks, filled in, and the calls'
  known effect on purchases;
- :mod:`playbook.demo.standards_effect`: each customer's branch, and the service standards'
  known effect on the pilot's purchases;
- :mod:`playbook.demo.winback`: a cheaper competitor that takes known customers at known
  dates (their buying falls after), its truth in ``winback_truth.json``;
- :mod:`playbook.demo.large`: large files for benchmarks (:func:`write_large`).

``python -m playbook.demo.sales --out data_samples/demo`` regenerates the committed demo files
(byte for byte); ``python -m playbook.demo.sales --large 1000000 --out /tmp/big.csv`` writes a
large transactions file for benchmarks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.demo.customers import assign_managers, customer_codes, customers_text
from playbook.demo.documents import number_documents, sales_lines, transaction_text, write_csv
from playbook.demo.followup import FOLLOWUP, add_call_effect, plan_tasks, write_workbooks
from playbook.demo.large import write_large
from playbook.demo.names import company_names
from playbook.demo.problems import plant_problems, return_lines
from playbook.demo.purchases import simulate_bgnbd, simulate_spend
from playbook.demo.settings import (
    CATEGORIES,
    CUSTOMER_HEADER,
    DEMO_SEED,
    DEMO_SETTINGS,
    GENERATOR_VERSION,
    HORIZON_WEEKS,
    MANAGERS,
    SOURCES,
    TRANSACTION_HEADER,
    TRUE_PARAMS,
)
from playbook.demo.standards_effect import bring_forward, customer_branches
from playbook.demo.winback import TRUTH_FILE as WINBACK_TRUTH
from playbook.demo.winback import plant_defections

__all__ = [
    "DEMO_SEED",
    "GENERATOR_VERSION",
    "TRUE_PARAMS",
    "DEMO_SETTINGS",
    "TRANSACTION_HEADER",
    "CUSTOMER_HEADER",
    "CATEGORIES",
    "MANAGERS",
    "SOURCES",
    "HORIZON_WEEKS",
    "simulate_bgnbd",
    "simulate_spend",
    "write_demo",
    "write_large",
    "main",
]


#: The follow-up's own random stream (see :mod:`playbook.demo.followup`).
FOLLOWUP_STREAM = 60
#: The standards' effect on sales draws from a stream of its own (see
#: :mod:`playbook.demo.standards_effect`).
STANDARDS_STREAM = 51
#: The cheaper competitor's defections draw from a stream of their own too
#: (see :mod:`playbook.demo.winback`).
WINBACK_STREAM = 40
#: The folder of last quarter's filled-in task workbooks, in the demo's folder.
TASKS_FOLDER = "tasks_done"


def write_demo(out_dir: Path, *, seed: int = DEMO_SEED) -> dict:
    """Write the demo client's ``transactions.csv``, ``customers.csv`` and ``truth.json``,
    last quarter's filled-in task workbooks (``tasks_done/``, their truth in
    ``tasks_truth.json``) and the competitor's defections' truth (``winback_truth.json``).

    Parameters
    ----------
    out_dir
        Folder to write into (created if missing); existing files are overwritten.
    seed
        Seed of the generator; the same seed gives byte-identical files.

    Returns
    -------
    dict
        Counts: customers (buyers and prospects), rows, documents, returns and each
        planted problem.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_buyers = DEMO_SETTINGS["n_customers"]
    n_all = n_buyers + DEMO_SETTINGS["n_prospects"]

    raw = sales_lines(n_buyers, rng)
    companies = company_names(n_all, rng)
    codes = customer_codes(n_all)
    managers = assign_managers(n_all, rng)
    names = companies["name"].to_numpy()
    # a cheaper competitor takes known customers at known dates (their buying falls after)
    raw, winback_truth = plant_defections(raw, codes,
                                          np.random.default_rng([seed, WINBACK_STREAM]))
    # Last quarter's tasks and the calls' effect draw from a generator of their own, so the
    # rest of the demo draws what it drew before they existed.
    followup_rng = np.random.default_rng([seed, FOLLOWUP_STREAM])
    tasks = plan_tasks(raw, managers, followup_rng)
    raw, followup_truth = add_call_effect(raw, tasks, followup_rng)
    standards_rng = np.random.default_rng([seed, STANDARDS_STREAM])
    branches = customer_branches(managers, standards_rng)
    raw, standards_truth = bring_forward(
        raw, branches, standards_rng, start=dt.date.fromisoformat(DEMO_SETTINGS["start"]),
        stop=dt.date.fromisoformat(FOLLOWUP["handover"]))
    numbered = pd.DataFrame(number_documents(raw))
    added = numbered.pop("added").to_numpy()
    # The returns and the planted problems are drawn on the lines the demo had before the
    # calls' purchases, which join the journal afterwards in their place by date.
    lines = numbered[~added].reset_index(drop=True)

    n_returns = round(DEMO_SETTINGS["problems"]["returns_share"] * len(lines))
    returns = return_lines(lines, n_returns, rng)
    sales_text = transaction_text(lines, codes, names, managers, prefix="РН-", width=6)
    returns_text = transaction_text(returns, codes, names, managers, prefix="ВК-", width=6)
    both = pd.concat([lines, returns], ignore_index=True)
    text = pd.concat([sales_text, returns_text], ignore_index=True)
    order = np.lexsort((both["line"].to_numpy(), text["Документ"].to_numpy().astype(str),
                        both["day"].to_numpy()))
    text = text.iloc[order].reset_index(drop=True)
    both = both.iloc[order].reset_index(drop=True)
    is_sale = text["Документ"].str.startswith("РН-").to_numpy()
    text, planted = plant_problems(text.assign(_day=both["day"], _line=both["line"]), is_sale,
                                   both["amount"].to_numpy(), rng)
    calls = numbered[added]
    text = _with_lines(text, transaction_text(calls, codes, names, managers, prefix="РН-",
                                              width=6).assign(_day=calls["day"].to_numpy(),
                                                              _line=calls["line"].to_numpy()))
    lines = numbered
    text["Филиал"] = text["Код клиента"].map(dict(zip(codes, branches, strict=True))).fillna("")

    first_day = np.full(n_all, -1)
    first_day[:n_buyers] = lines.groupby("customer")["day"].min().to_numpy()  # all buy
    customers = customers_text(codes, companies, managers, first_day, rng)

    with open(out_dir / "transactions.csv", "w", encoding="cp1251", newline="") as handle:
        write_csv(text, handle, header=True)
    with open(out_dir / "customers.csv", "w", encoding="cp1251", newline="") as handle:
        write_csv(customers, handle, header=True)

    same_day = lines[lines["line"] == 0].duplicated(["customer", "day"]).sum()
    counts = {
        "customers": n_all,
        "buyers": n_buyers,
        "prospects": DEMO_SETTINGS["n_prospects"],
        "rows": len(text),
        "documents": int(lines["doc"].max()),
        "sale_lines": len(lines),
        "returns": n_returns,
        **planted,
        "same_day_repeat_documents": int(same_day),
    }
    truth = {
        "generator": "playbook.demo.sales",
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "time_unit": "week",
        "horizon_weeks": HORIZON_WEEKS,
        "true_params": TRUE_PARAMS,
        "settings": DEMO_SETTINGS,
        "category_margins": {c: m for c, m in CATEGORIES},
        "counts": counts,
        "standards_effect": standards_truth,
    }
    (out_dir / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out_dir / WINBACK_TRUTH).write_text(
        json.dumps(winback_truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    books = write_workbooks(tasks, codes, names, out_dir / TASKS_FOLDER, followup_rng)
    followup_truth |= {"generator_version": GENERATOR_VERSION, "seed": seed,
                       "settings": FOLLOWUP, "workbooks": [p.name for p in books]}
    (out_dir / "tasks_truth.json").write_text(
        json.dumps(followup_truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return counts


def _with_lines(text: pd.DataFrame, more: pd.DataFrame) -> pd.DataFrame:
    """The journal's text with lines ``more`` put in their place (by date, then document);
    the hidden sort columns ``_day`` and ``_line`` dropped. A planted duplicate stays right
    after its original (the sort is stable).
    """
    both = pd.concat([text, more], ignore_index=True)
    order = np.lexsort((both["_line"].to_numpy(), both["Документ"].to_numpy().astype(str),
                        both["_day"].to_numpy()), axis=0)
    return both.iloc[order].drop(columns=["_day", "_line"]).reset_index(drop=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: regenerate the demo files, or write a large file for benchmarks."""
    parser = argparse.ArgumentParser(
        prog="python -m playbook.demo.sales",
        description="Generate the demo client's data (or a large file for benchmarks).",
    )
    parser.add_argument("--out", type=Path, required=True,
                        help="demo: folder to write into; --large: the file to write")
    parser.add_argument("--large", type=int, metavar="N_ROWS",
                        help="write one large transactions file of about N_ROWS rows")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help=f"default {DEMO_SEED}")
    args = parser.parse_args(argv)
    if args.large is not None:
        written = write_large(args.out, args.large, seed=args.seed)
        print(f"wrote {written} ({written.stat().st_size / 1e6:.1f} MB)")
    else:
        counts = write_demo(args.out, seed=args.seed)
        print(json.dumps(counts, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
