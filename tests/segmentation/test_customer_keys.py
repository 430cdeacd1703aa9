"""Grouping by a number per customer (playbook.keys) gives, to the last bit, what grouping
by the ids gives: each analysis that groups a large client's lines by customer is checked
against the plain groupby it replaced, on tables with and without the run's key column."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import exports, keys
from playbook.errors import DataError
from playbook.keys import KEY, customer_codes, group_key, pair_sums, with_ids
from playbook.ltv import formulas, rfm
from playbook.segmentation import analysis as sg
from playbook.segmentation import rhythm as rh

AS_OF = dt.date(2025, 6, 30)
#: ids whose order as text is not their order as numbers, with Cyrillic and case
IDS = ["10", "9", "A-1", "a-1", "К-002", "К-010", "к-1", "Z", "100", "007", "b", "Ё"]


@st.composite
def lines(draw):
    """Lines of up to 12 customers over three years around :data:`AS_OF` (some after it,
    some before 1970's neighbours' grouping boundaries do not matter), in no order, with
    returns, ties and a missing amount now and then; the run's key made over every line."""
    n = draw(st.integers(0, 80))
    seed = draw(st.integers(0, 100_000))
    rng = np.random.default_rng(seed)
    amounts = rng.choice([-250.0, 0.0, 0.1, 0.2, 1e-9, 99.99, 1234.5, 1e7, np.nan], n) \
        + rng.integers(0, 3, n) * 0.7
    frame = pd.DataFrame({
        "customer_id": pd.array(rng.choice(IDS, n), dtype="str"),
        "date": (pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), "D"))
        .as_unit("s"),
        "amount": amounts,
        "margin": amounts * 0.3,
        "category": rng.choice(["Бумага", "Тонер", "Папки"], n),
    })
    code, ids = pd.factorize(frame["customer_id"], sort=True)
    keyed = frame.assign(**{KEY: pd.Categorical.from_codes(code, categories=pd.Index(ids))})
    return frame, keyed


#: Lines grouped at once (keys.PAIR_LINES): as a run's, and few enough that the tests'
#: tables are grouped a range of customers at a time, as a large client's are
CHUNKS = st.sampled_from([keys.PAIR_LINES, 1, 3, 10])


def _chunked(lines_at_once):
    return mock.patch.object(keys, "PAIR_LINES", lines_at_once)


def _by_id_xyz(frame, as_of, period, window):
    """The XYZ figures grouped by the ids themselves (the rule the keys replaced)."""
    per_year = {"month": 12, "quarter": 4}[period]
    months_per = 12 // per_year
    end = sg.last_complete_period(as_of, period)
    start = end - max(1, window // months_per)
    f = frame[frame["date"] <= pd.Timestamp(as_of)]
    f = f.assign(p=(f["date"].dt.year - 1970) * per_year + (f["date"].dt.month - 1) // months_per)
    first = f.groupby("customer_id")["p"].min()
    w = f[(f["p"] > start.ordinal) & (f["p"] <= end.ordinal)]
    per = w.groupby(["customer_id", "p"])["amount"].sum().clip(lower=0)
    return first, per.groupby(level=0).sum(), (per ** 2).groupby(level=0).sum()


@settings(max_examples=60, deadline=None)
@given(lines(), st.sampled_from(["month", "quarter"]), st.integers(1, 24),
       st.integers(-400, 400), CHUNKS)
def test_xyz_figures_are_those_grouped_by_id(data, period, window, shift, chunk):
    as_of = AS_OF + dt.timedelta(days=shift)
    frame, keyed = data
    first, sums, squares = _by_id_xyz(frame, as_of, period, window)
    for table in (frame, keyed):
        with _chunked(chunk):
            stats = sg._xyz_stats(table, as_of, period=period, window_months=window,
                                  customer_id="customer_id", date="date", amount="amount")
        np.testing.assert_array_equal(stats["first"].to_numpy(), first.to_numpy())
        assert stats.index.tolist() == first.index.tolist()
        pd.testing.assert_series_equal(stats["sum"], sums.reindex(stats.index).fillna(0.0),
                                       check_exact=True, check_names=False)
        pd.testing.assert_series_equal(stats["sq"], squares.reindex(stats.index).fillna(0.0),
                                       check_exact=True, check_names=False)


@settings(max_examples=60, deadline=None)
@given(lines(), st.integers(1, 24), st.integers(-400, 400), CHUNKS)
def test_active_months_and_base_health_are_those_grouped_by_id(data, window, shift, chunk):
    as_of = AS_OF + dt.timedelta(days=shift)
    frame, keyed = data
    month = frame["date"].dt.to_period("M")
    inside = (frame["date"] <= pd.Timestamp(as_of)) \
        & (month > pd.Period(as_of, "M") - window)
    monthly = frame[inside].groupby(["customer_id", month[inside]])["amount"].sum()
    active = (monthly > 0).groupby(level=0).sum()
    known = frame[frame["date"] <= pd.Timestamp(sg.complete_end(as_of))]
    bought = known.groupby(["customer_id", known["date"].dt.to_period("M")])["amount"].sum()
    bought = bought[bought > 0].reset_index()
    firsts = bought.groupby("customer_id")["date"].transform("min")
    counts = bought.groupby("date").size()
    new = bought[bought["date"] == firsts].groupby("date").size()
    for table in (frame, keyed):
        with _chunked(chunk):
            months_active = sg._active_months(table, as_of, window, "customer_id", "date",
                                              "amount")
            health = sg.base_health(table, as_of=as_of).set_index("month")
        pd.testing.assert_series_equal(months_active, active, check_exact=True)
        if len(counts):
            months = pd.period_range(counts.index.min(), counts.index.max(), freq="M")
            assert health["active"].tolist() == counts.reindex(months, fill_value=0).tolist()
            assert health["new"].tolist() == new.reindex(months, fill_value=0).tolist()
        else:
            assert health.empty


@settings(max_examples=60, deadline=None)
@given(lines(), st.integers(-400, 400), CHUNKS)
def test_pace_context_and_yearly_value_are_the_same_with_the_key(data, shift, chunk):
    as_of = AS_OF + dt.timedelta(days=shift)
    frame, keyed = data
    known = frame[frame["date"] <= pd.Timestamp(as_of)]
    first = known.groupby("customer_id")["date"].min()
    end, start = pd.Timestamp(as_of), pd.Timestamp(as_of) - pd.DateOffset(months=12)
    window = known[(known["date"] > start) & (known["date"] <= end)]
    bought = window.groupby("customer_id")["amount"].sum().clip(lower=0)
    for table in (frame, keyed):
        pace = rh.annual_pace(table, first, as_of)
        tenure = ((end - first.clip(lower=start)).dt.days / (end - start).days * 12) \
            .clip(lower=1, upper=12)
        pd.testing.assert_series_equal(
            pace, (bought.reindex(first.index).fillna(0.0) / tenure * 12).rename("pace"),
            check_exact=True)
    summary = pd.DataFrame({"customer_id": first.index.to_numpy(),
                            "last_purchase": known.groupby("customer_id")["date"].max()
                            .to_numpy()})
    with _chunked(chunk):
        got = exports.context(summary, keyed, as_of)
        pd.testing.assert_frame_equal(got, exports.context(summary, frame, as_of),
                                      check_exact=True)
    # and the rule written out by id: the last 12 months against the 12 before, and the
    # category spent most on (ties: the first by name)
    ids = summary["customer_id"]
    mid, back = end - pd.DateOffset(months=12), end - pd.DateOffset(months=24)
    late = known[known["date"] > mid].groupby("customer_id")["amount"].sum()
    early = known[(known["date"] > back) & (known["date"] <= mid)] \
        .groupby("customer_id")["amount"].sum()
    revenue = late.reindex(ids).fillna(0.0).to_numpy()
    np.testing.assert_array_equal(got["revenue_12m"].to_numpy(), revenue)
    before = early.reindex(ids).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = np.where(before > 0, np.clip(1 - revenue / before, 0, 1), np.nan)
    np.testing.assert_array_equal(got["drop_share"].to_numpy(), drop)
    spent = known.groupby(["customer_id", "category"])["amount"].sum().reset_index() \
        .sort_values(["customer_id", "amount", "category"], ascending=[True, False, True])
    usual = spent.drop_duplicates("customer_id").set_index("customer_id")["category"]
    assert got["usual_category"].tolist() == (usual.reindex(ids).tolist() if len(spent)
                                              else [None] * len(ids))
    pd.testing.assert_series_equal(exports.yearly_value(keyed), exports.yearly_value(frame),
                                   check_exact=True)
    pd.testing.assert_frame_equal(formulas.purchase_days(keyed),
                                  formulas.purchase_days(frame), check_exact=True)
    # the models' summary (win-back's check of each customer against the model), also of
    # lines some customers of the key have none of
    start = pd.Timestamp(as_of) - pd.DateOffset(months=6)
    seen = keyed["date"] <= pd.Timestamp(as_of)
    for with_key, without in ((keyed, frame), (keyed[seen], frame[seen])):
        made = []
        for table in (with_key, without):
            try:
                made.append(rfm.rfm_summary(table, calibration_end=start,
                                            observation_end=as_of))
            except DataError as exc:
                made.append(str(exc))
        if isinstance(made[0], str):
            assert made[0] == made[1]
        else:
            pd.testing.assert_frame_equal(made[0], made[1], check_exact=True)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 60), st.integers(1, 5), st.integers(1, 12), st.integers(0, 10_000))
def test_pair_sums_grouped_a_range_of_customers_at_a_time_are_the_same(n, customers, span,
                                                                        seed):
    rng = np.random.default_rng(seed)
    code = rng.integers(-1, customers, n)  # -1: a line without a customer
    other = rng.integers(0, span, n)
    values = pd.Series(rng.choice([0.1, 0.2, -0.3, 1e16, 1.0, np.nan, -0.0], n))
    whole = pair_sums(values, code, other, span)
    for lines_at_once in (1, 2, 7):
        with _chunked(lines_at_once):
            parts = pair_sums(values, code, other, span)
        np.testing.assert_array_equal(parts[0].to_numpy(), whole[0].to_numpy())
        assert all(np.array_equal(a, b) for a, b in zip(parts[1:], whole[1:], strict=True))
        ranges = keys._customer_ranges(code, lines_at_once)
        # every line with a customer in exactly one range, the ranges in order
        within = [((code >= low) & (code < high)).sum() for low, high in ranges]
        assert sum(within) == (code >= 0).sum()
        assert [low for low, _ in ranges[1:]] == [high for _, high in ranges[:-1]]


def test_codes_read_from_the_key_or_worked_out():
    frame = pd.DataFrame({"customer_id": pd.array(["b", "a", "b", None], dtype="str"),
                          "amount": [1.0, 2.0, 3.0, 4.0]})
    code, ids = customer_codes(frame)
    assert code.tolist() == [1, 0, 1, -1] and ids.tolist() == ["a", "b"]
    # a line without a customer is in no group, as groupby leaves out a missing id
    sums = with_ids(frame["amount"].groupby(group_key(code)).sum(), ids)
    pd.testing.assert_series_equal(sums, frame.groupby("customer_id")["amount"].sum())
    keyed = frame.assign(**{KEY: pd.Categorical.from_codes(
        np.array([1, 0, 1, -1], dtype=np.int8), categories=pd.Index(["a", "b", "c"]))})
    code, ids = customer_codes(keyed)
    assert code.dtype == np.int64 and ids.tolist() == ["a", "b", "c"]
    # another column's ids are worked out, never read from the key
    other = keyed.assign(buyer=["x", "y", "x", "y"])
    assert customer_codes(other, "buyer")[1].tolist() == ["x", "y"]
