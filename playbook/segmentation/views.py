"""The segmentation notebook's tables, charts and sentences, in the client's language.

:func:`analyse` runs every analysis of :mod:`playbook.segmentation.analysis` with the client's
parameters; the other functions turn its tables into what the report shows. Customer
names never appear here, and contact details never do: they belong to the exports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook import exports
from playbook.periods import complete_end, is_period_end
from playbook.report.document import summary_section
from playbook.report.i18n import Lang, Safe
from playbook.report.render import PALETTE, new_figure
from playbook.running.context import RunContext
from playbook.segmentation import analysis as sg

__all__ = ["Segments", "analyse", "survey_evidence", "rfm_table", "rfm_chart", "rfm_sentence",
           "abc_table", "abc_heatmap", "abc_sentences", "pareto_chart", "pareto_sentence",
           "ladder_table", "ladder_chart", "ladder_sentences", "movement_table",
           "movement_sentence", "health_chart", "partial_month_sentence", "health_sentences",
           "task_lists", "exports_sentence", "results"]

RISK = ("at_risk", "cant_lose")
BEST = ("champions", "loyal")


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
    abc_by: str = "revenue"
    xyz_period: str = "month"
    #: the last day of the last complete month: figures by month stop here (= as_of when
    #: the data ends on a month's last day)
    complete_through: dt.date | None = None


def survey_evidence(run: RunContext) -> pd.DataFrame | None:
    """Share of wallet and would-recommend per customer from the annual survey, if any."""
    from playbook.survey.customer_base import wallet_and_recommend

    annual = run.survey("survey_annual")
    if annual is None or not {"customer_id", "share_of_wallet", "recommend"} <= set(annual):
        return None
    answered = annual.dropna(subset=["customer_id"])
    return wallet_and_recommend(answered, date_col="date" if "date" in answered else None)


def analyse(run: RunContext, evidence: pd.DataFrame | None = None) -> Segments:
    """Run RFM, ABC-XYZ, Pareto, the ladder, movement and base health for a client.

    Rungs 4-5 of the ladder use ``evidence`` (share of wallet, would-recommend per
    customer), by default the annual survey's answers when the client gave them.
    """
    cfg = run.params.segmentation
    if evidence is None:
        evidence = survey_evidence(run)
    tx, summary, as_of = run.transactions(), run.summary(), run.as_of
    segments = None
    if cfg.rfm_segments:
        segments = sg.rfm_segment_map({k: v.model_dump() for k, v in cfg.rfm_segments.items()})
    ladder_options = {"min_months": cfg.regular.min_months,
                      "window_months": cfg.regular.window_months,
                      "adherent_share": cfg.adherent_share}
    has_evidence = evidence is not None and len(evidence) > 0
    rungs = sg.ladder(summary, tx, as_of, evidence=evidence, **ladder_options)
    return Segments(
        summary=summary,
        rfm=sg.rfm(summary, as_of, segments=segments),
        abc=sg.abc_xyz(summary, tx, as_of, by=cfg.abc.by, cutoffs=cfg.abc.cutoffs,
                       period=cfg.xyz.period, window_months=cfg.xyz.window_months,
                       min_periods=cfg.xyz.min_periods, xyz_cutoffs=cfg.xyz.cutoffs),
        pareto=sg.pareto(summary),
        rungs=rungs,
        ladder_counts=sg.ladder_counts(rungs, has_evidence=has_evidence),
        moves=sg.movement(tx, as_of, days=cfg.movement_days, ladder_options=ladder_options,
                          segments=segments, evidence=evidence),
        health=sg.base_health(tx, run.customers(), as_of=as_of),
        as_of=as_of,
        has_evidence=has_evidence,
        abc_by=cfg.abc.by,
        xyz_period=cfg.xyz.period,
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


def _segment_name(name: str, lang: Lang) -> str:
    key = f"segmentation.segment.{name}"
    return lang.t(key) if lang.has(key) else name


def rfm_table(seg: Segments, lang: Lang) -> pd.DataFrame:
    """Customers, revenue, its share and margin per RFM segment (display strings)."""
    table = _by_segment(seg)
    col = lambda k: lang.t(f"segmentation.column.{k}")  # noqa: E731
    out = pd.DataFrame({
        col("segment"): [_segment_name(s, lang) for s in table.index],
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
    names = [_segment_name(s, lang) for s in table.index]
    colours = [PALETTE[3] if s in RISK else PALETTE[2] if s in BEST else PALETTE[0]
               for s in table.index]
    ax.barh(names, table["customers"], color=colours)
    for y, (n, share) in enumerate(zip(table["customers"], table["revenue_share"],
                                       strict=True)):
        ax.text(n, y, f"  {lang.int(n)} · {lang.pct(share, 0)}", va="center", fontsize=8.5)
    ax.set_xlabel(lang.t("segmentation.axis_customers"))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_xlim(0, table["customers"].max() * 1.3)
    return fig


def rfm_sentence(seg: Segments, lang: Lang) -> str:
    """The best and the at-risk RFM groups: customers, revenue and its share."""
    table = _by_segment(seg)
    pick = lambda names, col: float(table.reindex(list(names))[col].fillna(0).sum())  # noqa
    return lang.t("segmentation.rfm_so_what",
                  champions=_segment_name("champions", lang), loyal=_segment_name("loyal", lang),
                  best_n=lang.int(pick(BEST, "customers")),
                  best_share=lang.pct(pick(BEST, "revenue_share")),
                  risk_n=lang.int(pick(RISK, "customers")),
                  risk_revenue=lang.money(pick(RISK, "revenue")),
                  risk_share=lang.pct(pick(RISK, "revenue_share")))


def _cells(seg: Segments) -> pd.DataFrame:
    cells = seg.abc.groupby("cell").agg(customers=("customer_id", "size"),
                                        share=("share", "sum"))
    return cells.reindex(sg.ABC_XYZ_CELLS).fillna(0)


def abc_table(seg: Segments, lang: Lang) -> pd.DataFrame:
    """The nine ABC-XYZ cells: customers, share of the ranked value and what to do."""
    cells = _cells(seg)
    col = lambda k: lang.t(f"segmentation.column.{k}")  # noqa: E731
    return pd.DataFrame({
        col("cell"): cells.index,
        col("customers"): [lang.int(v) for v in cells["customers"]],
        col(f"{seg.abc_by}_share"): [lang.pct(v) for v in cells["share"]],
        col("advice"): [lang.t(f"segmentation.cell_advice.{c}") for c in cells.index],
    })


def abc_heatmap(seg: Segments, lang: Lang):
    """A 3x3 heatmap of customers per cell, annotated with the share of revenue."""
    cells = _cells(seg)
    counts = cells["customers"].to_numpy().reshape(3, 3)
    shares = cells["share"].to_numpy().reshape(3, 3)
    fig, ax = new_figure(5.6, 4.2)
    ax.grid(False)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=max(shares.max(), 1e-9))
    for i in range(3):
        for j in range(3):
            dark = shares[i, j] > shares.max() * 0.6
            ax.text(j, i, f"{'ABC'[i]}{'XYZ'[j]}\n{lang.int(counts[i, j])}\n"
                    f"{lang.pct(shares[i, j], 0)}", ha="center", va="center", fontsize=9,
                    color="white" if dark else "#1f2933")
    ax.set_xticks(range(3), ["X", "Y", "Z"])
    ax.set_yticks(range(3), ["A", "B", "C"])
    ax.spines[:].set_visible(False)
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    colorbar.set_label(lang.t(f"segmentation.axis_{seg.abc_by}_share"))
    colorbar.formatter = lambda v, _: lang.pct(v, 0)
    return fig


def abc_sentences(seg: Segments, run: RunContext, lang: Lang) -> list[str]:
    """What the ABC-XYZ cells say: where the 'good' customers are and how many."""
    cfg = run.params.segmentation
    by = cfg.abc.by
    a = seg.abc[seg.abc["abc"] == "A"]
    n = len(seg.abc)
    sentences = [
        lang.t("segmentation.abc_intro", by=lang.t(f"segmentation.by_{by}"),
               a_cut=lang.pct(cfg.abc.cutoffs[0], 0),
               b_cut=lang.pct(cfg.abc.cutoffs[1] - cfg.abc.cutoffs[0], 0),
               period=lang.t(f"segmentation.period_{cfg.xyz.period}"),
               window=lang.int(cfg.xyz.window_months), x_cut=lang.pct(cfg.xyz.cutoffs[0], 0),
               y_cut=lang.pct(cfg.xyz.cutoffs[1], 0)),
        lang.t("segmentation.abc_so_what", a_n=lang.int(len(a)),
               a_share=lang.pct(len(a) / n if n else 0), a_value=lang.pct(a["share"].sum()),
               by_gen=lang.t(f"segmentation.by_{by}_gen"),
               xy_n=lang.int(int(seg.abc["xyz"].isin(["X", "Y"]).sum()))),
    ]
    period = cfg.xyz.period
    if not is_period_end(seg.as_of, period):
        sentences.append(lang.t(
            "segmentation.xyz_partial", as_of=lang.date(seg.as_of),
            period=lang.t(f"segmentation.period_{period}_gen"),
            periods=lang.t(f"segmentation.period_{period}_many"),
            end=lang.date(complete_end(seg.as_of, period))))
    short = int(seg.abc["short_history"].sum())
    if short:
        sentences.append(lang.t("segmentation.xyz_short", short_n=lang.int(short),
                                min_periods=lang.int(cfg.xyz.min_periods),
                                window=lang.int(cfg.xyz.window_months)))
    if n and (seg.abc["xyz"] == "Z").mean() > 0.9 and cfg.xyz.period == "month":
        sentences.append(lang.t("segmentation.xyz_mostly_z"))
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
    ax.annotate(f"20% → {lang.pct(share, 0)}", (0.2, share), xytext=(12, -14),
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


def pareto_sentence(seg: Segments, lang: Lang) -> str:
    """The share of revenue (and margin) from the top 20% of customers."""
    share = seg.pareto["top20_revenue_share"] or 0.0
    margin = seg.pareto["top20_margin_share"]
    verdict = ("pareto_high" if share > 0.85 else "pareto_low" if share < 0.65
               else "pareto_normal")
    margin_part = (lang.t("segmentation.pareto_margin_part", share=lang.pct(margin))
                   if margin is not None else "")
    return lang.t("segmentation.pareto_so_what", top_n=lang.int(seg.pareto["top_customers"]),
                  share=lang.pct(share), margin_part=Safe(margin_part),
                  verdict=Safe(lang.t(f"segmentation.{verdict}")))


def _rung_rows(seg: Segments) -> list[str]:
    """Rungs to show: "regular or higher (unknown)" stands in for rung 3 without a survey."""
    rows = list(sg.RUNGS)
    if seg.ladder_counts.get("unknown"):
        rows.insert(2, "unknown")
    if seg.ladder_counts.get("regular") is None:
        rows.remove("regular")
    return rows


def ladder_table(seg: Segments, lang: Lang) -> pd.DataFrame:
    """Customers and revenue per rung; rungs that need survey data say so."""
    revenue = seg.rungs.merge(seg.summary[["customer_id", "total_spend"]], on="customer_id") \
        .groupby("rung")["total_spend"].sum()
    col = lambda k: lang.t(f"segmentation.column.{k}")  # noqa: E731
    rows = []
    for rung in _rung_rows(seg):
        count = seg.ladder_counts.get(rung)
        rows.append({
            col("rung"): lang.t(f"segmentation.rung.{rung}"),
            col("description"): lang.t(f"segmentation.rung_desc.{rung}"),
            col("customers"): lang.int(count) if count is not None else
            lang.t("segmentation.unknown_rung_note"),
            col("revenue"): lang.money(revenue.get(rung, 0.0)) if count is not None else "",
        })
    return pd.DataFrame(rows)


def ladder_chart(seg: Segments, lang: Lang):
    """The 'skirt' below the sales funnel: centred bars, one per rung, widths = customers."""
    rows = _rung_rows(seg)
    counts = [seg.ladder_counts.get(r) for r in rows]
    widest = max([c for c in counts if c] or [1])
    fig, ax = new_figure(7.5, 3.8)
    ax.grid(False)
    ax.spines[:].set_visible(False)
    for y, (rung, count) in enumerate(zip(rows, counts, strict=True)):
        label = lang.t(f"segmentation.rung.{rung}")
        if count is None:
            ax.barh(y, widest * 0.15, left=-widest * 0.075, color="white", edgecolor="#999999",
                    hatch="///", linewidth=0.8)
            text = f"{label}: {lang.t('segmentation.unknown_rung_note')}"
        else:
            colour = PALETTE[4] if rung == "unknown" else PALETTE[0]
            ax.barh(y, max(count, widest * 0.01), left=-max(count, widest * 0.01) / 2,
                    color=colour)
            text = f"{label}: {lang.int(count)}"
        ax.text(widest * 0.52, y, text, va="center", fontsize=9)
    ax.set_yticks([])
    ax.set_xticks([])
    ax.set_xlim(-widest * 0.55, widest * 1.25)
    ax.invert_yaxis()
    return fig


def ladder_sentences(seg: Segments, run: RunContext, lang: Lang) -> list[str]:
    """How many customers stand on each rung of the loyalty ladder."""
    cfg = run.params.segmentation
    counts = seg.ladder_counts
    regular = sum(counts.get(r) or 0 for r in ("regular", "adherent", "advocate", "unknown"))
    sentences = [
        lang.t("segmentation.ladder_intro", min_months=lang.int(cfg.regular.min_months),
               window=lang.int(cfg.regular.window_months)),
        lang.t("segmentation.ladder_so_what", buyer=lang.int(counts["buyer"]),
               client=lang.int(counts["client"]), regular=lang.int(regular)),
    ]
    if counts.get("unknown") and seg.has_evidence:
        sentences.append(lang.t("segmentation.ladder_partial",
                                adherent=lang.int(counts["adherent"] or 0),
                                advocate=lang.int(counts["advocate"] or 0),
                                unknown=lang.int(counts["unknown"])))
    elif counts.get("unknown"):
        sentences.append(lang.t("segmentation.ladder_gap"))
    return sentences


def movement_table(seg: Segments, lang: Lang) -> pd.DataFrame:
    """Rung transitions: rows are rungs one period ago, columns are rungs now."""
    order = ["none", "buyer", "client", "regular", "unknown", "adherent", "advocate"]
    matrix = sg.transition_matrix(seg.moves, order=order)
    names = {r: lang.t(f"segmentation.rung.{r}") for r in order}
    shown = matrix.rename(index=names, columns=names)
    shown = shown.map(lambda v: lang.int(v))
    shown.index.name = f"{lang.t('segmentation.column.before')} \\ " \
                       f"{lang.t('segmentation.column.now')}"
    return shown.reset_index()


def _important_down(seg: Segments) -> pd.DataFrame:
    frame = seg.moves.merge(seg.abc[["customer_id", "abc"]], on="customer_id")
    regular = ("regular", "adherent", "advocate", "unknown")
    important = frame["rung_before"].isin(regular) | frame["rung_now"].isin(regular) | \
        (frame["abc"] == "A")
    return frame[frame["moved_down"] & important]


def movement_sentence(seg: Segments, run: RunContext, lang: Lang) -> list[str]:
    """How many customers moved down over the movement window, and how many of them matter."""
    days = run.params.segmentation.movement_days
    before = seg.as_of - dt.timedelta(days=days)
    return [lang.t("segmentation.movement_intro", before=lang.date(before), days=lang.int(days)),
            lang.t("segmentation.movement_so_what", days=lang.int(days),
                   down=lang.int(int(seg.moves["moved_down"].sum())),
                   important=lang.int(len(_important_down(seg))))]


def health_chart(seg: Segments, lang: Lang):
    """Stacked bars of new and returning customers per month, with the referral share."""
    health = seg.health
    fig, ax = new_figure()
    ax.bar(health["month"], health["returning"], width=24, color=PALETTE[0],
           label=lang.t("segmentation.legend_returning"))
    ax.bar(health["month"], health["new"], width=24, bottom=health["returning"],
           color=PALETTE[1], label=lang.t("segmentation.legend_new"))
    ax.set_ylabel(lang.t("segmentation.axis_customers"))
    ax.yaxis.set_major_formatter(lambda v, _: lang.int(v))
    import matplotlib.dates as mdates

    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=4, maxticks=10))
    ax.xaxis.set_major_formatter(lambda v, _: lang.month(mdates.num2date(v).date()))
    handles = ax.get_legend_handles_labels()[0]
    if health["referral_share"].notna().any():
        right = ax.twinx()
        smooth = (health["new_referral"].rolling(3, min_periods=1).sum()
                  / health["new"].rolling(3, min_periods=1).sum().replace(0, np.nan))
        right.plot(health["month"], smooth, color=PALETTE[3], linewidth=2,
                   label=lang.t("segmentation.legend_referral"))
        right.set_ylim(0, max(0.5, float(np.nanmax(smooth.to_numpy())) * 1.2))
        right.yaxis.set_major_formatter(lambda v, _: lang.pct(v, 0))
        right.spines[["top"]].set_visible(False)
        handles += right.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside upper left", ncols=3, frameon=False, fontsize=9)
    return fig


def partial_month_sentence(as_of: dt.date, lang: Lang) -> list[str]:
    """Which days figures by month leave out when the data ends inside a month (else none)."""
    if is_period_end(as_of):
        return []
    last = complete_end(as_of)
    return [lang.t("segmentation.partial_month", as_of=lang.date(as_of),
                   days=lang.int(as_of.day), month=lang.month(as_of),
                   last=lang.month(last))]


def health_sentences(seg: Segments, lang: Lang) -> list[str]:
    """The base's health: active, new and returning customers, and the referral trend.

    "The last month" is the last complete one (:attr:`Segments.complete_through`).
    """
    health = seg.health
    if health.empty:
        return partial_month_sentence(seg.as_of, lang)
    last = health.iloc[-1]
    sentences = [lang.t("segmentation.health_so_what", active=lang.int(last["active"]),
                        new=lang.int(last["new"]), returning=lang.int(last["returning"]),
                        month=lang.month(last["month"]),
                        new_12m=lang.int(health["new"].iloc[-12:].sum()))]
    sentences += partial_month_sentence(seg.as_of, lang)
    trend = sg.referral_trend(health)
    if trend and trend["last_12m"] is not None and trend["prev_12m"] is not None:
        key = ("segmentation.referral_warn" if trend["last_12m"] < trend["prev_12m"] * 0.9
               else "segmentation.referral_ok")
        sentences.append(lang.t(key, last=lang.pct(trend["last_12m"]),
                                prev=lang.pct(trend["prev_12m"])))
    return sentences


def task_lists(seg: Segments, run: RunContext) -> dict[str, pd.DataFrame]:
    """The managers' task lists: calls, greetings and penetration questions."""
    cfg, lang = run.params.segmentation, run.lang
    tx, customers = run.transactions(), run.customers()
    who = exports.people(customers, tx, seg.summary["customer_id"] if customers is None else
                         pd.concat([seg.summary["customer_id"], customers["customer_id"]])
                         .drop_duplicates())
    return {
        "calls": exports.call_list(seg.moves, seg.rungs, seg.abc, who, lang,
                                   due=seg.as_of + dt.timedelta(days=cfg.call_due_days)),
        "greetings": exports.greetings_list(customers, who, lang, start=seg.as_of,
                                            days=cfg.greetings_days),
        "penetration": exports.penetration_list(seg.rungs, who, lang,
                                                due=seg.as_of + dt.timedelta(
                                                    days=cfg.question_due_days)),
    }


def segment_list(seg: Segments, run: RunContext) -> pd.DataFrame:
    """One row per customer: its RFM segment, ABC-XYZ cell and rung (for mailings by status)."""
    lang = run.lang
    who = exports.people(run.customers(), run.transactions(), seg.summary["customer_id"])
    frame = who.merge(seg.rfm[["customer_id", "R", "F", "M", "segment"]], on="customer_id")
    frame = frame.merge(seg.abc[["customer_id", "cell"]], on="customer_id")
    frame = frame.merge(seg.rungs[["customer_id", "rung"]], on="customer_id")
    frame["segment"] = [exports.plain_text(_segment_name(s, lang)) for s in frame["segment"]]
    frame["rung"] = [exports.plain_text(lang.t(f"segmentation.rung.{r}")) for r in frame["rung"]]
    frame["manager"] = frame["manager"].replace(
        {exports.UNASSIGNED: exports.plain_text(lang.t("segmentation.tasks.unassigned"))})
    names = {c: exports.plain_text(lang.t(f"segmentation.tasks.column.{c}"))
             for c in ("manager", "customer_id", "customer_name", "contact")}
    names.update({"segment": exports.plain_text(lang.t("segmentation.column.segment")),
                  "cell": "ABC-XYZ",
                  "rung": exports.plain_text(lang.t("segmentation.column.rung"))})
    return frame.rename(columns=names)


def exports_sentence(lists: dict[str, pd.DataFrame], files: list, run: RunContext) -> str:
    """Which task lists were written for which managers."""
    lang = run.lang
    managers = sorted({f.stem for f in files if f.suffix == ".xlsx" and f.stem != "segments"})
    return lang.t("segmentation.exports_so_what", calls=lang.int(len(lists["calls"])),
                  greetings=lang.int(len(lists["greetings"])),
                  days=lang.int(run.params.segmentation.greetings_days),
                  penetration=lang.int(len(lists["penetration"])),
                  files=", ".join(f"{m}.xlsx" for m in managers))


def results(seg: Segments, lists: dict[str, pd.DataFrame], files: list, run_dir) -> dict:
    """The segmentation keys of results.json."""
    counts = seg.rfm["segment"].value_counts()
    cells = _cells(seg)
    risk = seg.rfm[seg.rfm["segment"].isin(RISK)]
    return {
        "rfm": {"counts": {s: int(counts.get(s, 0)) for s in counts.index},
                "at_risk_customers": len(risk),
                "at_risk_revenue": float(risk["monetary"].sum()),
                "best_customers": int(seg.rfm["segment"].isin(BEST).sum())},
        "abc_xyz": {"counts": {c: int(cells.loc[c, "customers"]) for c in sg.ABC_XYZ_CELLS},
                    "revenue_share": {c: float(cells.loc[c, "share"])
                                      for c in sg.ABC_XYZ_CELLS},
                    "short_history": int(seg.abc["short_history"].sum()),
                    "window_end": complete_end(seg.as_of, seg.xyz_period).isoformat()},
        "pareto": {"top20_revenue_share": seg.pareto["top20_revenue_share"],
                   "top20_margin_share": seg.pareto["top20_margin_share"],
                   "top_customers": seg.pareto["top_customers"]},
        "ladder": {"counts": seg.ladder_counts, "has_survey_data": seg.has_evidence},
        "base_health": _health_results(seg.health),
        "complete_through": (seg.complete_through or complete_end(seg.as_of)).isoformat(),
        "movement": {"moved_down": int(seg.moves["moved_down"].sum()),
                     "important_moved_down": len(_important_down(seg))},
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
    figures = []
    if seg["pareto"]["top20_revenue_share"] is not None:
        figures.append((lang.t("segmentation.summary.top20"),
                        lang.pct(seg["pareto"]["top20_revenue_share"])))
    figures.append((lang.t("segmentation.summary.champions"),
                    lang.int(seg["rfm"]["best_customers"])))
    figures.append((lang.t("segmentation.summary.at_risk"),
                    lang.int(seg["rfm"]["at_risk_customers"])))
    counts = seg["ladder"]["counts"]
    regular = sum(counts.get(r) or 0 for r in ("regular", "adherent", "advocate", "unknown"))
    figures.append((lang.t("segmentation.summary.regulars"), lang.int(regular)))
    tasks = seg.get("tasks", {})
    advice = []
    if tasks.get("calls"):
        advice.append(lang.t("segmentation.summary.advice_calls", calls=lang.int(tasks["calls"])))
    if seg["rfm"]["at_risk_customers"]:
        advice.append(lang.t("segmentation.summary.advice_risk",
                             risk_n=lang.int(seg["rfm"]["at_risk_customers"]),
                             risk_revenue=lang.money(seg["rfm"]["at_risk_revenue"])))
    if tasks.get("penetration"):
        advice.append(lang.t("segmentation.summary.advice_penetration",
                             penetration=lang.int(tasks["penetration"])))
    return figures, advice
