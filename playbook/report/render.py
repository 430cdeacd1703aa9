r"""Showing things in a notebook the way the report prints them.

Notebooks call :func:`show` for sentences, :func:`table` for tables and :func:`figure` for
charts. Everything is emitted as HTML or SVG so the executed notebook *is* the report's
content: the nbconvert template in ``templates/report`` only drops the code around it.
Text from client data is escaped here (tables) or in :mod:`playbook.report.i18n` (sentences).
In charts it is plain text: every text of a figure from :func:`new_figure` (titles, labels,
tick labels, annotations, legends) is drawn as written, so a customer named ``$x^2$`` is not
typeset as mathematics and an unbalanced ``$\frac{`` in a survey answer cannot break it.

Charts are vector: an SVG whose texts stay text, in the font the chart was measured with
(:data:`FONTS`, DejaVu Sans first: it covers Cyrillic and is what matplotlib lays out with),
so they are crisp on screen, on paper and in the PDF, and searchable. Before a chart is
saved, an axis label longer than its axis is wrapped onto more lines, the saved picture
takes in every text (nothing is cut off), and a heatmap drawn as an image becomes vector
cells that show their values.

Client values (segments, categories, channels, branches) are shown as written in the data,
or by the display labels of the parameters' ``labels:`` section (:func:`use_labels`).
"""

from __future__ import annotations

import hashlib
import html
import io
import math
import re
import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.text import Text
from matplotlib.ticker import Formatter

__all__ = ["show", "table", "figure", "new_figure", "plain_text", "PlainFigure", "PALETTE",
           "PLAIN_TEXT", "FONTS", "label_cells", "use_labels", "relabel"]

#: A colour-blind-safe palette (Okabe & Ito).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
           "#000000"]
#: The charts' font stack. Matplotlib measures text in the first (it ships DejaVu Sans); a
#: reader without it gets the next: Verdana has nearly DejaVu's widths, so nothing overflows.
FONTS = ["DejaVu Sans", "Verdana", "Bitstream Vera Sans", "Arial"]


class _Html:
    def __init__(self, markup: str):
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        """The text without markup: what a terminal, or a diff of the notebook, shows."""
        cells = re.sub(r"</t[dh]>", " | ", self.markup)
        text = re.sub(r"<[^>]+>", " ", re.sub(r"</(p|tr|caption)>", "\n", cells))
        lines = (" ".join(line.split()) for line in html.unescape(text).splitlines())
        return "\n".join(line for line in lines if line)


# --- display labels of client values ------------------------------------------------------

_LABELS: dict[str, str] = {}
_LABELS_RE: list[re.Pattern | None] = [None, None]  # over raw text, over escaped HTML


def use_labels(labels: Mapping[str, Mapping[str, str]] | None) -> None:
    """Show client values by the display labels given, from now on in this process.

    ``labels`` is the parameters' ``labels:`` section, ``{kind: {value in the data: label}}``
    with kinds ``segment``, ``category``, ``channel``, ``branch`` (``open_run`` calls this).
    A value is replaced wherever it stands as a whole word: in table cells and headings,
    sentences and every text of a chart. ``None`` or empty: values are shown as in the data.
    """
    flat = {str(k): str(v) for kind in (labels or {}).values() for k, v in kind.items() if k}
    _LABELS.clear()
    _LABELS.update(flat)
    if not flat:
        _LABELS_RE[:] = [None, None]
        return
    keys = sorted(flat, key=len, reverse=True)  # "Крупный опт" before "Крупный"

    def words(texts, before: str = "") -> re.Pattern:
        return re.compile(before + r"(?<!\w)(?:" + "|".join(map(re.escape, texts)) + r")(?!\w)")
    # in HTML a tag is matched first, and kept: a label never lands inside markup
    _LABELS_RE[:] = [words(keys), words((html.escape(k) for k in keys), r"<[^>]*>|")]


def relabel(text, *, escaped: bool = False):
    """``text`` with every client value that has a display label replaced by the label.

    ``escaped``: ``text`` is HTML already (a sentence from :class:`~playbook.report.i18n.Lang`),
    and the label is put in escaped. Anything but a string is returned as it is.
    """
    pattern = _LABELS_RE[1 if escaped else 0]
    if pattern is None or not isinstance(text, str) or not text:
        return text
    if escaped:
        by_escaped = {html.escape(k): html.escape(v) for k, v in _LABELS.items()}
        return pattern.sub(lambda m: by_escaped.get(m.group(0), m.group(0)), text)
    return pattern.sub(lambda m: _LABELS[m.group(0)], text)


# --- sentences and tables -------------------------------------------------------------------

def show(*paragraphs: str, kind: str = "text") -> _Html:
    """Sentences for the reader (already escaped by :class:`playbook.report.i18n.Lang`), as HTML.

    ``kind`` is ``text``, ``note`` (a muted aside) or ``key`` (a highlighted conclusion).
    """
    body = "".join(f"<p>{relabel(p, escaped=True)}</p>" for p in paragraphs if p)
    return _Html(f'<div class="pb-{kind}">{body}</div>')


#: A table of at most this many rows, and this many printed lines, is kept on one page when
#: printed; a taller one may break between rows (its header repeats), so that it never leaves
#: half a page empty before it.
KEEP_ROWS = 12
KEEP_LINES = 20
#: About how many characters of table text one printed line of the text column holds.
LINE_CHARS = 90
#: A word this long (an e-mail, a code, a file name) may be broken anywhere to fit.
LONG_WORD = 24


def table(frame: pd.DataFrame, formats: Mapping[str, Callable] | None = None, *,
          caption: str | None = None, index: bool = False) -> _Html:
    """A table as escaped HTML, with columns formatted by ``formats`` ({column: function}).

    Formatting functions return display strings (e.g. ``lang.money``); other cells are shown
    as text. Every cell is HTML-escaped, so a customer named ``<script>`` stays text. Columns
    of numbers are right-aligned, their headings too. A table without rows shows nothing.
    """
    formats = dict(formats or {})
    shown = frame.reset_index() if index else frame
    if shown.empty:  # a header over nothing tells the reader nothing; the text says why
        return _Html("")
    numeric = {c for c in shown.columns if c in formats
               or pd.api.types.is_numeric_dtype(shown[c]) or _looks_numeric(shown[c])}
    align = {c: ' class="num"' if c in numeric else "" for c in shown.columns}
    head = "".join(f"<th{align[c]}>{html.escape(str(relabel(str(c))))}</th>"
                   for c in shown.columns)
    rows, lines = [], 0
    for values in shown.itertuples(index=False):
        cells, chars = [], 0
        for col, value in zip(shown.columns, values, strict=True):
            text = "" if _missing(value) else (formats[col](value) if col in formats else value)
            text = str(relabel(str(text)))
            kind = align[col] or (' class="long"' if _has_long_word(text) else "")
            cells.append(f"<td{kind}>{html.escape(text)}</td>")
            chars += len(text)
        rows.append("<tr>" + "".join(cells) + "</tr>")
        lines += -(-chars // LINE_CHARS) or 1
    cap = f"<caption>{html.escape(relabel(caption))}</caption>" if caption else ""
    keep = " pb-keep" if len(shown) <= KEEP_ROWS and lines <= KEEP_LINES else ""
    return _Html(f'<table class="pb-table{keep}">{cap}<thead><tr>{head}</tr></thead>'
                 f'<tbody>{"".join(rows)}</tbody></table>')


_NUMBER = r"[-−+]?\d[\d\s.,]*"
#: A formatted number: an optional sign or bound, a currency, a range (``5,5 … 7,2``) and a
#: unit (``%``, ``₽``, ``п. п.``, ``pp``, ``RUB``, ``k``/``m``/``млн``...).
_NUMERIC = re.compile(
    r"[<>≤≥≈±~]?\s*(?:[A-Z]{3}\s?|[£$€])?" + _NUMBER
    + r"(?:\s*(?:…|–|—|\.\.\.)\s*" + _NUMBER + r")?"
    + r"\s*(?:%|₽|¤|[£$€]|п\.\s?п\.|pp|[A-Z]{3}|k|m|bn|тыс\.|млн|млрд)?\s*(?:₽|[A-Z]{3})?")
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}|\d{4}-\d{2}")


def _looks_numeric(column: pd.Series) -> bool:
    """Whether a column of display strings holds formatted numbers (right-aligned)."""
    values = [str(v).replace("\u00a0", " ").replace("\u202f", " ").strip()
              for v in column if not _missing(v) and str(v).strip() not in ("", "—", "-")]
    return bool(values) and all(_NUMERIC.fullmatch(v) and not _DATE.search(v)
                                for v in values)


def _has_long_word(text: str) -> bool:
    return any(len(word) > LONG_WORD for word in text.split())


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --- charts ----------------------------------------------------------------------------------

#: Text settings of every chart: client text is drawn as written (no mathtext, no TeX).
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}
#: How a chart is saved: texts as text, in :data:`FONTS`, ids the same on every run.
SVG = {"svg.fonttype": "none", "svg.hashsalt": "playbook", "font.family": "sans-serif",
       "font.sans-serif": FONTS}


@contextmanager
def plain_text(fig: Figure) -> Iterator[None]:
    """Draw ``fig`` with every text as written: no mathtext ``$...$``, no TeX.

    Texts already in the figure are switched over; texts matplotlib makes while drawing
    (tick labels, above all) are made under :data:`PLAIN_TEXT`.
    """
    with mpl.rc_context(PLAIN_TEXT):
        for text in fig.findobj(Text):
            text.set_parse_math(False)
            text.set_usetex(False)
        yield


class PlainFigure(Figure):
    """A figure whose texts are plain text whenever it is drawn or measured.

    Matplotlib reads a text's ``parse_math`` when it lays the text out, at drawing time;
    views add titles, labels and annotations after :func:`new_figure`, so the switch is
    made there rather than when the figure is created. So no chart can use mathtext on
    purpose (a log axis's ``10^2`` tick labels would show their ``$``): write such labels
    with a formatter. One rule is matplotlib's own and stays: a series whose label starts
    with ``_`` is left out of the legend, so client text goes to tick labels and
    annotations, never to series labels.
    """

    def draw(self, renderer):  # noqa: D102
        with plain_text(self):
            super().draw(renderer)

    def get_tightbbox(self, renderer=None, *args, **kwargs):  # noqa: D102
        with plain_text(self):
            return super().get_tightbbox(renderer, *args, **kwargs)


def new_figure(width: float = 8, height: float = 3.6) -> tuple[Figure, object]:
    r"""A figure and axes in the house style, not tied to pyplot's global state.

    The figure is a :class:`PlainFigure`: text from client data in its title, labels, tick
    labels and annotations is drawn literally (``$x$``, ``$\frac{1}{2}$``, ``_nolegend_``
    stay as written).
    """
    with mpl.rc_context({**PLAIN_TEXT, **SVG}):
        fig = PlainFigure(figsize=(width, height), dpi=110, layout="constrained")
        ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_prop_cycle(color=PALETTE)
    return fig, ax


class _Svg:
    """A chart as SVG markup, shown inline by the report and as a picture in JupyterLab."""

    def __init__(self, svg: str, alt: str):
        self.svg, self.alt = svg, alt

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/svg+xml": self.svg, "text/plain": self.alt}, {}

    def __repr__(self) -> str:
        return self.alt


def figure(fig: Figure, alt: str) -> _Svg:
    """A figure as SVG with alternative text (what the chart shows, in words).

    Any figure, from :func:`new_figure` or not, is drawn with its texts as plain text. Long
    axis labels are wrapped, heatmaps become labelled vector cells, display labels are
    applied (:func:`use_labels`), and the picture takes in every text.
    """
    _vector_heatmaps(fig)
    _relabel_figure(fig)
    _wrap_axis_labels(fig)
    buffer = io.StringIO()
    with plain_text(fig), mpl.rc_context(SVG):
        fig.savefig(buffer, format="svg", bbox_inches="tight", pad_inches=0.04,
                    metadata={"Date": None})
    return _Svg(_inline_svg(buffer.getvalue(), alt), alt)


def _renderer(fig: Figure):
    """A renderer to measure ``fig``'s texts with, after laying it out."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    with plain_text(fig), mpl.rc_context(SVG):
        fig.draw_without_rendering()
    return fig.canvas.get_renderer()


def _wrap_axis_labels(fig: Figure) -> None:
    """Wrap every axis label longer than its axis onto as many lines as it needs."""
    renderer = None
    for ax in fig.axes:
        for label, along in ((ax.xaxis.label, 0), (ax.yaxis.label, 1)):
            text = label.get_text()
            if not text or "\n" in text:
                continue
            renderer = renderer or _renderer(fig)
            room = (ax.get_window_extent(renderer).width, ax.get_window_extent(renderer).height)
            extent = label.get_window_extent(renderer)
            length = (extent.width, extent.height)[along]
            if length > room[along] * 1.02 and room[along] > 0:
                label.set_text(_balanced(text, math.ceil(length / room[along] / 0.95)))


def _balanced(text: str, lines: int) -> str:
    """``text`` wrapped onto at most ``lines`` lines of about equal length (at spaces)."""
    for width in range(max(1, math.ceil(len(text) / lines)), len(text) + 1):
        wrapped = textwrap.wrap(text, width)
        if len(wrapped) <= lines:
            return "\n".join(wrapped)
    return text


def _luminance(rgba) -> float:
    r, g, b = rgba[:3]
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def label_cells(mesh, formatter: Callable | None = None) -> None:
    """Write each cell's value into a heatmap (a ``pcolormesh``): dark text on light cells,
    white on dark, in ``formatter(value, position)`` (by default two significant digits).
    Cells too small to hold a readable figure are left to the colour bar.
    """
    formatter = formatter or (lambda v, _: f"{v:.2g}")
    ax, fig = mesh.axes, mesh.figure
    values = np.ma.masked_invalid(np.ma.asarray(mesh.get_array(), dtype=float))
    corners = mesh.get_coordinates()
    centres = (corners[:-1, :-1] + corners[1:, 1:] + corners[:-1, 1:] + corners[1:, :-1]) / 4
    texts = [[None if v is np.ma.masked else str(formatter(float(v), None)) for v in row]
             for row in values]
    box = ax.get_window_extent(_renderer(fig))
    rows, cols = values.shape
    points = 72 / fig.dpi
    cell_w, cell_h = box.width / cols * points, box.height / rows * points
    longest = max((len(t) for row in texts for t in row if t), default=1)
    size = min(8.0, cell_h * 0.62, cell_w / (0.62 * longest))
    if size < 4.5:
        return
    colours = mesh.to_rgba(values)
    for i in range(rows):
        for j in range(cols):
            if texts[i][j] is not None:
                dark = _luminance(colours[i, j]) < 0.5
                ax.text(*centres[i, j], texts[i][j], ha="center", va="center", fontsize=size,
                        color="white" if dark else "#1f2933", clip_on=True)


def _vector_heatmaps(fig: Figure) -> None:
    """Redraw every heatmap drawn as an image (``imshow``) as vector cells.

    An image is a bitmap in the SVG: blurred when enlarged or printed. Its cells are redrawn
    as shapes; a heatmap with no text over it gets each cell's value written in (colour alone
    cannot be read to the per cent, nor in black and white), formatted by its colour bar.
    """
    for ax in fig.axes:
        for image in [a for a in ax.get_children() if isinstance(a, AxesImage)]:
            values = image.get_array()
            if values is None or values.ndim != 2:
                continue  # a photograph or RGB picture stays a picture
            left, right, bottom, top = image.get_extent()
            rows, cols = values.shape
            upper = image.origin == "upper"
            xs = np.linspace(left, right, cols + 1)
            ys = np.linspace(top, bottom, rows + 1) if upper else np.linspace(bottom, top,
                                                                               rows + 1)
            limits, labelled = (ax.get_xlim(), ax.get_ylim()), bool(ax.texts)
            mesh = ax.pcolormesh(xs, ys, np.ma.masked_invalid(values), cmap=image.get_cmap(),
                                 norm=image.norm, zorder=image.get_zorder(), shading="flat",
                                 edgecolors="face", linewidth=0.2)
            colorbar = image.colorbar
            image.remove()
            ax.set_xlim(*limits[0])
            ax.set_ylim(*limits[1])
            if not labelled:
                label_cells(mesh, colorbar.formatter if colorbar is not None else None)


class _Relabelled(Formatter):
    """A tick formatter whose labels go through :func:`relabel`."""

    def __init__(self, inner: Formatter):
        self.inner = inner

    def __call__(self, x, pos=None):
        return relabel(self.inner(x, pos))

    def format_ticks(self, values):  # noqa: D102
        return [relabel(t) for t in self.inner.format_ticks(values)]

    def set_locs(self, locs):  # noqa: D102
        self.inner.set_locs(locs)

    def get_offset(self):  # noqa: D102
        return self.inner.get_offset()

    def set_axis(self, axis):  # noqa: D102
        super().set_axis(axis)
        self.inner.set_axis(axis)


def _relabel_figure(fig: Figure) -> None:
    """Client values in the chart's texts and tick labels shown by their display labels."""
    if not _LABELS:
        return
    for text in fig.findobj(Text):
        text.set_text(relabel(text.get_text()))
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if not isinstance(formatter, _Relabelled):
                axis.set_major_formatter(_Relabelled(formatter))


_ID = re.compile(r'\bid="([^"]+)"')
#: A chart higher than this (inches) is "tall", a heatmap of many rows: printed larger than
#: others (templates/report/report.css), or its labels would be too small to read.
TALL = 5.5


def _inline_svg(svg: str, alt: str) -> str:
    """Matplotlib's SVG file as markup for an HTML page: no XML prolog or metadata, ids
    unique to this chart, its one style rule kept to it, and the chart's text alternative.
    """
    svg = re.sub(r"^.*?(?=<svg\b)", "", svg, flags=re.S)
    svg = re.sub(r"\s*<metadata>.*?</metadata>", "", svg, flags=re.S)
    prefix = "pbc-" + hashlib.sha1(svg.encode("utf-8")).hexdigest()[:10]
    ids = set(_ID.findall(svg))
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'(href="#|url\(#)([^")]+)',
                 lambda m: m.group(1) + (f"{prefix}-{m.group(2)}" if m.group(2) in ids
                                         else m.group(2)), svg)
    svg = svg.replace("<style type=\"text/css\">*{", f'<style type="text/css">#{prefix} *{{')
    title = f'<title id="{prefix}-title">{html.escape(alt)}</title>'
    box = re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) ([\d.]+)"', svg)
    tall = " pb-tall" if box and float(box.group(2)) > TALL * 72 else ""  # points
    svg = re.sub(r"<svg\b([^>]*)>",
                 lambda m: (f'<svg id="{prefix}" class="pb-chart{tall}" role="img" '
                            f'aria-labelledby="{prefix}-title"{m.group(1)}>{title}'),
                 svg, count=1)
    return svg.strip() + "\n"
