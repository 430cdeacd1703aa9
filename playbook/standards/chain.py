"""The Service-Profit Chain with the client's own numbers: for each employee (or branch),
training (with a training log) -> compliance with the standards -> customers satisfied
(survey) -> customers kept (retention) -> revenue per customer, and how strongly each link
holds.

``chain_table(...) -> DataFrame``: one row per unit with ``training`` (with a training
log), ``compliance, satisfied, retention, revenue_per_customer`` and the counts behind
them; ``chain_links(table) -> DataFrame``: ``source, target, r, ci_low, ci_high, n`` per
link (Pearson correlation across units with a Fisher-z 95% interval; a link on fewer than
:data:`MIN_UNITS` units is not judged).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["LINKS", "TRAINING_LINK", "MIN_UNITS", "chain_table", "chain_links",
           "training_scores"]

#: The chain's links, in order.
LINKS = (("compliance", "satisfied"), ("satisfied", "retention"),
         ("retention", "revenue_per_customer"))
#: The first link, with a training log: how well an employee was trained -> compliance.
TRAINING_LINK = ("training", "compliance")
#: A link needs at least this many units (employees or branches) with both figures.
MIN_UNITS = 4
#: The window compliance, satisfaction and revenue are measured over, in months.
WINDOW_MONTHS = 12


def training_scores(training: pd.DataFrame, as_of: dt.date, *,
                    unit: str = "employee") -> pd.DataFrame:
    """How well each unit was trained, from the training log up to ``as_of``.

    ``date, <unit>, passed and/or score`` -> ``unit, courses, training``: ``training`` the
    share of the unit's courses passed (with ``passed``), else its mean score as a share of
    the log's highest score.
    """
    log = training[(training["date"] <= pd.Timestamp(as_of)) & training[unit].notna()]
    if "passed" in log and log["passed"].notna().any():
        value = log["passed"].astype("Float64")
    else:
        top = log["score"].max()
        value = log["score"].astype("Float64") / top if top and top > 0 else log["score"] * np.nan
    out = log.assign(_v=value).groupby(unit)["_v"].agg(courses="size", training="mean")
    out.index.name = "unit"
    return out.astype({"training": float})


def chain_table(checks: pd.DataFrame, transactions: pd.DataFrame, as_of: dt.date, *,
                responses: pd.DataFrame | None = None, satisfaction: str | None = None,
                scale: tuple[int, int] | None = None, unit: str = "employee",
                seller: str = "manager", training: pd.DataFrame | None = None) -> pd.DataFrame:
    """The chain's four figures per unit, over the last 12 months.

    ``checks`` (see :mod:`playbook.standards.compliance`), ``transactions`` with the seller
    column ``seller`` (the manager; a unit is matched to it by name), and optionally
    survey ``responses`` with ``seller`` and the satisfaction question on ``scale`` ->
    ``unit, checks, compliance, answers, satisfied, customers, retention,
    revenue_per_customer`` (and ``courses, training`` with a ``training`` log, see
    :func:`training_scores`): ``retention`` is the share of the unit's customers of the 12
    months before who bought again in the last 12; ``satisfied`` the top two answers' share.
    """
    end = pd.Timestamp(as_of)
    start = end - pd.DateOffset(months=WINDOW_MONTHS)
    recent = checks[(checks["date"] > start) & checks[unit].notna()]
    out = recent.groupby(unit)["passed"].agg(checks="size", compliance="mean")
    if responses is not None and satisfaction in (responses.columns if responses is not None
                                                  else ()) and scale and seller in responses:
        answers = responses.dropna(subset=[seller]).copy()
        if "date" in answers and answers["date"].notna().any():
            answers = answers[pd.to_datetime(answers["date"]) > start]
        values = pd.to_numeric(answers[satisfaction], errors="coerce")
        answers = answers.assign(_ok=values >= scale[1] - 1)[values.notna()]
        out = out.join(answers.groupby(seller)["_ok"].agg(answers="size", satisfied="mean"),
                       how="left")
    else:
        out["answers"], out["satisfied"] = 0, np.nan
    if seller in transactions:
        tx = transactions[(transactions["amount"] > 0) & transactions[seller].notna()]
        before = tx[(tx["date"] <= start) & (tx["date"] > start - pd.DateOffset(months=12))]
        now = tx[(tx["date"] > start) & (tx["date"] <= end)]
        base = before.groupby(seller)["customer_id"].apply(set)
        kept = {m: len(c & set(now.loc[now[seller] == m, "customer_id"])) / len(c)
                for m, c in base.items() if c}
        out["customers"] = now.groupby(seller)["customer_id"].nunique()
        out["retention"] = pd.Series(kept)
        out["revenue_per_customer"] = now.groupby(seller)["amount"].sum() / out["customers"]
    else:
        out["customers"], out["retention"], out["revenue_per_customer"] = 0, np.nan, np.nan
    if training is not None and unit in training:
        out = out.join(training_scores(training, as_of, unit=unit), how="left")
    out.index.name = "unit"
    return out.reset_index()


def chain_links(table: pd.DataFrame, *, confidence: float = 0.95) -> pd.DataFrame:
    """How strongly each link holds across units: Pearson r with a Fisher-z interval.

    ``unit, [training,] compliance, satisfied, retention, revenue_per_customer`` ->
    ``source, target, r, ci_low, ci_high, n`` (the training link first, with training; r
    and its interval missing when fewer than :data:`MIN_UNITS` units have both figures, or
    one of them does not vary).
    """
    rows = []
    z = stats.norm.ppf(0.5 + confidence / 2)
    links = LINKS
    if "training" in table and table["training"].notna().any():
        links = (TRAINING_LINK, *LINKS)
    for source, target in links:
        pair = table[[source, target]].apply(pd.to_numeric, errors="coerce").dropna()
        n = len(pair)
        r = low = high = np.nan
        if n >= MIN_UNITS and pair[source].std() > 0 and pair[target].std() > 0:
            r = float(np.corrcoef(pair[source], pair[target])[0, 1])
            if n > 3:
                half = z / np.sqrt(n - 3)
                centre = np.arctanh(np.clip(r, -0.999999, 0.999999))
                low, high = float(np.tanh(centre - half)), float(np.tanh(centre + half))
        rows.append({"source": source, "target": target, "r": r, "ci_low": low,
                     "ci_high": high, "n": n})
    return pd.DataFrame(rows)
