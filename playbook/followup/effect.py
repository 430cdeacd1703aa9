"""The calls' effect: customers whose call was made against comparable customers without one.

:func:`stratified_effect` compares the share who bought again among customers whose task was
done with the share among customers on the same lists whose task was not, within strata
(list, segment, value band), and pools the strata's differences with Mantel-Haenszel
weights; the interval is a stratified bootstrap. It is an observational comparison, not a
randomised trial: managers chose whom to call and when, so the difference is the calls'
effect only if, within a stratum, the customers called would have bought again as often as
those not called had no one called (no unmeasured selection). With fewer than
:data:`MIN_GROUP` customers on either side the numbers are too small to tell.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

__all__ = ["Effect", "MIN_GROUP", "BOOTSTRAP", "stratified_effect"]

#: Fewer customers than this called, or compared with, and the effect is not judged: a
#: difference of 10 points between two groups of 30 is within chance (its 95% interval is
#: about ±25 points).
MIN_GROUP = 30
#: Bootstrap replicates of the interval.
BOOTSTRAP = 2000


@dataclass
class Effect:
    """The calls' effect on the share of customers who bought again (shares 0..1)."""

    #: the pooled difference (called minus not called), percentage points as a share
    lift: float | None
    ci_low: float | None
    ci_high: float | None
    #: customers called, and customers not called, in strata holding both
    n_done: int
    n_compared: int
    #: the share who bought again among those called, and the comparison's share weighted
    #: to the called customers' strata
    share_done: float | None
    share_compared: float | None
    strata: int
    level: float
    too_small: bool

    @property
    def verdict(self) -> str:
        """``too_small``, ``positive``, ``negative`` or ``unclear`` (the interval holds 0)."""
        if self.too_small or self.lift is None:
            return "too_small"
        if self.ci_low > 0:
            return "positive"
        return "negative" if self.ci_high < 0 else "unclear"

    def results(self) -> dict:
        """What ``tasks.effect`` records (see docs/results.md)."""
        return asdict(self) | {"verdict": self.verdict}


def stratified_effect(frame: pd.DataFrame, *, treated: str = "treated",
                      outcome: str = "bought", strata: tuple[str, ...] = ("list", "segment",
                                                                          "value_band"),
                      level: float = 0.95, replicates: int = BOOTSTRAP,
                      seed: int = 13) -> Effect:
    r"""The Mantel-Haenszel risk difference of ``outcome`` between treated and untreated
    customers within ``strata``, with a stratified bootstrap interval.

    Parameters
    ----------
    frame
        One row per customer: ``treated`` (bool), ``outcome`` (bool) and the ``strata``
        columns (a missing value is a stratum of its own).
    level
        The interval's coverage.
    replicates, seed
        The bootstrap's replicates and its generator's seed (the result is reproducible).

    Returns
    -------
    Effect
        Strata with customers on one side only are left out (nothing to compare within).

    Notes
    -----
    Stratum *s* has :math:`n_1` customers called of whom :math:`a` bought again and
    :math:`n_0` not called of whom :math:`c` did; with :math:`w_s = n_1 n_0 / (n_1 + n_0)`
    the pooled difference is :math:`\sum_s w_s (a/n_1 - c/n_0) / \sum_s w_s` (Greenland &
    Robins 1985). The bootstrap redraws each side of each stratum (binomially, which is
    resampling binary outcomes) and takes the percentile interval.
    """
    keys = list(strata)
    data = frame[[treated, outcome, *keys]].copy()
    for key in keys:
        data[key] = data[key].astype("object").where(data[key].notna(), "?").astype(str)
    data[treated] = data[treated].astype(bool)
    data[outcome] = data[outcome].astype(bool)
    table = data.groupby([*keys, treated])[outcome].agg(["size", "sum"]).unstack(treated)
    table = table.fillna(0)
    if (True not in table["size"].columns) or (False not in table["size"].columns):
        return _empty(level, int(data[treated].sum()), int((~data[treated]).sum()))
    n1, a = table["size"][True].to_numpy(float), table["sum"][True].to_numpy(float)
    n0, c = table["size"][False].to_numpy(float), table["sum"][False].to_numpy(float)
    both = (n1 > 0) & (n0 > 0)
    n1, a, n0, c = n1[both], a[both], n0[both], c[both]
    n_done, n_compared = int(n1.sum()), int(n0.sum())
    if not both.any():
        return _empty(level, int(data[treated].sum()), int((~data[treated]).sum()))
    w = n1 * n0 / (n1 + n0)
    p1, p0 = a / n1, c / n0
    lift = float(np.sum(w * (p1 - p0)) / w.sum())
    rng = np.random.default_rng(seed)
    b1 = rng.binomial(n1.astype(np.int64), p1, size=(replicates, len(n1))) / n1
    b0 = rng.binomial(n0.astype(np.int64), p0, size=(replicates, len(n0))) / n0
    boot = (b1 - b0) @ w / w.sum()
    tail = (1 - level) / 2
    low, high = np.quantile(boot, [tail, 1 - tail])
    return Effect(lift=lift, ci_low=float(low), ci_high=float(high), n_done=n_done,
                  n_compared=n_compared, share_done=float(a.sum() / n1.sum()),
                  share_compared=float(np.sum(n1 * p0) / n1.sum()), strata=int(both.sum()),
                  level=level, too_small=min(n_done, n_compared) < MIN_GROUP)


def _empty(level: float, n_done: int, n_compared: int) -> Effect:
    return Effect(lift=None, ci_low=None, ci_high=None, n_done=n_done, n_compared=n_compared,
                  share_done=None, share_compared=None, strata=0, level=level,
                  too_small=True)
