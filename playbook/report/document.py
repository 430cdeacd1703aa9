"""The client's report: executed notebooks -> one self-contained ``report.html``.

The executed notebooks are joined into one, in the order they ran, and rendered with the
project's nbconvert template (``templates/report``): no code, no prompts, no stream output
or tracebacks; a cover, a table of contents, an executive summary built from
``results.json``, one section per notebook and the data-quality appendix. Images are
embedded; the page loads nothing from the network.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

from playbook.intake.views import advice, customers_figure, issues_table
from playbook.params import PROJECT_ROOT, Params
from playbook.report.i18n import Lang
from playbook.report.results import get

__all__ = ["render_report", "build_summary", "summary_section", "export_pdf", "find_chromium",
           "TEMPLATES"]

TEMPLATES = PROJECT_ROOT / "templates"
#: Cell tags whose cells never reach the report.
HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell", "consultant-only"}

SummaryBuilder = Callable[[dict, Lang], tuple[list[tuple[str, str]], list[str]]]
_SUMMARY: dict[str, SummaryBuilder] = {}
#: Modules whose summary builders register themselves when imported.
SUMMARY_MODULES = ["playbook.segmentation.views", "playbook.ltv.views",
                   "playbook.survey.views"]
#: Sections whose recommendations come after the business ones (data housekeeping).
LATE_ADVICE = {"intake"}


def summary_section(name: str):
    """Register a function that turns ``results[name]`` into key figures and recommendations."""
    def register(builder: SummaryBuilder) -> SummaryBuilder:
        _SUMMARY[name] = builder
        return builder
    return register


@summary_section("intake")
def _intake_summary(results: dict, lang: Lang):
    fig = results["intake"]
    period = lang.t("intake.period_value", start=lang.date(fig["period"]["start"], "compact"),
                    end=lang.date(fig["period"]["end"], "compact"))
    figures = [
        (lang.t("intake.period"), period),
        (lang.t("intake.customers"), customers_figure(fig, lang)),
        (lang.t("intake.transactions"), lang.int(fig["transactions"]["rows_used"])),
        (lang.t("intake.revenue"), lang.money(fig["revenue"])),
    ]
    return figures, advice(results.get("_intake_issues", []), lang)


def build_summary(results: dict, lang: Lang) -> dict:
    """Key figures and top recommendations of every section present in ``results``."""
    for module in SUMMARY_MODULES:
        importlib.import_module(module)
    figures, first, late = [], [], []
    for name, builder in _SUMMARY.items():
        if name in results:
            f, r = builder(results, lang)
            figures += f
            (late if name in LATE_ADVICE else first).extend(r)
    return {"figures": figures, "recommendations": (first + late)[:8]}


def _visible(cell) -> bool:
    return not HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", []))


def combine(notebooks: list[Path], lang: str) -> tuple[nbformat.NotebookNode, list[dict]]:
    """Join executed notebooks into one, each opening with a section marker; and the TOC."""
    combined = nbformat.v4.new_notebook()
    toc = []
    for index, path in enumerate(notebooks):
        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata.get("playbook", {})
        section_id = f"section-{meta.get('id', index)}"
        title = meta.get("title", {}).get(lang) or path.stem
        toc.append({"id": section_id, "title": title})
        marker = nbformat.v4.new_raw_cell("")
        marker.metadata["playbook_section"] = {"id": section_id, "title": title, "index": index}
        combined.cells.append(marker)
        for cell in nb.cells:
            tags = set(cell.get("metadata", {}).get("tags", []))
            other = {f"lang-{code}" for code in ("ru", "en") if code != lang}
            if _visible(cell) and not tags & other:
                combined.cells.append(cell)
    return combined, toc


def _demote(markup: str) -> str:
    """Notebook headings one level down: the report's own H1 is the cover."""
    return re.sub(r"<(/?)h([1-5])\b", lambda m: f"<{m.group(1)}h{int(m.group(2)) + 1}", markup)


def _appendix(intake: dict, lang: Lang) -> dict:
    files = []
    for f in intake.get("files", []):
        delimiter = {"\t": lang.t("report.tab"), " ": lang.t("report.space")}.get(
            f.get("delimiter"), f.get("delimiter"))
        files.append({
            "name": f["name"], "kind": f["kind"].upper(), "rows": lang.int(f["rows_read"]),
            "encoding": f.get("encoding") or "", "delimiter": delimiter or "",
            "sheet": f.get("sheet") or "", "decimal": f.get("decimal") or "",
            "date_formats": "; ".join(f.get("date_formats", {}).values()),
            "mapping": [(k, v) for k, v in f.get("mapping", {}).items()],
        })
    issues = intake.get("issues", [])
    table = issues_table(issues, lang)
    examples = {}
    for issue in issues:
        shown = ", ".join(f"{row}: {value if value is not None else '—'}"
                          for row, value in issue.get("examples", [])[:5])
        examples[lang.t(f"intake.issue.{issue['kind']}")] = shown
    rows = [dict(zip(("problem", "rows", "amount", "action"), r, strict=True))
            for r in table.itertuples(index=False)]
    for row in rows:
        row["examples"] = examples.get(row["problem"], "")
    return {"files": files, "issues": rows}


def render_report(notebooks: list[Path], results: dict, intake: dict, params: Params,
                  target: Path, *, generated: dt.date | None = None) -> Path:
    """Render the executed ``notebooks`` into ``target`` (written atomically).

    Parameters
    ----------
    notebooks
        Executed notebooks, in report order.
    results
        The run's results (``results.json`` content) for the executive summary.
    intake
        ``intake.json`` content, for the data-quality appendix.
    params
        The run's parameters (client name, language, currency).
    target
        Where to write ``report.html``.
    """
    lang = Lang(params.client.language, params.client.currency)
    combined, toc = combine(notebooks, lang.code)
    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.register_filter("demote", _demote)
    generated = generated or dt.date.today()
    summary_results = dict(results)
    summary_results["_intake_issues"] = intake.get("issues", [])
    resources = {"pb": {
        "lang": lang.code,
        "t": lang.t,
        "client": params.client.name,
        "as_of": lang.date(get(results, "intake.as_of") or generated),
        "generated": lang.date(generated),
        "toc": toc,
        "summary": build_summary(summary_results, lang),
        "appendix": _appendix(intake, lang),
    }}
    body, _ = exporter.from_notebook_node(combined, resources=resources)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(body, encoding="utf-8")
    partial.replace(target)
    return target


CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    """The system's Chromium or Chrome, used to print the report to PDF."""
    import shutil

    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def export_pdf(html_path: Path, target: Path, *, timeout: int = 180) -> Path:
    """Print ``report.html`` to PDF with headless Chromium, using the report's print styles.

    Raises
    ------
    PlaybookError
        When no Chromium is installed or printing fails; the HTML report is unaffected.
    """
    import subprocess
    import tempfile

    from playbook.errors import PlaybookError

    browser = find_chromium()
    if browser is None:
        raise PlaybookError("cannot make the PDF: no Chromium or Chrome found. Install one "
                            "(e.g. apt-get install chromium) or print report.html from a "
                            "browser; the HTML report is complete without it.")
    partial = target.with_name(target.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="playbook-pdf-") as profile:
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
                   "--no-pdf-header-footer", f"--print-to-pdf={partial}",
                   html_path.resolve().as_uri()]
        try:
            subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            partial.unlink(missing_ok=True)
            raise PlaybookError(f"cannot make the PDF: {browser} did not finish in {timeout} s; "
                                f"the HTML report is complete.") from None
    if not partial.exists() or partial.read_bytes()[:5] != b"%PDF-":
        partial.unlink(missing_ok=True)
        raise PlaybookError(f"cannot make the PDF: {browser} wrote no PDF; the HTML report is "
                            f"complete.")
    partial.replace(target)
    return target
