"""The one-page offer to a customer who left: HTML text from an :class:`Offer` and a language.

One page for each priced top candidate (the rows of the analysis' ``switch``): what the
customer bought from us and for how long, the total cost of switching in its own numbers
(the price saving against each hidden cost, :mod:`playbook.winback.tco`), what it really
saves, where we are stronger than that competitor (the lead factors,
:mod:`playbook.winback.swot`), a counter-offer from levers other than price (payment terms,
delivery schedule, service; a discount only when the parameters allow one) and, for the
manager only, what to say on the call.

The page is self-contained: inline CSS, system fonts, no script, image or link to fetch, so
it opens offline and prints on one A4 page. The manager's box is left out of print, so the
printed page and its PDF are the customer's. Every value from the client's data is escaped
(through :meth:`Lang.t` or :func:`html.escape`). Pure: no I/O; the file is written by
:func:`playbook.exports.write_offers`.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from playbook.report.i18n import Lang

__all__ = ["Offer", "levers", "discount_share", "build"]


@dataclass
class Offer:
    """One customer's offer: its history with us, the priced switch and what to offer."""

    customer_id: str
    name: str
    competitor: str
    as_of: dt.date
    first_purchase: dt.date | None
    spend: float  # a year with us, at our prices
    orders: float  # a year
    avg_order: float
    price_gap_share: float
    price_saving: float
    hidden_costs: float
    net_gain: float
    net_gain_share: float
    #: (line key of :data:`playbook.winback.tco.LINES`, gain a year), the price line first
    lines: list[tuple[str, float]] = field(default_factory=list)
    #: the factors where we lead that competitor, strongest first
    lead: list[str] = field(default_factory=list)
    #: our terms and the competitor's (:data:`playbook.winback.profile.TERMS`)
    us: Mapping = field(default_factory=dict)
    them: Mapping = field(default_factory=dict)
    #: the manager's sentence for the call (already escaped HTML, from Lang.t)
    talking_point: str = ""


def _known(terms: Mapping, key: str):
    value = terms.get(key)
    return None if value is None else float(value)


def levers(us: Mapping, them: Mapping) -> list[tuple[str, dict]]:
    """The counter-offer's levers other than price, as (key, values): payment terms when we
    defer longer, the delivery schedule (our lead time, on-time share), and service (a named
    manager, our answer time); the last two always, with the numbers the profile gives.
    """
    out: list[tuple[str, dict]] = []
    ours, theirs = _known(us, "deferral_days"), _known(them, "deferral_days")
    if ours is not None and ours > (theirs or 0):
        out.append(("payment", {"days": ours, "them": theirs or 0.0}))
    lead, on_time = _known(us, "lead_time_days"), _known(us, "on_time_share")
    out.append(("delivery", {"days": lead, "on_time": on_time}))
    out.append(("service", {"hours": _known(us, "response_hours")}))
    return out


def discount_share(offer: Offer) -> float | None:
    """The discount that leaves the switch with no real gain (net gain / spend, rounded up to
    half a percent), or None when switching already gains the customer nothing.
    """
    if offer.spend <= 0 or offer.net_gain <= 0:
        return None
    return math.ceil(offer.net_gain / offer.spend * 200) / 200


_CSS = """
@page { size: A4; margin: 12mm 14mm; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 182mm; padding: 6mm 0; color: #1f2933;
       font: 10pt/1.4 "Segoe UI", "PT Sans", "DejaVu Sans", Arial, sans-serif; }
header { border-bottom: 3px solid #0072B2; padding-bottom: 2mm; margin-bottom: 4mm; }
header .from { color: #616e7c; margin: 0; font-size: 9pt; }
h1 { font-size: 17pt; margin: 1mm 0 0; line-height: 1.2; }
h2 { font-size: 11.5pt; margin: 5mm 0 1.5mm; color: #0072B2; }
p { margin: 1mm 0; }
.tiles { display: flex; gap: 3mm; margin: 0; padding: 0; }
.tiles div { flex: 1; background: #f3f6f9; border-radius: 4px; padding: 2mm 3mm; }
.tiles dt { color: #616e7c; font-size: 8.5pt; }
.tiles dd { margin: 0; font-size: 11pt; font-weight: 600; white-space: nowrap; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #d9dee4; padding: 1mm 2mm; text-align: left; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: 700; border-top: 2px solid #1f2933; border-bottom: 0; }
.key { border-left: 4px solid #0072B2; background: #f3f6f9; padding: 2mm 3mm; margin: 2mm 0; }
ul { margin: 1mm 0; padding-left: 6mm; }
li { margin: .5mm 0; }
.manager { margin-top: 5mm; border: 1px dashed #E69F00; padding: 2mm 3mm; font-size: 9pt; }
.manager h2 { margin-top: 0; color: #8a5a00; }
footer { margin-top: 4mm; color: #616e7c; font-size: 8pt; }
@media print { .manager { display: none; } body { padding: 0; } }
"""


def _gain(value: float, lang: Lang) -> str:
    shown = lang.money(value if abs(value) >= 0.5 else 0.0)
    return f"+{shown}" if value >= 0.5 else shown


def _years(offer: Offer) -> float | None:
    if offer.first_purchase is None:
        return None
    return max((offer.as_of - offer.first_purchase).days / 365.25, 0.0)


def _history(offer: Offer, lang: Lang) -> str:
    key = "winback.onepager"
    tiles = []
    if offer.first_purchase is not None:
        tiles.append((lang.t(f"{key}.since"), lang.date(offer.first_purchase, "compact")))
        years = lang.num(_years(offer), 1)
        tiles.append((lang.t(f"{key}.years"), lang.t(f"{key}.years_value", years=years)))
    tiles += [(lang.t(f"{key}.spend"), lang.money(offer.spend)),
              (lang.t(f"{key}.orders"), lang.num(offer.orders, 0)),
              (lang.t(f"{key}.avg_order"), lang.money(offer.avg_order))]
    cells = "".join(f"<div><dt>{k}</dt><dd>{v}</dd></div>" for k, v in tiles)
    return f"<dl class=\"tiles\">{cells}</dl>"


def _lines(offer: Offer, lang: Lang) -> str:
    key = "winback.onepager"
    rows = []
    for line, gain in offer.lines:
        if line != "price" and abs(gain) < 0.5:
            continue  # a cost the profile does not give, or no difference: not worth a row
        rows.append(f"<tr><td>{lang.t(f'winback.line.{line}')}</td>"
                    f"<td class=\"num\">{_gain(gain, lang)}</td></tr>")
    total = (f"<tr class=\"total\"><td>{lang.t(f'{key}.net_gain')}</td>"
             f"<td class=\"num\">{_gain(offer.net_gain, lang)}</td></tr>")
    head = (f"<tr><th>{lang.t('winback.column.line')}</th>"
            f"<th class=\"num\">{lang.t(f'{key}.gain_column')}</th></tr>")
    return f"<table><thead>{head}</thead><tbody>{''.join(rows)}{total}</tbody></table>"


def _lever(name: str, values: dict, lang: Lang, competitor: str) -> str:
    key = f"winback.onepager.lever.{name}"
    if name == "payment":
        none = "_none" if values["them"] == 0 else ""
        return lang.t(key + none, days=lang.num(values["days"], 0),
                      them=lang.num(values["them"], 0), competitor=competitor)
    if name == "delivery":
        parts = [lang.t(key)]
        if values["days"] is not None:
            parts.append(lang.t(f"{key}_days", days=lang.num(values["days"], 0)))
        if values["on_time"] is not None:
            parts.append(lang.t(f"{key}_on_time", share=lang.pct(values["on_time"], 0)))
        return " ".join(parts)
    text = lang.t(key)
    if values["hours"] is not None:
        text += " " + lang.t(f"{key}_hours", hours=lang.num(values["hours"], 0))
    return text


def _items(texts: Sequence[str]) -> str:
    return "<ul>" + "".join(f"<li>{t}</li>" for t in texts) + "</ul>"


def build(offer: Offer, lang: Lang, *, company: str, discount_allowed: bool = False) -> str:
    """The offer's page: a whole HTML document in ``lang``, from ``company`` (the client).

    The discount line appears only when ``discount_allowed`` and switching would still gain
    the customer something (:func:`discount_share`).
    """
    key = "winback.onepager"
    name, comp = str(offer.name), str(offer.competitor)
    real = "real_gain" if offer.net_gain > 0 else "real_loss"
    saves = lang.t(f"{key}.{real}", competitor=comp, gap=lang.pct(offer.price_gap_share, 0),
                   saving=lang.money(offer.price_saving), hidden=lang.money(offer.hidden_costs),
                   net=lang.money(abs(offer.net_gain)),
                   share=lang.pct(abs(offer.net_gain_share), 1))
    strengths = ([lang.t(f"{key}.lead_item", factor=str(f)) for f in offer.lead]
                 or [lang.t(f"{key}.lead_none")])
    offer_items = [_lever(n, v, lang, comp) for n, v in levers(offer.us, offer.them)]
    share = discount_share(offer) if discount_allowed else None
    if share is not None:
        offer_items.append(lang.t(f"{key}.discount", share=lang.pct(share, 1),
                                  competitor=comp))
    manager = ""
    if offer.talking_point:
        manager = (f"<aside class=\"manager\"><h2>{lang.t(f'{key}.manager')}</h2>"
                   f"<p>{offer.talking_point}</p></aside>")
    title = lang.t(f"{key}.title", name=name)
    body = "".join([
        f"<header><p class=\"from\">{html.escape(company)} · {lang.date(offer.as_of)}</p>",
        f"<h1>{title}</h1></header>",
        f"<h2>{lang.t(f'{key}.history', company=company)}</h2>", _history(offer, lang),
        f"<h2>{lang.t(f'{key}.compare', competitor=comp)}</h2>", _lines(offer, lang),
        f"<h2>{lang.t(f'{key}.saves')}</h2><p class=\"key\">{saves}</p>",
        f"<h2>{lang.t(f'{key}.strengths', competitor=comp)}</h2>", _items(strengths),
        f"<h2>{lang.t(f'{key}.offer')}</h2>", _items(offer_items),
        f"<footer>{lang.t(f'{key}.footer')}</footer>", manager])
    return (f"<!DOCTYPE html>\n<html lang=\"{lang.code}\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{title}</title><style>{_CSS}</style></head>"
            f"<body>{body}</body></html>\n")
