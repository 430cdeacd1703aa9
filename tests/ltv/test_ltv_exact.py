"""The fast paths of the LTV formulas and the customer summary give, to the last bit, what
the plain pandas definitions give.

Purchase days, the RFM summary, cohorts, CRR and LTV by segment group by integer codes and
sort by radix instead of grouping by the string ids (seconds at 10 million rows). Each is
checked here against the plain definition it replaced, kept below as the reference, on
small tables with what makes them differ if anything is off: several lines a day in any
order (pandas sums them with compensation, in row order), same-day returns, net-zero days,
one-day customers, missing margins, missing ids and dates, dates before 1970, no rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from playbook.errors import DataError
from playbook.ltv import formulas as ltv
from playbook.ltv.rfm import rfm_summary
from playbook.periods import complete_end, last_complete_period

# --- the plain definitions -------------------------------------------------------------------


def plain_purchase_days(transactions: pd.DataFrame) -> pd.DataFrame:
    frame = transactions.assign(date=pd.to_datetime(transactions["date"]).dt.normalize())
    if "margin" not in transactions:
        frame["margin"] = np.nan
    groups = frame.groupby(["customer_id", "date"], as_index=False, sort=True)
    days = groups.agg(amount=("amount", "sum"))
    days["margin"] = groups["margin"].sum(min_count=1)["margin"].to_numpy()
    return days[days["amount"] >= 0].reset_index(drop=True)


def plain_rfm_summary(transactions, calibration_end, observation_end, unit_days=1.0):
    cal_end = pd.Timestamp(calibration_end).normalize()
    obs_end = pd.Timestamp(observation_end).normalize()
    day = pd.to_datetime(transactions["date"]).dt.normalize()
    keep = (day <= obs_end).to_numpy()
    daily = (
        pd.DataFrame({
            "customer_id": transactions["customer_id"].to_numpy()[keep],
            "day": day.to_numpy()[keep],
            "amount": transactions["amount"].astype(float).to_numpy()[keep],
        })
        .groupby(["customer_id", "day"], sort=True)["amount"].sum()
        .reset_index()
    )
    daily = daily[daily["amount"] >= 0]
    in_cal = daily["day"] <= cal_end
    cal = daily[in_cal]
    if cal.empty:
        raise DataError("no purchase")
    grouped = cal.groupby("customer_id", sort=True)
    first = grouped["day"].min()
    days = grouped["day"].size()
    repeat_spend = grouped["amount"].sum() - grouped["amount"].first()
    frequency = (days - 1).astype("int64")
    out = pd.DataFrame({
        "customer_id": first.index,
        "frequency": frequency.to_numpy(),
        "recency": ((grouped["day"].max() - first).dt.days / unit_days).to_numpy(),
        "T": ((cal_end - first).dt.days / unit_days).to_numpy(),
        "monetary_value": np.where(frequency > 0, repeat_spend / frequency.clip(lower=1), 0.0),
    })
    if obs_end > cal_end:
        later = daily[~in_cal].groupby("customer_id").size()
        out["frequency_holdout"] = (
            later.reindex(out["customer_id"]).fillna(0).astype("int64").to_numpy()
        )
        out["duration_holdout"] = (obs_end - cal_end).days / unit_days
    return out


def plain_cohort_table(days: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    frame = days[days["date"] <= pd.Timestamp(complete_end(as_of))]
    month = frame["date"].dt.to_period("M")
    cohort = frame.groupby("customer_id")["date"].min().dt.to_period("M")
    frame = frame.assign(cohort=frame["customer_id"].map(cohort), month=month)
    frame["k"] = (frame["month"] - frame["cohort"]).apply(lambda d: d.n)
    active = frame.drop_duplicates(["customer_id", "k"])
    counts = active.groupby(["cohort", "k"]).size().unstack(fill_value=0)
    table = counts.div(cohort.value_counts().reindex(counts.index), axis=0)
    last = last_complete_period(as_of)
    for c in table.index:
        table.loc[c, table.columns > (last - c).n] = np.nan
    table = table.tail(24)
    table.index = table.index.to_timestamp()
    table.index.name = "cohort"
    table.columns.name = "months_since_first"
    return table


def plain_active_counts(days: pd.DataFrame, edges, window_months: int) -> list[int]:
    codes = pd.factorize(days["customer_id"])[0]
    counts = []
    for when in edges:
        start = when - pd.DateOffset(months=window_months)
        seen = ((days["date"] > start) & (days["date"] <= when)).to_numpy()
        counts.append(int(pd.unique(codes[seen]).size))
    return counts


def plain_crr_table(days: pd.DataFrame, as_of: dt.date, period: str,
                    window_months: int) -> pd.DataFrame:
    as_of = pd.Timestamp(as_of)
    earliest = days["date"].min() + pd.DateOffset(months=window_months) - pd.Timedelta(days=1)
    freq = {"month": "ME", "quarter": "QE", "year": "YE"}[period]
    edges = [e.normalize() for e in pd.date_range(earliest, as_of, freq=freq)]
    edges = [e for e in edges if e >= earliest]
    first_purchase = days.groupby("customer_id")["date"].min()
    active = dict(zip(edges, plain_active_counts(days, edges, window_months), strict=True))
    rows = []
    for start, end in zip(edges[:-1], edges[1:], strict=True):
        s, e = active[start], active[end]
        n = int(((first_purchase > start) & (first_purchase <= end)).sum())
        crr = (e - n) / s * 100 if s else np.nan
        rows.append({"period_start": start.date(), "period_end": end.date(), "S": s, "E": e,
                     "N": n, "crr": crr, "churn": 100 - crr if s else np.nan})
    return pd.DataFrame(rows, columns=["period_start", "period_end", "S", "E", "N", "crr",
                                       "churn"])


def plain_ltv_by_segment(days, segments, overall, as_of):
    merged = days.merge(segments[["customer_id", "segment"]], on="customer_id")
    rows = []
    for name, part in merged.groupby("segment"):
        try:
            f = ltv.ltv_factors(part, as_of, window_months=12, retention=overall.retention)
        except ValueError:
            continue
        rows.append({"segment": name, "customers": f.customers, "S": f.S, "C": f.C, "P": f.P,
                     "T": f.T, "ltv": f.ltv})
    return pd.DataFrame(rows).sort_values("ltv", ascending=False).reset_index(drop=True)


# --- equal to the last bit -------------------------------------------------------------------


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """Equal values, dtypes, index and column labels; floats equal bit for bit."""
    assert_frame_equal(got, want, check_exact=True, check_index_type=True,
                       check_column_type=True)
    for column in want.columns:
        values = want[column].to_numpy()
        if values.dtype.kind == "f":
            assert got[column].to_numpy().tobytes() == values.tobytes(), column


# Amounts whose sums depend on the order they are added in (a large line and small ones).
AMOUNTS = [0.1, 0.2, 0.7, 1e6 + 0.01, 1234.56, 333.33, -0.3, -250.0, 0.0, 19.99, 1e-3]


def tricky_transactions(seed: int, rows: int = 400) -> pd.DataFrame:
    """Lines of a few customers over a few days around 1970 and 2025, in random order, with
    same-day returns, missing margins and one customer with a single purchase day."""
    rng = np.random.default_rng(seed)
    days = pd.to_datetime(["1969-12-30", "1969-12-31", "1970-01-01", "2024-02-29",
                           "2025-01-31", "2025-02-28", "2025-03-01", "2025-06-15"])
    frame = pd.DataFrame({
        "customer_id": rng.choice(["К-1", "К-2", "b", "a10", "a9"], rows),
        "date": days[rng.integers(0, len(days), rows)]
        + pd.to_timedelta(rng.integers(0, 86_400, rows), unit="s"),
        "amount": rng.choice(AMOUNTS, rows) * rng.integers(1, 4, rows),
        "margin": np.where(rng.random(rows) < 0.2, np.nan, rng.choice(AMOUNTS, rows)),
    })
    single = pd.DataFrame({"customer_id": ["once", "once"],
                           "date": pd.to_datetime(["2025-02-01 09:00", "2025-02-01 18:00"]),
                           "amount": [10.0, 0.5], "margin": [np.nan, np.nan]})
    return pd.concat([frame, single], ignore_index=True)


@pytest.fixture(params=["shuffled", "sorted"])
def transactions(request) -> pd.DataFrame:
    """Random order, and the order of (customer, date), where pandas sums runs instead."""
    tx = tricky_transactions(13)
    if request.param == "sorted":
        tx = tx.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)
    return tx


def test_purchase_days_are_the_plain_groupby(transactions):
    days = ltv.purchase_days(transactions)
    assert_same(days, plain_purchase_days(transactions))
    assert days["margin"].isna().any() and (days["date"] < pd.Timestamp(0)).any()


def test_purchase_days_with_missing_ids_dates_and_margins():
    tx = tricky_transactions(5, rows=60)
    tx.loc[[3, 17], "customer_id"] = None
    tx.loc[[8, 40], "date"] = pd.NaT
    assert_same(ltv.purchase_days(tx), plain_purchase_days(tx))
    no_margin = tx.drop(columns="margin")
    assert_same(ltv.purchase_days(no_margin), plain_purchase_days(no_margin))
    as_objects = tx.assign(customer_id=tx["customer_id"].astype(object))
    assert_same(ltv.purchase_days(as_objects), plain_purchase_days(as_objects))


def test_purchase_days_of_no_rows():
    empty = tricky_transactions(1).iloc[:0]
    assert_same(ltv.purchase_days(empty), plain_purchase_days(empty))


@pytest.mark.parametrize("calibration_end, observation_end", [
    ("2025-02-28", "2025-06-30"), ("2025-06-15", "2025-06-15"), ("1970-01-01", "2025-03-01"),
])
def test_rfm_summary_is_the_plain_groupby(transactions, calibration_end, observation_end):
    got = rfm_summary(transactions, calibration_end=calibration_end,
                      observation_end=observation_end, time_unit="day")
    assert_same(got, plain_rfm_summary(transactions, calibration_end, observation_end))
    weeks = rfm_summary(transactions, calibration_end=calibration_end,
                        observation_end=observation_end, time_unit="week")
    assert_same(weeks, plain_rfm_summary(transactions, calibration_end, observation_end, 7.0))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 150), shuffle=st.booleans(),
       ends=st.sampled_from([("2025-02-28", "2025-06-30"), ("2025-06-15", "2025-06-15"),
                             ("1970-01-01", "2025-03-01"), ("1969-12-31", "1969-12-31"),
                             ("2025-03-01", "2025-06-15")]),
       unit=st.sampled_from(["day", "week", "month"]))
def test_rfm_summary_of_the_purchase_days_is_that_of_the_lines(seed, rows, shuffle, ends,
                                                               unit):
    """The LTV models summarise the purchase days (each day's lines summed once, the days
    of returns dropped) instead of every line: to the last bit the same summary."""
    tx = tricky_transactions(seed, rows)
    if not shuffle:
        tx = tx.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)
    calibration_end, observation_end = ends
    try:
        want = rfm_summary(tx, calibration_end=calibration_end,
                           observation_end=observation_end, time_unit=unit)
    except DataError:
        with pytest.raises(DataError, match="No customer has a purchase"):
            rfm_summary(ltv.purchase_days(tx), calibration_end=calibration_end,
                        observation_end=observation_end, time_unit=unit)
        return
    got = rfm_summary(ltv.purchase_days(tx), calibration_end=calibration_end,
                      observation_end=observation_end, time_unit=unit)
    assert_frame_equal(got, want, check_exact=True)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 150),
       end=st.sampled_from(["1969-12-31", "1970-01-01", "2025-01-31", "2025-03-01",
                            "2025-06-15"]))
def test_rfm_summary_leaves_out_the_days_after_its_end_itself(seed, rows, end):
    """The LTV section passes every purchase day for today's and the earlier summary."""
    tx = tricky_transactions(seed, rows)
    known = tx[tx["date"] < pd.Timestamp(end) + pd.Timedelta(days=1)]
    for table in (tx, ltv.purchase_days(tx)):
        try:
            want = rfm_summary(known if table is tx else ltv.purchase_days(known),
                               calibration_end=end, time_unit="week")
        except DataError:
            with pytest.raises(DataError):
                rfm_summary(table, calibration_end=end, time_unit="week")
            continue
        assert_frame_equal(rfm_summary(table, calibration_end=end, time_unit="week"), want,
                           check_exact=True)


def test_rfm_summary_of_categorical_and_missing_ids():
    tx = tricky_transactions(8, rows=80)
    tx.loc[[2, 30], "customer_id"] = None
    categories = ["b", "К-2", "once", "a9", "К-1", "a10", "never"]
    tx["customer_id"] = pd.Categorical(tx["customer_id"], categories=categories)
    assert_same(rfm_summary(tx, calibration_end="2025-03-01", time_unit="day"),
                plain_rfm_summary(tx, "2025-03-01", "2025-03-01"))


def test_rfm_summary_of_no_purchase_in_the_calibration_period(transactions):
    with pytest.raises(DataError, match="No customer has a purchase"):
        rfm_summary(transactions, calibration_end="1960-01-01", time_unit="day")
    with pytest.raises(DataError, match="No customer has a purchase"):
        rfm_summary(transactions.iloc[:0], calibration_end="2025-01-01", time_unit="day")


def days_in_order(transactions: pd.DataFrame, order: str) -> pd.DataFrame:
    days = ltv.purchase_days(transactions)
    return days if order == "sorted" else days.sample(frac=1.0, random_state=3)


@pytest.mark.parametrize("order", ["sorted", "shuffled"])
def test_cohorts_crr_and_segments_are_the_plain_ones(transactions, order):
    days = days_in_order(transactions, order)
    as_of = dt.date(2025, 6, 20)
    assert_same(ltv.cohort_table(days, as_of), plain_cohort_table(days, as_of))
    for period, window in (("month", 1), ("quarter", 12), ("year", 3)):
        assert_same(ltv.crr_table(days, as_of, period=period, window_months=window),
                    plain_crr_table(days, as_of, period, window))
    segments = pd.DataFrame({"customer_id": ["К-1", "К-2", "b", "a10", "a9", "once", "gone"],
                             "segment": ["x", "y", "x", "z", "y", "z", "z"]})
    overall = ltv.LtvFactors(S=1.0, C=1.0, P=1.0, T=2.0, customers=1, margin_known=False,
                             retention=0.5)
    assert_same(ltv.ltv_by_segment(days, segments, overall, as_of),
                plain_ltv_by_segment(days, segments, overall, as_of))


def test_crr_counts_on_the_edges_of_windows():
    # A purchase on the day a window starts is outside it (b's February 29th for the window
    # to March 31st), on the day it ends inside; a customer with purchases in two windows
    # apart (c) counts in both, not in between.
    days = pd.DataFrame({"customer_id": ["a", "a", "b", "c", "c"],
                         "date": pd.to_datetime(["2024-01-31", "2024-03-31", "2024-02-29",
                                                 "2024-01-15", "2024-06-30"]),
                         "amount": 1.0, "margin": np.nan})
    edges = list(pd.date_range("2024-01-31", "2024-07-31", freq="ME"))
    want = plain_active_counts(days, edges, 1)
    assert ltv._active_counts(days["date"], pd.factorize(days["customer_id"])[0],
                                       edges, 1) == want == [2, 2, 1, 1, 0, 1, 0]


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 120),
       shuffle=st.booleans())
def test_every_summary_is_the_plain_one_on_random_tables(seed, rows, shuffle):
    tx = tricky_transactions(seed, rows)
    if not shuffle:
        tx = tx.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)
    days = ltv.purchase_days(tx)
    assert_same(days, plain_purchase_days(tx))
    assert_same(rfm_summary(tx, calibration_end="2025-02-28", observation_end="2025-06-30",
                            time_unit="day"),
                plain_rfm_summary(tx, "2025-02-28", "2025-06-30"))
    as_of = dt.date(2025, 6, 30)
    assert_same(ltv.cohort_table(days, as_of), plain_cohort_table(days, as_of))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 200), unique=st.booleans(),
       clean=st.booleans())
def test_day_sums_of_rows_already_one_per_day_are_pandas_sums(seed, rows, unique, clean):
    """Rows one per customer and day, in order (the purchase days), are their own groups:
    the sums taken as they are must be pandas' sums of them, missing, negative zero and
    infinite values included; any other rows go through the grouping."""
    from playbook.ltv.rfm import _day_sums, customer_day_groups

    rng = np.random.default_rng(seed)
    ids = np.sort(rng.integers(0, 20, rows))
    days = rng.integers(0, 30, rows)
    if unique:
        pairs = np.unique(ids * 30 + days)
        ids, days = pairs // 30, pairs % 30
    values = rng.choice([0.0, 1.5, -2.25, np.inf, 1e-300, 123456.789]
                        + ([] if clean else [np.nan, -0.0]), len(ids))
    codes, offsets, sums = _day_sums(ids, days, values)
    if unique and clean:
        assert sums is values  # taken as they are
    want_codes, want_offsets, groups = customer_day_groups(ids, days, {"v": values})
    want = groups["v"].sum().to_numpy()
    np.testing.assert_array_equal(codes, want_codes)
    np.testing.assert_array_equal(offsets, want_offsets)
    assert sums.tobytes() == want.tobytes()  # bit for bit: the sign of a zero too
