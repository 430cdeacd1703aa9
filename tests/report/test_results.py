"""Recorded figures travel in the executed notebook and merge into results.json."""

from __future__ import annotations

import pytest

from playbook.report import results


def _output(recorded) -> dict:
    data, _ = recorded._repr_mimebundle_()
    return {"outputs": [{"output_type": "display_data", "data": data}]}


def test_a_mapping_recorded_each_adds_its_keys():
    notebooks = [{"cells": [_output(results.record("tasks.given", {"calls": 3, "winback": 0},
                                                    each=True))]},
                 {"cells": [_output(results.record("tasks.given", {"retain": 2}, each=True))]}]
    merged: dict = {}
    for notebook in notebooks:
        results.collect(notebook, merged)
    assert merged == {"tasks": {"given": {"calls": 3, "winback": 0, "retain": 2}}}


def test_each_needs_a_mapping():
    with pytest.raises(ValueError, match="mapping"):
        results.record("tasks.given", 3, each=True)
