"""The lifetime-value notebook's notes for the consultant: which parameter to set or check
when the section had to make do (no cost data, no marketing spend, a short history, a
model that could not be estimated or could not tell who is active, no forecast check), and
how the "retain" lists were drawn.

They name parameters, results keys and files of the playbook, so they go to a notebook
cell tagged ``consultant-only`` and never reach the client's report; the client's sentences
say what the same limits mean for the numbers. :mod:`playbook.ltv.views` re-exports
:func:`consultant_notes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from playbook.report.i18n import Lang

if TYPE_CHECKING:
    from playbook.ltv.views import LtvAnalysis
    from playbook.running.context import RunContext

__all__ = ["consultant_notes"]


def consultant_notes(res: LtvAnalysis, run: RunContext, lang: Lang,
                     retain: int | None = None) -> list[str]:
    """The consultant's notes on the section, the block's title first; ``retain`` is the
    number of "retain" tasks written, when the notebook made them.
    """
    cfg = run.params.ltv
    notes = []
    f = res.factors
    if f is not None and f.p_source is None:
        notes.append(lang.t("ltv.consultant.margin_unknown"))
    elif f is not None and f.p_source == "parameters":
        notes.append(lang.t("ltv.consultant.margin_assumed", P=lang.pct(f.P)))
    if res.window_reduced:
        notes.append(lang.t("ltv.consultant.window_reduced",
                            wanted=lang.int(cfg.active_window_months),
                            window=lang.int(res.window_months)))
    if res.bg is None and res.model_error:
        notes.append(lang.t("ltv.consultant.model_failed", error=res.model_error))
    if res.bg is not None and res.holdout is None:
        notes.append(lang.t("ltv.consultant.no_holdout"))
    elif res.holdout is not None and not res.holdout["judged"]:
        notes.append(lang.t("ltv.consultant.holdout_short", days=lang.int(res.holdout["days"]),
                            min_days=lang.int(res.holdout["min_days"]),
                            weeks=lang.num(cfg.holdout_min_weeks, 0)))
    if res.activity_rule == "recency" and res.activity_reason:
        notes.append(lang.t("ltv.consultant.recency_rule", gaps=lang.num(res.lapse_gaps, 1),
                            reason=res.activity_reason))
    if res.spend is None or res.spend.empty:
        notes.append(lang.t("ltv.consultant.spend_missing"))
    if retain is not None and res.activity_rule == "model":
        notes.append(lang.t("ltv.consultant.retain", n=lang.int(retain),
                            top=lang.pct(cfg.retain_top_share, 0),
                            drop=lang.num(cfg.retain_alive_drop * 100, 0),
                            days=lang.int(run.params.segmentation.movement_days)))
    return [lang.t("ltv.consultant.title"), *(notes or [lang.t("ltv.consultant.none")])]
