"""The managers' lists from the demo: calls to the customers at risk and the fallen, the
win-back and the director's apology calls, the context on every task, the mailing lists."""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache
from pathlib import Path

from segdemo import demo_context, demo_segments

from playbook import exports
from playbook.segmentation import rhythm as rh
from playbook.segmentation import views
from playbook.survey.exits import exit_causes

HANDOVER = dt.date(2026, 11, 2)  # tasks.start of the demo client


@cache
def _lists(language: str):
    """The segmentation's own lists, win-back and apology included (a run without the
    win-back section)."""
    return views.task_lists(demo_segments(), demo_context(language), winback=True)


def test_the_win_back_section_owns_its_lists_when_the_run_has_it():
    run, seg = demo_context("ru"), demo_segments()
    assert "40_winback.ipynb" in run.params.run.notebooks
    assert "winback" not in views.task_lists(seg, run)  # 40_winback makes them
    without = run.params.run.model_copy(update={"notebooks": [
        n for n in run.params.run.notebooks if n != "40_winback.ipynb"]})
    alone = dataclasses.replace(run, params=run.params.model_copy(update={"run": without}))
    assert {"winback", "apology"} <= set(views.task_lists(seg, alone))
    assert views.winback_sentence({}, run) == run.lang.t(
        "segmentation.exports_winback_elsewhere", start=run.lang.date(run.handover))


def test_who_is_on_the_calls_list_is_known_without_making_the_lists():
    # win-back leaves these customers to the calls list; it need not wait for the lists
    from playbook.segmentation import views_tasks

    run, seg = demo_context("ru"), demo_segments()
    calls = views.task_lists(seg, run, winback=False)["calls"]
    assert len(calls) > 100
    assert views_tasks.call_ids(seg) == set(calls["customer_id"])


def test_calls_hold_every_customer_at_risk_once_most_at_stake_first():
    run, seg = demo_context("ru"), demo_segments()
    calls = _lists("ru")["calls"]
    risk = seg.rhythm.group("at_risk")
    assert calls["customer_id"].is_unique
    assert set(risk["customer_id"]) <= set(calls["customer_id"])
    overdue = exports.plain_text(run.lang.t("segmentation.tasks.action_overdue"))
    at_risk = calls["customer_id"].isin(set(risk["customer_id"]))
    assert (calls.loc[at_risk, "suggested_action"] == overdue).all()
    assert (calls.loc[~at_risk, "suggested_action"] != overdue).all() and (~at_risk).any()
    stake = risk.set_index("customer_id")["at_stake"]
    mine = calls[at_risk].set_index("customer_id")["value_at_stake"]
    assert mine.round(2).equals(stake.reindex(mine.index).round(2))
    assert calls["value_at_stake"].is_monotonic_decreasing


def test_every_list_counts_from_the_hand_over_and_carries_the_context():
    for language in ("ru", "en"):
        lists = _lists(language)
        assert list(lists) == ["calls", "winback", "apology", "greetings", "penetration"]
        for key, tasks in lists.items():
            assert list(tasks.columns) == list(exports.TASK_COLUMNS)
            assert (tasks["given"] == HANDOVER).all() and (tasks["due_date"] >= HANDOVER).all()
            assert tasks["task_id"].is_unique and tasks["value_at_stake"].is_monotonic_decreasing
            for column in ("segment", "rung", "value_band", "last_purchase", "revenue_12m",
                           "usual_category", "p_alive"):
                assert tasks[column].notna().any(), (key, column)
        greetings = lists["greetings"]
        assert (greetings["due_date"] <= HANDOVER + dt.timedelta(days=30)).all()
    assert _lists("ru")["penetration"]["share_of_wallet"].notna().any()  # the annual survey


def test_win_back_holds_the_newly_lost_valuable_and_apologies_the_offended():
    run, seg = demo_context("ru"), demo_segments()
    lists = _lists("ru")
    winback, apology = set(lists["winback"]["customer_id"]), set(lists["apology"]["customer_id"])
    assert winback and apology and not winback & apology
    causes = exit_causes(run.survey("exit_survey"))
    offended = set(causes.loc[causes["cause"] == "offence", "customer_id"])
    assert apology <= offended
    r = seg.rhythm
    fresh = r.customers[rh.newly_lost(r.customers, days=run.params.segmentation.movement_days,
                                      lost_gaps=r.lost_gaps, lost_days=r.lost_days)]
    valuable = set(seg.abc.loc[seg.abc["abc"].isin(seg.risk_classes), "customer_id"])
    assert set(fresh["customer_id"]) & valuable - apology <= winback
    terms = set(causes.loc[causes["cause"] == "terms", "customer_id"])
    assert winback <= (set(fresh["customer_id"]) & valuable) | terms
    assert not set(lists["calls"]["customer_id"]) & (winback | apology) - set(
        r.group("at_risk")["customer_id"])


def test_the_mailing_list_carries_each_customers_state():
    for language in ("ru", "en"):
        run, seg = demo_context(language), demo_segments()
        frame = views.mailing_list(seg, dataclasses.replace(run))
        states = {exports.plain_text(run.lang.t(f"segmentation.status.{s}")): s
                  for s in ("active", "overdue", "at_risk", "lost")}
        counts = frame["state"].map(states).value_counts().to_dict()
        assert counts == {s: n for s, n in seg.rhythm.customers["status"].value_counts().items()}
        assert set(frame["mailing"]) == {"news", "offers", "greetings"}
        assert "consent" not in frame  # the demo's customers file has no consent column


def test_consultant_notes_name_what_was_chosen_and_the_parameter():
    run, seg = demo_context("en"), demo_segments()
    notes = " ".join(views.consultant_notes(seg, run, run.lang, []))
    for part in ("client.kind", "segmentation.xyz.period", "quarter",
                 "segmentation.at_risk.factor"):
        assert part in notes


def test_lists_from_the_runs_own_segmentation_are_made_once_per_run(tmp_path, monkeypatch):
    # The segmentation, LTV and win-back notebooks all need the lists, who each customer
    # is and the tasks' context: made once in a run folder, read back after.
    import shutil

    import pandas as pd
    from segdemo import demo_run_dir

    from playbook.running.context import RunContext
    from playbook.segmentation import views_tasks

    shutil.copytree(demo_run_dir() / "data", tmp_path / "data")
    run = RunContext(params=demo_context("ru").params, run_dir=tmp_path,
                     today=dt.date(2026, 11, 26), reuse=True)
    made = []
    real = views_tasks._task_lists
    monkeypatch.setattr(views_tasks, "_task_lists",
                        lambda *a, **kw: made.append(1) or real(*a, **kw))
    seg = views.analyse(run)
    assert seg.of_run
    first = views_tasks.task_lists(seg, run)
    again = views_tasks.task_lists(views.analyse(run), run)
    assert len(made) == 1
    assert first.keys() == again.keys()
    for key in first:
        pd.testing.assert_frame_equal(first[key], again[key])
    # a segmentation of other evidence is not the run's own: its lists are made afresh
    other = dataclasses.replace(seg, of_run=False)
    views_tasks.task_lists(other, run)
    assert len(made) == 2


def test_a_client_above_the_limit_is_told_its_mailing_lists_are_csv_only():
    seg = demo_segments()
    customers = len(seg.rhythm.customers)
    assert customers <= exports.mailing.WORKBOOK_MAX_CUSTOMERS  # the demo keeps its workbook
    for language, stem, kinds, words in (
            ("ru", "Рассылки", ("новости", "предложения", "поздравления"),
             ("только файлами CSV", "клиентов")),
            ("en", "mailings", ("news", "offers", "greetings"), ("CSV files only", "customers"))):
        run = demo_context(language)
        lang = run.lang
        csvs = [Path("exports") / f"{stem}_{k}.csv" for k in kinds]
        book = Path("exports") / f"{stem}.xlsx"
        note = lang.t("segmentation.consultant.mailing_csv_only", n=lang.int(customers))
        assert lang.int(customers) in note and all(w in note for w in words)
        assert note in views.consultant_notes(seg, run, lang, csvs)
        assert note not in views.consultant_notes(seg, run, lang, [*csvs, book])
        assert note not in views.consultant_notes(seg, run, lang, [])


def test_the_lists_give_the_lines_back_after_their_last_read():
    """The segmentation's kernel holds a large client's lines for its analyses: its lists
    give them back once the last list that reads lines is made, and lists made again read
    them again, the same."""
    import pandas as pd

    run, seg = demo_context("en"), demo_segments()
    first = views.task_lists(seg, run, winback=True)
    assert not run._transactions
    again = views.task_lists(seg, run, winback=True)
    assert first.keys() == again.keys()
    for key in first:
        pd.testing.assert_frame_equal(first[key], again[key])
