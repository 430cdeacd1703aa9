"""The managers' calls start with the customers at risk; the segment list says who is lost."""

from __future__ import annotations

from segdemo import demo_context, demo_segments

from playbook.exports import plain_text
from playbook.segmentation import views


def test_calls_put_the_customers_at_risk_first_once_each():
    run, seg = demo_context("ru"), demo_segments()
    calls = views.task_lists(seg, run)["calls"]
    risk = seg.rhythm.group("at_risk").sort_values("at_stake", ascending=False)
    assert calls["customer_id"].is_unique
    assert list(calls["customer_id"].iloc[:len(risk)]) == list(risk["customer_id"])
    overdue = plain_text(run.lang.t("segmentation.tasks.action_overdue"))
    assert (calls["suggested_action"].iloc[:len(risk)] == overdue).all()
    assert (calls["suggested_action"].iloc[len(risk):] != overdue).all()
    assert len(calls) > len(risk)  # customers who moved down and are not at risk follow


def test_the_segment_list_carries_each_customers_state():
    for language in ("ru", "en"):
        run, seg = demo_context(language), demo_segments()
        frame = views.segment_list(seg, run)
        column = plain_text(run.lang.t("segmentation.tasks.column.status"))
        states = {plain_text(run.lang.t(f"segmentation.status.{s}")): s
                  for s in ("active", "overdue", "at_risk", "lost")}
        counts = frame[column].map(states).value_counts().to_dict()
        assert counts == {s: n for s, n in
                          seg.rhythm.customers["status"].value_counts().items()}
        assert frame["ABC-XYZ"].str.match(r"^[ABC][XYZ—]$").all()


def test_consultant_notes_name_what_was_chosen_and_the_parameter():
    run, seg = demo_context("en"), demo_segments()
    notes = " ".join(views.consultant_notes(seg, run, run.lang, []))
    for part in ("client.kind", "segmentation.xyz.period", "quarter",
                 "segmentation.at_risk.factor"):
        assert part in notes
