"""The client's standards document: one self-contained HTML page (and a PDF printed from
it), from the catalog adapted in the parameters.

``standards_document(params)`` returns the page; ``playbook standards-doc PARAMS`` writes
it. Every text from the catalog or the parameters is escaped.
"""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd

from playbook.report.i18n import Lang
from playbook.standards.catalog import catalog
from playbook.standards.rollout import plan
from playbook.standards.settings import AREAS

__all__ = ["standards_document", "plan_display", "CSS"]

CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: #1a1a1a;
       max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.2rem; margin-top: 1.8rem; border-bottom: 1px solid #ccc;
     break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; font-size: .92rem; }
th, td { border-bottom: 1px solid #ddd; padding: .35rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f2f5f9; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr { break-inside: avoid; }
.note { color: #555; font-size: .85rem; }
.tag { color: #0072B2; font-size: .8rem; }
"""


def _e(text) -> str:
    return html.escape(str(text))


def _area_table(rows: pd.DataFrame, lang: Lang, start: int) -> str:
    head = "".join(f"<th{' class=num' if k in ('target', 'weight', 'no') else ''}>"
                   f"{(lang.t('standards.doc.col_' + k))}</th>"
                   for k in ("no", "standard", "stage", "how", "target", "weight"))
    body = []
    for i, row in enumerate(rows.itertuples(index=False), start=start):
        tag = {"changed": lang.t("standards.doc.changed"),
               "client": lang.t("standards.doc.own")}.get(row.origin)
        wording = _e(getattr(row, f"wording_{lang.code}"))
        if tag:
            wording += f' <span class="tag">({tag})</span>'
        body.append(
            f"<tr><td class=num>{i}</td><td>{wording}</td>"
            f"<td>{(lang.t('standards.stage.' + row.stage))}</td>"
            f"<td>{_e(getattr(row, f'how_{lang.code}'))}</td>"
            f"<td class=num>{(lang.pct(row.target, 0))}</td>"
            f"<td class=num>{(lang.int(row.weight))}</td></tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def plan_display(rollout, lang: Lang) -> pd.DataFrame:
    """The rollout plan as the reader sees it: wave, branches, stage, from, to (text)."""
    stages = plan(rollout)
    rows = []
    for row in stages.itertuples(index=False):
        who = (lang.t("standards.plan.everyone") if row.wave == -1 else
               lang.t("standards.plan.pilot") if row.wave == 0 else
               lang.t("standards.plan.wave", n=lang.int(row.wave)))
        branches = ", ".join(row.branches) or lang.t("standards.plan.whole_company")
        rows.append({lang.t("standards.plan.col_wave"): who,
                     lang.t("standards.plan.col_branches"): branches,
                     lang.t("standards.plan.col_stage"): lang.t(f"standards.plan.{row.stage}"),
                     lang.t("standards.plan.col_start"): lang.date(row.start, "compact"),
                     lang.t("standards.plan.col_end"): lang.date(row.end, "compact")})
    return pd.DataFrame(rows)


def standards_document(params, *, today: dt.date | None = None) -> str:
    """The client's standards document as one HTML page, in the client's language.

    Parameters
    ----------
    params
        The run's parameters (:class:`playbook.params.Params`): client name, language and
        the ``standards:`` section.
    today
        The document's date; default today.
    """
    lang = Lang(params.client.language, params.client.currency)
    table = catalog(params.standards)
    t = lang.t
    date = lang.date(today or dt.date.today())
    count = t("standards.doc.count", n=lang.int(len(table)),
              areas=lang.int(table["area"].nunique()))
    parts = [f"<h1>{t('standards.doc.title', client=params.client.name)}</h1>",
             f"<p class=note>{t('standards.doc.generated', date=date)}</p>",
             f"<p>{t('standards.doc.intro')}</p>", f"<p>{count}</p>",
             f"<h2>{t('standards.doc.stages_title')}</h2>",
             f"<p>{t('standards.doc.stages')}</p>"]
    number = 1
    for area in AREAS:
        rows = table[table["area"] == area]
        if rows.empty:
            continue
        parts.append(f"<h2>{(t('standards.area.' + area))}</h2>")
        parts.append(_area_table(rows, lang, number))
        number += len(rows)
    parts += [f"<h2>{(t('standards.doc.control_title'))}</h2>",
              f"<p>{(t('standards.doc.control'))}</p>"]
    shown = plan_display(params.standards.rollout, lang)
    if not shown.empty:  # headings are locale text (safe); branches come from the client
        head = "".join(f"<th>{c}</th>" for c in shown.columns)
        body = "".join("<tr>" + "".join(f"<td>{_e(v)}</td>" for v in r) + "</tr>"
                       for r in shown.itertuples(index=False))
        parts += [f"<h2>{(t('standards.doc.plan_title'))}</h2>",
                  f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"]
    title = (t("standards.doc.title", client=params.client.name))
    return (f'<!DOCTYPE html><html lang="{lang.code}"><head><meta charset="utf-8">'
            f"<title>{title}</title><style>{CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")
