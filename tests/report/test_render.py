"""Tables and text for the report: escaped, formatted, and nothing for an empty table."""

from __future__ import annotations

import pandas as pd

from playbook.report.render import show, table


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
