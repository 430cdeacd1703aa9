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

import datetime as dt
from typing import TYPE_CHECKING

from playbook.ltv import activity
from playbook.report.i18n import Lang, Safe

if TYPE_CHECKING:
    from playbook.ltv.views import LtvAnalysis
    from playbook.running.context import RunContext

__all__ = ["consultant_notes", "model_reason"]


def model_reason(cause: dict | None, message: str, lang: Lang) -> str:
    """Why a model was not estimated, in ``lang``: the sentence of the ``cause`` the model
    named (:meth:`playbook.errors.DataError.cause`; HTML-escaped already, as
    :class:`~playbook.report.i18n.Safe`), else its English ``message`` as it is.
    """
    key = f"ltv.why.{cause['why']}" if cause else ""
    if not key or not lang.has(key):
        return message
    return Safe(lang.t(key, **{name: _fact(value, lang) for name, value in cause.items()
                               if name != "why"}))  # escaped once, when it is filled in


def _activity_reason(reason: str, lang: Lang) -> str:
    """Why activity follows the recency rule, in words (the code when it has none)."""
    key = f"ltv.consultant.activity_reason.{reason}"
    if not lang.has(key):
        return reason
    return Safe(lang.t(key, dropout=lang.pct(activity.NEAR_ZERO_DROPOUT, 0),
                       share=lang.pct(activity.NEARLY_ALL, 0),
                       certain=lang.pct(activity.CERTAIN, 0),
                       gaps=lang.int(activity.MIN_HISTORY_GAPS)))


def _fact(value: object, lang: Lang) -> object:
    if isinstance(value, dt.date):
        return lang.date(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return lang.int(value)
    if isinstance(value, float):
        return lang.num(value, 2)
    return value


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
        notes.append(lang.t("ltv.consultant.model_failed",
                            error=model_reason(res.model_cause, res.model_error, lang)))
    if res.bg is not None and res.holdout is None:
        notes.append(lang.t("ltv.consultant.no_holdout"))
    elif res.holdout is not None and not res.holdout["judged"]:
        notes.append(lang.t("ltv.consultant.holdout_short", days=lang.int(res.holdout["days"]),
                            min_days=lang.int(res.holdout["min_days"]),
                            weeks=lang.num(cfg.holdout_min_weeks, 0)))
    if res.activity_rule == "recency" and res.activity_reason:
        notes.append(lang.t("ltv.consultant.recency_rule", gaps=lang.num(res.lapse_gaps, 1),
                            reason=_activity_reason(res.activity_reason, lang)))
    if res.spend is None or res.spend.empty:
        notes.append(lang.t("ltv.consultant.spend_missing"))
    if retain is not None and res.activity_rule == "model":
        notes.append(lang.t("ltv.consultant.retain", n=lang.int(retain),
                            top=lang.pct(cfg.retain_top_share, 0),
                            drop=lang.num(cfg.retain_alive_drop * 100, 0),
                            days=lang.int(run.params.segmentation.movement_days)))
    return [lang.t("ltv.consultant.title"), *(notes or [lang.t("ltv.consultant.none")])]
