"""Tables and text for the report: escaped, formatted, and nothing for an empty table."""

from __future__ import annotations

import html
import io
import re

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
    shown = figure(fig, alt="chart")  # the SVG the report embeds: no error
    assert shown.svg.startswith("<svg")
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
    assert figure(bare(), alt="chart").svg.startswith("<svg")


def test_tick_labels_made_while_drawing_are_plain_text():
    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    ax.xaxis.set_major_formatter(lambda v, _: f"${v:.1f}^2$")
    svg = _svg_texts(fig)
    assert ">$0.0^2$<" in svg and ">$1.0^2$<" in svg


# --- tables: numbers align, long words wrap ---------------------------------------------------

def test_numeric_columns_and_their_headings_align_right():
    frame = pd.DataFrame({"Группа": ["Все", "Крупный"], "NPS": ["-1,6", "17,3"],
                          "95%-й интервал": ["-5,5 … 2,2", "10,8 … 23,9"],
                          "p": ["< 0,001", "0,255"], "Погрешность": ["±4,2 п. п.", "±2,1 п. п."],
                          "Выручка": ["812,6 млн ₽", "RUB 812.6m"],
                          "Период": ["01.01.2025 — 31.03.2025", "2025-Q4"]})
    markup = table(frame)._repr_html_()
    heads = re.findall(r"<th([^>]*)>([^<]*)</th>", markup)
    aligned = {text for attrs, text in heads if 'class="num"' in attrs}
    assert aligned == {"NPS", "95%-й интервал", "p", "Погрешность", "Выручка"}
    assert '<td class="num">-5,5 … 2,2</td>' in markup
    assert "<td>01.01.2025 — 31.03.2025</td>" in markup  # dates are not amounts


def test_a_long_word_may_break_and_a_short_table_stays_on_one_page():
    frame = pd.DataFrame({"Контакт": ["very.long.address.of.a.buyer@example-company.ru", "ok"]})
    markup = table(frame)._repr_html_()
    assert '<td class="long">very.long' in markup and "<td>ok</td>" in markup
    assert '<table class="pb-table pb-keep">' in markup
    many = table(pd.DataFrame({"n": range(40)}))._repr_html_()
    assert '<table class="pb-table">' in many  # a long table may break (its heading repeats)
    wordy = pd.DataFrame({"Стандарт": ["Предложить перезвонить, а не держать клиента на линии "
                                       "дольше минуты, и перезвонить в обещанное время"] * 12,
                          "Цель": ["90%"] * 12})
    assert '<table class="pb-table">' in table(wordy)._repr_html_()  # 12 rows, 24 lines
    assert '<table class="pb-table pb-keep">' in table(wordy.head(10))._repr_html_()


# --- charts: vector, nothing cut off, heatmaps show their values -------------------------------

def _overhang(fig) -> float:
    """How far (inches) anything drawn reaches outside the figure, by matplotlib's renderer."""
    from playbook.report.render import _renderer

    tight = fig.get_tightbbox(_renderer(fig))
    width, height = fig.get_size_inches()
    return max(-tight.x0, -tight.y0, tight.x1 - width, tight.y1 - height, 0)


def test_a_chart_is_inline_svg_with_text_as_text_and_its_alternative():
    fig, ax = new_figure()
    ax.bar(["Крепёж", "Инструмент"], [3, 4])
    ax.set_ylabel("Выручка, ₽")
    shown = figure(fig, alt='Выручка по группам <"A">')
    svg = shown.svg
    assert svg.startswith('<svg id="pbc-') and 'role="img"' in svg
    assert '<title id="' in svg and "Выручка по группам &lt;&quot;A&quot;&gt;" in svg
    assert ">Крепёж<" in svg and ">Выручка, ₽<" in svg  # text, not glyph outlines
    assert "font-family: 'DejaVu Sans', 'Verdana'" in svg
    assert "<?xml" not in svg and "<metadata>" not in svg and "<image" not in svg
    assert "<style" not in svg or re.search(r"<style[^>]*>#pbc-\w+ \*\{", svg)  # kept to itself
    bundle, _ = shown._repr_mimebundle_()
    assert bundle == {"image/svg+xml": svg, "text/plain": 'Выручка по группам <"A">'}


def test_two_charts_share_no_ids_and_the_same_chart_is_the_same_svg():
    def chart(height):
        fig, ax = new_figure()
        ax.plot([0, 1], [0, height])
        return figure(fig, alt="line").svg

    first, second = chart(1), chart(2)
    ids = lambda svg: set(re.findall(r'\bid="([^"]+)"', svg))  # noqa: E731
    assert ids(first) and not ids(first) & ids(second)
    assert chart(1) == first  # same data, same file: notebooks diff cleanly
    for svg in (first, second):  # every reference points inside its own chart
        for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', svg):
            assert ref in ids(svg)


def test_a_long_axis_label_is_wrapped_and_nothing_leaves_the_figure():
    fig, ax = new_figure(5, 2.6)
    ax.plot(range(8), range(8))
    ax.set_ylabel("Покупок в проверочном периоде в среднем на одного клиента базы")
    ax.set_xlabel("Повторных покупок в периоде обучения модели, по группам клиентов базы")
    figure(fig, alt="chart")
    assert "\n" in ax.yaxis.label.get_text() and "\n" in ax.xaxis.label.get_text()
    assert _overhang(fig) < 0.01


def test_a_heatmap_becomes_vector_cells_that_show_their_values():
    import numpy as np

    fig, ax = new_figure(6, 3)
    values = np.array([[0.5, 0.25, np.nan], [0.755, 0.1, 0.0]])
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    colorbar = fig.colorbar(image, ax=ax)
    colorbar.formatter = lambda v, _: f"{v:.0%}"
    svg = figure(fig, alt="cohorts").svg
    assert not ax.images and "<image" not in svg.split("</g>", 3)[0]
    shown = sorted(t.get_text() for t in ax.texts)
    assert shown == sorted(["50%", "25%", "76%", "10%", "0%"])  # none for the empty cell
    colours = {t.get_text(): t.get_color() for t in ax.texts}
    assert colours["76%"] == "white" and colours["10%"] != "white"  # readable on its cell


def test_a_heatmap_with_its_own_labels_is_not_labelled_twice():
    import numpy as np

    fig, ax = new_figure(4, 3)
    ax.imshow(np.eye(2), cmap="Blues")
    ax.text(0, 0, "AX\n5")
    figure(fig, alt="abc")
    assert [t.get_text() for t in ax.texts] == ["AX\n5"]


# --- display labels of client values ----------------------------------------------------------

@pytest.fixture
def labels():
    from playbook.report.render import use_labels

    use_labels({"segment": {"Крупный": "Large", "Мелкий": "Small", "A&B": "<b>"},
                "category": {"Крепёж": "Fasteners"}})
    yield
    use_labels(None)


def test_labels_replace_client_values_in_tables_and_sentences(labels):
    frame = pd.DataFrame({"Сегмент": ["Сегмент: Крупный", "Мелкий", "Крупные", "A&B"],
                          "Крупный": [1, 2, 3, 4]})
    markup = table(frame)._repr_html_()
    assert "Сегмент: Large" in markup and "<td>Small</td>" in markup
    assert "<td>Крупные</td>" in markup  # whole words only
    assert "<td>&lt;b&gt;</td>" in markup and "<b>" not in markup  # labels are escaped too
    assert '<th class="num">Large</th>' in markup
    shown = show(html.escape("Лучше всех «Крупный», хуже — A&B."))._repr_html_()
    assert "Лучше всех «Large», хуже — &lt;b&gt;." in shown
    marked = show('<span class="Мелкий">Мелкий</span>')._repr_html_()  # markup is left alone
    assert '<span class="Мелкий">Small</span>' in marked


def test_labels_replace_client_values_in_charts(labels):
    fig, ax = new_figure()
    ax.bar(["Крепёж", "Инструмент"], [3, 4], label="Крупный")
    ax.set_title("Мелкий")
    ax.legend()
    svg = figure(fig, alt="chart").svg
    assert ">Fasteners<" in svg and ">Инструмент<" in svg
    assert ">Large<" in svg and ">Small<" in svg and "Крепёж" not in svg


def test_without_labels_values_stay_as_in_the_data():
    from playbook.report.render import relabel, use_labels

    use_labels(None)
    assert relabel("Крупный") == "Крупный"
    assert "<td>Крупный</td>" in table(pd.DataFrame({"s": ["Крупный"]}))._repr_html_()


def test_open_run_applies_the_parameters_labels(tmp_path):
    from conftest import write_tiny_client

    from playbook.report.render import relabel, use_labels
    from playbook.running.context import open_run

    params = write_tiny_client(tmp_path / "c", language="en",
                               extra={"labels": {"segment": {"Крупный": "Large"}}})
    try:
        open_run(params, tmp_path / "run")
        assert relabel("Крупный") == "Large"
    finally:
        use_labels(None)
