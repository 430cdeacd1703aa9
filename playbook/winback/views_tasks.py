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
import decimal
import html
from typing import TYPE_CHECKING

import pandas as pd

from playbook import exports
from playbook.report.i18n import Lang
from playbook.report.privacy import mask_contacts
from playbook.winback.views_candidates import QUOTE, _present
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

    lang, start = run.lang, run.handover
    table = res.candidates
    on_calls = table["customer_id"].isin(seg_tasks.call_ids(seg))
    due = start + dt.timedelta(days=run.params.segmentation.call_due_days)
    points = talking_points(res, lang)
    files = offer_files(res)
    todo = table[~on_calls]
    why = _once(lambda reason: lang.t(f"winback.reason.{reason}"))
    to_do = _once(lambda action: lang.t(f"winback.task_action.{action}"))
    plain = _once(exports.plain_text)
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


def _once(make):
    """``make`` as a function made once per distinct value: told apart by type and repr, as
    2 and 2.0, or 0.0 and -0.0, which compare equal, may be written differently.
    """
    made: dict = {}

    def get(value):
        key = (type(value), repr(value))
        if key not in made:
            made[key] = make(value)
        return made[key]
    return get


def _num_key(value) -> tuple:
    """What ``Lang.num(value, 1)`` depends on: the sign and the value rounded to one decimal
    the way Babel rounds it (its decimal from ``str(value)``), and ``round(value, 1)`` (the
    number a plural form is chosen by). Tens of thousands of distinct expected counts come
    to a few hundred such keys, each written once.
    """
    number = decimal.Decimal(str(value))
    if not number.is_finite():  # infinite or not a number: written as such, kept apart
        return (str(number), str(value))
    return (number.is_signed(), str(abs(number).normalize().quantize(decimal.Decimal("0.1"))),
            round(value, 1))


def evidences(table: pd.DataFrame, res: WinbackAnalysis, lang: Lang) -> list[str]:
    """Each candidate's evidence in words, as :func:`playbook.winback.views_candidates.
    evidence` writes it for one row, the words made once per distinct value (a sentence per
    row was about 18 s for the 79k candidates of a 10M-row client).
    """
    months = lang.int(res.settings.drop_months)
    whole = _once(lambda n: lang.int(n))
    tenths: dict = {}

    def drop(actual, expected) -> str:
        key = (round(actual), _num_key(expected))
        if key not in tenths:
            tenths[key] = lang.t("winback.evidence.drop", months=months,
                                 actual=whole(key[0]), expected=lang.num(expected))
        return tenths[key]

    lost = _once(lambda days: lang.t("winback.evidence.lost", days=whole(days)))
    wallet = _once(lambda pair: lang.t("winback.evidence.wallet",
                                       before=lang.pct(pair[0] / 100, 0),
                                       now=lang.pct(pair[1] / 100, 0)))
    named = _once(lambda name: lang.t("winback.evidence.named", name=name))
    said = _once(lambda text: lang.t("winback.evidence.exit", text=_quote(text, lang)))

    def column(name: str) -> list:
        return table[name].tolist() if name in table else [None] * len(table)

    out = []
    for signals, actual, expected, days, before, now, competitor, text in zip(
            column("signals"), column("actual"), column("expected"), column("days_since"),
            column("wallet_before"), column("wallet_now"), column("competitor"),
            column("exit_text"), strict=True):
        parts = []
        signals = str(signals).split(",")
        if "drop" in signals:
            parts.append(drop(actual, expected))
        if "lost" in signals:
            parts.append(lost(round(days)))
        if _present(before) and _present(now):
            parts.append(wallet((before, now)))
        if _present(competitor):
            parts.append(named(str(competitor)))
        if _present(text):
            parts.append(said(str(text)))
        # Lang.t escapes what it fills in and a table escapes every cell: plain text here
        out.append(html.unescape("; ".join(parts)))
    return out


def _quote(text: str, lang: Lang) -> str:
    """A leaver's own words, contacts masked, cut to :data:`QUOTE` characters."""
    # a leaver's own words may hold a phone or an address: never in the client's report
    text = " ".join(mask_contacts(text, lang=lang.code).split())
    return text if len(text) <= QUOTE else text[: QUOTE - 1].rstrip() + "…"


def lists_sentence(res: WinbackAnalysis, lists: WinbackLists, run: RunContext) -> str:
    """Where the candidates went in the managers' workbooks, so the counts add up."""
    lang = run.lang
    if res.candidates.empty:
        return ""
    return lang.t("winback.lists", n=lang.int(len(res.candidates)),
                  winback=lang.int(len(lists["winback"])),
                  apology=lang.int(len(lists["apology"])), calls=lang.int(lists.on_calls),
                  start=lang.date(run.handover))
