"""The per-customer summary on tiny hand-computed frames, plus properties any input must keep."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from playbook.intake import run_intake
from playbook.intake.summary import SUMMARY_COLUMNS, customer_summary
from playbook.params import params_from_dict

AS_OF = dt.date(2024, 2, 29)


def frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount", "margin"]).assign(
        date=lambda f: pd.to_datetime(f["date"]))


def expected(rows: list[dict]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    for col in ("first_purchase", "last_purchase"):
        out[col] = pd.to_datetime(out[col])
    for col in ("purchase_days", "frequency", "recency", "T"):
        out[col] = out[col].astype("int64")
    for col in ("total_spend", "avg_spend", "monetary_value", "total_margin"):
        out[col] = out[col].astype("float64")
    return out


def check(result: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(result.columns) == SUMMARY_COLUMNS
    for col in ("purchase_days", "frequency", "recency", "T"):
        assert result[col].dtype == "int64", col
    assert_frame_equal(result.astype({"customer_id": object}),
                       want.astype({"customer_id": object}), check_dtype=False,
                       check_index_type=False)


TX = frame([
    # a: two documents on one day count as one purchase day of 150
    ("a", "2024-01-01", 100.0, 30.0),
    ("a", "2024-01-01", 50.0, 10.0),
    ("a", "2024-01-05", -30.0, -9.0),   # a return-only day: not a purchase
    ("a", "2024-01-10", 80.0, 20.0),
    ("a", "2024-01-20", 40.0, 12.0),    # bought and returned the same day: net 0, still a
                                        # purchase day (zero-priced orders count, as in CDNOW)
    ("a", "2024-01-20", -40.0, -12.0),
    ("a", "2024-02-01", 120.0, 35.0),
    ("a", "2024-03-01", 500.0, 100.0),  # after as_of: ignored
    # b: one purchase
    ("b", "2024-02-10", 70.0, 7.0),
    # c: only a return: left out
    ("c", "2024-01-15", -20.0, -5.0),
    # d: only after as_of: left out
    ("d", "2024-03-05", 10.0, 1.0),
    # e: a return before the first purchase is netted into spend, not a purchase day
    ("e", "2024-01-03", -10.0, -2.0),
    ("e", "2024-01-04", 30.0, 6.0),
    ("e", "2024-01-04", 30.0, 6.0),
])


def test_hand_computed_summary():
    check(customer_summary(TX, AS_OF), expected([
        {"customer_id": "a", "first_purchase": "2024-01-01", "last_purchase": "2024-02-01",
         "purchase_days": 4, "frequency": 3, "recency": 31, "T": 59,
         "total_spend": 150 - 30 + 80 + 0 + 120, "avg_spend": 320 / 4,
         "monetary_value": (80 + 0 + 120) / 3, "total_margin": 40 - 9 + 20 + 0 + 35},
        {"customer_id": "b", "first_purchase": "2024-02-10", "last_purchase": "2024-02-10",
         "purchase_days": 1, "frequency": 0, "recency": 0, "T": 19,
         "total_spend": 70, "avg_spend": 70, "monetary_value": 0, "total_margin": 7},
        {"customer_id": "e", "first_purchase": "2024-01-04", "last_purchase": "2024-01-04",
         "purchase_days": 1, "frequency": 0, "recency": 0, "T": 56,
         "total_spend": 50, "avg_spend": 50, "monetary_value": 0, "total_margin": 10},
    ]))


def test_same_day_purchases_count_once_even_at_different_times():
    tx = pd.DataFrame({"customer_id": ["x", "x", "x"],
                       "date": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 18:30",
                                               "2024-01-02 00:00"]),
                       "amount": [10.0, 5.0, 1.0]})
    result = customer_summary(tx, dt.date(2024, 1, 2))
    assert result.loc[0, "purchase_days"] == 2
    assert result.loc[0, "frequency"] == 1
    assert result.loc[0, "monetary_value"] == 1.0
    assert result.loc[0, "avg_spend"] == 8.0


def test_as_of_defaults_to_the_last_date_and_margin_may_be_absent():
    tx = pd.DataFrame({"client": [7, 7, 8], "day": ["2024-01-01", "2024-01-11", "2024-01-21"],
                       "sum": [1, 2, 3]})
    result = customer_summary(tx, customer_id="client", date="day", amount="sum", margin=None)
    check(result, expected([
        {"customer_id": "7", "first_purchase": "2024-01-01", "last_purchase": "2024-01-11",
         "purchase_days": 2, "frequency": 1, "recency": 10, "T": 20, "total_spend": 3,
         "avg_spend": 1.5, "monetary_value": 2, "total_margin": np.nan},
        {"customer_id": "8", "first_purchase": "2024-01-21", "last_purchase": "2024-01-21",
         "purchase_days": 1, "frequency": 0, "recency": 0, "T": 0, "total_spend": 3,
         "avg_spend": 3, "monetary_value": 0, "total_margin": np.nan},
    ]))


def test_missing_margins_are_skipped_in_the_sum():
    tx = frame([("a", "2024-01-01", 10.0, 4.0), ("a", "2024-01-02", 10.0, np.nan)])
    assert customer_summary(tx, AS_OF).loc[0, "total_margin"] == 4.0


def test_as_of_before_a_purchase_truncates():
    result = customer_summary(TX, dt.date(2024, 1, 9))
    assert list(result["customer_id"]) == ["a", "e"]
    a = result.iloc[0]
    assert (a["purchase_days"], a["recency"], a["T"], a["total_spend"]) == (1, 0, 8, 120.0)


def test_empty_input_gives_an_empty_summary():
    tx = frame([("a", "2024-01-01", -5.0, 0.0)])
    result = customer_summary(tx, AS_OF)
    assert result.empty and list(result.columns) == SUMMARY_COLUMNS


def test_intake_writes_the_same_summary(tmp_path):
    lines = ["Клиент;Дата;Сумма;Маржа"] + [
        f"{c};{pd.Timestamp(d):%d.%m.%Y};{str(a).replace('.', ',')};{str(m).replace('.', ',')}"
        for c, d, a, m in TX.itertuples(index=False)]
    (tmp_path / "tx.csv").write_bytes(("\n".join(lines) + "\n").encode("cp1251"))
    params = params_from_dict({"client": {"name": "T"}, "data": {"transactions": "tx.csv"},
                               "as_of": AS_OF.isoformat(), "intake": {"duplicates": "keep"}},
                              base_dir=tmp_path)
    result = run_intake(params, tmp_path / "out", today=dt.date(2024, 12, 31))
    written = pd.read_parquet(result.summary_path)
    for col in ("first_purchase", "last_purchase"):  # DATE in Parquet, Timestamp in pandas
        written[col] = pd.to_datetime(written[col])
    check(written, customer_summary(TX, AS_OF))


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------

BASE = dt.date(2024, 1, 1)
rows_strategy = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 40),
              st.integers(-5_000, 20_000)),
    min_size=1, max_size=40)


def reference(tx: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """The summary computed the plain pandas way, one customer at a time."""
    tx = tx[tx["date"] <= pd.Timestamp(as_of)]
    out = []
    for cid, group in tx.groupby("customer_id"):
        daily = group.groupby("date")["amount"].sum().sort_index()
        days = daily[daily >= 0]
        if days.empty:
            continue
        n = len(days)
        out.append({
            "customer_id": cid, "first_purchase": days.index[0],
            "last_purchase": days.index[-1], "purchase_days": n, "frequency": n - 1,
            "recency": (days.index[-1] - days.index[0]).days,
            "T": (pd.Timestamp(as_of) - days.index[0]).days,
            "total_spend": group["amount"].sum(), "avg_spend": group["amount"].sum() / n,
            "monetary_value": days.iloc[1:].mean() if n > 1 else 0.0,
            "total_margin": group["margin"].sum(),
        })
    return expected(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, as_of_offset=st.integers(0, 45))
def test_summary_properties(rows, as_of_offset):
    tx = pd.DataFrame({
        "customer_id": [c for c, _, _ in rows],
        "date": [pd.Timestamp(BASE + dt.timedelta(days=d)) for _, d, _ in rows],
        "amount": [cents / 100 for _, _, cents in rows],
        "margin": [cents / 400 for _, _, cents in rows],
    })
    as_of = BASE + dt.timedelta(days=as_of_offset)
    result = customer_summary(tx, as_of)

    assert (result["frequency"] == result["purchase_days"] - 1).all()
    assert (result["frequency"] >= 0).all()
    assert (result["recency"] >= 0).all() and (result["recency"] <= result["T"]).all()
    assert (result["first_purchase"] <= result["last_purchase"]).all()
    assert (result["last_purchase"] <= pd.Timestamp(as_of)).all()
    assert (result.loc[result["frequency"] == 0, "monetary_value"] == 0).all()
    assert (result.loc[result["frequency"] > 0, "monetary_value"] >= 0).all()
    assert result["customer_id"].is_unique
    used = tx[tx["date"] <= pd.Timestamp(as_of)]
    totals = used.groupby("customer_id")["amount"].sum()
    for cid, total in zip(result["customer_id"], result["total_spend"], strict=True):
        assert total == pytest.approx(totals[cid])
    check(result, reference(tx, as_of))


@pytest.mark.parametrize("as_of", [dt.date(2024, 1, 31), dt.datetime(2024, 1, 31, 15, 0),
                                   pd.Timestamp("2024-01-31")])
def test_as_of_accepts_dates_and_datetimes(as_of):
    tx = frame([("a", "2024-01-01", 1.0, 0.0)])
    assert customer_summary(tx, as_of).loc[0, "T"] == 30


def _many_lines(n: int = 200_000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "customer_id": pd.Series([f"К-{i}" for i in rng.integers(0, 40_000, n)], dtype="str"),
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), "D"),
        "amount": rng.choice([0.1, 19.99, -5.0, 1e6 + 0.01, np.nan], n),
        "margin": rng.choice([0.3, np.nan], n),
    })


def test_a_summary_within_a_small_memory_is_the_same(monkeypatch):
    """DuckDB keeps a summary within SUMMARY_MEMORY, spilling to a temporary folder; a
    limit far too small for it changes nothing but where the work is done."""
    from playbook.intake import summary

    tx = _many_lines()
    want = customer_summary(tx, dt.date(2025, 6, 30))
    monkeypatch.setattr(summary, "SUMMARY_MEMORY", "8MB")
    assert_frame_equal(customer_summary(tx, dt.date(2025, 6, 30)), want, check_exact=True)


def test_a_summary_duckdb_cannot_fit_is_made_without_the_limit(monkeypatch):
    import duckdb

    from playbook.intake import summary

    tx = _many_lines(20_000)
    want = customer_summary(tx, dt.date(2025, 6, 30))
    real, limits = summary._query, []

    def query(frame, as_of, memory):
        limits.append(memory)
        if memory:
            raise duckdb.OutOfMemoryException("could not allocate block")
        return real(frame, as_of, memory)

    monkeypatch.setattr(summary, "_query", query)
    assert_frame_equal(customer_summary(tx, dt.date(2025, 6, 30)), want, check_exact=True)
    assert limits == [summary.SUMMARY_MEMORY, None]
