"""Customer lifetime value, the purchase side: how many purchases each customer will make.

The BG/NBD model of repeat buying, and the maximum-likelihood machinery that
:mod:`playbook.ltv.gammagamma` (the spend side: what a purchase is worth, and CLV) shares.
Three steps, each table in, table out:

1. :func:`rfm_summary` -- transactions (customer_id, date, amount) -> one row per customer:
   customer_id, frequency, recency, T, monetary_value, and, when there is data after the
   calibration end, frequency_holdout and duration_holdout (the input of both models).
2. :func:`fit_bgnbd` -- that table -> the fitted parameters with standard errors
   (:class:`BGNBDFit`), by maximum likelihood.
3. Per customer (a Series aligned with the summary's index): :func:`prob_alive`,
   :func:`expected_purchases`; on the holdout: :func:`holdout_check` and
   :func:`holdout_by_frequency`.

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
Both fits (this module's and :func:`playbook.ltv.gammagamma.fit_gamma_gamma`) maximise the
log-likelihood over the logarithms of the parameters (so they stay positive; an estimate
that runs off by a factor of e**18 is reported as not converged) with BFGS and an analytic
gradient, then polish with Newton steps on a numerical Hessian (central differences of the
analytic gradient). Standard errors come from the inverse of that Hessian (the observed
information) by the delta method: ``se(theta) = theta * se(ln theta)``.

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
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1, log_expit

from playbook.errors import DataError

__all__ = [
    "TIME_UNITS",
    "DAYS_PER_MONTH",
    "MIN_REPEAT_CUSTOMERS",
    "BGNBDFit",
    "rfm_summary",
    "fit_bgnbd",
    "bgnbd_loglik",
    "prob_alive",
    "expected_purchases",
    "holdout_check",
    "holdout_by_frequency",
]

#: Days in an average month (365.25 / 12).
DAYS_PER_MONTH = 365.25 / 12
#: The time units a summary can be in, as days per unit.
TIME_UNITS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH}
#: Fewest customers with a repeat purchase that a fit accepts.
MIN_REPEAT_CUSTOMERS = 20

# An estimate more than a factor e**_LOG_BOX (6.6e7) away from its starting value has run
# off towards 0 or infinity: it is not a finite optimum (the parameters' bounds, in effect).
_LOG_BOX = 18.0
# A standard error above this multiple of its estimate: the parameter is not identified.
_MAX_RELATIVE_SE = 10.0
# Within this distance of a = 1, E[X] is interpolated across the removable singularity.
_NEAR_ONE = 1e-5


# --- the summary ---------------------------------------------------------------------------


def _days_per(time_unit: str) -> float:
    try:
        return TIME_UNITS[time_unit]
    except KeyError:
        raise ValueError(
            f"time_unit must be one of {', '.join(TIME_UNITS)}; got {time_unit!r}."
        ) from None


def _require_columns(table: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(
            f"The {what} has no column {', '.join(map(repr, missing))}; its columns are "
            f"{', '.join(map(repr, map(str, table.columns)))}. Pass the right column name as a "
            f"keyword argument."
        )


def rfm_summary(
    transactions: pd.DataFrame,
    *,
    calibration_end: str | pd.Timestamp,
    observation_end: str | pd.Timestamp | None = None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    time_unit: str = "week",
) -> pd.DataFrame:
    """Summarise transactions per customer for the BG/NBD and Gamma-Gamma models.

    customer_id, date, amount (one row per transaction line) -> customer_id, frequency,
    recency, T, monetary_value [, frequency_holdout, duration_holdout].

    Parameters
    ----------
    transactions
        One row per transaction line; returns are negative amounts.
    calibration_end
        Last day of the calibration period (included); the models are fitted on data up to it.
    observation_end
        Last day of the data (included). When later than ``calibration_end``, the days after
        the calibration end are the holdout and two columns are added.
    customer_id, date, amount
        Column names in ``transactions``.
    time_unit
        ``"day"``, ``"week"`` (days / 7) or ``"month"`` (days / (365.25 / 12)): the unit of
        recency, T and duration_holdout.

    Returns
    -------
    pandas.DataFrame
        One row per customer with a purchase day up to ``calibration_end``, sorted by id:

        - ``frequency``: repeat purchase days in the calibration period (purchase days - 1).
          A purchase day is a day whose net amount is not negative (zero-priced orders
          count, as in CDNOW): several purchases on one day count as one, and a day
          holding only a return is none (as in :mod:`playbook.intake.summary`);
        - ``recency``: from the first to the last purchase day; ``T``: from the first purchase
          day to ``calibration_end`` (both in ``time_unit``);
        - ``monetary_value``: the mean net amount of the repeat purchase days, 0 without repeats;
        - ``frequency_holdout``: purchase days after ``calibration_end`` up to
          ``observation_end``; ``duration_holdout``: the holdout's length in ``time_unit``.
          Customers whose first purchase is in the holdout are left out.

    Raises
    ------
    DataError
        A column is missing or no customer bought in the calibration period.
    ValueError
        ``observation_end`` is before ``calibration_end`` or ``time_unit`` is unknown.
    """
    unit_days = _days_per(time_unit)
    _require_columns(transactions, [customer_id, date, amount], "transactions table")
    cal_end = pd.Timestamp(calibration_end).normalize()
    obs_end = cal_end if observation_end is None else pd.Timestamp(observation_end).normalize()
    if obs_end < cal_end:
        raise ValueError(
            f"observation_end ({obs_end.date()}) is before calibration_end ({cal_end.date()}); "
            "it must be the same day or later."
        )
    day = pd.to_datetime(transactions[date]).dt.normalize()
    keep = (day <= obs_end).to_numpy()
    daily = (
        pd.DataFrame({
            "customer_id": transactions[customer_id].to_numpy()[keep],
            "day": day.to_numpy()[keep],
            "amount": transactions[amount].astype(float).to_numpy()[keep],
        })
        .groupby(["customer_id", "day"], sort=True)["amount"].sum()
        .reset_index()
    )
    daily = daily[daily["amount"] >= 0]
    in_cal = daily["day"] <= cal_end
    cal = daily[in_cal]
    if cal.empty:
        raise DataError(
            f"No customer has a purchase on or before the calibration end {cal_end.date()}; "
            "choose a later calibration end."
        )
    grouped = cal.groupby("customer_id", sort=True)
    first = grouped["day"].min()
    days = grouped["day"].size()
    first_amount = grouped["amount"].first()  # sorted by day: the first purchase day
    repeat_spend = grouped["amount"].sum() - first_amount
    frequency = (days - 1).astype("int64")
    out = pd.DataFrame({
        "customer_id": first.index,
        "frequency": frequency.to_numpy(),
        "recency": ((grouped["day"].max() - first).dt.days / unit_days).to_numpy(),
        "T": ((cal_end - first).dt.days / unit_days).to_numpy(),
        "monetary_value": np.where(frequency > 0, repeat_spend / frequency.clip(lower=1), 0.0),
    })
    if obs_end > cal_end:
        later = daily[~in_cal].groupby("customer_id").size()
        out["frequency_holdout"] = (
            later.reindex(out["customer_id"]).fillna(0).astype("int64").to_numpy()
        )
        out["duration_holdout"] = (obs_end - cal_end).days / unit_days
    return out


# --- compression -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Distinct:
    """The distinct rows of some columns, stored column by column.

    ``values[k]`` holds the distinct values of column k and ``codes[k]`` each distinct row's
    index into them (so ``values[k][codes[k]]`` is column k of the distinct rows); ``weight``
    is how many input rows (or how much input weight) each distinct row stands for, and
    ``inverse`` maps every input row to its distinct row.
    """

    values: list[np.ndarray]
    codes: list[np.ndarray]
    weight: np.ndarray
    inverse: np.ndarray

    def column(self, k: int) -> np.ndarray:
        """Column k of the distinct rows."""
        return self.values[k][self.codes[k]]

    def weighted(self, weight: np.ndarray | None = None) -> tuple[list[np.ndarray], np.ndarray]:
        """Return the codes and weights of the rows with a positive weight.

        ``weight`` (e.g. a subsample's, from :func:`_thinned`) replaces the rows' own weights.
        """
        w = self.weight if weight is None else weight
        keep = w > 0
        return [c[keep] for c in self.codes], w[keep]


def _compress(columns: list[np.ndarray], weights: np.ndarray | None = None) -> _Distinct:
    """Collapse equal rows of ``columns`` into one row with a weight (exact for likelihoods).

    Each column is hashed to codes once; a row's key packs its codes into one integer,
    which is hashed again to find the distinct rows.
    """
    codes, values = [], []
    for column in columns:
        code, uniques = pd.factorize(np.asarray(column, dtype=float))
        codes.append(code.astype(np.int64))
        values.append(np.asarray(uniques, dtype=float))
    sizes = [max(len(v), 1) for v in values]
    if math.prod(sizes) < 2**62:
        key = codes[0]
        for code, size in zip(codes[1:], sizes[1:], strict=True):
            key = key * size + code
        inverse, keys = pd.factorize(key)
        row_codes = []
        for size in reversed(sizes[1:]):
            row_codes.append(keys % size)
            keys = keys // size
        row_codes = [keys, *reversed(row_codes)]
    else:  # too many distinct values to pack: let pandas hash the tuples
        inverse, uniques = pd.MultiIndex.from_arrays(codes).factorize()
        row_codes = [np.asarray(uniques.get_level_values(k)) for k in range(len(codes))]
    weight = np.bincount(inverse, weights=weights, minlength=len(row_codes[0])).astype(float)
    return _Distinct(values, [np.asarray(c, dtype=np.int64) for c in row_codes], weight,
                     inverse)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of ``a * b``, single-threaded (BLAS threads cost more than they save here)."""
    return float(np.einsum("i,i->", a, b))


def _thinned(distinct: _Distinct, n_repeat: int) -> np.ndarray | None:
    """Weights of a random subsample of about 50,000 customers, or None if not worth it.

    Each customer is kept with the same probability (binomial thinning of the weights), so
    the subsample is a fair sample of the customers; at least 2,000 repeat customers are
    kept. A fixed seed keeps fits reproducible.
    """
    total = distinct.weight.sum()
    share = max(50_000 / total, 2_000 / max(n_repeat, 1))
    if share >= 0.5:
        return None
    rng = np.random.default_rng(20050101)
    return rng.binomial(np.round(distinct.weight).astype(np.int64), share).astype(float)


# --- maximum likelihood ----------------------------------------------------------------------


def _check_repeaters(n_repeat: int, model: str) -> None:
    if n_repeat < MIN_REPEAT_CUSTOMERS:
        raise DataError(
            f"Only {n_repeat} customers have a repeat purchase in the calibration period; the "
            f"{model} model needs at least {MIN_REPEAT_CUSTOMERS}. Use a later calibration end, "
            "a longer period or more customers, or report simple repeat rates instead."
        )


def _bfgs(objective, theta, data):
    # BFGS, not L-BFGS-B: with 3-4 parameters the Python BFGS is cheap, while L-BFGS-B's
    # compiled core calls multi-threaded BLAS on tiny vectors, which on a busy machine costs
    # more than the likelihood itself. gtol is loose: the Newton steps finish the job.
    return minimize(objective, theta, args=(data,), jac=True, method="BFGS",
                    options={"maxiter": 1000, "gtol": 1e-6}).x


def _maximise(objective, data, candidates, names, model, subsample=None):
    """Minimise a mean NLL over log-parameters; return theta, its Hessian and the minimum.

    The best of the starting ``candidates`` (judged on the subsample when there is one) is
    refined by BFGS on the subsample, then on all data; then Newton steps with a numerical
    Hessian take it to the exact optimum (a few more digits, cheaply).
    """
    warm = data if subsample is None else subsample
    start = min(candidates, key=lambda c: objective(c, warm)[0])
    theta = start
    if subsample is not None:
        theta = _bfgs(objective, theta, subsample)
    theta = _bfgs(objective, theta, data)
    value, grad = objective(theta, data)
    if not np.isfinite(value):
        raise DataError(f"The {model} fit failed: the log-likelihood is not finite at the "
                        "estimate. Check the summary for extreme values.")
    hessian = _hessian(objective, theta, data)
    if _is_positive_definite(hessian):
        moved = theta
        for _ in range(10):
            step = np.linalg.solve(hessian, grad)
            if np.max(np.abs(step)) < 1e-12:
                break
            new_value, new_grad = objective(theta - step, data)
            if not (new_value <= value + 1e-14 * abs(value)
                    and np.max(np.abs(new_grad)) < np.max(np.abs(grad))):
                break
            theta, value, grad = theta - step, new_value, new_grad
        if np.max(np.abs(theta - moved)) > 1e-6:  # the SEs need the Hessian at the optimum
            hessian = _hessian(objective, theta, data)
    at_edge = [n for n, t, s in zip(names, theta, start, strict=True)
               if abs(t - s) > _LOG_BOX]
    flat = not _is_positive_definite(hessian)
    if at_edge or flat or np.max(np.abs(grad)) > 1e-6:
        why = (f" ({', '.join(at_edge)} ran off towards 0 or infinity)" if at_edge
               else " (the likelihood has no proper peak: it keeps rising towards an extreme"
               " parameter value)" if flat else "")
        raise DataError(
            f"The {model} fit did not converge{why}. The data show too little of what the "
            "model describes (for BG/NBD: repeat buying, and customers falling silent); use a "
            "longer calibration period or more customers, and check the summary."
        )
    return theta, hessian, value


def _hessian(objective, theta, data, step=1e-5):
    """Numerical Hessian: central differences of the analytic gradient, symmetrised."""
    k = len(theta)
    h = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = step
        h[i] = (objective(theta + e, data)[1] - objective(theta - e, data)[1]) / (2 * step)
    return (h + h.T) / 2


def _is_positive_definite(matrix: np.ndarray) -> bool:
    if not np.all(np.isfinite(matrix)):
        return False
    try:
        np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        return False
    return True


def _standard_errors(theta, hessian_mean, total, names, model):
    """SEs of exp(theta) from the Hessian of the mean NLL in theta (delta method).

    A standard error more than :data:`_MAX_RELATIVE_SE` times its estimate means the data
    do not determine the parameter even to within orders of magnitude (typically the
    likelihood flattens out towards 0 or infinity): that is an error, not a fit to report.
    Merely imprecise estimates (a small client) are returned with their SEs.
    """
    cov = np.linalg.inv(hessian_mean * total)  # positive definite: checked by _maximise
    se = {n: float(np.exp(t) * np.sqrt(v))
          for n, t, v in zip(names, theta, np.diag(cov), strict=True)}
    loose = [f"{n} = {math.exp(t):.3g} +- {se[n]:.2g}"
             for n, t in zip(names, theta, strict=True)
             if se[n] > _MAX_RELATIVE_SE * math.exp(t)]
    if loose:
        raise DataError(
            f"The {model} fit is not identified: {', '.join(loose)} (standard error over "
            f"{_MAX_RELATIVE_SE:g} times the estimate). The data show too little of what the "
            "model describes (for BG/NBD: customers falling silent after buying); use a longer "
            "calibration period or more customers, or report simple repeat rates instead."
        )
    return se


# --- BG/NBD --------------------------------------------------------------------------------


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
        ratio = _days_per(time_unit) / _days_per(self.time_unit)
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


def _bgnbd_data(distinct: _Distinct, weight: np.ndarray | None = None) -> _BGNBDData:
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
        ll = (_dot(d.n_x, gammaln(r + x) - gammaln(r) + gammaln(a + b) + gammaln(b + x)
                   - gammaln(b) - gammaln(a + b + x))
              + d.total * r * math.log(alpha) - _dot(shape_T, log_T) + _dot(d.w, softplus))
        dg_ab, dg_abx = digamma(a + b), digamma(a + b + x)
        d_r = (_dot(d.n_x, digamma(r + x) - digamma(r)) + d.total * math.log(alpha)
               - _dot(d.n_T, log_T) + _dot(ws, gap))
        wsr = ws * rx
        d_alpha = (d.total * r / alpha - _dot(shape_T, 1.0 / (alpha + d.T))
                   + _dot(np.bincount(d.iT, weights=wsr, minlength=len(d.T)), 1.0 / (alpha + d.T))
                   - _dot(np.bincount(d.itx, weights=wsr, minlength=len(d.tx)),
                          1.0 / (alpha + d.tx)))
        d_a = _dot(d.n_x, dg_ab - dg_abx) + ws.sum() / a
        d_b = (_dot(d.n_x, dg_ab + digamma(b + x) - digamma(b) - dg_abx)
               - _dot(np.bincount(d.ix, weights=ws, minlength=len(x)), 1.0 / b_x))
    value = -ll / d.total
    grad = -np.array([r * d_r, alpha * d_alpha, a * d_a, b * d_b]) / d.total
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        return np.inf, np.zeros(4)
    return float(value), grad


def _validate_rfm(summary, frequency, recency, T):
    _require_columns(summary, [frequency, recency, T], "customer summary")
    arrays = {}
    for name in (frequency, recency, T):
        values = pd.to_numeric(summary[name], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise DataError(
                f"Column {name!r} of the customer summary has {int(bad.sum()):,} missing, "
                f"infinite or negative values (first at row {int(np.argmax(bad))}); rebuild the "
                "summary with rfm_summary or drop those customers."
            )
        arrays[name] = values
    x, t_x, t_obs = arrays[frequency], arrays[recency], arrays[T]
    if np.any(x != np.round(x)):
        raise DataError(f"Column {frequency!r} must hold whole numbers of repeat purchases.")
    late = t_x > t_obs * (1 + 1e-9) + 1e-12
    if late.any():
        raise DataError(
            f"{int(late.sum()):,} customers have {recency!r} greater than {T!r} (first at row "
            f"{int(np.argmax(late))}): the last purchase cannot come after the end of the "
            "calibration period. Check that both columns use the same time unit and end date."
        )
    return x, t_x, t_obs


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
        One row per customer, e.g. from :func:`rfm_summary`.
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
        The summary is invalid, has fewer than :data:`MIN_REPEAT_CUSTOMERS` customers with a
        repeat purchase, or the fit does not converge to a finite optimum.

    Notes
    -----
    Starting values: ``alpha = r * sum(T) / sum(x)`` (the purchase rate of all customers
    together) for r in 0.3, 1, 3, crossed with (a, b) in (1, 3), (0.5, 5), (2, 2); the best by
    likelihood is refined. Above about 100,000 customers it is refined first on a random
    subsample of 50,000 of them, which leaves the final optimisation on all data only a
    few steps to take; the estimate is that of all data either way.
    """
    _days_per(time_unit)
    x, t_x, t_obs = _validate_rfm(summary, frequency, recency, T)
    n_repeat = int(np.count_nonzero(x))
    _check_repeaters(n_repeat, "BG/NBD")
    distinct = _compress([x, t_x, t_obs])
    data = _bgnbd_data(distinct)
    thinned = _thinned(distinct, n_repeat)
    subsample = None if thinned is None else _bgnbd_data(distinct, thinned)
    alpha0 = max(t_obs.sum(), 1e-9) / max(x.sum(), 1.0)
    candidates = [np.log([r0, alpha0 * r0, a0, b0])
                  for r0 in (0.3, 1.0, 3.0) for a0, b0 in ((1.0, 3.0), (0.5, 5.0), (2.0, 2.0))]
    names = ["r", "alpha", "a", "b"]
    theta, hessian, value = _maximise(_bgnbd_objective, data, candidates, names, "BG/NBD",
                                      subsample)
    r, alpha, a, b = (float(v) for v in np.exp(theta))
    return BGNBDFit(
        r=r, alpha=alpha, a=a, b=b, loglik=float(-value * data.total),
        se=_standard_errors(theta, hessian, data.total, names, "BG/NBD"),
        n_customers=len(x), time_unit=time_unit, repeat_purchases=int(x.sum()),
    )


# --- per-customer predictions -------------------------------------------------------------------


def _series(values: np.ndarray, summary: pd.DataFrame, name: str) -> pd.Series:
    return pd.Series(values, index=summary.index, name=name)


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
    x, t_x, t_obs = _validate_rfm(summary, frequency, recency, T)
    return _series(_prob_alive(fit, x, t_x, t_obs), summary, "prob_alive")


def _expected_purchases(fit: BGNBDFit, t, x, t_x, T) -> np.ndarray:
    """E[X(T, T+t) | x, t_x, T] (FHL 2005, eq. 10), on arrays that broadcast.

    Written with Euler's transformation of the hypergeometric function,
    ``((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)
    = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)`` with ``z = t/(alpha+T+t)``, so the series'
    upper parameters do not grow with x (x = 10,000 is as cheap and exact as x = 1).
    """
    if abs(fit.a - 1.0) < _NEAR_ONE:
        # a = 1 is a removable singularity (0/0): interpolate linearly between a = 1 -+ 2e-5,
        # where the formula is accurate to ~1e-11; the interpolation error is ~1e-10.
        lo, hi = 1.0 - 2 * _NEAR_ONE, 1.0 + 2 * _NEAR_ONE
        at_lo = _expected_purchases(replace(fit, a=lo), t, x, t_x, T)
        at_hi = _expected_purchases(replace(fit, a=hi), t, x, t_x, T)
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
    x, t_x, t_obs = _validate_rfm(summary, frequency, recency, T)
    horizon = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    if np.any(~np.isfinite(horizon) | (horizon < 0)):
        raise ValueError("The horizon t must be finite and non-negative.")
    rows = _compress([x, t_x, t_obs, horizon])  # hyp2f1 once per distinct row
    values = _expected_purchases(fit, rows.column(3), rows.column(0), rows.column(1),
                                 rows.column(2))[rows.inverse]
    return _series(values, summary, "expected_purchases")


# --- holdout ------------------------------------------------------------------------------


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
        :func:`rfm_summary` output with the holdout columns.
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
        :func:`rfm_summary` output with the holdout columns.
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
