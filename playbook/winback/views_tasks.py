"""The win-back section's lists for the managers' workbooks (docs/workbooks.md).

When the win-back section runs it owns two lists: "Win back" (``winback``: customers who
left over terms or for a reason still unknown: an offer, or a call to find out) and the
director's "Apology call" (``apology``: customers who left over offence). Each candidate of
the analysis is one task, with the evidence as its reason, what to do and, for the priced
candidates, the sentence to say on the call and the file of their one-page offer
(``winback/<file>.html`` beside the workbook, :mod:`playbook.winback.views_onepager`). A
candidate already on the segmentation's "Calls" list (an at-risk customer: the call is
planned) gets no second task, so a manager never calls one customer from two sheets. The
segmentation leaves both lists to this section then
(:func:`playbook.segmentation.views_tasks.task_lists`).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from playbook import exports
from playbook.report.i18n import Lang
from playbook.winback.views_candidates import evidences, once_per_value
from playbook.winback.views_competitors import talking_point
from playbook.winback.views_onepager import offer_files

if TYPE_CHECKING:
    from playbook.running.context import RunContext
    from playbook.segmentation.views import Segments
    from playbook.winback.views import WinbackAnalysis

__all__ = ["WinbackLists", "workbook_lists", "lists_sentence"]

_ROWS = ["customer_id", "reason", "suggested_action", "due_date", "value_at_stake"]


class WinbackLists(dict):
    """``{list key: tasks}`` for :func:`playbook.exports.write_task_lists`, and ``on_calls``:
    the candidates left to the "Calls" list.
    """

    on_calls: int = 0


def talking_points(res: WinbackAnalysis, lang: Lang) -> dict[str, str]:
    """customer_id -> the sentence to say on the call, for the priced candidates."""
    return {row.customer_id: talking_point(row, lang)
            for row in res.switch.itertuples(index=False)}


def workbook_lists(res: WinbackAnalysis, seg: Segments, run: RunContext) -> WinbackLists:
    """The "Win back" and "Apology call" lists of the candidates, most valuable first.

    ``seg`` is the segmentation of the same run: who is on its "Calls" list (those are left
    to it), each customer's contacts and the context columns.
    Due dates: ``segmentation.call_due_days`` after the hand-over.
    """
    from playbook.segmentation import views_tasks as seg_tasks

    # the analyses are done (and the LTV model, made meanwhile): the lines this kernel
    # held for them are given back before the lists, while the segmentation's kernel makes
    # its own beside it (who each customer is, if made here, reads what it needs again)
    run.let_go()
    lang, start = run.lang, run.handover
    table = res.candidates
    on_calls = table["customer_id"].isin(seg_tasks.call_ids(seg))
    due = start + dt.timedelta(days=run.params.segmentation.call_due_days)
    points = talking_points(res, lang)
    files = offer_files(res)
    todo = table[~on_calls]
    why = once_per_value(lambda reason: lang.t(f"winback.reason.{reason}"))
    to_do = once_per_value(lambda action: lang.t(f"winback.task_action.{action}"))
    plain = once_per_value(exports.plain_text)
    rows: dict[str, list[dict]] = {"winback": [], "apology": []}
    for customer, reason, todo_key, proof, value in zip(
            todo["customer_id"].tolist(), todo["reason"].tolist(), todo["action"].tolist(),
            evidences(todo, res, lang), todo["value_at_stake"].tolist(), strict=True):
        action = to_do(todo_key)
        if customer in points:
            action = f"{action} {points[customer]}"
        if customer in files:
            action = f"{action} {lang.t('winback.task_offer', file=files[customer])}"
        key = "apology" if reason == "offence" else "winback"
        rows[key].append({
            "customer_id": customer,
            "reason": exports.plain_text(lang.t("winback.task_reason", why=why(reason),
                                                evidence=proof)),
            "suggested_action": plain(action), "due_date": due,
            "value_at_stake": value})
    people = seg_tasks.who(seg, run)
    context, _ = seg_tasks.task_inputs(seg, run)
    lists = WinbackLists({key: exports.finish(pd.DataFrame(found, columns=_ROWS), key, lang,
                                              people=people, context=context, start=start)
                          for key, found in rows.items()})
    lists.on_calls = int(on_calls.sum())
    return lists


def lists_sentence(res: WinbackAnalysis, lists: WinbackLists, run: RunContext) -> str:
    """Where the candidates went in the managers' workbooks, so the counts add up."""
    lang = run.lang
    if res.candidates.empty:
        return ""
    return lang.t("winback.lists", n=lang.int(len(res.candidates)),
                  winback=lang.int(len(lists["winback"])),
                  apology=lang.int(len(lists["apology"])), calls=lang.int(lists.on_calls),
                  start=lang.date(run.handover))
