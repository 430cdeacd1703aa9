"""Segmentation on small hand-computed frames, plus the invariants every client must satisfy."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook.intake.summary import customer_summary
from playbook.segmentation import analysis as sg
from playbook.segmentation import rhythm as rh

AS_OF = dt.date(2025, 12, 31)


def tx(rows):
    """(customer, 'YYYY-MM-DD', amount) -> a transactions frame."""
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


def test_scores_give_ties_the_same_score_and_everyone_a_score():
    values = pd.Series([1, 1, 1, 1, 1, 1, 2, 3, 4, 5])
    scores = sg._score(values)
    assert scores.tolist() == [3, 3, 3, 3, 3, 3, 4, 4, 5, 5]
    assert sg._score(pd.Series([7.0] * 4)).tolist() == [5, 5, 5, 5]
    assert sg._score(pd.Series(range(10))).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_rfm_hand_computed():
    frame = tx([
        ("a", "2025-12-30", 100), ("a", "2025-11-01", 100), ("a", "2025-10-01", 100),
        ("b", "2025-01-01", 50),
        ("c", "2025-06-01", 500), ("c", "2025-06-02", 500),
        ("d", "2025-12-01", 10),
        ("e", "2024-01-01", 5),
    ])
    summary = customer_summary(frame, AS_OF)
    scores = sg.rfm(summary, AS_OF).set_index("customer_id")
    assert scores.loc["a", "recency_days"] == 1 and scores.loc["a", "frequency"] == 3
    # recency: a (1 day) best, e (730 days) worst
    assert scores["R"].to_dict() == {"a": 5, "b": 2, "c": 3, "d": 4, "e": 1}
    # frequency ties: b, d, e have one purchase -> share 3/5 -> score 3
    assert scores["F"].to_dict() == {"a": 5, "b": 3, "c": 4, "d": 3, "e": 3}
    assert scores["M"].to_dict() == {"a": 4, "b": 3, "c": 5, "d": 2, "e": 1}
    assert scores.loc["a", "FM"] == 5 and scores.loc["a", "segment"] == "champions"
    assert scores.loc["e", "FM"] == 2 and scores.loc["e", "segment"] == "hibernating"
    assert scores.loc["c", "segment"] == "loyal"  # R3, FM round(4.5) = 5


def test_segment_map_covers_every_cell_and_overrides_are_checked():
    assert sg.rfm_segment_map() == sg.RFM_SEGMENTS
    with pytest.raises(ValueError, match="R1FM1"):
        sg.rfm_segment_map({"everyone_else": {"r": [2, 5], "fm": [1, 5]},
                            "low": {"r": [1, 1], "fm": [2, 5]}})
    custom = sg.rfm_segment_map({"top": {"r": [4, 5], "fm": [1, 5]},
                                 "rest": {"r": [1, 3], "fm": [1, 5]}})
    assert set(custom) == {"top", "rest"}


def test_abc_hand_computed_with_crossing_customer_in_a():
    summary = pd.DataFrame({"customer_id": list("abcde"),
                            "total_spend": [50.0, 30.0, 10.0, 7.0, 3.0],
                            "total_margin": [1.0, 1.0, 1.0, 1.0, 1.0]})
    frame = tx([(c, "2025-12-01", v) for c, v in zip("abcde", [50, 30, 10, 7, 3],
                                                     strict=True)])
    out = sg.abc_xyz(summary, frame, AS_OF).set_index("customer_id")
    # a: 0 before -> A; b: 50% before -> A (crosses 80%); c: 80% before -> B; d: 90% -> B
    assert out["abc"].to_dict() == {"a": "A", "b": "A", "c": "B", "d": "B", "e": "C"}
    assert out["share"].sum() == pytest.approx(1.0)


def test_xyz_coefficient_of_variation_by_month():
    rows = [("steady", f"2025-{m:02d}-10", 100) for m in range(1, 13)]
    rows += [("wobbly", f"2025-{m:02d}-10", 100 if m % 2 else 120) for m in range(1, 13)]
    rows += [("rare", "2025-03-10", 500), ("rare", "2025-09-10", 500)]
    rows += [("fresh", "2025-12-10", 300)]
    frame = tx(rows)
    summary = customer_summary(frame, AS_OF)
    out = sg.abc_xyz(summary, frame, AS_OF).set_index("customer_id")
    assert out.loc["steady", "cv"] == pytest.approx(0.0)
    assert out.loc["wobbly", "cv"] == pytest.approx(10 / 110)  # +-10 around 110
    # from its first month (March): 2 of 10 months at 500 -> mean 100, sd 200
    assert out.loc["rare", "cv"] == pytest.approx(2.0)
    assert out["xyz"].to_dict() == {"steady": "X", "wobbly": "X", "rare": "Z", "fresh": "Z"}
    assert bool(out.loc["fresh", "short_history"]) and not out.loc["rare", "short_history"]


def test_pareto_hand_computed():
    summary = pd.DataFrame({"customer_id": list("abcdefghij"),
                            "total_spend": [910.0] + [10.0] * 9,
                            "total_margin": [10.0] + [10.0] * 9})
    result = sg.pareto(summary)
    assert result["top_customers"] == 2
    assert result["top20_revenue_share"] == pytest.approx(920 / 1000)
    assert result["top20_margin_share"] == pytest.approx(20 / 100)
    assert result["curve"]["revenue_share"].iloc[-1] == pytest.approx(1.0)
    no_margin = sg.pareto(summary.assign(total_margin=np.nan))
    assert no_margin["top20_margin_share"] is None


def test_ladder_rungs_from_transactions_and_evidence():
    rows = [("one", "2025-05-01", 10), ("two", "2025-05-01", 10), ("two", "2025-08-01", 10)]
    rows += [(c, f"2025-{m:02d}-05", 10) for c in ("reg", "fan", "star") for m in range(1, 13)]
    frame = tx(rows)
    summary = customer_summary(frame, AS_OF)
    plain = sg.ladder(summary, frame, AS_OF).set_index("customer_id")["rung"].to_dict()
    assert plain == {"fan": "unknown", "one": "buyer", "reg": "unknown", "star": "unknown",
                     "two": "client"}
    counts = sg.ladder_counts(sg.ladder(summary, frame, AS_OF), has_evidence=False)
    assert counts == {"buyer": 1, "client": 1, "regular": None, "adherent": None,
                      "advocate": None, "unknown": 3}
    evidence = pd.DataFrame({"customer_id": ["reg", "fan", "star", "one"],
                             "share_of_wallet": [0.3, 0.9, 1.0, 1.0],
                             "recommend_score": [10, 5, 9, 10]})
    rungs = sg.ladder(summary, frame, AS_OF, evidence=evidence)
    assert rungs.set_index("customer_id")["rung"].to_dict() == {
        "fan": "adherent", "one": "buyer", "reg": "regular", "star": "advocate", "two": "client"}
    counts = sg.ladder_counts(rungs, has_evidence=True)
    assert sum(counts.values()) == len(summary)


def test_movement_down_a_rung_and_into_risk():
    rows = [(c, f"2025-{m:02d}-05", 10) for c in ("stays", "slips") for m in range(1, 13)]
    rows = [r for r in rows if not (r[0] == "slips" and r[1] >= "2025-08")]
    rows += [("newbie", "2025-12-20", 10)]
    frame = tx(rows)
    moves = sg.movement(frame, AS_OF, days=150, ladder_options={
        "min_months": 3, "window_months": 6}).set_index("customer_id")
    assert moves.loc["stays", "rung_before"] == "unknown"
    assert moves.loc["slips", "rung_before"] == "unknown"
    assert moves.loc["slips", "rung_now"] == "client" and moves.loc["slips", "moved_down"]
    assert moves.loc["newbie", "rung_before"] == "none"
    assert not moves.loc["newbie", "moved_down"] and not moves.loc["stays", "moved_down"]
    matrix = sg.transition_matrix(moves.reset_index())
    assert matrix.to_numpy().sum() == 3


def test_base_health_counts_new_returning_and_referrals():
    frame = tx([("a", "2025-01-05", 10), ("b", "2025-01-06", 10), ("a", "2025-02-01", 10),
                ("c", "2025-03-01", 10), ("a", "2025-03-02", -10)])
    customers = pd.DataFrame({"customer_id": ["a", "b", "c"], "referral": [True, False, None]})
    health = sg.base_health(frame, customers)
    assert health["active"].tolist() == [2, 1, 1]  # a nets to 0 in March: not active
    assert health["new"].tolist() == [2, 0, 1]
    assert health["returning"].tolist() == [0, 1, 0]
    assert health["referral_share"].iloc[0] == pytest.approx(0.5)
    assert np.isnan(health["referral_share"].iloc[2])  # c's source unknown


@st.composite
def transactions(draw):
    n = draw(st.integers(1, 25))
    rows = []
    for i in range(n):
        for _ in range(draw(st.integers(1, 6))):
            day = draw(st.integers(0, 700))
            amount = draw(st.floats(1, 10_000, allow_nan=False))
            rows.append((f"c{i}", (pd.Timestamp("2024-01-01") + pd.Timedelta(days=day))
                         .date().isoformat(), amount))
    return tx(rows)


@settings(max_examples=40, deadline=None)
@given(transactions())
def test_every_customer_lands_in_exactly_one_segment_cell_and_rung(frame):
    as_of = frame["date"].max().date()
    summary = customer_summary(frame, as_of)
    scores = sg.rfm(summary, as_of)
    assert scores["segment"].notna().all() and len(scores) == len(summary)
    assert scores[["R", "F", "M"]].isin(range(1, 6)).all().all()
    cells = sg.abc_xyz(summary, frame, as_of)
    assert cells["cell"].isin(sg.ABC_XYZ_CELLS).all() and cells["customer_id"].is_unique
    assert cells["share"].sum() == pytest.approx(1.0)
    rungs = sg.ladder(summary, frame, as_of)
    assert rungs["rung"].isin([*sg.RUNGS, "unknown"]).all()
    counts = sg.ladder_counts(rungs, has_evidence=False)
    assert sum(v for v in counts.values() if v is not None) == len(summary)


@settings(max_examples=30, deadline=None)
@given(transactions(), st.integers(1, 200))
def test_movement_given_the_state_now_is_the_movement_made_whole(frame, days):
    as_of = frame["date"].max().date()
    summary = customer_summary(frame, as_of)
    options = {"min_months": 2, "window_months": 6}
    now = pd.DataFrame({"customer_id": summary["customer_id"],
                        "rung": sg.ladder(summary, frame, as_of, **options)["rung"],
                        "segment": sg.rfm(summary, as_of)["segment"]})
    pd.testing.assert_frame_equal(
        sg.movement(frame, as_of, days=days, ladder_options=options, now=now),
        sg.movement(frame, as_of, days=days, ladder_options=options))


@settings(max_examples=40, deadline=None)
@given(transactions(), st.integers(0, 700))
def test_a_state_at_a_date_takes_the_lines_up_to_it_itself(frame, day):
    """The movement's earlier state and the realisation's replay pass every line to the
    summary, the ladder and the pace (no copy of the lines up to the date): each must
    leave out the later lines itself."""
    when = (pd.Timestamp("2024-01-01") + pd.Timedelta(days=day)).date()
    known = frame[frame["date"] <= pd.Timestamp(when)]
    summary = customer_summary(known, when)
    pd.testing.assert_frame_equal(customer_summary(frame, when), summary)
    pd.testing.assert_frame_equal(sg.ladder(summary, frame, when, min_months=2),
                                  sg.ladder(summary, known, when, min_months=2))
    first = summary.set_index("customer_id")["first_purchase"]
    pd.testing.assert_series_equal(rh.annual_pace(frame, first, when),
                                   rh.annual_pace(known, first, when))
