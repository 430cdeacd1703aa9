"""Customer survey statistics: how many answered, and how satisfied and loyal they are.

Response rate and margin of error, NPS (with intervals and comparisons), CSAT, CES, Likert
summaries, the reliability of multi-item scales, crosstabs, the complaint iceberg, NPS
weighted to the customer base, and share of wallet per customer. Which attributes drive
satisfaction is :mod:`playbook.survey.drivers`; why customers left is :mod:`playbook.survey.exits`.

Every function takes a table of responses (one row per response, columns named by the
questionnaire's question ids, see :mod:`playbook.survey.questionnaire`) plus the names of the columns it
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
from collections.abc import Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from playbook.errors import DataError

__all__ = [
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
    "crosstab",
    "crosstab_tests",
    "complaint_iceberg",
    "poststratification_weights",
    "weighted_nps",
    "wallet_and_recommend",
]

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
            "headers to question ids with playbook.survey.questionnaire.prepare_responses.")


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


def _check_lang(lang: str) -> None:
    """Refuse a language the labels are not written in (used by drivers and exits)."""
    if lang not in ("ru", "en"):
        raise ValueError(f"unsupported language {lang!r}; use 'ru' or 'en'")


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
