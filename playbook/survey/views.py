"""The survey notebook's tables, charts and sentences, in the client's language.

What the report shows of a :class:`~playbook.survey.analysis.SurveyAnalysis`: each part's
heading, tables of display strings, charts and "so what" sentences, the notes for the
consultant on parts left out, and the survey's key figures and advice in the executive
summary. The analysis itself (:func:`~playbook.survey.analysis.analyse`) is in
:mod:`playbook.survey.analysis`; nothing here computes a statistic.

Free-text answers reach the report only as table cells (escaped by
:func:`playbook.report.render.table`) with e-mail addresses and phone numbers masked
(:func:`playbook.survey.exits.mask_contacts`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from playbook.errors import PlaybookError
from playbook.report.document import summary_section
from playbook.report.i18n import Lang, Safe
from playbook.report.render import PALETTE, new_figure
from playbook.survey import drivers as dr
from playbook.survey import exits as ex
from playbook.survey import questionnaire as forms
from playbook.survey.analysis import ALPHA_FLOOR, PARTS, SurveyAnalysis

__all__ = ["heading", "status_sentences", "response_table", "response_sentences",
           "nps_sentences", "nps_chart", "nps_table", "nps_tests_table", "nps_test_sentences",
           "satisfaction_sentences", "attribute_chart", "attribute_table", "reliability_table",
           "reliability_sentences", "driver_sentences", "driver_chart", "driver_table",
           "crosstab_table", "crosstab_sentences", "nonresponse_table", "weighted_table",
           "nonresponse_sentences", "annual_table", "annual_sentences", "wishes_table",
           "exit_table", "exit_sentences", "quotes_table", "iceberg_table",
           "iceberg_sentences", "consultant_notes"]

_QUOTES_PER_AREA = 2


# --- shared formatting ----------------------------------------------------------------------


class _Markdown:
    """A heading and intro from the locale (never client data), shown as Markdown."""

    def __init__(self, text: str):
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/markdown": self.text, "text/plain": self.text}, {}


def heading(an: SurveyAnalysis, part: str, lang: Lang) -> _Markdown | None:
    """The part's heading and what it shows, or ``None`` when the data does not support it.

    Headings come from the code, not from Markdown cells, so that a part without data
    leaves nothing behind in the report.
    """
    if part not in PARTS:
        raise ValueError(f"unknown survey part {part!r}; parts: {', '.join(PARTS)}")
    if part not in an.parts:
        return None
    text = f"## {lang.t(f'survey.part.{part}.title')}"
    values = {"share": lang.pct(an.complain_share, 0)} if part == "complaints" else {}
    if lang.has(f"survey.part.{part}.intro"):
        text += "\n\n" + " ".join(lang.t(f"survey.part.{part}.intro", **values).split())
    return _Markdown(text)


def _label(an: SurveyAnalysis, qid: str, lang: Lang, template=None) -> str:
    tpl = template or an.template
    try:
        return tpl.question(qid).column.get(lang.code)
    except (KeyError, AttributeError):
        return qid


def _n1(lang: Lang, value) -> Safe:
    return Safe("—") if value is None or pd.isna(value) else lang.num(value, 1)


def _interval(lang: Lang, low, high, digits: int = 1, *, pct: bool = False) -> Safe:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return Safe("—")
    if pct:
        return Safe(f"{lang.pct(low)} … {lang.pct(high)}")
    return Safe(f"{lang.num(low, digits)} … {lang.num(high, digits)}")


def _shown(fmt, value) -> str:
    """``fmt(value)``, e.g. ``lang.pct(share)``, or "—" for a missing value."""
    return "—" if value is None or pd.isna(value) else fmt(value)


def _table(headings: list[str], rows: list[tuple]) -> pd.DataFrame:
    """A table of display strings from rows of cells, one cell per heading."""
    return pd.DataFrame({h: [r[i] for r in rows] for i, h in enumerate(headings)})


def _pp(lang: Lang, share) -> Safe:
    if share is None or pd.isna(share):
        return Safe("—")
    return Safe(lang.t("survey.pp", value=lang.num(share * 100, 1)))


def _p(lang: Lang, p) -> str:
    """A p-value as plain text (``< 0.001`` is escaped where it is shown)."""
    if p is None or pd.isna(p):
        return "—"
    return f"<\u00a0{lang.num(0.001, 3)}" if p < 0.001 else str(lang.num(p, 3))


def _yes(lang: Lang, flag) -> str:
    return lang.t("survey.yes") if bool(flag) else lang.t("survey.no")


def _col(lang: Lang, key: str) -> str:
    return lang.t(f"survey.column.{key}")


def _list(lang: Lang, items: list[str]) -> str:
    """Join plain strings into "a, b and c" (escaped by :meth:`Lang.t` as values)."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {lang.t('survey.and')} {items[-1]}"


def _quoted(lang: Lang, items: list[str]) -> str:
    return _list(lang, [lang.t("survey.quote_marks", text=i) for i in items])


# --- what was given and what to run ---------------------------------------------------------


def status_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Which survey files the analysis uses, and for each missing one what to run."""
    rows = an.data.rows
    code = lang.code
    if not an.has_data:
        return [lang.t("survey.status.none", lang_code=code),
                lang.t("survey.status.none_then", lang_code=code)]
    given = []
    if rows["responses"]:
        given.append(lang.t("survey.status.given_survey", n=lang.int(rows["responses"]),
                            waves=lang.int(max(len(an.waves), 1))))
    for name, key in (("annual", "annual"), ("exits", "exit"), ("complaints", "complaints")):
        if rows[name]:
            given.append(lang.t(f"survey.status.given_{key}", n=lang.int(rows[name])))
    if rows["base"]:
        given.append(lang.t("survey.status.given_base"))
    out = [lang.t("survey.status.given", files=Safe("; ".join(given)))]
    missing = [("survey", not rows["responses"]), ("annual", not rows["annual"]),
               ("exit", not rows["exits"]), ("complaints", not rows["complaints"]),
               ("base", rows["responses"] and not rows["base"])]
    out += [lang.t(f"survey.status.missing_{name}", lang_code=code)
            for name, absent in missing if absent]
    if rows["responses"] and "survey" in an.errors:
        out.append(lang.t("survey.status.unreadable"))
    return out


# --- responses ------------------------------------------------------------------------------


def response_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Responses, invited, response rate and margin of error per wave (and in all)."""
    total = an.response_total

    def cells(wave, invited, responses, rate, margin) -> tuple:
        return (wave, _shown(lang.int, invited), lang.int(responses), _shown(lang.pct, rate),
                _pp(lang, margin))

    rows = [cells(str(r.wave), r.invited, r.responses, r.response_rate, r.margin_of_error)
            for r in (an.response.itertuples(index=False) if an.response is not None else [])]
    rows.append(cells(lang.t("survey.all_waves") if rows else lang.t("survey.all_answers"),
                      total["invited"],
                      total["covered"] if total["invited"] else total["responses"],
                      total["response_rate"], total["margin_of_error"]))
    return _table([_col(lang, k) for k in ("wave", "invited", "responses", "response_rate",
                                          "margin")], rows)


def response_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """How many answered, at what rate, and the margin of error overall and last wave."""
    total = an.response_total
    out = []
    if total["response_rate"] is not None:
        out.append(lang.t("survey.response_so_what", n=lang.int(total["covered"]),
                          waves=lang.int(max(len(an.waves), 1)),
                          rate=lang.pct(total["response_rate"]),
                          margin=_pp(lang, total["margin_of_error"])))
    else:
        out.append(lang.t("survey.response_no_base", n=lang.int(total["responses"]),
                          margin=_pp(lang, total["margin_of_error"])))
    if an.response is not None and len(an.response) and \
            an.response["margin_of_error"].notna().any():
        last = an.response.iloc[-1]
        out.append(lang.t("survey.response_last", wave=str(last["wave"]),
                          n=lang.int(last["responses"]),
                          margin=_pp(lang, last["margin_of_error"])))
    return out


# --- NPS ------------------------------------------------------------------------------------


def nps_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """NPS with both intervals, and the best and worst segment."""
    n = an.nps
    out = [lang.t("survey.nps_so_what", nps=_n1(lang, n["value"]),
                  ci=_interval(lang, n["ci_low"], n["ci_high"]),
                  boot=_interval(lang, n["boot_low"], n["boot_high"]), n=lang.int(n["n"]),
                  promoters=lang.pct(n["promoters"]), detractors=lang.pct(n["detractors"]))]
    if an.nps_by_segment is not None and len(an.nps_by_segment) >= 2:
        best = an.nps_by_segment.loc[an.nps_by_segment["nps"].idxmax()]
        worst = an.nps_by_segment.loc[an.nps_by_segment["nps"].idxmin()]
        out.append(lang.t("survey.nps_segments", best=str(best["segment"]),
                          best_nps=_n1(lang, best["nps"]), worst=str(worst["segment"]),
                          worst_nps=_n1(lang, worst["nps"])))
    return out


def nps_chart(an: SurveyAnalysis, lang: Lang):
    """NPS per wave with its 95% interval, and weighted to the base when it is known."""
    table = an.nps_by_wave
    fig, ax = new_figure(8, 3.6)
    x = np.arange(len(table))
    shift = 0.08 if an.weighted_by_wave is not None else 0.0
    ax.errorbar(x - shift, table["nps"], yerr=[table["nps"] - table["ci_low"],
                                               table["ci_high"] - table["nps"]],
                fmt="o-", color=PALETTE[0], capsize=4, linewidth=2,
                label=lang.t("survey.legend_unweighted"))
    if an.weighted_by_wave is not None:
        w = an.weighted_by_wave.set_index("wave").reindex(table["wave"])
        ax.errorbar(x + shift, w["nps_weighted"],
                    yerr=[w["nps_weighted"] - w["ci_low"], w["ci_high"] - w["nps_weighted"]],
                    fmt="s--", color=PALETTE[1], capsize=4, linewidth=2,
                    label=lang.t("survey.legend_weighted"))
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.set_xticks(x, [str(w) for w in table["wave"]])
    ax.set_ylabel("NPS")
    ax.yaxis.set_major_formatter(lambda v, _: lang.num(v, 0))
    ax.legend(frameon=False, fontsize=9, loc="best")
    return fig


def nps_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """NPS overall, per segment and per wave, with the analytic and bootstrap intervals."""

    def cells(group, n, promoters, detractors, nps, low, high, boot_low, boot_high) -> tuple:
        return (group, lang.int(n), lang.pct(promoters), lang.pct(detractors), _n1(lang, nps),
                _interval(lang, low, high), _interval(lang, boot_low, boot_high))

    n = an.nps
    rows = [cells(lang.t("survey.all_answers"), n["n"], n["promoters"], n["detractors"],
                  n["value"], n["ci_low"], n["ci_high"], n["boot_low"], n["boot_high"])]
    for table, key in ((an.nps_by_segment, "segment"), (an.nps_by_wave, "wave")):
        rows += [cells(f"{lang.t(f'survey.group.{key}')}: {getattr(r, key)}", r.n,
                       r.promoter_share, r.detractor_share, r.nps, r.ci_low, r.ci_high,
                       r.boot_low, r.boot_high)
                 for r in (table.itertuples(index=False) if table is not None else [])]
    return _table([_col(lang, "group"), _col(lang, "answers"), _col(lang, "promoters"),
                   _col(lang, "detractors"), "NPS", _col(lang, "ci"), _col(lang, "boot")], rows)


def nps_tests_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """z-tests of NPS differences between segments and between waves, Holm-adjusted."""
    rows = [(f"{r.group_a} — {r.group_b}", _n1(lang, r.difference),
             _interval(lang, r.ci_low, r.ci_high), _p(lang, r.p_value), _p(lang, r.p_holm),
             _yes(lang, r.p_holm < 0.05))
            for table in (an.tests_segment, an.tests_wave) if table is not None
            for r in table.itertuples(index=False)]
    return _table([_col(lang, k) for k in ("comparison", "difference", "ci", "p_value",
                                          "p_holm", "significant")], rows)


def nps_test_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Which segment differences are significant; whether NPS moved from wave to wave."""
    out = []
    tests = an.tests_segment
    if tests is not None and len(tests):
        real = tests[tests["p_holm"] < 0.05]
        if len(real):
            pairs = [lang.t("survey.pair", a=str(r.group_a), b=str(r.group_b),
                            diff=_n1(lang, abs(r.difference)))
                     for r in real.itertuples(index=False)]
            out.append(lang.t("survey.tests_segments", pairs=Safe(_list(lang, pairs)),
                              k=lang.int(len(real)), m=lang.int(len(tests))))
        else:
            out.append(lang.t("survey.tests_segments_none"))
    tests = an.tests_wave
    if tests is not None and len(tests):
        first, last = an.nps_by_wave.iloc[0], an.nps_by_wave.iloc[-1]
        pick = tests[(tests["group_a"] == first["wave"]) & (tests["group_b"] == last["wave"])]
        row = pick.iloc[0] if len(pick) else tests.iloc[-1]
        key = "survey.tests_waves_real" if row["p_holm"] < 0.05 else "survey.tests_waves_none"
        out.append(lang.t(key, first=str(first["wave"]), last=str(last["wave"]),
                          a=_n1(lang, first["nps"]), b=_n1(lang, last["nps"]),
                          p=_p(lang, row["p_holm"])))
    return out


# --- satisfaction ---------------------------------------------------------------------------


def satisfaction_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """CSAT, mean overall satisfaction, CES, and the best and worst rated areas."""
    out = []
    if an.csat is not None:
        c = an.csat
        out.append(lang.t("survey.csat_so_what", csat=lang.pct(c["value"]),
                          ci=_interval(lang, c["ci_low"], c["ci_high"], pct=True),
                          question=_label(an, c["question"], lang),
                          top=Safe(f"{lang.int(c['top_boxes'][0])}–{lang.int(c['top_boxes'][1])}"),
                          low=lang.int(c["scale"][0]), high=lang.int(c["scale"][1]),
                          n=lang.int(c["n"])))
    if an.overall_mean is not None:
        o = an.overall_mean
        out.append(lang.t("survey.overall_mean", mean=lang.num(o["mean"], 2),
                          high=lang.int(o["scale"][1]),
                          ci=_interval(lang, o["ci_low"], o["ci_high"], 2)))
    if an.ces is not None:
        c = an.ces
        out.append(lang.t("survey.ces_so_what", mean=lang.num(c["mean"], 2),
                          ci=_interval(lang, c["ci_low"], c["ci_high"], 2),
                          high=lang.int(c["scale"][1]), question=_label(an, c["question"], lang)))
    if an.likert is not None and len(an.likert) >= 2:
        ranked = an.likert.sort_values("mean", ascending=False)
        best, worst = ranked.iloc[0], ranked.iloc[-1]
        out.append(lang.t("survey.attributes_so_what",
                          best=_label(an, best["item"], lang), best_mean=lang.num(best["mean"], 2),
                          worst=_label(an, worst["item"], lang),
                          worst_mean=lang.num(worst["mean"], 2),
                          worst_top=lang.pct(worst["top_two"])))
    return out


def attribute_chart(an: SurveyAnalysis, lang: Lang):
    """Mean rating of each attribute with its 95% interval, best on top."""
    table = an.likert.sort_values("mean")
    fig, ax = new_figure(8, max(3.0, 0.36 * len(table) + 1))
    names = [_label(an, q, lang) for q in table["item"]]
    y = np.arange(len(table))
    ax.errorbar(table["mean"], y, xerr=[table["mean"] - table["ci_low"],
                                        table["ci_high"] - table["mean"]],
                fmt="o", color=PALETTE[0], capsize=3)
    average = table["mean"].mean()
    ax.axvline(average, color="#999999", linestyle=":", linewidth=1,
               label=lang.t("survey.legend_average"))
    ax.set_yticks(y, names)
    for yy, (mean, high_ci) in enumerate(zip(table["mean"], table["ci_high"], strict=True)):
        ax.text(high_ci, yy, f"  {lang.num(mean, 2)}", va="center", fontsize=8.5)
    low = min(an.bounds(q)[0] for q in table["item"])
    high = max(an.bounds(q)[1] for q in table["item"])
    # Zoom on the means (the scale's ends are in the axis title): the differences that
    # matter are tenths of a point, invisible on the whole scale.
    left = max(low, math.floor(table["ci_low"].min() * 2) / 2)
    right = min(high, math.ceil(table["ci_high"].max() * 2) / 2 + 0.25)
    ax.set_xlim(left, right)
    ax.set_xticks(np.arange(left, right + 1e-9, 0.5 if right - left > 1.5 else 0.25))
    ax.set_xlabel(lang.t("survey.axis_mean_rating", low=lang.int(low), high=lang.int(high)))
    ax.xaxis.set_major_formatter(lambda v, _: lang.num(v, 2 if right - left <= 1.5 else 1))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.legend(frameon=False, fontsize=9, loc="lower right")
    return fig


def attribute_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Mean rating of each area with its interval and its top-two-box share."""
    table = an.likert.sort_values("mean", ascending=False)
    return pd.DataFrame({
        _col(lang, "attribute"): [_label(an, q, lang) for q in table["item"]],
        _col(lang, "answers"): [lang.int(v) for v in table["n"]],
        _col(lang, "mean"): [lang.num(v, 2) for v in table["mean"]],
        _col(lang, "ci"): [_interval(lang, a, b, 2)
                           for a, b in zip(table["ci_low"], table["ci_high"], strict=True)],
        _col(lang, "top_two"): [_shown(lang.pct, v) for v in table["top_two"]],
    })


# --- reliability ----------------------------------------------------------------------------


def _scale_template(an: SurveyAnalysis, survey: str):
    return an.template if survey == "survey" else forms.load_template(an.data.annual_template)


def reliability_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Cronbach's alpha of each multi-item scale, and whether it is acceptable."""
    table = an.reliability
    surveys = table["survey"].nunique() > 1
    out = pd.DataFrame({
        _col(lang, "scale"): [t[lang.code] for t in table["title"]],
        _col(lang, "items"): [", ".join(_label(an, q, lang, _scale_template(an, s))
                                        for q in items)
                              for s, items in zip(table["survey"], table["item_ids"],
                                                  strict=True)],
        _col(lang, "answers"): [lang.int(v) for v in table["n"]],
        "α": [lang.num(v, 3) for v in table["alpha"]],
        _col(lang, "acceptable"): [_yes(lang, v) for v in table["acceptable"]],
    })
    if surveys:
        out.insert(0, _col(lang, "survey"), [lang.t(f"survey.survey_name.{s}")
                                             for s in table["survey"]])
    return out


def reliability_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Which scales can be read as one score and which cannot."""
    table = an.reliability
    good = [t[lang.code] for t, ok in zip(table["title"], table["acceptable"], strict=True) if ok]
    weak = table[~table["acceptable"].astype(bool)]
    out = []
    if good:
        out.append(lang.t("survey.alpha_good", scales=Safe(_quoted(lang, good)),
                          floor=lang.num(ALPHA_FLOOR, 1)))
    for row in weak.itertuples(index=False):
        out.append(lang.t("survey.alpha_weak", scale=row.title[lang.code],
                          alpha=lang.num(row.alpha, 3), floor=lang.num(ALPHA_FLOOR, 1)))
    return out


# --- key drivers ----------------------------------------------------------------------------


def _quadrant(code: str, lang: Lang) -> str:
    return dr.QUADRANT_LABELS[code][lang.code]


def driver_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """R², the strongest driver, what to fix first and the ordered-logit check."""
    d = an.drivers
    top = d.iloc[0]
    out = [lang.t("survey.drivers_so_what", outcome=_label(an, d.attrs["outcome"], lang),
                  r2=lang.pct(d.attrs["r_squared"]), n=lang.int(d.attrs["n"]),
                  top=_label(an, top["attribute"], lang), top_share=lang.pct(top["share"]))]
    fix = d[d["quadrant"] == "fix_first"]
    if len(fix):
        out.append(lang.t("survey.drivers_fix", label=_quadrant("fix_first", lang),
                          items=Safe(_quoted(lang, [_label(an, q, lang)
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
                  [_label(an, q, lang) for q in d["attribute"]], fontsize=8)
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
        _col(lang, "attribute"): [_label(an, q, lang) for q in d["attribute"]],
        _col(lang, "importance"): [lang.pct(v) for v in d["share"]],
        _col(lang, "coef"): [lang.num(v if abs(v) >= 0.005 else 0.0, 2) for v in d["coef"]],
        _col(lang, "p_value"): [_p(lang, v) for v in d["p_value"]],
        _col(lang, "ologit"): [_yes(lang, a) if pd.notna(c) else "—"
                               for a, c in zip(d["agree"], d["ologit_coef"], strict=True)],
        _col(lang, "mean"): [lang.num(v, 2) for v in d["mean"]],
        _col(lang, "quadrant"): [_quadrant(q, lang) for q in d["quadrant"]],
    })


# --- crosstabs ------------------------------------------------------------------------------


def crosstab_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Per question: the share of top-two-box answers in each segment, and the chi-square test."""
    tests = an.crosstabs.set_index("question")
    top = an.top_shares.loc[tests.index]
    out = pd.DataFrame({_col(lang, "question"): [_label(an, q, lang) for q in tests.index]})
    for segment in top.columns:
        out[str(segment)] = [_shown(lang.pct, v) for v in top[segment]]
    out["χ²"] = [lang.num(v, 1) for v in tests["chi2"]]
    out[_col(lang, "p_value")] = [_p(lang, v) for v in tests["p_value"]]
    out[_col(lang, "p_holm")] = [_p(lang, v) for v in tests["p_adjusted"]]
    out[_col(lang, "cramers_v")] = [lang.num(v, 2) for v in tests["cramers_v"]]
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
                      question=_label(an, strongest["question"], lang),
                      high_seg=str(shares.idxmax()), high=lang.pct(shares.max()),
                      low_seg=str(shares.idxmin()), low=lang.pct(shares.min())))
    return out


# --- nonresponse ----------------------------------------------------------------------------


def nonresponse_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Per segment: customers in the base, responses, response rate and the segment's NPS."""
    t = an.response_by_segment
    out = pd.DataFrame({
        _col(lang, "segment"): [str(s) for s in t["segment"]],
        _col(lang, "base"): [_shown(lang.int, v) for v in t["population"]],
        _col(lang, "responses"): [lang.int(v) for v in t["responses"]],
        _col(lang, "response_rate"): [_shown(lang.pct, v) for v in t["response_rate"]],
    })
    if "nps" in t.columns:
        out["NPS"] = [_n1(lang, v) for v in t["nps"]]
    return out


def weighted_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """NPS as answered and weighted to the base's segment mix, per wave and in all."""

    def cells(wave, n, unweighted, weighted, low, high, design_effect) -> tuple:
        return (wave, lang.int(n), _n1(lang, unweighted), _n1(lang, weighted),
                _interval(lang, low, high), lang.num(design_effect, 2))

    byw = an.weighted_by_wave
    rows = [cells(str(r.wave), r.n, r.nps_unweighted, r.nps_weighted, r.ci_low, r.ci_high,
                  r.design_effect)
            for r in (byw.itertuples(index=False) if byw is not None else [])]
    w = an.weighted
    rows.append(cells(lang.t("survey.all_waves"), w["n"], w["unweighted"], w["value"],
                      w["ci_low"], w["ci_high"], w["design_effect"]))
    return _table([_col(lang, k) for k in ("wave", "answers", "nps_unweighted", "nps_weighted",
                                          "ci_weighted", "design_effect")], rows)


def nonresponse_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Which segments answered more readily and how weighting moves NPS."""
    out = []
    t = an.response_by_segment
    if t is not None and t["response_rate"].notna().sum() >= 2:
        rated = t.dropna(subset=["response_rate"])
        hi, lo = rated.loc[rated["response_rate"].idxmax()], rated.loc[
            rated["response_rate"].idxmin()]
        out.append(lang.t("survey.nonresponse_rates", hi_seg=str(hi["segment"]),
                          hi=lang.pct(hi["response_rate"]), lo_seg=str(lo["segment"]),
                          lo=lang.pct(lo["response_rate"])))
    w = an.weighted
    if w is not None:
        gap = w["unweighted"] - w["value"]
        key = ("survey.weighted_close" if abs(gap) < 1 else "survey.weighted_over" if gap > 0
               else "survey.weighted_under")
        out.append(lang.t(key, weighted=_n1(lang, w["value"]),
                          ci=_interval(lang, w["ci_low"], w["ci_high"]),
                          unweighted=_n1(lang, w["unweighted"]), gap=_n1(lang, abs(gap))))
    return out


# --- the annual survey ----------------------------------------------------------------------


def annual_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame | None:
    """Share of wallet, adherents and NPS per segment in the annual survey."""
    t = an.annual_by_segment
    if t is None:
        return None
    out = pd.DataFrame({
        _col(lang, "segment"): [str(s) for s in t["segment"]],
        _col(lang, "answers"): [lang.int(v) for v in t["n"]],
        _col(lang, "wallet"): [_shown(lang.pct, v) for v in t["share_of_wallet"]],
        lang.t("survey.column.adherents", share=lang.pct(an.adherent_share, 0)):
            [_shown(lang.pct, v) for v in t["adherent_share"]],
    })
    if "nps" in t.columns:
        out["NPS"] = [_n1(lang, v) for v in t["nps"]]
    return out


def annual_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Annual survey: response, share of wallet, adherents and advocates, NPS."""
    a = an.annual
    out = []
    if a.get("response_rate") is not None:
        out.append(lang.t("survey.annual_response", n=lang.int(a["n"]),
                          rate=lang.pct(a["response_rate"])))
    else:
        out.append(lang.t("survey.annual_n", n=lang.int(a["n"])))
    if a.get("share_of_wallet") is not None:
        out.append(lang.t("survey.annual_wallet", share=lang.pct(a["share_of_wallet"])))
    if a.get("customers"):
        out.append(lang.t("survey.annual_ladder", adherents=lang.int(a["adherents"]),
                          customers=lang.int(a["customers"]),
                          threshold=lang.pct(an.adherent_share, 0),
                          advocates=lang.int(a["advocates"])))
    if a.get("nps"):
        n = a["nps"]
        out.append(lang.t("survey.annual_nps", nps=_n1(lang, n["value"]),
                          ci=_interval(lang, n["ci_low"], n["ci_high"])))
    return out


def wishes_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame | None:
    """The most frequent answers to "what must we do for you to buy more?" (masked text)."""
    if an.wishes is None:
        return None
    return pd.DataFrame({
        _col(lang, "wish"): [_clean(t, lang) for t in an.wishes["answer"]],
        _col(lang, "customers"): [lang.int(v) for v in an.wishes["count"]],
    })


def _clean(text: str, lang: Lang, max_chars: int = 300) -> str:
    """Plain text for a table cell: contacts masked, whitespace collapsed, cut (not escaped:
    :func:`playbook.report.render.table` escapes every cell)."""
    out = " ".join(ex.mask_contacts(text, lang=lang.code).split())
    return out if len(out) <= max_chars else out[: max_chars - 1].rstrip() + "…"


# --- exits ----------------------------------------------------------------------------------


def _exit_summary(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    return ex.exit_summary(an.exit_coded, keywords=an.exit_keywords, lang=lang.code)


def exit_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Customers per area (product, staff, the moment of sale) and per cause."""
    s = _exit_summary(an, lang)
    s = s[(s["count"] > 0) | ~s["category"].isin(["other", "unclear"])]
    winnable = {True: lang.t("survey.winnable_yes"), False: lang.t("survey.winnable_no")}
    return pd.DataFrame({
        _col(lang, "dimension"): [lang.t(f"survey.dimension.{d}") for d in s["dimension"]],
        _col(lang, "reason"): list(s["label"]),
        _col(lang, "customers"): [lang.int(v) for v in s["count"]],
        _col(lang, "share"): [_shown(lang.pct, v) for v in s["share"]],
        _col(lang, "winnable"): [winnable.get(bool(w), "") if pd.notna(w) else ""
                                 for w in s["winnable"]],
    })


def exit_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """How many leavers answered, the area named most, and terms against offence."""
    coded = an.exit_coded
    answered = coded[coded["answered"].astype(bool)]
    if not len(answered):
        return [lang.t("survey.exit_blank", n=lang.int(len(coded)))]
    s = _exit_summary(an, lang).set_index(["dimension", "category"])["count"]
    areas = [a for a in an.exit_keywords["areas"]]
    top = max(areas, key=lambda a: s.get(("area", a), 0))
    winnable = [c for c, spec in an.exit_keywords["causes"].items() if spec.get("winnable")]
    lost = [c for c, spec in an.exit_keywords["causes"].items()
            if spec.get("winnable") is False]
    out = [lang.t("survey.exit_so_what", n=lang.int(len(answered)), total=lang.int(len(coded)),
                  top=an.exit_keywords["areas"][top]["label"][lang.code],
                  top_n=lang.int(s.get(("area", top), 0))),
           lang.t("survey.exit_causes",
                  terms=lang.int(sum(s.get(("cause", c), 0) for c in winnable)),
                  offence=lang.int(sum(s.get(("cause", c), 0) for c in lost)))]
    if s.get(("cause", "unclear"), 0):
        out.append(lang.t("survey.exit_unclear", unclear=lang.int(s[("cause", "unclear")])))
    return out


def quotes_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """A few answers per area, as plain text with contacts masked, and the cause coded."""
    coded = an.exit_coded
    quotes = ex.exit_quotes(coded, keywords=an.exit_keywords, per_category=_QUOTES_PER_AREA,
                            id_col="_row", lang=lang.code)
    quotes = quotes[quotes["dimension"] == "area"].drop_duplicates("_row")
    causes = dict(zip(coded["_row"], coded["cause"], strict=True))
    labels = {c: spec["label"][lang.code] for c, spec in an.exit_keywords["causes"].items()}
    labels["unclear"] = ex.UNCODED_LABELS["unclear"][lang.code]
    return pd.DataFrame({
        _col(lang, "area"): [an.exit_keywords["areas"][c]["label"][lang.code]
                             for c in quotes["category"]],
        _col(lang, "quote"): [_clean(q, lang) for q in quotes["quote"]],
        _col(lang, "cause"): [labels.get(causes[r], "") for r in quotes["_row"]],
    })


# --- complaints -----------------------------------------------------------------------------


def iceberg_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Complaints per period and the dissatisfied customers they stand for."""
    t = an.iceberg
    out = pd.DataFrame({
        _col(lang, "period"): [str(p) for p in t["period"]] if "period" in t.columns
        else [str(i + 1) for i in range(len(t))],
        _col(lang, "complaints"): [_shown(lang.int, v) for v in t["complaints"]],
        _col(lang, "dissatisfied"): [_shown(lang.int, v) for v in t["dissatisfied_estimate"]],
    })
    if "dissatisfied_share" in t.columns:
        out.insert(1, _col(lang, "base"), [lang.int(v) for v in t["customers"]])
        out[_col(lang, "dissatisfied_share")] = [_shown(lang.pct, v)
                                                 for v in t["dissatisfied_share"]]
    return out


def iceberg_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """The iceberg estimate for the last period, and a warning on no or falling complaints."""
    t = an.iceberg.dropna(subset=["complaints"])
    if not len(t):
        return [lang.t("survey.iceberg_blank")]
    last = t.iloc[-1]
    period = str(last["period"]) if "period" in t.columns else ""
    share = lang.pct(an.complain_share, 0)
    silent = lang.int(1 / an.complain_share - 1)
    if "dissatisfied_share" in t.columns:
        out = [lang.t("survey.iceberg_so_what", period=period, complaints=lang.int(
            last["complaints"]), share=share, estimate=lang.int(last["dissatisfied_estimate"]),
            base_share=lang.pct(last["dissatisfied_share"]), silent=silent)]
    else:
        out = [lang.t("survey.iceberg_no_base", period=period,
                      complaints=lang.int(last["complaints"]), share=share,
                      estimate=lang.int(last["dissatisfied_estimate"]), silent=silent)]
    zero = [str(p) for p, c in zip(t.get("period", t.index), t["complaints"], strict=True)
            if c == 0]
    if zero:
        out.append(lang.t("survey.iceberg_zero", periods=", ".join(zero)))
    elif len(t) >= 2 and last["complaints"] < t["complaints"].iloc[0] * 0.75:
        out.append(lang.t("survey.iceberg_falling"))
    return out


# --- notes for the consultant ---------------------------------------------------------------


def consultant_notes(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """Why a part was left out (for the notebook only; the cell is tagged consultant-only)."""
    return [lang.t("survey.consultant_note", part=part, reason=reason)
            for part, reason in an.errors.items()]


# --- the executive summary ------------------------------------------------------------------


def _attribute(results_: dict, qid: str, lang: Lang) -> tuple[str, int | None]:
    """An attribute's label in the client's language and the top of its scale."""
    try:
        question = forms.load_template(results_.get("template") or "quarterly").question(qid)
    except (PlaybookError, KeyError):
        return qid, None
    return question.column.get(lang.code), (question.bounds or (None, None))[1]


@summary_section("survey")
def _summary(results_: dict, lang: Lang):
    data = results_["survey"]
    figures, advice = [], []
    nps = data.get("nps")
    if nps and nps.get("value") is not None:
        figures.append((lang.t("survey.summary.nps"),
                        lang.t("survey.summary.nps_value", nps=lang.num(nps["value"], 0),
                               low=lang.num(nps["ci_low"], 0), high=lang.num(nps["ci_high"], 0))))
    weighted = data.get("nps_weighted")
    if weighted and weighted.get("value") is not None:
        figures.append((lang.t("survey.summary.nps_weighted"), lang.num(weighted["value"], 0)))
    if data.get("csat") is not None:
        figures.append((lang.t("survey.summary.csat"), lang.pct(data["csat"])))
    fix = data.get("fix_first") or []
    drivers = data.get("drivers") or []
    if fix:
        label, high = _attribute(data, fix[0], lang)
        figures.append((lang.t("survey.summary.fix_first"), label))
        top = next(d for d in drivers if d["attribute"] == fix[0])
        advice.append(lang.t("survey.summary.advice_fix", attribute=label,
                             share=lang.pct(top["share"]), mean=lang.num(top["mean"], 1),
                             high=lang.int(high or 5)))
    elif drivers:
        figures.append((lang.t("survey.summary.top_driver"),
                        _attribute(data, drivers[0]["attribute"], lang)[0]))
    exits = data.get("exit")
    if exits and exits.get("answered"):
        advice.append(lang.t("survey.summary.advice_exit", winnable=lang.int(exits["winnable"]),
                             answered=lang.int(exits["answered"]),
                             offence=lang.int(exits["not_winnable"])))
    elif data.get("n"):
        advice.append(lang.t("survey.summary.advice_run_exit", lang_code=lang.code))
    iceberg = (data.get("iceberg") or {}).get("last")
    if iceberg and iceberg.get("complaints") is not None:
        advice.append(lang.t("survey.summary.advice_iceberg",
                             complaints=lang.int(iceberg["complaints"]),
                             estimate=lang.int(iceberg["dissatisfied_estimate"]),
                             period=str(iceberg.get("period", ""))))
    files = data.get("files", {})
    if not any(files.get(k) for k in ("survey", "survey_annual", "exit_survey", "complaints")):
        advice.append(lang.t("survey.summary.advice_start", lang_code=lang.code))
    elif not files.get("survey"):
        advice.append(lang.t("survey.summary.advice_run_survey", lang_code=lang.code))
    return figures, advice
