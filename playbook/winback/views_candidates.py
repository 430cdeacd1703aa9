"""Who to win back, on what evidence, why they left and what they are worth: the first half
of the win-back section, in the client's language (re-exported by
:mod:`playbook.winback.views`).
"""

from __future__ import annotations

import decimal
import html
from typing import TYPE_CHECKING

import pandas as pd

from playbook.ltv.views_notes import model_reason
from playbook.report.i18n import Lang, Safe
from playbook.report.privacy import mask_contacts
from playbook.winback.candidates import REASONS

if TYPE_CHECKING:
    from playbook.winback.views import WinbackAnalysis

__all__ = ["intro_sentences", "candidates_sentences", "reason_table", "evidences",
           "candidates_table", "consultant_notes"]

#: The longest exit answer quoted as evidence (characters).
QUOTE = 120


def intro_sentences(res: WinbackAnalysis, lang: Lang) -> list[str]:
    """The tests that make a customer a candidate, stated with the parameters' numbers."""
    cfg = res.settings
    out = [lang.t("winback.intro.drop", months=lang.int(cfg.drop_months),
                  share=lang.pct(cfg.drop_share, 0), expected=lang.num(cfg.min_expected, 0),
                  classes=", ".join(cfg.classes))]
    if res.drop_error:
        out.append(lang.t("winback.intro.drop_failed"))
    out.append(lang.t("winback.intro.lost", days=lang.int(cfg.lost_within_days)))
    out.append(lang.t("winback.intro.survey", points=lang.int(round(cfg.wallet_drop * 100)))
               if res.has_annual else lang.t("winback.intro.no_survey"))
    out.append(lang.t("winback.intro.exits") if res.has_exits
               else lang.t("winback.intro.no_exits"))
    return out


def _value_key(res: WinbackAnalysis) -> str:
    return "margin" if res.value_basis == "margin" else "revenue"


def candidates_sentences(res: WinbackAnalysis, lang: Lang) -> list[str]:
    """How many candidates, the money at stake, and how many left over what."""
    table = res.candidates
    if table.empty:
        return [lang.t("winback.none")]
    count = table["reason"].value_counts()
    return [lang.t(f"winback.found_{_value_key(res)}", n=lang.int(len(table)),
                   value=lang.money_short(table["value_at_stake"].sum()),
                   months=lang.int(res.settings.won_back_months),
                   won=lang.money_short(table["expected_value"].sum())),
            lang.t("winback.by_reason", terms=lang.int(count.get("terms", 0)),
                   offence=lang.int(count.get("offence", 0)),
                   unknown=lang.int(count.get("unknown", 0)))]


def reason_table(res: WinbackAnalysis, lang: Lang) -> pd.DataFrame:
    """Reason, what to do, customers, value at stake, if won back, expected (value x chance)."""
    table = res.candidates
    rows = []
    for reason in REASONS:
        part = table[table["reason"] == reason]
        if part.empty:
            continue
        rows.append({
            lang.t("winback.column.reason"): lang.t(f"winback.reason.{reason}"),
            lang.t("winback.column.action"): lang.t(
                f"winback.action.{part['action'].iloc[0]}"),
            lang.t("winback.column.customers"): lang.int(len(part)),
            lang.t(f"winback.column.at_stake_{_value_key(res)}"): lang.money(
                part["value_at_stake"].sum()),
            lang.t("winback.column.chance"): lang.pct(part["chance"].iloc[0], 0),
            lang.t("winback.column.expected"): lang.money(part["expected_value"].sum()),
        })
    return pd.DataFrame(rows)


def _present(value) -> bool:
    if value is None:
        return False
    try:
        return not pd.isna(value)
    except (TypeError, ValueError):
        return True


def once_per_value(make):
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
    """Each candidate's evidence in words (plain text: tables escape it): the drop against
    the model's expectation, the days since the last purchase, the share of wallet, the
    competitor named and the leaver's own words. The words are made once per distinct value
    (a sentence per row was about 18 s for the 79k candidates of a 10M-row client).
    """
    months = lang.int(res.settings.drop_months)
    whole = once_per_value(lambda n: lang.int(n))
    tenths: dict = {}

    def drop(actual, expected) -> str:
        key = (round(actual), _num_key(expected))
        if key not in tenths:
            tenths[key] = lang.t("winback.evidence.drop", months=months,
                                 actual=whole(key[0]), expected=lang.num(expected))
        return tenths[key]

    lost = once_per_value(lambda days: lang.t("winback.evidence.lost", days=whole(days)))
    wallet = once_per_value(lambda pair: lang.t("winback.evidence.wallet",
                                       before=lang.pct(pair[0] / 100, 0),
                                       now=lang.pct(pair[1] / 100, 0)))
    named = once_per_value(lambda name: lang.t("winback.evidence.named", name=name))
    said = once_per_value(lambda text: lang.t("winback.evidence.exit", text=_quote(text, lang)))

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


def candidates_table(res: WinbackAnalysis, lang: Lang) -> pd.DataFrame:
    """The top candidates (``winback.top``): who, the evidence, why, what to do, the value.

    Managers are left out of the client's report (a manager's name may also be a customer's
    contact person); the managers' workbooks carry them
    (:func:`playbook.winback.views_tasks.workbook_lists`).
    """
    top = res.candidates.head(res.settings.top)
    key = _value_key(res)
    return pd.DataFrame({
        "№": [lang.int(p) for p in top["priority"]],
        lang.t("winback.column.customer"): [
            str(n) if _present(n) else str(c) for n, c in zip(top["name"], top["customer_id"],
                                                              strict=True)],
        lang.t("winback.column.evidence"): evidences(top, res, lang),
        lang.t("winback.column.reason"): [lang.t(f"winback.reason.{r}") for r in top["reason"]],
        lang.t("winback.column.action"): [lang.t(f"winback.action.{a}") for a in top["action"]],
        lang.t(f"winback.column.at_stake_{key}"): [lang.money(v)
                                                   for v in top["value_at_stake"]],
        lang.t("winback.column.if_won", months=lang.int(res.settings.won_back_months)): [
            lang.money(v) for v in top["value_if_won"]],
    })


def consultant_notes(res: WinbackAnalysis, lang: Lang) -> list[str]:
    """Advice for the consultant (a cell tagged consultant-only: never in the report)."""
    notes = [lang.t("winback.consultant.tests")]
    if res.drop_error:
        notes.append(lang.t("winback.consultant.drop_error",
                            error=model_reason(res.drop_cause, res.drop_error, lang),
                            months=lang.int(res.settings.drop_months)))
    if res.profile is None:
        notes.append(lang.t("winback.consultant.no_profile"))
    elif len(res.switch) and res.switch["competitor_assumed"].any():
        notes.append(lang.t("winback.consultant.assumed",
                            n=lang.int(int(res.switch["competitor_assumed"].sum())),
                            name=Safe(lang.t("winback.consultant.first"))))
    if not res.has_exits:
        notes.append(lang.t("winback.consultant.no_exits"))
    return notes
