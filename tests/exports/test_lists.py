"""The task lists as tables: the win-back and apology split, the context a manager needs,
and the finished list's columns, due dates and order."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from playbook.exports import lists, tasks
from playbook.report.i18n import Lang

START = dt.date(2026, 11, 2)
DUE = dt.date(2026, 11, 9)


@pytest.mark.parametrize("code", ["ru", "en"])
def test_offence_goes_to_the_directors_apology_terms_to_the_win_back(code):
    lang = Lang(code)
    lost = pd.DataFrame({"customer_id": ["L1", "L2", "X1"], "days_since": [120, 200, 150]})
    exits = pd.DataFrame({
        "customer_id": ["X1", "X2", "X3", "X4", "X4"],
        "date": pd.to_datetime(["2026-05-01", "2026-06-01", "2026-07-01", "2026-03-01",
                                "2026-08-01"]),
        "cause": ["offence", "terms", "unclear", "terms", "offence"],
        "text": ["Нагрубили", "Дорого", "Так вышло", "Дорого", "Не перезвонили"],
    })
    value = pd.Series({"L1": 500.0, "L2": 100.0, "X1": 900.0, "X2": 50.0, "X4": 70.0})
    last = pd.Series({"X2": pd.Timestamp("2026-05-01"), "X3": pd.Timestamp("2026-01-01")})
    winback, apology = lists.winback_lists(lost, exits, lang, due=DUE, value=value,
                                           last_purchase=last)
    # X1 is lost and was offended: an apology, not a win-back; X4's last answer is offence;
    # X3's cause is unclear: no task from the questionnaire
    assert sorted(apology["customer_id"]) == ["X1", "X4"]
    assert sorted(winback["customer_id"]) == ["L1", "L2", "X2"]
    assert not set(winback["customer_id"]) & set(apology["customer_id"])
    assert "Нагрубили" in apology.set_index("customer_id").loc["X1", "reason"]
    assert apology.set_index("customer_id").loc["X1", "value_at_stake"] == 900.0
    assert (winback["due_date"] == DUE).all() and (apology["due_date"] == DUE).all()


def test_a_respondent_who_bought_again_is_back_already():
    exits = pd.DataFrame({"customer_id": ["X1"], "date": pd.to_datetime(["2026-05-01"]),
                          "cause": ["offence"], "text": ["Нагрубили"]})
    back = pd.Series({"X1": pd.Timestamp("2026-09-01")})
    winback, apology = lists.winback_lists(
        pd.DataFrame(columns=["customer_id", "days_since"]), exits, Lang("ru"), due=DUE,
        value=pd.Series(dtype=float), last_purchase=back)
    assert winback.empty and apology.empty


def test_context_columns():
    summary = pd.DataFrame({"customer_id": ["a", "b", "c"],
                            "last_purchase": pd.to_datetime(["2026-10-01", "2025-06-01",
                                                             "2026-09-01"])})
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "b", "c"],
        "date": pd.to_datetime(["2025-03-01", "2026-02-01", "2026-10-01", "2025-06-01",
                                "2026-09-01"]),
        "amount": [400.0, 50.0, 50.0, 300.0, 80.0],
        "category": ["Бумага", "Краски", "Краски", "Бумага", None],
    })
    got = lists.context(summary, tx, dt.date(2026, 10, 31),
                        p_alive=pd.Series({"a": 0.9}),
                        value_band=pd.Series({"a": "A", "b": "B", "c": "C"})
                        ).set_index("customer_id")
    assert got.loc["a", "revenue_12m"] == 100.0 and got.loc["b", "revenue_12m"] == 0.0
    assert got.loc["a", "drop_share"] == pytest.approx(0.75)  # 400 the year before, 100 now
    assert got.loc["b", "drop_share"] == pytest.approx(1.0)
    assert np.isnan(got.loc["c", "drop_share"])  # nothing the year before: unknown
    assert got.loc["a", "usual_category"] == "Бумага" and pd.isna(got.loc["c", "usual_category"])
    assert got.loc["a", "last_purchase"] == dt.date(2026, 10, 1)
    assert got.loc["a", "p_alive"] == 0.9 and pd.isna(got.loc["b", "p_alive"])
    assert got["segment"].isna().all() and got.loc["b", "value_band"] == "B"


def test_context_edges_of_the_two_years_ties_and_customers_without_lines():
    """The year's edges (the day a year before as_of is the year before; the day two years
    before is neither), lines after as_of left out, a tie in category spend going to the
    first category by name, lines older than two years still counted for the category."""
    summary = pd.DataFrame({"customer_id": ["a", "b", "d"],
                            "last_purchase": pd.to_datetime(["2026-01-01", "2026-05-01",
                                                             "2020-01-01"])})
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "a", "b", "x"],
        "date": pd.to_datetime(["2024-01-15", "2024-10-31", "2025-10-31", "2026-11-05",
                                "2026-01-01", "2026-05-01", "2026-05-01"]),
        "amount": [500.0, 100.0, 200.0, 999.0, 200.0, 50.0, 7.0],
        "category": pd.Series(["Краски", "Бумага", "Бумага", "Бумага", "Бумага", None, "Клей"],
                              dtype="str"),
    })
    got = lists.context(summary, tx, dt.date(2026, 10, 31)).set_index("customer_id")
    assert got["revenue_12m"].to_dict() == {"a": 200.0, "b": 50.0, "d": 0.0}
    assert got.loc["a", "drop_share"] == 0.0  # 200 in the year before (its last day in it)
    assert np.isnan(got.loc["b", "drop_share"]) and np.isnan(got.loc["d", "drop_share"])
    assert got.loc["a", "usual_category"] == "Бумага"  # 500 each: the first by name
    assert pd.isna(got.loc["b", "usual_category"]) and pd.isna(got.loc["d", "usual_category"])


def test_yearly_value_is_the_year_up_to_the_last_purchase():
    tx = pd.DataFrame({"customer_id": ["a", "a", "a"],
                       "date": pd.to_datetime(["2023-01-01", "2024-03-01", "2024-06-01"]),
                       "amount": [1000.0, 200.0, 300.0]})
    assert lists.yearly_value(tx)["a"] == 500.0


def test_yearly_value_by_customer_in_id_order_its_edge_and_returns():
    tx = pd.DataFrame({"customer_id": pd.Series(["b", "a", "b", "a", "a"], dtype="str"),
                       "date": pd.to_datetime(["2024-06-01", "2024-06-01", "2025-06-01",
                                               "2023-06-01", "2024-05-01"]),
                       "amount": [100.0, 50.0, 30.0, 999.0, -80.0]})
    got = lists.yearly_value(tx)
    # b: its line of exactly a year before its last is out; a: a return leaves nothing
    assert got.to_dict() == {"a": 0.0, "b": 30.0} and list(got.index) == ["a", "b"]
    assert got.index.name == "customer_id" and got.name == "amount"


def test_finish_gives_the_contract_columns_sorted_with_due_dates_from_the_hand_over():
    lang = Lang("en")
    rows = pd.DataFrame({"customer_id": ["a", "b", "c", "a"], "reason": ["r"] * 4,
                         "suggested_action": ["s"] * 4,
                         "due_date": [dt.date(2026, 10, 1), DUE, DUE, DUE],
                         "value_at_stake": [5.0, 7.123, None, 1.0]})
    people = pd.DataFrame({"customer_id": ["a"], "manager": ["M"], "customer_name": ["A"],
                           "contact_person": [None], "phone": [None], "email": [None]})
    got = lists.finish(rows, "winback", lang, people=people, context=None, start=START)
    assert list(got.columns) == list(tasks.TASK_COLUMNS)
    assert list(got["task_id"]) == ["winback-b", "winback-a", "winback-c"]  # one task each
    assert got["value_at_stake"].tolist() == [7.12, 5.0, 0.0]
    assert (got["due_date"] >= START).all() and got.loc[1, "due_date"] == START
    assert (got["given"] == START).all() and (got["status"] == "to do").all()
    assert (got["list"] == "Win back").all()
    assert got.loc[0, "manager"] == tasks.UNASSIGNED and got.loc[0, "customer_name"] == "b"


def test_last_known_is_the_last_value_by_date_as_sorting_the_known_lines_gives_it():
    """last_known finds the order without copying the lines: it must pick the value the
    plain way picks (the known lines sorted by date), ties within a day included."""
    rng = np.random.default_rng(7)
    n = 5000
    frame = pd.DataFrame({
        "customer_id": rng.choice([f"C{i}" for i in range(300)], n),
        "date": pd.to_datetime("1965-01-01") + pd.to_timedelta(rng.integers(0, 40, n), "D")
        .astype("timedelta64[s]"),
        "manager": pd.Series(rng.choice(["Анна", "Олег", "Игорь", None], n), dtype="str"),
    })

    def plain(tx):
        known = tx[["customer_id", "date", "manager"]].dropna(subset=["manager"])
        return known.sort_values("date").groupby("customer_id")["manager"].last()

    nameless = frame.assign(customer_id=frame["customer_id"].mask(frame.index % 89 == 0))
    for tx in (frame, frame.assign(date=frame["date"].mask(frame.index % 97 == 0)), nameless):
        pd.testing.assert_series_equal(lists.last_known(tx, "manager"), plain(tx),
                                       check_exact=True)
        coded = pd.factorize(tx["customer_id"], sort=True)
        pd.testing.assert_series_equal(lists.last_known(tx, "manager", customers=coded),
                                       plain(tx), check_exact=True)
    assert lists.last_known(frame, "customer_name").empty
