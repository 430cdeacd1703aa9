"""The competitor scored against us: a weighted comparison factor by factor, and what to
lead the win-back call with.

Each factor of the profile (price, quality, delivery...) has a weight (how much it matters
to customers, as the client's staff judge it) and a score from 1 (weak) to 5 (strong) for
us and for the competitor. The weights are normalised to sum to 1; the weighted score of a
side is the sum of weight share x score (1 to 5), so the two are comparable across
competitors. A factor where they score higher is their strength (our weakness), where we
do, our strength (their weakness); the factors to lead with are our strengths with the
largest weighted lead. Opportunities and threats (external) are scored the same way, weight
share x strength. Where the annual survey compares us with other suppliers on a factor
(1 much worse .. 5 much better), the answers of customers who name a competitor score it,
with their number. Tables in, tables out; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from playbook.winback.candidates import match_competitor

__all__ = ["SURVEY_FACTORS", "RANDOM_INDEX", "CR_ACCEPTABLE", "ahp_weights", "factor_table",
           "weighted_scores", "lead_factors", "external_score", "survey_factor_scores"]

#: Saaty's random consistency index by the number of factors compared (Saaty 1980).
RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
                10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}
#: A consistency ratio below this is acceptable (Saaty's 10% rule).
CR_ACCEPTABLE = 0.10

#: The annual survey's comparison questions (templates/surveys/annual.yaml), by factor.
SURVEY_FACTORS = {"price": "compare_price", "quality": "compare_quality",
                  "delivery": "compare_delivery", "service": "compare_service"}


def ahp_weights(factors: Sequence[str], pairs: Sequence[Mapping]) -> dict:
    """Weights of ``factors`` from pairwise comparisons (Saaty's analytic hierarchy process).

    ``pairs``: {more, less, ratio}: factor ``more`` matters ``ratio`` times as much as
    ``less`` (1 equal, 3 moderately, 5 strongly, 7 very strongly, 9 extremely more), every
    pair of factors once. The weights are the principal eigenvector of the reciprocal matrix,
    scaled to sum to 1; the consistency index is CI = (lambda_max - n) / (n - 1) and the
    consistency ratio CR = CI / RI(n) (:data:`RANDOM_INDEX`), acceptable below
    :data:`CR_ACCEPTABLE`.

    Returns {weights: {factor: weight}, lambda_max, ci, cr (None for n <= 2),
    consistent (bool)}.

    Raises
    ------
    ValueError
        A factor unknown, a pair given twice or missing, or more factors than the index has.
    """
    names = list(factors)
    n = len(names)
    if n > max(RANDOM_INDEX):
        raise ValueError(f"pairwise weights take at most {max(RANDOM_INDEX)} factors, got {n}")
    where = {name: i for i, name in enumerate(names)}
    matrix = np.ones((n, n))
    seen: set[frozenset] = set()
    for pair in pairs:
        a, b, ratio = pair["more"], pair["less"], float(pair["ratio"])
        for side in (a, b):
            if side not in where:
                raise ValueError(f"the pair {a!r} / {b!r} names {side!r}, which is not one of "
                                 f"the factors ({', '.join(names)})")
        key = frozenset((a, b))
        if a == b or key in seen:
            raise ValueError(f"the pair {a!r} / {b!r} is given twice or compares a factor "
                             "with itself")
        seen.add(key)
        matrix[where[a], where[b]], matrix[where[b], where[a]] = ratio, 1 / ratio
    missing = [(x, y) for i, x in enumerate(names) for y in names[i + 1:]
               if frozenset((x, y)) not in seen]
    if missing:
        x, y = missing[0]
        raise ValueError(f"the pair {x!r} / {y!r} is not compared ({len(missing)} of the "
                         f"{n * (n - 1) // 2} pairs missing: every pair of factors once)")
    values, vectors = np.linalg.eig(matrix)
    top = int(np.argmax(values.real))
    vector = np.abs(vectors[:, top].real)
    weights = vector / vector.sum()
    lam = float(values[top].real)
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    cr = ci / RANDOM_INDEX[n] if RANDOM_INDEX.get(n) else None
    return {"weights": {name: float(w) for name, w in zip(names, weights, strict=True)},
            "lambda_max": lam, "ci": ci, "cr": cr,
            "consistent": cr is None or cr < CR_ACCEPTABLE}


def factor_table(factors: Sequence[Mapping]) -> pd.DataFrame:
    """Profile factors -> factor, weight, weight_share, us, them, gap, weighted_gap, evidence.

    ``weight_share`` = weight / total weight; ``gap`` = us - them; ``weighted_gap`` =
    weight_share x gap (positive: our lead). Sorted by weighted_gap, our strengths first.
    """
    frame = pd.DataFrame(list(factors), columns=["factor", "weight", "us", "them", "evidence"])
    if frame.empty:
        return frame.assign(weight_share=[], gap=[], weighted_gap=[])[
            ["factor", "weight", "weight_share", "us", "them", "gap", "weighted_gap",
             "evidence"]]
    frame = frame.astype({"weight": float, "us": float, "them": float})
    frame["weight_share"] = frame["weight"] / frame["weight"].sum()
    frame["gap"] = frame["us"] - frame["them"]
    frame["weighted_gap"] = frame["weight_share"] * frame["gap"]
    frame = frame.sort_values("weighted_gap", ascending=False, kind="mergesort")
    return frame[["factor", "weight", "weight_share", "us", "them", "gap", "weighted_gap",
                  "evidence"]].reset_index(drop=True)


def weighted_scores(table: pd.DataFrame) -> tuple[float | None, float | None]:
    """(ours, theirs): the sum of weight share x score over the factors (1 to 5)."""
    if table.empty:
        return None, None
    return (float((table["weight_share"] * table["us"]).sum()),
            float((table["weight_share"] * table["them"]).sum()))


def lead_factors(table: pd.DataFrame, most: int = 3) -> list[str]:
    """Our strengths with the largest weighted lead (at most ``most``), best first."""
    ahead = table[table["weighted_gap"] > 0]
    return ahead["factor"].head(most).tolist()


def external_score(items: Sequence[Mapping]) -> float | None:
    """Opportunities or threats -> the sum of weight share x strength (1 to 5), or None."""
    if not items:
        return None
    weights = np.array([float(i["weight"]) for i in items])
    scores = np.array([float(i["score"]) for i in items])
    return float((weights / weights.sum() * scores).sum())


def survey_factor_scores(annual: pd.DataFrame | None, competitors: Sequence[Mapping], *,
                         named: str = "main_competitor") -> pd.DataFrame:
    """Annual answers -> competitor, factor, n, mean, worse_share.

    For each competitor of the profile, the answers whose ``named`` supplier is that
    competitor (:func:`playbook.winback.candidates.match_competitor`): per comparison
    question answered, ``n`` answers, their ``mean`` (1 much worse than other suppliers,
    3 the same, 5 much better) and the share rating us worse (1 or 2). Empty when the
    survey has no comparison questions or no one names a profile competitor.
    """
    columns = ["competitor", "factor", "n", "mean", "worse_share"]
    if annual is None or annual.empty or named not in annual:
        return pd.DataFrame(columns=columns)
    asked = {f: q for f, q in SURVEY_FACTORS.items() if q in annual}
    if not asked:
        return pd.DataFrame(columns=columns)
    who = annual[named].map(lambda t: match_competitor(t, competitors))
    rows = []
    for comp in competitors:
        answers = annual[who == comp["name"]]
        for factor, question in asked.items():
            values = pd.to_numeric(answers[question], errors="coerce").dropna()
            if len(values):
                rows.append((comp["name"], factor, len(values), float(values.mean()),
                             float((values <= 2).mean())))
    return pd.DataFrame(rows, columns=columns).astype({"n": "int64"})
