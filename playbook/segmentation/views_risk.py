"""The segmentation section's forward look: who may leave, who has left, and whom the
client sells to; plus the consultant's notes, which never reach the report.

Functions take the :class:`~playbook.segmentation.views.Segments` and a ``Lang`` and return
sentences and tables in the client's language; :mod:`playbook.segmentation.views`
re-exports them. The rule behind the groups is :mod:`playbook.segmentation.rhythm`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from playbook import exports
from playbook.report.i18n import Lang, Safe
from playbook.report.rules import lost_rule, lost_span, multiple
from playbook.segmentation import rhythm as rh

if TYPE_CHECKING:
    from playbook.running.context import RunContext
    from playbook.segmentation.views import Segments

__all__ = ["kind_sentence", "rhythm_intro", "rhythm_table", "rhythm_sentences",
           "overdue_tasks", "consultant_notes"]


def _classes(seg: Segments, lang: Lang) -> str:
    classes = list(seg.risk_classes)
    return ", ".join(classes[:-1]) + (f" {'и' if lang.code == 'ru' else 'and'} " if
                                      len(classes) > 1 else "") + classes[-1]


def kind_sentence(seg: Segments, lang: Lang) -> str:
    """Whom the client sells to and how that was decided (said once, at the section's top)."""
    kind = seg.kind
    share = lang.pct(kind["share"], 0) if kind["share"] is not None else ""
    return lang.t(f"segmentation.kind.{kind['kind']}_{kind['basis']}", share=share)


def rhythm_table(seg: Segments, lang: Lang) -> pd.DataFrame:
    """Customers per state (on rhythm, overdue, at risk, lost): count, revenue to date, value
    per year at their pace and, for those at risk, the value expected over 12 months.
    """
    r = seg.rhythm
    frame = r.customers
    col = lambda k: lang.t(f"segmentation.column.{k}")  # noqa: E731
    rule = {"overdue": multiple(r.overdue_gaps, lang), "lost": multiple(r.lost_gaps, lang),
            "classes": _classes(seg, lang), "span": lost_span(r.lost_days, lang)}
    rows = []
    for status in rh.STATUSES:
        part = frame[frame["status"] == status]
        rows.append({
            col("status"): lang.t(f"segmentation.status.{status}"),
            col("rule"): lang.t(f"segmentation.status_desc.{status}", **rule),
            col("customers"): lang.int(len(part)),
            col("past_revenue"): lang.money(part["past_revenue"].sum()),
            col(f"pace_{r.value_basis}"): lang.money(part["pace"].sum()),
            col(f"stake_{r.value_basis}"): (lang.money(part["at_stake"].sum())
                                            if status == "at_risk" else "—"),
        })
    return pd.DataFrame(rows)


def rhythm_intro(seg: Segments, lang: Lang) -> str:
    """The rule: a customer's usual gap, when it is at risk and when it is lost."""
    r = seg.rhythm
    if r.median_gap is None:
        return lang.t("segmentation.rhythm_no_repeat", span=lost_span(r.lost_days, lang))
    return lang.t("segmentation.rhythm_intro", median=lang.int(r.median_gap),
                  classes=_classes(seg, lang), overdue=multiple(r.overdue_gaps, lang),
                  lost=multiple(r.lost_gaps, lang),
                  rule=lost_rule(r.lost_days, r.lost_gaps, lang))


def rhythm_sentences(seg: Segments, lang: Lang) -> list[str]:
    """The customers at risk and the money at stake (with its basis), then the lost."""
    r = seg.rhythm
    risk, lost = r.group("at_risk"), r.group("lost")
    sentences = []
    if len(risk):
        basis_gen = lang.t(f"segmentation.by_{r.value_basis}_gen")
        sentences.append(lang.t("segmentation.risk_so_what", n=lang.int(len(risk)),
                                pace=lang.money_short(risk["pace"].sum()),
                                stake=lang.money_short(risk["at_stake"].sum()),
                                basis_gen=basis_gen))
        sentences.append(lang.t(f"segmentation.risk_basis_{r.factor_basis}",
                                factor=lang.pct(r.factor, 0),
                                backtest=lang.int(r.backtest_customers)))
    else:
        sentences.append(lang.t("segmentation.risk_none"))
    if len(lost):
        sentences.append(lang.t("segmentation.lost_so_what", n=lang.int(len(lost)),
                                past=lang.money_short(lost["past_revenue"].sum())))
    if len(risk):
        sentences.append(lang.t("segmentation.risk_calls"))
    return sentences


def overdue_tasks(seg: Segments, lang: Lang, *, due: dt.date,
                  value: pd.Series | None = None) -> pd.DataFrame:
    """One call task per customer at risk, the most at stake first (task rows of
    :mod:`playbook.exports.lists`; ``value`` by customer_id, default the money at stake).
    """
    risk = seg.rhythm.group("at_risk").sort_values(["at_stake", "customer_id"],
                                                   ascending=[False, True])
    action = exports.plain_text(lang.t("segmentation.tasks.action_overdue"))
    rows = [{"customer_id": item.customer_id,
             "reason": exports.plain_text(lang.t(
                 "segmentation.tasks.reason_overdue", gap=lang.int(item.usual_gap),
                 days=lang.int(item.days_since), pace=lang.money(item.pace))),
             "suggested_action": action, "due_date": due,
             "value_at_stake": item.at_stake if value is None else
             value.get(item.customer_id, item.at_stake)}
            for item in risk.itertuples(index=False)]
    return pd.DataFrame(rows, columns=exports.lists.ROW_COLUMNS)


def consultant_notes(seg: Segments, run: RunContext, lang: Lang, files: list) -> list[str]:
    """Advice for the consultant: what was inferred or chosen, and the parameter that sets
    it (shown in a cell tagged consultant-only: never in the client's report); the
    workbooks in ``files`` (what the section wrote), and why a large client's mailing
    lists came as CSV files only.
    """
    notes = []
    if seg.kind["basis"] != "given":
        notes.append(lang.t("segmentation.consultant.kind", kind=seg.kind["kind"].upper(),
                            basis=Safe(lang.t(f"segmentation.consultant.by_{seg.kind['basis']}")),
                            share=lang.pct(seg.kind["share"], 0)))
    if seg.xyz["auto"]:
        tried = "; ".join(f"{t['period']} {t['cutoffs'][0]:g}/{t['cutoffs'][1]:g}: "
                          f"{t['largest_share']:.0%} {t['largest']}" for t in seg.xyz["tried"])
        cuts = f"{seg.xyz['cutoffs'][0]:g}/{seg.xyz['cutoffs'][1]:g}"
        notes.append(lang.t("segmentation.consultant.xyz", period=seg.xyz["period"], cuts=cuts,
                            tried=tried))
    r = seg.rhythm
    basis = Safe(lang.t(f"segmentation.consultant.factor_{r.factor_basis}",
                        n=lang.int(r.backtest_customers)))
    notes.append(lang.t("segmentation.consultant.factor", factor=lang.pct(r.factor, 0),
                        basis=basis, classes=", ".join(seg.risk_classes)))
    names = sorted(f.name for f in files if f.suffix == ".xlsx")
    if names:
        notes.append(lang.t("segmentation.consultant.exports", files=", ".join(names)))
    if exports.mailing_csv_only(files, lang):
        notes.append(lang.t("segmentation.consultant.mailing_csv_only",
                            n=lang.int(len(r.customers))))
    return notes
