"""The win-back notebook's entry: :func:`analyse` runs the question on a client's run, and
the section's results and executive-summary figures.

:func:`analyse` finds the candidates (:mod:`playbook.winback.candidates`), scores the
competitors of the profile (:mod:`playbook.winback.swot`) and prices each top candidate's
switch (:mod:`playbook.winback.tco`) with the parameters' ``winback:`` section; what the
report shows lives in :mod:`playbook.winback.views_candidates` (who, why, what they are
worth) and :mod:`playbook.winback.views_competitors` (the competitor scored, the switch
cost, what to say), both re-exported here. Without a competitor profile the section still
finds candidates and reasons, and says what to collect. Views read no files: the tables
come from the run's context.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from playbook.errors import DataError
from playbook.keys import KEY
from playbook.params_winback import Winback
from playbook.report.document import summary_section
from playbook.report.i18n import Lang
from playbook.running.context import RunContext
from playbook.segmentation.rhythm import abc_classes, rhythm
from playbook.survey.exits import load_exit_keywords
from playbook.winback import candidates as cd
from playbook.winback import swot, tco
from playbook.winback.views_candidates import (
    candidates_sentences,
    candidates_table,
    consultant_notes,
    intro_sentences,
    reason_table,
)
from playbook.winback.views_competitors import (
    call_sentences,
    factor_chart,
    factor_label,
    factors_table,
    lines_table,
    missing_profile_sentences,
    sensitivity_chart,
    sensitivity_sentences,
    survey_scores_table,
    switch_sentences,
    switch_table,
    swot_sentences,
    terms_table,
)
from playbook.winback.views_onepager import (
    offer_files,
    onepager_notes,
    onepager_pages,
    onepagers_sentence,
)
from playbook.winback.views_outcomes import outcome_sentences, outcomes_heading, read_outcomes
from playbook.winback.views_tasks import WinbackLists, lists_sentence, workbook_lists

__all__ = ["WinbackAnalysis", "analyse", "results", "read_outcomes", "outcomes_heading",
           "outcome_sentences", "intro_sentences", "candidates_sentences",
           "reason_table", "candidates_table", "consultant_notes", "WinbackLists",
           "workbook_lists", "lists_sentence", "offer_files", "onepager_pages",
           "onepagers_sentence", "onepager_notes",
           "missing_profile_sentences", "terms_table", "factors_table", "factor_chart",
           "swot_sentences", "survey_scores_table", "switch_table", "lines_table",
           "switch_sentences", "call_sentences", "sensitivity_chart", "sensitivity_sentences"]


@dataclass
class WinbackAnalysis:
    """Everything the win-back section shows, computed once."""

    as_of: dt.date
    settings: Winback
    #: one row per candidate, best first (:func:`playbook.winback.candidates.candidates`),
    #: with name and manager
    candidates: pd.DataFrame
    #: "margin" or "revenue": what value_at_stake is
    value_basis: str
    #: customers the drop test judged, and why it could not run (None: it ran)
    drop_tested: int = 0
    drop_error: str | None = None
    drop_cause: dict | None = None  # the model's cause (playbook.errors.DataError.cause)
    lost_count: int = 0
    has_annual: bool = False
    has_exits: bool = False
    #: the competitor profile (None: no data.competitors) and, per competitor: name,
    #: terms, factors (:func:`playbook.winback.swot.factor_table`), swot_us, swot_them,
    #: lead, opportunities, threats (weighted scores)
    profile: dict | None = None
    competitors: list[dict] = field(default_factory=list)
    survey_scores: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: per top candidate with a known volume: customer_id, name, competitor,
    #: competitor_assumed, spend, orders, avg_order, price_saving, hidden_costs, net_gain,
    #: price_gap_share, hidden_cost_share, net_gain_share, break_even_gap
    switch: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the lines of each priced switch, by customer id (:func:`tco.switch_lines`)
    lines: dict = field(default_factory=dict)
    #: our own terms from the data (:func:`tco.own_terms`): avg_order, orders_per_customer...
    own: dict = field(default_factory=dict)
    #: the summed net gain with each assumption moved (:func:`tco.sensitivity`)
    sensitivity: pd.DataFrame = field(default_factory=pd.DataFrame)


def _names(run: RunContext, ids) -> pd.DataFrame:
    """customer_id, name, manager of the customers ``ids`` (and of the customers file): from
    the customers file, else the customer's latest transaction (whose text alone is read:
    who they are, without holding every line's name and manager).
    """
    tx = run.transactions(columns=["customer_id", "date"])
    lines = cd.latest_lines(tx, ids)
    out = pd.DataFrame({"customer_id": tx["customer_id"].take(lines).reset_index(drop=True)})
    for col, name in (("customer_name", "name"), ("manager", "manager")):
        if col in run.transaction_columns:
            out[name] = run.transaction_values(col, lines)
    people = run.customers()
    if people is not None:
        extra = people[[c for c in ("customer_id", "name", "manager") if c in people]]
        out = out.merge(extra, on="customer_id", how="outer", suffixes=("_tx", ""))
        for col in ("name", "manager"):
            if f"{col}_tx" in out:
                out[col] = out[col].fillna(out.pop(f"{col}_tx")) if col in out else out.pop(
                    f"{col}_tx")
    for col in ("name", "manager"):
        if col not in out:
            out[col] = pd.NA
    return out[["customer_id", "name", "manager"]]


#: The transactions' columns the analysis reads (and ``order_id``, not kept past it), and
#: those of the competitors' prices by category (``RunContext.transactions``: a large
#: client's text columns are most of its memory; the candidates' names and managers are
#: read on their latest lines only).
_READ = ("customer_id", "date", "amount", "margin", KEY)  # (the key: the LTV model's too)
_MIX = ("customer_id", "date", "amount", "category")


def analyse(run: RunContext) -> WinbackAnalysis:
    """Candidates, reasons and value; the competitors scored; the top switches priced."""
    cfg = run.params.winback
    seg = run.params.segmentation
    as_of = run.as_of
    tx = run.transactions(columns=_READ)  # kept: the LTV model reads them next
    summary = run.summary()
    by = "total_margin" if (seg.abc.by == "margin" and summary["total_margin"].notna().any()) \
        else "total_spend"
    classes = summary["customer_id"].map(
        abc_classes(summary.set_index("customer_id")[by], tuple(seg.abc.cutoffs)))
    valuable = classes.isin(cfg.classes)
    res = WinbackAnalysis(as_of=as_of, settings=cfg, candidates=pd.DataFrame(),
                          value_basis="margin" if tx["margin"].notna().any() else "revenue")
    try:
        pairs = cd.expected_vs_actual(tx, as_of, months=cfg.drop_months,
                                      time_unit=run.params.ltv.time_unit)
        judged = pairs["customer_id"].map(pd.Series(valuable.to_numpy(),
                                                    index=summary["customer_id"])).fillna(False)
        flagged = cd.flag_drops(pairs, drop_share=cfg.drop_share,
                                min_expected=cfg.min_expected, valuable=judged)
        res.drop_tested = int((judged & (pairs["expected"] >= cfg.min_expected)).sum())
        drops = flagged[flagged["dropped"]]
    except DataError as exc:
        res.drop_error, res.drop_cause = str(exc), exc.cause()
        drops = pd.DataFrame(columns=["customer_id", "expected", "actual"])
    ar = seg.at_risk
    groups = rhythm(summary, as_of, valuable=valuable.to_numpy(), overdue_gaps=ar.overdue_gaps,
                    lost_gaps=ar.lost_gaps, lost_days=ar.lost_days)
    lost = groups[(groups["status"] == "lost") & valuable.to_numpy()
                  & (groups["days_since"] <= cfg.lost_within_days)]
    res.lost_count = len(lost)
    res.profile = run.competitors()
    comps = res.profile["competitors"] if res.profile else []
    annual, exits = run.survey("survey_annual"), run.survey("exit_survey")
    res.has_annual, res.has_exits = annual is not None, exits is not None
    survey = cd.survey_signals(annual, wallet_drop=cfg.wallet_drop, competitors=comps)
    exit_rows = cd.exit_signals(exits, load_exit_keywords())
    ids = pd.unique(pd.concat([drops["customer_id"], lost["customer_id"],
                               survey["customer_id"], exit_rows["customer_id"]]))
    start = pd.Timestamp(as_of) - pd.DateOffset(months=cfg.drop_months)
    last = pd.to_datetime(summary.set_index("customer_id")["last_purchase"]).reindex(ids)
    ends = last.where(last < start, start).fillna(start)
    if "order_id" in run.transaction_columns:  # the documents: read for the terms only,
        # not held while the model checks each customer (a large client's: 10M texts)
        tx = tx.assign(order_id=run.transactions(columns=["order_id"], keep=False)["order_id"])
    volume = cd.yearly_volume(tx, ends)
    table = cd.candidates(drops, lost[["customer_id", "days_since"]], survey, exit_rows,
                          volume, win_odds=cfg.win_odds.model_dump(),
                          won_back_months=cfg.won_back_months)
    if comps and len(table):  # an exit answer naming a profiled competitor names it too
        said = table["exit_text"].map(lambda text: cd.match_competitor(text, comps))
        table["competitor"] = table["competitor"].where(table["competitor"].notna(), said)
    res.candidates = table.merge(_names(run, table["customer_id"]), on="customer_id",
                                 how="left")
    res.own = tco.own_terms(tx, as_of, min_orders={c["name"]: c["terms"].get("min_order")
                                                   for c in comps})
    del tx  # (and the documents with it: read for the terms above only)
    if comps:
        _score_competitors(res, comps, annual)
        by_category = any(c["terms"].get("price_index_by_category") for c in comps)
        mix = {}
        if by_category:
            bought = run.transactions(columns=_MIX, keep=False)
            mix = _category_mix(bought, ends) if "category" in bought else {}
        _price_switches(res, comps, mix)
    return res


def _category_mix(tx: pd.DataFrame, ends: pd.Series) -> dict:
    """{customer: {category: spend}} over the 365 days to each customer's own end date."""
    frame = tx[tx["customer_id"].isin(set(ends.index)) & tx["category"].notna()]
    end = pd.to_datetime(frame["customer_id"].map(ends))
    frame = frame[(frame["date"] <= end) & (frame["date"] > end - pd.Timedelta(days=365))]
    spend = frame.groupby(["customer_id", "category"], observed=True)["amount"].sum()
    out: dict = {}
    for (customer, category), value in spend.items():
        out.setdefault(customer, {})[str(category)] = float(value)
    return out


def _score_competitors(res: WinbackAnalysis, comps: list[dict], annual) -> None:
    for comp in comps:
        factors, ahp = comp["factors"], None
        if comp.get("pairwise"):  # weights from pairwise comparisons (AHP), checked on intake
            ahp = swot.ahp_weights([f["factor"] for f in factors], comp["pairwise"])
            factors = [f | {"weight": ahp["weights"][f["factor"]]} for f in factors]
        table = swot.factor_table(factors)
        ours, theirs = swot.weighted_scores(table)
        res.competitors.append({
            "name": comp["name"], "terms": comp["terms"], "factors": table, "ahp": ahp,
            "swot_us": ours, "swot_them": theirs, "lead": swot.lead_factors(table),
            "opportunities": swot.external_score(comp["opportunities"]),
            "threats": swot.external_score(comp["threats"])})
    res.survey_scores = swot.survey_factor_scores(annual, comps)


def _price_switches(res: WinbackAnalysis, comps: list[dict], mix: dict) -> None:
    """The switch cost of the top candidates who did not leave over offence, with a volume;
    a competitor's price index per category is applied to each customer's own mix (``mix``).
    """
    cfg = res.settings
    us = res.profile["us"]["terms"]
    by_name = {c["name"]: c for c in comps}
    settings = cfg.model_dump()
    rows, cases = [], []
    pool = res.candidates[(res.candidates["reason"] != "offence")
                          & (res.candidates["spend"] > 0) & (res.candidates["orders"] > 0)]
    for row in pool.head(cfg.top).itertuples(index=False):
        named = row.competitor if isinstance(row.competitor, str) else None
        comp = by_name.get(named) or comps[0]
        them = comp["terms"]
        if them.get("price_index_by_category"):
            them = them | {"price_index": tco.mix_price_index(
                mix.get(row.customer_id, {}), them["price_index_by_category"],
                them["price_index"])}
        lines = tco.switch_lines(row.spend, row.orders, us, them, settings)
        total = tco.switch_summary(lines, row.spend, them["price_index"])
        res.lines[row.customer_id] = lines
        cases.append((row.spend, row.orders, us, them))
        rows.append({"customer_id": row.customer_id, "name": row.name,
                     "competitor": comp["name"], "competitor_assumed": named not in by_name,
                     "spend": row.spend, "orders": int(row.orders), "avg_order": row.avg_order,
                     **total,
                     "break_even_gap": tco.break_even_gap(row.spend, row.orders, us, them,
                                                          settings)})
    res.switch = pd.DataFrame(rows)
    if cases:
        res.sensitivity = tco.sensitivity(cases, settings)


def _money(value) -> float | None:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) \
        else round(float(value), 2)


def results(res: WinbackAnalysis, onepagers: list[str] | None = None) -> dict:
    """The section's figures for results.json (see docs/results.md, ``winback.*``);
    ``onepagers``: the offers written, relative to the run folder
    (:meth:`playbook.exports.OffersWritten.relative`).
    """
    table = res.candidates
    by_reason = {r: {"n": int((table["reason"] == r).sum()),
                     "value_at_stake": _money(table.loc[table["reason"] == r,
                                                        "value_at_stake"].sum())}
                 for r in cd.REASONS}
    out = {
        "candidates": {"n": len(table), "value_at_stake": _money(table["value_at_stake"].sum()),
                       "value_if_won": _money(table["value_if_won"].sum()),
                       "expected_value": _money(table["expected_value"].sum()),
                       "expected_value_12m": _money((table["value_at_stake"]
                                                     * table["chance"]).sum()),
                       "by_reason": by_reason,
                       "by_signal": {s: int(table["signals"].str.contains(s).sum())
                                     for s in ("drop", "lost", "survey", "exit")}},
        "value_basis": res.value_basis,
        "tests": {"drop_months": res.settings.drop_months,
                  "drop_share": res.settings.drop_share,
                  "min_expected": res.settings.min_expected, "drop_tested": res.drop_tested,
                  "drop_ran": res.drop_error is None},
        "profile": res.profile is not None,
        "own_terms": {k: (round(v, 4) if isinstance(v, float) else v) for k, v in res.own.items()
                      if k != "below_min"}
        | {"below_min_order": {k: round(v, 4) for k, v in res.own.get("below_min", {}).items()}},
        "competitors": [],
        "onepagers": sorted(onepagers or []),
    }
    switch = res.switch
    for comp in res.competitors:
        mine = switch[switch["competitor"] == comp["name"]] if len(switch) else switch
        spend = float(mine["spend"].sum()) if len(mine) else 0.0
        theirs = float((mine["spend"] * (1 - mine["price_gap_share"])).sum()) if len(mine) \
            else 0.0
        out["competitors"].append({
            "name": comp["name"],
            "swot_us": None if comp["swot_us"] is None else round(comp["swot_us"], 3),
            "swot_them": None if comp["swot_them"] is None else round(comp["swot_them"], 3),
            "lead": comp["lead"],
            "weighting": "pairwise" if comp.get("ahp") else "direct",
            "consistency_ratio": (None if not comp.get("ahp") or comp["ahp"]["cr"] is None
                                  else round(comp["ahp"]["cr"], 4)),
            "price_gap_share": round(1 - comp["terms"]["price_index"], 4),
            "price_index_by_category": dict(comp["terms"].get("price_index_by_category") or {}),
            "hidden_cost_share": (round(float(mine["hidden_costs"].sum()) / theirs, 4)
                                  if theirs > 0 else None),
            "net_gain_share": (round(float(mine["net_gain"].sum()) / spend, 4)
                               if spend > 0 else None),
            "candidates_priced": len(mine)})
    return out


@summary_section("winback")
def _summary(results_: dict, lang: Lang):
    """Key figures and recommendations: money at stake, how many can be won back, the lead
    arguments against the main competitor.
    """
    data = results_["winback"]
    cand = data["candidates"]
    figures, advice = [], []
    if cand["n"]:
        suffix = "" if data.get("value_basis") == "margin" else "_revenue"
        figures.append((lang.t(f"winback.summary.at_stake{suffix}"),
                        lang.money_short(cand["value_at_stake"])))
        terms = cand["by_reason"]["terms"]["n"]
        figures.append((lang.t("winback.summary.winnable"),
                        f"{lang.int(terms)} / {lang.int(cand['n'])}"))
        advice.append(lang.t("winback.summary.advice", n=lang.int(cand["n"]),
                             terms=lang.int(terms),
                             offence=lang.int(cand["by_reason"]["offence"]["n"])))
    priced = [c for c in data.get("competitors", []) if c.get("net_gain_share") is not None]
    if priced:
        main = max(priced, key=lambda c: c["candidates_priced"])
        figures.append((lang.t("winback.summary.net_gain", name=main["name"]),
                        lang.pct(main["net_gain_share"])))
        if main["lead"]:
            advice.append(lang.t("winback.summary.lead", name=main["name"],
                                 factors=", ".join(factor_label(f, lang)
                                                   for f in main["lead"])))
    elif not data.get("profile"):
        advice.append(lang.t("winback.summary.no_profile"))
    done = data.get("outcomes") or {}
    if done.get("called"):  # last period's win-back calls, read back
        figures.append((lang.t("winback.summary.won_back"),
                        f"{lang.int(done['returned'])} / {lang.int(done['called'])}"))
    return figures, advice
