"""The competitor scored against us and what the switch really costs the customer: the
second half of the win-back section, in the client's language (re-exported by
:mod:`playbook.winback.views`).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from playbook.report.i18n import LANGUAGES, Lang, texts
from playbook.report.render import PALETTE, new_figure
from playbook.winback import swot
from playbook.winback.profile import TERMS

if TYPE_CHECKING:
    from playbook.winback.views import WinbackAnalysis

__all__ = ["factor_label", "missing_profile_sentences", "terms_table", "factors_table",
           "factor_chart",
           "swot_sentences", "survey_scores_table", "switch_table", "lines_table",
           "switch_sentences", "call_sentences", "sensitivity_sentences", "sensitivity_chart"]

#: Competitors drawn side by side on the factor chart, at most.
CHART_COMPETITORS = 3


def _plain_factor(name) -> str:
    return " ".join(re.sub(r"[^\w]+", " ", str(name).casefold().replace("ё", "е")).split())


@lru_cache(maxsize=1)
def _factor_names() -> dict[str, tuple[str, dict[str, set[str]]]]:
    """{plain name: (factor key, {language: its plain names})} of the factors the locale
    files know (``winback.factor`` and ``winback.factor_aliases``), in every language.
    """
    catalogues = {code: texts(code) for code in LANGUAGES}
    keys = [k.removeprefix("winback.factor.") for k in catalogues["en"]
            if k.startswith("winback.factor.")]
    index: dict[str, tuple[str, dict[str, set[str]]]] = {}
    for key in keys:
        names = {code: {_plain_factor(t[f"winback.factor.{key}"])}
                 | {_plain_factor(a) for a in t[f"winback.factor_aliases.{key}"].split(";")
                    if a.strip()} for code, t in catalogues.items()}
        for plain in set().union(*names.values()):
            index.setdefault(plain, (key, names))
    return index


def factor_label(name, lang: Lang) -> str:
    """A profile's factor in the report's language: one the locale files know, under any of
    its names in any language, is named as ``lang`` names it (as the profile writes it when
    that is already one of ``lang``'s names); any other is shown as written (client text).
    """
    found = _factor_names().get(_plain_factor(name))
    if found is None:
        return str(name)
    key, names = found
    if _plain_factor(name) in names.get(lang.code, set()):
        return str(name)
    return lang.t(f"winback.factor.{key}")


def _factors(names, lang: Lang) -> str:
    return ", ".join(factor_label(n, lang) for n in names)


def missing_profile_sentences(res: WinbackAnalysis, lang: Lang) -> list[str]:
    """Without a competitor profile: what the client's staff should collect."""
    return [] if res.profile is not None else [lang.t("winback.no_profile")]


def _term(key: str, value, lang: Lang) -> str:
    if value is None:
        return "—"
    if key == "price_index":
        return f"{lang.num(value, 2)} ({lang.pct(value - 1, 0)})"
    if key in ("on_time_share", "defect_share"):
        return lang.pct(value, 1)
    if key in ("delivery_cost", "min_order"):
        return lang.money(value)
    return lang.num(value, 0 if float(value).is_integer() else 1)


def _extra_rows(res: WinbackAnalysis, lang: Lang) -> list[list[str]]:
    """The terms table's rows beyond the profile's terms: each competitor's price index by
    category, and our own terms as the data shows them (average order, orders a year per
    customer, the share of our orders under each competitor's minimum order).
    """
    rows = []
    by_category = [c["terms"].get("price_index_by_category") or {} for c in res.competitors]
    if any(by_category):
        rows.append([lang.t("winback.term.price_index_by_category"), "—",
                     *["; ".join(f"{k}: {lang.num(v, 2)}" for k, v in sorted(cats.items()))
                       or "—" for cats in by_category]])
    own = res.own
    if own:
        none = ["—"] * len(res.competitors)
        rows.append([lang.t("winback.own.avg_order"), lang.money(own["avg_order"]), *none])
        rows.append([lang.t("winback.own.orders_per_customer"),
                     lang.num(own["orders_per_customer"], 1), *none])
        below = own.get("below_min", {})
        if below:
            rows.append([lang.t("winback.own.below_min"), "—",
                         *[lang.pct(below[c["name"]], 0) if c["name"] in below else "—"
                           for c in res.competitors]])
    return rows


def terms_table(res: WinbackAnalysis, lang: Lang) -> pd.DataFrame:
    """Term, ours, each competitor's: the terms as the profile gives them, then our own
    terms as the client's data shows them (:func:`_extra_rows`).
    """
    if not res.profile:
        return pd.DataFrame()
    us = res.profile["us"]["terms"] | {"price_index": 1.0}
    columns = {lang.t("winback.column.term"): [lang.t(f"winback.term.{k}") for k in TERMS],
               lang.t("winback.column.us"): [_term(k, us.get(k), lang) for k in TERMS]}
    for comp in res.competitors:
        columns[comp["name"]] = [_term(k, comp["terms"].get(k), lang) for k in TERMS]
    frame = pd.DataFrame(columns)
    frame = pd.concat([frame, pd.DataFrame(_extra_rows(res, lang), columns=frame.columns)],
                      ignore_index=True)
    known = frame.iloc[:, 1:].ne("—").any(axis=1)
    return frame[known].reset_index(drop=True)


def factors_table(res: WinbackAnalysis, lang: Lang) -> pd.DataFrame:
    """Competitor, factor, weight share, our score, theirs, the evidence."""
    rows = []
    for comp in res.competitors:
        for r in comp["factors"].itertuples(index=False):
            rows.append({lang.t("winback.column.competitor"): comp["name"],
                         lang.t("winback.column.factor"): factor_label(r.factor, lang),
                         lang.t("winback.column.weight"): lang.pct(r.weight_share, 0),
                         lang.t("winback.column.score_us"): lang.num(r.us, 0),
                         lang.t("winback.column.score_them"): lang.num(r.them, 0),
                         lang.t("winback.column.evidence"): r.evidence or "—"})
    return pd.DataFrame(rows)


def factor_chart(res: WinbackAnalysis, lang: Lang):
    """Us against each competitor factor by factor (scores 1-5), one panel per competitor."""
    comps = [c for c in res.competitors if len(c["factors"])][:CHART_COMPETITORS]
    most = max(len(c["factors"]) for c in comps)
    fig, axes = new_figure(8, 0.9 + 0.42 * most * len(comps))
    fig.delaxes(axes)
    panels = fig.subplots(len(comps), 1, squeeze=False)[:, 0]
    for ax, comp in zip(panels, comps, strict=True):
        table = comp["factors"].iloc[::-1]
        where = np.arange(len(table))
        ax.barh(where + 0.2, table["us"], height=0.38, color=PALETTE[0],
                label=lang.t("winback.column.us"))
        ax.barh(where - 0.2, table["them"], height=0.38, color=PALETTE[1], label=comp["name"])
        ax.set_yticks(where, [factor_label(f, lang) for f in table["factor"]])
        ax.set_xlim(0, 5.2)
        ax.set_xticks([1, 2, 3, 4, 5])
        ax.set_title(lang.t("winback.chart_title", name=comp["name"]), fontsize=10, loc="left")
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    panels[-1].set_xlabel(lang.t("winback.axis_score"))
    return fig


def swot_sentences(res: WinbackAnalysis, lang: Lang) -> list[str]:
    """Per competitor: the weighted scores (the weighting stated), what to lead with, their
    strengths, and the opportunities and threats.
    """
    out = [lang.t("winback.swot_method")] if res.competitors else []
    for comp in res.competitors:
        if comp["swot_us"] is None:
            out.append(lang.t("winback.swot_none", name=comp["name"]))
            continue
        table = comp["factors"]
        theirs = table[table["gap"] < 0].sort_values("weighted_gap")["factor"].tolist()
        out.append(lang.t("winback.swot_scores", name=comp["name"],
                          us=lang.num(comp["swot_us"], 1), them=lang.num(comp["swot_them"], 1)))
        ahp = comp.get("ahp")
        if ahp:
            key = ("winback.swot_ahp_small" if ahp["cr"] is None else "winback.swot_ahp"
                   if ahp["consistent"] else "winback.swot_ahp_inconsistent")
            out.append(lang.t(key, n=lang.int(len(table)),
                              cr=lang.num(ahp["cr"] or 0, 2),
                              limit=lang.num(swot.CR_ACCEPTABLE, 2)))
        if comp["lead"]:
            out.append(lang.t("winback.swot_lead", name=comp["name"],
                              factors=_factors(comp["lead"], lang)))
        if theirs:
            out.append(lang.t("winback.swot_theirs", factors=_factors(theirs, lang)))
        for side in ("opportunities", "threats"):
            if comp[side] is not None:
                out.append(lang.t(f"winback.swot_{side}", score=lang.num(comp[side], 1)))
    return out


def survey_scores_table(res: WinbackAnalysis, lang: Lang) -> pd.DataFrame:
    """Competitor, factor, answers, the mean rating (3 = as good as them), share worse."""
    frame = res.survey_scores
    if frame.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        lang.t("winback.column.competitor"): frame["competitor"],
        lang.t("winback.column.factor"): [lang.t(f"winback.survey_factor.{f}")
                                          for f in frame["factor"]],
        lang.t("winback.column.answers"): [lang.int(n) for n in frame["n"]],
        lang.t("winback.column.mean"): [lang.num(m, 1) for m in frame["mean"]],
        lang.t("winback.column.worse"): [lang.pct(s, 0) for s in frame["worse_share"]],
    })


def switch_table(res: WinbackAnalysis, lang: Lang) -> pd.DataFrame:
    """Per priced candidate: its yearly spend and what the switch gains it, net (orders a
    year and the average order are in :func:`switch_sentences` and the lines' formulas: the
    table must fit a printed page).
    """
    s = res.switch
    if s.empty:
        return pd.DataFrame()
    names = s["name"].astype("string").fillna(s["customer_id"])
    mark = [" *" if a else "" for a in s["competitor_assumed"]]
    # a competitor column would push the table past a printed page: one competitor for all
    # is named by the sentences, several go in brackets after each customer's name; the
    # mark of an assumed competitor follows it
    if s["competitor"].nunique() == 1:
        first = {lang.t("winback.column.customer"): [n + m for n, m in zip(names, mark,
                                                                            strict=True)]}
    else:
        first = {lang.t("winback.column.customer_competitor"): [
            f"{n} ({c}{m})" for n, c, m in zip(names, s["competitor"], mark, strict=True)]}
    return pd.DataFrame({
        **first,
        lang.t("winback.column.spend"): [lang.money(v) for v in s["spend"]],
        lang.t("winback.column.price_saving"): [lang.money(v) for v in s["price_saving"]],
        lang.t("winback.column.hidden"): [lang.money(v) for v in s["hidden_costs"]],
        lang.t("winback.column.net_gain"): [lang.money(v) for v in s["net_gain"]],
        lang.t("winback.column.net_share"): [lang.pct(v, 1) for v in s["net_gain_share"]],
        lang.t("winback.column.break_even"): ["—" if v is None or pd.isna(v)
                                              else lang.pct(v, 1)
                                              for v in s["break_even_gap"]],
    })


def _formula(line, lang: Lang) -> str:
    values = line["inputs"]
    shown = {}
    for key, value in values.items():
        if value is None:
            shown[key] = "—"
        elif key in ("spend", "hour_cost"):
            shown[key] = lang.money(value)
        elif key in ("share", "rate") or (key in ("us", "them")
                                           and line["line"] in ("defects", "reliability")):
            shown[key] = lang.pct(value, 1)
        elif key == "price_index":
            shown[key] = lang.num(value, 2)
        else:
            shown[key] = lang.num(value, 0 if float(value).is_integer() else 1)
    return html.unescape(lang.t(f"winback.formula.{line['line']}", **shown))


def lines_table(res: WinbackAnalysis, lang: Lang, customer_id: str | None = None):
    """One priced candidate's lines (the first by default): the cost, the formula with its
    numbers, the gain (+) or loss (-) per year, and where each number came from.
    """
    if res.switch.empty:
        return pd.DataFrame()
    cid = customer_id or res.switch["customer_id"].iloc[0]
    lines = res.lines[cid]
    return pd.DataFrame({
        lang.t("winback.column.line"): [lang.t(f"winback.line.{k}") for k in lines["line"]],
        lang.t("winback.column.formula"): [_formula(r, lang) for _, r in lines.iterrows()],
        lang.t("winback.column.gain"): [lang.money(v if abs(v) >= 0.5 else 0.0)
                                        for v in lines["gain"]],
        lang.t("winback.column.source"): [lang.t(f"winback.source.{s}")
                                          for s in lines["source"]],
    })


def switch_sentences(res: WinbackAnalysis, lang: Lang) -> list[str]:
    """What the priced candidates would really gain from switching, in total."""
    s = res.switch
    if s.empty:
        return [lang.t("winback.switch_no_profile" if res.profile is None
                       else "winback.switch_none")]
    net = float(s["net_gain"].sum())
    out = [lang.t("winback.switch_total" if net >= 0 else "winback.switch_total_loss",
                  n=lang.int(len(s)), saving=lang.money_short(s["price_saving"].sum()),
                  hidden=lang.money_short(s["hidden_costs"].sum()),
                  net=lang.money_short(abs(net)),
                  share=lang.pct(abs(net) / s["spend"].sum(), 1))]
    first = s.iloc[0]
    out.append(lang.t("winback.switch_example", name=str(first["name"]),
                      competitor=first["competitor"], spend=lang.money_short(first["spend"]),
                      orders=lang.int(first["orders"]),
                      average=lang.money_short(first["avg_order"])))
    if s["competitor"].nunique() == 1:
        out.append(lang.t("winback.switch_one", competitor=first["competitor"]))
    if s["competitor_assumed"].any():
        out.append(lang.t("winback.switch_assumed"))
    return out


def talking_point(row, lang: Lang) -> str:
    """What a manager can say on the call to one priced candidate (a row of ``res.switch``):
    the price saving against the hidden costs, in the customer's own money.
    """
    key = "winback.call_gain" if row.net_gain > 0 else "winback.call_loss"
    return lang.t(key, name=str(row.name), competitor=row.competitor,
                  gap=lang.pct(row.price_gap_share, 0), saving=lang.money_short(row.price_saving),
                  hidden=lang.money_short(row.hidden_costs),
                  net=lang.money_short(abs(row.net_gain)),
                  share=lang.pct(abs(row.net_gain_share), 1))


def call_sentences(res: WinbackAnalysis, lang: Lang, most: int = 3) -> list[str]:
    """The sentence a manager can say on the call, for the first ``most`` priced candidates,
    with the factors to lead with.
    """
    if res.switch.empty:
        return [lang.t("winback.call_without_numbers")]
    out = []
    for row in res.switch.head(most).itertuples(index=False):
        comp = next(c for c in res.competitors if c["name"] == row.competitor)
        lead = _factors(comp["lead"][:2], lang) if comp["lead"] else ""
        out.append(talking_point(row, lang)
                   + (" " + lang.t("winback.call_lead", factors=lead) if lead else ""))
    return out


def sensitivity_sentences(res: WinbackAnalysis, lang: Lang) -> list[str]:
    """Which assumption, moved from half to one and a half times its value, would flip the
    conclusion about the priced candidates' real gain.
    """
    table = res.sensitivity
    if table.empty:
        return []
    flips = [lang.t(f"winback.assumption.{a}") for a in table.loc[table["flips"], "assumption"]]
    if flips:
        return [lang.t("winback.sensitivity_flips", names=", ".join(flips))]
    return [lang.t("winback.sensitivity_holds")]


def sensitivity_chart(res: WinbackAnalysis, lang: Lang):
    """The tornado: the priced candidates' summed real gain with each assumption at half and
    one and a half times its value, around the calculation as made.
    """
    table = res.sensitivity.iloc[::-1]
    fig, ax = new_figure(8, 0.8 + 0.45 * len(table))
    where = np.arange(len(table))
    base = float(table["base"].iloc[0])
    ax.barh(where, table["low"] - base, left=base, height=0.6, color=PALETTE[4],
            label=lang.t("winback.sensitivity_low"))
    ax.barh(where, table["high"] - base, left=base, height=0.6, color=PALETTE[0],
            label=lang.t("winback.sensitivity_high"))
    ax.axvline(base, color="#555555", linewidth=1)
    ax.axvline(0, color=PALETTE[3], linewidth=1, linestyle="--")
    ax.set_yticks(where, [lang.t(f"winback.assumption.{a}") for a in table["assumption"]])
    ax.xaxis.set_major_locator(MaxNLocator(nbins=4))  # money labels are wide
    ax.xaxis.set_major_formatter(lambda v, _: lang.money_short(v))
    ax.set_xlabel(lang.t("winback.axis_net_gain"))
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig
