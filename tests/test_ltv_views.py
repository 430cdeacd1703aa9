"""The lifetime-value notebook's views when a model cannot be fitted."""

from __future__ import annotations

from pathlib import Path

import pytest

from playbook import ltv_views
from playbook.context import RunContext, intake_dir
from playbook.errors import DataError
from playbook.i18n import Lang
from playbook.intake import run_intake
from playbook.params import load_params

DEMO = Path(__file__).resolve().parent.parent / "params" / "clients" / "demo.yaml"


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> RunContext:
    params = load_params(DEMO)
    folder = tmp_path_factory.mktemp("ltv_views")
    run_intake(params, intake_dir(folder))
    return RunContext(params=params, run_dir=folder)


def test_a_spend_model_that_fails_takes_the_purchase_model_with_it(demo_run, monkeypatch):
    # BG/NBD fits the demo; a Gamma-Gamma failure used to leave it half-fitted, and the
    # notebook then failed on the missing spend model.
    def fail(_summary):
        raise DataError("The Gamma-Gamma fit did not converge.")

    monkeypatch.setattr(ltv_views.gammagamma, "fit_gamma_gamma", fail)
    res = ltv_views.analyse(demo_run)
    assert res.bg is None and res.gg is None
    assert res.model_error == "The Gamma-Gamma fit did not converge."
    assert ltv_views.results(res)["model_error"] == res.model_error
    for code, word in (("ru", "не удалось"), ("en", "could not be estimated")):
        (sentence,) = ltv_views.model_sentences(res, demo_run, Lang(code))
        assert word in sentence and "converge" not in sentence
