"""Customer survey scores: how many answered, and how loyal and satisfied they are.

Response rate and margin of error, NPS (with intervals and comparisons between groups),
CSAT, CES, Likert summaries and the reliability of multi-item scales. Answers by segment,
NPS weighted to the customer base, the complaint iceberg and share of wallet are
:mod:`playbook.survey.customer_base`; which attributes drive satisfaction is
:mod:`playbook.survey.drivers`; why customers left is :mod:`playbook.survey.exits`.

Every function takes a table of responses (one row per response, columns named by the
questionnaire's question ids, see :mod:`playbook.survey.questionnaire`) plus the names of
the columns it needs, and returns a new table. Nothing here reads files or prints.

Conventions:

- NPS is in points, -100..100: the share of promoters (9-10) minus the share of detractors
  (0-6), times 100. Its variance is multinomial,
  ``var = (p_P + p_D - (p_P - p_D)**2) / n``, used for the interval and for the z-test of a
  difference between two groups.
- Shares (response rate, CSAT) are fractions 0..1.
- Intervals are two-sided at ``confidence`` (default 95%).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from playbook.errors import DataError
from playbook.survey.checks import GroupBy, by_list, each_group, numeric, require, z_quantile

__all__ = [
    "margin_of_error",
    "response_summary",
    "nps_category",
    "nps_variance",
    "nps",
    "nps_compare",
    "csat",
    "ces",
    "likert_summary",
    "cronbach_alpha",
    "scale_reliability",
]


# --- response -------------------------------------------------------------------------------------


def margin_of_error(
    n: int, *, population: int | None = None, p: float = 0.5, confidence: float = 0.95
) -> float:
    """Half-width of the interval of a share estimated from ``n`` responses.

    ``z * sqrt(p (1 - p) / n)``, times the finite population correction
    ``sqrt((N - n) / (N - 1))`` when the customer base size ``N`` is known.

    Parameters
    ----------
    n
        Number of responses.
    population
        Size of the customer base surveyed (``N``), if known.
    p
        The share assumed; 0.5 gives the widest (safe) margin.
    confidence
        Confidence level.

    Returns
    -------
    float
        The margin as a fraction (0.05 is plus or minus 5 percentage points); ``nan`` for
        ``n = 0``.
    """
    if n < 0 or (population is not None and n > population):
        raise DataError(f"Cannot compute a margin of error for {n} responses out of a base of "
                        f"{population}: there cannot be more responses than customers. Check "
                        "the base size.")
    if n == 0:
        return math.nan
    fpc = 1.0
    if population is not None:
        fpc = math.sqrt((population - n) / (population - 1)) if population > 1 else 0.0
    return z_quantile(confidence) * math.sqrt(p * (1 - p) / n) * fpc


def response_summary(
    responses: pd.DataFrame,
    *,
    base: pd.DataFrame | None = None,
    by: GroupBy = None,
    population_col: str = "customers",
    invited_col: str | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Responses, response rate and margin of error, overall or per group.

    ``responses (by...) + base (by..., customers[, invited]) ->
    by..., responses, population, invited, response_rate, margin_of_error``

    Parameters
    ----------
    responses
        One row per response.
    base
        The customer base: the ``by`` columns (it may have more, which are summed over),
        the number of customers (``population_col``) and optionally how many were invited
        (``invited_col``). Without it the rate is unknown and the margin has no finite
        population correction.
    by
        Column(s) to group by, e.g. ``"wave"``.
    population_col, invited_col
        Columns of ``base``.
    confidence
        Confidence level of the margin of error.

    Returns
    -------
    pandas.DataFrame
        One row per group. ``response_rate`` is responses over invited (over the base when
        no invited count is given); ``margin_of_error`` is for a share near 50%, as a
        fraction, with the finite population correction when the base is known.
    """
    keys = by_list(by)
    require(responses, keys, "grouping the responses")
    counts = (responses.groupby(keys, sort=True, observed=True).size().rename("responses")
              .reset_index() if keys else pd.DataFrame({"responses": [len(responses)]}))
    if base is not None:
        needed = keys + [population_col] + ([invited_col] if invited_col else [])
        require(base, needed, "the customer base")
        value_cols = [population_col] + ([invited_col] if invited_col else [])
        totals = (base.groupby(keys, sort=True, observed=True)[value_cols].sum().reset_index()
                  if keys else base[value_cols].sum().to_frame().T)
        out = (counts.merge(totals, on=keys, how="outer") if keys
               else pd.concat([counts, totals.reset_index(drop=True)], axis=1))
        out["responses"] = out["responses"].fillna(0).astype("int64")
        invited = out[invited_col] if invited_col else out[population_col]
        out = out.drop(columns=value_cols).assign(population=out[population_col],
                                                   invited=invited)
    else:
        out = counts.copy()
        out["population"] = np.nan
        out["invited"] = np.nan
    out["response_rate"] = out["responses"] / out["invited"]
    out["margin_of_error"] = [
        margin_of_error(int(n), population=None if pd.isna(N) else int(N), confidence=confidence)
        for n, N in zip(out["responses"], out["population"], strict=True)
    ]
    return out[keys + ["responses", "population", "invited", "response_rate",
                       "margin_of_error"]].reset_index(drop=True)


# --- NPS ------------------------------------------------------------------------------------------


def nps_category(scores: pd.Series) -> pd.Series:
    """Label 0-10 would-recommend scores: ``promoter`` (9-10), ``passive`` (7-8), ``detractor``.

    Parameters
    ----------
    scores
        Scores 0-10; missing stays missing.

    Returns
    -------
    pandas.Series
        String labels, same index.
    """
    values = pd.to_numeric(scores, errors="coerce")
    out = pd.Series(pd.NA, index=scores.index, dtype="string")
    out[values >= 9] = "promoter"
    out[(values >= 7) & (values < 9)] = "passive"
    out[values <= 6] = "detractor"
    return out


def _nps_parts(values: np.ndarray) -> tuple[int, int, int]:
    """Return (n, promoters, detractors) of valid scores."""
    values = values[~np.isnan(values)]
    return len(values), int((values >= 9).sum()), int((values <= 6).sum())


def nps_variance(n: int, promoters: int, detractors: int) -> float:
    """Multinomial variance of one respondent's NPS contribution (+1, 0, -1), in share units.

    ``p_P + p_D - (p_P - p_D)**2`` with the shares of promoters and detractors among ``n``
    valid scores (``nan`` when ``n`` is 0); divided by ``n`` it is the variance of the NPS
    as a share.
    """
    if n == 0:
        return math.nan
    p_p, p_d = promoters / n, detractors / n
    return p_p + p_d - (p_p - p_d) ** 2


def nps(
    responses: pd.DataFrame,
    *,
    score_col: str = "recommend",
    by: GroupBy = None,
    confidence: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """Net Promoter Score with an analytic and a percentile-bootstrap interval.

    ``responses (by..., recommend) -> by..., n, promoters, passives, detractors,
    promoter_share, detractor_share, nps, se, ci_low, ci_high, boot_low, boot_high``

    The analytic interval is ``nps ± z * se`` with
    ``se = 100 * sqrt((p_P + p_D - (p_P - p_D)^2) / n)``, clipped to -100..100. The bootstrap
    resamples respondents with replacement ``n_boot`` times; drawing the three category
    counts from a multinomial with the observed shares is the same thing and much faster.

    Parameters
    ----------
    responses
        One row per response; missing scores are left out.
    score_col
        The 0-10 would-recommend column.
    by
        Column(s) to group by (e.g. ``"segment"`` or ``"wave"``); ``None`` for overall.
    confidence
        Confidence level of both intervals.
    n_boot
        Bootstrap resamples; 0 skips the bootstrap (its columns are then ``nan``).
    seed
        Seed of ``numpy.random.default_rng`` for the bootstrap; the same seed gives the same
        interval.

    Returns
    -------
    pandas.DataFrame
        One row per group, NPS and its bounds in points (-100..100).
    """
    keys = by_list(by)
    require(responses, keys + [score_col], "the NPS")
    scores = numeric(responses, score_col, "would-recommend, 0-10", low=0, high=10)
    frame = responses[keys].assign(_score=scores.to_numpy())
    z = z_quantile(confidence)
    rng = np.random.default_rng(seed)
    alpha = (1 - confidence) / 2
    rows = []
    for key, part in each_group(frame, keys):
        n, prom, det = _nps_parts(part["_score"].to_numpy(dtype=float))
        row = dict(key, n=n, promoters=prom, passives=n - prom - det, detractors=det)
        if n == 0:
            rows.append(row | dict.fromkeys(("promoter_share", "detractor_share", "nps", "se",
                                             "ci_low", "ci_high", "boot_low", "boot_high"),
                                            math.nan))
            continue
        value = 100 * (prom - det) / n
        se = 100 * math.sqrt(nps_variance(n, prom, det) / n)
        row.update(promoter_share=prom / n, detractor_share=det / n, nps=value, se=se,
                   ci_low=max(-100.0, value - z * se), ci_high=min(100.0, value + z * se))
        if n_boot > 0:
            draws = rng.multinomial(n, [prom / n, (n - prom - det) / n, det / n], size=n_boot)
            boot = 100 * (draws[:, 0] - draws[:, 2]) / n
            row.update(boot_low=float(np.quantile(boot, alpha)),
                       boot_high=float(np.quantile(boot, 1 - alpha)))
        else:
            row.update(boot_low=math.nan, boot_high=math.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def nps_compare(
    responses: pd.DataFrame,
    *,
    group_col: str,
    score_col: str = "recommend",
    pairs: Sequence[tuple[object, object]] | None = None,
    reference: object | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Test whether the NPS of two groups differs (z-test), for each pair of groups.

    ``z = (NPS_a - NPS_b) / sqrt(var_a / n_a + var_b / n_b)`` with the multinomial variance
    of :func:`nps`; two-sided p-values, also Holm-adjusted over the pairs tested.

    ``responses (group, recommend) -> group_a, group_b, n_a, n_b, nps_a, nps_b, difference,
    se, z, p_value, p_holm, ci_low, ci_high``

    Parameters
    ----------
    responses
        One row per response.
    group_col
        The column that defines the groups (segment, wave, manager...).
    score_col
        The 0-10 would-recommend column.
    pairs
        The pairs ``(a, b)`` to test; default: each group against ``reference`` if given,
        else every pair of groups (in sorted order).
    reference
        A group to compare every other group with.
    confidence
        Confidence level of the interval of the difference.

    Returns
    -------
    pandas.DataFrame
        One row per pair; ``difference`` is ``nps_a - nps_b`` in points.
    """
    from statsmodels.stats.multitest import multipletests

    require(responses, [group_col, score_col], "comparing NPS between groups")
    scores = numeric(responses, score_col, "would-recommend, 0-10", low=0, high=10)
    parts = {}
    for key, part in responses.assign(_score=scores.to_numpy()).groupby(group_col, sort=True):
        parts[key] = _nps_parts(part["_score"].to_numpy(dtype=float))
    groups = list(parts)
    if pairs is None:
        if reference is not None:
            if reference not in parts:
                raise DataError(f"The reference group {reference!r} is not among the values of "
                                f"{group_col!r}: {groups}. Pass one of them.")
            pairs = [(g, reference) for g in groups if g != reference]
        else:
            pairs = list(combinations(groups, 2))
    z_crit = z_quantile(confidence)
    rows = []
    for a, b in pairs:
        for g in (a, b):
            if g not in parts or parts[g][0] == 0:
                raise DataError(f"Group {g!r} of {group_col!r} has no would-recommend answers; "
                                f"compare groups that have some: {groups}.")
        (n_a, p_a, d_a), (n_b, p_b, d_b) = parts[a], parts[b]
        nps_a, nps_b = 100 * (p_a - d_a) / n_a, 100 * (p_b - d_b) / n_b
        se = 100 * math.sqrt(nps_variance(n_a, p_a, d_a) / n_a + nps_variance(n_b, p_b, d_b) / n_b)
        diff = nps_a - nps_b
        if se > 0:
            z = diff / se
            p = float(2 * stats.norm.sf(abs(z)))
        else:
            z, p = (0.0, 1.0) if diff == 0 else (math.copysign(math.inf, diff), 0.0)
        rows.append(dict(group_a=a, group_b=b, n_a=n_a, n_b=n_b, nps_a=nps_a, nps_b=nps_b,
                         difference=diff, se=se, z=z, p_value=p,
                         ci_low=diff - z_crit * se, ci_high=diff + z_crit * se))
    out = pd.DataFrame(rows, columns=["group_a", "group_b", "n_a", "n_b", "nps_a", "nps_b",
                                      "difference", "se", "z", "p_value", "ci_low", "ci_high"])
    out.insert(10, "p_holm", multipletests(out["p_value"], method="holm")[1]
               if len(out) else [])
    return out


# --- CSAT, CES, Likert ----------------------------------------------------------------------------


def _wilson(k: int, n: int, z: float) -> tuple[float, float]:
    if n == 0:
        return math.nan, math.nan
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def csat(
    responses: pd.DataFrame,
    *,
    col: str = "csat",
    by: GroupBy = None,
    scale_min: int = 1,
    scale_max: int = 5,
    top: int = 2,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Compute CSAT: the share answering in the top boxes (4-5 on a 1-5 scale).

    ``responses (by..., csat) -> by..., n, satisfied, csat, ci_low, ci_high``

    Parameters
    ----------
    responses
        One row per response; missing answers are left out.
    col
        The rating column.
    by
        Column(s) to group by.
    scale_min, scale_max
        The rating scale; answers outside it are an error.
    top
        How many top boxes count as satisfied (2: 4 and 5 on a 1-5 scale).
    confidence
        Confidence level of the Wilson interval.

    Returns
    -------
    pandas.DataFrame
        ``csat`` and its interval are shares (0..1).
    """
    keys = by_list(by)
    require(responses, keys + [col], "the CSAT")
    values = numeric(responses, col, f"rating {scale_min}-{scale_max}", low=scale_min,
                     high=scale_max)
    frame = responses[keys].assign(_v=values.to_numpy())
    z = z_quantile(confidence)
    rows = []
    for key, part in each_group(frame, keys):
        v = part["_v"].dropna().to_numpy()
        k = int((v >= scale_max - top + 1).sum())
        low, high = _wilson(k, len(v), z)
        rows.append(dict(key, n=len(v), satisfied=k, csat=k / len(v) if len(v) else math.nan,
                         ci_low=low, ci_high=high))
    return pd.DataFrame(rows)


def likert_summary(
    responses: pd.DataFrame,
    *,
    items: Sequence[str],
    by: GroupBy = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Mean rating of each item with a t interval (``mean ± t * sd / sqrt(n)``).

    ``responses (by..., item columns) -> by..., item, n, mean, sd, se, ci_low, ci_high``

    Parameters
    ----------
    responses
        One row per response; each item's missing answers are left out of that item.
    items
        The rating columns.
    by
        Column(s) to group by.
    confidence
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per item (and group), in the order of ``items``.
    """
    keys = by_list(by)
    items = list(items)
    require(responses, keys + items, "the rating summary")
    ratings = {c: numeric(responses, c, "rating").to_numpy() for c in items}
    frame = responses[keys].assign(**{f"_{i}": v for i, v in enumerate(ratings.values())})
    z_quantile(confidence)
    rows = []
    for key, part in each_group(frame, keys):
        for i, item in enumerate(items):
            v = part[f"_{i}"].dropna().to_numpy(dtype=float)
            n = len(v)
            mean = float(v.mean()) if n else math.nan
            sd = float(v.std(ddof=1)) if n > 1 else math.nan
            se = sd / math.sqrt(n) if n > 1 else math.nan
            t = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) if n > 1 else math.nan
            rows.append(dict(key, item=item, n=n, mean=mean, sd=sd, se=se,
                             ci_low=mean - t * se, ci_high=mean + t * se))
    return pd.DataFrame(rows)


def ces(
    responses: pd.DataFrame,
    *,
    col: str = "ease",
    by: GroupBy = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Compute the customer effort score: the mean ease rating, with a t interval.

    ``responses (by..., ease) -> by..., n, mean, sd, se, ci_low, ci_high``

    The direction follows the template's scale (in the playbook's templates 5 = very easy,
    so higher is better).

    Parameters
    ----------
    responses
        One row per response.
    col
        The effort (ease) rating column.
    by
        Column(s) to group by.
    confidence
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per group.
    """
    return likert_summary(responses, items=[col], by=by, confidence=confidence).drop(
        columns="item")


# --- reliability ----------------------------------------------------------------------------------


def cronbach_alpha(responses: pd.DataFrame, *, items: Sequence[str]) -> float:
    """Cronbach's alpha of a multi-item scale.

    ``alpha = k / (k - 1) * (1 - sum(var(item)) / var(sum of items))`` over the responses that
    answered every item (sample variances).

    Parameters
    ----------
    responses
        One row per response.
    items
        At least two rating columns that measure one thing.

    Returns
    -------
    float
        Alpha (1 is perfect consistency; 0.7 is the usual floor for a usable scale).
    """
    items = list(items)
    if len(items) < 2:
        raise DataError(f"Cronbach's alpha needs at least two items; got {items}. List the "
                        "questions of the multi-item scale.")
    require(responses, items, "Cronbach's alpha")
    data = np.column_stack([numeric(responses, c, "rating").to_numpy() for c in items])
    data = data[~np.isnan(data).any(axis=1)]
    if len(data) < 2:
        raise DataError(f"Fewer than two responses answered all of {', '.join(items)}; "
                        "Cronbach's alpha cannot be computed.")
    total_var = data.sum(axis=1).var(ddof=1)
    if total_var == 0:
        raise DataError(f"Every response gives the same total over {', '.join(items)}; "
                        "Cronbach's alpha is undefined for a scale that does not vary.")
    k = len(items)
    return float(k / (k - 1) * (1 - data.var(axis=0, ddof=1).sum() / total_var))


def scale_reliability(
    responses: pd.DataFrame,
    *,
    scales: Mapping[str, Sequence[str]],
    threshold: float = 0.7,
) -> pd.DataFrame:
    """Cronbach's alpha of every multi-item scale a template declares.

    ``responses + {scale: [items]} -> scale, items, k, n, alpha, acceptable``

    Parameters
    ----------
    responses
        One row per response.
    scales
        Scale id -> its item columns (``SurveyTemplate.item_scales``).
    threshold
        Alpha at or above which the scale counts as acceptable.

    Returns
    -------
    pandas.DataFrame
        One row per scale; ``n`` is the number of responses that answered all its items.
    """
    rows = []
    for name, items in scales.items():
        items = list(items)
        require(responses, items, f"the reliability of scale {name!r}")
        complete = int(responses[items].apply(pd.to_numeric, errors="coerce").notna()
                       .all(axis=1).sum())
        alpha = cronbach_alpha(responses, items=items)
        rows.append(dict(scale=name, items=", ".join(items), k=len(items), n=complete,
                         alpha=alpha, acceptable=alpha >= threshold))
    return pd.DataFrame(rows, columns=["scale", "items", "k", "n", "alpha", "acceptable"])
