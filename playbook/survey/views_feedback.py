"""The survey section's feedback parts: the annual survey, exit reasons and complaints.

Share of wallet, adherents and NPS by segment in the annual survey with what customers say
would make them buy more; why customers left (areas and causes, with a few answers quoted)
and which of them could be won back; and the dissatisfied customers behind the complaints
(the complaint iceberg): tables of display strings and "so what" sentences of a
:class:`~playbook.survey.analysis.SurveyAnalysis` in the client's language. The notebook
calls them through :mod:`playbook.survey.views`.

Free-text answers reach the report only as table cells (escaped by
:func:`playbook.report.render.table`) with e-mail addresses and phone numbers masked
(:func:`playbook.survey.exits.mask_contacts`).
"""

from __future__ import annotations

import pandas as pd

from playbook.report.i18n import Lang
from playbook.survey import exits as ex
from playbook.survey.analysis import TELLS, SurveyAnalysis
from playbook.survey.views_format import (
    column_title,
    or_dash,
    period_label,
    whole,
)

__all__ = ["annual_table", "annual_sentences", "wishes_table", "exit_table", "exit_sentences",
           "quotes_table", "iceberg_table", "iceberg_sentences"]

_QUOTES_PER_AREA = 2


# --- the annual survey ----------------------------------------------------------------------


def annual_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame | None:
    """Share of wallet, adherents and NPS per segment in the annual survey."""
    t = an.annual_by_segment
    if t is None:
        return None
    out = pd.DataFrame({
        column_title(lang, "segment"): [str(s) for s in t["segment"]],
        column_title(lang, "answers"): [lang.int(v) for v in t["n"]],
        column_title(lang, "wallet"): [or_dash(lang.pct, v) for v in t["share_of_wallet"]],
        lang.t("survey.column.adherents", share=lang.pct(an.adherent_share, 0)):
            [or_dash(lang.pct, v) for v in t["adherent_share"]],
    })
    if "nps" in t.columns:
        out["NPS"] = [whole(lang, v) for v in t["nps"]]
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
        out += _ladder_sentences(a, lang)
    if a.get("nps"):
        n = a["nps"]
        out.append(lang.t("survey.annual_nps", nps=whole(lang, n["value"]),
                          low=whole(lang, n["ci_low"]), high=whole(lang, n["ci_high"])))
    return out


def _ladder_sentences(a: dict, lang: Lang) -> list[str]:
    """How the survey's adherents reconcile with the loyalty ladder's (segmentation section).

    The survey counts every customer who answered; the ladder, only regular customers
    among them. With the regular customers known, the survey names the ladder's two
    numbers; without them, it says why they are smaller.
    """
    if not a.get("adherents"):
        return []
    if a.get("adherents_regular") is None:
        return [lang.t("survey.annual_ladder_unlinked")]
    regular, advocates = a["adherents_regular"], a["advocates_regular"]
    return [lang.t("survey.annual_ladder_regular", regular=lang.int(regular),
                   adherents=lang.int(a["adherents"]),
                   ladder_adherents=lang.int(regular - advocates),
                   ladder_advocates=lang.int(advocates),
                   others=lang.int(a["adherents"] - regular))]


def wishes_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame | None:
    """The most frequent answers to "what must we do for you to buy more?" (masked text)."""
    if an.wishes is None:
        return None
    return pd.DataFrame({
        column_title(lang, "wish"): [_clean(t, lang) for t in an.wishes["answer"]],
        column_title(lang, "customers"): [lang.int(v) for v in an.wishes["count"]],
    })


def _clean(text: str, lang: Lang, max_chars: int = 300) -> str:
    """Plain text for a table cell: contacts masked, whitespace collapsed, cut.

    Not escaped: :func:`playbook.report.render.table` escapes every cell.
    """
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
        column_title(lang, "dimension"): [lang.t(f"survey.dimension.{d}") for d in s["dimension"]],
        column_title(lang, "reason"): list(s["label"]),
        column_title(lang, "customers"): [lang.int(v) for v in s["count"]],
        column_title(lang, "share"): [or_dash(lang.pct, v) for v in s["share"]],
        column_title(lang, "winnable"): [winnable.get(bool(w), "") if pd.notna(w) else ""
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
    labels["unclear"] = lang.t("survey.uncoded.unclear")
    return pd.DataFrame({
        column_title(lang, "area"): [an.exit_keywords["areas"][c]["label"][lang.code]
                                     for c in quotes["category"]],
        column_title(lang, "quote"): [_clean(q, lang) for q in quotes["quote"]],
        column_title(lang, "cause"): [labels.get(causes[r], "") for r in quotes["_row"]],
    })


# --- complaints -----------------------------------------------------------------------------


def iceberg_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Complaints per period and the dissatisfied customers they stand for."""
    t = an.iceberg
    out = pd.DataFrame({
        column_title(lang, "period"): [period_label(lang, p) for p in t["period"]]
        if "period" in t.columns
        else [str(i + 1) for i in range(len(t))],
        column_title(lang, "complaints"): [or_dash(lang.int, v) for v in t["complaints"]],
        column_title(lang, "dissatisfied"): [or_dash(lang.int, v)
                                             for v in t["dissatisfied_estimate"]],
    })
    if "dissatisfied_share" in t.columns:
        out.insert(1, column_title(lang, "customers_base"), [lang.int(v) for v in t["customers"]])
        out[column_title(lang, "dissatisfied_share")] = [or_dash(lang.pct, v)
                                                         for v in t["dissatisfied_share"]]
    return out


def iceberg_sentences(an: SurveyAnalysis, lang: Lang) -> list[str]:
    """The dissatisfied customers behind the last period's complaints (complaints / the share
    who complain), the people they told (the methodology's 8-10 each), and a warning on no
    or falling complaints.
    """
    t = an.iceberg.dropna(subset=["complaints"])
    if not len(t):
        return [lang.t("survey.iceberg_blank")]
    last = t.iloc[-1]
    values = {"period": period_label(lang, last["period"]) if "period" in t.columns else "",
              "complaints": lang.int(last["complaints"]),
              "per_hundred": lang.num(an.complain_share * 100, 0),
              "estimate": lang.int(last["dissatisfied_estimate"]),
              "silent": lang.int(1 / an.complain_share - 1)}
    if "dissatisfied_share" in t.columns:
        out = [lang.t("survey.iceberg_so_what", base_share=lang.pct(last["dissatisfied_share"]),
                      **values)]
    else:
        out = [lang.t("survey.iceberg_no_base", **values)]
    word = an.word_of_mouth
    if word and word["dissatisfied"] >= 1:
        out.append(lang.t("survey.iceberg_word", tell_low=lang.int(TELLS[0]),
                          tell_high=lang.int(TELLS[1]), estimate=values["estimate"],
                          low=lang.int(word["people_low"]), high=lang.int(word["people_high"])))
    zero = [period_label(lang, p)
            for p, c in zip(t.get("period", t.index), t["complaints"], strict=True) if c == 0]
    if zero:
        out.append(lang.t("survey.iceberg_zero", periods=", ".join(zero)))
    elif len(t) >= 2 and last["complaints"] < t["complaints"].iloc[0] * 0.75:
        out.append(lang.t("survey.iceberg_falling"))
    return out
