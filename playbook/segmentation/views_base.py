"""The segmentation section's second half: the loyalty ladder, who moved down, the base's
health, and how many tasks the managers' lists hold.

Functions take the :class:`~playbook.segmentation.views.Segments` and a ``Lang`` and return
tables, charts and sentences in the client's language; :mod:`playbook.segmentation.views`
re-exports them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from playbook.periods import complete_end, is_period_end
from playbook.report.i18n import Lang, Safe
from playbook.report.render import PALETTE, new_figure
from playbook.segmentation import analysis as sg

if TYPE_CHECKING:
    from playbook.running.context import RunContext
    from playbook.segmentation.views import Segments

__all__ = ["segment_name", "regulars", "ladder_table", "ladder_chart", "ladder_sentences",
           "movement_table", "movement_table_note", "important_down", "movement_sentence",
           "health_chart", "partial_month_sentence", "health_sentences", "exports_sentence"]

REGULAR_RUNGS = ("regular", "adherent", "advocate", "unknown")


def segment_name(name: str, lang: Lang) -> str:
    """An RFM segment's name in the client's language (a custom segment keeps its own)."""
    key = f"segmentation.segment.{name}"
    return lang.t(key) if lang.has(key) else name


def regulars(counts: dict) -> int:
    """Regular customers: rung 3 and above (the ladder's counts, the summary's tile)."""
    return sum(counts.get(r) or 0 for r in REGULAR_RUNGS)


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
    sentences = [
        lang.t("segmentation.ladder_intro", min_months=lang.int(cfg.regular.min_months),
               window=lang.int(cfg.regular.window_months)),
        lang.t("segmentation.ladder_so_what", buyer=lang.int(counts["buyer"]),
               client=lang.int(counts["client"]), regular=lang.int(regulars(counts))),
    ]
    if counts.get("unknown") and seg.has_evidence:
        sentences.append(lang.t("segmentation.ladder_partial",
                                adherents=lang.int((counts["adherent"] or 0)
                                                   + (counts["advocate"] or 0)),
                                advocate=lang.int(counts["advocate"] or 0),
                                unknown=lang.int(counts["unknown"])))
        sentences.append(lang.t("segmentation.ladder_survey_note"))
    elif counts.get("unknown"):
        sentences.append(lang.t("segmentation.ladder_gap",
                                whom=Safe(lang.t(f"segmentation.kind.recommend_{seg.kind['kind']}"))))
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


def movement_table_note(seg: Segments, run: RunContext, lang: Lang) -> str:
    """What the transition table means (it stands in the technical appendix)."""
    days = run.params.segmentation.movement_days
    return lang.t("segmentation.movement_table_note", days=lang.int(days),
                  before=lang.date(seg.as_of - dt.timedelta(days=days)))


def important_down(seg: Segments) -> pd.DataFrame:
    """Customers who moved down and were or are regulars, or are in ABC class A."""
    frame = seg.moves.merge(seg.abc[["customer_id", "abc"]], on="customer_id")
    important = frame["rung_before"].isin(REGULAR_RUNGS) | frame["rung_now"].isin(REGULAR_RUNGS) | \
        (frame["abc"] == "A")
    return frame[frame["moved_down"] & important]


def movement_sentence(seg: Segments, run: RunContext, lang: Lang) -> list[str]:
    """How many customers moved down over the movement window, and how many of them matter."""
    days = run.params.segmentation.movement_days
    before = seg.as_of - dt.timedelta(days=days)
    return [lang.t("segmentation.movement_intro", before=lang.date(before), days=lang.int(days)),
            lang.t("segmentation.movement_so_what", days=lang.int(days),
                   down=lang.int(int(seg.moves["moved_down"].sum())),
                   important=lang.int(len(important_down(seg))))]


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


def exports_sentence(seg: Segments, lists: dict[str, pd.DataFrame], run: RunContext) -> str:
    """How many tasks of each kind the managers' lists hold, and why the counts are what
    they are (calls: at risk + moved down; questions: every regular but the adherents).
    """
    lang = run.lang
    calls = lists["calls"]
    risk = int(calls["customer_id"].isin(set(seg.rhythm.group("at_risk")["customer_id"])).sum())
    counts = seg.ladder_counts
    adherents = (counts.get("adherent") or 0) + (counts.get("advocate") or 0)
    except_part = (lang.t("segmentation.exports_except", adherents=lang.int(adherents))
                   if adherents else "")
    return lang.t("segmentation.exports_so_what", calls=lang.int(len(calls)),
                  risk=lang.int(risk), down=lang.int(len(calls) - risk),
                  greetings=lang.int(len(lists["greetings"])),
                  days=lang.int(run.params.segmentation.greetings_days),
                  penetration=lang.int(len(lists["penetration"])),
                  except_part=Safe(except_part))
