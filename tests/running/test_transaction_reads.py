"""Who each customer is, read from a large client's transactions without holding every
line's text: the lines' values read a row group at a time, text columns read coded, and
the figures made from them equal to those made from the whole columns."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import write_tiny_client
from hypothesis import given, settings
from hypothesis import strategies as st

from playbook import exports
from playbook.keys import KEY
from playbook.params import load_params
from playbook.running.context import RunContext
from playbook.segmentation import views, views_tasks
from playbook.winback import candidates as cd
from playbook.winback import views as wb_views

AS_OF = "2025-03-20"


def _run(tmp_path, frame: pd.DataFrame, *, row_group: int = 7) -> RunContext:
    """A run folder whose transactions file is ``frame``, in row groups of ``row_group``
    lines, as of :data:`AS_OF` (later lines are cut off by the context)."""
    params = load_params(write_tiny_client(tmp_path / "client"))
    data = tmp_path / "run" / "data"
    data.mkdir(parents=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, data / "transactions.parquet", row_group_size=row_group)
    (data / "intake.json").write_text(json.dumps({"figures": {"as_of": AS_OF}}))
    return RunContext(params=params, run_dir=tmp_path / "run")


def _lines(n: int, seed: int) -> pd.DataFrame:
    """``n`` lines of 40 customers over 40 days (many ties within a day), with missing and
    blank managers and names, some after :data:`AS_OF`."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "customer_id": rng.choice([f"C{i:02d}" for i in range(40)], n),
        "date": (pd.Timestamp("2025-02-20") + pd.to_timedelta(rng.integers(0, 40, n), "D"))
        .as_unit("s").date,
        "amount": rng.integers(-5, 50, n).astype(float),
        "manager": rng.choice(["Анна", "Олег", " ", None, "<b>Игорь</b>"], n),
        "customer_name": rng.choice([f"ООО «Ромашка {i}»" for i in range(60)] + [None], n),
        "category": rng.choice(["Бумага", "Тонер", "Папки", None], n),
    })


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 60), seed=st.integers(0, 10_000), group=st.integers(1, 9),
       picks=st.lists(st.integers(0, 10_000), max_size=30))
def test_values_on_lines_are_the_whole_columns_values(tmp_path_factory, n, seed, group,
                                                      picks):
    run = _run(tmp_path_factory.mktemp("run"), _lines(n, seed), row_group=group)
    whole = run.transactions(columns=["customer_name", "manager"], keep=False)
    lines = np.array([p % len(whole) for p in picks] if len(whole) else [], dtype=np.int64)
    for column in ("customer_name", "manager"):
        want = whole[column].take(lines).reset_index(drop=True)
        pd.testing.assert_series_equal(run.transaction_values(column, lines), want,
                                       check_exact=True)
        assert (run.transaction_known(column) == whole[column].notna().to_numpy()).all()


def test_a_missing_column_is_known_nowhere(tmp_path):
    run = _run(tmp_path, _lines(30, 1).drop(columns=["manager"]))
    assert not run.transaction_known("manager").any()
    assert len(run.transaction_known("manager")) == len(run.transactions(columns=["date"]))
    assert views_tasks.last_known(run, "manager").empty


def test_coded_columns_are_the_same_text_and_are_never_kept(tmp_path):
    run = _run(tmp_path, _lines(200, 2))
    plain = run.transactions(columns=["customer_id", "category", "manager"], keep=False)
    coded = run.transactions(columns=["customer_id", "category", "manager"],
                             coded=["category", "manager"])
    assert isinstance(coded["category"].dtype, pd.CategoricalDtype)
    for column in ("category", "manager"):
        decoded = coded[column].astype(coded[column].cat.categories.dtype)
        pd.testing.assert_series_equal(decoded, plain[column], check_exact=True)
    assert set(run._transactions[False]) == {"customer_id"}  # kept: the plain column only
    pd.testing.assert_frame_equal(run.transactions(columns=["category"]),
                                  plain[["category"]])


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_who_each_customer_is_equals_the_whole_columns_rule(tmp_path, seed):
    frame = _lines(300, seed)
    run = _run(tmp_path, frame)
    whole = run.transactions(columns=["customer_id", "date", "manager", "customer_name"],
                             keep=False)
    coded = pd.factorize(run.transactions(columns=["customer_id"])["customer_id"], sort=True)
    for column in ("manager", "customer_name"):
        want = exports.last_known(whole, column)
        for customers in (None, coded):
            pd.testing.assert_series_equal(
                views_tasks.last_known(run, column, customers=customers), want,
                check_exact=True)
    # the customers' names the client's kind is told from: each one's last named line
    want = whole.dropna(subset=["customer_name"]).groupby("customer_id")["customer_name"].last()
    pd.testing.assert_series_equal(views.customer_names(run), want, check_exact=True)


def test_the_candidates_names_are_those_of_their_latest_lines(tmp_path):
    run = _run(tmp_path, _lines(300, 6))
    whole = run.transactions(columns=["customer_id", "date", "customer_name", "manager"],
                             keep=False)
    ids = pd.Series(["C07", "C00", "C39", "nobody", "C07"])
    latest = whole.iloc[cd.latest_lines(whole, ids)]
    want = latest.rename(columns={"customer_name": "name"})[["customer_id", "name", "manager"]]
    pd.testing.assert_frame_equal(wb_views._names(run, ids), want.reset_index(drop=True),
                                  check_exact=True)
    assert views.customer_names(_run(tmp_path / "nameless",
                                     _lines(50, 7).assign(customer_name=None))) is None


def test_lines_after_as_of_are_held_apart_only_when_there_are_some(tmp_path):
    frame = _lines(120, 8)
    run = _run(tmp_path / "later", frame)
    up_to, every = run.transactions(), run.transactions(after_as_of=True)
    assert len(every) == len(frame) > len(up_to) == (frame["date"] <= pd.Timestamp(AS_OF)
                                                      .date()).sum()
    assert set(run._transactions) == {False, True}
    early = frame[frame["date"] <= pd.Timestamp(AS_OF).date()].reset_index(drop=True)
    run = _run(tmp_path / "none-later", early)
    pd.testing.assert_frame_equal(run.transactions(after_as_of=True), run.transactions())
    assert set(run._transactions) == {False}  # the same lines: held once


@pytest.mark.parametrize("after_as_of", [False, True])
def test_the_customer_key_is_the_sorted_ids_coded_once(tmp_path, after_as_of):
    run = _run(tmp_path, _lines(300, 3))
    frame = run.transactions(after_as_of=after_as_of, columns=["customer_id", "date", KEY])
    codes, ids = pd.factorize(frame["customer_id"], sort=True)
    key = frame[KEY]
    np.testing.assert_array_equal(key.cat.codes.to_numpy(), codes)
    pd.testing.assert_index_equal(key.cat.categories, pd.Index(ids))
    # kept like any column: the next frame shares it, and the ids are never recoded
    again = run.transactions(after_as_of=after_as_of, columns=[KEY, "amount"])
    assert list(again.columns) == [KEY, "amount"]
    assert again[KEY].cat.categories is key.cat.categories
    assert run.transactions(after_as_of=after_as_of).columns.tolist() == \
        run.transaction_columns  # every column of the file: no key unless asked


def test_lines_let_go_are_read_again_the_same(tmp_path):
    """A notebook done with the lines gives them back; a later read is the same table."""
    run = _run(tmp_path, _lines(200, 5))
    columns = ["customer_id", "date", "amount", KEY]
    before = run.transactions(columns=columns)
    assert run._transactions  # held while the notebook analyses
    run.let_go()
    assert not run._transactions
    pd.testing.assert_frame_equal(run.transactions(columns=columns), before)


def test_the_key_made_for_one_read_reads_the_ids_once_and_keeps_nothing(tmp_path,
                                                                        monkeypatch):
    """Who each customer is, made in a kernel that gave its lines back: the ids read for the
    key are the frame's ids too (read once), and nothing is held after."""
    run = _run(tmp_path, _lines(200, 5))
    columns = ["customer_id", "date", KEY]
    expected = run.transactions(columns=columns)
    run.let_go()
    reads = []
    real = pd.read_parquet
    monkeypatch.setattr(pd, "read_parquet",
                        lambda path, columns=None, **kw: reads.append(list(columns))
                        or real(path, columns=columns, **kw))
    got = run.transactions(columns=columns, keep=False)
    pd.testing.assert_frame_equal(got, expected)
    assert sorted(c for read in reads for c in read) == ["customer_id", "date"]
    assert not any(run._transactions.values())
