"""The portfolio of a batch: one row per client, read from each client's results.json.

``write_portfolio(clients, out, lang)`` writes into the batch's folder, each file atomically:
``index.html`` (self-contained like the report: inline CSS, no script, no network, client
text escaped, in the consultant's language), ``portfolio.csv`` (UTF-8 with BOM, ``;``
separated, for Excel), ``portfolio.xlsx`` (text cells formula-safe) and ``portfolio.json``.
A value a client's results do not have is empty in the files and "—" on the page.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

from playbook.exports.tasks import neutralise
from playbook.report.i18n import Lang

__all__ = ["COLUMNS", "FIGURES", "figures", "portfolio_rows", "portfolio_html",
           "write_portfolio"]

#: The portfolio's columns, in order (``batch.column.<key>`` on the page).
COLUMNS = ("client", "status", "period", "customers", "revenue", "crr", "nps", "ltv",
           "at_risk", "initiative", "report")
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem;
color:#1f2933}
h1{font-size:1.5rem;margin:0 0 .25rem}p{color:#52606d;margin:0 0 1rem}
table{border-collapse:collapse;font-size:.875rem}
th,td{border-bottom:1px solid #d9e2ec;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#f0f4f8}td.n{text-align:right;white-space:nowrap}
.ok{color:#0b6e4f}.bad{color:#b42318}
"""


def _get(results: dict, *keys):
    node = results
    for key in keys:
        if isinstance(node, list):
            node = node[key] if node and isinstance(key, int) else None
        elif isinstance(node, dict):
            node = node.get(key)
        else:
            return None
        if node is None:
            return None
    return node


#: Where each figure of the portfolio is in a client's results.json.
FIGURES = {
    "period_start": ("intake", "period", "start"),
    "period_end": ("intake", "period", "end"),
    "customers": ("intake", "customers"),
    "revenue": ("intake", "revenue"),
    "crr": ("ltv", "crr", -1, "crr"),
    "nps": ("survey", "nps", "value"),
    "ltv": ("ltv", "simple", "ltv"),
    "at_risk": ("segmentation", "rfm", "at_risk_revenue"),
    "initiative": ("summary", "initiatives", 0, "title"),
}


def figures(run_dir: Path) -> dict:
    """The portfolio's figures (:data:`FIGURES`) from a run's results.json; {} without one.

    Small and plain: a cluster worker returns it with the client's outcome.
    """
    try:
        results = json.loads((run_dir / "results.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: _get(results, *path) for name, path in FIGURES.items()}


def _figures(client) -> dict:
    if not client.ok or client.run_dir is None:
        return {}
    if getattr(client, "figures", None) is not None:  # read on a cluster worker
        return client.figures
    return figures(client.run_dir)


def portfolio_rows(clients: Sequence, out: Path) -> list[dict]:
    """One plain dict per client (the portfolio.json rows); values missing are None.

    ``report`` is the path of the client's report relative to ``out``, with ``/``.
    """
    rows = []
    for client in clients:
        found = _figures(client)
        report = client.report
        rows.append({
            "client": client.name,
            "slug": client.slug,
            "status": client.status,
            "currency": client.params.client.currency if client.params else None,
            **{name: found.get(name) for name in FIGURES},
            "report": (Path(os.path.relpath(report, out)).as_posix()
                       if report is not None and report.is_file() else None),
            "reason": client.reason or None,
        })
    return rows


def _cells(row: dict, lang: Lang) -> dict[str, str]:
    """A row's cells as HTML (escaped), in ``lang``."""
    missing = lang.t("batch.missing")
    money = Lang(lang.code, row["currency"] or "RUB")

    def shown(value, fmt) -> str:
        return missing if value is None else str(fmt(value))

    period = missing
    if row["period_start"] and row["period_end"]:
        period = (f"{lang.date(row['period_start'], 'compact')} – "
                  f"{lang.date(row['period_end'], 'compact')}")
    status = lang.t("batch.status." + row["status"].replace(" ", "_"))
    css = "ok" if row["status"] in ("done", "unchanged") else "bad"
    status = f'<span class="{css}">{status}</span>'
    if row["reason"]:
        status += f"<br><small>{html.escape(row['reason'])}</small>"
    link = missing
    if row["report"]:
        link = (f'<a href="{html.escape(quote(row["report"]))}">'
                f'{lang.t("batch.open_report")}</a>')
    return {
        "client": html.escape(row["client"]),
        "status": status,
        "period": period,
        "customers": shown(row["customers"], lang.int),
        "revenue": shown(row["revenue"], money.money),
        "crr": shown(row["crr"], lambda v: lang.pct(v / 100)),
        "nps": shown(row["nps"], lambda v: lang.num(v, 0)),
        "ltv": shown(row["ltv"], money.money),
        "at_risk": shown(row["at_risk"], money.money),
        "initiative": shown(row["initiative"], html.escape),
        "report": link,
    }


def portfolio_html(rows: Sequence[dict], lang: Lang, generated: dt.date) -> str:
    """The portfolio page: one self-contained HTML document, no script, no network."""
    numeric = {"customers", "revenue", "crr", "nps", "ltv", "at_risk"}
    head = "".join(f"<th>{lang.t('batch.column.' + key)}</th>" for key in COLUMNS)
    body = []
    for row in rows:
        cells = _cells(row, lang)
        body.append("<tr>" + "".join(
            f'<td class="n">{cells[key]}</td>' if key in numeric else f"<td>{cells[key]}</td>"
            for key in COLUMNS) + "</tr>")
    ok = sum(row["status"] in ("done", "unchanged") for row in rows)
    summary = lang.t("batch.generated", date=lang.date(generated), total=len(rows), ok=ok,
                     failed=len(rows) - ok)
    return (f'<!DOCTYPE html>\n<html lang="{lang.code}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{lang.t('batch.title')}</title><style>{_CSS}</style></head><body>"
            f"<h1>{lang.t('batch.title')}</h1><p>{summary}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"</body></html>\n")


def _flat(row: dict) -> list:
    """A row for the CSV and workbook: plain values, text formula-safe."""
    values = [row["client"], row["status"], row["period_start"], row["period_end"],
              row["customers"], row["revenue"], row["currency"], row["crr"], row["nps"],
              row["ltv"], row["at_risk"], row["initiative"], row["report"], row["reason"]]
    return [neutralise(v) for v in values]


_FLAT_HEAD = ["client", "status", "period_start", "period_end", "customers", "revenue",
              "currency", "crr", "nps", "ltv", "at_risk_revenue", "top_initiative", "report",
              "reason"]


def _atomic(target: Path, data: bytes) -> None:
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    partial.replace(target)


def _csv(rows: Sequence[dict], lang: str) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(_FLAT_HEAD)
    for row in rows:
        values = _flat(row)
        if lang == "ru":  # Excel in Russian reads a decimal comma
            values = [str(v).replace(".", ",") if isinstance(v, float) else v for v in values]
        writer.writerow(["" if v is None else v for v in values])
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(rows: Sequence[dict], lang: str) -> bytes:
    import openpyxl

    from playbook.exports.workbook import xml_text

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "portfolio"
    sheet.append(_FLAT_HEAD)
    for row in rows:
        sheet.append([xml_text(v) for v in _flat(row)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_portfolio(clients: Sequence, out: Path, lang: str = "ru",
                    generated: dt.date | None = None) -> Path:
    """Write the portfolio page and files into ``out``; the page's path."""
    rows = portfolio_rows(clients, out)
    page = portfolio_html(rows, Lang(lang), generated or dt.date.today())
    _atomic(out / "portfolio.json",
            json.dumps(rows, ensure_ascii=False, indent=2, default=str).encode("utf-8"))
    _atomic(out / "portfolio.csv", _csv(rows, lang))
    _atomic(out / "portfolio.xlsx", _xlsx(rows, lang))
    _atomic(out / "index.html", page.encode("utf-8"))
    return out / "index.html"
