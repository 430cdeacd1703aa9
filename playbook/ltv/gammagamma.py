"""Customer lifetime value, the spend side: what each customer's future purchases are worth.

The Gamma-Gamma model of the value of a purchase, and the customer lifetime value that
combines it with the BG/NBD purchase model of :mod:`playbook.ltv.bgnbd`. Table in, table out:

1. :func:`fit_gamma_gamma` -- the customer summary of :func:`playbook.ltv.rfm.rfm_summary`
   (frequency, monetary_value) -> the fitted parameters with standard errors
   (:class:`GammaGammaFit`), by maximum likelihood.
2. Per customer (a Series aligned with the summary's index): :func:`expected_spend`, and
   :func:`clv` -- the discounted margin over a horizon, from both fits.

The model
---------
**Gamma-Gamma** (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves for customer
base analysis", Journal of Marketing Research 42(4); Colombo & Jiang 1999, "A stochastic RFM
model", Journal of Interactive Marketing 13(3)). A customer's purchases are worth
``Gamma(shape p, rate nu)`` with ``nu ~ Gamma(shape q, rate gamma)``, independent of its
purchase process. It is fitted on the customers with repeat purchases, ``x`` = frequency and
``m`` = monetary_value = the mean value of the repeat purchases (the first purchase is left
out: the lifetimes convention)::

    ln f(m | x) = ln G(px+q) - ln G(px) - ln G(q) + q ln(gamma) + (px-1) ln m + px ln x
                  - (px+q) ln(gamma + x m)

The purchases themselves come from **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your
customers the easy way", Marketing Science 24(2)): :func:`clv` uses its expected purchases.

Fitting
-------
As for BG/NBD (:mod:`playbook.ltv.bgnbd`), with the optimiser, standard errors and compression
of equal customers of :mod:`playbook.ltv.likelihood`: BFGS over the logarithms of the
parameters with an analytic gradient, Newton steps on a numerical Hessian, standard errors by
the delta method; equal (x, m) customers are collapsed into one row with a weight, and the
log-gamma terms are computed once per distinct frequency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln

from playbook.errors import DataError
from playbook.ltv.bgnbd import BGNBDFit, expected_purchases_arrays
from playbook.ltv.likelihood import (
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
    customer_series,
    days_per,
    require_columns,
    validate_rfm,
)

__all__ = [
    "GammaGammaFit",
    "fit_gamma_gamma",
    "gamma_gamma_loglik",
    "expected_spend",
    "clv",
]


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma spend model.

    Attributes
    ----------
    p, q, gamma
        Purchase values are ``Gamma(shape p, rate nu)`` with ``nu ~ Gamma(shape q, rate
        gamma)``; ``gamma`` is in the unit of money. The population mean purchase is
        ``p * gamma / (q - 1)`` (finite when ``q > 1``).
    loglik
        Maximised log-likelihood (a density of the mean repeat purchase value).
    se
        Standard errors of ``p``, ``q``, ``gamma``.
    n_customers
        Customers in the fit (those with repeat purchases).
    """

    p: float
    q: float
    gamma: float
    loglik: float
    se: dict[str, float]
    n_customers: int

    @property
    def params(self) -> dict[str, float]:
        """The three parameters as a dict (p, q, gamma)."""
        return {"p": self.p, "q": self.q, "gamma": self.gamma}


def gamma_gamma_loglik(
    params: dict[str, float] | GammaGammaFit,
    frequency: np.ndarray,
    monetary_value: np.ndarray,
) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of the mean repeat purchase value.

    Parameters
    ----------
    params
        ``p``, ``q``, ``gamma`` (a dict or a fit).
    frequency, monetary_value
        Repeat purchases (> 0) and their mean value (> 0) per customer.

    Returns
    -------
    numpy.ndarray
        One log-likelihood per customer.
    """
    prm = params.params if isinstance(params, GammaGammaFit) else params
    x, m = np.asarray(frequency, dtype=float), np.asarray(monetary_value, dtype=float)
    p, q, g = prm["p"], prm["q"], prm["gamma"]
    px = p * x
    # (px-1) ln m + px ln x - (px+q) ln(g+xm) = -ln m - px ln(1 + g/(xm)) - q ln(g+xm)
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) - np.log(m)
            - px * np.log1p(g / (x * m)) - q * np.log(g + x * m))


@dataclass(frozen=True)
class _GammaGammaData:
    """What the Gamma-Gamma likelihood needs, grouped like :class:`playbook.ltv.bgnbd._BGNBDData`.

    Log-gamma terms per distinct x (``x``, ``n_x``), one value per distinct (x, m) row
    (``w``, ``wx`` = w x, ``xm`` = x m), and sums that do not depend on the parameters.
    """

    x: np.ndarray
    n_x: np.ndarray
    w: np.ndarray
    wx: np.ndarray
    xm: np.ndarray
    sum_log_m: float
    sum_log_xm: float
    total: float


def _gamma_gamma_data(distinct: Distinct, weight: np.ndarray | None = None) -> _GammaGammaData:
    (ix, im), w = distinct.weighted(weight)
    x_values, m_values = distinct.values
    x, m = x_values[ix], m_values[im]
    return _GammaGammaData(
        x=x_values, n_x=np.bincount(ix, weights=w, minlength=len(x_values)), w=w, wx=w * x,
        xm=x * m, sum_log_m=dot(w, np.log(m)), sum_log_xm=dot(w, np.log(x * m)),
        total=float(w.sum()),
    )


def _gamma_gamma_objective(theta: np.ndarray, d: _GammaGammaData) -> tuple[float, np.ndarray]:
    """Mean negative log-likelihood and its analytic gradient in log-parameters."""
    p, q, g = np.exp(theta)
    px = p * d.x
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        log1p_g = np.log1p(g / d.xm)      # ln(g + xm) = ln(xm) + log1p_g
        inv = 1.0 / (g + d.xm)
        w_l, wx_l = dot(d.w, log1p_g), dot(d.wx, log1p_g)
        ll = (dot(d.n_x, gammaln(px + q) - gammaln(px)) - d.total * gammaln(q)
              + d.total * q * math.log(g) - d.sum_log_m - p * wx_l - q * w_l - q * d.sum_log_xm)
        dig = digamma(px + q)
        d_p = dot(d.n_x, d.x * (dig - digamma(px))) - wx_l
        d_q = (dot(d.n_x, dig) - d.total * digamma(q) + d.total * math.log(g)
               - d.sum_log_xm - w_l)
        d_g = d.total * q / g - p * dot(d.wx, inv) - q * dot(d.w, inv)
    value = -ll / d.total
    grad = -np.array([p * d_p, q * d_q, g * d_g]) / d.total
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        return np.inf, np.zeros(3)
    return float(value), grad


def fit_gamma_gamma(
    summary: pd.DataFrame,
    *,
    frequency: str = "frequency",
    monetary_value: str = "monetary_value",
) -> GammaGammaFit:
    """Fit the Gamma-Gamma spend model by maximum likelihood on the repeat customers.

    customer summary (frequency, monetary_value) -> :class:`GammaGammaFit`.

    Parameters
    ----------
    summary
        One row per customer, e.g. from :func:`~playbook.ltv.rfm.rfm_summary`; customers with
        frequency 0 are skipped.
    frequency, monetary_value
        Column names: repeat purchases, and the mean value of the repeat purchases.

    Returns
    -------
    GammaGammaFit
        Estimates (``gamma`` in the unit of ``monetary_value``), log-likelihood and SEs.

    Raises
    ------
    DataError
        Fewer than :data:`~playbook.ltv.likelihood.MIN_REPEAT_CUSTOMERS` repeat customers, a
        repeat customer with a non-positive mean value, or no convergence.

    Notes
    -----
    The fit runs on money divided by its mean (so it does not depend on the currency);
    ``gamma`` and its SE are scaled back and the log-likelihood gains ``-n ln(scale)``.
    Starting values: p in 1, 3, 10 and q in 2, 4 with ``gamma = (q - 1) / p`` (a mean of 1
    on that scale), the best refined as in :func:`~playbook.ltv.bgnbd.fit_bgnbd`.
    """
    require_columns(summary, [frequency, monetary_value], "customer summary")
    x_all = pd.to_numeric(summary[frequency], errors="coerce").to_numpy(dtype=float)
    m_all = pd.to_numeric(summary[monetary_value], errors="coerce").to_numpy(dtype=float)
    repeat = np.isfinite(x_all) & (x_all > 0)
    check_repeaters(int(repeat.sum()), "Gamma-Gamma")
    x, m = x_all[repeat], m_all[repeat]
    bad = ~np.isfinite(m) | (m <= 0)
    if bad.any():
        raise DataError(
            f"{int(bad.sum()):,} customers with repeat purchases have a missing or non-positive "
            f"{monetary_value!r}; the spend model needs the mean value of positive purchases. "
            "Leave those customers out of the spend fit, or rebuild the summary with "
            "rfm_summary (by default it counts only positive-net days).", why="bad_spend",
            count=int(bad.sum()))
    scale = float(m.mean())
    distinct = compress([x, m / scale])
    data = _gamma_gamma_data(distinct)
    thinned_weight = thinned(distinct, len(x))
    subsample = None if thinned_weight is None else _gamma_gamma_data(distinct, thinned_weight)
    candidates = [np.log([p0, q0, (q0 - 1.0) / p0]) for p0 in (1.0, 3.0, 10.0) for q0 in (2.0, 4.0)]
    names = ["p", "q", "gamma"]
    theta, hessian, value = maximise(_gamma_gamma_objective, data, candidates, names,
                                     "Gamma-Gamma", subsample)
    se = standard_errors(theta, hessian, data.total, names, "Gamma-Gamma")
    se["gamma"] *= scale
    p, q, g = (float(v) for v in np.exp(theta))
    return GammaGammaFit(p=p, q=q, gamma=g * scale,
                         loglik=float(-value * data.total - data.total * math.log(scale)),
                         se=se, n_customers=len(x))


# --- per-customer predictions ------------------------------------------------------------------


def expected_spend(
    fit: GammaGammaFit,
    summary: pd.DataFrame,
    *,
    frequency: str = "frequency",
    monetary_value: str = "monetary_value",
) -> pd.Series:
    """Predict the value of each customer's future purchases (Gamma-Gamma, FHL 2005b eq. 5).

    ``E[M | x, m] = (q-1)/(px+q-1) * p gamma/(q-1) + px/(px+q-1) * m``: a weighted mean of
    the population mean ``p gamma / (q-1)`` and the customer's own mean ``m``, the weight
    of ``m`` growing with the number of repeat purchases ``x``. Customers without repeats get
    the population mean.

    Parameters
    ----------
    fit
        A Gamma-Gamma fit.
    summary
        One row per customer.
    frequency, monetary_value
        Column names.

    Returns
    -------
    pandas.Series
        ``expected_spend`` in the unit of money, aligned with ``summary``.

    Raises
    ------
    DataError
        ``q <= 1``: the population mean purchase is infinite, so customers without repeats
        have no expected value.
    """
    if fit.q <= 1:
        raise DataError(
            f"The spend model's q = {fit.q:.3g} is not above 1, so the average purchase is not "
            "finite: a few huge purchases dominate. Cap or remove outlying purchases and refit.",
            why="heavy_tail", q=float(fit.q))
    require_columns(summary, [frequency, monetary_value], "customer summary")
    x = pd.to_numeric(summary[frequency], errors="coerce").to_numpy(dtype=float)
    m = pd.to_numeric(summary[monetary_value], errors="coerce").to_numpy(dtype=float)
    m = np.where(x > 0, m, 0.0)
    px = fit.p * x
    values = (fit.p * fit.gamma + px * m) / (px + fit.q - 1.0)
    return customer_series(values, summary, "expected_spend")


def clv(
    bgnbd: BGNBDFit,
    gamma_gamma: GammaGammaFit,
    summary: pd.DataFrame,
    *,
    months: int,
    annual_discount: float,
    margin: float,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    monetary_value: str = "monetary_value",
) -> pd.Series:
    """Compute each customer's discounted margin over the next ``months`` months.

    ``CLV = sum_{m=1..H} margin * E[spend] * (E[X(m)] - E[X(m-1)]) / (1 + d)^m``, where
    ``H = months``, ``E[spend]`` is :func:`expected_spend`, ``E[X(m)]`` is
    :func:`~playbook.ltv.bgnbd.expected_purchases` over ``m`` months (a month is 365.25/12 days,
    converted to the fit's time unit; ``E[X(0)] = 0``), and
    ``d = (1 + annual_discount)^(1/12) - 1`` is the monthly rate equivalent to the annual one.
    Purchases of month m are discounted by a full month m (end-of-month convention).

    Parameters
    ----------
    bgnbd, gamma_gamma
        The fitted purchase and spend models; ``summary`` is in the BG/NBD fit's time unit.
    summary
        One row per customer.
    months
        Horizon H in months (a positive whole number).
    annual_discount
        Annual discount rate, e.g. 0.12 for 12% a year.
    margin
        Share of revenue kept as margin, e.g. 0.25.
    frequency, recency, T, monetary_value
        Column names.

    Returns
    -------
    pandas.Series
        ``clv`` in the unit of money, aligned with ``summary``.
    """
    if int(months) != months or months < 1:
        raise ValueError(f"months must be a positive whole number; got {months!r}.")
    if not annual_discount > -1:
        raise ValueError(f"annual_discount must be above -1; got {annual_discount!r}.")
    if not 0 <= margin <= 1:
        raise ValueError(f"margin is a share of revenue between 0 and 1; got {margin!r}.")
    x, t_x, t_obs = validate_rfm(summary, frequency, recency, T)
    spend = expected_spend(gamma_gamma, summary, frequency=frequency,
                           monetary_value=monetary_value).to_numpy()
    month = DAYS_PER_MONTH / days_per(bgnbd.time_unit)
    monthly = (1.0 + annual_discount) ** (1.0 / 12.0) - 1.0
    rows = compress([x, t_x, t_obs])
    ux, utx, uT = rows.column(0), rows.column(1), rows.column(2)
    discounted = np.zeros(len(ux))
    previous = np.zeros(len(ux))  # E[X(0)] = 0
    for m in range(1, int(months) + 1):
        current = expected_purchases_arrays(bgnbd, m * month, ux, utx, uT)
        discounted += (current - previous) / (1.0 + monthly) ** m
        previous = current
    return customer_series(margin * spend * discounted[rows.inverse], summary, "clv")

