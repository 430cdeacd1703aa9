"""The forward-looking groups against the demo generator's true states.

The demo's purchases come from the BG/NBD process (:mod:`playbook.demo.purchases`): after
each repeat purchase a customer drops out for good with its own probability ``p``. The
generator does not write who dropped out, so the test replays it: the same seed, the same
draws (``lambda``, ``p``, the number of events in the window ``N`` and the purchase after
which the customer would drop out ``K``); a customer has dropped out when ``K <= N``. The
replay is checked against the purchases the generator made (``min(N, K)`` repeats each).

Two truths are used. *Dropped out*: the generator's state. *No purchase in the next 12
months*: a customer that dropped out, or an active one whose Poisson rate gives no purchase
in a year (``exp(-52.18 lambda)``), which is what "lost" means for a business; one-time
buyers never drop out in BG/NBD (dropout follows a repeat purchase), so this is the fairer
truth for them.

Measured on the demo (3,000 customers, as of 2026-10-31): lost 1,592, of whom 84% dropped
out (precision), expected 90% with no purchase in the next year; 87% of the customers who
dropped out are found lost (recall). At risk 208, of whom 74% are still active (precision),
expected 70% to buy in the next year; of the valuable customers who are still active but
overdue by 1.5 usual gaps, 64% are called at risk rather than lost (recall). RFM's
backward-looking "at risk" and "can't lose" segments (744) hold 6% still-active customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from segdemo import demo_segments

import playbook.demo.documents as documents
from playbook.demo.customers import customer_codes
from playbook.demo.settings import DEMO_SEED, DEMO_SETTINGS

WEEKS_A_YEAR = 365.25 / 7


def _true_states() -> pd.DataFrame:
    """customer_id, lam (purchases a week), p, alive: the generator's hidden state."""
    captured = {}
    original = documents.simulate_bgnbd

    def replay(n, *, r, alpha, a, b, birth_weeks, horizon_weeks, rng):
        clone = np.random.Generator(type(rng.bit_generator)())
        clone.bit_generator.state = rng.bit_generator.state
        purchases = original(n, r=r, alpha=alpha, a=a, b=b, birth_weeks=birth_weeks,
                             horizon_weeks=horizon_weeks, rng=rng)
        window = horizon_weeks - np.broadcast_to(np.asarray(birth_weeks, float), (n,))
        lam = clone.gamma(r, 1.0 / alpha, size=n)
        p = np.maximum(clone.beta(a, b, size=n), np.finfo(float).tiny)
        n_window = clone.poisson(lam * window)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            k_drop = np.floor(np.log1p(-clone.random(n)) / np.log1p(-p)) + 1.0
        captured.update(lam=lam, p=p, n_window=n_window, k_drop=k_drop, purchases=purchases)
        return purchases

    documents.simulate_bgnbd = replay
    try:
        documents.sales_lines(DEMO_SETTINGS["n_customers"], np.random.default_rng(DEMO_SEED))
    finally:
        documents.simulate_bgnbd = original
    n = DEMO_SETTINGS["n_customers"]
    repeats = captured["purchases"].groupby("customer").size().to_numpy() - 1
    assert (repeats == np.minimum(captured["n_window"], captured["k_drop"])).all(), \
        "the replay no longer matches the generator's draws"
    return pd.DataFrame({"customer_id": customer_codes(n + DEMO_SETTINGS["n_prospects"])[:n],
                         "lam": captured["lam"], "p": captured["p"],
                         "alive": captured["k_drop"] > captured["n_window"]})


@pytest.fixture(scope="module")
def judged():
    seg = demo_segments()
    frame = seg.rhythm.customers.merge(_true_states(), on="customer_id", how="inner")
    assert len(frame) == len(seg.rhythm.customers) == DEMO_SETTINGS["n_customers"]
    frame["quiet_12m"] = np.where(frame["alive"], np.exp(-frame["lam"] * WEEKS_A_YEAR), 1.0)
    frame = frame.merge(seg.abc[["customer_id", "abc"]], on="customer_id")
    return frame.merge(seg.rfm[["customer_id", "segment"]], on="customer_id")


def test_lost_customers_have_dropped_out(judged):
    lost = judged[judged["status"] == "lost"]
    dropped = ~judged["alive"]
    precision = float((~lost["alive"]).mean())
    recall = float((dropped & (judged["status"] == "lost")).sum() / dropped.sum())
    print(f"lost: {len(lost)}, precision {precision:.3f}, recall {recall:.3f}, "
          f"no purchase in 12 months {lost['quiet_12m'].mean():.3f}")
    assert precision >= 0.80
    assert recall >= 0.80
    assert lost["quiet_12m"].mean() >= 0.85


def test_customers_at_risk_are_still_active(judged):
    risk = judged[judged["status"] == "at_risk"]
    precision = float(risk["alive"].mean())
    overdue_alive = judged["abc"].isin(["A", "B"]) & judged["alive"] & (judged["ratio"] > 1.5)
    recall = float((overdue_alive & (judged["status"] == "at_risk")).sum()
                   / overdue_alive.sum())
    print(f"at risk: {len(risk)}, precision {precision:.3f}, recall {recall:.3f}, "
          f"buy in 12 months {1 - risk['quiet_12m'].mean():.3f}")
    assert len(risk) > 50
    assert precision >= 0.65
    assert 1 - risk["quiet_12m"].mean() >= 0.6
    assert recall >= 0.55


def test_rfm_at_risk_segments_look_back_the_forward_group_looks_ahead(judged):
    rfm = judged[judged["segment"].isin(["at_risk", "cant_lose"])]
    risk = judged[judged["status"] == "at_risk"]
    print(f"RFM at risk and can't lose: {len(rfm)}, still active {rfm['alive'].mean():.3f}")
    assert rfm["alive"].mean() < 0.3 < risk["alive"].mean()
    assert (rfm["status"] == "lost").mean() > 0.9


def test_the_money_at_stake_is_a_fraction_of_the_past():
    seg = demo_segments()
    r = seg.rhythm
    risk = r.group("at_risk")
    assert r.factor_basis == "history" and 0.2 < r.factor < 0.9
    assert r.value_basis == "margin"  # the demo has cost, so margin
    assert risk["at_stake"].sum() == pytest.approx(risk["pace"].sum() * r.factor)
    # next year's expected margin, not years of past revenue
    assert risk["at_stake"].sum() < 0.2 * risk["past_revenue"].sum()


def test_the_movement_reuses_a_state_now_equal_to_its_own():
    """The analysis hands the movement its own ladder and RFM as the state now, made from
    intake's summary: the same movement as made from the transactions alone."""
    from segdemo import demo_context

    from playbook.segmentation import analysis as sg
    from playbook.segmentation import views

    seg, run = demo_segments(), demo_context("ru")
    cfg = run.params.segmentation
    made = sg.movement(run.transactions(), seg.as_of, days=cfg.movement_days,
                       ladder_options={"min_months": cfg.regular.min_months,
                                       "window_months": cfg.regular.window_months,
                                       "adherent_share": cfg.adherent_share},
                       evidence=views.survey_evidence(run))
    pd.testing.assert_frame_equal(seg.moves, made, check_exact=True)
