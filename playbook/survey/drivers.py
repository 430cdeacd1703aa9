"""Key drivers: which attributes move overall satisfaction or would-recommend, and what to fix.

Every function takes a table of responses (one row per response, columns named by the
questionnaire's question ids, see :mod:`playbook.survey.questionnaire`) plus the names of the
outcome and attribute columns, and returns a new table. Nothing here prints; the quadrants'
labels are read from the locale (``survey.quadrant`` in ``playbook/locales/<lang>/``).

Three views of the same question, computed on the responses that answered the outcome and
every attribute:

- :func:`driver_regression`: OLS, the change in the outcome per point of each attribute;
- :func:`shapley_r2`: the Shapley decomposition of R-squared, each attribute's share of
  what the model explains (the importance used for ranking);
- :func:`ordered_logit_drivers`: an ordered logit, a cross-check that treats the outcome
  as ordered categories.

:func:`key_drivers` puts them in one table beside each attribute's mean rating (its
performance), and :func:`importance_performance` places the attributes in the quadrants of
importance against performance.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from playbook.errors import DataError
from playbook.report import i18n
from playbook.survey.checks import check_lang, numeric, require

__all__ = [
    "QUADRANTS",
    "MAX_SHAPLEY_ATTRIBUTES",
    "MAX_ORDERED_LEVELS",
    "driver_regression",
    "shapley_r2",
    "ordered_logit_drivers",
    "key_drivers",
    "importance_performance",
]

#: Quadrants of the importance-performance table; each code's label is the locale's
#: ``survey.quadrant.<code>``.
QUADRANTS = ("fix_first", "keep_up", "improve_next", "maintain")
#: Exact Shapley decomposition fits 2**k regressions; above this many attributes, group them.
MAX_SHAPLEY_ATTRIBUTES = 15
#: The ordered logit fits one threshold per answer; it is meant for rating scales.
MAX_ORDERED_LEVELS = 15


def _complete_cases(responses: pd.DataFrame, outcome: str, attributes: Sequence[str]
                    ) -> pd.DataFrame:
    attributes = list(attributes)
    if not attributes:
        raise DataError("Key-driver analysis needs at least one attribute column.")
    if outcome in attributes:
        raise DataError(f"The outcome {outcome!r} is also listed among the attributes; "
                        "take it out of the attributes.")
    require(responses, [outcome] + attributes, "the key-driver analysis")
    data = pd.DataFrame({c: numeric(responses, c, "rating") for c in [outcome] + attributes})
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
    means = {c: float(numeric(responses, c, "rating").mean()) for c in attributes}
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
    target: float | Sequence[float] | None = None,
    named: Mapping[str, int] | None = None,
    lang: str = "ru",
) -> pd.DataFrame:
    """Place each attribute in a quadrant of importance against performance.

    The lines that split the grid:

    - importance: an attribute is *important* when its importance is at or above the
      average importance of the attributes (with Shapley shares, an equal share of what
      is explained);
    - performance: an attribute is *on target* when its mean rating reaches ``target`` (a
      stated benchmark, e.g. the "satisfied" mark, 4 of 5); without a target, the average
      of the attributes' means (the classic data-centred grid).

    Important and below target: fix first; important and on target: keep up; less
    important and below target: improve next; less important and on target: maintain (no
    more effort). An area rated below the target is therefore never left alone, and an
    area customers named when they left (``named``) is never "maintain": it is kept up.

    ``attribute, importance, mean -> ... + target, named, high_importance,
    high_performance, quadrant, label``

    Parameters
    ----------
    drivers
        One row per attribute, e.g. the output of :func:`key_drivers`.
    attribute_col, importance_col, performance_col
        Its columns.
    target
        The mean rating an attribute must reach: one number for all, or one per row; ``None``
        for the average of the means.
    named
        How often customers named each attribute when they left (exit answers) or complained;
        missing attributes count 0.
    lang
        Language of ``label`` (``ru`` or ``en``).

    Returns
    -------
    pandas.DataFrame
        The input with the quadrant columns added; ``quadrant`` is a code from
        :data:`QUADRANTS`, ``label`` the action in ``lang``.
    """
    check_lang(lang)
    require(drivers, [attribute_col, importance_col, performance_col],
            "the importance-performance table")
    out = drivers.copy()
    imp = out[importance_col].astype(float)
    perf = out[performance_col].astype(float)
    if target is None:
        out["target"] = float(perf.mean())
    else:
        line = np.broadcast_to(np.asarray(target, dtype=float), (len(out),))
        out["target"] = line.copy()
    counts = named or {}
    out["named"] = [int(counts.get(a, 0)) for a in out[attribute_col]]
    out["high_importance"] = imp >= imp.mean()
    out["high_performance"] = perf >= out["target"] - 1e-12
    codes = np.select(
        [out["high_importance"] & ~out["high_performance"],
         ~out["high_performance"],
         out["high_importance"] | (out["named"] > 0)],
        ["fix_first", "improve_next", "keep_up"], default="maintain")
    out["quadrant"] = codes
    labels = i18n.texts(lang)
    out["label"] = [labels[f"survey.quadrant.{c}"] for c in codes]
    return out
