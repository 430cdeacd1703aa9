"""Customer survey statistics: response, NPS, CSAT and CES, reliability, key drivers, exits.

Every function takes a table of responses (one row per response, columns named by the
questionnaire's question ids, see :mod:`playbook.forms`) plus the names of the columns it
needs, and returns a new table. Nothing here reads files or prints.

Conventions:

- NPS is in points, -100..100: the share of promoters (9-10) minus the share of detractors
  (0-6), times 100. Its variance is multinomial,
  ``var = (p_P + p_D - (p_P - p_D)**2) / n``, used for the interval and for the z-test of a
  difference between two groups.
- Shares (response rate, CSAT, share of wallet) are fractions 0..1.
- Intervals are two-sided at ``confidence`` (default 95%).
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from playbook.errors import DataError

__all__ = [
    "QUADRANT_LABELS",
    "UNCODED_LABELS",
    "MAX_SHAPLEY_ATTRIBUTES",
    "MAX_ORDERED_LEVELS",
    "margin_of_error",
    "response_summary",
    "nps_category",
    "nps",
    "nps_compare",
    "csat",
    "ces",
    "likert_summary",
    "cronbach_alpha",
    "scale_reliability",
    "driver_regression",
    "shapley_r2",
    "ordered_logit_drivers",
    "key_drivers",
    "importance_performance",
    "crosstab",
    "crosstab_tests",
    "code_exit_reasons",
    "exit_summary",
    "exit_quotes",
    "complaint_iceberg",
    "poststratification_weights",
    "weighted_nps",
    "wallet_and_recommend",
    "mask_contacts",
]

#: Quadrants of the importance-performance table: code -> label in each language.
QUADRANT_LABELS: dict[str, dict[str, str]] = {
    "fix_first": {"ru": "Исправить в первую очередь", "en": "Fix first"},
    "keep_up": {"ru": "Держать уровень", "en": "Keep up the good work"},
    "possible_overkill": {"ru": "Возможно, лишние усилия", "en": "Possible overkill"},
    "low_priority": {"ru": "Не в приоритете", "en": "Low priority"},
}
#: Labels of exit answers that no keyword placed.
UNCODED_LABELS: dict[str, dict[str, str]] = {
    "other": {"ru": "Не удалось отнести", "en": "Could not be placed"},
    "unclear": {"ru": "Причина не ясна", "en": "Cause unclear"},
}
#: Exact Shapley decomposition fits 2**k regressions; above this many attributes, group them.
MAX_SHAPLEY_ATTRIBUTES = 15
#: The ordered logit fits one threshold per answer; it is meant for rating scales.
MAX_ORDERED_LEVELS = 15

GroupBy = str | Sequence[str] | None


# --- helpers -------------------------------------------------------------------------------------


def _by_list(by: GroupBy) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        have = ", ".join(map(repr, list(frame.columns)[:12]))
        raise DataError(
            f"The survey table has no column {', '.join(map(repr, missing))}, needed for {what}. "
            f"Its columns are {have}. Pass the right column name, or rename the export's "
            "headers to question ids with playbook.forms.prepare_responses.")


def _numeric(frame: pd.DataFrame, column: str, what: str, *, low: float | None = None,
             high: float | None = None) -> pd.Series:
    """Return the column as floats (missing stays missing), checking it holds numbers in range."""
    values = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    text = frame[column].astype("string").str.strip().fillna("")
    bad = (values.isna() & (text != "")).to_numpy(dtype=bool)
    if bad.any():
        example = frame.loc[bad, column].iloc[0]
        raise DataError(f"Column {column!r} ({what}) holds {int(bad.sum())} answers that are not "
                        f"numbers, e.g. {example!r}. Correct them or leave the cells blank.")
    below = (values < low).to_numpy() if low is not None else np.zeros(len(values), bool)
    above = (values > high).to_numpy() if high is not None else np.zeros(len(values), bool)
    off = below | above
    if off.any():
        example = values[off].iloc[0]
        where = (f"outside {low:g}-{high:g}" if low is not None and high is not None
                 else f"below {low:g}" if low is not None else f"above {high:g}")
        raise DataError(f"Column {column!r} ({what}) holds {int(off.sum())} answers {where}, "
                        f"e.g. {example:g}. Correct them or leave them blank.")
    return values


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2))


def _groups(frame: pd.DataFrame, by: list[str]):
    """Yield ``(key_dict, subframe)`` per group (one group when ``by`` is empty), sorted."""
    if not by:
        yield {}, frame
        return
    for key, part in frame.groupby(by, sort=True, dropna=False, observed=True):
        key = key if isinstance(key, tuple) else (key,)
        yield dict(zip(by, key, strict=True)), part


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
    return _z(confidence) * math.sqrt(p * (1 - p) / n) * fpc


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
    keys = _by_list(by)
    _require(responses, keys, "grouping the responses")
    counts = (responses.groupby(keys, sort=True, observed=True).size().rename("responses")
              .reset_index() if keys else pd.DataFrame({"responses": [len(responses)]}))
    if base is not None:
        needed = keys + [population_col] + ([invited_col] if invited_col else [])
        _require(base, needed, "the customer base")
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


def _nps_var(n: int, promoters: int, detractors: int) -> float:
    """Multinomial variance of one respondent's NPS contribution (+1, 0, -1), in share units."""
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
    keys = _by_list(by)
    _require(responses, keys + [score_col], "the NPS")
    scores = _numeric(responses, score_col, "would-recommend, 0-10", low=0, high=10)
    frame = responses[keys].assign(_score=scores.to_numpy())
    z = _z(confidence)
    rng = np.random.default_rng(seed)
    alpha = (1 - confidence) / 2
    rows = []
    for key, part in _groups(frame, keys):
        n, prom, det = _nps_parts(part["_score"].to_numpy(dtype=float))
        row = dict(key, n=n, promoters=prom, passives=n - prom - det, detractors=det)
        if n == 0:
            rows.append(row | dict.fromkeys(("promoter_share", "detractor_share", "nps", "se",
                                             "ci_low", "ci_high", "boot_low", "boot_high"),
                                            math.nan))
            continue
        value = 100 * (prom - det) / n
        se = 100 * math.sqrt(_nps_var(n, prom, det) / n)
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

    _require(responses, [group_col, score_col], "comparing NPS between groups")
    scores = _numeric(responses, score_col, "would-recommend, 0-10", low=0, high=10)
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
    z_crit = _z(confidence)
    rows = []
    for a, b in pairs:
        for g in (a, b):
            if g not in parts or parts[g][0] == 0:
                raise DataError(f"Group {g!r} of {group_col!r} has no would-recommend answers; "
                                f"compare groups that have some: {groups}.")
        (n_a, p_a, d_a), (n_b, p_b, d_b) = parts[a], parts[b]
        nps_a, nps_b = 100 * (p_a - d_a) / n_a, 100 * (p_b - d_b) / n_b
        se = 100 * math.sqrt(_nps_var(n_a, p_a, d_a) / n_a + _nps_var(n_b, p_b, d_b) / n_b)
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
    keys = _by_list(by)
    _require(responses, keys + [col], "the CSAT")
    values = _numeric(responses, col, f"rating {scale_min}-{scale_max}", low=scale_min,
                      high=scale_max)
    frame = responses[keys].assign(_v=values.to_numpy())
    z = _z(confidence)
    rows = []
    for key, part in _groups(frame, keys):
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
    keys = _by_list(by)
    items = list(items)
    _require(responses, keys + items, "the rating summary")
    numeric = {c: _numeric(responses, c, "rating").to_numpy() for c in items}
    frame = responses[keys].assign(**{f"_{i}": v for i, v in enumerate(numeric.values())})
    _z(confidence)
    rows = []
    for key, part in _groups(frame, keys):
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
    _require(responses, items, "Cronbach's alpha")
    data = np.column_stack([_numeric(responses, c, "rating").to_numpy() for c in items])
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
        _require(responses, items, f"the reliability of scale {name!r}")
        complete = int(responses[items].apply(pd.to_numeric, errors="coerce").notna()
                       .all(axis=1).sum())
        alpha = cronbach_alpha(responses, items=items)
        rows.append(dict(scale=name, items=", ".join(items), k=len(items), n=complete,
                         alpha=alpha, acceptable=alpha >= threshold))
    return pd.DataFrame(rows, columns=["scale", "items", "k", "n", "alpha", "acceptable"])


# --- key drivers ----------------------------------------------------------------------------------


def _complete_cases(responses: pd.DataFrame, outcome: str, attributes: Sequence[str]
                    ) -> pd.DataFrame:
    attributes = list(attributes)
    if not attributes:
        raise DataError("Key-driver analysis needs at least one attribute column.")
    if outcome in attributes:
        raise DataError(f"The outcome {outcome!r} is also listed among the attributes; "
                        "take it out of the attributes.")
    _require(responses, [outcome] + attributes, "the key-driver analysis")
    data = pd.DataFrame({c: _numeric(responses, c, "rating") for c in [outcome] + attributes})
    data = data.dropna()
    if len(data) < len(attributes) + 2:
        raise DataError(f"Only {len(data)} responses answered the outcome {outcome!r} and all "
                        f"{len(attributes)} attributes; a regression needs at least "
                        f"{len(attributes) + 2}. Collect more responses or use fewer attributes.")
    flat = [c for c in data.columns if data[c].nunique() < 2]
    if flat:
        raise DataError(f"Every complete response gives the same answer to {', '.join(flat)}; "
                        "a column that does not vary cannot drive anything. Leave it out.")
    return data


def driver_regression(
    responses: pd.DataFrame,
    *,
    outcome: str,
    attributes: Sequence[str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Regress the outcome (overall satisfaction or would-recommend) on the attribute ratings.

    Ordinary least squares with an intercept (statsmodels), on the responses that answered
    the outcome and every attribute.

    ``responses (outcome, attributes) -> attribute, coef, se, t, p_value, ci_low, ci_high,
    std_coef``; ``attrs``: ``n``, ``r_squared``, ``adj_r_squared``, ``intercept``

    Parameters
    ----------
    responses
        One row per response.
    outcome
        The column explained (e.g. ``"overall"``).
    attributes
        The attribute rating columns.
    confidence
        Confidence level of the coefficient intervals.

    Returns
    -------
    pandas.DataFrame
        One row per attribute; ``coef`` is the change in the outcome per point of the
        attribute, others held equal; ``std_coef`` is in standard deviations.
    """
    import statsmodels.api as sm

    data = _complete_cases(responses, outcome, attributes)
    attributes = list(attributes)
    fit = sm.OLS(data[outcome], sm.add_constant(data[attributes], has_constant="add")).fit()
    ci = fit.conf_int(alpha=1 - confidence)
    out = pd.DataFrame({
        "attribute": attributes,
        "coef": fit.params[attributes].to_numpy(),
        "se": fit.bse[attributes].to_numpy(),
        "t": fit.tvalues[attributes].to_numpy(),
        "p_value": fit.pvalues[attributes].to_numpy(),
        "ci_low": ci.loc[attributes, 0].to_numpy(),
        "ci_high": ci.loc[attributes, 1].to_numpy(),
        "std_coef": (fit.params[attributes] * data[attributes].std() / data[outcome].std())
        .to_numpy(),
    })
    out.attrs.update(n=int(fit.nobs), r_squared=float(fit.rsquared),
                     adj_r_squared=float(fit.rsquared_adj), intercept=float(fit.params["const"]))
    return out


def _subset_r2(corr: np.ndarray) -> np.ndarray:
    """Return R-squared of every subset of predictors, indexed by bit mask (bit j = predictor j).

    ``corr`` is the correlation matrix of ``[y, x_1..x_k]``; with an intercept, the R-squared
    of a subset S is ``r_yS' R_SS^-1 r_yS``.
    """
    k = corr.shape[0] - 1
    r_y, r_xx = corr[0, 1:], corr[1:, 1:]
    r2 = np.zeros(2 ** k)
    for mask in range(1, 2 ** k):
        idx = [j for j in range(k) if mask >> j & 1]
        r = r_y[idx]
        beta = np.linalg.lstsq(r_xx[np.ix_(idx, idx)], r, rcond=None)[0]
        r2[mask] = float(r @ beta)
    return r2


def shapley_r2(
    responses: pd.DataFrame,
    *,
    outcome: str,
    attributes: Sequence[str],
) -> pd.DataFrame:
    """Relative importance of attributes: the Shapley decomposition of R-squared.

    Each attribute's importance is its average gain in R-squared when it joins a model,
    over all orders in which the attributes could enter (exact, over all ``2**k`` subsets;
    also known as LMG or dominance analysis' general dominance). The importances add up to
    the R-squared of the full model. Computed on the responses that answered the outcome
    and every attribute.

    ``responses (outcome, attributes) -> attribute, importance, share, rank``;
    ``attrs``: ``n``, ``r_squared``

    Parameters
    ----------
    responses
        One row per response.
    outcome
        The column explained.
    attributes
        The attribute rating columns (at most :data:`MAX_SHAPLEY_ATTRIBUTES`).

    Returns
    -------
    pandas.DataFrame
        ``importance`` in R-squared units, ``share`` of R-squared (sums to 1), ``rank`` 1 =
        most important; in the order of ``attributes``.
    """
    attributes = list(attributes)
    if len(attributes) > MAX_SHAPLEY_ATTRIBUTES:
        raise DataError(f"The Shapley decomposition is exact over all subsets, which is too slow "
                        f"for {len(attributes)} attributes; use at most "
                        f"{MAX_SHAPLEY_ATTRIBUTES}, e.g. by averaging the items of each "
                        "multi-item scale into one rating.")
    data = _complete_cases(responses, outcome, attributes)
    corr = np.corrcoef(data[[outcome] + attributes].to_numpy(dtype=float), rowvar=False)
    r2 = _subset_r2(corr)
    k = len(attributes)
    masks = np.arange(2 ** k)
    sizes = np.array([bin(m).count("1") for m in masks])
    weight = np.array([math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k)
                       if s < k else 0.0 for s in range(k + 1)])
    importance = np.empty(k)
    for j in range(k):
        without = masks[(masks >> j) & 1 == 0]
        importance[j] = np.sum(weight[sizes[without]] * (r2[without | (1 << j)] - r2[without]))
    total = float(r2[-1])
    out = pd.DataFrame({"attribute": attributes, "importance": importance,
                        "share": importance / total if total > 0 else np.nan})
    out["rank"] = out["importance"].rank(ascending=False, method="min").astype("int64")
    out.attrs.update(n=len(data), r_squared=total)
    return out


def ordered_logit_drivers(
    responses: pd.DataFrame,
    *,
    outcome: str,
    attributes: Sequence[str],
) -> pd.DataFrame:
    """Cross-check the drivers with an ordered logit (statsmodels ``OrderedModel``).

    The outcome is treated as ordered categories rather than a number; a positive
    coefficient means higher ratings of the attribute go with higher outcome categories.

    ``responses (outcome, attributes) -> attribute, coef, se, z, p_value, odds_ratio``;
    ``attrs``: ``n``, ``converged``

    Parameters
    ----------
    responses
        One row per response.
    outcome
        The ordered outcome (3 to :data:`MAX_ORDERED_LEVELS` distinct answers).
    attributes
        The attribute rating columns.

    Returns
    -------
    pandas.DataFrame
        One row per attribute, coefficients on the log-odds scale.
    """
    from statsmodels.miscmodels.ordinal_model import OrderedModel
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

    data = _complete_cases(responses, outcome, attributes)
    attributes = list(attributes)
    levels = np.sort(data[outcome].unique())
    if not 3 <= len(levels) <= MAX_ORDERED_LEVELS:
        raise DataError(f"The outcome {outcome!r} takes {len(levels)} distinct values; an "
                        f"ordered logit is for rating scales with 3 to {MAX_ORDERED_LEVELS} "
                        "answers. Use the OLS drivers, or pass key_drivers(ordered_check=False).")
    endog = pd.Series(pd.Categorical(data[outcome], categories=levels, ordered=True),
                      index=data.index)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("always", HessianInversionWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = OrderedModel(endog, data[attributes], distr="logit").fit(
            method="bfgs", disp=False, maxiter=2000)
    converged = bool(fit.mle_retvals.get("converged", True)) and not any(
        issubclass(w.category, ConvergenceWarning) for w in caught)
    out = pd.DataFrame({
        "attribute": attributes,
        "coef": fit.params[attributes].to_numpy(),
        "se": fit.bse[attributes].to_numpy(),
        "z": fit.tvalues[attributes].to_numpy(),
        "p_value": fit.pvalues[attributes].to_numpy(),
    })
    out["odds_ratio"] = np.exp(out["coef"])
    out.attrs.update(n=len(data), converged=converged)
    return out


def key_drivers(
    responses: pd.DataFrame,
    *,
    outcome: str,
    attributes: Sequence[str],
    confidence: float = 0.95,
    ordered_check: bool = True,
) -> pd.DataFrame:
    """Key-driver table: OLS effect, Shapley importance, ordered-logit check and performance.

    ``responses (outcome, attributes) -> attribute, mean, coef, se, p_value, importance,
    share, rank, ologit_coef, ologit_p, agree``; ``attrs``: ``n``, ``r_squared``,
    ``intercept``, ``ologit_converged``

    Parameters
    ----------
    responses
        One row per response.
    outcome
        The column explained (overall satisfaction, or would-recommend).
    attributes
        The attribute rating columns.
    confidence
        Confidence level of the OLS intervals.
    ordered_check
        Fit the ordered logit too (``ologit_*`` columns are ``nan`` otherwise).

    Returns
    -------
    pandas.DataFrame
        One row per attribute sorted by importance, most important first. ``mean`` is the
        attribute's average rating over everybody who rated it (its performance); ``agree``
        says whether the ordered logit gives the effect the same sign as OLS.
    """
    attributes = list(attributes)
    ols = driver_regression(responses, outcome=outcome, attributes=attributes,
                            confidence=confidence)
    shapley = shapley_r2(responses, outcome=outcome, attributes=attributes)
    means = {c: float(_numeric(responses, c, "rating").mean()) for c in attributes}
    out = ols[["attribute", "coef", "se", "p_value", "ci_low", "ci_high"]].merge(
        shapley[["attribute", "importance", "share", "rank"]], on="attribute")
    out.insert(1, "mean", out["attribute"].map(means))
    converged = None
    if ordered_check:
        olog = ordered_logit_drivers(responses, outcome=outcome, attributes=attributes)
        out["ologit_coef"] = olog["coef"].to_numpy()
        out["ologit_p"] = olog["p_value"].to_numpy()
        converged = olog.attrs["converged"]
    else:
        out["ologit_coef"] = np.nan
        out["ologit_p"] = np.nan
    out["agree"] = np.sign(out["coef"]) == np.sign(out["ologit_coef"])
    out = out.sort_values(["importance", "attribute"], ascending=[False, True]).reset_index(
        drop=True)
    out.attrs.update(n=ols.attrs["n"], r_squared=shapley.attrs["r_squared"],
                     intercept=ols.attrs["intercept"], ologit_converged=converged)
    return out


def importance_performance(
    drivers: pd.DataFrame,
    *,
    attribute_col: str = "attribute",
    importance_col: str = "importance",
    performance_col: str = "mean",
    lang: str = "ru",
) -> pd.DataFrame:
    """Place each attribute in a quadrant of importance against performance.

    An attribute is important when its importance is at or above the average importance of
    the attributes, and performs well when its mean rating is at or above the average mean.
    Important but weak: fix first; important and strong: keep up; strong but unimportant:
    possible overkill; weak and unimportant: low priority.

    ``attribute, importance, mean -> ... + high_importance, high_performance, quadrant, label``

    Parameters
    ----------
    drivers
        One row per attribute, e.g. the output of :func:`key_drivers`.
    attribute_col, importance_col, performance_col
        Its columns.
    lang
        Language of ``label`` (``ru`` or ``en``).

    Returns
    -------
    pandas.DataFrame
        The input with the quadrant columns added; ``quadrant`` is a code from
        :data:`QUADRANT_LABELS`.
    """
    if lang not in ("ru", "en"):
        raise ValueError(f"unsupported language {lang!r}; use 'ru' or 'en'")
    _require(drivers, [attribute_col, importance_col, performance_col],
             "the importance-performance table")
    out = drivers.copy()
    imp = out[importance_col].astype(float)
    perf = out[performance_col].astype(float)
    out["high_importance"] = imp >= imp.mean()
    out["high_performance"] = perf >= perf.mean()
    codes = np.select(
        [out["high_importance"] & ~out["high_performance"],
         out["high_importance"] & out["high_performance"],
         ~out["high_importance"] & out["high_performance"]],
        ["fix_first", "keep_up", "possible_overkill"], default="low_priority")
    out["quadrant"] = codes
    out["label"] = [QUADRANT_LABELS[c][lang] for c in codes]
    return out


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
    _require(responses, [question, segment_col], "the crosstab")
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
    _require(responses, [segment_col] + questions, "the crosstab tests")
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


# --- exit reasons ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"[0-9a-zа-я]+")


def _tokens(text: str) -> list[str]:
    norm = text.lower().replace("ё", "е").replace("'", "").replace("\u2019", "")
    return _TOKEN.findall(norm)


def _matches(tokens: list[str], stems: Sequence[str]) -> list[str]:
    """Return the stems (single or several consecutive words) that match the tokens."""
    found = []
    for stem in stems:
        parts = stem.split()
        span = len(parts)
        for i in range(len(tokens) - span + 1):
            if all(tokens[i + j].startswith(parts[j]) for j in range(span)):
                found.append(stem)
                break
    return found


def code_exit_reasons(
    answers: pd.DataFrame,
    *,
    text_cols: Sequence[str],
    keywords: Mapping,
    id_col: str | None = "customer_id",
) -> pd.DataFrame:
    """Code open exit answers into areas (product, staff, sale) and a cause (terms, offence).

    A stem matches every word that starts with it, ignoring case, with ``ё`` read as ``е``
    and apostrophes dropped; a stem of several words matches consecutive words. An answer
    that is blank, has no words, or is one of the dictionary's ``no_answer`` phrases ("нет",
    "всё устраивало") is left out. Areas are
    flags (an answer may name several); the cause is the first cause in the dictionary
    whose stems match (the playbook's dictionary lists ``offence`` before ``terms``, since a
    customer offended rarely comes back whatever the terms), else ``unclear``.

    ``answers (customer_id, text columns) -> customer_id, text, answered, <area flags>,
    n_areas, cause, winnable, matched``

    Parameters
    ----------
    answers
        One row per exit questionnaire.
    text_cols
        The open-answer columns (e.g. ``product_issue, staff_issue, sale_issue``).
    keywords
        The dictionary from :func:`playbook.forms.load_exit_keywords`.
    id_col
        The customer id column to carry over, or ``None``.

    Returns
    -------
    pandas.DataFrame
        One row per input row. ``text`` joins the non-blank answers with `` / ``;
        ``answered`` is false when none was a real answer; ``winnable`` is true for a cause marked
        winnable, false for one that is not, missing when unclear; ``matched`` lists the
        stems found.
    """
    text_cols = list(text_cols)
    _require(answers, text_cols + ([id_col] if id_col else []), "coding exit reasons")
    try:
        areas, causes = dict(keywords["areas"]), dict(keywords["causes"])
    except (KeyError, TypeError):
        raise DataError("The exit keywords must be the dictionary returned by "
                        "playbook.forms.load_exit_keywords(), with 'areas' and 'causes'.") from None
    nothing = set(keywords.get("no_answer", ()))

    def real(answer: str) -> bool:
        words = " ".join(_tokens(answer))
        return bool(words) and words not in nothing

    texts = answers[text_cols].astype("string").fillna("")
    joined = [" / ".join(t.strip() for t in row if real(t)) for row in texts.itertuples(
        index=False)]
    records = []
    for text in joined:
        tokens = _tokens(text)
        row: dict[str, object] = {"text": text, "answered": bool(text)}
        matched: list[str] = []
        for name, spec in areas.items():
            hits = _matches(tokens, spec["stems"])
            row[name] = bool(hits)
            matched += hits
        row["n_areas"] = sum(bool(row[name]) for name in areas)
        row["cause"], row["winnable"] = "unclear", pd.NA
        for name, spec in causes.items():
            hits = _matches(tokens, spec["stems"])
            if hits:
                row["cause"], row["winnable"] = name, spec.get("winnable", pd.NA)
                matched += hits
                break
        row["matched"] = ", ".join(dict.fromkeys(matched))
        records.append(row)
    out = pd.DataFrame(records, columns=["text", "answered", *areas, "n_areas", "cause",
                                         "winnable", "matched"])
    out["winnable"] = out["winnable"].astype("boolean")
    if id_col:
        out.insert(0, id_col, answers[id_col].to_numpy())
    return out


def exit_summary(coded: pd.DataFrame, *, keywords: Mapping, lang: str = "ru") -> pd.DataFrame:
    """Count exit reasons by area and by cause.

    ``coded (from code_exit_reasons) -> dimension, category, label, count, share, winnable``

    Parameters
    ----------
    coded
        The output of :func:`code_exit_reasons`.
    keywords
        The same dictionary (for the labels and the order).
    lang
        Language of the labels.

    Returns
    -------
    pandas.DataFrame
        ``dimension`` is ``area`` or ``cause``; ``share`` is of the customers who answered
        anything (areas can add up to more than 1). Area ``other`` counts answers no area
        stem matched; cause ``unclear`` those no cause stem matched.
    """
    if lang not in ("ru", "en"):
        raise ValueError(f"unsupported language {lang!r}; use 'ru' or 'en'")
    areas, causes = keywords["areas"], keywords["causes"]
    _require(coded, ["answered", "cause", "n_areas", *areas], "the exit summary")
    answered = coded[coded["answered"].astype(bool)]
    n = len(answered)
    rows = []
    for name, spec in areas.items():
        count = int(answered[name].astype(bool).sum())
        rows.append(("area", name, spec["label"][lang], count, pd.NA))
    rows.append(("area", "other", UNCODED_LABELS["other"][lang],
                 int((answered["n_areas"] == 0).sum()), pd.NA))
    for name, spec in causes.items():
        rows.append(("cause", name, spec["label"][lang], int((answered["cause"] == name).sum()),
                     spec.get("winnable", pd.NA)))
    rows.append(("cause", "unclear", UNCODED_LABELS["unclear"][lang],
                 int((answered["cause"] == "unclear").sum()), pd.NA))
    out = pd.DataFrame(rows, columns=["dimension", "category", "label", "count", "winnable"])
    out.insert(4, "share", out["count"] / n if n else np.nan)
    out["winnable"] = out["winnable"].astype("boolean")
    return out


def exit_quotes(
    coded: pd.DataFrame,
    *,
    keywords: Mapping,
    per_category: int = 3,
    max_chars: int = 300,
    id_col: str | None = "customer_id",
    lang: str = "ru",
) -> pd.DataFrame:
    """Pick a few example answers for each area and cause, with contacts masked.

    Quotes are plain text (e-mail addresses and phone numbers masked by
    :func:`mask_contacts`, whitespace collapsed, cut at ``max_chars``); whoever renders
    them must escape them. Answers that name a single area are preferred for an area.

    ``coded -> dimension, category, customer_id, quote``

    Parameters
    ----------
    coded
        The output of :func:`code_exit_reasons`.
    keywords
        The same dictionary (for the order of the categories).
    per_category
        Quotes per category at most.
    max_chars
        Longer quotes are cut with an ellipsis.
    id_col
        The customer id column of ``coded`` to carry over, or ``None``.
    lang
        Language of the masks.

    Returns
    -------
    pandas.DataFrame
        One row per quote, in the order of the dictionary's categories.
    """
    answered = coded[coded["answered"].astype(bool)]
    selections = []
    for name in keywords["areas"]:
        rows = answered[answered[name].astype(bool)]
        rows = rows.iloc[np.argsort(rows["n_areas"].to_numpy(), kind="stable")]
        selections.append(("area", name, rows))
    for name in [*keywords["causes"], "unclear"]:
        selections.append(("cause", name, answered[answered["cause"] == name]))
    records = []
    for dimension, name, rows in selections:
        for _, row in rows.head(per_category).iterrows():
            quote = " ".join(mask_contacts(row["text"], lang=lang).split())
            if len(quote) > max_chars:
                quote = quote[: max_chars - 1].rstrip() + "…"
            records.append({"dimension": dimension, "category": name,
                            **({id_col: row[id_col]} if id_col else {}), "quote": quote})
    columns = ["dimension", "category", *([id_col] if id_col else []), "quote"]
    return pd.DataFrame(records, columns=columns)


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
    _require(complaints, [count_col] + ([base_col] if base_col else []), "the complaint iceberg")
    counts = _numeric(complaints, count_col, "complaints", low=0)
    out = complaints.copy()
    out["dissatisfied_estimate"] = counts / complain_share
    if base_col:
        base = _numeric(complaints, base_col, "customers", low=0)
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
    keys = _by_list(by)
    _require(responses, keys + [segment_col], "post-stratification weights")
    _require(population, keys + [segment_col, count_col], "post-stratification (the base)")
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
    keys = _by_list(by)
    _require(responses, keys + [segment_col, score_col], "the weighted NPS")
    scores = _numeric(responses, score_col, "would-recommend, 0-10", low=0, high=10)
    answered = responses.loc[scores.notna()].assign(_score=scores[scores.notna()])
    weighted = poststratification_weights(answered, population=population,
                                          segment_col=segment_col, by=keys, count_col=count_col)
    weighted["_c"] = np.where(weighted["_score"] >= 9, 1.0,
                              np.where(weighted["_score"] <= 6, -1.0, 0.0))
    z = _z(confidence)
    rows = []
    for key, part in _groups(weighted, keys):
        w, c = part["weight"].to_numpy(), part["_c"].to_numpy()
        n = len(part)
        value = 100 * float(np.sum(w * c) / np.sum(w))
        var = 0.0
        for _, cell in part.groupby(segment_col, observed=True):
            n_s = len(cell)
            share = cell["weight"].sum() / np.sum(w)
            prom, det = int((cell["_c"] > 0).sum()), int((cell["_c"] < 0).sum())
            var += share ** 2 * _nps_var(n_s, prom, det) / n_s
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
    _require(responses, [customer_col, share_col, score_col] + ([date_col] if date_col else []),
             "the share-of-wallet table")
    top = 100.0 if percent else 1.0
    share = _numeric(responses, share_col, "share of wallet", low=0, high=top) / top
    score = _numeric(responses, score_col, "would-recommend, 0-10", low=0, high=10)
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


# --- safety ---------------------------------------------------------------------------------------

_SEP = r"[\s\-\u2010-\u2015()]*"
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)*\.[^\W\d_]{2,}(?![\w\-])")
_PHONES = [
    # Russian: +7 / 8 / 7 followed by ten digits in any grouping
    re.compile(r"(?<![\w+])(?:\+\s?7|8|7)" + rf"(?:{_SEP}\d){{10}}(?!\d)"),
    # international: + country code and 7-13 more digits
    re.compile(r"(?<![\w+])\+\s?\d{1,3}" + rf"(?:{_SEP}\d){{6,12}}(?!\d)"),
    # a Russian mobile without the country code: (912) 345-67-89, 912 345 67 89
    re.compile(r"(?<![\w+])\(?9\d\d\)?" + rf"(?:{_SEP}\d){{7}}(?!\d)"),
    # a local number with dashes: 345-67-89
    re.compile(r"(?<![\w+\-])\d{3}-\d{2}-\d{2}(?![\w\-])"),
]
_MASKS = {"ru": ("[e-mail скрыт]", "[телефон скрыт]"), "en": ("[e-mail hidden]", "[phone hidden]")}


def mask_contacts(text: str | None, *, lang: str = "ru") -> str:
    """Mask e-mail addresses and phone numbers in a free-text answer, for display.

    Phones: Russian numbers in any usual grouping (``+7 (912) 345-67-89``,
    ``8-912-345-67-89``, ``89123456789``, ``8 (3452) 12-34-56``), mobiles without the
    country code (``(912) 345-67-89``), local numbers with dashes (``345-67-89``) and
    international numbers starting with ``+``. Dates, amounts and 10- or 12-digit tax
    numbers are left alone.

    Parameters
    ----------
    text
        The answer; ``None`` or a missing value gives ``""``.
    lang
        Language of the masks (``[телефон скрыт]`` / ``[phone hidden]``).

    Returns
    -------
    str
        The text with every contact replaced by a mask; plain text, not escaped.
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    email_mask, phone_mask = _MASKS[lang if lang in _MASKS else "ru"]
    out = _EMAIL.sub(email_mask, str(text))
    for pattern in _PHONES:
        out = pattern.sub(phone_mask, out)
    return out
