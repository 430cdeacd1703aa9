"""Who is still active: the model's verdict when it can tell, a stated recency rule when not.

The UCI Online Retail data fits a BG/NBD dropout of about 0.0004 per purchase: the model
then calls every customer "probably active", however long ago it bought. The report must
say the data cannot tell yet, and count active and lapsed customers by a rule it states.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from playbook.ltv import activity, views_value
from playbook.ltv import views as ltv_views
from playbook.report.i18n import Lang


def summary_of(rows, as_of="2025-02-15"):
    """(customer, [purchase days as offsets from 2025-01-01]) -> an intake-like summary."""
    start = pd.Timestamp("2025-01-01")
    out = []
    for customer, offsets in rows:
        out.append({"customer_id": customer,
                    "last_purchase": (start + pd.Timedelta(days=max(offsets))).date(),
                    "frequency": len(offsets) - 1, "recency": max(offsets) - min(offsets)})
    return pd.DataFrame(out)


def test_recency_rule_hand_computed():
    # a: gap 10, last bought 25 days ago -> lapsed (> 20); b: gap 30, 15 days ago -> active;
    # c: one purchase 45 days ago; the repeat customers' median gap is 20 -> limit 40,
    # lapsed; d: one purchase 15 days ago -> active.
    summary = summary_of([("a", [0, 10, 20]), ("b", [0, 30]), ("c", [0]), ("d", [30])])
    rule = activity.recency_rule(summary, dt.date(2025, 2, 15)).set_index("customer_id")
    assert rule["days_since"].to_dict() == {"a": 25, "b": 15, "c": 45, "d": 15}
    assert rule["limit"].to_dict() == {"a": 20.0, "b": 60.0, "c": 40.0, "d": 40.0}
    assert rule["lapsed"].to_dict() == {"a": True, "b": False, "c": True, "d": False}
    assert activity.median_gap(summary) == 20.0
    three = activity.recency_rule(summary, dt.date(2025, 2, 15), gaps=3).set_index("customer_id")
    assert three.loc["a", "limit"] == 30.0 and not three.loc["a", "lapsed"]


def test_without_a_repeat_customer_nobody_is_judged():
    rule = activity.recency_rule(summary_of([("a", [0]), ("b", [5])]), dt.date(2026, 1, 1))
    assert not rule["lapsed"].any() and np.isinf(rule["limit"]).all()


@pytest.mark.parametrize("dropout, alive, history, gap, verdict", [
    (0.0004, [0.2, 0.9, 1.0], 373, 59, "dropout_near_zero"),
    (0.2, [0.96, 0.99, 1.0, 1.0], 373, 59, "nearly_all_alive"),
    (0.77, [0.2, 0.5, 1.0], 487, 234, "short_history"),   # 487 days < 3 x 234
    (0.12, [0.2, 0.5, 1.0], 730, 34, None),
    (0.12, [0.2, 0.5, 1.0], 730, None, None),
])
def test_the_model_verdict(dropout, alive, history, gap, verdict):
    assert activity.model_verdict(dropout, pd.Series(alive), history=history,
                                  gap=gap) == verdict


def _plain(sentences) -> str:
    text = " ".join(re.sub(r"<[^>]+>", "", str(s)) for s in sentences)
    return " ".join(text.split())


def test_the_demo_model_tells_who_is_active(demo_run):
    res = ltv_views.analyse(demo_run)
    assert res.activity_rule == "model" and res.activity_reason is None
    results = ltv_views.results(res)
    assert results["activity_rule"] == "model"
    alive = int((res.customers["p_alive"] >= 0.5).sum())
    assert results["activity"]["active"] == alive
    assert f"{alive:,} of 3,000 customers are probably still buying" in _plain(
        ltv_views.clv_sentence(res, demo_run, Lang("en")))


@pytest.fixture
def no_dropout(demo_run, monkeypatch):
    """The demo with the fitted dropout pushed near zero, as the UCI data fits it."""
    fit = ltv_views.bgnbd.fit_bgnbd

    def near_zero(*args, **kwargs):
        return replace(fit(*args, **kwargs), a=0.0029, b=7.09)

    monkeypatch.setattr(ltv_views.bgnbd, "fit_bgnbd", near_zero)
    return ltv_views.analyse(demo_run)


def test_a_model_that_cannot_tell_falls_back_on_the_stated_rule(demo_run, no_dropout):
    res = no_dropout
    assert res.activity_rule == "recency" and res.activity_reason == "dropout_near_zero"
    # the counts are the rule's, computed here from the summary by hand
    summary = demo_run.summary()
    own = summary["recency"] / summary["frequency"].where(summary["frequency"] > 0)
    limit = 2 * own.fillna(own.median())
    since = (pd.Timestamp(demo_run.as_of) - pd.to_datetime(summary["last_purchase"])).dt.days
    lapsed = int((since > limit).sum())
    results = ltv_views.results(res)
    assert results["activity_rule"] == "recency"
    counts = results["activity"]
    assert (counts["lapsed"], counts["active"], counts["customers"]) == (
        lapsed, len(summary) - lapsed, len(summary))
    assert 0 < lapsed < len(summary)
    assert counts["one_time_limit_days"] == pytest.approx(2 * own.median())
    gap = round(own.median())
    for code, says, never in (
            ("en", ["The data cannot yet tell who has left",
                    f"more than {round(2 * own.median())} days",
                    f"median gap of {gap} days",
                    f"{len(summary) - lapsed:,} of 3,000 customers are active and "
                    f"{lapsed:,} have lapsed", "upper bound"], "probably still buying"),
            ("ru", ["пока нельзя сказать, кто из клиентов ушёл", f"{gap} дн.",
                    "По этому правилу активных клиентов"], "Вероятно, всё ещё покупают")):
        text = _plain(ltv_views.clv_sentence(res, demo_run, Lang(code)))
        for part in says:
            assert part in text, part
        assert never not in text


def test_retain_tasks_follow_the_rule_in_use(demo_run, no_dropout):
    tasks = ltv_views.retain_tasks(no_dropout, demo_run)
    assert len(tasks)  # valuable customers who lapsed in the last 90 days
    reasons = " ".join(str(r) for r in tasks.iloc[:, :].to_numpy().ravel())
    assert "Нет покупок" in reasons  # the demo's language is Russian
    rule = no_dropout.activity.set_index("customer_id")
    picked = views_value._retain(no_dropout, demo_run)
    assert rule.loc[picked["customer_id"], "lapsed"].all()
    assert (rule.loc[picked["customer_id"], "days_since"] - 90
            <= rule.loc[picked["customer_id"], "limit"]).all()
