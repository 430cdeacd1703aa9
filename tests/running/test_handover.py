"""The hand-over date: ``tasks.start``, else the run's date, which a test can fix."""

from __future__ import annotations

import datetime as dt

from playbook.params import params_from_dict
from playbook.running.context import RunContext

RAW = {"client": {"name": "ООО «Тест»"}, "data": {"transactions": "tx.csv"}}


def test_the_hand_over_is_tasks_start_else_the_runs_date(tmp_path):
    params = params_from_dict(RAW, base_dir=tmp_path)
    run = RunContext(params=params, run_dir=tmp_path, today=dt.date(2026, 11, 26))
    assert run.handover == dt.date(2026, 11, 26)
    assert RunContext(params=params, run_dir=tmp_path).today == dt.date.today()
    given = params_from_dict(RAW | {"tasks": {"start": "2026-12-01"}}, base_dir=tmp_path)
    run = RunContext(params=given, run_dir=tmp_path, today=dt.date(2026, 11, 26))
    assert run.handover == dt.date(2026, 12, 1)
