r"""Showing things in a notebook the way the report prints them.

Notebooks call :func:`show` for sentences, :func:`table` for tables and :func:`figure` for
charts. Everything is emitted as HTML or PNG so the executed notebook *is* the report's
content: the nbconvert template in ``templates/report`` only drops the code around it.
Text from client data is escaped here (tables) or in :mod:`playbook.report.i18n` (sentences).
In charts it is plain text: every text of a figure from :func:`new_figure` (titles, labels,
tick labels, annotations, legends) is drawn as written, so a customer named ``$x^2$`` is not
typeset as mathematics and an unbalanced ``$\frac{`` in a survey answer cannot break it.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text

__all__ = ["show", "table", "figure", "new_figure", "plain_text", "PlainFigure", "PALETTE",
           "PLAIN_TEXT"]

#: A colour-blind-safe palette (Okabe & Ito).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442",
           "#000000"]


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


def show(*paragraphs: str, kind: str = "text") -> _Html:
    """Sentences for the reader (already escaped by :class:`playbook.report.i18n.Lang`), as HTML.

    ``kind`` is ``text``, ``note`` (a muted aside) or ``key`` (a highlighted conclusion).
    """
    body = "".join(f"<p>{p}</p>" for p in paragraphs if p)
    return _Html(f'<div class="pb-{kind}">{body}</div>')


def table(frame: pd.DataFrame, formats: Mapping[str, Callable] | None = None, *,
          caption: str | None = None, index: bool = False) -> _Html:
    """A table as escaped HTML, with columns formatted by ``formats`` ({column: function}).

    Formatting functions return display strings (e.g. ``lang.money``); other cells are shown
    as text. Every cell is HTML-escaped, so a customer named ``<script>`` stays text. A
    table without rows shows nothing.
    """
    formats = dict(formats or {})
    shown = frame.reset_index() if index else frame
    if shown.empty:  # a header over nothing tells the reader nothing; the text says why
        return _Html("")
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    numeric = {c for c in shown.columns if pd.api.types.is_numeric_dtype(shown[c])
               or _looks_numeric(shown[c])}
    rows = []
    for values in shown.itertuples(index=False):
        cells = []
        for col, value in zip(shown.columns, values, strict=True):
            text = "" if _missing(value) else (formats[col](value) if col in formats else value)
            align = ' class="num"' if col in numeric or col in formats else ""
            cells.append(f"<td{align}>{html.escape(str(text))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return _Html(f'<table class="pb-table">{cap}<thead><tr>{head}</tr></thead>'
                 f'<tbody>{"".join(rows)}</tbody></table>')


_NUMBER = re.compile(r"[-−+]?[\d.,]*\d")
_UNIT = re.compile(r"[\s\u00a0\u202f%¤₽$€£]|[A-Z]{3}")


def _looks_numeric(column: pd.Series) -> bool:
    """Whether a column of display strings holds formatted numbers (right-aligned)."""
    values = [str(v) for v in column if not _missing(v) and str(v)]
    return bool(values) and all(_NUMBER.fullmatch(_UNIT.sub("", v)) for v in values)


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


#: Text settings of every chart: client text is drawn as written (no mathtext, no TeX).
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}


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
    with mpl.rc_context(PLAIN_TEXT):
        fig = PlainFigure(figsize=(width, height), dpi=110, layout="constrained")
        ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_prop_cycle(color=PALETTE)
    return fig, ax


class _Png:
    def __init__(self, data: bytes, alt: str):
        self.data, self.alt = data, alt

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"image/png": self.data, "text/plain": self.alt}, {"image/png": {"alt": self.alt}}


def figure(fig: Figure, alt: str) -> _Png:
    """A figure as an embedded PNG with alternative text (what the chart shows, in words).

    Any figure, from :func:`new_figure` or not, is drawn with its texts as plain text.
    """
    buffer = io.BytesIO()
    with plain_text(fig):
        fig.savefig(buffer, format="png", metadata={"Software": None})
    return _Png(buffer.getvalue(), alt)
