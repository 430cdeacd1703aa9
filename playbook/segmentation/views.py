"""The segmentation notebook's tables, charts and sentences, in the client's language.

:func:`analyse` runs every analysis of :mod:`playbook.segmentation.analysis` (and the forward
look of :mod:`playbook.segmentation.rhythm`) with the client's parameters; the other
functions turn its tables into what the report shows. The ladder, movement, base health
live in :mod:`playbook.segmentation.views_base`, who may leave and who has left in
:mod:`playbook.segmentation.views_risk`, the managers' task lists and the mailing lists in
:mod:`playbook.segmentation.views_tasks`; all are re-exported here. Customer names
never appear here, and contact details never do: they belong to the exports.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook import exports
from playbook.keys import KEY, customer_codes
from playbook.periods import complete_end, is_period_end
from playbook.report.document import summary_section
from playbook.report.i18n import Lang, Safe
from playbook.report.render import PALETTE, new_figure
from playbook.report.rules import lost_rule
from playbook.running.context import RunContext
from playbook.segmentation import analysis as sg
from playbook.segmentation import rhythm as rh
from playbook.segmentation.kind import infer_kind
from playbook.segmentation.views_base import (
    exports_sentence,
    health_chart,
    health_sentences,
    important_down,
    ladder_chart,
    ladder_sentences,
    ladder_table,
    movement_sentence,
    movement_table,
    movement_table_note,
    partial_month_sentence,
    regulars,
    segment_name,
)
from playbook.segmentation.views_risk import (
    consultant_notes,
    kind_sentence,
    rhythm_intro,
    rhythm_sentences,
    rhythm_table,
)
from playbook.segmentation.views_tasks import mailing_list, task_lists, winback_sentence

__all__ = ["Segments", "analyse", "survey_evidence", "customer_names", "rfm_table", "rfm_chart",
           "rfm_sentence", "abc_table", "abc_heatmap", "abc_sentences", "pareto_chart",
           "pareto_verdict", "pareto_sentence", "xyz_choice_sentences", "kind_sentence",
           "rhythm_intro", "rhythm_table", "rhythm_sentences", "ladder_table", "ladder_chart",
           "ladder_sentences", "movement_table", "movement_table_note", "movement_sentence",
           "health_chart", "partial_month_sentence", "health_sentences", "task_lists",
           "mailing_list", "winback_sentence", "exports_sentence", "consultant_notes",
           "results"]

RISK = ("at_risk", "cant_lose")
BEST = ("champions", "loyal")
#: Where the share of the top 20% of customers stands against the 80/20 rule: below the
#: first, less concentrated; above the second, more; between, in line.
PARETO_BANDS = (0.75, 0.85)
#: The column of customers whose regularity cannot be measured (too new, or no purchase in
#: the window): ``A-``, ``B-``, ``C-``.
NOT_JUDGED = "-"


@dataclass
class Segments:
    """Everything the segmentation notebook shows, computed once."""

    summary: pd.DataFrame
    rfm: pd.DataFrame
    abc: pd.DataFrame
    pareto: dict
    rungs: pd.DataFrame
    ladder_counts: dict
    moves: pd.DataFrame
    health: pd.DataFrame
    as_of: dt.date
    has_evidence: bool
    rhythm: rh.Rhythm
    #: whom the client sells to: {kind: b2b | b2c, basis: given | names | repeat, share}
    kind: dict
    #: the XYZ period and cut-offs used and how they were chosen (:func:`sg.choose_xyz`)
    xyz: dict
    abc_by: str = "revenue"
    xyz_period: str = "month"
    risk_classes: tuple = ("A", "B")
    #: the last day of the last complete month: figures by month stop here (= as_of when
    #: the data ends on a month's last day)
    complete_through: dt.date | None = None
    #: made by :func:`analyse` from the run's own data: the task lists and what they need,
    #: made from it, are made once per run too (:mod:`playbook.segmentation.views_tasks`)
    of_run: bool = False


def survey_evidence(run: RunContext) -> pd.DataFrame | None:
    """Share of wallet and would-recommend per customer from the annual survey, if any."""
    from playbook.survey.customer_base import wallet_and_recommend

    annual = run.survey("survey_annual")
    if annual is None or not {"customer_id", "share_of_wallet", "recommend"} <= set(annual):
        return None
    answered = annual.dropna(subset=["customer_id"])
    return wallet_and_recommend(answered, date_col="date" if "date" in answered else None)


def customer_names(run: RunContext) -> pd.Series | None:
    """Each customer's name, from the customers file or else the transactions (or None)."""
    customers = run.customers()
    if customers is not None and "name" in customers and customers["name"].notna().any():
        return customers.set_index("customer_id")["name"]
    # each customer's last named line (``groupby("customer_id").last()``), on numbers: only
    # those lines' names are read, never every line's
    known = run.transaction_known("customer_name")
    if not known.any():
        return None
    code, ids = customer_codes(run.transactions(columns=["customer_id", KEY]))
    last = exports.lists.last_of_each(np.where(known, code, -1), len(ids))
    has = np.flatnonzero(last >= 0)
    names = run.transaction_values("customer_name", last[has])
    names.index = pd.Index(ids, name="customer_id").take(has)
    return names


def analyse(run: RunContext, evidence: pd.DataFrame | None = None) -> Segments:
    """Run RFM, ABC-XYZ, Pareto, the ladder, movement, base health and the forward look.

    Rungs 4-5 of the ladder use ``evidence`` (share of wallet, would-recommend per
    customer), by default the annual survey's answers when the client gave them. With
    ``segmentation.xyz.period`` or ``.cutoffs`` ``auto``, XYZ takes the first period and
    cut-offs that tell customers apart (:func:`playbook.segmentation.analysis.choose_xyz`).
    """
    if evidence is None:  # the run's own analysis: made once, read back by later notebooks
        from playbook.segmentation.views_tasks import p_alive

        # waiting for another notebook's segmentation, make the model of who is still
        # active: every run's task lists need it next (views_tasks.task_inputs)
        return run.cached("segmentation", lambda: dataclasses.replace(
            _analyse(run, survey_evidence(run)), of_run=True), meanwhile=lambda: p_alive(run))
    return _analyse(run, evidence)


#: The transactions' columns the segmentation's analyses read.
_ANALYSED = sg.TRANSACTION_COLUMNS


def _analyse(run: RunContext, evidence: pd.DataFrame | None) -> Segments:
    cfg = run.params.segmentation
    # the analyses read these columns only: their filtered copies leave the names,
    # managers, categories and documents out (most of a large client's memory)
    # (and each line's customer as a number: the analyses group by it, keys)
    tx, summary, as_of = run.transactions(columns=[*_ANALYSED, KEY]), run.summary(), run.as_of
    segments = None
    if cfg.rfm_segments:
        segments = sg.rfm_segment_map({k: v.model_dump() for k, v in cfg.rfm_segments.items()})
    ladder_options = {"min_months": cfg.regular.min_months,
                      "window_months": cfg.regular.window_months,
                      "adherent_share": cfg.adherent_share}
    has_evidence = evidence is not None and len(evidence) > 0
    rungs = sg.ladder(summary, tx, as_of, evidence=evidence, **ladder_options)
    tried = {}
    xyz = sg.choose_xyz(tx, as_of, period=cfg.xyz.period, cutoffs=cfg.xyz.cutoffs,
                        window_months=cfg.xyz.window_months, min_periods=cfg.xyz.min_periods,
                        keep=tried)
    abc = sg.abc_xyz(summary, tx, as_of, by=cfg.abc.by, cutoffs=cfg.abc.cutoffs,
                     period=xyz["period"], window_months=cfg.xyz.window_months,
                     min_periods=cfg.xyz.min_periods, xyz_cutoffs=xyz["cutoffs"],
                     xyz_stats=tried[xyz["period"]])
    scores = sg.rfm(summary, as_of, segments=segments)
    # the ladder and RFM made above are the movement's state now: summary is intake's
    # summary of the same transactions (customer_summary_sql up to as_of)
    now = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy(),
                        "rung": rungs["rung"].to_numpy(), "segment": scores["segment"].to_numpy()})
    abc["display_cell"] = abc["cell"].where(~abc["short_history"], abc["abc"] + NOT_JUDGED)
    risk = cfg.at_risk
    forward = rh.forward_groups(summary, tx, as_of, abc, classes=tuple(risk.classes),
                                by=cfg.abc.by, cutoffs=cfg.abc.cutoffs,
                                overdue_gaps=risk.overdue_gaps, lost_gaps=risk.lost_gaps,
                                lost_days=risk.lost_days,
                                factor=None if risk.factor == "auto" else risk.factor)
    return Segments(
        summary=summary,
        rfm=scores,
        abc=abc,
        pareto=sg.pareto(summary),
        rungs=rungs,
        ladder_counts=sg.ladder_counts(rungs, has_evidence=has_evidence),
        moves=sg.movement(tx, as_of, days=cfg.movement_days, ladder_options=ladder_options,
                          segments=segments, evidence=evidence, now=now),
        health=sg.base_health(tx, run.customers(), as_of=as_of),
        as_of=as_of,
        has_evidence=has_evidence,
        rhythm=forward,
        kind=infer_kind(customer_names(run), summary,
                        given=run.params.client.kind),
        xyz=xyz,
        abc_by=cfg.abc.by,
        xyz_period=xyz["period"],
        risk_classes=tuple(risk.classes),
        complete_through=complete_end(as_of),
    )


def _by_segment(seg: Segments) -> pd.DataFrame:
    frame = seg.rfm[["customer_id", "segment"]].merge(
        seg.summary[["customer_id", "total_spend", "total_margin"]], on="customer_id")
    groups = frame.groupby("segment")
    table = groups.agg(customers=("customer_id", "size"), revenue=("total_spend", "sum"))
    # NaN, not 0, where no margin is known: the table then leaves the column out.
    table["margin"] = groups["total_margin"].sum(min_count=1)
    order = [s for s in sg.SEGMENT_ORDER if s in table.index]
    order += [s for s in table.index if s not in order]
    table = table.reindex(order)
    total = table["revenue"].clip(lower=0).sum()
    table["revenue_share"] = table["revenue"].clip(lower=0) / total if total else 0.0
    return table


def rfm_table(seg: Segments, lang: Lang) -> pd.DataFrame:
    """Customers, revenue, its share and margin per RFM segment (display strings)."""
    table = _by_segment(seg)
    col = lambda k: lang.t(f"segmentation.column.{k}")  # noqa: E731
    out = pd.DataFrame({
        col("segment"): [segment_name(s, lang) for s in table.index],
        col("customers"): [lang.int(v) for v in table["customers"]],
        col("revenue"): [lang.money(v) for v in table["revenue"]],
        col("revenue_share"): [lang.pct(v) for v in table["revenue_share"]],
    })
    if table["margin"].notna().any():
        out[col("margin")] = [lang.money(v) for v in table["margin"]]
    return out


def rfm_chart(seg: Segments, lang: Lang):
    """Horizontal bars: customers per segment, with the share of revenue beside each bar."""
    table = _by_segment(seg).iloc[::-1]
    fig, ax = new_figure(8, 4.2)
    names = [segment_name(s, lang) for s in table.index]
    colours = [PALETTE[3] if s in RISK else PALETTE[2] if s in BEST else PALETTE[0]
               for s in table.index]
    ax.barh(names, table["customers"], color=colours)
    for y, (n, share) in enumerate(zip(table["customers"], table["revenue_share"],
                                       strict=True)):
        ax.text(n, y, f"  {lang.int(n)} · {lang.pct(share, 0)}", va="center", fontsize=8.5)
    ax.set_xlabel(lang.t("segmentation.axis_customers"))
    ax.text(1, 1.01, lang.t("segmentation.axis_bar_label"), transform=ax.transAxes,
            ha="right", va="bottom", fontsize=8.5, color="#52606d")
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_xlim(0, table["customers"].max() * 1.3)
    return fig


def rfm_sentence(seg: Segments, lang: Lang) -> str:
    """The best RFM groups, and the backward-looking "gone quiet" ones (customers, share of
    revenue) with a pointer to the forward look (:func:`rhythm_sentences`).
    """
    table = _by_segment(seg)
    pick = lambda names, col: float(table.reindex(list(names))[col].fillna(0).sum())  # noqa
    quiet = seg.rfm.loc[seg.rfm["segment"].isin(RISK), "customer_id"]
    states = seg.rhythm.customers.set_index("customer_id")["status"].reindex(quiet)
    return lang.t("segmentation.rfm_so_what",
                  gone=lang.int(int((states == "lost").sum())),
                  risk_now=lang.int(int((states == "at_risk").sum())),
                  champions=segment_name("champions", lang), loyal=segment_name("loyal", lang),
                  cant_lose=segment_name("cant_lose", lang),
                  at_risk=segment_name("at_risk", lang),
                  best_n=lang.int(pick(BEST, "customers")),
                  best_share=lang.pct(pick(BEST, "revenue_share")),
                  risk_n=lang.int(pick(RISK, "customers")),
                  risk_share=lang.pct(pick(RISK, "revenue_share")))


#: The cells shown: the nine of ABC-XYZ, then a column for customers not judged.
SHOWN_CELLS = [a + x for a in "ABC" for x in ["X", "Y", "Z", NOT_JUDGED]]


def _cells(seg: Segments, column: str = "display_cell") -> pd.DataFrame:
    """Customers and share of the ranked value per cell: ``display_cell`` keeps customers
    too new or idle to judge apart (``A-``...); ``cell`` counts them as Z (results.json).
    """
    cells = seg.abc.groupby(column).agg(customers=("customer_id", "size"),
                                        share=("share", "sum"))
    order = SHOWN_CELLS if column == "display_cell" else sg.ABC_XYZ_CELLS
    return cells.reindex(order).fillna(0)


def _advice(seg: Segments, cell: str, lang: Lang) -> str:
    key = "cell_advice_b2c" if seg.kind["kind"] == "b2c" else "cell_advice"
    return lang.t(f"segmentation.{key}.{cell}")


def _shown(cell: str, lang: Lang) -> str:
    return cell[0] + lang.t("segmentation.not_judged") if cell.endswith(NOT_JUDGED) else cell


def abc_table(seg: Segments, lang: Lang) -> pd.DataFrame:
    """The ABC-XYZ cells: customers, share of the ranked value and what to do; the cells
    ``A—``, ``B—``, ``C—`` hold the customers whose regularity cannot be measured.
    """
    cells = _cells(seg)
    col = lambda k: lang.t(f"segmentation.column.{k}")  # noqa: E731
    return pd.DataFrame({
        col("cell"): [_shown(c, lang) for c in cells.index],
        col("customers"): [lang.int(v) for v in cells["customers"]],
        col(f"{seg.abc_by}_share"): [lang.pct(v) for v in cells["share"]],
        col("advice"): [_advice(seg, c, lang) for c in cells.index],
    })


def abc_heatmap(seg: Segments, lang: Lang):
    """A 3x4 heatmap of customers per cell (X, Y, Z and not judged), shaded and annotated
    with the share of the ranked value.
    """
    cells = _cells(seg)
    counts = cells["customers"].to_numpy().reshape(3, 4)
    shares = cells["share"].to_numpy().reshape(3, 4)
    fig, ax = new_figure(7.2, 4.2)
    ax.grid(False)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=max(shares.max(), 1e-9))
    letters = ["X", "Y", "Z", lang.t("segmentation.not_judged")]
    for i in range(3):
        for j in range(4):
            dark = shares[i, j] > shares.max() * 0.6
            share = lang.t(f"segmentation.heat_{seg.abc_by}_share",
                           share=lang.pct(shares[i, j], 0))
            ax.text(j, i, f"{'ABC'[i]}{letters[j]}\n{lang.int(counts[i, j])}\n{share}",
                    ha="center", va="center", fontsize=8.5,
                    color="white" if dark else "#1f2933")
    ax.set_xticks(range(4), letters)
    ax.set_yticks(range(3), ["A", "B", "C"])
    ax.spines[:].set_visible(False)
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    colorbar.set_label(lang.t(f"segmentation.axis_{seg.abc_by}_share"))
    colorbar.formatter = lambda v, _: lang.pct(v, 0)
    return fig


def _tried(seg: Segments, period: str, cutoffs: tuple) -> dict | None:
    return next((t for t in seg.xyz["tried"]
                 if t["period"] == period and t["cutoffs"] == tuple(cutoffs)), None)


def xyz_choice_sentences(seg: Segments, run: RunContext, lang: Lang) -> list[str]:
    """Why XYZ is by quarter, or with customers' cut-offs, when the analysis chose so."""
    cfg, xyz, out = run.params.segmentation, seg.xyz, []
    if cfg.xyz.period == "auto" and xyz["period"] == "quarter":
        month = _tried(seg, "month", xyz["cutoffs"])
        if month:
            out.append(lang.t("segmentation.xyz_by_quarter",
                              share=lang.pct(month["largest_share"], 0),
                              uneven=Safe(lang.t(f"segmentation.kind.uneven_{seg.kind['kind']}"))))
    if cfg.xyz.cutoffs == "auto" and xyz["cutoffs"] == sg.CUSTOMER_XYZ:
        classic = _tried(seg, xyz["period"], sg.CLASSIC_XYZ)
        if classic:
            out.append(lang.t("segmentation.xyz_customer_cuts",
                              x_classic=lang.pct(sg.CLASSIC_XYZ[0], 0),
                              y_classic=lang.pct(sg.CLASSIC_XYZ[1], 0),
                              share=lang.pct(classic["largest_share"], 0)))
    chosen = _tried(seg, xyz["period"], xyz["cutoffs"])
    if xyz["auto"] and chosen and chosen["largest_share"] > sg.INFORMATIVE:
        out.append(lang.t("segmentation.xyz_still_flat",
                          share=lang.pct(chosen["largest_share"], 0)))
    return out


def abc_sentences(seg: Segments, run: RunContext, lang: Lang) -> list[str]:
    """What the ABC-XYZ cells say: the method (with the period and cut-offs used and why),
    where the 'good' customers are, and who could not be judged.
    """
    cfg = run.params.segmentation
    by, period, cutoffs = cfg.abc.by, seg.xyz["period"], seg.xyz["cutoffs"]
    a = seg.abc[seg.abc["abc"] == "A"]
    n = len(seg.abc)
    window = lang.int(cfg.xyz.window_months)
    sentences = [
        lang.t("segmentation.abc_intro", by=lang.t(f"segmentation.by_{by}"),
               a_cut=lang.pct(cfg.abc.cutoffs[0], 0),
               b_cut=lang.pct(cfg.abc.cutoffs[1] - cfg.abc.cutoffs[0], 0),
               period=lang.t(f"segmentation.period_{period}"), window=window,
               x_cut=lang.pct(cutoffs[0], 0), y_cut=lang.pct(cutoffs[1], 0)),
        *xyz_choice_sentences(seg, run, lang),
        lang.t("segmentation.abc_so_what", a_n=lang.int(len(a)),
               a_share=lang.pct(len(a) / n if n else 0), a_value=lang.pct(a["share"].sum()),
               by_gen=lang.t(f"segmentation.by_{by}_gen"),
               xy_n=lang.int(int(seg.abc["xyz"].isin(["X", "Y"]).sum()))),
    ]
    short = seg.abc[seg.abc["short_history"]]
    if len(short):
        idle = int((short["cv"].isna()).sum())
        sentences.append(lang.t(
            "segmentation.xyz_not_judged", n=lang.int(len(short)), window=window,
            idle=lang.int(idle), new=lang.int(len(short) - idle),
            min_periods=lang.int(cfg.xyz.min_periods),
            periods_word=lang.plural(cfg.xyz.min_periods,
                                     lang.t(f"segmentation.period_{period}_forms"))))
    if not is_period_end(seg.as_of, period):
        sentences.append(lang.t(
            "segmentation.xyz_partial", as_of=lang.date(seg.as_of),
            period=lang.t(f"segmentation.period_{period}_gen"),
            periods=lang.t(f"segmentation.period_{period}_many"),
            end=lang.date(complete_end(seg.as_of, period))))
    return sentences


def pareto_chart(seg: Segments, lang: Lang):
    """The cumulative share of revenue against the share of customers, best first."""
    curve = seg.pareto["curve"]
    fig, ax = new_figure(6.4, 4)
    ax.plot(curve["customer_share"], curve["revenue_share"], color=PALETTE[0], linewidth=2.2)
    ax.axvline(0.2, color="#999999", linestyle=":", linewidth=1)
    ax.axhline(0.8, color="#999999", linestyle=":", linewidth=1)
    share = seg.pareto["top20_revenue_share"] or 0
    ax.plot([0.2], [share], "o", color=PALETTE[3])
    ax.annotate(lang.t("segmentation.pareto_point", customers_share=lang.pct(0.2, 0),
                       share=lang.pct(share, 0)), (0.2, share), xytext=(12, -14),
                textcoords="offset points", fontsize=9)
    ax.plot([0.2], [0.8], "s", color="#999999", markersize=4,
            label=lang.t("segmentation.pareto_rule"))
    ax.set_xlabel(lang.t("segmentation.axis_customer_share"))
    ax.set_ylabel(lang.t("segmentation.axis_revenue_share"))
    ax.xaxis.set_major_formatter(lambda v, _: lang.pct(v, 0))
    ax.yaxis.set_major_formatter(lambda v, _: lang.pct(v, 0))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, loc="lower right", fontsize=9)
    return fig


def pareto_verdict(share: float) -> str:
    """Where the top 20%'s share stands against 80/20: ``less``, ``in_line`` or ``more``
    concentrated (:data:`PARETO_BANDS`): 65% is less concentrated, 80% in line, 90% more.
    """
    low, high = PARETO_BANDS
    return "less" if share < low else "more" if share > high else "in_line"


def pareto_sentence(seg: Segments, lang: Lang) -> str:
    """The client's own 80/20: the share of revenue (and margin) from the top 20% of
    customers, the share of customers that makes 80% of revenue, and how that compares.
    """
    share = seg.pareto["top20_revenue_share"] or 0.0
    margin = seg.pareto["top20_margin_share"]
    margin_part = (lang.t("segmentation.pareto_margin_part", share=lang.pct(margin))
                   if margin is not None else "")
    return lang.t("segmentation.pareto_so_what", top_n=lang.int(seg.pareto["top_customers"]),
                  n=lang.int(len(seg.summary)), share=lang.pct(share),
                  share_80=lang.pct(seg.pareto["customers_80_share"] or 0),
                  margin_part=Safe(margin_part),
                  verdict=Safe(lang.t(f"segmentation.pareto_{pareto_verdict(share)}")))


def _forward_results(seg: Segments) -> dict:
    r = seg.rhythm
    risk, lost = r.group("at_risk"), r.group("lost")
    states = r.customers["status"].value_counts()
    return {
        "at_risk": {"customers": len(risk), "value_at_stake": float(risk["at_stake"].sum()),
                    "value_basis": r.value_basis, "pace": float(risk["pace"].sum()),
                    "past_revenue": float(risk["past_revenue"].sum()),
                    "factor": r.factor, "factor_basis": r.factor_basis,
                    "backtest_customers": r.backtest_customers,
                    "classes": list(seg.risk_classes), "overdue_gaps": r.overdue_gaps,
                    "lost_gaps": r.lost_gaps, "median_gap_days": r.median_gap},
        "lost": {"customers": len(lost), "past_revenue": float(lost["past_revenue"].sum()),
                 "lost_days": r.lost_days, "lost_gaps": r.lost_gaps},
        "states": {s: int(states.get(s, 0)) for s in rh.STATUSES},
    }


def results(seg: Segments, lists: dict[str, pd.DataFrame], files: list, run_dir) -> dict:
    """The segmentation keys of results.json.

    ``rfm.at_risk_customers`` / ``.at_risk_revenue`` are the forward-looking group and the
    money at stake (``at_risk``); ``abc_xyz.counts`` keeps customers too new or idle to
    judge in Z (``abc_xyz.not_judged`` says how many per class).
    """
    counts = seg.rfm["segment"].value_counts()
    cells = _cells(seg, "cell")
    forward = _forward_results(seg)
    short = seg.abc[seg.abc["short_history"]]["abc"].value_counts()
    return {
        "rfm": {"counts": {s: int(counts.get(s, 0)) for s in counts.index},
                "at_risk_customers": forward["at_risk"]["customers"],
                "at_risk_revenue": forward["at_risk"]["value_at_stake"],
                "best_customers": int(seg.rfm["segment"].isin(BEST).sum())},
        **forward,
        "abc_xyz": {"counts": {c: int(cells.loc[c, "customers"]) for c in sg.ABC_XYZ_CELLS},
                    "revenue_share": {c: float(cells.loc[c, "share"])
                                      for c in sg.ABC_XYZ_CELLS},
                    "short_history": int(seg.abc["short_history"].sum()),
                    "not_judged": {a: int(short.get(a, 0)) for a in "ABC"},
                    "period": seg.xyz["period"], "cutoffs": list(seg.xyz["cutoffs"]),
                    "window_end": complete_end(seg.as_of, seg.xyz_period).isoformat()},
        "pareto": {"top20_revenue_share": seg.pareto["top20_revenue_share"],
                   "top20_margin_share": seg.pareto["top20_margin_share"],
                   "top_customers": seg.pareto["top_customers"],
                   "customers_80_share": seg.pareto["customers_80_share"],
                   "verdict": pareto_verdict(seg.pareto["top20_revenue_share"] or 0.0)},
        "ladder": {"counts": seg.ladder_counts, "has_survey_data": seg.has_evidence},
        "client_kind": dict(seg.kind),
        "base_health": _health_results(seg.health),
        "complete_through": (seg.complete_through or complete_end(seg.as_of)).isoformat(),
        "movement": {"moved_down": int(seg.moves["moved_down"].sum()),
                     "important_moved_down": len(important_down(seg))},
        "tasks": {name: len(tasks) for name, tasks in lists.items()},
        "exports": sorted(str(f.relative_to(run_dir)) for f in files),
    }


def _health_results(health: pd.DataFrame) -> dict:
    out = {"active_last_month": int(health["active"].iloc[-1]) if len(health) else 0,
           "new_last_12m": int(health["new"].iloc[-12:].sum()),
           "month": health["month"].iloc[-1].date().isoformat() if len(health) else None}
    trend = sg.referral_trend(health)
    if trend:
        out["referral_share_last_12m"] = trend["last_12m"]
        out["referral_share_prev_12m"] = trend["prev_12m"]
    return out


@summary_section("segmentation")
def _summary(results_: dict, lang: Lang):
    seg = results_["segmentation"]
    risk, lost = seg.get("at_risk") or {}, seg.get("lost") or {}
    basis = risk.get("value_basis", "revenue")
    risk_n = seg["rfm"]["at_risk_customers"]
    figures = []
    if seg["pareto"]["top20_revenue_share"] is not None:
        figures.append((lang.t("segmentation.summary.top20"),
                        lang.pct(seg["pareto"]["top20_revenue_share"])))
    figures.append((lang.t("segmentation.summary.champions"),
                    lang.int(seg["rfm"]["best_customers"])))
    figures.append((lang.t("segmentation.summary.at_risk"), lang.int(risk_n)))
    if risk_n:
        figures.append((lang.t(f"segmentation.summary.at_stake_{basis}"),
                        lang.money_short(seg["rfm"]["at_risk_revenue"])))
    if lost.get("customers"):
        figures.append((lang.t("segmentation.summary.lost"), lang.int(lost["customers"])))
    counts = seg["ladder"]["counts"]
    figures.append((lang.t("segmentation.summary.regulars"), lang.int(regulars(counts))))
    tasks = seg.get("tasks", {})
    advice = []
    if risk_n:
        advice.append(lang.t("segmentation.summary.advice_risk", risk_n=lang.int(risk_n),
                             stake=lang.money_short(seg["rfm"]["at_risk_revenue"]),
                             basis_gen=lang.t(f"segmentation.by_{basis}_gen")))
    down = (tasks.get("calls") or 0) - risk_n
    if down > 0:
        advice.append(lang.t("segmentation.summary.advice_calls", down=lang.int(down)))
    if lost.get("customers"):
        advice.append(lang.t("segmentation.summary.advice_lost", lost=lang.int(lost["customers"]),
                             past=lang.money_short(lost["past_revenue"]),
                             rule=lost_rule(lost["lost_days"], lost["lost_gaps"], lang)))
    if tasks.get("penetration"):
        adherents = (counts.get("adherent") or 0) + (counts.get("advocate") or 0)
        key = "advice_penetration" if adherents else "advice_penetration_all"
        advice.append(lang.t(f"segmentation.summary.{key}",
                             penetration=lang.int(tasks["penetration"]),
                             regulars=lang.int(regulars(counts)),
                             adherents=lang.int(adherents)))
    return figures, advice
