"""The one-page offers of the win-back section: one page for each priced top candidate.

:func:`offer_files` names them (the managers' "Win back" list links each customer to its
file), :func:`onepager_pages` builds them (:mod:`playbook.winback.onepager`) from the
analysis and the run's context, and the notebook writes them with
:func:`playbook.exports.write_offers`. Views read no files: the first purchase comes from
the run's customer summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from playbook import exports
from playbook.report.i18n import Lang
from playbook.winback import onepager
from playbook.winback.views_competitors import factor_label

if TYPE_CHECKING:
    from playbook.running.context import RunContext
    from playbook.winback.views import WinbackAnalysis

__all__ = ["offer_rows", "offer_files", "offers", "onepager_pages", "onepagers_sentence",
           "onepager_notes"]


def offer_rows(res: WinbackAnalysis) -> pd.DataFrame:
    """The priced switches that get an offer: the first ``winback.onepagers`` rows."""
    return res.switch.head(res.settings.onepagers) if len(res.switch) else res.switch


def _stem(row) -> str:
    return exports.offer_stem(row.name if isinstance(row.name, str) else None, row.customer_id)


def offer_files(res: WinbackAnalysis) -> dict[str, str]:
    """customer_id -> the offer's file relative to the run's ``exports/`` folder
    (``winback/<stem>.html``, :func:`playbook.exports.offer_stem`).
    """
    return {row.customer_id: f"{exports.OFFERS_FOLDER}/{_stem(row)}.html"
            for row in offer_rows(res).itertuples(index=False)}


def offers(res: WinbackAnalysis, run: RunContext) -> list[onepager.Offer]:
    """Each offer's data: the switch priced, the customer's first purchase, the competitor's
    lead factors and terms, and the manager's sentence.
    """
    from playbook.winback.views_tasks import talking_points

    rows = offer_rows(res)
    if rows.empty:
        return []
    summary = run.summary().set_index("customer_id")["first_purchase"]
    first = pd.to_datetime(summary, errors="coerce")
    comps = {c["name"]: c for c in res.competitors}
    us = (res.profile or {}).get("us", {}).get("terms", {})
    points = talking_points(res, run.lang)
    out = []
    for row in rows.itertuples(index=False):
        comp = comps.get(row.competitor, {})
        since = first.get(row.customer_id)
        lines = res.lines[row.customer_id]
        out.append(onepager.Offer(
            customer_id=str(row.customer_id),
            name=str(row.name) if isinstance(row.name, str) else str(row.customer_id),
            competitor=str(row.competitor), as_of=res.as_of,
            first_purchase=None if since is None or pd.isna(since) else since.date(),
            spend=float(row.spend), orders=float(row.orders), avg_order=float(row.avg_order),
            price_gap_share=float(row.price_gap_share), price_saving=float(row.price_saving),
            hidden_costs=float(row.hidden_costs), net_gain=float(row.net_gain),
            net_gain_share=float(row.net_gain_share),
            lines=[(str(k), float(g)) for k, g in zip(lines["line"], lines["gain"],
                                                       strict=True)],
            lead=[factor_label(f, run.lang) for f in comp.get("lead") or []], us=dict(us),
            them=dict(comp.get("terms") or {}),
            talking_point=points.get(row.customer_id, "")))
    return out


def onepager_pages(res: WinbackAnalysis, run: RunContext) -> dict[str, str]:
    """{file stem: the offer's HTML} for :func:`playbook.exports.write_offers`."""
    company = run.params.client.name
    allowed = res.settings.discount_allowed
    stems = [_stem(row) for row in offer_rows(res).itertuples(index=False)]
    return {stem: onepager.build(offer, run.lang, company=company, discount_allowed=allowed)
            for stem, offer in zip(stems, offers(res, run), strict=True)}


def onepagers_sentence(written: exports.OffersWritten, lang: Lang) -> str:
    """How many offers were prepared, for the report."""
    if not written.html:
        return lang.t("winback.onepagers_none")
    return lang.t("winback.onepagers", n=lang.int(len(written.html)))


def onepager_notes(written: exports.OffersWritten, lang: Lang) -> list[str]:
    """For the consultant: why the offers have no PDF, if they have none."""
    if not written.html or written.pdf_error is None:
        return []
    if written.pdf_error == "none":
        return [lang.t("winback.consultant.onepager_pdf_none")]
    return [lang.t("winback.consultant.onepager_pdf_failed", error=written.pdf_error)]
