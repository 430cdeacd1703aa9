"""The per-manager table, matching, outcomes and the effect estimator, on hand-made frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from playbook.followup import analysis as fa
from playbook.followup.effect import MIN_GROUP, stratified_effect

AS_OF = dt.date(2026, 10, 31)


def _tasks(rows):
    frame = pd.DataFrame(rows, columns=["manager", "customer_id", "list", "status", "due_date",
                                        "given"])
    frame["due_date"] = pd.to_datetime(frame["due_date"])
    frame["given"] = pd.to_datetime(frame["given"])
    for col, value in (("segment", "s"), ("value_band", "A"), ("file", "f.xlsx"),
                       ("sheet", "Звонки")):
        frame[col] = value
    frame["row"] = range(2, len(frame) + 2)
    return frame


TASKS = _tasks([
    ("Анна", "К-1", "calls", "done", "2026-08-10", "2026-08-03"),
    ("Анна", "К-2", "calls", "won_back", "2026-08-10", "2026-08-03"),
    ("Анна", "К-3", "calls", "todo", "2026-08-10", "2026-08-03"),       # overdue
    ("Анна", "К-4", "winback", "no_answer", "2026-11-30", "2026-08-03"),  # not yet due
    ("Борис", "К-5", "calls", "refused", "2026-08-10", "2026-08-03"),   # closed, not overdue
    ("Борис", "К-6", "calls", "no_answer", "2026-08-10", "2026-08-03"),  # overdue
])


def test_manager_table_by_hand():
    table = fa.manager_table(TASKS, AS_OF)
    expected = pd.DataFrame({
        "manager": ["Анна", "Борис"], "given": [4, 2], "done": [2, 0],
        "done_share": [0.5, 0.0], "overdue": [1, 1], "n_todo": [1, 0], "n_done": [1, 0],
        "n_no_answer": [1, 1], "n_refused": [0, 1], "n_won_back": [1, 0]})
    assert_frame_equal(table, expected, check_dtype=False)
    assert fa.manager_results(table)["Борис"] == {
        "given": 2, "done": 0, "overdue": 1,
        "outcomes": {"todo": 0, "done": 0, "no_answer": 1, "refused": 1, "won_back": 0}}


def test_manager_table_of_nothing():
    table = fa.manager_table(TASKS.iloc[:0], AS_OF)
    assert table.empty and "overdue" in table.columns


def test_match_customers_trims_and_mends_leading_zeros():
    tasks = pd.DataFrame({"customer_id": [" К-1 ", "42", "К-9", "7"]})
    known = pd.Series(["К-1", "00042", "7"])
    out = fa.match_customers(tasks, known)
    assert out["customer_id"].tolist() == ["К-1", "00042", "К-9", "7"]
    assert out["known"].tolist() == [True, True, False, True]


def test_customer_outcomes_buying_after_the_handover_only():
    tasks = TASKS.assign(known=True)
    tx = pd.DataFrame({
        "customer_id": ["К-1", "К-2", "К-3", "К-4", "К-5", "К-1"],
        "date": pd.to_datetime(["2026-08-03", "2026-09-01", "2026-11-02", "2026-10-31",
                                "2026-09-10", "2026-07-01"]),
        "amount": [100.0, 50.0, 80.0, 10.0, -30.0, 10.0]})
    out = fa.customer_outcomes(tasks, tx, AS_OF).set_index("customer_id")
    # К-1 bought on the hand-over day (not after), К-3 after as_of, К-5 only returned
    assert out["bought"].to_dict() == {"К-1": False, "К-2": True, "К-3": False, "К-4": True,
                                       "К-5": False, "К-6": False}
    assert out["treated"].to_dict() == {"К-1": True, "К-2": True, "К-3": False, "К-4": False,
                                        "К-5": False, "К-6": False}


def test_a_customer_on_two_lists_counts_once_called_if_either_was_done():
    tasks = _tasks([("Анна", "К-1", "winback", "done", "2026-08-10", "2026-08-03"),
                    ("Анна", "К-1", "calls", "todo", "2026-08-10", "2026-08-03")])
    out = fa.customer_outcomes(tasks, pd.DataFrame(columns=["customer_id", "date", "amount"]),
                               AS_OF)
    assert len(out) == 1 and out["treated"].iloc[0] and out["list"].iloc[0] == "calls"


def test_problem_counts():
    assert fa.problem_counts([{"problem": "bad_date"}, {"problem": "bad_date"},
                              {"problem": "no_customer_id"}]) == {"bad_date": 2,
                                                                 "no_customer_id": 1}


# --- the effect -------------------------------------------------------------------------------


def _population(n, lift, rng, *, confounded=True):
    """Customers in 4 strata with base rates 0.1..0.6; called more often where the base rate
    is high (confounded=True), so only a stratified comparison recovers the lift.
    """
    stratum = rng.integers(0, 4, n)
    base = np.array([0.10, 0.25, 0.45, 0.60])[stratum]
    p_call = np.array([0.2, 0.4, 0.6, 0.8])[stratum] if confounded else np.full(n, 0.5)
    treated = rng.random(n) < p_call
    bought = rng.random(n) < base + lift * treated
    return pd.DataFrame({"treated": treated, "bought": bought, "list": "calls",
                         "segment": stratum.astype(str), "value_band": "A"})


def test_the_effect_recovers_a_known_lift_within_its_interval():
    rng = np.random.default_rng(13)
    frame = _population(6000, 0.08, rng)
    effect = stratified_effect(frame)
    assert effect.ci_low <= 0.08 <= effect.ci_high
    assert effect.lift == pytest.approx(0.08, abs=0.03)
    assert effect.verdict == "positive" and not effect.too_small
    naive = frame[frame.treated].bought.mean() - frame[~frame.treated].bought.mean()
    assert naive > 0.15  # the unstratified difference mistakes selection for effect
    assert effect.n_done + effect.n_compared == len(frame) and effect.strata == 4


def test_the_interval_covers_the_truth_about_95_times_in_100():
    rng = np.random.default_rng(13)
    hits = 0
    for _ in range(100):
        effect = stratified_effect(_population(1500, 0.05, rng), replicates=400)
        hits += effect.ci_low <= 0.05 <= effect.ci_high
    assert 88 <= hits <= 100


def test_no_effect_gives_an_interval_around_zero():
    effect = stratified_effect(_population(4000, 0.0, np.random.default_rng(7)))
    assert effect.ci_low < 0 < effect.ci_high and effect.verdict == "unclear"


def test_small_numbers_are_too_small_to_tell():
    frame = _population(50, 0.3, np.random.default_rng(13), confounded=False)
    effect = stratified_effect(frame)
    assert min(effect.n_done, effect.n_compared) < MIN_GROUP
    assert effect.too_small and effect.verdict == "too_small"


def test_the_threshold_is_on_each_side():
    rng = np.random.default_rng(13)
    n_done = MIN_GROUP
    frame = pd.DataFrame({"treated": [True] * n_done + [False] * 200,
                          "bought": rng.random(n_done + 200) < 0.4, "list": "calls",
                          "segment": "s", "value_band": "A"})
    assert not stratified_effect(frame).too_small
    assert stratified_effect(frame.iloc[1:]).too_small


def test_strata_with_one_side_only_are_left_out():
    frame = pd.DataFrame({"treated": [True, True, False, True], "bought": [1, 0, 0, 1],
                          "list": ["calls", "calls", "calls", "winback"], "segment": "s",
                          "value_band": "A"})
    effect = stratified_effect(frame, replicates=10)
    assert effect.n_done == 2 and effect.n_compared == 1 and effect.strata == 1
    assert effect.lift == pytest.approx(0.5)


def test_nobody_to_compare_with():
    frame = pd.DataFrame({"treated": [True] * 40, "bought": [True] * 40, "list": "calls",
                          "segment": None, "value_band": None})
    effect = stratified_effect(frame)
    assert effect.lift is None and effect.too_small and effect.n_done == 40
    assert effect.results()["verdict"] == "too_small"


def test_the_same_data_gives_the_same_interval():
    frame = _population(800, 0.1, np.random.default_rng(3))
    assert stratified_effect(frame) == stratified_effect(frame)
