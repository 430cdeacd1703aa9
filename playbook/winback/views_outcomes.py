"""Last period's win-back calls, read back: the win-back rate, the revenue recovered and the
second lifetime of those who came back against their first (:mod:`playbook.winback.outcomes`).

Without returned workbooks (``data.tasks_done``), or without a "Win back" list in them,
the part is left out: no heading, no sentence. Customer names never appear here.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from playbook.followup.analysis import match_customers
from playbook.report.i18n import Lang
from playbook.winback import outcomes as wo

if TYPE_CHECKING:
    from playbook.running.context import RunContext

__all__ = ["Heading", "read_outcomes", "outcomes_heading", "outcome_sentences"]


class Heading:
    """The part's heading and intro from the locale files (never client data), as Markdown."""

    def __init__(self, text: str):
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/markdown": self.text, "text/plain": self.text}, {}


def read_outcomes(run: RunContext) -> dict | None:
    """``winback.outcomes`` (docs/results.md) from last period's returned workbooks, with
    ``as_of``; None without returned workbooks or without win-back tasks in them.
    """
    found = run.tasks_done()
    if found is None:
        return None
    transactions = run.transactions()
    tasks = match_customers(found[0], transactions["customer_id"])
    table = wo.winback_outcomes(tasks, transactions, run.as_of)
    if table.empty:
        return None
    return wo.summarise(table, run.as_of) | {"as_of": run.as_of.isoformat(),
                                             "min_months": wo.MIN_MONTHS,
                                             "min_returned": wo.MIN_RETURNED}


def outcomes_heading(out: dict | None, lang: Lang) -> Heading | None:
    """The part's heading and what it shows, or None when there is nothing to show."""
    if not out:
        return None
    intro = " ".join(lang.t("winback.outcomes.intro").split())
    return Heading(f"## {lang.t('winback.outcomes.title')}\n\n{intro}")


def outcome_sentences(out: dict | None, lang: Lang) -> list[str]:
    """The win-back rate, the revenue recovered against the reference of those not called,
    and the second lifetime against the first, or that it is too early to compare.
    """
    if not out:
        return []
    as_of = lang.date(dt.date.fromisoformat(out["as_of"]))
    if not out["called"]:
        return [lang.t("winback.outcomes.none_called", listed=lang.int(out["listed"]),
                       as_of=as_of)]
    money = "margin" if out.get("margin_recovered") is not None else "revenue"
    lines = [lang.t(f"winback.outcomes.rate_{money}", listed=lang.int(out["listed"]),
                    called=lang.int(out["called"]), returned=lang.int(out["returned"]),
                    rate=lang.pct(out["rate"], 0), as_of=as_of,
                    revenue=lang.money_short(out["revenue_recovered"]),
                    margin=lang.money_short(out.get("margin_recovered") or 0),
                    months=lang.num(out["months_since_call"] or 0, 1))]
    if out["not_called"]:
        lines.append(lang.t("winback.outcomes.reference",
                            not_called=lang.int(out["not_called"]),
                            returned=lang.int(out["not_called_returned"]),
                            rate=lang.pct(out["not_called_rate"], 0)))
    life = out["lifetimes"]
    # (none of those back bought before the call within the data, a client's first months:
    # no first lifetime to set the second against)
    if life["n"] and life["first_orders_per_month"] is not None:
        values = {"n": lang.int(life["n"]),
                  "first": lang.num(life["first_orders_per_month"], 2),
                  "second": lang.num(life["second_orders_per_month"], 2),
                  "first_revenue": lang.money_short(life["first_revenue_per_month"]),
                  "second_revenue": lang.money_short(life["second_revenue_per_month"]),
                  "first_months": lang.num(life["first_months"], 0),
                  "months": lang.num(life["second_months"], 1),
                  "min_n": lang.int(out["min_returned"]),
                  "min_months": lang.int(out["min_months"])}
        key = "too_early" if life["too_early"] else "lifetimes"
        lines.append(lang.t(f"winback.outcomes.{key}", **values))
    return lines
