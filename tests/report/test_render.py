"""Tables and text for the report: escaped, formatted, and nothing for an empty table."""

from __future__ import annotations

import html
import io

import pandas as pd
import pytest
from matplotlib.text import Text

from playbook.report.render import figure, new_figure, show, table


def test_cells_are_escaped_and_numbers_aligned():
    frame = pd.DataFrame({"Клиент": ["<script>alert(1)</script>", "ООО «Ромашка»"],
                          "Сумма": [10.5, 2.0]})
    markup = table(frame, {"Сумма": lambda v: f"{v:.2f}"})._repr_html_()
    assert "<script>" not in markup and "&lt;script&gt;" in markup
    assert '<td class="num">10.50</td>' in markup
    assert "ООО «Ромашка»" in markup


def test_a_table_without_rows_shows_nothing():
    empty = table(pd.DataFrame(columns=["Period", "CRR"]))
    assert empty._repr_html_() == "" and repr(empty) == ""


def test_show_drops_empty_paragraphs():
    assert show("a", "", "b")._repr_html_() == '<div class="pb-text"><p>a</p><p>b</p></div>'


# --- charts: client text is plain text ------------------------------------------------------

CLIENT_TEXT = ["$x^2$", r"$\frac{1}{2}$", "_nolegend_", r"$\frac{1}{2$", "a_b^c", r"\$5 $"]


def _chart_of_client_text(fig, ax):
    ax.bar(CLIENT_TEXT, range(1, len(CLIENT_TEXT) + 1), label="$y$ series")
    ax.set_title("Title $x^2$")
    ax.set_xlabel(r"$\frac{1}{2}$ of sales")
    ax.set_ylabel("_nolegend_")
    ax.annotate("$x^2$ note", (0, 1))
    ax.text(1, 1, r"$\frac{1}{2$")  # unbalanced: mathtext would raise
    ax.legend()
    fig.suptitle("Client $\\alpha$")
    return fig


def _svg_texts(fig) -> str:
    import matplotlib as mpl

    buffer = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none"}):  # texts as <text> elements, not paths
        fig.savefig(buffer, format="svg")
    return html.unescape(buffer.getvalue())


def test_client_text_in_charts_is_drawn_literally():
    fig = _chart_of_client_text(*new_figure())
    shown = figure(fig, alt="chart")  # the PNG the report embeds: no error
    assert shown.data.startswith(b"\x89PNG")
    svg = _svg_texts(fig)
    for text in [*CLIENT_TEXT, "Title $x^2$", r"$\frac{1}{2}$ of sales", "$x^2$ note",
                 "$y$ series", "Client $\\alpha$"]:
        assert f">{text}<" in svg, text
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    assert {t.get_text() for t in texts} >= {*CLIENT_TEXT, "Title $x^2$"}
    assert not any(t.get_parse_math() or t.get_usetex() for t in texts)


def test_any_figure_shown_is_drawn_literally():
    """figure() makes plain text of a figure made elsewhere, where mathtext would fail."""
    from matplotlib.figure import Figure

    def bare():
        fig = Figure()
        return _chart_of_client_text(fig, fig.add_subplot())

    with pytest.raises(ValueError):  # what the unbalanced label does to a plain matplotlib chart
        bare().savefig(io.BytesIO(), format="png")
    assert figure(bare(), alt="chart").data.startswith(b"\x89PNG")


def test_tick_labels_made_while_drawing_are_plain_text():
    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    ax.xaxis.set_major_formatter(lambda v, _: f"${v:.1f}^2$")
    svg = _svg_texts(fig)
    assert ">$0.0^2$<" in svg and ">$1.0^2$<" in svg
