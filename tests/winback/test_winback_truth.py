"""The win-back section against the demo's planted truth: a cheaper competitor («Склад-Маркет»)
took 40 known customers at known dates (playbook/demo/winback.py, winback_truth.json).

Stated on the committed demo (as_of 2026-10-31, the default tests):

- recall: 34 of the 40 defectors are candidates (0.85); 32 of them by the purchase data alone,
  the drop test or the lost group (0.80). The six missed bought too rarely for the drop test
  (fewer than 2 purchases expected over six months) and are not yet far beyond their rhythm.
- precision of the competitor's attribution: of the candidates whose survey or exit answer
  names «Склад-Маркет», 22 of 42 were taken by it (0.52). The others name it in the annual
  survey's ordinary answers (every seventh respondent names it: customers buy from several
  suppliers) and lapsed on their own.
- the drop test's precision against the planted truth alone is low (30 of 179, 0.17): the
  others lapsed on their own under the demo's BG/NBD process (its dropout), which are real
  losses the test should find, not false alarms; the figure is stated, not asserted.
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT

from playbook.demo import winback as planted
from playbook.winback import tco, views

DEMO = ROOT / "data_samples" / "demo"


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((DEMO / planted.TRUTH_FILE).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def res(demo_run):
    return views.analyse(demo_run)


def _ids(frame, mask=None) -> set[str]:
    return set(frame["customer_id"] if mask is None else frame.loc[mask, "customer_id"])


def test_the_truth_lists_the_defectors_and_their_dates(truth):
    rows = truth["defectors"]
    assert len(rows) == planted.DEFECTION["customers"] == 40
    assert all(planted.DEFECTION["first_date"] <= r["date"] <= planted.DEFECTION["last_date"]
               for r in rows)
    assert all(r["documents_kept"] < r["documents_after"] for r in rows)  # buying fell
    assert truth["documents_removed"] == sum(r["documents_after"] - r["documents_kept"]
                                             for r in rows)


def test_the_profile_holds_the_terms_the_truth_was_computed_with():
    profile = yaml.safe_load((DEMO / "competitors.yaml").read_text(encoding="utf-8"))
    them = next(c for c in profile["competitors"] if c["name"] == planted.DEFECTION["competitor"])
    assert {k: them["terms"][k] for k in planted.COMPETITOR} == planted.COMPETITOR
    assert {k: profile["us"]["terms"][k] for k in planted.US} == planted.US
    defaults = yaml.safe_load((ROOT / "params" / "defaults.yaml").read_text("utf-8"))["winback"]
    assert {k: defaults[k] for k in planted.DEFAULTS} == planted.DEFAULTS


def test_the_true_net_gain_is_small_against_the_price_gap(truth):
    gap = 1 - planted.COMPETITOR["price_index"]
    shares = [r["net_gain_share"] for r in truth["defectors"]]
    assert all(share < gap / 3 for share in shares)  # the hidden costs eat the 6% saving
    assert truth["net_gain_share_all"] < 0.0


def test_detection_recall_and_precision_against_the_truth(res, truth):
    defectors = {r["customer_id"] for r in truth["defectors"]}
    table = res.candidates
    found = _ids(table) & defectors
    recall = len(found) / len(defectors)
    by_data = _ids(table, table["signals"].str.contains("drop|lost")) & defectors
    named = _ids(table, table["competitor"] == planted.DEFECTION["competitor"])
    precision = len(named & defectors) / len(named)
    assert recall >= 0.8, recall
    assert len(by_data) / len(defectors) >= 0.75
    assert precision >= 0.4, precision
    assert len(named & defectors) >= 15  # not a handful of lucky hits
    # every defector found is classed as leaving over terms, never over offence
    assert set(table.loc[table["customer_id"].isin(found), "reason"]) <= {"terms", "unknown"}


def test_an_exit_answer_naming_the_competitor_ties_the_candidate_to_it(res, truth):
    survey = json.loads((DEMO / "survey_truth.json").read_text(encoding="utf-8"))
    said = set(survey["competitor_mentions"]["exit"])
    table = res.candidates.set_index("customer_id")
    seen = said & set(table.index)
    assert len(seen) >= 10
    assert (table.loc[sorted(seen), "competitor"] == planted.DEFECTION["competitor"]).all()


def _by_hand(spend: float, orders: float) -> dict[str, float]:
    """Each line of the switch cost, written out by hand for the demo's «Склад-Маркет»
    (price index 0.94; delivery 1,200 against 0; defects 2.5% against 0.8%; payment up front
    against 30 days; 82% on time against 96%; 4 days against 1) under the defaults.
    """
    s, n = spend, orders
    return {
        "price": s * 0.06,
        "delivery": -n * 1200,
        "defects": -0.5 * (s * 0.94 * 0.025 - s * 0.008),
        "payment": -0.16 * (s * 30 - 0) / 365,
        "reliability": -s * 0.94 * 0.1 * (0.96 - 0.82),
        "lead_time": -s * 0.94 / 365 * 3 * 0.25,
        "staff_time": 0.0,  # the same default hours per order on both sides
        "switching": -s * 0.01,
    }


def test_every_line_of_every_priced_demo_candidate_matches_the_hand_computation(res):
    priced = res.switch[res.switch["competitor"] == planted.DEFECTION["competitor"]]
    assert len(priced) >= 5
    for row in priced.itertuples():
        lines = res.lines[row.customer_id].set_index("line")["gain"]
        hand = _by_hand(row.spend, row.orders)
        assert list(lines.index) == list(tco.LINES)
        for name, value in hand.items():
            assert lines[name] == pytest.approx(value, abs=0.01), (row.customer_id, name)
        assert row.net_gain == pytest.approx(sum(hand.values()), abs=0.05)
        assert row.hidden_costs == pytest.approx(-sum(v for k, v in hand.items()
                                                      if k != "price"), abs=0.05)


def test_the_truths_own_lines_match_the_hand_computation(truth):
    for row in truth["defectors"]:
        hand = _by_hand(row["spend_12m"], row["orders_12m"])
        for name, value in row["lines"].items():
            assert value == pytest.approx(hand[name], abs=0.01), (row["customer_id"], name)
