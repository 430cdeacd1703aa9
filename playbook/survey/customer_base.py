"""The survey against the customer base: answers by segment, nonresponse, complaints, wallet.

Crosstabs of answers by segment with chi-square tests, post-stratification weights and the
NPS weighted to the base's segment mix (correcting for segments that answer more readily),
the complaint iceberg (the dissatisfied customers behind the complaints received), and
share of wallet and would-recommend per customer (the loyalty ladder's rungs 4-5). The
headline scores themselves are :mod:`playbook.survey.scores`.

Every function takes a table of responses (or complaints) plus the names of the columns it
needs, and returns a new table. Nothing here reads files or prints. NPS is in points,
-100..100; shares (share of wallet, the dissatisfied share) are fractions 0..1; intervals
are two-sided at ``confidence`` (default 95%).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from playbook.errors import DataError
from playbook.survey.checks import GroupBy, by_list, each_group, numeric, require, z_quantile
from playbook.survey.scores import nps_variance

__all__ = [
    "crosstab",
    "crosstab_tests",
    "complaint_iceberg",
    "poststratification_weights",
    "weighted_nps",
    "wallet_and_recommend",
]


# --- crosstabs ------------------------------------------------------------------------------------


def crosstab(
    responses: pd.DataFrame,
    *,
    question: str,
    segment_col: str,
    normalize: bool = True,
) -> pd.DataFrame:
    """Answers to one question by segment.

    ``responses (question, segment) -> one row per answer, one column per segment``

    Parameters
    ----------
    responses
        One row per response; rows missing either value are left out.
    question
        The answer column (recode numeric scales into a few bands first if they are sparse).
    segment_col
        The segment column.
    normalize
        Shares within each segment (columns sum to 1) instead of counts.

    Returns
    -------
    pandas.DataFrame
        Answers as the index, segments as columns.
    """
    require(responses, [question, segment_col], "the crosstab")
    data = responses[[question, segment_col]].dropna()
    return pd.crosstab(data[question], data[segment_col],
                       normalize="columns" if normalize else False)


def crosstab_tests(
    responses: pd.DataFrame,
    *,
    segment_col: str,
    questions: Sequence[str],
    method: str = "holm",
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Chi-square test of independence of each question's answers and the segment.

    One test per question (Pearson's chi-square without continuity correction, scipy), the
    p-values adjusted for testing several questions by ``method`` (statsmodels
    ``multipletests``, Holm by default).

    ``responses (segment, questions) -> question, n, chi2, dof, p_value, p_adjusted,
    significant, cramers_v, min_expected``

    Parameters
    ----------
    responses
        One row per response.
    segment_col
        The segment column.
    questions
        The answer columns to test.
    method
        Any ``multipletests`` method (``holm``, ``bonferroni``, ``fdr_bh``...).
    alpha
        Significance level after adjustment.

    Returns
    -------
    pandas.DataFrame
        One row per question. ``min_expected`` below 5 warns that the test is rough:
        merge sparse answers (e.g. 1-2 / 3 / 4-5) before testing.
    """
    from statsmodels.stats.multitest import multipletests

    questions = list(questions)
    require(responses, [segment_col] + questions, "the crosstab tests")
    rows = []
    for q in questions:
        table = pd.crosstab(responses[q], responses[segment_col])
        table = table.loc[table.sum(axis=1) > 0, table.sum(axis=0) > 0]
        if table.shape[0] < 2 or table.shape[1] < 2:
            raise DataError(f"Question {q!r} by {segment_col!r} leaves a table of "
                            f"{table.shape[0]} answer(s) by {table.shape[1]} segment(s); a "
                            "chi-square test needs at least two of each. Leave the question out.")
        chi2, p, dof, expected = stats.chi2_contingency(table.to_numpy(), correction=False)
        n = int(table.to_numpy().sum())
        v = math.sqrt(chi2 / (n * (min(table.shape) - 1)))
        rows.append(dict(question=q, n=n, chi2=float(chi2), dof=int(dof), p_value=float(p),
                         cramers_v=v, min_expected=float(expected.min())))
    out = pd.DataFrame(rows)
    reject, adjusted = multipletests(out["p_value"], alpha=alpha, method=method)[:2]
    out.insert(5, "p_adjusted", adjusted)
    out.insert(6, "significant", reject)
    return out


# --- complaints, nonresponse, share of wallet -----------------------------------------------------


def complaint_iceberg(
    complaints: pd.DataFrame,
    *,
    count_col: str = "complaints",
    complain_share: float = 0.06,
    base_col: str | None = None,
) -> pd.DataFrame:
    """Estimate the dissatisfied customers behind the complaints received.

    Only a small share of dissatisfied customers complain (about 6% by the methodology),
    so complaints divided by that share estimate how many are dissatisfied.

    ``period..., complaints[, customers] -> ... + dissatisfied_estimate[, dissatisfied_share]``

    Parameters
    ----------
    complaints
        One row per period (or any grouping) with a complaint count.
    count_col
        The complaint count column.
    complain_share
        The share of dissatisfied customers who complain.
    base_col
        A column with the number of customers, to express the estimate as a share.

    Returns
    -------
    pandas.DataFrame
        The input with the estimate added.
    """
    if not 0 < complain_share <= 1:
        raise DataError(f"The share of dissatisfied customers who complain must be in (0, 1]; "
                        f"got {complain_share}. The methodology's figure is 0.06.")
    require(complaints, [count_col] + ([base_col] if base_col else []), "the complaint iceberg")
    counts = numeric(complaints, count_col, "complaints", low=0)
    out = complaints.copy()
    out["dissatisfied_estimate"] = counts / complain_share
    if base_col:
        base = numeric(complaints, base_col, "customers", low=0)
        out["dissatisfied_share"] = (out["dissatisfied_estimate"] / base).clip(upper=1.0)
    return out


def poststratification_weights(
    responses: pd.DataFrame,
    *,
    population: pd.DataFrame,
    segment_col: str = "segment",
    by: GroupBy = None,
    count_col: str = "customers",
) -> pd.DataFrame:
    """Weight responses so that their segment mix matches the customer base's.

    Within each ``by`` group, a response in segment s gets weight
    ``(N_s / N) / (n_s / n)``: the base's share of the segment over its share among the
    responses. Weights average 1 within each group.

    ``responses (by..., segment) + population (by..., segment, customers) ->
    responses + weight``

    Parameters
    ----------
    responses
        One row per response (drop rows that did not answer the question analysed first).
    population
        The customer base by segment (and by the ``by`` columns, else it is summed over
        them).
    segment_col
        The segment column in both tables.
    by
        Column(s) within which to weight separately, e.g. ``"wave"``.
    count_col
        The customer count column of ``population``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``responses`` with a ``weight`` column.
    """
    keys = by_list(by)
    require(responses, keys + [segment_col], "post-stratification weights")
    require(population, keys + [segment_col, count_col], "post-stratification (the base)")
    if responses[segment_col].isna().any():
        raise DataError(f"{int(responses[segment_col].isna().sum())} responses have no "
                        f"{segment_col!r}; fill it in from the customer base before weighting.")
    pop = population.groupby(keys + [segment_col], observed=True)[count_col].sum().rename("_N")
    pop = pop.reset_index()
    pop["_share_N"] = pop["_N"] / (pop.groupby(keys)["_N"].transform("sum") if keys
                                   else pop["_N"].sum())
    got = responses.groupby(keys + [segment_col], observed=True).size().rename("_n").reset_index()
    got["_share_n"] = got["_n"] / (got.groupby(keys)["_n"].transform("sum") if keys
                                   else got["_n"].sum())
    cells = got.merge(pop, on=keys + [segment_col], how="outer", indicator=True)
    group_has_responses = (cells.groupby(keys)["_n"].transform("sum") > 0) if keys else True
    empty = cells[(cells["_merge"] == "right_only") & (cells["_N"] > 0) & group_has_responses]
    if len(empty):
        first = empty.iloc[0]
        where = ", ".join(f"{k} {first[k]!r}" for k in keys)
        raise DataError(f"Segment {first[segment_col]!r}{' in ' + where if where else ''} has "
                        f"{int(first['_N'])} customers in the base but no responses, so it "
                        "cannot be weighted; merge it with a neighbouring segment.")
    unknown = cells[cells["_merge"] == "left_only"]
    if len(unknown):
        raise DataError(f"Responses come from segment(s) "
                        f"{sorted(map(str, unknown[segment_col].unique()))} which the customer "
                        "base does not list; add them to the base or correct the segment names.")
    cells = cells[cells["_merge"] == "both"]
    cells["weight"] = cells["_share_N"] / cells["_share_n"]
    out = responses.merge(cells[keys + [segment_col, "weight"]], on=keys + [segment_col],
                          how="left")
    out.index = responses.index
    return out


def weighted_nps(
    responses: pd.DataFrame,
    *,
    population: pd.DataFrame,
    score_col: str = "recommend",
    segment_col: str = "segment",
    by: GroupBy = None,
    count_col: str = "customers",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """NPS weighted to the customer base's segment mix, beside the unweighted NPS.

    Correcting for nonresponse: when some segments answer more readily than others, the
    raw NPS leans toward them. The weighted NPS is ``sum_s W_s NPS_s`` with ``W_s`` the
    base's share of segment s; its variance is ``sum_s W_s^2 var_s / n_s``.

    ``responses (by..., segment, recommend) + population (by..., segment, customers) ->
    by..., n, nps_unweighted, nps_weighted, se_weighted, ci_low, ci_high, design_effect,
    effective_n``

    Parameters
    ----------
    responses
        One row per response; missing scores are left out.
    population
        The customer base by segment (and ``by``).
    score_col
        The 0-10 would-recommend column.
    segment_col
        The segment column.
    by
        Column(s) to report separately (e.g. ``"wave"``), weighting within each.
    count_col
        The customer count column of ``population``.
    confidence
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per group, NPS in points; ``design_effect`` is Kish's
        ``n * sum(w^2) / sum(w)^2`` and ``effective_n = n / design_effect``.
    """
    keys = by_list(by)
    require(responses, keys + [segment_col, score_col], "the weighted NPS")
    scores = numeric(responses, score_col, "would-recommend, 0-10", low=0, high=10)
    answered = responses.loc[scores.notna()].assign(_score=scores[scores.notna()])
    weighted = poststratification_weights(answered, population=population,
                                          segment_col=segment_col, by=keys, count_col=count_col)
    weighted["_c"] = np.where(weighted["_score"] >= 9, 1.0,
                              np.where(weighted["_score"] <= 6, -1.0, 0.0))
    z = z_quantile(confidence)
    rows = []
    for key, part in each_group(weighted, keys):
        w, c = part["weight"].to_numpy(), part["_c"].to_numpy()
        n = len(part)
        value = 100 * float(np.sum(w * c) / np.sum(w))
        var = 0.0
        for _, cell in part.groupby(segment_col, observed=True):
            n_s = len(cell)
            share = cell["weight"].sum() / np.sum(w)
            prom, det = int((cell["_c"] > 0).sum()), int((cell["_c"] < 0).sum())
            var += share ** 2 * nps_variance(n_s, prom, det) / n_s
        se = 100 * math.sqrt(var)
        deff = n * float(np.sum(w ** 2)) / float(np.sum(w)) ** 2
        rows.append(dict(key, n=n, nps_unweighted=100 * float(c.mean()), nps_weighted=value,
                         se_weighted=se, ci_low=max(-100.0, value - z * se),
                         ci_high=min(100.0, value + z * se), design_effect=deff,
                         effective_n=n / deff))
    return pd.DataFrame(rows)


def wallet_and_recommend(
    responses: pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    share_col: str = "share_of_wallet",
    score_col: str = "recommend",
    date_col: str | None = None,
    percent: bool = True,
) -> pd.DataFrame:
    """Share of wallet and would-recommend per customer, for loyalty ladder rungs 4-5.

    A customer who answered several times is represented by the latest answer (by
    ``date_col``, else the last row).

    ``responses (customer_id, share_of_wallet, recommend[, date]) -> customer_id,
    share_of_wallet, recommend_score, is_promoter``

    Parameters
    ----------
    responses
        One row per response (the annual survey).
    customer_col, share_col, score_col, date_col
        Its columns.
    percent
        ``share_col`` is in per cent (0-100, as the template asks); ``False`` for 0-1.

    Returns
    -------
    pandas.DataFrame
        One row per customer, ``share_of_wallet`` as a fraction 0..1 (missing if not
        answered), ``is_promoter`` true for 9-10 (missing if not answered).
    """
    require(responses, [customer_col, share_col, score_col] + ([date_col] if date_col else []),
            "the share-of-wallet table")
    top = 100.0 if percent else 1.0
    share = numeric(responses, share_col, "share of wallet", low=0, high=top) / top
    score = numeric(responses, score_col, "would-recommend, 0-10", low=0, high=10)
    frame = pd.DataFrame({"customer_id": responses[customer_col].to_numpy(),
                          "share_of_wallet": share.to_numpy(),
                          "recommend_score": score.to_numpy(),
                          "_order": np.arange(len(responses))})
    if frame["customer_id"].isna().any():
        raise DataError(f"{int(frame['customer_id'].isna().sum())} responses have no "
                        f"{customer_col!r}; the per-customer table needs it on every row.")
    sort = ["_order"]
    if date_col:
        frame["_date"] = pd.to_datetime(responses[date_col].to_numpy())
        sort = ["_date", "_order"]
    frame = frame.sort_values(sort, kind="stable").drop_duplicates("customer_id", keep="last")
    frame = frame.sort_values("customer_id", kind="stable").reset_index(drop=True)
    promoter = (frame["recommend_score"] >= 9).astype("boolean")
    promoter[frame["recommend_score"].isna()] = pd.NA
    frame["is_promoter"] = promoter
    return frame[["customer_id", "share_of_wallet", "recommend_score", "is_promoter"]]
