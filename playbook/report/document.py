"""The client's report: executed notebooks -> one self-contained ``report.html``.

The executed notebooks are joined into one, in the order they ran, and rendered with the
project's nbconvert template (``templates/report``): no code, no prompts, no stream output
or tracebacks; a cover, a table of contents, an executive summary built from
``results.json`` (the story of :mod:`playbook.report.story`, the sections' key figures), one
section per notebook, the technical appendix (cells tagged ``appendix``, moved out of their
section for the client's analyst) and the data-quality appendix. Cells tagged
``consultant-only`` never reach the report. Images are embedded; the page loads nothing from
the network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from playbook.intake.views import advice, customers_figure, issues_table
from playbook.params import PROJECT_ROOT, Params
from playbook.report import story as story_mod
from playbook.report.i18n import Lang
from playbook.report.render import relabel, use_labels
from playbook.report.results import get

if TYPE_CHECKING:
    import nbformat

__all__ = ["render_report", "build_summary", "summary_section", "summary_results",
           "export_pdf", "find_chromium", "TEMPLATES", "APPENDIX_TAG"]

TEMPLATES = PROJECT_ROOT / "templates"
#: Cell tags whose cells never reach the report.
HIDDEN_TAGS = {"parameters", "injected-parameters", "remove-cell", "consultant-only"}
#: Cells tagged so leave their section for the technical appendix, under the section's name.
APPENDIX_TAG = "appendix"

SummaryBuilder = Callable[[dict, Lang], tuple[list[tuple[str, str]], list[str]]]
_SUMMARY: dict[str, SummaryBuilder] = {}
#: Modules whose summary builders register themselves when imported.
SUMMARY_MODULES = ["playbook.segmentation.views", "playbook.ltv.views",
                   "playbook.survey.views", "playbook.winback.views",
                   "playbook.standards.views", "playbook.followup.views"]
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
    period = story_mod.period(lang, fig["period"]["start"], fig["period"]["end"])
    figures = [
        (lang.t("intake.period"), period),
        (lang.t("intake.customers"), customers_figure(fig, lang)),
        (lang.t("intake.transactions"), lang.int(fig["transactions"]["rows_used"])),
        (lang.t("intake.revenue"), lang.money_short(fig["revenue"])),
    ]
    return figures, advice(results.get("_intake_issues", []), lang)


def build_summary(results: dict, lang: Lang) -> dict:
    """Key figures (the summary's tiles) and recommendations of every section present in
    ``results``. The report's summary shows the tiles; its plan is the initiatives of
    :mod:`playbook.report.story`, which the sections' numbers (and advice) feed.
    """
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
    """Join executed notebooks into one, each opening with a section marker; and the TOC.

    Cells tagged :data:`APPENDIX_TAG` are moved, in their order, to the end: after a marker
    of the technical appendix, under a marker naming the section they came from (metadata
    ``playbook_appendix`` and ``playbook_appendix_part``; each moved cell is marked
    ``playbook_in_appendix``, with ``playbook_demote``: how far its headings go down so
    that the part's first headings are H4, under the section's name in H3).
    """
    import nbformat  # in the runner only: notebooks import this module without rendering

    combined = nbformat.v4.new_notebook()
    toc, moved = [], []
    other = {f"lang-{code}" for code in ("ru", "en") if code != lang}
    for index, path in enumerate(notebooks):
        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata.get("playbook", {})
        section_id = f"section-{meta.get('id', index)}"
        title = meta.get("title", {}).get(lang) or path.stem
        toc.append({"id": section_id, "title": title})
        marker = nbformat.v4.new_raw_cell("")
        marker.metadata["playbook_section"] = {"id": section_id, "title": title, "index": index}
        combined.cells.append(marker)
        appendix = []
        for cell in nb.cells:
            tags = set(cell.get("metadata", {}).get("tags", []))
            if not _visible(cell) or tags & other:
                continue
            (appendix if APPENDIX_TAG in tags else combined.cells).append(cell)
        if any(c.cell_type == "markdown" or c.get("outputs") for c in appendix):
            moved.append((section_id, title, appendix))  # a part with something to show
    if moved:
        marker = nbformat.v4.new_raw_cell("")
        marker.metadata["playbook_appendix"] = {"id": "appendix-technical"}
        combined.cells.append(marker)
        for section_id, title, cells in moved:
            part = nbformat.v4.new_raw_cell("")
            part.metadata["playbook_appendix_part"] = {"id": f"appendix-{section_id}",
                                                       "title": title}
            combined.cells.append(part)
            shift = max(4 - _top_heading(cells), 0)  # the part's first headings are H4
            for cell in cells:
                cell.metadata["playbook_in_appendix"] = True
                cell.metadata["playbook_demote"] = shift
                combined.cells.append(cell)
    return combined, toc


def _top_heading(cells: list) -> int:
    """The highest Markdown heading level among cells and their Markdown outputs (2 when
    there is none): ``##`` -> 2.
    """
    texts = [c.source for c in cells if c.cell_type == "markdown"]
    texts += [o.get("data", {}).get("text/markdown", "") for c in cells
              for o in c.get("outputs", [])]
    levels = [len(m) for t in texts for m in re.findall(r"^(#{1,6})\s", str(t), flags=re.M)]
    return min(levels, default=2)


def has_technical_appendix(combined: nbformat.NotebookNode) -> bool:
    """Whether :func:`combine` moved any cell to the technical appendix."""
    return any("playbook_appendix" in cell.metadata for cell in combined.cells)


def _demote(markup: str, levels: int = 1) -> str:
    """Notebook headings ``levels`` down (at most to H6): the report's own H1 is the cover,
    and in the technical appendix the section's name is a level of its own.
    """
    return re.sub(r"<(/?)h([1-6])\b",
                  lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + levels, 6)}", markup)


_DATE_PARTS = {"%d": "day", "%m": "month", "%Y": "year", "%y": "year2", "%b": "month_name",
               "%B": "month_name", "%H": "hour", "%I": "hour", "%M": "minute", "%S": "second"}
_DELIMITERS = {";": "semicolon", ",": "comma", "|": "pipe", "\t": "tab", " ": "space"}


def _dates_in_words(formats: str, lang: Lang, example: str | None = None) -> str:
    """How dates are written, in words: ``день.месяц.год`` / ``day.month.year`` (never the
    format string the playbook read them with).
    """
    if formats.strip() == "excel serial":
        words = lang.t("report.date_part.excel")
    else:
        first = formats.split(", ")[0]
        words = re.sub(r"%[A-Za-z]", lambda m: lang.t(f"report.date_part.{_DATE_PARTS[m[0]]}")
                       if m[0] in _DATE_PARTS else "", first)
        words = re.sub(r"[^\w.\-/: ,]", "", words).replace("T", " ").strip()
    if example:
        words += f" ({lang.t('report.date_example', example=example)})"
    return words


def _encoding_name(encoding: str | None, lang: Lang) -> str:
    if not encoding:
        return ""
    key = f"report.encoding_name.{encoding.lower().replace('-', '_').removesuffix('_sig')}"
    return lang.t(key) if lang.has(key) else encoding.upper()


def _appendix(intake: dict, lang: Lang) -> dict:
    """The data-quality appendix in plain words: how each file is written, the client's own
    columns used, the problems found and what was done. No mappings, parameter names or
    format strings: those are the consultant's, in the executed notebooks.
    """
    files = []
    for f in intake.get("files", []):
        delimiter = f.get("delimiter")
        name = _DELIMITERS.get(delimiter)
        if name in ("tab", "space"):
            delimiter = lang.t(f"report.{name}")
        elif name:
            delimiter = lang.t(f"report.delimiter_name.{name}")
        decimal = {",": "comma", ".": "point"}.get(f.get("decimal") or "")
        examples = {k: (v or {}).get("example") for k, v in (f.get("date_order") or {}).items()}
        dates: dict[str, str] = {}  # one line per way of writing dates, with an example
        for column, formats in (f.get("date_formats") or {}).items():
            words = _dates_in_words(formats, lang)
            if words not in dates:
                dates[words] = _dates_in_words(formats, lang, examples.get(column))
        mapping = f.get("mapping") or {}
        if "template" in mapping:  # a questionnaire: its columns are the questions
            columns = lang.t("report.questionnaire_columns", n=lang.int(len(f.get("headers", []))))
        else:
            used = {str(v) for v in mapping.values() if v}
            order = [h for h in f.get("headers") or [] if h in used]
            columns = ", ".join(order + sorted(used - set(order)))
        written = [f["kind"].upper(), _encoding_name(f.get("encoding"), lang)]
        if delimiter:
            written.append(lang.t("report.delimiter_is", name=delimiter))
        if decimal:
            written.append(lang.t("report.decimal_is",
                                  name=lang.t(f"report.decimal_name.{decimal}")))
        files.append({
            "name": f["name"], "rows": lang.int(f["rows_read"]), "sheet": f.get("sheet") or "",
            "written": ", ".join(w for w in written if w),
            "dates": "; ".join(dates.values()), "columns": columns,
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


def _survey_labels(results: dict, lang: Lang) -> dict[str, str]:
    """Survey attributes' labels in the report's language, from the questionnaire template
    the survey used (``templates/surveys/<id>.yaml``); empty when it cannot be read.
    """
    template = get(results, "survey.template")
    path = TEMPLATES / "surveys" / f"{template}.yaml"
    if not template or not re.fullmatch(r"[a-z0-9_-]+", str(template)) or not path.is_file():
        return {}
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return {}
    labels = {}
    for question in spec.get("questions") or []:
        column = question.get("column") or {}
        if question.get("id") and isinstance(column, dict) and column.get(lang.code):
            labels[question["id"]] = str(column[lang.code])
    return labels


def _story_options(results: dict, params: Params, lang: Lang) -> dict:
    """The story's options: whom the client sells to (given, else as segmentation inferred
    it), the survey's labels and the forecast horizon.
    """
    kind = getattr(params.client, "kind", None)
    if kind not in ("b2b", "b2c"):
        kind = get(results, "segmentation.client_kind.kind")
    return {"kind": kind,
            "labels": _survey_labels(results, lang),
            "horizon_months": params.ltv.horizon_months}


def _revenue_trend(data_dir: Path | None, as_of) -> dict | None:
    """Revenue of the last 12 complete months against the 12 before, from the run's
    transactions: ``{last_12m, prev_12m, change, end}`` or None (under 24 months).
    """
    import pandas as pd

    from playbook.intake.views import monthly_revenue, revenue_trend
    from playbook.periods import complete_end

    path = data_dir / "transactions.parquet" if data_dir else None
    if path is None or not path.is_file() or as_of is None:
        return None
    frame = pd.read_parquet(path, columns=["date", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    end = complete_end(as_of)
    monthly = monthly_revenue(frame[frame["date"] <= pd.Timestamp(end)])
    trend = revenue_trend(monthly)
    return None if trend is None else trend | {"end": end.isoformat()}


def summary_results(results: dict, params: Params, data_dir: Path | None = None,
                    today: dt.date | None = None) -> dict:
    """What the executive summary records in ``results.json`` under ``summary``: the report
    date, the revenue trend and the initiatives (see docs/results.md).

    Parameters
    ----------
    results
        The run's results, collected from the executed notebooks.
    params
        The run's parameters (language, currency, client kind, forecast horizon).
    data_dir
        The run's data folder (``transactions.parquet``), for the revenue trend.
    today
        The report date; default today.
    """
    lang = Lang(params.client.language, params.client.currency)
    today = today or dt.date.today()
    trend = _revenue_trend(data_dir, get(results, "intake.as_of"))
    with_trend = dict(results) | {"summary": {"trend": trend}}
    items = story_mod.initiatives(with_trend, lang, today,
                                  **_story_options(results, params, lang))
    return {"date": today.isoformat(), "trend": trend,
            "initiatives": story_mod.initiatives_json(items)}


def render_report(notebooks: list[Path], results: dict, intake: dict, params: Params,
                  target: Path, *, generated: dt.date | None = None) -> Path:
    """Render the executed ``notebooks`` into ``target`` (written atomically).

    Parameters
    ----------
    notebooks
        Executed notebooks, in report order.
    results
        The run's results (``results.json`` content) for the executive summary; its
        ``summary`` (:func:`summary_results`) gives the report date and the revenue trend.
    intake
        ``intake.json`` content, for the data-quality appendix.
    params
        The run's parameters (client name, language, currency).
    target
        Where to write ``report.html``.
    """
    from nbconvert import HTMLExporter  # in the runner only: a kernel imports no nbconvert

    lang = Lang(params.client.language, params.client.currency)
    combined, toc = combine(notebooks, lang.code)
    exporter = HTMLExporter(template_name="report", extra_template_basedirs=[str(TEMPLATES)],
                            exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    exporter.register_filter("demote", _demote)
    recorded = get(results, "summary.date")
    generated = generated or (dt.date.fromisoformat(recorded) if recorded else dt.date.today())
    with_issues = dict(results)
    with_issues["_intake_issues"] = intake.get("issues", [])
    use_labels(params.labels.model_dump())  # the summary shows client values as the sections do
    resources = {"pb": {
        "lang": lang.code,
        "t": lang.t,
        "date": lang.date,
        "client": params.client.name,
        "as_of": lang.date(get(results, "intake.as_of") or generated),
        "generated": lang.date(generated),
        "toc": toc,
        "technical": has_technical_appendix(combined),
        "summary": _relabelled(build_summary(with_issues, lang)),
        "story": _relabelled(story_mod.story(results, lang, generated,
                                             **_story_options(results, params, lang))),
        "appendix": _appendix(intake, lang),
    }}
    body, _ = exporter.from_notebook_node(combined, resources=resources)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.write_text(body, encoding="utf-8")
    partial.replace(target)
    return target


def _relabelled(value):
    """``value`` (the summary's or the story's sentences, in dicts, lists and dataclasses) with
    client values shown by their display labels (the parameters' ``labels:``).
    """
    if isinstance(value, str):
        return relabel(value, escaped=True)
    if isinstance(value, dict):
        return {key: _relabelled(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_relabelled(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _relabelled(getattr(value, f.name))
                                             for f in dataclasses.fields(value)
                                             if f.init and f.name != "id"})
    return value


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

    The page layout is the stylesheet's (``templates/report/report.css``): A4, a footer with
    the client's name, the report's date and "page / pages" on every page (CSS page margin
    boxes, so Chromium's own header and footer are switched off), headings kept with what
    follows. The PDF is tagged and its bookmarks are the report's headings.

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
                   "--no-pdf-header-footer", "--generate-pdf-document-outline",
                   f"--print-to-pdf={partial}",
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
