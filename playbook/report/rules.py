"""The questions' rules in words, where the executive summary and a question's section both
say them: one wording, with the run's own parameters, so the two never disagree.

Only locale keys and :class:`~playbook.report.i18n.Lang`; the report imports no question
package (docs/architecture.md), and the questions' views import these from here.
"""

from __future__ import annotations

from playbook.report.i18n import Lang

__all__ = ["multiple", "lost_rule", "lost_span"]


def lost_rule(days: int, gaps: float, lang: Lang) -> str:
    """When the segmentation's rhythm rule counts a customer lost, in words: no purchase for
    ``days`` (``segmentation.at_risk.lost_days``) or more, or for more than ``gaps`` times
    its usual gap (``lost_gaps``, repeat customers). Every sentence that names the lost
    says both (here and in the segmentation's section).
    """
    return lang.t("segmentation.lost_rule", span=lost_span(days, lang),
                  gaps=multiple(gaps, lang))


def multiple(value: float, lang: Lang):
    """A multiple as people write it: ``1,5`` / ``3`` (no trailing ``,0``)."""
    return lang.num(value, 0 if float(value).is_integer() else 1)


def lost_span(days: int, lang: Lang) -> str:
    """``days`` without a purchase as the lost rule says it: a year, or so many days."""
    return (lang.t("segmentation.lost_span_year") if days == 365
            else lang.t("segmentation.lost_span_days", days=lang.int(days)))
