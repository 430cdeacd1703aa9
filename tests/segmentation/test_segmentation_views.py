"""The segmentation memo's tables when the export has no cost or margin."""

from __future__ import annotations

import datetime as dt

import pytest

from playbook.intake import run_intake
from playbook.params import params_from_dict
from playbook.report.i18n import Lang
from playbook.running.context import RunContext, intake_dir
from playbook.segmentation import views as segmentation_views


def _run(tmp_path, header: str, rows: list[str]) -> RunContext:
    (tmp_path / "tx.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    params = params_from_dict({"client": {"name": "Тест", "language": "en"},
                               "data": {"transactions": "tx.csv"}}, base_dir=tmp_path)
    run_intake(params, intake_dir(tmp_path), today=dt.date(2024, 12, 31))
    return RunContext(params=params, run_dir=tmp_path)


ROWS = [f"К{c};{d:02d}.{m:02d}.2024;{100 * c + d}" for c in range(1, 9) for m in (1, 4, 8)
        for d in (3, 17)]


def test_no_margin_column_when_the_margin_is_unknown(tmp_path):
    run = _run(tmp_path, "Клиент;Дата;Сумма", ROWS)
    table = segmentation_views.rfm_table(segmentation_views.analyse(run), Lang("en"))
    assert "Margin" not in table.columns and "Revenue" in table.columns


@pytest.mark.parametrize("cost", ["50", "0"])
def test_the_margin_column_when_the_cost_is_known(tmp_path, cost):
    run = _run(tmp_path, "Клиент;Дата;Сумма;Себестоимость",
               [f"{r};{cost}" for r in ROWS])
    table = segmentation_views.rfm_table(segmentation_views.analyse(run), Lang("en"))
    assert "Margin" in table.columns
