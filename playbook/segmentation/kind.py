"""Whom the client sells to: companies (B2B) or people (B2C).

The wording of the advice depends on it (a company plans its supplies with the manager; a
person gets a reminder). ``client.kind`` in the parameters says it; ``auto`` infers it:

- from customer names, when the data has them: a name that carries a legal form (ООО, ИП,
  АО, LLC, Ltd, GmbH...) is a company's; when at least :data:`COMPANY_SHARE` of the named
  customers are companies, the client sells to companies;
- without names, from how customers come back: when at least :data:`REPEAT_SHARE` of them
  bought on two days or more, they behave like business customers, who reorder; retail
  buyers come back less often.

Tables in, a small dict out; no I/O.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["COMPANY_SHARE", "REPEAT_SHARE", "LEGAL_FORMS", "looks_like_company", "infer_kind"]

#: Named customers that must be companies for the client to count as B2B.
COMPANY_SHARE = 0.3
#: Without names: customers who came back, from which the client counts as B2B.
REPEAT_SHARE = 0.6
#: Legal forms of companies, as written in names (Russian, CIS, English, European).
LEGAL_FORMS = ("ООО", "ОАО", "ЗАО", "ПАО", "НАО", "АО", "ИП", "ГУП", "МУП", "ФГУП", "ТОО",
               "ЧП", "НКО", "АНО", "ТД", "LLC", "L.L.C.", "LLP", "Ltd", "LTD", "Ltd.",
               "Limited", "Inc", "Inc.", "INC", "Corp", "Corp.", "PLC", "plc", "GmbH", "AG",
               "S.A.", "SA", "SAS", "SRL", "S.r.l.", "B.V.", "BV", "N.V.", "Oy", "AB", "Co.",
               "Company", "Group")
_FORM = re.compile(r"(?:^|[\s«\"'(,])(?:" + "|".join(re.escape(f) for f in sorted(
    set(LEGAL_FORMS), key=len, reverse=True)) + r")(?=$|[\s»\"'),.])")


def looks_like_company(name) -> bool:
    """Whether a customer's name carries a company's legal form (``ООО «Альфа»``, ``Acme Ltd``)."""
    return isinstance(name, str) and bool(_FORM.search(name.strip()))


def infer_kind(names: pd.Series | None, summary: pd.DataFrame, *, given: str = "auto") -> dict:
    """Customer names and the summary -> {kind, basis, share}.

    ``kind`` is ``b2b`` or ``b2c``; ``basis`` says how it was decided: ``given`` (the
    parameters), ``names`` (``share``: named customers that are companies) or ``repeat``
    (``share``: customers who bought on two days or more).
    """
    if given in ("b2b", "b2c"):
        return {"kind": given, "basis": "given", "share": None}
    named = names.dropna().astype(str) if names is not None else pd.Series([], dtype=str)
    named = named[named.str.strip() != ""]
    if len(named):
        share = float(named.map(looks_like_company).mean())
        return {"kind": "b2b" if share >= COMPANY_SHARE else "b2c", "basis": "names",
                "share": share}
    repeat = float((summary["purchase_days"] >= 2).mean()) if len(summary) else 0.0
    return {"kind": "b2b" if repeat >= REPEAT_SHARE else "b2c", "basis": "repeat",
            "share": repeat}
