"""The survey notebook's tables, charts and sentences, in the client's language.

:func:`load` reads the client's survey tables from a run; :func:`analyse` runs the
statistics of :mod:`playbook.survey`, :mod:`playbook.drivers` and :mod:`playbook.exits` on
them (tables in, no run needed); the other functions turn the result into what the report
shows. Each part needs only its own file: a client without exit questionnaires gets no exit
part, a client without any survey gets a short note on which survey to run and how. A part
whose data cannot support it (too few answers, one segment only) is left out, and the
reason is kept for the consultant (:func:`consultant_notes`), never shown as a traceback.

Free-text answers reach the report only as table cells (escaped by
:func:`playbook.render.table`) with e-mail addresses and phone numbers masked
(:func:`playbook.exits.mask_contacts`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from playbook import drivers as dr
from playbook import exits as ex
from playbook import forms
from playbook import survey as st
from playbook.context import RunContext
from playbook.errors import PlaybookError
from playbook.i18n import Lang, Safe
from playbook.intake import SURVEY_TEMPLATES
from playbook.render import PALETTE, new_figure
from playbook.report import summary_section

__all__ = ["COMPLAIN_SHARE", "ALPHA_FLOOR", "PARTS", "SurveyData", "SurveyAnalysis", "load",
           "analyse", "heading", "status_sentences", "response_table", "response_sentences",
           "nps_sentences", "nps_chart", "nps_table", "nps_tests_table", "nps_test_sentences",
           "satisfaction_sentences", "attribute_chart", "attribute_table", "reliability_table",
           "reliability_sentences", "driver_sentences", "driver_chart", "driver_table",
           "crosstab_table", "crosstab_sentences", "nonresponse_table", "weighted_table",
           "nonresponse_sentences", "annual_table", "annual_sentences", "wishes_table",
           "exit_table", "exit_sentences", "quotes_table", "iceberg_table",
           "iceberg_sentences", "consultant_notes", "results"]

#: Share of dissatisfied customers who complain (the methodology's "about 6%").
COMPLAIN_SHARE = 0.06
#: Cronbach's alpha from which a multi-item scale counts as measuring one thing.
ALPHA_FLOOR = 0.7
#: The annual survey's question "what must we do for you to buy more from us?".
WISH_QUESTION = "buy_more"
#: The notebook's parts, in order; ``SurveyAnalysis.parts`` lists those the data supports.
PARTS = ("response", "nps", "satisfaction", "reliability", "drivers", "crosstabs",
         "nonresponse", "annual", "exits", "complaints")
#: What a part may fail with when the data cannot support it (kept as a consultant note).
_FAILURES = (PlaybookError, ValueError, np.linalg.LinAlgError)
_QUOTES_PER_AREA = 2
_WISHES = 5


@dataclass
class SurveyData:
    """The client's survey tables (``None`` when not given) and their templates."""

    responses: pd.DataFrame | None = None
    annual: pd.DataFrame | None = None
    exits: pd.DataFrame | None = None
    complaints: pd.DataFrame | None = None
    base: pd.DataFrame | None = None
    template: str = SURVEY_TEMPLATES["survey"]
    annual_template: str = SURVEY_TEMPLATES["survey_annual"]
    exit_template: str = SURVEY_TEMPLATES["exit_survey"]


@dataclass
class SurveyAnalysis:
    """Everything the survey notebook shows, computed once."""

    data: SurveyData
    complain_share: float = COMPLAIN_SHARE
    adherent_share: float = 0.8
    template: forms.SurveyTemplate | None = None
    recommend: str | None = None
    overall: str | None = None
    csat_col: str | None = None
    ces_col: str | None = None
    attributes: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    waves: list[str] = field(default_factory=list)
    base_main: pd.DataFrame | None = None
    response: pd.DataFrame | None = None
    response_total: dict | None = None
    nps: dict | None = None
    nps_by_segment: pd.DataFrame | None = None
    nps_by_wave: pd.DataFrame | None = None
    tests_segment: pd.DataFrame | None = None
    tests_wave: pd.DataFrame | None = None
    csat: dict | None = None
    ces: dict | None = None
    overall_mean: dict | None = None
    likert: pd.DataFrame | None = None
    reliability: pd.DataFrame | None = None
    drivers: pd.DataFrame | None = None
    crosstabs: pd.DataFrame | None = None
    top_shares: pd.DataFrame | None = None
    response_by_segment: pd.DataFrame | None = None
    weighted: dict | None = None
    weighted_by_wave: pd.DataFrame | None = None
    annual: dict | None = None
    annual_by_segment: pd.DataFrame | None = None
    wishes: pd.DataFrame | None = None
    exit_keywords: dict | None = None
    exit_coded: pd.DataFrame | None = None
    iceberg: pd.DataFrame | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def parts(self) -> list[str]:
        """The parts the data supports, in the notebook's order."""
        have = {
            "response": self.response_total is not None,
            "nps": self.nps is not None,
            "satisfaction": self.likert is not None or self.csat is not None
            or self.ces is not None,
            "reliability": self.reliability is not None and len(self.reliability) > 0,
            "drivers": self.drivers is not None,
            "crosstabs": self.crosstabs is not None and len(self.crosstabs) > 0,
            "nonresponse": self.weighted is not None or self.response_by_segment is not None,
            "annual": self.annual is not None,
            "exits": self.exit_coded is not None,
            "complaints": self.iceberg is not None,
        }
        return [p for p in PARTS if have[p]]

    @property
    def has_data(self) -> bool:
        """Whether the client gave any survey answers, exit questionnaires or complaints."""
        d = self.data
        return any(_rows(t) for t in (d.responses, d.annual, d.exits, d.complaints))


# --- loading and analysis -------------------------------------------------------------------


def load(run: RunContext) -> SurveyData:
    """The survey tables intake read for a run, with the templates they were read with."""
    sources = run.params.data

    def template(name: str) -> str:
        source = getattr(sources, name)
        return source.template if source is not None and source.template \
            else SURVEY_TEMPLATES[name]

    return SurveyData(responses=run.survey("survey"), annual=run.survey("survey_annual"),
                      exits=run.survey("exit_survey"), complaints=run.survey("complaints"),
                      base=run.survey("survey_base"), template=template("survey"),
                      annual_template=template("survey_annual"),
                      exit_template=template("exit_survey"))


def analyse(data: SurveyData, *, complain_share: float = COMPLAIN_SHARE,
            adherent_share: float = 0.8, n_boot: int = 2000, seed: int = 0) -> SurveyAnalysis:
    """Run every survey analysis the client's tables support.

    Parameters
    ----------
    data
        The survey tables (see :func:`load`); any of them may be ``None``.
    complain_share
        Share of dissatisfied customers who complain, for the complaint iceberg.
    adherent_share
        Share of wallet from which a customer buys "only from us" (the ladder's rung 4).
    n_boot, seed
        Bootstrap resamples of the NPS interval and the generator's seed.
    """
    an = SurveyAnalysis(data=data, complain_share=complain_share,
                        adherent_share=adherent_share)
    if _rows(data.responses):
        _attempt(an, "survey", _columns, an)
        if an.template is not None:
            for part, step in (("response", _response), ("nps", _nps),
                               ("satisfaction", _satisfaction), ("reliability", _reliability),
                               ("drivers", _drivers), ("crosstabs", _crosstabs),
                               ("nonresponse", _nonresponse)):
                if part == "nps":
                    _attempt(an, part, step, an, n_boot, seed)
                else:
                    _attempt(an, part, step, an)
    if _rows(data.annual):
        _attempt(an, "annual", _annual, an)
    if _rows(data.exits):
        _attempt(an, "exits", _exits, an)
    if _rows(data.complaints):
        _attempt(an, "complaints", _complaints, an)
    return an


def _rows(frame: pd.DataFrame | None) -> int:
    return 0 if frame is None else len(frame)


def _attempt(an: SurveyAnalysis, part: str, step, *args) -> None:
    try:
        step(*args)
    except _FAILURES as error:
        an.errors[part] = str(error)


def _answered(frame: pd.DataFrame, ids: list[str]) -> list[str]:
    """The question ids that have a column with at least one answer."""
    return [i for i in ids if i in frame.columns
            and pd.to_numeric(frame[i], errors="coerce").notna().any()]


def _first(ids: list[str]) -> str | None:
    return ids[0] if ids else None


def _order(values: pd.Series, preferred: pd.Series | None = None) -> list[str]:
    """Distinct non-missing values, in the order of ``preferred`` (e.g. the base) first."""
    seen = list(dict.fromkeys(preferred.dropna().astype(str))) if preferred is not None else []
    present = set(values.dropna().astype(str))
    rest = sorted(present - set(seen))
    return [v for v in seen if v in present] + rest


def _columns(an: SurveyAnalysis) -> None:
    r = an.data.responses
    tpl = forms.load_template(an.data.template)
    an.template = tpl
    an.recommend = _first(_answered(r, tpl.ids("recommend")))
    an.overall = _first(_answered(r, tpl.ids("overall")))
    an.csat_col = _first(_answered(r, tpl.ids("csat")) or _answered(r, tpl.ids("overall")))
    an.ces_col = _first(_answered(r, tpl.ids("ces")))
    an.attributes = _answered(r, tpl.ids("attribute"))
    base = an.data.base
    if "segment" in r.columns:
        an.segments = _order(r["segment"], base["segment"] if base is not None
                             and "segment" in base.columns else None)
    if "wave" in r.columns:
        if "date" in r.columns and r["date"].notna().any():
            first = r.dropna(subset=["wave"]).groupby("wave")["date"].min()
            an.waves = [str(w) for w in first.sort_values(kind="stable").index]
            an.waves += sorted(set(r["wave"].dropna().astype(str)) - set(an.waves))
        else:
            an.waves = sorted(set(r["wave"].dropna().astype(str)))
    if base is not None and len(base) and "wave" in r.columns and "wave" in base.columns:
        main = base[base["wave"].astype(str).isin(an.waves)]
        an.base_main = main.reset_index(drop=True) if len(main) else None


def _invited(base: pd.DataFrame) -> str | None:
    return "invited" if "invited" in base.columns and base["invited"].notna().all() else None


def _response(an: SurveyAnalysis) -> None:
    r, base = an.data.responses, an.base_main
    if base is not None:
        covered = r[r["wave"].astype(str).isin(set(base["wave"].astype(str)))]
        by_wave = st.response_summary(r, base=base, by="wave", invited_col=_invited(base))
        total = st.response_summary(covered, base=base, invited_col=_invited(base))
    else:
        by_wave = st.response_summary(r, by="wave") if an.waves else None
        total = st.response_summary(r)
    if by_wave is not None:
        by_wave["wave"] = by_wave["wave"].astype(str)
        by_wave = by_wave.set_index("wave").reindex(
            an.waves + [w for w in by_wave["wave"] if w not in an.waves]).reset_index()
    an.response = by_wave
    row = total.iloc[0]
    an.response_total = {"responses": len(r), "covered": int(row["responses"]),
                         "invited": _num(row["invited"]),
                         "population": _num(row["population"]),
                         "response_rate": _num(row["response_rate"]),
                         "margin_of_error": _num(row["margin_of_error"])}


def _num(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _nps_row(row: pd.Series) -> dict:
    return {"value": float(row["nps"]), "ci_low": float(row["ci_low"]),
            "ci_high": float(row["ci_high"]), "n": int(row["n"]),
            "boot_low": _num(row.get("boot_low")), "boot_high": _num(row.get("boot_high")),
            "promoters": float(row["promoter_share"]),
            "detractors": float(row["detractor_share"])}


def _pairs(groups: list[str], counts: dict[str, int]) -> list[tuple[str, str]]:
    if len(groups) <= 4:
        return list(combinations(groups, 2))
    reference = max(groups, key=lambda g: counts.get(g, 0))
    return [(g, reference) for g in groups if g != reference]


def _nps(an: SurveyAnalysis, n_boot: int, seed: int) -> None:
    if an.recommend is None:
        return
    r = an.data.responses
    total = st.nps(r, score_col=an.recommend, n_boot=n_boot, seed=seed).iloc[0]
    if total["n"] == 0:
        return
    an.nps = _nps_row(total)
    if len(an.segments) >= 2:
        part = r[r["segment"].notna()].assign(segment=lambda f: f["segment"].astype(str))
        table = st.nps(part, score_col=an.recommend, by="segment", n_boot=n_boot, seed=seed)
        table = table[table["n"] > 0]
        an.nps_by_segment = _reorder(table, "segment", an.segments)
        groups = list(an.nps_by_segment["segment"])
        if len(groups) >= 2:
            an.tests_segment = st.nps_compare(
                part, group_col="segment", score_col=an.recommend,
                pairs=_pairs(groups, dict(zip(groups, an.nps_by_segment["n"], strict=True))))
    if len(an.waves) >= 2:
        part = r[r["wave"].notna()].assign(wave=lambda f: f["wave"].astype(str))
        table = st.nps(part, score_col=an.recommend, by="wave", n_boot=n_boot, seed=seed)
        table = table[table["n"] > 0]
        an.nps_by_wave = _reorder(table, "wave", an.waves)
        waves = list(an.nps_by_wave["wave"])
        if len(waves) >= 2:
            pairs = list(zip(waves[:-1], waves[1:], strict=True))
            if len(waves) > 2:
                pairs.append((waves[0], waves[-1]))
            an.tests_wave = st.nps_compare(part, group_col="wave", score_col=an.recommend,
                                           pairs=pairs)


def _reorder(table: pd.DataFrame, column: str, order: list[str]) -> pd.DataFrame:
    rank = {v: i for i, v in enumerate(order)}
    return table.sort_values(column, key=lambda s: s.map(rank).fillna(len(order)),
                             kind="stable").reset_index(drop=True)


def _bounds(an: SurveyAnalysis, qid: str) -> tuple[int, int]:
    return an.template.question(qid).bounds


def _satisfaction(an: SurveyAnalysis) -> None:
    r = an.data.responses
    if an.csat_col is not None:
        low, high = _bounds(an, an.csat_col)
        row = st.csat(r, col=an.csat_col, scale_min=low, scale_max=high).iloc[0]
        an.csat = {"value": float(row["csat"]), "ci_low": float(row["ci_low"]),
                   "ci_high": float(row["ci_high"]), "n": int(row["n"]),
                   "question": an.csat_col, "top_boxes": [high - 1, high],
                   "scale": [low, high]}
    if an.ces_col is not None:
        row = st.ces(r, col=an.ces_col).iloc[0]
        an.ces = {"mean": float(row["mean"]), "ci_low": float(row["ci_low"]),
                  "ci_high": float(row["ci_high"]), "n": int(row["n"]),
                  "question": an.ces_col, "scale": list(_bounds(an, an.ces_col))}
    if an.overall is not None:
        row = st.likert_summary(r, items=[an.overall]).iloc[0]
        an.overall_mean = {"mean": float(row["mean"]), "ci_low": float(row["ci_low"]),
                           "ci_high": float(row["ci_high"]), "n": int(row["n"]),
                           "scale": list(_bounds(an, an.overall))}
    if an.attributes:
        likert = st.likert_summary(r, items=an.attributes)
        likert["top_two"] = [
            float((v >= _bounds(an, q)[1] - 1).sum() / v.notna().sum()) if v.notna().any()
            else math.nan
            for q, v in ((q, pd.to_numeric(r[q], errors="coerce")) for q in likert["item"])]
        an.likert = likert


def _reliability(an: SurveyAnalysis) -> None:
    rows = []
    for survey, frame, tpl in _scaled_surveys(an):
        for scale in tpl.scales:
            if not all(i in frame.columns for i in scale.items):
                continue
            try:
                table = st.scale_reliability(frame, scales={scale.id: scale.items},
                                             threshold=ALPHA_FLOOR)
            except _FAILURES as error:
                an.errors[f"reliability.{survey}.{scale.id}"] = str(error)
                continue
            row = table.iloc[0].to_dict()
            row.update(survey=survey, title={"ru": scale.title.ru, "en": scale.title.en},
                       item_ids=list(scale.items))
            rows.append(row)
    if rows:
        an.reliability = pd.DataFrame(rows)


def _scaled_surveys(an: SurveyAnalysis):
    yield "survey", an.data.responses, an.template
    if _rows(an.data.annual):
        try:
            yield "annual", an.data.annual, forms.load_template(an.data.annual_template)
        except _FAILURES as error:
            an.errors["reliability.annual"] = str(error)


def _drivers(an: SurveyAnalysis) -> None:
    outcome = an.overall or an.recommend
    if outcome is None or len(an.attributes) < 2:
        return
    r = an.data.responses
    try:
        table = dr.key_drivers(r, outcome=outcome, attributes=an.attributes)
    except _FAILURES as error:  # the ordered logit alone may not fit; OLS and Shapley still do
        an.errors["drivers.ordered_logit"] = str(error)
        table = dr.key_drivers(r, outcome=outcome, attributes=an.attributes,
                               ordered_check=False)
    attrs = dict(table.attrs)
    table = dr.importance_performance(table, lang="en").drop(columns="label")
    table.attrs.update(attrs, outcome=outcome)
    an.drivers = table


def _band(values: pd.Series, high: int, points: int) -> pd.Series:
    """Top two boxes / the next one or two / the rest: ``top``, ``mid``, ``low``."""
    mid_floor = high - 2 if points <= 7 else high - 3
    out = pd.Series(pd.NA, index=values.index, dtype="string")
    out[values >= high - 1] = "top"
    out[(values >= mid_floor) & (values < high - 1)] = "mid"
    out[values < mid_floor] = "low"
    return out


def _crosstabs(an: SurveyAnalysis) -> None:
    if len(an.segments) < 2:
        return
    r = an.data.responses
    questions = [q for q in an.attributes + [an.overall, an.ces_col, an.recommend] if q]
    questions = list(dict.fromkeys(questions))
    bands = pd.DataFrame({"segment": r["segment"].astype("string")}, index=r.index)
    for q in questions:
        low, high = _bounds(an, q)
        bands[q] = _band(pd.to_numeric(r[q], errors="coerce"), high, high - low + 1)
    bands = bands[bands["segment"].notna()]
    usable = [q for q in questions if bands[q].nunique() >= 2
              and bands.dropna(subset=[q])["segment"].nunique() >= 2]
    if not usable:
        return
    an.crosstabs = st.crosstab_tests(bands, segment_col="segment", questions=usable)
    shares = {q: st.crosstab(bands, question=q, segment_col="segment").reindex(
        ["top"]).fillna(0.0).iloc[0] for q in usable}
    top = pd.DataFrame(shares).T
    an.top_shares = top[[s for s in an.segments if s in top.columns]]


def _nonresponse(an: SurveyAnalysis) -> None:
    base, r = an.base_main, an.data.responses
    if base is None or "segment" not in r.columns or "segment" not in base.columns:
        return
    covered = r[r["wave"].astype(str).isin(set(base["wave"].astype(str)))
                & r["segment"].notna()].copy()
    covered["segment"] = covered["segment"].astype(str)
    covered["wave"] = covered["wave"].astype(str)
    base = base.assign(segment=base["segment"].astype(str), wave=base["wave"].astype(str))
    by_segment = st.response_summary(covered, base=base, by="segment",
                                     invited_col=_invited(base))
    if an.nps_by_segment is not None:
        by_segment = by_segment.merge(an.nps_by_segment[["segment", "nps"]], on="segment",
                                      how="left")
    an.response_by_segment = _reorder(by_segment, "segment", an.segments)
    if an.recommend is None:
        return
    pooled = st.weighted_nps(covered, population=base, score_col=an.recommend).iloc[0]
    an.weighted = {"value": float(pooled["nps_weighted"]), "ci_low": float(pooled["ci_low"]),
                   "ci_high": float(pooled["ci_high"]), "n": int(pooled["n"]),
                   "unweighted": float(pooled["nps_unweighted"]),
                   "design_effect": float(pooled["design_effect"])}
    if len(an.waves) >= 2:
        try:
            by_wave = st.weighted_nps(covered, population=base, score_col=an.recommend,
                                      by="wave")
        except _FAILURES as error:
            an.errors["nonresponse.by_wave"] = str(error)
        else:
            an.weighted_by_wave = _reorder(by_wave, "wave", an.waves)


def _annual(an: SurveyAnalysis) -> None:
    a = an.data.annual
    tpl = forms.load_template(an.data.annual_template)
    share_col = _first(_answered(a, tpl.ids("share_of_wallet")))
    rec = _first(_answered(a, tpl.ids("recommend")))
    out: dict = {"n": len(a), "template": tpl.id}
    base = an.data.base
    if base is not None and "wave" in a.columns and "wave" in base.columns:
        mine = base[base["wave"].astype(str).isin(set(a["wave"].dropna().astype(str)))]
        if len(mine):
            row = st.response_summary(a, base=mine, invited_col=_invited(mine)).iloc[0]
            out.update(invited=_num(row["invited"]), response_rate=_num(row["response_rate"]),
                       margin_of_error=_num(row["margin_of_error"]))
    if rec is not None:
        out["nps"] = _nps_row(st.nps(a, score_col=rec, n_boot=0).iloc[0])
    if share_col is not None:
        share = pd.to_numeric(a[share_col], errors="coerce") / 100
        out["share_of_wallet"] = _num(share.mean())
        out["share_n"] = int(share.notna().sum())
        if rec is not None and "customer_id" in a.columns:
            wallet = st.wallet_and_recommend(a, share_col=share_col, score_col=rec,
                                             date_col="date" if "date" in a.columns else None)
            adherent = wallet["share_of_wallet"] >= an.adherent_share
            out.update(customers=len(wallet), adherents=int(adherent.sum()),
                       advocates=int((adherent & wallet["is_promoter"].fillna(False)).sum()))
        if "segment" in a.columns and a["segment"].notna().any():
            adherent = (share >= an.adherent_share).astype(float).where(share.notna())
            frame = a.assign(_share=share, _adherent=adherent,
                             segment=a["segment"].astype("string"))
            frame = frame[frame["segment"].notna()]
            table = frame.groupby("segment", sort=True).agg(
                n=("_share", "size"), share_of_wallet=("_share", "mean"),
                adherent_share=("_adherent", "mean")).reset_index()
            if rec is not None:
                nps = st.nps(frame, score_col=rec, by="segment", n_boot=0)
                table = table.merge(nps[["segment", "nps"]], on="segment", how="left")
            order = an.segments or _order(a["segment"], base["segment"] if base is not None
                                          and "segment" in base.columns else None)
            an.annual_by_segment = _reorder(table, "segment", order)
    if WISH_QUESTION in a.columns:
        text = a[WISH_QUESTION].astype("string").fillna("").str.strip()
        text = text[text != ""]
        if len(text):
            counts = text.value_counts()
            an.wishes = pd.DataFrame({"answer": counts.index[:_WISHES],
                                      "count": counts.to_numpy()[:_WISHES]})
            out["wishes_answered"] = len(text)
    an.annual = out


def _exits(an: SurveyAnalysis) -> None:
    e = an.data.exits
    tpl = forms.load_template(an.data.exit_template)
    columns = [q for role in ("exit_product", "exit_staff", "exit_sale")
               for q in tpl.ids(role) if q in e.columns]
    if not columns:
        raise PlaybookError("The exit questionnaires have none of the template's three "
                            "open questions (product, staff, the moment of sale).")
    an.exit_keywords = forms.load_exit_keywords()
    coded = ex.code_exit_reasons(e, text_cols=columns, keywords=an.exit_keywords, id_col=None)
    an.exit_coded = coded.assign(_row=np.arange(len(coded)))


def _complaints(an: SurveyAnalysis) -> None:
    c = an.data.complaints
    base_col = ("customers" if "customers" in c.columns and c["customers"].notna().all()
                and (pd.to_numeric(c["customers"], errors="coerce") > 0).all() else None)
    an.iceberg = st.complaint_iceberg(c, complain_share=an.complain_share, base_col=base_col)


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


def _interval(lang: Lang, low, high, digits: int = 1) -> Safe:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return Safe("—")
    return Safe(f"{lang.num(low, digits)} … {lang.num(high, digits)}")


def _pct_interval(lang: Lang, low, high) -> Safe:
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return Safe("—")
    return Safe(f"{lang.pct(low)} … {lang.pct(high)}")


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
    d = an.data
    code = lang.code
    if not an.has_data:
        return [lang.t("survey.status.none", lang_code=code),
                lang.t("survey.status.none_then", lang_code=code)]
    given = []
    if _rows(d.responses):
        given.append(lang.t("survey.status.given_survey", n=lang.int(len(d.responses)),
                            waves=lang.int(max(len(an.waves), 1))))
    if _rows(d.annual):
        given.append(lang.t("survey.status.given_annual", n=lang.int(len(d.annual))))
    if _rows(d.exits):
        given.append(lang.t("survey.status.given_exit", n=lang.int(len(d.exits))))
    if _rows(d.complaints):
        given.append(lang.t("survey.status.given_complaints", n=lang.int(len(d.complaints))))
    if _rows(d.base):
        given.append(lang.t("survey.status.given_base"))
    out = [lang.t("survey.status.given", files=Safe("; ".join(given)))]
    missing = [("survey", not _rows(d.responses)), ("annual", not _rows(d.annual)),
               ("exit", not _rows(d.exits)), ("complaints", not _rows(d.complaints)),
               ("base", _rows(d.responses) and not _rows(d.base))]
    out += [lang.t(f"survey.status.missing_{name}", lang_code=code)
            for name, absent in missing if absent]
    if _rows(d.responses) and "survey" in an.errors:
        out.append(lang.t("survey.status.unreadable"))
    return out


# --- responses ------------------------------------------------------------------------------


def response_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """Responses, invited, response rate and margin of error per wave (and in all)."""
    table = an.response
    total = an.response_total
    rows = []
    source = table.itertuples(index=False) if table is not None else []
    for row in source:
        rows.append((str(row.wave), row.invited, row.responses, row.response_rate,
                     row.margin_of_error))
    rows.append((lang.t("survey.all_waves") if rows else lang.t("survey.all_answers"),
                 total["invited"], total["covered"] if total["invited"] else total["responses"],
                 total["response_rate"], total["margin_of_error"]))
    return pd.DataFrame({
        _col(lang, "wave"): [r[0] for r in rows],
        _col(lang, "invited"): [lang.int(r[1]) if r[1] is not None and pd.notna(r[1]) else "—"
                                for r in rows],
        _col(lang, "responses"): [lang.int(r[2]) for r in rows],
        _col(lang, "response_rate"): [lang.pct(r[3]) if r[3] is not None and pd.notna(r[3])
                                      else "—" for r in rows],
        _col(lang, "margin"): [_pp(lang, r[4]) for r in rows],
    })


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
    rows = [(lang.t("survey.all_answers"), an.nps["n"], an.nps["promoters"],
             an.nps["detractors"], an.nps["value"], an.nps["ci_low"], an.nps["ci_high"],
             an.nps["boot_low"], an.nps["boot_high"])]
    for table, key in ((an.nps_by_segment, "segment"), (an.nps_by_wave, "wave")):
        if table is None:
            continue
        for row in table.itertuples(index=False):
            rows.append((f"{lang.t(f'survey.group.{key}')}: {getattr(row, key)}", row.n,
                         row.promoter_share, row.detractor_share, row.nps, row.ci_low,
                         row.ci_high, row.boot_low, row.boot_high))
    return pd.DataFrame({
        _col(lang, "group"): [r[0] for r in rows],
        _col(lang, "answers"): [lang.int(r[1]) for r in rows],
        _col(lang, "promoters"): [lang.pct(r[2]) for r in rows],
        _col(lang, "detractors"): [lang.pct(r[3]) for r in rows],
        "NPS": [_n1(lang, r[4]) for r in rows],
        _col(lang, "ci"): [_interval(lang, r[5], r[6]) for r in rows],
        _col(lang, "boot"): [_interval(lang, r[7], r[8]) for r in rows],
    })


def nps_tests_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """z-tests of NPS differences between segments and between waves, Holm-adjusted."""
    rows = []
    for table in (an.tests_segment, an.tests_wave):
        if table is None:
            continue
        for row in table.itertuples(index=False):
            rows.append((f"{row.group_a} — {row.group_b}", row.difference, row.ci_low,
                         row.ci_high, row.p_value, row.p_holm))
    return pd.DataFrame({
        _col(lang, "comparison"): [r[0] for r in rows],
        _col(lang, "difference"): [_n1(lang, r[1]) for r in rows],
        _col(lang, "ci"): [_interval(lang, r[2], r[3]) for r in rows],
        _col(lang, "p_value"): [_p(lang, r[4]) for r in rows],
        _col(lang, "p_holm"): [_p(lang, r[5]) for r in rows],
        _col(lang, "significant"): [_yes(lang, r[5] < 0.05) for r in rows],
    })


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
                          ci=_pct_interval(lang, c["ci_low"], c["ci_high"]),
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
    low = min(_bounds(an, q)[0] for q in table["item"])
    high = max(_bounds(an, q)[1] for q in table["item"])
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
        _col(lang, "top_two"): [lang.pct(v) if pd.notna(v) else "—" for v in table["top_two"]],
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
        out[str(segment)] = [lang.pct(v) if pd.notna(v) else "—" for v in top[segment]]
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
        _col(lang, "base"): [lang.int(v) if pd.notna(v) else "—" for v in t["population"]],
        _col(lang, "responses"): [lang.int(v) for v in t["responses"]],
        _col(lang, "response_rate"): [lang.pct(v) if pd.notna(v) else "—"
                                      for v in t["response_rate"]],
    })
    if "nps" in t.columns:
        out["NPS"] = [_n1(lang, v) for v in t["nps"]]
    return out


def weighted_table(an: SurveyAnalysis, lang: Lang) -> pd.DataFrame:
    """NPS as answered and weighted to the base's segment mix, per wave and in all."""
    rows = []
    if an.weighted_by_wave is not None:
        for r in an.weighted_by_wave.itertuples(index=False):
            rows.append((str(r.wave), r.n, r.nps_unweighted, r.nps_weighted, r.ci_low, r.ci_high,
                         r.design_effect))
    w = an.weighted
    rows.append((lang.t("survey.all_waves"), w["n"], w["unweighted"], w["value"], w["ci_low"],
                 w["ci_high"], w["design_effect"]))
    return pd.DataFrame({
        _col(lang, "wave"): [r[0] for r in rows],
        _col(lang, "answers"): [lang.int(r[1]) for r in rows],
        _col(lang, "nps_unweighted"): [_n1(lang, r[2]) for r in rows],
        _col(lang, "nps_weighted"): [_n1(lang, r[3]) for r in rows],
        _col(lang, "ci_weighted"): [_interval(lang, r[4], r[5]) for r in rows],
        _col(lang, "design_effect"): [lang.num(r[6], 2) for r in rows],
    })


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
        _col(lang, "wallet"): [lang.pct(v) if pd.notna(v) else "—" for v in t["share_of_wallet"]],
        lang.t("survey.column.adherents", share=lang.pct(an.adherent_share, 0)):
            [lang.pct(v) if pd.notna(v) else "—" for v in t["adherent_share"]],
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
    :func:`playbook.render.table` escapes every cell)."""
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
        _col(lang, "share"): [lang.pct(v) if pd.notna(v) else "—" for v in s["share"]],
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
        _col(lang, "complaints"): [lang.int(v) if pd.notna(v) else "—" for v in t["complaints"]],
        _col(lang, "dissatisfied"): [lang.int(v) if pd.notna(v) else "—"
                                     for v in t["dissatisfied_estimate"]],
    })
    if "dissatisfied_share" in t.columns:
        out.insert(1, _col(lang, "base"), [lang.int(v) for v in t["customers"]])
        out[_col(lang, "dissatisfied_share")] = [lang.pct(v) if pd.notna(v) else "—"
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


# --- results.json ---------------------------------------------------------------------------


def _records(frame: pd.DataFrame | None, key: str) -> dict:
    if frame is None:
        return {}
    return {str(getattr(r, key)): {"value": float(r.nps), "ci_low": float(r.ci_low),
                                   "ci_high": float(r.ci_high), "n": int(r.n)}
            for r in frame.itertuples(index=False)}


def _tests(frame: pd.DataFrame | None) -> list[dict]:
    if frame is None:
        return []
    return [{"a": str(r.group_a), "b": str(r.group_b), "difference": float(r.difference),
             "p_value": float(r.p_value), "p_holm": float(r.p_holm)}
            for r in frame.itertuples(index=False)]


def results(an: SurveyAnalysis) -> dict:
    """The survey keys of results.json (see docs/results.md)."""
    d = an.data
    out: dict = {
        "files": {"survey": bool(_rows(d.responses)), "survey_annual": bool(_rows(d.annual)),
                  "exit_survey": bool(_rows(d.exits)), "complaints": bool(_rows(d.complaints)),
                  "survey_base": bool(_rows(d.base))},
        "template": an.template.id if an.template is not None else None,
        "parts": an.parts,
        "n": _rows(d.responses),
        "waves": an.waves,
        "nps": None, "nps_weighted": None, "csat": None,
        "cronbach_alpha": {}, "drivers": [], "exit_reasons": {},
    }
    if an.response_total is not None:
        t = an.response_total
        out["response"] = {"responses": t["responses"], "invited": t["invited"],
                           "rate": t["response_rate"], "margin_of_error": t["margin_of_error"],
                           "by_wave": [] if an.response is None else [
                               {"wave": str(r.wave), "responses": int(r.responses),
                                "invited": _num(r.invited), "rate": _num(r.response_rate),
                                "margin_of_error": _num(r.margin_of_error)}
                               for r in an.response.itertuples(index=False)]}
    if an.nps is not None:
        out["nps"] = dict(an.nps)
        out["nps_by_segment"] = _records(an.nps_by_segment, "segment")
        out["nps_by_wave"] = _records(an.nps_by_wave, "wave")
        out["nps_tests"] = {"segment": _tests(an.tests_segment), "wave": _tests(an.tests_wave)}
    if an.weighted is not None:
        out["nps_weighted"] = dict(an.weighted)
        if an.weighted_by_wave is not None:
            out["nps_weighted_by_wave"] = {
                str(r.wave): {"value": float(r.nps_weighted), "ci_low": float(r.ci_low),
                              "ci_high": float(r.ci_high), "n": int(r.n)}
                for r in an.weighted_by_wave.itertuples(index=False)}
    if an.response_by_segment is not None:
        out["response_by_segment"] = {
            str(r.segment): {"responses": int(r.responses), "base": _num(r.population),
                             "rate": _num(r.response_rate)}
            for r in an.response_by_segment.itertuples(index=False)}
    if an.csat is not None:
        out["csat"] = an.csat["value"]
        out["csat_detail"] = dict(an.csat)
    if an.ces is not None:
        out["ces"] = dict(an.ces)
    if an.overall_mean is not None:
        out["overall_mean"] = dict(an.overall_mean)
    if an.likert is not None:
        out["attributes"] = {r.item: {"mean": float(r.mean), "ci_low": float(r.ci_low),
                                      "ci_high": float(r.ci_high), "n": int(r.n),
                                      "top_two": _num(r.top_two)}
                             for r in an.likert.itertuples(index=False)}
    if an.reliability is not None:
        main = an.reliability[an.reliability["survey"] == "survey"]
        out["cronbach_alpha"] = {r.scale: float(r.alpha) for r in main.itertuples(index=False)}
        annual = an.reliability[an.reliability["survey"] == "annual"]
        if len(annual):
            out["cronbach_alpha_annual"] = {r.scale: float(r.alpha)
                                            for r in annual.itertuples(index=False)}
    if an.drivers is not None:
        dd = an.drivers
        out["drivers"] = [{"attribute": r.attribute, "importance": float(r.importance),
                           "share": float(r.share), "rank": int(r.rank), "coef": float(r.coef),
                           "se": float(r.se), "p_value": float(r.p_value),
                           "mean": float(r.mean), "quadrant": r.quadrant,
                           "ologit_coef": _num(r.ologit_coef), "ologit_p": _num(r.ologit_p)}
                          for r in dd.itertuples(index=False)]
        out["drivers_fit"] = {"outcome": dd.attrs["outcome"], "n": int(dd.attrs["n"]),
                              "r_squared": float(dd.attrs["r_squared"]),
                              "ologit_converged": dd.attrs.get("ologit_converged")}
        out["fix_first"] = [r.attribute for r in dd.itertuples(index=False)
                            if r.quadrant == "fix_first"]
    if an.crosstabs is not None:
        out["crosstabs"] = [{"question": r.question, "chi2": float(r.chi2), "dof": int(r.dof),
                             "p_value": float(r.p_value), "p_holm": float(r.p_adjusted),
                             "significant": bool(r.significant),
                             "cramers_v": float(r.cramers_v)}
                            for r in an.crosstabs.itertuples(index=False)]
    if an.annual is not None:
        out["annual"] = dict(an.annual)
        if an.annual_by_segment is not None:
            out["annual"]["by_segment"] = {
                str(r["segment"]): {k: _num(r[k]) if k != "n" else int(r[k])
                                    for k in an.annual_by_segment.columns if k != "segment"}
                for _, r in an.annual_by_segment.iterrows()}
    if an.exit_coded is not None:
        s = ex.exit_summary(an.exit_coded, keywords=an.exit_keywords, lang="en")
        out["exit_reasons"] = {r.category: int(r.count) for r in s.itertuples(index=False)}
        causes = an.exit_keywords["causes"]
        coded = an.exit_coded
        answered = coded[coded["answered"].astype(bool)]
        out["exit"] = {
            "questionnaires": len(coded), "answered": len(answered),
            "areas": {r.category: int(r.count) for r in s[s["dimension"] == "area"]
                      .itertuples(index=False)},
            "causes": {r.category: int(r.count) for r in s[s["dimension"] == "cause"]
                       .itertuples(index=False)},
            "winnable": int(answered["cause"].isin(
                [c for c, v in causes.items() if v.get("winnable")]).sum()),
            "not_winnable": int(answered["cause"].isin(
                [c for c, v in causes.items() if v.get("winnable") is False]).sum()),
        }
    if an.iceberg is not None:
        t = an.iceberg
        keep = [c for c in ("period", "complaints", "customers", "dissatisfied_estimate",
                            "dissatisfied_share") if c in t.columns]
        rows = t[keep].to_dict(orient="records")
        out["iceberg"] = {"complain_share": an.complain_share, "by_period": rows,
                          "last": rows[-1] if rows else None}
    if an.errors:
        out["errors"] = dict(an.errors)
    return out


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
