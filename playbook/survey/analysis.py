"""What the client's survey tables say: NPS, satisfaction, drivers, exits and complaints.

:func:`load` reads the client's survey tables from a run; :func:`analyse` runs the
statistics of :mod:`playbook.survey.scores`, :mod:`playbook.survey.customer_base`,
:mod:`playbook.survey.drivers` and :mod:`playbook.survey.exits` on them (tables in, no run
needed) and keeps everything in one :class:`SurveyAnalysis` (defined, with the
methodology's constants, in :mod:`playbook.survey.model`); :func:`results` (from
:mod:`playbook.survey.results_json`) turns it into the survey keys of results.json. Each
part needs only its own file: a client without exit questionnaires gets no exit part. A
part whose data cannot support it (too few answers, one segment only) is left out, and the
reason is kept in ``SurveyAnalysis.errors`` for the consultant, never raised. What the
report shows of it is in :mod:`playbook.survey.views`.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from playbook.errors import PlaybookError
from playbook.intake import SURVEY_TEMPLATES
from playbook.survey import customer_base as cb
from playbook.survey import drivers as dr
from playbook.survey import exits as ex
from playbook.survey import questionnaire as forms
from playbook.survey import scores as sc
from playbook.survey.checks import float_or_none
from playbook.survey.model import (
    ALPHA_FLOOR,
    COMPLAIN_SHARE,
    PARTS,
    TELLS,
    SurveyAnalysis,
    SurveyData,
    row_count,
)
from playbook.survey.results_json import results

if TYPE_CHECKING:  # a run is only handed in; the analysis imports nothing from running
    from playbook.running.context import RunContext

__all__ = ["COMPLAIN_SHARE", "TELLS", "ALPHA_FLOOR", "PARTS", "SurveyData", "SurveyAnalysis",
           "load", "analyse", "results"]

#: The annual survey's question "what must we do for you to buy more from us?".
WISH_QUESTION = "buy_more"
#: What a part may fail with when the data cannot support it (kept as a consultant note).
_FAILURES = (PlaybookError, ValueError, np.linalg.LinAlgError)
_WISHES = 5


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
            adherent_share: float = 0.8, target: float | None = None,
            regulars: Collection[str] | None = None, n_boot: int = 2000,
            seed: int = 0) -> SurveyAnalysis:
    """Run every survey analysis the client's tables support.

    Parameters
    ----------
    data
        The survey tables (see :func:`load`); any of them may be ``None``.
    complain_share
        Share of dissatisfied customers who complain, for the complaint iceberg.
    adherent_share
        Share of wallet from which a customer buys "only from us" (the ladder's rung 4).
    target
        The mean rating an area of work must reach on the importance-performance grid;
        ``None``: the "satisfied" mark of its scale (4 of 5).
    regulars
        The customers regular by purchases (the loyalty ladder's rung 3 and above): the
        annual survey's adherents among them are the ladder's adherents.
    n_boot, seed
        Bootstrap resamples of the NPS interval and the generator's seed.
    """
    an = SurveyAnalysis(data=data, complain_share=complain_share,
                        adherent_share=adherent_share, target=target,
                        regulars=None if regulars is None else frozenset(map(str, regulars)),
                        n_boot=n_boot)
    if row_count(data.exits):  # first: the drivers' grid uses the areas customers named
        _attempt(an, "exits", _exits, an)
    if row_count(data.responses):
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
    if row_count(data.annual):
        _attempt(an, "annual", _annual, an)
    if row_count(data.complaints):
        _attempt(an, "complaints", _complaints, an)
    return an


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
        by_wave = sc.response_summary(r, base=base, by="wave", invited_col=_invited(base))
        total = sc.response_summary(covered, base=base, invited_col=_invited(base))
    else:
        by_wave = sc.response_summary(r, by="wave") if an.waves else None
        total = sc.response_summary(r)
    if by_wave is not None:
        by_wave["wave"] = by_wave["wave"].astype(str)
        by_wave = by_wave.set_index("wave").reindex(
            an.waves + [w for w in by_wave["wave"] if w not in an.waves]).reset_index()
    an.response = by_wave
    row = total.iloc[0]
    latest = _latest_base(an)
    an.response_total = {"responses": len(r), "covered": int(row["responses"]),
                         "customers": _distinct(r),
                         "invited": float_or_none(row["invited"]),
                         "population": float_or_none(row["population"]),
                         "base": None if latest is None else float(latest["customers"].sum()),
                         "base_wave": None if latest is None else str(latest["wave"].iloc[0]),
                         "response_rate": float_or_none(row["response_rate"]),
                         "margin_of_error": float_or_none(row["margin_of_error"])}


def _distinct(frame: pd.DataFrame) -> int | None:
    """Distinct customers among the answers (``None`` when they carry no customer id)."""
    if "customer_id" not in frame.columns or frame["customer_id"].isna().all():
        return None
    return int(frame["customer_id"].dropna().astype(str).nunique())


def _latest_base(an: SurveyAnalysis) -> pd.DataFrame | None:
    """The surveyed base's rows of the latest wave: every customer counted once.

    Summed over waves, the base counts a customer once per wave; the latest wave is the
    base as it stands now.
    """
    base = an.base_main
    if base is None or not len(base):
        return None
    waves = [w for w in an.waves if w in set(base["wave"].astype(str))]
    last = waves[-1] if waves else str(base["wave"].iloc[-1])
    return base[base["wave"].astype(str) == last].assign(wave=last)


def _nps_row(row: pd.Series) -> dict:
    return {"value": float(row["nps"]), "ci_low": float(row["ci_low"]),
            "ci_high": float(row["ci_high"]), "n": int(row["n"]),
            "boot_low": float_or_none(row.get("boot_low")),
            "boot_high": float_or_none(row.get("boot_high")),
            "promoters": float(row["promoter_share"]),
            "detractors": float(row["detractor_share"])}


def _pairs(groups: list[str], counts: dict[str, int]) -> list[tuple[str, str]]:
    if len(groups) <= 4:
        return list(combinations(groups, 2))
    reference = max(groups, key=lambda g: counts.get(g, 0))
    return [(g, reference) for g in groups if g != reference]


def _nps_by(responses: pd.DataFrame, column: str, order, score_col: str, n_boot: int,
            seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The answers that name a ``column`` group, and NPS per group in ``order``."""
    part = responses[responses[column].notna()]
    part = part.assign(**{column: part[column].astype(str)})
    table = sc.nps(part, score_col=score_col, by=column, n_boot=n_boot, seed=seed)
    return part, _reorder(table[table["n"] > 0], column, order)


def _nps(an: SurveyAnalysis, n_boot: int, seed: int) -> None:
    if an.recommend is None:
        return
    r = an.data.responses
    total = sc.nps(r, score_col=an.recommend, n_boot=n_boot, seed=seed).iloc[0]
    if total["n"] == 0:
        return
    an.nps = _nps_row(total)
    if len(an.segments) >= 2:
        part, an.nps_by_segment = _nps_by(r, "segment", an.segments, an.recommend, n_boot,
                                          seed)
        groups = list(an.nps_by_segment["segment"])
        if len(groups) >= 2:
            an.tests_segment = sc.nps_compare(
                part, group_col="segment", score_col=an.recommend,
                pairs=_pairs(groups, dict(zip(groups, an.nps_by_segment["n"], strict=True))))
    if len(an.waves) >= 2:
        part, an.nps_by_wave = _nps_by(r, "wave", an.waves, an.recommend, n_boot, seed)
        waves = list(an.nps_by_wave["wave"])
        if len(waves) >= 2:
            pairs = list(zip(waves[:-1], waves[1:], strict=True))
            if len(waves) > 2:
                pairs.append((waves[0], waves[-1]))
            an.tests_wave = sc.nps_compare(part, group_col="wave", score_col=an.recommend,
                                           pairs=pairs)


def _reorder(table: pd.DataFrame, column: str, order: list[str]) -> pd.DataFrame:
    rank = {v: i for i, v in enumerate(order)}
    return table.sort_values(column, key=lambda s: s.map(rank).fillna(len(order)),
                             kind="stable").reset_index(drop=True)


def _satisfaction(an: SurveyAnalysis) -> None:
    r = an.data.responses
    if an.csat_col is not None:
        low, high = an.bounds(an.csat_col)
        row = sc.csat(r, col=an.csat_col, scale_min=low, scale_max=high).iloc[0]
        an.csat = {"value": float(row["csat"]), "ci_low": float(row["ci_low"]),
                   "ci_high": float(row["ci_high"]), "n": int(row["n"]),
                   "question": an.csat_col, "top_boxes": [high - 1, high],
                   "scale": [low, high]}
    if an.ces_col is not None:
        row = sc.ces(r, col=an.ces_col).iloc[0]
        an.ces = {"mean": float(row["mean"]), "ci_low": float(row["ci_low"]),
                  "ci_high": float(row["ci_high"]), "n": int(row["n"]),
                  "question": an.ces_col, "scale": list(an.bounds(an.ces_col))}
    if an.overall is not None:
        row = sc.likert_summary(r, items=[an.overall]).iloc[0]
        an.overall_mean = {"mean": float(row["mean"]), "ci_low": float(row["ci_low"]),
                           "ci_high": float(row["ci_high"]), "n": int(row["n"]),
                           "scale": list(an.bounds(an.overall))}
    if an.attributes:
        likert = sc.likert_summary(r, items=an.attributes)
        likert["top_two"] = [
            float((v >= an.bounds(q)[1] - 1).sum() / v.notna().sum()) if v.notna().any()
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
                table = sc.scale_reliability(frame, scales={scale.id: scale.items},
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
    if row_count(an.data.annual):
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
    named = ({} if an.exit_mentions is None else
             dict(zip(an.exit_mentions["attribute"], an.exit_mentions["mentions"], strict=True)))
    table = dr.importance_performance(
        table, target=[an.target_of(q) for q in table["attribute"]], named=named,
        lang="en").drop(columns="label")
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
        low, high = an.bounds(q)
        bands[q] = _band(pd.to_numeric(r[q], errors="coerce"), high, high - low + 1)
    bands = bands[bands["segment"].notna()]
    usable = [q for q in questions if bands[q].nunique() >= 2
              and bands.dropna(subset=[q])["segment"].nunique() >= 2]
    if not usable:
        return
    an.crosstabs = cb.crosstab_tests(bands, segment_col="segment", questions=usable)
    shares = {q: cb.crosstab(bands, question=q, segment_col="segment").reindex(
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
    by_segment = sc.response_summary(covered, base=base, by="segment",
                                     invited_col=_invited(base))
    # "customers in the base": each customer once (the latest wave), not once per wave
    latest = _latest_base(an)
    now = latest.assign(segment=latest["segment"].astype(str)).groupby("segment")["customers"]
    by_segment["base"] = by_segment["segment"].map(now.sum()).astype(float)
    if "customer_id" in covered.columns:
        by_segment["customers"] = by_segment["segment"].map(
            covered.dropna(subset=["customer_id"]).groupby("segment")["customer_id"].nunique())
    if an.nps_by_segment is not None:
        by_segment = by_segment.merge(an.nps_by_segment[["segment", "nps"]], on="segment",
                                      how="left")
    an.response_by_segment = _reorder(by_segment, "segment", an.segments)
    if an.recommend is None:
        return
    pooled = cb.weighted_nps(covered, population=base, score_col=an.recommend).iloc[0]
    an.weighted = {"value": float(pooled["nps_weighted"]), "ci_low": float(pooled["ci_low"]),
                   "ci_high": float(pooled["ci_high"]), "n": int(pooled["n"]),
                   "unweighted": float(pooled["nps_unweighted"]),
                   "design_effect": float(pooled["design_effect"])}
    if len(an.waves) >= 2:
        try:
            by_wave = cb.weighted_nps(covered, population=base, score_col=an.recommend,
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
            row = sc.response_summary(a, base=mine, invited_col=_invited(mine)).iloc[0]
            out.update(invited=float_or_none(row["invited"]),
                       response_rate=float_or_none(row["response_rate"]),
                       margin_of_error=float_or_none(row["margin_of_error"]))
    if rec is not None:
        out["nps"] = _nps_row(sc.nps(a, score_col=rec, n_boot=0).iloc[0])
    if share_col is not None:
        share = pd.to_numeric(a[share_col], errors="coerce") / 100
        out["share_of_wallet"] = float_or_none(share.mean())
        out["share_n"] = int(share.notna().sum())
        if rec is not None and "customer_id" in a.columns:
            _ladder(an, a.dropna(subset=["customer_id"]), share_col, rec, out)
        if "segment" in a.columns and a["segment"].notna().any():
            adherent = (share >= an.adherent_share).astype(float).where(share.notna())
            frame = a.assign(_share=share, _adherent=adherent,
                             segment=a["segment"].astype("string"))
            frame = frame[frame["segment"].notna()]
            table = frame.groupby("segment", sort=True).agg(
                n=("_share", "size"), share_of_wallet=("_share", "mean"),
                adherent_share=("_adherent", "mean")).reset_index()
            if rec is not None:
                nps = sc.nps(frame, score_col=rec, by="segment", n_boot=0)
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


def _ladder(an: SurveyAnalysis, a: pd.DataFrame, share_col: str, rec: str, out: dict) -> None:
    """Adherents (share of wallet at least ``adherent_share``) and advocates (adherents who
    would recommend, 9-10) among the customers who answered, each by their latest answer;
    with :attr:`SurveyAnalysis.regulars`, those who are also regular by purchases: the
    loyalty ladder's rungs 4 and 5 (as segmentation counts them).
    """
    wallet = cb.wallet_and_recommend(a, share_col=share_col, score_col=rec,
                                     date_col="date" if "date" in a.columns else None)
    adherent = (wallet["share_of_wallet"] >= an.adherent_share).to_numpy(bool)
    promoter = wallet["is_promoter"].fillna(False).to_numpy(bool)
    out.update(customers=len(wallet), adherents=int(adherent.sum()),
               advocates=int((adherent & promoter).sum()))
    if an.regulars is not None:
        regular = wallet["customer_id"].astype(str).isin(an.regulars).to_numpy(bool)
        out.update(regular_customers=int(regular.sum()),
                   adherents_regular=int((adherent & regular).sum()),
                   advocates_regular=int((adherent & regular & promoter).sum()))


def _exits(an: SurveyAnalysis) -> None:
    e = an.data.exits
    tpl = forms.load_template(an.data.exit_template)
    columns = [q for role in ("exit_product", "exit_staff", "exit_sale")
               for q in tpl.ids(role) if q in e.columns]
    if not columns:
        raise PlaybookError("The exit questionnaires have none of the template's three "
                            "open questions (product, staff, the moment of sale).")
    an.exit_keywords = ex.load_exit_keywords()
    coded = ex.code_exit_reasons(e, text_cols=columns, keywords=an.exit_keywords, id_col=None)
    an.exit_coded = coded.assign(_row=np.arange(len(coded)))
    an.exit_mentions = ex.attribute_mentions(coded, keywords=an.exit_keywords)


def _complaints(an: SurveyAnalysis) -> None:
    c = an.data.complaints
    base_col = ("customers" if "customers" in c.columns and c["customers"].notna().all()
                and (pd.to_numeric(c["customers"], errors="coerce") > 0).all() else None)
    an.iceberg = cb.complaint_iceberg(c, complain_share=an.complain_share, base_col=base_col)
