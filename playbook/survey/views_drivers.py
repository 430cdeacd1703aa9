"""The survey section's key-driver and crosstab parts.

Which areas of work drive satisfaction (the importance-performance chart, each area's
Shapley share, effect per point and quadrant, what to fix first) and which questions are
answered differently by segment (top-two-box shares per segment with chi-square tests):
tables of display strings, the chart and the "so what" sentences of a
:class:`~playbook.survey.analysis.SurveyAnalysis` in the client's language. The notebook
calls them through :mod:`playbook.survey.views`.
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
    p_text,
    question_label,
    quoted_list,
    yes_no,
)

__all__ = ["driver_sentences", "driver_chart", "driver_table", "crosstab_table",
           "crosstab_sentences"]


# --- key drivers ----------------------------------------------------------------------------


def _quadrant(code: str, lang: Lang) -> str:
    return lang.t(f"survey.quadrant.{code}")


def driver_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """R², the strongest driver, what to fix first and the ordered-logit check."""
    d = an.drivers
    top = d.iloc[0]
    out = [lang.t("survey.drivers_so_what", outcome=question_label(an, d.attrs["outcome"], lang),
                  r2=lang.pct(d.attrs["r_squared"]), n=lang.int(d.attrs["n"]),
                  top=question_label(an, top["attribute"], lang), top_share=lang.pct(top["share"]))]
    fix = d[d["quadrant"] == "fix_first"]
    if len(fix):
        out.append(lang.t("survey.drivers_fix", label=_quadrant("fix_first", lang),
                          items=Safe(quoted_list(lang, [question_label(an, q, lang)
                                                        for q in fix["attribute"]]))))
    else:
        out.append(lang.t("survey.drivers_no_fix"))
    if d["ologit_coef"].notna().any():
        agree = int(d["agree"].sum())
        key = "survey.drivers_ologit_agree" if agree == len(d) else "survey.drivers_ologit_some"
        out.append(lang.t(key, agree=lang.int(agree), k=lang.int(len(d))))
    return out


def driver_chart(an: SurveyAnalysis, lang: Lang):
    """The importance-performance chart: Shapley share of R² against the mean rating."""
    d = an.drivers
    fig, ax = new_figure(8, 5.2)
    x_mid, y_mid = d["share"].mean(), d["mean"].mean()
    colours = [PALETTE[3] if q == "fix_first" else PALETTE[2] if q == "keep_up"
               else PALETTE[0] for q in d["quadrant"]]
    ax.scatter(d["share"], d["mean"], s=46, color=colours, zorder=3)
    ax.axvline(x_mid, color="#999999", linestyle="--", linewidth=1)
    ax.axhline(y_mid, color="#999999", linestyle="--", linewidth=1)
    x_pad = (d["share"].max() - d["share"].min()) * 0.12 or 0.01
    y_pad = (d["mean"].max() - d["mean"].min()) * 0.15 or 0.1
    x0, x1 = max(0.0, d["share"].min() - x_pad), d["share"].max() + x_pad * 2.2
    y0, y1 = d["mean"].min() - y_pad * 1.6, d["mean"].max() + y_pad * 1.6
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    corners = {"fix_first": (0.99, 0.02, "right", "bottom"),
               "keep_up": (0.99, 0.98, "right", "top"),
               "possible_overkill": (0.01, 0.98, "left", "top"),
               "low_priority": (0.01, 0.02, "left", "bottom")}
    for code, (x, y, ha, va) in corners.items():
        ax.text(x, y, _quadrant(code, lang), ha=ha, va=va, fontsize=9.5, fontweight="bold",
                transform=ax.transAxes, color=PALETTE[3] if code == "fix_first" else "#555555",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 2})
    _place_labels(ax, d["share"].to_numpy(), d["mean"].to_numpy(),
                  [question_label(an, q, lang) for q in d["attribute"]], fontsize=8)
    ax.set_xlabel(lang.t("survey.axis_importance"))
    ax.set_ylabel(lang.t("survey.axis_performance"))
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
    """Per area: Shapley importance, effect per point, p-value, performance, quadrant."""
    d = an.drivers
    return pd.DataFrame({
        column_title(lang, "attribute"): [question_label(an, q, lang) for q in d["attribute"]],
        column_title(lang, "importance"): [lang.pct(v) for v in d["share"]],
        column_title(lang, "coef"): [lang.num(v if abs(v) >= 0.005 else 0.0, 2)
                                     for v in d["coef"]],
        column_title(lang, "p_value"): [p_text(lang, v) for v in d["p_value"]],
        column_title(lang, "ologit"): [yes_no(lang, a) if pd.notna(c) else "—"
                                       for a, c in zip(d["agree"], d["ologit_coef"],
                                                       strict=True)],
        column_title(lang, "mean"): [lang.num(v, 2) for v in d["mean"]],
        column_title(lang, "quadrant"): [_quadrant(q, lang) for q in d["quadrant"]],
    })


# --- crosstabs ------------------------------------------------------------------------------


def crosstab_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Per question: the share of top-two-box answers in each segment, and the chi-square test."""
    tests = an.crosstabs.set_index("question")
    top = an.top_shares.loc[tests.index]
    out = pd.DataFrame({column_title(lang, "question"): [question_label(an, q, lang)
                                                         for q in tests.index]})
    for segment in top.columns:
        out[str(segment)] = [or_dash(lang.pct, v) for v in top[segment]]
    out["χ²"] = [lang.num(v, 1) for v in tests["chi2"]]
    out[column_title(lang, "p_value")] = [p_text(lang, v) for v in tests["p_value"]]
    out[column_title(lang, "p_holm")] = [p_text(lang, v) for v in tests["p_adjusted"]]
    out[column_title(lang, "cramers_v")] = [lang.num(v, 2) for v in tests["cramers_v"]]
    return out


def crosstab_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """How many questions differ by segment after Holm, and the largest difference."""
    tests = an.crosstabs
    real = tests[tests["significant"].astype(bool)]
    out = [lang.t("survey.crosstab_intro", m=lang.int(len(tests)))]
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
