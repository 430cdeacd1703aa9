"""Warning signs (seed 003) from whatever data there is: each with its value, status and,
when it cannot be judged, the data that would complete it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from playbook.standards import signs as sg

AS_OF = dt.date(2026, 10, 31)


def _tx(counts_by_year: dict[int, int], *, returns: dict[int, float] | None = None,
        first_year: int = 2024) -> pd.DataFrame:
    """Customers buying once in each year window ending on Oct 31: ids per window."""
    rows = []
    for year, n in counts_by_year.items():
        day = pd.Timestamp(year, 6, 1)
        rows += [(f"C{i}", day, 100.0) for i in range(n)]
    for year, share in (returns or {}).items():
        gross = 100.0 * counts_by_year[year]
        rows.append(("C0", pd.Timestamp(year, 7, 1), -gross * share))
    rows.append(("C0", pd.Timestamp(first_year - 1, 11, 1), 100.0))  # history start
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


def test_a_shrinking_base_is_an_alert_past_ten_percent():
    sign = sg.base_sign(_tx({2025: 100, 2026: 85}), AS_OF)
    assert (sign.value, sign.previous, sign.status) == (85, 100, "alert")
    assert sg.base_sign(_tx({2025: 100, 2026: 96}), AS_OF).status == "warning"
    assert sg.base_sign(_tx({2025: 100, 2026: 100}), AS_OF).status == "ok"


def test_a_short_history_cannot_tell_and_says_so():
    tx = pd.DataFrame({"customer_id": ["a"], "date": [pd.Timestamp("2026-08-01")],
                       "amount": [10.0]})
    sign = sg.base_sign(tx, AS_OF)
    assert sign.status == "unknown" and sign.needs == "history"


def test_rising_returns_are_a_warning_and_no_returns_is_unknown():
    sign = sg.returns_sign(_tx({2025: 100, 2026: 100}, returns={2025: 0.02, 2026: 0.04}), AS_OF)
    assert sign.status == "warning" and sign.value == pytest.approx(0.04)
    none = sg.returns_sign(_tx({2025: 100, 2026: 100}), AS_OF)
    assert none.status == "unknown" and none.needs == "returns"


def test_complaints_rising_none_and_the_iceberg():
    rising = pd.DataFrame({"period": ["Q1", "Q2", "Q3"], "complaints": [5, 5, 9],
                           "customers": [1000, 1000, 1000]})
    sign = sg.complaints_sign(rising, complain_share=0.06)
    assert sign.status == "warning" and sign.detail["dissatisfied"] == pytest.approx(150)
    assert sign.detail["dissatisfied_share"] == pytest.approx(0.15)
    quiet = rising.assign(complaints=[3, 2, 0])
    assert sg.complaints_sign(quiet).status == "warning"  # no complaints: nobody listens
    big = rising.assign(customers=[100, 100, 100])
    assert sg.complaints_sign(big).status == "alert"  # 150 dissatisfied of 100 customers
    assert sg.complaints_sign(None).needs == "complaints"


def test_one_in_four_satisfied_means_the_policy_must_change():
    answers = pd.DataFrame({"wave": ["Q1"] * 8 + ["Q2"] * 8,
                            "overall": [10, 9, 9, 9, 9, 9, 1, 2] + [10, 9, 5, 5, 5, 5, 5, 5]})
    sign = sg.satisfied_sign(answers, "overall", (1, 10))
    assert sign.value == pytest.approx(0.25) and sign.status == "alert"  # latest wave only
    assert sign.detail == {"n": 8, "wave": "Q2", "marks": [9, 10], "scale": [1, 10]}
    half = answers.assign(overall=[9] * 8 + [9, 9, 9, 9, 5, 5, 5, 5])
    assert sg.satisfied_sign(half, "overall", (1, 10)).status == "ok"
    assert sg.satisfied_sign(None, None, None).needs == "survey"


@pytest.mark.parametrize(("satisfied", "status"), [(24, "alert"), (25, "alert"),
                                                   (26, "warning"), (49, "warning"),
                                                   (50, "ok")])
def test_the_one_in_four_rule_on_both_sides_of_its_thresholds(satisfied, status):
    # 100 answers on 1-5: satisfied are 4 and 5 (the survey's CSAT), 3 is not
    answers = pd.DataFrame({"overall": [4] * (satisfied // 2) + [5] * (satisfied - satisfied // 2)
                            + [3] * (100 - satisfied)})
    sign = sg.satisfied_sign(answers, "overall", (1, 5))
    assert sign.value == pytest.approx(satisfied / 100) and sign.status == status
    assert sign.detail["marks"] == [4, 5]


def test_satisfied_is_what_the_survey_section_counts_in_csat():
    from playbook.survey.scores import csat

    answers = pd.DataFrame({"overall": [10, 9, 8, 8, 7, 3, 9, 1, 10, 6]})
    ours = sg.satisfied_sign(answers, "overall", (1, 10)).value
    theirs = csat(answers, col="overall", scale_min=1, scale_max=10)["csat"].iloc[0]
    assert ours == pytest.approx(theirs) == pytest.approx(0.4)


def test_fewer_referrals_need_the_referral_field():
    rng = np.random.default_rng(13)
    tx = _tx({2025: 0, 2026: 0})
    firsts = list(pd.date_range("2024-01-01", "2026-10-01", freq="7D"))
    rows = [(f"N{i}", d, 50.0) for i, d in enumerate(firsts)]
    tx = pd.concat([tx, pd.DataFrame(rows, columns=tx.columns)], ignore_index=True)
    referral = [bool(d < pd.Timestamp("2025-11-01") or rng.random() < 0.3) for d in firsts]
    customers = pd.DataFrame({"customer_id": [f"N{i}" for i in range(len(firsts))],
                              "referral": referral})
    sign = sg.referrals_sign(customers, tx, AS_OF)
    assert sign.status == "alert" and sign.value < sign.previous * 0.6
    missing = sg.referrals_sign(customers.drop(columns="referral"), tx, AS_OF)
    assert missing.status == "unknown" and missing.needs == "referral"


def test_promises_from_the_request_log():
    assert sg.promises_sign(0.97, 100, target=0.95).status == "ok"
    assert sg.promises_sign(0.9, 100, target=0.95).status == "warning"
    assert sg.promises_sign(0.7, 100).status == "alert"
    assert sg.promises_sign(None, 0).needs == "requests"


def test_every_sign_is_recorded_with_value_rule_and_status():
    signs = sg.warning_signs(_tx({2025: 100, 2026: 90}), AS_OF)
    records = sg.signs_json(signs)
    assert [r["sign"] for r in records] == ["complaints", "satisfied", "referrals",
                                            "new_customers", "base", "returns", "promises"]
    for r in records:
        assert r["status"] in sg.STATUSES and r["rule"]
        assert (r["status"] == "unknown") == (r["needs"] is not None) or r["sign"] == "base"


def test_complaints_per_quarter_come_from_the_request_log_when_no_table_is_given():
    requests = pd.DataFrame({
        "received": pd.to_datetime(["2026-01-10", "2026-02-01", "2026-04-05", "2026-07-01",
                                    "2026-10-30"]),
        "category": ["Жалоба", "Вопрос", "претензия", "Complaint", "Жалоба"]})
    table = sg.complaints_from_requests(requests, AS_OF)
    # Q4 2026 is not complete on 31 October: left out
    assert table.to_dict("list") == {"period": ["2026-Q1", "2026-Q2", "2026-Q3"],
                                     "complaints": [1, 1, 1]}
    assert sg.complaints_from_requests(requests.assign(category="Вопрос"), AS_OF) is None
    assert sg.complaints_sign(table).status == "ok"
