"""The standards section's control part: compliance tables and charts, the control charts'
signals in words, the response rule, the month's best performer, what to fix first, and
the rollout plan with the questions to answer before the launch.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.patches import Patch

from playbook.report.i18n import Lang
from playbook.report.render import PALETTE, new_figure
from playbook.standards.effect import MIN_CLUSTERS, MIN_PERIODS, MIN_PERIODS_ITS
from playbook.standards.measure import EMPLOYEE_MIN_CHECKS, EMPLOYEE_MIN_MONTHS, RECENT_MONTHS
from playbook.standards.rollout import QUESTIONS
from playbook.standards.views import StandardsAnalysis
from playbook.survey.views_format import Markdown

__all__ = ["heading", "compliance_sentences", "standards_table", "branch_table", "compliance_chart",
           "signal_sentences", "response_sentences", "response_chart", "best_table",
           "best_sentences", "fix_sentences", "unknown_sentences", "plan_chart",
           "plan_sentences", "questions_table", "rules_sentences", "effect_sentences",
           "effect_chart", "chain_sentences", "chain_chart"]

#: The best performers shown: the last this many months.
BEST_MONTHS = 6


def heading(key: str, lang: Lang, level: int = 3) -> Markdown:
    """A sub-heading from the locale files (shown only when its part has something)."""
    return Markdown(f"{'#' * level} {lang.t(f'standards.heading.{key}')}")


def _wording(res: StandardsAnalysis, lang: Lang) -> dict[str, str]:
    return dict(zip(res.catalog["id"], res.catalog[f"wording_{lang.code}"], strict=True))


def _period(res: StandardsAnalysis, lang: Lang) -> str:
    start, end = res.measured.recent
    return lang.t("standards.months_range", start=lang.month(start), end=lang.month(end))


def compliance_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """Overall compliance now (weighted by the standards' weights), and before the rollout."""
    m = res.measured
    if not m.has_checks:
        return []
    out = [lang.t("standards.compliance_now", share=lang.pct(m.overall, 0),
                  period=_period(res, lang), n=lang.int(len(m.checks)))]
    if m.overall_before is not None and m.in_force is not None:
        out.append(lang.t("standards.compliance_before", share=lang.pct(m.overall_before, 0),
                          date=lang.date(m.in_force)))
    return out


def standards_table(res: StandardsAnalysis, lang: Lang) -> pd.DataFrame:
    """Compliance per standard now: checks, share with its 95% interval, target, before."""
    m = res.measured
    if m.by_standard.empty:
        return pd.DataFrame()
    words = _wording(res, lang)
    target = res.catalog.set_index("id")["target"]
    before = m.before.set_index("item")["share"] if not m.before.empty else pd.Series(dtype=float)
    rows = []
    for r in m.by_standard.sort_values("share").itertuples(index=False):
        rows.append({
            lang.t("standards.col.standard"): words.get(r.item, r.item),
            lang.t("standards.col.checks"): lang.int(r.n),
            lang.t("standards.col.share"): lang.pct(r.share, 0),
            lang.t("standards.col.interval"): f"{lang.pct(r.ci_low, 0)} … {lang.pct(r.ci_high, 0)}",
            lang.t("standards.col.target"): lang.pct(target[r.item], 0),
            lang.t("standards.col.before"): lang.pct(before[r.item], 0) if r.item in before
            else "—",
        })
    return pd.DataFrame(rows)


def branch_table(res: StandardsAnalysis, lang: Lang) -> pd.DataFrame:
    """Compliance per branch now, with intervals."""
    table = res.measured.by_branch
    if table.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        lang.t("standards.col.branch"): table["branch"],
        lang.t("standards.col.checks"): [lang.int(v) for v in table["n"]],
        lang.t("standards.col.share"): [lang.pct(v, 0) for v in table["share"]],
        lang.t("standards.col.interval"): [f"{lang.pct(a, 0)} … {lang.pct(b, 0)}"
                                           for a, b in zip(table["ci_low"], table["ci_high"],
                                                           strict=True)],
    })


def _control(ax, chart: pd.DataFrame, lang: Lang, *, pct: bool, force, label: str) -> None:
    x = pd.to_datetime(chart["period"])
    ax.plot(x, chart["value"], marker="o", color=PALETTE[0], linewidth=1.8, label=label)
    for _, seg in chart.groupby("segment", sort=True):
        sx = pd.to_datetime(seg["period"])
        ax.step(sx, seg["centre"], where="mid", color="#444444", linewidth=1.2,
                label=lang.t("standards.axis.centre") if seg["segment"].iloc[0] == 0 else None)
        ax.step(sx, seg["ucl"], where="mid", color=PALETTE[3], linestyle="--", linewidth=1,
                label=lang.t("standards.axis.limits") if seg["segment"].iloc[0] == 0 else None)
        ax.step(sx, seg["lcl"], where="mid", color=PALETTE[3], linestyle="--", linewidth=1)
    outside = (chart["value"] > chart["ucl"]) | (chart["value"] < chart["lcl"])
    if outside.any():
        ax.scatter(x[outside], chart.loc[outside, "value"], s=60, color=PALETTE[1], zorder=5,
                   label=lang.t("standards.axis.outside"))
    if force is not None:
        ax.axvline(pd.Timestamp(force), color=PALETTE[2], linewidth=1.2)
        ax.annotate(lang.t("standards.axis.in_force"), (pd.Timestamp(force), 1.0),
                    xycoords=("data", "axes fraction"), fontsize=8, color=PALETTE[2],
                    ha="left", va="top", xytext=(3, 0), textcoords="offset points")
    if pct:
        ax.yaxis.set_major_formatter(lambda v, _: lang.pct(v, 0))
    ax.xaxis.set_major_formatter(lambda v, _: lang.month(mdates.num2date(v).date()))
    ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncol=4)


def compliance_chart(res: StandardsAnalysis, lang: Lang):
    """The p-chart of the share of checks passed each month, limits reset where each wave's
    standards took effect.
    """
    fig, ax = new_figure(8, 3.6)
    _control(ax, res.measured.p_chart, lang, pct=True, force=res.measured.in_force,
             label=lang.t("standards.axis.value"))
    ax.set_ylabel(lang.t("standards.axis.share"))
    return fig


def response_chart(res: StandardsAnalysis, lang: Lang):
    """The XmR chart of the monthly median hours to the first answer."""
    fig, ax = new_figure(8, 3.2)
    _control(ax, res.measured.response_chart, lang, pct=False, force=res.measured.in_force,
             label=lang.t("standards.axis.hours_value"))
    ax.axhline(res.settings.response_hours, color="#999999", linewidth=0.8, linestyle=":")
    ax.set_ylabel(lang.t("standards.axis.hours"))
    return fig


def _series_name(signal: dict, lang: Lang) -> str:
    series = signal["series"]
    if series.startswith("compliance:"):
        return lang.t("standards.series.branch", branch=series.split(":", 1)[1])
    if series.startswith("employee:"):
        return lang.t("standards.series.employee", employee=series.split(":", 1)[1])
    return lang.t(f"standards.series.{series}")


def signal_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """The control charts' signals in words: what changed after the standards took effect
    (against the limits before), and what is unusual within the current limits.
    """
    m = res.measured
    if m.p_chart.empty and m.response_chart.empty:
        return []
    out = _signal_words([s for s in m.signals if "employee" not in s], lang)
    if not out:
        out.append(lang.t("standards.signal.none"))
    return out


def _signal_words(found: list[dict], lang: Lang) -> list[str]:
    out = []
    for s in found:
        rules = ", ".join(lang.t(f"standards.rule_name.{r}") for r in s["rules"])
        out.append(lang.t(f"standards.signal.{s['basis']}_{s['meaning']}",
                          series=_series_name(s, lang), start=lang.month(s["start"]),
                          end=lang.month(s["date"]), rules=rules))
    return out


def employee_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """The employees' own control charts in words: who has one (enough checks), the rules,
    and each employee's signals (or that none stands out).
    """
    m = res.measured
    if m is None or not m.employee_charts:
        return [lang.t("standards.employees.none", checks=lang.int(EMPLOYEE_MIN_CHECKS),
                       months=lang.int(EMPLOYEE_MIN_MONTHS))] if m is not None \
            and m.has_checks else []
    out = [lang.t("standards.employees.intro", n=lang.int(len(m.employee_charts)),
                  checks=lang.int(EMPLOYEE_MIN_CHECKS), months=lang.int(EMPLOYEE_MIN_MONTHS))]
    found = _signal_words([s for s in m.signals if "employee" in s], lang)
    return out + (found or [lang.t("standards.employees.quiet")])


def employee_chart(res: StandardsAnalysis, lang: Lang):
    """Small multiples: each employee's p-chart of the monthly pass share, limits reset
    when the standards took effect in the employee's branch.
    """
    charts = res.measured.employee_charts
    cols = 2
    rows = -(-len(charts) // cols)
    fig, first = new_figure(8, 2.3 * rows)
    fig.delaxes(first)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax, (employee, chart) in zip(axes.flat, charts.items(), strict=False):
        ax.spines[["top", "right"]].set_visible(False)
        x = pd.to_datetime(chart["period"])
        ax.plot(x, chart["value"], marker="o", markersize=3, color=PALETTE[0], linewidth=1.2)
        for _, seg in chart.groupby("segment", sort=True):
            sx = pd.to_datetime(seg["period"])
            ax.step(sx, seg["centre"], where="mid", color="#444444", linewidth=1)
            ax.step(sx, seg["ucl"], where="mid", color=PALETTE[3], linestyle="--", linewidth=0.8)
            ax.step(sx, seg["lcl"], where="mid", color=PALETTE[3], linestyle="--", linewidth=0.8)
        outside = (chart["value"] > chart["ucl"]) | (chart["value"] < chart["lcl"])
        ax.scatter(x[outside], chart.loc[outside, "value"], s=25, color=PALETTE[1], zorder=5)
        ax.set_title(str(employee), fontsize=9)
        ax.yaxis.set_major_formatter(lambda v, _: lang.pct(v, 0))
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=(1, 7)))
        ax.xaxis.set_major_formatter(lambda v, _: lang.month(mdates.num2date(v).date()))
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(charts):]:
        ax.set_visible(False)
    return fig


def rules_sentences(lang: Lang) -> list[str]:
    """How the charts are read: the limits and the run rules, stated."""
    return [lang.t("standards.rules_intro"), lang.t("standards.rules_list")]


def response_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """The response rule: the share answered in time and the median time."""
    m = res.measured
    if not m.judged:
        return []
    hours = lang.t(f"standards.hours_{res.settings.hours}", n=lang.int(res.settings.response_hours)
                   if float(res.settings.response_hours).is_integer()
                   else lang.num(res.settings.response_hours, 1))
    months = sorted(m.response_chart["period"])[-RECENT_MONTHS:]
    period = lang.t("standards.months_range", start=lang.month(pd.Timestamp(months[0]).date()),
                    end=lang.month(pd.Timestamp(months[-1]).date()))
    return [lang.t("standards.response", share=lang.pct(m.within, 0), hours=hours, period=period,
                   n=lang.int(m.judged), median=lang.num(m.median_hours, 1))]


def best_table(res: StandardsAnalysis, lang: Lang) -> pd.DataFrame:
    """The best performer of each of the last months, with checks, share and fair score."""
    best = res.measured.best.tail(BEST_MONTHS)
    if best.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        lang.t("standards.col.month"): [lang.month(pd.Timestamp(v).date()) for v in best["month"]],
        lang.t("standards.col.employee"): best["employee"],
        lang.t("standards.col.checks"): [lang.int(v) for v in best["n"]],
        lang.t("standards.col.share"): [lang.pct(v, 0) for v in best["share"]],
        lang.t("standards.col.score"): [lang.pct(v, 0) for v in best["score"]],
        lang.t("standards.col.month_share"): [lang.pct(v, 0) for v in best["month_share"]],
    })


def best_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """How the best performer is chosen, and who it is this month."""
    best = res.measured.best
    if best.empty:
        return [lang.t("standards.best_none", n=lang.int(res.settings.min_checks))] \
            if res.measured.has_checks else []
    last = best.iloc[-1]
    return [lang.t("standards.best_rule", n=lang.int(res.settings.min_checks),
                   shrink=lang.int(res.settings.shrink_checks)),
            lang.t("standards.best_last", month=lang.month(pd.Timestamp(last["month"]).date()),
                   employee=str(last["employee"]), share=lang.pct(last["share"], 0),
                   n=lang.int(last["n"]))]


def fix_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """The standards to fix first: below target, the largest weighted shortfall first."""
    m = res.measured
    if not m.has_checks:
        return []
    if m.fix.empty:
        return [lang.t("standards.fix_none")]
    words = _wording(res, lang)
    out = [lang.t("standards.fix_intro")]
    for r in m.fix.itertuples(index=False):
        out.append(lang.t("standards.fix_item", standard=words.get(r.item, r.item).rstrip("."),
                          share=lang.pct(r.share, 0), target=lang.pct(r.target, 0)))
    return out


def unknown_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """Audit items the standards do not include: counted apart, not in compliance."""
    unknown = res.measured.unknown
    if unknown.empty:
        return []
    return [lang.t("standards.unknown_items", n=lang.int(int(unknown["checks"].sum())),
                   items=", ".join(unknown["item"].astype(str)))]


def plan_chart(res: StandardsAnalysis, lang: Lang):
    """The rollout plan as bars: one row per group, a bar per stage."""
    stages = res.plan
    groups = list(dict.fromkeys(stages["wave"]))
    fig, ax = new_figure(8, 0.55 * len(groups) + 1.4)
    colours = {"develop": PALETTE[4], "train": PALETTE[1], "control": PALETTE[2]}
    labels = []
    for y, wave in enumerate(groups):
        rows = stages[stages["wave"] == wave]
        branches = ", ".join(rows["branches"].iloc[0])
        who = (lang.t("standards.plan.everyone") if wave == -1 else
               lang.t("standards.plan.pilot") if wave == 0 else
               lang.t("standards.plan.wave", n=lang.int(wave)))
        labels.append(f"{who}: {branches}" if branches and wave != -1 else who)
        for r in rows.itertuples(index=False):
            start = mdates.date2num(pd.Timestamp(r.start))
            ax.barh(y, mdates.date2num(pd.Timestamp(r.end)) - start, left=start, height=0.5,
                    color=colours[r.stage])
    ax.set_yticks(np.arange(len(groups)), labels)
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3, maxticks=6))
    handles = [Patch(color=colour, label=lang.t(f"standards.plan.{stage}"))
               for stage, colour in colours.items()]
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="upper center",
              bbox_to_anchor=(0.5, -0.12), ncol=3)
    ax.grid(axis="x", color="#dddddd")
    ax.xaxis.set_major_formatter(lambda v, _: lang.month(mdates.num2date(v).date()))
    return fig


def plan_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """The plan in words: when each stage starts, and when to judge the results."""
    stages = res.plan
    if stages.empty:
        return [lang.t("standards.plan_none")]
    develop = stages.iloc[0]
    pilot = stages[(stages["wave"] == 0) & (stages["stage"] == "control")].iloc[0]
    last = stages[stages["stage"] == "control"].iloc[-1]
    return [lang.t("standards.plan_text", start=lang.date(develop["start"]),
                   pilot=lang.date(pilot["start"]), waves=lang.int(stages["wave"].max()),
                   last=lang.date(last["start"]), judge=lang.date(last["end"]))]


def questions_table(lang: Lang) -> pd.DataFrame:
    """The questions to answer before the launch (seed 002), with room for the answer."""
    return pd.DataFrame({
        lang.t("standards.col.no"): [lang.int(i) for i in range(1, len(QUESTIONS) + 1)],
        lang.t("standards.col.question"): [lang.t(f"standards.question.{q}") for q in QUESTIONS],
    })


def effect_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """Did it pay off, in plain words: the estimate and its range, or why it cannot be told,
    and how the range was computed when the branches are too few to cluster by.
    """
    if res.effect is None:
        return []
    e = res.effect.effect
    if e.verdict in ("no_plan", "no_branch"):
        return [lang.t(f"standards.effect.{e.verdict}")]
    its = e.method == "segmented time series"
    if e.verdict != "estimated":
        return [lang.t("standards.effect.too_short" + ("_its" if its else ""),
                       after=lang.int(e.periods_after), before=lang.int(e.periods_before),
                       need=lang.int(MIN_PERIODS_ITS if its else MIN_PERIODS))]
    values = {"estimate": lang.num(100 * e.estimate, 1), "low": lang.num(100 * e.ci_low, 1),
              "high": lang.num(100 * e.ci_high, 1), "baseline": lang.pct(e.baseline, 0),
              "treated": lang.int(e.n_treated), "others": lang.int(e.n_branches - e.n_treated),
              "after": lang.int(e.periods_after)}
    out = [lang.t("standards.effect.estimated_its" if its else "standards.effect.estimated",
                  **values)]
    if e.ci_low > 0 or e.ci_high < 0:
        out.append(lang.t("standards.effect.clear_up" if e.ci_low > 0
                          else "standards.effect.clear_down"))
    else:
        out.append(lang.t("standards.effect.unclear"))
    if e.pretrend_p is not None:
        out.append(lang.t("standards.effect.parallel" if e.pretrend_p >= 0.05
                          else "standards.effect.not_parallel"))
    if e.errors == "hac":
        out.append(lang.t("standards.effect.few_branches", n=lang.int(e.n_branches),
                          need=lang.int(MIN_CLUSTERS)))
    return out


def _effect_value(outcome: str, value: float, lang: Lang) -> str:
    """An effect or a level in the outcome's unit: points, money or complaints per 1,000."""
    if outcome in ("repeat_rate", "crr"):
        return lang.num(100 * value, 1)
    if outcome == "revenue_per_customer":
        return lang.money(value)
    return lang.num(value, 1)


def effect_table(res: StandardsAnalysis, lang: Lang) -> pd.DataFrame:
    """Every outcome the rollout was judged on: the change against the other branches, its
    likely range, the level before and what it means (or why it cannot be told).
    """
    columns = [lang.t(f"standards.effect_col.{c}") for c in
               ("outcome", "change", "range", "before", "verdict")]
    if res.effect is None or not res.effect.outcomes:
        return pd.DataFrame(columns=columns)
    rows = []
    for name, e in res.effect.outcomes.items():
        label = lang.t(f"standards.effect_outcome.{name}")
        if e.verdict != "estimated":
            rows.append([label, "—", "—", "—", lang.t(f"standards.effect_verdict.{e.verdict}")])
            continue
        clear = "up" if e.ci_low > 0 else "down" if e.ci_high < 0 else "unclear"
        sign = "+" if e.estimate > 0 else ""
        rows.append([label, sign + _effect_value(name, e.estimate, lang),
                     lang.t("standards.effect_range", low=_effect_value(name, e.ci_low, lang),
                            high=_effect_value(name, e.ci_high, lang)),
                     _effect_value(name, e.baseline, lang),
                     lang.t(f"standards.effect_verdict.{clear}")])
    return pd.DataFrame(rows, columns=columns)


def effect_chart(res: StandardsAnalysis, lang: Lang):
    """The event study: the pilot's gap to the others by month around the change."""
    events = res.effect.events
    fig, ax = new_figure(8, 3.2)
    x = events["relative_month"].to_numpy()
    ax.axhline(0, color="#444444", linewidth=0.8)
    ax.axvline(-0.5, color=PALETTE[2], linewidth=1.2)
    ax.errorbar(x, 100 * events["estimate"], yerr=[100 * (events["estimate"] - events["ci_low"]),
                                                   100 * (events["ci_high"] - events["estimate"])],
                fmt="o", color=PALETTE[0], ecolor="#999999", capsize=2)
    ax.set_xlabel(lang.t("standards.axis.relative_month"))
    ax.set_ylabel(lang.t("standards.axis.gap_points"))
    return fig


def chain_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """The Service-Profit Chain in words: each link's strength and how many employees it
    rests on, or why it cannot be judged.
    """
    if res.chain is None:
        return []
    out = [lang.t("standards.chain.intro", n=lang.int(len(res.chain_units)))]
    if res.chain["source"].iloc[0] == "training":
        out.append(lang.t("standards.chain.intro_training"))
    for row in res.chain.itertuples(index=False):
        names = {"source": lang.t(f"standards.chain.node.{row.source}"),
                 "target": lang.t(f"standards.chain.node.{row.target}"), "n": lang.int(row.n)}
        if np.isnan(row.r):
            out.append(lang.t("standards.chain.unjudged", **names))
            continue
        clear = row.ci_low > 0 or row.ci_high < 0
        out.append(lang.t("standards.chain.clear" if clear else "standards.chain.unclear",
                          r=lang.num(row.r, 2), low=lang.num(row.ci_low, 2),
                          high=lang.num(row.ci_high, 2), **names))
    return out


def chain_chart(res: StandardsAnalysis, lang: Lang):
    """The chain as a diagram: a box per figure (training first, with a training log), each
    link's r and n on its arrow.
    """
    nodes = [res.chain["source"].iloc[0], *res.chain["target"]]
    fig, ax = new_figure(8, 1.5)
    ax.set_axis_off()
    ax.set_xlim(0, len(nodes))
    ax.set_ylim(0.3, 0.75)
    for i, node in enumerate(nodes):
        ax.text(i + 0.5, 0.5, "\n".join(_wrap(lang.t(f"standards.chain.node.{node}"), 16)),
                ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round,pad=0.5", "facecolor": "#eef3f8",
                      "edgecolor": PALETTE[0]})
    for i, row in enumerate(res.chain.itertuples(index=False)):
        ax.annotate("", xy=(i + 1.2, 0.5), xytext=(i + 0.8, 0.5),
                    arrowprops={"arrowstyle": "->", "color": "#444444"})
        label = ("—" if np.isnan(row.r) else f"r = {lang.num(row.r, 2)}") + \
            f"\nn = {lang.int(row.n)}"
        ax.text(i + 1.0, 0.53, label, ha="center", va="bottom", fontsize=8)
    return fig


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width) or [text]
