"""Customer lifetime value, the purchase side: how many purchases each customer will make.

The BG/NBD model of repeat buying, whose predictions :mod:`playbook.ltv.gammagamma` (the
spend side: what a purchase is worth, and CLV) builds on. Three steps, each table in,
table out:

1. :func:`~playbook.ltv.rfm.rfm_summary` (in :mod:`playbook.ltv.rfm`, also importable from
   here) -- transactions (customer_id, date, amount) -> one row per customer: customer_id,
   frequency, recency, T, monetary_value, and, when there is data after the calibration
   end, frequency_holdout and duration_holdout (the input of both models).
2. :func:`fit_bgnbd` -- that table -> the fitted parameters with standard errors
   (:class:`BGNBDFit`), by maximum likelihood.
3. Per customer (a Series aligned with the summary's index): :func:`prob_alive`,
   :func:`expected_purchases`; on the holdout: :func:`holdout_length` (is it long enough
   to judge?), :func:`holdout_check` and :func:`holdout_by_frequency`.

The model
---------
**BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an alternative
to the Pareto/NBD model", Marketing Science 24(2)). While alive, a customer buys as a Poisson
process with rate ``lambda ~ Gamma(shape r, rate alpha)``; after each repeat purchase it
drops out for good with probability ``p ~ Beta(a, b)``. A customer with ``x`` repeat
purchases, the last at ``t_x``, observed for ``T`` since its first purchase has the
log-likelihood (FHL 2005, eq. 6)::

    ln L = ln G(r+x) - ln G(r) + r ln(alpha) + ln B(a, b+x) - ln B(a, b)
           + ln[ (alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x) ]

computed with log-gamma and log-sum-exp (never a ratio of gamma functions or a power that
can overflow). The time unit is the unit of the summary's recency and T (day, week or
month); ``alpha`` is in that unit and the log-likelihood is a density in it: refitting the
same data in weeks instead of days divides ``alpha`` by 7 and adds ``ln 7`` per repeat
purchase to the log-likelihood (:meth:`BGNBDFit.to_unit`).

Fitting
-------
With the maximum-likelihood machinery of :mod:`playbook.ltv.likelihood`, shared with
:func:`playbook.ltv.gammagamma.fit_gamma_gamma`: BFGS over the logarithms of the parameters
with an analytic gradient, Newton steps on a numerical Hessian, standard errors by the delta
method.

Speed comes from evaluating each part of the likelihood on as few values as it depends on,
all exact: equal customers are collapsed into one row with a weight; the log-gamma and
digamma terms are computed once per distinct frequency and the ``ln(alpha+T)`` terms once
per distinct T; only the log-sum-exp term needs a value per (distinct) repeat customer.
Above ~100,000 customers the optimiser is first run on a random 50,000 of them, so the run
on all data starts next to the optimum. A million customers take about a second.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.special import digamma, expit, gammaln, hyp2f1, log_expit

from playbook.errors import DataError
from playbook.ltv.likelihood import (
    MIN_REPEAT_CUSTOMERS,
    Distinct,
    check_repeaters,
    compress,
    dot,
    maximise,
    standard_errors,
    thinned,
)
from playbook.ltv.rfm import (
    DAYS_PER_MONTH,
    TIME_UNITS,
    customer_series,
    days_per,
    rfm_summary,
    validate_rfm,
)

__all__ = [
    "BGNBDFit",
    "fit_bgnbd",
    "bgnbd_loglik",
    "prob_alive",
    "expected_purchases",
    "expected_purchases_arrays",
    "holdout_check",
    "holdout_by_frequency",
    "holdout_length",
    "MIN_HOLDOUT_WEEKS",
    # Defined in playbook.ltv.rfm and playbook.ltv.likelihood; importable from here too.
    "TIME_UNITS",
    "DAYS_PER_MONTH",
    "MIN_REPEAT_CUSTOMERS",
    "rfm_summary",
]

# Within this distance of a = 1, E[X] is interpolated across the removable singularity.
_NEAR_ONE = 1e-5


# --- the model -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BGNBDFit:
    """A fitted BG/NBD model.

    Attributes
    ----------
    r, alpha
        Shape and rate of the purchase-rate distribution; ``alpha`` is in ``time_unit``
        (the mean purchase rate of a live customer is ``r / alpha`` per ``time_unit``).
    a, b
        Parameters of the Beta distribution of the dropout probability after a purchase.
    loglik
        Maximised log-likelihood (a density in ``time_unit``, see the module docstring).
    se
        Standard errors of ``r``, ``alpha``, ``a``, ``b`` (NaN if the Hessian at the optimum
        is not positive definite).
    n_customers
        Customers in the fit.
    time_unit
        ``"day"``, ``"week"`` or ``"month"``.
    repeat_purchases
        Total frequency of the fitted customers (converts ``loglik`` between units).
    """

    r: float
    alpha: float
    a: float
    b: float
    loglik: float
    se: dict[str, float]
    n_customers: int
    time_unit: str
    repeat_purchases: int

    @property
    def params(self) -> dict[str, float]:
        """The four parameters as a dict (r, alpha, a, b)."""
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def to_unit(self, time_unit: str) -> BGNBDFit:
        """Convert the fit to another time unit: ``alpha``, its SE and ``loglik`` change.

        Parameters
        ----------
        time_unit
            ``"day"``, ``"week"`` or ``"month"``.

        Returns
        -------
        BGNBDFit
            ``alpha * days_per(old) / days_per(new)``; the log-likelihood gains
            ``repeat_purchases * ln(days_per(new) / days_per(old))``.
        """
        ratio = days_per(time_unit) / days_per(self.time_unit)
        return replace(
            self,
            alpha=self.alpha / ratio,
            se={**self.se, "alpha": self.se["alpha"] / ratio},
            loglik=self.loglik + self.repeat_purchases * math.log(ratio),
            time_unit=time_unit,
        )


def bgnbd_loglik(
    params: dict[str, float] | BGNBDFit,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood (FHL 2005, eq. 6), vectorised and stable.

    Parameters
    ----------
    params
        ``r``, ``alpha``, ``a``, ``b`` (a dict or a fit), time in the unit of recency and T.
    frequency, recency, T
        Repeat purchases, time of the last one, and length of observation per customer.

    Returns
    -------
    numpy.ndarray
        One log-likelihood per customer.
    """
    prm = params.params if isinstance(params, BGNBDFit) else params
    r, alpha, a, b = prm["r"], prm["alpha"], prm["a"], prm["b"]
    x, t_x, t_obs = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    has = x > 0
    with np.errstate(divide="ignore"):
        u = np.where(has, np.log(a) - np.log(np.where(has, b + x - 1.0, 1.0))
                     + (r + x) * (np.log(alpha + t_obs) - np.log(alpha + t_x)), -np.inf)
    return (gammaln(r + x) - gammaln(r) + r * np.log(alpha)
            + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
            - (r + x) * np.log(alpha + t_obs) - log_expit(-u))  # -log_expit(-u) = ln(1 + e^u)


@dataclass(frozen=True)
class _BGNBDData:
    """What the BG/NBD likelihood needs, grouped so that costly functions run on few values.

    The log-gamma terms depend on x only (``x``: distinct values, ``n_x``: weight of each);
    the ``-(r+x) ln(alpha+T)`` term on T only (``T``, ``n_T``, ``x_T``: weight and weighted
    frequency per distinct T); only the log-sum-exp term of the customers with repeats needs
    one value per distinct row (``w``, ``rx``: frequency, ``ix``, ``iT``, ``itx``: indices into
    the distinct x, T and recency values ``tx``).
    """

    x: np.ndarray
    n_x: np.ndarray
    T: np.ndarray
    n_T: np.ndarray
    x_T: np.ndarray
    tx: np.ndarray
    w: np.ndarray
    rx: np.ndarray
    ix: np.ndarray
    iT: np.ndarray
    itx: np.ndarray
    total: float


def _bgnbd_data(distinct: Distinct, weight: np.ndarray | None = None) -> _BGNBDData:
    """Group the distinct (x, t_x, T) rows (optionally with other weights) for the objective."""
    (ix, itx, iT), w = distinct.weighted(weight)
    x_values, tx_values, T_values = distinct.values
    x_row = x_values[ix]
    pos = x_row > 0
    return _BGNBDData(
        x=x_values, n_x=np.bincount(ix, weights=w, minlength=len(x_values)),
        T=T_values, n_T=np.bincount(iT, weights=w, minlength=len(T_values)),
        x_T=np.bincount(iT, weights=w * x_row, minlength=len(T_values)),
        tx=tx_values, w=w[pos], rx=x_row[pos], ix=ix[pos], iT=iT[pos], itx=itx[pos],
        total=float(w.sum()),
    )


def _bgnbd_objective(theta: np.ndarray, d: _BGNBDData) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood and its analytic gradient in log-parameters."""
    r, alpha, a, b = np.exp(theta)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        x = d.x
        log_T = np.log(alpha + d.T)
        log_tx = np.log(alpha + d.tx)
        b_x = np.where(x > 0, b + x - 1.0, 1.0)
        # the log-sum-exp term, ln(1 + e^u), for the customers with repeats
        gap = log_T[d.iT] - log_tx[d.itx]
        rx = r + d.rx
        u = math.log(a) - np.log(b_x)[d.ix] + rx * gap
        e = np.exp(-np.abs(u))
        softplus = np.maximum(u, 0.0) + np.log1p(e)
        ws = d.w * (np.where(u >= 0, 1.0, e) / (1.0 + e))  # weight * sigmoid(u)
        shape_T = r * d.n_T + d.x_T
        ll = (dot(d.n_x, gammaln(r + x) - gammaln(r) + gammaln(a + b) + gammaln(b + x)
                  - gammaln(b) - gammaln(a + b + x))
              + d.total * r * math.log(alpha) - dot(shape_T, log_T) + dot(d.w, softplus))
        dg_ab, dg_abx = digamma(a + b), digamma(a + b + x)
        d_r = (dot(d.n_x, digamma(r + x) - digamma(r)) + d.total * math.log(alpha)
               - dot(d.n_T, log_T) + dot(ws, gap))
        wsr = ws * rx
        d_alpha = (d.total * r / alpha - dot(shape_T, 1.0 / (alpha + d.T))
                   + dot(np.bincount(d.iT, weights=wsr, minlength=len(d.T)), 1.0 / (alpha + d.T))
                   - dot(np.bincount(d.itx, weights=wsr, minlength=len(d.tx)),
                         1.0 / (alpha + d.tx)))
        d_a = dot(d.n_x, dg_ab - dg_abx) + ws.sum() / a
        d_b = (dot(d.n_x, dg_ab + digamma(b + x) - digamma(b) - dg_abx)
               - dot(np.bincount(d.ix, weights=ws, minlength=len(x)), 1.0 / b_x))
    value = -ll / d.total
    grad = -np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b]) / d.total
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        return np.inf, np.zeros(4)
    return float(value), grad


def fit_bgnbd(
    summary: pd.DataFrame,
    *,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    time_unit: str = "week",
) -> BGNBDFit:
    """Fit the BG/NBD model by maximum likelihood.

    customer summary (frequency, recency, T) -> :class:`BGNBDFit`.

    Parameters
    ----------
    summary
        One row per customer, e.g. from :func:`~playbook.ltv.rfm.rfm_summary`.
    frequency, recency, T
        Column names: repeat purchases; time from the first to the last purchase; time from
        the first purchase to the calibration end.
    time_unit
        The unit of ``recency`` and ``T`` (``"day"``, ``"week"`` or ``"month"``); ``alpha``
        comes out in it. Fitting in days and converting with :meth:`BGNBDFit.to_unit` gives
        the same estimates as fitting in weeks.

    Returns
    -------
    BGNBDFit
        Estimates, maximised log-likelihood and standard errors.

    Raises
    ------
    DataError
        The summary is invalid, has fewer than
        :data:`~playbook.ltv.likelihood.MIN_REPEAT_CUSTOMERS` customers with a repeat
        purchase, or the fit does not converge to a finite optimum.

    Notes
    -----
    Starting values: ``alpha = r * sum(T) / sum(x)`` (the purchase rate of all customers
    together) for r in 0.3, 1, 3, crossed with (a, b) in (1, 3), (0.5, 5), (2, 2); the best by
    likelihood is refined. Above about 100,000 customers it is refined first on a random
    subsample of 50,000 of them, which leaves the final optimisation on all data only a
    few steps to take; the estimate is that of all data either way.
    """
    days_per(time_unit)
    x, t_x, t_obs = validate_rfm(summary, frequency, recency, T)
    n_repeat = int(np.count_nonzero(x))
    check_repeaters(n_repeat, "BG/NBD")
    distinct = compress([x, t_x, t_obs])
    data = _bgnbd_data(distinct)
    thinned_weight = thinned(distinct, n_repeat)
    subsample = None if thinned_weight is None else _bgnbd_data(distinct, thinned_weight)
    alpha0 = max(t_obs.sum(), 1e-9) / max(x.sum(), 1.0)
    candidates = [np.log([r0, alpha0 * r0, a0, b0])
                  for r0 in (0.3, 1.0, 3.0) for a0, b0 in ((1.0, 3.0), (0.5, 5.0), (2.0, 2.0))]
    names = ["r", "alpha", "a", "b"]
    theta, hessian, value = maximise(_bgnbd_objective, data, candidates, names, "BG/NBD",
                                     subsample)
    r, alpha, a, b = (float(v) for v in np.exp(theta))
    return BGNBDFit(
        r=r, alpha=alpha, a=a, b=b, loglik=float(-value * data.total),
        se=standard_errors(theta, hessian, data.total, names, "BG/NBD"),
        n_customers=len(x), time_unit=time_unit, repeat_purchases=int(x.sum()),
    )


# --- per-customer predictions --------------------------------------------------------------------


def _prob_alive(fit: BGNBDFit, x, t_x, T) -> np.ndarray:
    has = x > 0
    u = np.where(has, np.log(fit.a) - np.log(np.where(has, fit.b + x - 1.0, 1.0))
                 + (fit.r + x) * (np.log(fit.alpha + T) - np.log(fit.alpha + t_x)), -np.inf)
    return expit(-u)


def prob_alive(
    fit: BGNBDFit,
    summary: pd.DataFrame,
    *,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
) -> pd.Series:
    """Probability that each customer is still alive at the end of the calibration period.

    ``P = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x))`` (FHL 2005, eq. 11);
    1 for customers without repeat purchases (they cannot have dropped out yet).

    Parameters
    ----------
    fit
        A BG/NBD fit; ``summary`` must use its time unit.
    summary
        One row per customer.
    frequency, recency, T
        Column names.

    Returns
    -------
    pandas.Series
        ``prob_alive`` in [0, 1], aligned with ``summary``.
    """
    x, t_x, t_obs = validate_rfm(summary, frequency, recency, T)
    return customer_series(_prob_alive(fit, x, t_x, t_obs), summary, "prob_alive")


def expected_purchases_arrays(fit: BGNBDFit, t, x, t_x, T) -> np.ndarray:
    """E[X(T, T+t) | x, t_x, T] (FHL 2005, eq. 10), on arrays that broadcast.

    Written with Euler's transformation of the hypergeometric function,
    ``((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)
    = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)`` with ``z = t/(alpha+T+t)``, so the series'
    upper parameters do not grow with x (x = 10,000 is as cheap and exact as x = 1).

    Parameters
    ----------
    fit
        A BG/NBD fit; the other arguments are in its time unit.
    t
        Horizon.
    x, t_x, T
        Frequency, recency and T (e.g. from :func:`~playbook.ltv.rfm.validate_rfm`).

    Returns
    -------
    numpy.ndarray
        The expected repeat purchases in the next ``t``, broadcast over the arguments.
    """
    if abs(fit.a - 1.0) < _NEAR_ONE:
        # a = 1 is a removable singularity (0/0): interpolate linearly between a = 1 -+ 2e-5,
        # where the formula is accurate to ~1e-11; the interpolation error is ~1e-10.
        lo, hi = 1.0 - 2 * _NEAR_ONE, 1.0 + 2 * _NEAR_ONE
        at_lo = expected_purchases_arrays(replace(fit, a=lo), t, x, t_x, T)
        at_hi = expected_purchases_arrays(replace(fit, a=hi), t, x, t_x, T)
        return at_lo + (fit.a - lo) / (hi - lo) * (at_hi - at_lo)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    c = a + b + x - 1.0
    z = t / (alpha + T + t)
    f = hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    with np.errstate(invalid="ignore", divide="ignore"):
        # 1 - (1-z)^(a-1) F, without cancellation when a is near 1 (F > 0 there)
        bracket = np.where(f > 0, -np.expm1((a - 1.0) * np.log1p(-z) + np.log(f)),
                           1.0 - (1.0 - z) ** (a - 1.0) * f)
    return c / (a - 1.0) * bracket * _prob_alive(fit, x, t_x, T)


def expected_purchases(
    fit: BGNBDFit,
    t: float | np.ndarray | pd.Series,
    summary: pd.DataFrame,
    *,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
) -> pd.Series:
    """Predict each customer's repeat purchases in the next ``t`` time units.

    The conditional expectation given the customer's history (FHL 2005, eq. 10):
    ``E[Y(t) | x, t_x, T] = (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))] * prob_alive``.

    Parameters
    ----------
    fit
        A BG/NBD fit; ``t`` and ``summary`` are in its time unit.
    t
        Horizon: one number, or one per customer (e.g. the holdout's duration).
    summary
        One row per customer.
    frequency, recency, T
        Column names.

    Returns
    -------
    pandas.Series
        ``expected_purchases``, aligned with ``summary``.
    """
    x, t_x, t_obs = validate_rfm(summary, frequency, recency, T)
    horizon = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    if np.any(~np.isfinite(horizon) | (horizon < 0)):
        raise ValueError("The horizon t must be finite and non-negative.")
    rows = compress([x, t_x, t_obs, horizon])  # hyp2f1 once per distinct row
    values = expected_purchases_arrays(fit, rows.column(3), rows.column(0), rows.column(1),
                                       rows.column(2))[rows.inverse]
    return customer_series(values, summary, "expected_purchases")


# --- holdout ------------------------------------------------------------------------------

#: The shortest holdout judged, in weeks, unless the customers' rhythm asks for longer
#: (:func:`holdout_length`); ``ltv.holdout_min_weeks`` in the parameters.
MIN_HOLDOUT_WEEKS = 8


def holdout_length(
    calibration_end: str | pd.Timestamp,
    holdout_end: str | pd.Timestamp,
    *,
    median_gap_days: float | None,
    min_weeks: float = MIN_HOLDOUT_WEEKS,
) -> dict:
    """Whether the holdout is long enough for its forecast error to mean anything.

    The holdout must last at least the repeat customers' median gap between purchases (a
    shorter one ends before the typical customer's next purchase is due: most actual
    counts are 0 and the error depends on where the holdout happens to end) and at least
    ``min_weeks`` weeks (over a shorter span the calendar, a holiday week or one large
    order, moves the total by tens of percent, which says nothing about the model).

    Parameters
    ----------
    calibration_end, holdout_end
        The last day of the fitting period and of the holdout (the end of the last
        complete period of the data, see :mod:`playbook.periods`).
    median_gap_days
        The repeat customers' median gap between purchases, in days (None: unknown).
    min_weeks
        The shortest holdout judged whatever the customers' rhythm.

    Returns
    -------
    dict
        ``judged`` (bool), ``reason`` (None, or ``"short"``), ``start`` and ``end`` (ISO
        dates: the day after the calibration end, the holdout end), ``days``,
        ``min_days``, ``min_weeks`` and ``median_gap_days`` (rounded to days).
    """
    cal_end, end = pd.Timestamp(calibration_end), pd.Timestamp(holdout_end)
    days = max(0, (end - cal_end).days)
    min_days = max(7 * min_weeks, median_gap_days or 0.0)
    judged = days >= min_days
    return {
        "judged": bool(judged), "reason": None if judged else "short",
        "start": (cal_end + pd.Timedelta(days=1)).date().isoformat(),
        "end": end.date().isoformat(), "days": int(days), "min_days": int(math.ceil(min_days)),
        "min_weeks": min_weeks,
        "median_gap_days": None if median_gap_days is None else round(float(median_gap_days)),
    }


def _holdout_arrays(fit, summary, frequency, recency, T, frequency_holdout, duration_holdout):
    if frequency_holdout not in summary.columns or duration_holdout not in summary.columns:
        raise DataError(
            f"The summary has no holdout columns ({frequency_holdout!r}, {duration_holdout!r}). "
            "Build it with rfm_summary(..., observation_end=...) later than the calibration end."
        )
    actual = pd.to_numeric(summary[frequency_holdout], errors="coerce").to_numpy(dtype=float)
    predicted = expected_purchases(fit, summary[duration_holdout].to_numpy(dtype=float), summary,
                                   frequency=frequency, recency=recency, T=T).to_numpy()
    return actual, predicted


def holdout_check(
    fit: BGNBDFit,
    summary: pd.DataFrame,
    *,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    frequency_holdout: str = "frequency_holdout",
    duration_holdout: str = "duration_holdout",
) -> dict[str, float]:
    """Predicted against actual repeat purchases per customer in the holdout period.

    Parameters
    ----------
    fit
        A BG/NBD fit on the calibration period.
    summary
        :func:`~playbook.ltv.rfm.rfm_summary` output with the holdout columns.
    frequency, recency, T, frequency_holdout, duration_holdout
        Column names.

    Returns
    -------
    dict
        ``mae``, ``rmse`` (per customer), ``corr`` (Pearson, NaN if either side is constant),
        ``total_actual``, ``total_predicted``, ``total_error`` (predicted - actual) and
        ``total_error_pct`` (that error as a percentage of the actual total).
    """
    actual, predicted = _holdout_arrays(fit, summary, frequency, recency, T,
                                        frequency_holdout, duration_holdout)
    error = predicted - actual
    constant = np.std(actual) == 0 or np.std(predicted) == 0
    total_actual, total_predicted = float(actual.sum()), float(predicted.sum())
    return {
        "mae": float(np.mean(np.abs(error))),
        "rmse": float(np.sqrt(np.mean(error**2))),
        "corr": float("nan") if constant else float(np.corrcoef(actual, predicted)[0, 1]),
        "total_actual": total_actual,
        "total_predicted": total_predicted,
        "total_error": total_predicted - total_actual,
        "total_error_pct": (100.0 * (total_predicted - total_actual) / total_actual
                            if total_actual else float("nan")),
    }


def holdout_by_frequency(
    fit: BGNBDFit,
    summary: pd.DataFrame,
    *,
    max_frequency: int = 7,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    frequency_holdout: str = "frequency_holdout",
    duration_holdout: str = "duration_holdout",
) -> pd.DataFrame:
    """Mean actual and predicted holdout purchases by calibration frequency (FHL 2005, fig. 3).

    summary with holdout columns -> frequency, label, customers, actual, predicted.

    Parameters
    ----------
    fit
        A BG/NBD fit on the calibration period.
    summary
        :func:`~playbook.ltv.rfm.rfm_summary` output with the holdout columns.
    max_frequency
        The last group holds every customer with at least this many calibration repeats.
    frequency, recency, T, frequency_holdout, duration_holdout
        Column names.

    Returns
    -------
    pandas.DataFrame
        One row per group 0, 1, ..., ``max_frequency`` (groups without customers are left
        out): ``frequency`` (the group's lowest calibration frequency), ``label``
        (``"7+"`` for the last), ``customers``, ``actual`` and ``predicted`` (means).
    """
    actual, predicted = _holdout_arrays(fit, summary, frequency, recency, T,
                                        frequency_holdout, duration_holdout)
    group = np.minimum(summary[frequency].to_numpy(dtype=float), max_frequency).astype(int)
    table = (
        pd.DataFrame({"frequency": group, "actual": actual, "predicted": predicted})
        .groupby("frequency", sort=True)
        .agg(customers=("actual", "size"), actual=("actual", "mean"),
             predicted=("predicted", "mean"))
        .reset_index()
    )
    table.insert(1, "label", [f"{f}+" if f == max_frequency else str(f)
                              for f in table["frequency"]])
    return table
