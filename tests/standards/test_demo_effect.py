"""The demo's planted effect of the standards on sales: purchases brought forward in the
pilot's half year, so every customer keeps its purchases, its first and last one and its
spend (the BG/NBD truth holds), while the pilot's repeat rate rises by the truth given."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from playbook.demo.standards import BRANCHES, in_force_by_branch
from playbook.demo.standards_effect import bring_forward, customer_branches

START = dt.date(2024, 1, 1)


def _lines(n: int = 400, seed: int = 13) -> dict[str, np.ndarray]:
    """Customers buying about monthly over three years, one or two lines a document."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n):
        for d in np.sort(rng.choice(1090, size=int(rng.integers(8, 40)), replace=False)):
            for line in range(int(rng.integers(1, 3))):
                rows.append((c, (d + 0.3) / 7, d, line, 0, 1000 + c, 800))
    frame = pd.DataFrame(rows, columns=["customer", "t_weeks", "day", "line", "category",
                                        "amount", "cost"])
    out = {k: frame[k].to_numpy() for k in frame}
    out["added"] = np.zeros(len(frame), dtype=bool)
    return out


def test_customers_follow_their_managers_branch_and_the_rest_are_drawn():
    managers = np.array(list(BRANCHES) + ["", ""], dtype=object)
    branches = customer_branches(managers, np.random.default_rng(13))
    assert branches[:6].tolist() == list(BRANCHES.values())
    assert set(branches[6:]) <= set(BRANCHES.values())


def test_bringing_forward_keeps_each_customers_purchases_and_lifts_the_pilot():
    lines = _lines()
    branches = np.array(list(BRANCHES.values()) * 200, dtype=object)[:400]
    out, truth = bring_forward(lines, branches, np.random.default_rng(13), start=START,
                               stop=dt.date(2026, 8, 3))
    before = pd.DataFrame(lines)
    after = pd.DataFrame(out)
    assert truth["purchases_moved"] > 50 and truth["repeat_rate_effect"] > 0.02
    # the same purchase days, first and last days and spend for every customer
    per = {name: f.groupby("customer").agg(first=("day", "min"), last=("day", "max"),
                                           days=("day", "nunique"), spend=("amount", "sum"))
           for name, f in (("before", before), ("after", after))}
    pd.testing.assert_frame_equal(per["before"], per["after"])
    moved = after["day"] != before["day"]
    assert set(branches[after.loc[moved, "customer"]]) == {truth["pilot"]}
    force = in_force_by_branch()
    others = min(d for b, d in force.items() if b != truth["pilot"])
    days = after.loc[moved, "day"].map(lambda d: START + dt.timedelta(days=int(d)))
    assert days.min() >= force[truth["pilot"]] and days.max() < others.replace(day=1)
    assert (before.loc[moved, "day"] >= (others.replace(day=1) - START).days).all()
