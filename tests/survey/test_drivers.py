"""Tests of the key-driver analysis on simulated ratings with known effects, checked against
statsmodels and by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook.errors import DataError
from playbook.survey import drivers


def _driver_data(n: int = 800, seed: int = 5) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    x = {f"x{j}": np.rint(3 + 0.6 * common + rng.normal(size=n)) for j in range(4)}
    coefs = {"x0": 0.8, "x1": 0.4, "x2": 0.1, "x3": 0.0}
    y = 1 + sum(coefs[k] * v for k, v in x.items()) + rng.normal(size=n)
    return pd.DataFrame(x | {"y": y, "rating": np.clip(np.rint(y), 1, 10)}), coefs


def test_driver_regression_matches_ols():
    frame, _ = _driver_data()
    out = drivers.driver_regression(frame, outcome="y", attributes=["x0", "x1", "x2", "x3"])
    fit = sm.OLS(frame["y"], sm.add_constant(frame[["x0", "x1", "x2", "x3"]])).fit()
    np.testing.assert_allclose(out["coef"], fit.params.iloc[1:])
    np.testing.assert_allclose(out["se"], fit.bse.iloc[1:])
    assert out.attrs["r_squared"] == pytest.approx(fit.rsquared)
    assert out.attrs["n"] == len(frame)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_shapley_importances_sum_to_r_squared(seed):
    frame, _ = _driver_data(seed=seed)
    frame.loc[frame.index[::10], "x1"] = np.nan  # listwise deletion
    attributes = ["x0", "x1", "x2", "x3"]
    out = drivers.shapley_r2(frame, outcome="y", attributes=attributes)
    complete = frame.dropna()
    r2 = sm.OLS(complete["y"], sm.add_constant(complete[attributes])).fit().rsquared
    assert out["importance"].sum() == pytest.approx(r2, abs=1e-12)
    assert out["share"].sum() == pytest.approx(1.0)
    assert out.attrs["r_squared"] == pytest.approx(r2)
    assert (out["importance"] > -1e-12).all()
    # order of the attributes does not matter
    backwards = drivers.shapley_r2(frame, outcome="y", attributes=attributes[::-1])
    np.testing.assert_allclose(backwards.set_index("attribute").loc[attributes, "importance"],
                               out["importance"], atol=1e-12)


def test_shapley_two_predictors_by_hand():
    frame, _ = _driver_data()

    def r2(cols):
        return sm.OLS(frame["y"], sm.add_constant(frame[cols])).fit().rsquared

    out = drivers.shapley_r2(frame, outcome="y", attributes=["x0", "x1"])
    assert out["importance"].iloc[0] == pytest.approx(
        0.5 * (r2(["x0"]) + r2(["x0", "x1"]) - r2(["x1"])))


def test_shapley_refuses_too_many_attributes():
    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 17)),
                         columns=[f"a{i}" for i in range(17)])
    with pytest.raises(DataError, match="at most 15"):
        drivers.shapley_r2(frame, outcome="a0", attributes=[f"a{i}" for i in range(1, 17)])


def test_ordered_logit_recovers_a_known_effect():
    rng = np.random.default_rng(11)
    n = 1500
    frame = pd.DataFrame({"a": rng.integers(1, 6, n).astype(float),
                          "b": rng.integers(1, 6, n).astype(float)})
    latent = 1.0 * frame["a"] + 0.0 * frame["b"] + rng.logistic(size=n)
    frame["y"] = np.digitize(latent, [2.5, 3.5, 4.5, 5.5]) + 1
    out = drivers.ordered_logit_drivers(frame, outcome="y", attributes=["a", "b"])
    assert out.attrs["converged"]
    assert out.loc[0, "coef"] == pytest.approx(1.0, abs=0.12)
    assert abs(out.loc[1, "coef"]) < 0.12


def test_key_drivers_table():
    frame, coefs = _driver_data()
    out = drivers.key_drivers(frame, outcome="rating", attributes=list(coefs))
    assert out["attribute"].tolist()[:2] == ["x0", "x1"]       # most important first
    assert out["rank"].tolist() == [1, 2, 3, 4]
    assert out["importance"].sum() == pytest.approx(out.attrs["r_squared"])
    assert out.loc[out["attribute"] == "x0", "mean"].item() == pytest.approx(frame["x0"].mean())
    assert out.loc[:1, "agree"].all()
    with pytest.raises(DataError, match="also listed among the attributes"):
        drivers.key_drivers(frame, outcome="y", attributes=["y", "x0"])
    with pytest.raises(DataError, match="ordered_check=False"):
        drivers.key_drivers(frame, outcome="y", attributes=list(coefs))
    plain = drivers.key_drivers(frame, outcome="y", attributes=list(coefs), ordered_check=False)
    assert plain["ologit_coef"].isna().all()


def test_importance_performance_quadrants():
    table = pd.DataFrame({"attribute": ["a", "b", "c", "d"],
                          "importance": [0.30, 0.20, 0.05, 0.05],
                          "mean": [3.0, 4.5, 4.4, 3.1]})
    out = drivers.importance_performance(table, lang="en")
    # without a target: the average importance 0.15 and the average performance 3.75
    assert out["target"].tolist() == [3.75] * 4
    assert out["quadrant"].tolist() == ["fix_first", "keep_up", "maintain", "improve_next"]
    assert out["label"].tolist() == ["Fix first", "Keep up", "Maintain, no more effort",
                                     "Improve next"]
    ru = drivers.importance_performance(table, lang="ru")
    assert ru["label"].iloc[0] == "Исправить в первую очередь"
    assert set(drivers.QUADRANTS) == {"fix_first", "keep_up", "improve_next", "maintain"}


def test_the_grid_splits_performance_at_the_target():
    """Rated below the target: never left alone, however little it matters."""
    table = pd.DataFrame({"attribute": ["a", "b", "c", "d", "e"],
                          "importance": [0.30, 0.30, 0.05, 0.05, 0.30],
                          "mean": [3.9, 4.2, 3.95, 4.6, 4.0]})
    out = drivers.importance_performance(table, target=4.0, lang="en")
    assert out["quadrant"].tolist() == ["fix_first", "keep_up", "improve_next", "maintain",
                                        "keep_up"]  # exactly on target counts as on target
    per_row = drivers.importance_performance(table, target=[4.0, 4.5, 3.0, 4.0, 4.0],
                                             lang="en")
    assert per_row["quadrant"].tolist()[:3] == ["fix_first", "fix_first", "maintain"]


def test_an_area_customers_left_over_is_never_maintain():
    table = pd.DataFrame({"attribute": ["a", "b", "c"], "importance": [0.5, 0.05, 0.05],
                          "mean": [4.5, 4.5, 3.0]})
    out = drivers.importance_performance(table, target=4.0, named={"b": 3, "c": 2},
                                         lang="en")
    assert out["named"].tolist() == [0, 3, 2]
    assert out["quadrant"].tolist() == ["keep_up", "keep_up", "improve_next"]
    plain = drivers.importance_performance(table, target=4.0, lang="en")
    assert plain["quadrant"].tolist()[1] == "maintain"


@settings(max_examples=60)
@given(st.lists(st.tuples(st.floats(0.001, 1), st.floats(1, 5)), min_size=2, max_size=12),
       st.floats(1, 5))
def test_below_target_is_never_maintain(rows, target):
    table = pd.DataFrame({"attribute": [f"a{i}" for i in range(len(rows))],
                          "importance": [r[0] for r in rows], "mean": [r[1] for r in rows]})
    out = drivers.importance_performance(table, target=target, lang="en")
    below = out["mean"] < target - 1e-12  # the grid forgives rounding noise
    assert set(out.loc[below, "quadrant"]) <= {"fix_first", "improve_next"}
    assert set(out.loc[~below, "quadrant"]) <= {"keep_up", "maintain"}
