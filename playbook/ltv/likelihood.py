"""Maximum-likelihood machinery shared by the BG/NBD and Gamma-Gamma fits.

:func:`playbook.ltv.bgnbd.fit_bgnbd` and :func:`playbook.ltv.gammagamma.fit_gamma_gamma` each
supply a mean negative log-likelihood with its analytic gradient, on their data grouped by
distinct values; this module compresses the customers, finds the optimum and computes the
standard errors.

Fitting
-------
Both fits maximise the log-likelihood over the logarithms of the parameters (so they stay
positive; an estimate that runs off by a factor of e**18 is reported as not converged) with
BFGS and an analytic gradient, then polish with Newton steps on a numerical Hessian (central
differences of the analytic gradient): :func:`maximise`. Standard errors come from the
inverse of that Hessian (the observed information) by the delta method:
``se(theta) = theta * se(ln theta)`` (:func:`standard_errors`).

Speed comes from evaluating each part of the likelihood on as few values as it depends on,
all exact: equal customers are collapsed into one row with a weight (:func:`compress`), and
each model computes its terms once per distinct value they depend on (see
:mod:`playbook.ltv.bgnbd` and :mod:`playbook.ltv.gammagamma`). Above ~100,000 customers the
optimiser is first run on a random 50,000 of them (:func:`thinned`), so the run on all data
starts next to the optimum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from playbook.errors import DataError

__all__ = [
    "MIN_REPEAT_CUSTOMERS",
    "Distinct",
    "compress",
    "dot",
    "thinned",
    "check_repeaters",
    "maximise",
    "standard_errors",
]

#: Fewest customers with a repeat purchase that a fit accepts.
MIN_REPEAT_CUSTOMERS = 20

# An estimate more than a factor e**_LOG_BOX (6.6e7) away from its starting value has run
# off towards 0 or infinity: it is not a finite optimum (the parameters' bounds, in effect).
_LOG_BOX = 18.0
# A standard error above this multiple of its estimate: the parameter is not identified.
_MAX_RELATIVE_SE = 10.0


# --- compression -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Distinct:
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

        ``weight`` (e.g. a subsample's, from :func:`thinned`) replaces the rows' own weights.
        """
        w = self.weight if weight is None else weight
        keep = w > 0
        return [c[keep] for c in self.codes], w[keep]


def compress(columns: list[np.ndarray], weights: np.ndarray | None = None) -> Distinct:
    """Collapse equal rows of ``columns`` into one row with a weight (exact for likelihoods).

    Each column is hashed to codes once; a row's key packs its codes into one integer,
    which is hashed again to find the distinct rows.

    Parameters
    ----------
    columns
        Equally long columns (as floats), e.g. frequency, recency and T per customer.
    weights
        A weight per row; 1 each when None.

    Returns
    -------
    Distinct
        The distinct rows, their weights, and the map from every row to its distinct row.
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
    return Distinct(values, [np.asarray(c, dtype=np.int64) for c in row_codes], weight, inverse)


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """Sum of ``a * b``, single-threaded (BLAS threads cost more than they save here).

    Parameters
    ----------
    a, b
        Equally long one-dimensional arrays.

    Returns
    -------
    float
        Their inner product.
    """
    return float(np.einsum("i,i->", a, b))


def thinned(distinct: Distinct, n_repeat: int) -> np.ndarray | None:
    """Weights of a random subsample of about 50,000 customers, or None if not worth it.

    Each customer is kept with the same probability (binomial thinning of the weights), so
    the subsample is a fair sample of the customers; at least 2,000 repeat customers are
    kept. A fixed seed keeps fits reproducible.

    Parameters
    ----------
    distinct
        The compressed customers; their weights are whole numbers of customers.
    n_repeat
        Customers with a repeat purchase among them.

    Returns
    -------
    numpy.ndarray or None
        A new weight per distinct row (for :meth:`Distinct.weighted`), or None when the
        subsample would hold half the customers or more.
    """
    total = distinct.weight.sum()
    share = max(50_000 / total, 2_000 / max(n_repeat, 1))
    if share >= 0.5:
        return None
    rng = np.random.default_rng(20050101)
    return rng.binomial(np.round(distinct.weight).astype(np.int64), share).astype(float)


# --- maximum likelihood ----------------------------------------------------------------------


def check_repeaters(n_repeat: int, model: str) -> None:
    """Check that a fit has enough customers with a repeat purchase.

    Parameters
    ----------
    n_repeat
        Customers with a repeat purchase in the calibration period.
    model
        The model's name, for the message (e.g. ``"BG/NBD"``).

    Raises
    ------
    DataError
        Fewer than :data:`MIN_REPEAT_CUSTOMERS`.
    """
    if n_repeat < MIN_REPEAT_CUSTOMERS:
        raise DataError(
            f"Only {n_repeat} customers have a repeat purchase in the calibration period; the "
            f"{model} model needs at least {MIN_REPEAT_CUSTOMERS}. Use a later calibration end, "
            "a longer period or more customers, or report simple repeat rates instead.",
            why="few_repeat", model=model, count=n_repeat, needed=MIN_REPEAT_CUSTOMERS)


def _bfgs(objective, theta, data):
    # BFGS, not L-BFGS-B: with 3-4 parameters the Python BFGS is cheap, while L-BFGS-B's
    # compiled core calls multi-threaded BLAS on tiny vectors, which on a busy machine costs
    # more than the likelihood itself. gtol is loose: the Newton steps finish the job.
    return minimize(objective, theta, args=(data,), jac=True, method="BFGS",
                    options={"maxiter": 1000, "gtol": 1e-6}).x


def maximise(objective, data, candidates, names, model, subsample=None):
    """Minimise a mean NLL over log-parameters; return theta, its Hessian and the minimum.

    The best of the starting ``candidates`` (judged on the subsample when there is one) is
    refined by BFGS on the subsample, then on all data; then Newton steps with a numerical
    Hessian take it to the exact optimum (a few more digits, cheaply).

    Parameters
    ----------
    objective
        ``objective(theta, data) -> (mean NLL, gradient in theta)``; ``(inf, zeros)`` where
        it is not finite.
    data
        The model's grouped data, passed to ``objective``.
    candidates
        Starting values of theta (the logarithms of the parameters).
    names
        The parameters' names, in the order of theta.
    model
        The model's name, for messages (e.g. ``"BG/NBD"``).
    subsample
        The grouped data of a subsample (see :func:`thinned`) for a warm start, or None.

    Returns
    -------
    tuple
        ``theta`` at the optimum, the Hessian of the mean NLL there, and the minimum.

    Raises
    ------
    DataError
        The log-likelihood is not finite at the estimate, or the fit does not converge: a
        parameter runs off by more than a factor e**18 from its start, the Hessian is not
        positive definite, or the gradient there is not near zero.
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
                        "estimate. Check the summary for extreme values.", why="not_finite",
                        model=model)
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
            "longer calibration period or more customers, and check the summary.",
            why="not_converged", model=model)
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


def standard_errors(theta, hessian_mean, total, names, model):
    """SEs of exp(theta) from the Hessian of the mean NLL in theta (delta method).

    A standard error more than :data:`_MAX_RELATIVE_SE` times its estimate means the data
    do not determine the parameter even to within orders of magnitude (typically the
    likelihood flattens out towards 0 or infinity): that is an error, not a fit to report.
    Merely imprecise estimates (a small client) are returned with their SEs.

    Parameters
    ----------
    theta
        The logarithms of the estimates.
    hessian_mean
        The Hessian of the mean NLL at ``theta`` (positive definite, from :func:`maximise`).
    total
        The number (total weight) of customers the mean is over.
    names
        The parameters' names, in the order of theta.
    model
        The model's name, for the message.

    Returns
    -------
    dict
        The standard error of each parameter (not of its logarithm), by name.

    Raises
    ------
    DataError
        A standard error is over :data:`_MAX_RELATIVE_SE` times its estimate.
    """
    cov = np.linalg.inv(hessian_mean * total)  # positive definite: checked by maximise
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
            "calibration period or more customers, or report simple repeat rates instead.",
            why="not_identified", model=model)
    return se
