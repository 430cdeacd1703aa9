"""The purchase process: BG/NBD purchases and Gamma-Gamma purchase values, simulated.

:func:`simulate_bgnbd` draws when each customer buys (Fader, Hardie & Lee 2005, time in any
unit) and :func:`simulate_spend` what each purchase is worth. Both take the parameters and a
random generator and nothing else, so tests and benchmarks can simulate any population; the
demo client's true parameters are :data:`playbook.demo.settings.TRUE_PARAMS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["simulate_bgnbd", "simulate_spend"]


def simulate_bgnbd(
    n_customers: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    birth_weeks: float | np.ndarray,
    horizon_weeks: float,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Simulate purchases by the BG/NBD process (Fader, Hardie & Lee 2005).

    Each customer makes a first purchase at its birth, then, while alive, repeat purchases
    as a Poisson process with rate ``lambda ~ Gamma(shape r, rate alpha)``; after each
    repeat purchase it drops out for good with probability ``p ~ Beta(a, b)``.

    Parameters
    ----------
    n_customers
        Number of customers.
    r, alpha
        Shape and rate of the purchase-rate distribution (rate in purchases per week).
    a, b
        Parameters of the Beta distribution of the dropout probability.
    birth_weeks
        Time of each customer's first purchase, in weeks since the start (a scalar or an
        array of length ``n_customers``).
    horizon_weeks
        End of observation, in weeks since the start; every birth must be before it.
    rng
        The random generator.

    Returns
    -------
    pandas.DataFrame
        One row per purchase in ``[birth, horizon)``, sorted by customer then time:
        ``customer`` (0..n_customers-1), ``t_weeks`` (weeks since the start) and
        ``purchase_no`` (0 for the first purchase, k for the k-th repeat purchase).

    Notes
    -----
    Vectorised without a loop over purchases: a customer sees ``N ~ Poisson(lambda T)``
    events of its Poisson process in its window ``T`` and would drop out after the
    ``K ~ Geometric(p)``-th, so it makes ``M = min(N, K)`` repeat purchases; their times are
    the first ``M`` order statistics of ``N`` uniforms on the window, drawn as partial sums
    of exponentials over their total (the total of the remaining ``N + 1 - M`` exponentials
    is one Gamma draw).
    """
    for label, value in (("r", r), ("alpha", alpha), ("a", a), ("b", b)):
        if not value > 0:
            raise ValueError(f"BG/NBD parameter {label} must be positive, got {value!r}.")
    birth = np.broadcast_to(np.asarray(birth_weeks, dtype=float), (n_customers,))
    window = horizon_weeks - birth
    if np.any(window <= 0):
        raise ValueError("Every birth must come before horizon_weeks.")

    lam = rng.gamma(r, 1.0 / alpha, size=n_customers)
    p = np.maximum(rng.beta(a, b, size=n_customers), np.finfo(float).tiny)
    n_window = rng.poisson(lam * window)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        # Geometric(p) on 1, 2, ... by inversion; stays finite-or-inf for p near 0 or 1
        k_drop = np.floor(np.log1p(-rng.random(n_customers)) / np.log1p(-p)) + 1.0
    n_repeat = np.minimum(n_window, k_drop).astype(np.int64)

    total = int(n_repeat.sum())
    owner = np.repeat(np.arange(n_customers), n_repeat)
    starts = np.cumsum(n_repeat) - n_repeat
    prefix = np.concatenate(([0.0], np.cumsum(rng.exponential(size=total))))
    partial = prefix[1:] - prefix[starts][owner]          # S_1..S_M within each customer
    rest = rng.gamma(n_window - n_repeat + 1.0)           # sum of the other N + 1 - M
    denominator = prefix[starts + n_repeat] - prefix[starts] + rest
    t_repeat = birth[owner] + window[owner] * partial / denominator[owner]
    number = np.arange(total) - starts[owner] + 1

    customer = np.concatenate((np.arange(n_customers), owner))
    t_weeks = np.concatenate((birth, t_repeat))
    purchase_no = np.concatenate((np.zeros(n_customers, dtype=np.int64), number))
    order = np.lexsort((purchase_no, customer))
    return pd.DataFrame({
        "customer": customer[order],
        "t_weeks": t_weeks[order],
        "purchase_no": purchase_no[order],
    })


def simulate_spend(
    customer: np.ndarray,
    *,
    p: float,
    q: float,
    gamma: float,
    rng: np.random.Generator,
    n_customers: int | None = None,
) -> np.ndarray:
    """Simulate purchase values by the Gamma-Gamma model (Fader, Hardie & Lee 2005).

    Each customer has a scale ``nu ~ Gamma(shape q, rate gamma)``; each of its purchases is
    worth ``Gamma(shape p, rate nu)``, so the population mean is ``p * gamma / (q - 1)``.

    Parameters
    ----------
    customer
        Customer index (0..n_customers-1) of each purchase.
    p, q, gamma
        The Gamma-Gamma parameters (``gamma`` in the unit of money).
    rng
        The random generator.
    n_customers
        Number of customers (default: ``customer.max() + 1``).

    Returns
    -------
    numpy.ndarray
        The value of each purchase, in the order of ``customer``.
    """
    customer = np.asarray(customer, dtype=np.int64)
    if n_customers is None:
        n_customers = int(customer.max()) + 1 if customer.size else 0
    nu = rng.gamma(q, 1.0 / gamma, size=n_customers)
    return rng.gamma(p, 1.0 / nu[customer])
