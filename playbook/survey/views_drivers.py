"""The survey section's key-driver and crosstab parts, in plain words.

Which areas of work drive satisfaction and what to do about each: the
importance-performance chart with its two lines stated (an equal share of what is
explained; the target rating, by default the "satisfied" mark), each area's share of
satisfaction explained, its rating, whether customers who left named it, and the action
its quadrant calls for; and which questions segments answer truly differently (the share of
the two best answers per segment). Tables of display strings, the chart and the "so what"
sentences of a :class:`~playbook.survey.analysis.SurveyAnalysis` in the client's language;
the regression and the tests behind them are in :mod:`playbook.survey.views_appendix`.
The notebook calls them through :mod:`playbook.survey.views`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.report.i18n import Lang, Safe
from playbook.report.render import PALETTE, new_figure
from playbook.survey.analysis import SurveyAnalysis
from playbook.survey.views_format import (
    column_title,
    or_dash,
    question_label,
    quoted_list,
    yes_no,
)

__all__ = ["driver_sentences", "driver_chart", "driver_table", "crosstab_table",
           "crosstab_sentences"]

_COLOURS = {"fix_first": PALETTE[3], "keep_up": PALETTE[2], "improve_next": PALETTE[1],
            "maintain": PALETTE[0]}


# --- key drivers ----------------------------------------------------------------------------


def _quadrant(code: str, lang: Lang) -> str:
    return lang.t(f"survey.quadrant.{code}")


def _target(an: SurveyAnalysis) -> float | None:
    """The grid's performance line when every area shares it (one scale), else ``None``."""
    targets = set(an.drivers["target"])
    return targets.pop() if len(targets) == 1 else None


def _items(an: SurveyAnalysis, lang: Lang, rows: pd.DataFrame) -> Safe:
    return Safe(quoted_list(lang, [question_label(an, q, lang) for q in rows["attribute"]]))


def driver_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """How much the areas explain, the strongest driver, the grid's lines, and what to do:
    fix first, improve next, keep up what leavers named, maintain the rest.
    """
    d = an.drivers
    top = d.iloc[0]
    m = len(d)
    out = [lang.t("survey.drivers_so_what", outcome=question_label(an, d.attrs["outcome"], lang),
                  r2=lang.pct(d.attrs["r_squared"], 0), m=lang.int(m),
                  top=question_label(an, top["attribute"], lang),
                  top_share=lang.pct(top["share"], 0))]
    target = _target(an)
    if target is not None:
        high = an.bounds(top["attribute"])[1]
        out.append(lang.t("survey.drivers_lines", line=lang.pct(d["share"].mean(), 0),
                          m=lang.int(m), target=lang.num(target, 0 if target == round(target)
                                                         else 1),
                          high=lang.int(high)))
    fix = d[d["quadrant"] == "fix_first"]
    if len(fix):
        out.append(lang.t("survey.drivers_fix", items=_items(an, lang, fix),
                          k=lang.int(len(fix))))
    else:
        out.append(lang.t("survey.drivers_no_fix"))
    important = d["high_importance"].astype(bool)
    groups = (("survey.drivers_keep", (d["quadrant"] == "keep_up") & important),
              ("survey.drivers_next", d["quadrant"] == "improve_next"),
              # less important, on target, but customers who left named it: kept up
              ("survey.drivers_named", (d["quadrant"] == "keep_up") & ~important),
              ("survey.drivers_maintain", d["quadrant"] == "maintain"))
    for key, rows in groups:
        if rows.any():
            out.append(lang.t(key, items=_items(an, lang, d[rows]), k=lang.int(int(rows.sum()))))
    return out


def driver_chart(an: SurveyAnalysis, lang: Lang):
    """The importance-performance chart: each area's share of satisfaction explained against
    its mean rating, split at an equal share and at the target rating.
    """
    d = an.drivers
    fig, ax = new_figure(8, 5.2)
    x_mid = d["share"].mean()
    target = _target(an)
    y_mid = target if target is not None else d["mean"].mean()
    colours = [_COLOURS.get(q, PALETTE[0]) for q in d["quadrant"]]
    ax.scatter(d["share"], d["mean"], s=46, color=colours, zorder=3)
    # kept up although the grid alone would say "maintain": customers who left named it
    named = (d["quadrant"] == "keep_up") & ~d["high_importance"].astype(bool)
    if named.any():
        ax.scatter(d.loc[named, "share"], d.loc[named, "mean"], s=150, facecolors="none",
                   edgecolors=_COLOURS["keep_up"], linewidths=1.4, zorder=3,
                   label=lang.t("survey.legend_named"))
        fig.legend(frameon=False, fontsize=8.5, loc="outside lower right")
    ax.axvline(x_mid, color="#999999", linestyle="--", linewidth=1)
    ax.axhline(y_mid, color=PALETTE[3] if target is not None else "#999999", linestyle="--",
               linewidth=1)
    x_pad = (d["share"].max() - d["share"].min()) * 0.12 or 0.01
    low_y, high_y = min(d["mean"].min(), y_mid), max(d["mean"].max(), y_mid)
    y_pad = (high_y - low_y) * 0.15 or 0.1
    x0, x1 = max(0.0, d["share"].min() - x_pad), d["share"].max() + x_pad * 2.2
    y0, y1 = low_y - y_pad * 1.6, high_y + y_pad * 1.6
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    corners = {"fix_first": (0.99, 0.02, "right", "bottom"),
               "keep_up": (0.99, 0.98, "right", "top"),
               "maintain": (0.01, 0.98, "left", "top"),
               "improve_next": (0.01, 0.02, "left", "bottom")}
    for code, (x, y, ha, va) in corners.items():
        ax.text(x, y, _quadrant(code, lang), ha=ha, va=va, fontsize=9.5, fontweight="bold",
                transform=ax.transAxes, color=_COLOURS[code] if code == "fix_first" else "#555555",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 2})
    ax.annotate(lang.t("survey.line_importance", share=lang.pct(x_mid, 0)), (x_mid, 1.0),
                xycoords=("data", "axes fraction"), xytext=(3, -3), textcoords="offset points",
                ha="left", va="top", fontsize=8, color="#777777")
    if target is not None:
        ax.annotate(lang.t("survey.line_target", target=lang.num(target, 0)), (1.0, y_mid),
                    xycoords=("axes fraction", "data"), xytext=(-3, 3),
                    textcoords="offset points", ha="right", va="bottom", fontsize=8,
                    color=PALETTE[3])
    _place_labels(ax, d["share"].to_numpy(), d["mean"].to_numpy(),
                  [question_label(an, q, lang) for q in d["attribute"]], fontsize=8)
    ax.set_xlabel(lang.t("survey.axis_importance"))
    low, high = an.bounds(d["attribute"].iloc[0])
    ax.set_ylabel(lang.t("survey.axis_performance", low=lang.int(low), high=lang.int(high)))
    ax.xaxis.set_major_formatter(lambda v, _: lang.pct(v, 0))
    ax.yaxis.set_major_formatter(lambda v, _: lang.num(v, 1))
    ax.grid(axis="y", visible=False)
    return fig


def _place_labels(ax, xs, ys, labels: list[str], *, fontsize: float) -> None:
    """Label points without overlaps: try right, left, above and below each point in turn.

    Text extents are estimated from the number of characters; labels are placed in order,
    each avoiding the points and the labels already placed. The layout is settled first,
    so that data and display coordinates no longer move.
    """
    ax.figure.draw_without_rendering()
    to_display = ax.transData.transform
    dpi = ax.figure.dpi / 72
    points = to_display(np.column_stack([xs, ys]))
    boxes: list[tuple[float, float, float, float]] = [
        (px - 4 * dpi, py - 4 * dpi, px + 4 * dpi, py + 4 * dpi) for px, py in points]
    axes_box = ax.get_window_extent()
    height = fontsize * 1.25 * dpi
    for (px, py), x, y, text in zip(points, xs, ys, labels, strict=True):
        width = fontsize * 0.62 * len(text) * dpi
        gap = 6 * dpi
        options = [(gap, -height / 2), (-gap - width, -height / 2), (-width / 2, gap),
                   (-width / 2, -gap - height), (gap, gap / 2), (gap, -gap / 2 - height),
                   (-gap - width, gap / 2), (-gap - width, -gap / 2 - height)]

        def clash(box, own=(px, py)):
            inside = (axes_box.x0 <= box[0] and box[2] <= axes_box.x1
                      and axes_box.y0 <= box[1] and box[3] <= axes_box.y1)
            return not inside or any(
                box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3]
                for b in boxes if (b[0] + b[2]) / 2 != own[0] or (b[1] + b[3]) / 2 != own[1])

        chosen = options[0]
        for dx, dy in options:
            if not clash((px + dx, py + dy, px + dx + width, py + dy + height)):
                chosen = (dx, dy)
                break
        dx, dy = chosen
        boxes.append((px + dx, py + dy, px + dx + width, py + dy + height))
        note = ax.annotate(text, (x, y), xytext=(dx / dpi, (dy + height * 0.2) / dpi),
                           textcoords="offset points", fontsize=fontsize, ha="left",
                           va="bottom")
        note.set_in_layout(False)


def driver_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Per area: share of satisfaction explained, mean rating, how many customers who left
    named it, and what to do.
    """
    d = an.drivers
    return pd.DataFrame({
        column_title(lang, "attribute"): [question_label(an, q, lang) for q in d["attribute"]],
        column_title(lang, "importance"): [lang.pct(v) for v in d["share"]],
        column_title(lang, "mean"): [lang.num(v, 2) for v in d["mean"]],
        column_title(lang, "named"): [str(lang.int(v)) if v else "—" for v in d["named"]],
        column_title(lang, "action"): [_quadrant(q, lang) for q in d["quadrant"]],
    })


# --- crosstabs ------------------------------------------------------------------------------


def crosstab_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Per question: the share of top-two-box answers in each segment, and whether the
    segments truly differ (the tests are in the technical appendix).
    """
    tests = an.crosstabs.set_index("question")
    top = an.top_shares.loc[tests.index]
    out = pd.DataFrame({column_title(lang, "question_top_two"): [question_label(an, q, lang)
                                                                 for q in tests.index]})
    for segment in top.columns:
        out[str(segment)] = [or_dash(lang.pct, v) for v in top[segment]]
    out[column_title(lang, "differs")] = [yes_no(lang, v) for v in tests["significant"]]
    return out


def crosstab_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """How many questions segments answer truly differently, and the largest difference."""
    tests = an.crosstabs
    real = tests[tests["significant"].astype(bool)]
    out = [lang.t("survey.crosstab_intro")]
    if not len(real):
        out.append(lang.t("survey.crosstab_none"))
        return out
    strongest = real.sort_values("cramers_v", ascending=False).iloc[0]
    shares = an.top_shares.loc[strongest["question"]]
    out.append(lang.t("survey.crosstab_so_what", k=lang.int(len(real)), m=lang.int(len(tests)),
                      question=question_label(an, strongest["question"], lang),
                      high_seg=str(shares.idxmax()), high=lang.pct(shares.max()),
                      low_seg=str(shares.idxmin()), low=lang.pct(shares.min())))
    return out
