"""The service-standards section of the report: what the notebook shows, in the client's
language, and what it records.

``analyse(run)`` loads the client's tables from the run and returns one
:class:`StandardsAnalysis`; the ``*_table``, ``*_sentences`` and ``*_chart`` functions turn
it into what the report shows (this module: the warning-signs panel, the catalog, the
summary and the results; :mod:`~playbook.standards.views_control`: compliance, control
charts, the response rule, the best performers and the rollout plan).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from playbook.periods import complete_end
from playbook.report.document import summary_section
from playbook.report.i18n import Lang
from playbook.standards.catalog import catalog
from playbook.standards.chain import chain_links, chain_table
from playbook.standards.effect import PilotEffect, pilot_effect
from playbook.standards.measure import Measured, branch_in_force, measure
from playbook.standards.rollout import plan
from playbook.standards.settings import Standards
from playbook.standards.signs import Sign, complaints_from_requests, signs_json, warning_signs
from playbook.survey.views_format import period_label

__all__ = ["StandardsAnalysis", "analyse", "signs_table", "signs_sentences", "catalog_table",
           "catalog_sentences", "no_data_sentences", "results", "consultant_notes"]

STATUS_MARK = {"alert": "●", "warning": "▲", "ok": "✓", "unknown": "?"}


@dataclass
class StandardsAnalysis:
    """Everything the section shows."""

    settings: Standards
    catalog: pd.DataFrame
    signs: list[Sign]
    measured: Measured
    plan: pd.DataFrame
    as_of: dt.date
    switched_off: list[str]
    effect: PilotEffect | None = None
    chain: pd.DataFrame | None = None
    chain_units: pd.DataFrame | None = None


def _satisfaction(run) -> tuple[pd.DataFrame | None, str | None, tuple[int, int] | None,
                                pd.DataFrame | None]:
    """The survey answers, the overall-satisfaction question and its scale, the complaints."""
    from playbook.survey.analysis import load
    from playbook.survey.questionnaire import load_template

    data = load(run)
    column = scale = None
    if data.responses is not None:
        template = load_template(data.template)
        for role in ("csat", "overall"):
            ids = [q for q in template.ids(role) if q in data.responses
                   and data.responses[q].notna().any()]
            if ids:
                column = ids[0]
                question = next(q for q in template.questions if q.id == column)
                scale = question.bounds
                break
    return data.responses, column, scale, data.complaints


#: The transactions' columns the warning signs read, and with the seller (the branch, else
#: the manager) those the pilot's effect by branch and the chain of checks read
#: (``RunContext.transactions``: the others are most of a large client's memory).
_SIGNS = ("customer_id", "date", "amount")
_READ = (*_SIGNS, "branch", "manager")


def analyse(run) -> StandardsAnalysis:
    """Load what the section needs from the run and measure it."""
    settings = run.params.standards
    table = catalog(settings)
    logs = {name: run.standards_log(name) for name in ("audits", "calls", "requests")}
    training = run.standards_log("training")
    measured = measure(table, settings, run.as_of, **logs)
    measured.logs["training"] = training is not None
    # every line's seller (text: a large client's gigabyte) only when a pilot by branch or
    # the chain of checks asks who sold
    sellers = bool(branch_in_force(settings)) or measured.has_checks
    transactions = run.transactions(columns=_READ if sellers else _SIGNS)
    staff = [log[["employee", "branch"]] for log in logs.values()
             if log is not None and {"employee", "branch"} <= set(log)]
    effect = pilot_effect(transactions, pd.concat(staff) if staff else None, settings,
                          complete_end(run.as_of), requests=logs["requests"])
    responses, column, scale, complaints = _satisfaction(run)
    if complaints is None:  # the request log may say which requests were complaints
        complaints = complaints_from_requests(logs["requests"], run.as_of)
    target = table.loc[table["check"] == "request_log", "target"]
    signs = warning_signs(transactions[list(_SIGNS)], run.as_of, customers=run.customers(),
                          complaints=complaints, complain_share=run.params.survey.complain_share,
                          responses=responses, satisfaction=column, scale=scale,
                          within=measured.within, requests=measured.judged,
                          target=float(target.iloc[0]) if len(target) else 0.95)
    units = links = None
    if measured.has_checks:
        units = chain_table(measured.checks, transactions, run.as_of, responses=responses,
                            satisfaction=column, scale=scale, training=training)
        links = chain_links(units)
    return StandardsAnalysis(settings=settings, catalog=table, signs=signs, measured=measured,
                             plan=plan(settings.rollout), as_of=run.as_of,
                             switched_off=list(settings.switch_off), effect=effect,
                             chain=links, chain_units=units)


# --- warning signs -----------------------------------------------------------------------

def _sign_value(sign: Sign, lang: Lang) -> str:
    d = sign.detail
    key = f"standards.sign_value.{sign.sign}"
    if sign.status == "unknown" or sign.value is None:
        return "—"
    change = "—"
    if sign.change is not None:
        change = ("+" if sign.change > 0 else "") + lang.pct(sign.change, 0)
    if sign.sign in ("base", "new_customers", "referrals"):
        return lang.t(key, now=lang.int(sign.value), before=lang.int(sign.previous or 0),
                      months=lang.int(d["window"]), change=change)
    if sign.sign == "returns":
        return lang.t(key, now=lang.pct(sign.value), before=lang.pct(sign.previous or 0),
                      months=lang.int(d["window"]))
    if sign.sign == "complaints":
        text = lang.t(key, n=lang.int(sign.value), period=period_label(lang, d.get("period", "")),
                      dissatisfied=lang.int(d["dissatisfied"]))
        if "dissatisfied_share" in d:
            text += " " + lang.t("standards.sign_value.complaints_share",
                                 share=lang.pct(d["dissatisfied_share"]))
        return text
    if sign.sign == "satisfied":
        return lang.t(key, share=lang.pct(sign.value, 0), n=lang.int(d["n"]),
                      low=lang.int(d["marks"][0]), high=lang.int(d["marks"][1]),
                      top=lang.int(d["scale"][1]))
    return lang.t(key, share=lang.pct(sign.value), n=lang.int(d["n"]))


def _sign_rule(sign: Sign, lang: Lang) -> str:
    """The rule a sign is judged by, in words; the satisfied sign names its marks."""
    rule = lang.t(f"standards.rule.{sign.sign}")
    marks = sign.detail.get("marks") if sign.sign == "satisfied" else None
    if marks:
        rule = lang.t("standards.rule.satisfied_marks", low=lang.int(marks[0]),
                      high=lang.int(marks[1]), top=lang.int(sign.detail["scale"][1])) + " " + rule
    return rule


def signs_table(res: StandardsAnalysis, lang: Lang) -> pd.DataFrame:
    """The warning-signs panel: sign, what the data says, the rule, the status, and what
    data would complete a sign that cannot be judged.
    """
    rows = []
    for sign in res.signs:
        needs = lang.t(f"standards.needs.{sign.needs}") if sign.needs else ""
        rows.append({
            lang.t("standards.col.sign"): lang.t(f"standards.sign.{sign.sign}"),
            lang.t("standards.col.status"):
                f"{STATUS_MARK[sign.status]} {lang.t('standards.status.' + sign.status)}",
            lang.t("standards.col.value"): _sign_value(sign, lang),
            lang.t("standards.col.rule"): _sign_rule(sign, lang),
            lang.t("standards.col.needs"): needs,
        })
    table = pd.DataFrame(rows)
    needs = lang.t("standards.col.needs")
    if not table.empty and (table[needs] == "").all():  # every sign judged
        table = table.drop(columns=needs)
    return table


def signs_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """The panel's conclusion: how many signs are red or amber, which, and the seed's rule."""
    counts = {s: sum(1 for x in res.signs if x.status == s) for s in
              ("alert", "warning", "ok", "unknown")}
    judged = len(res.signs) - counts["unknown"]
    if judged == 0:
        return [lang.t("standards.signs_none", total=lang.int(len(res.signs)))]
    out = [lang.t("standards.signs_count", judged=lang.int(judged),
                  total=lang.int(len(res.signs)), alert=lang.int(counts["alert"]),
                  warning=lang.int(counts["warning"]))]
    for sign in res.signs:
        if sign.status in ("alert", "warning"):
            out.append(lang.t(f"standards.sign_advice.{sign.sign}"))
    if counts["unknown"]:
        out.append(lang.t("standards.signs_unknown", n=lang.int(counts["unknown"])))
    return out


# --- the catalog ---------------------------------------------------------------------------

def catalog_table(res: StandardsAnalysis, lang: Lang) -> pd.DataFrame:
    """The adopted standards: area, wording, how checked, target, weight."""
    cat = res.catalog
    return pd.DataFrame({
        lang.t("standards.col.area"): [lang.t(f"standards.area.{a}") for a in cat["area"]],
        lang.t("standards.col.standard"): cat[f"wording_{lang.code}"],
        lang.t("standards.col.how"): [lang.t(f"standards.check.{c}") for c in cat["check"]],
        lang.t("standards.col.target"): [lang.pct(t, 0) for t in cat["target"]],
        lang.t("standards.col.weight"): [lang.int(w) for w in cat["weight"]],
    })


def catalog_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """How many standards, in how many areas, and how many the logs can check."""
    cat = res.catalog
    return [lang.t("standards.catalog_count", n=lang.int(len(cat)),
                   areas=lang.int(cat["area"].nunique()),
                   shopping=lang.int((cat["check"] == "mystery_shopping").sum()),
                   logs=lang.int((cat["check"] != "mystery_shopping").sum()))]


def no_data_sentences(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """What data would let the section measure compliance, when some log is missing."""
    logs = res.measured.logs
    missing = [name for name in ("audits", "calls", "requests") if not logs.get(name)]
    if not missing:
        return []
    out = [lang.t(f"standards.missing.{name}") for name in missing]
    if not res.measured.has_checks:
        out.insert(0, lang.t("standards.no_checks"))
    return out


# --- results and the summary -----------------------------------------------------------

def _iso(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date().isoformat()


def results(res: StandardsAnalysis) -> dict:
    """What results.json records (see docs/results.md): ``warning_signs`` and ``standards``."""
    m = res.measured
    compliance = None
    if m.has_checks:
        compliance = {"overall": m.overall, "overall_before": m.overall_before,
                      "by_standard": dict(zip(m.by_standard["item"],
                                              m.by_standard["share"].astype(float),
                                              strict=True)),
                      "period": [_iso(m.recent[0]), _iso(m.recent[1])],
                      "checks": int(len(m.checks)),
                      "below_target": m.fix["item"].tolist()}
    response = None
    if m.judged:
        target = res.catalog.loc[res.catalog["check"] == "request_log", "target"]
        response = {"share_within_target": m.within, "median_hours": m.median_hours,
                    "requests": m.judged, "limit_hours": res.settings.response_hours,
                    "hours": res.settings.hours,
                    "target": float(target.iloc[0]) if len(target) else None}
    best = {pd.Timestamp(r.month).strftime("%Y-%m"): r.employee
            for r in m.best.itertuples(index=False)}
    stages = [{"wave": int(r.wave), "branches": list(r.branches), "stage": r.stage,
               "start": _iso(r.start), "end": _iso(r.end)} for r in res.plan.itertuples()]
    return {
        "warning_signs": [{k: v for k, v in s.items() if k in ("sign", "status", "value",
                                                               "previous", "rule", "needs")}
                          for s in signs_json(res.signs)],
        "standards": {
            "catalog": {"adopted": res.catalog["id"].tolist(), "switched_off": res.switched_off,
                        "changed": res.catalog.loc[res.catalog["origin"] == "changed",
                                                   "id"].tolist(),
                        "added": res.catalog.loc[res.catalog["origin"] == "client",
                                                 "id"].tolist()},
            "logs": m.logs,
            "compliance": compliance,
            "response": response,
            "signals": [{k: s[k] for k in ("series", "rule", "rules", "basis", "date", "start",
                                           "direction", "meaning")} for s in m.signals],
            "best": best,
            "unknown_items": dict(zip(m.unknown["item"], m.unknown["checks"].astype(int),
                                      strict=True)),
            "in_force": _iso(m.in_force),
            "plan": stages,
            "effect": res.effect.as_json() if res.effect is not None else None,
            "chain": None if res.chain is None else {
                "level": "employee", "units": int(len(res.chain_units)),
                "links": [{k: (None if isinstance(v, float) and np.isnan(v) else v)
                           for k, v in row.items()} for row in res.chain.to_dict("records")]},
        },
    }


@summary_section("warning_signs")
def _summary(results_: dict, lang: Lang):
    """The warning signs and compliance in the executive summary: tiles and advice."""
    signs = results_.get("warning_signs") or []
    figures, advice = [], []
    judged = [s for s in signs if s["status"] != "unknown"]
    if signs:
        red = sum(1 for s in signs if s["status"] == "alert")
        amber = sum(1 for s in signs if s["status"] == "warning")
        figures.append((lang.t("standards.summary.signs"),
                        lang.t("standards.summary.signs_value", alert=lang.int(red),
                               warning=lang.int(amber), judged=lang.int(len(judged)))))
        for s in signs:
            if s["status"] == "alert":
                advice.append(lang.t(f"standards.sign_advice.{s['sign']}"))
    std = results_.get("standards") or {}
    comp = std.get("compliance")
    if comp and comp.get("overall") is not None:
        figures.append((lang.t("standards.summary.compliance"), lang.pct(comp["overall"], 0)))
        if comp.get("below_target"):
            advice.append(lang.t("standards.summary.advice_fix",
                                 n=lang.int(len(comp["below_target"]))))
    response = std.get("response")
    if response and response.get("share_within_target") is not None:
        figures.append((lang.t("standards.summary.response",
                               hours=lang.int(response["limit_hours"])),
                        lang.pct(response["share_within_target"], 0)))
    if std and not comp:
        advice.append(lang.t("standards.summary.advice_start"))
    return figures, advice


def consultant_notes(res: StandardsAnalysis, lang: Lang) -> list[str]:
    """For the consultant only: parameters, files and unknown audit items (not in the report)."""
    notes = [lang.t("standards.notes.params")]
    for row in res.measured.unknown.itertuples(index=False):
        notes.append(lang.t("standards.notes.unknown_item", item=str(row.item),
                            n=lang.int(row.checks), rows=str(row.rows)))
    if res.plan.empty:
        notes.append(lang.t("standards.notes.no_plan"))
    notes.append(lang.t("standards.notes.doc"))
    notes.append(lang.t("standards.notes.checklist"))
    return notes
