"""The published CDNOW estimates, from the raw transaction log, through `playbook run`.

Fader, Hardie & Lee (2005): 2,357 customers, 39-week calibration (1997-01-01 to 1997-09-30),
time in weeks. BG/NBD r 0.243, alpha 4.414, a 0.793, b 2.426, log-likelihood -9582.4;
Gamma-Gamma p 6.25, q 3.74, gamma 15.44.
"""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import ROOT, run_cli

pytestmark = pytest.mark.slow
LOG = ROOT / "tests" / "data" / "cdnow" / "CDNOW_sample.txt"
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.mark.parametrize("variant", ["as_of", "calibration_end"])
def test_cdnow_through_playbook_run(tmp_path, variant):
    params = {"client": {"name": "CDNOW", "language": "en", "currency": "USD"},
              "data": {"transactions": {"path": str(LOG), "header": False,
                                        "columns": {"customer_id": 2, "date": 3, "amount": 5}}}}
    if variant == "as_of":  # the holdout is the data after as_of, kept aside by intake
        params["as_of"] = "1997-09-30"
    else:  # all data analysed; the models are fitted on the first 39 weeks
        params["ltv"] = {"calibration_end": "1997-09-30"}
        params["run"] = {"notebooks": ["20_ltv.ipynb"]}
    path = tmp_path / "cdnow.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    result = run_cli("run", str(path), "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    ltv = json.loads((tmp_path / "run" / "results.json").read_text("utf-8"))["ltv"]
    bg, gg = ltv["bgnbd"], ltv["gamma_gamma"]
    assert bg["n_customers"] == 2357 and bg["time_unit"] == "week"
    for name, value in PUBLISHED_BGNBD.items():
        assert bg[name] == pytest.approx(value, abs=0.0015), name
    assert bg["loglik"] == pytest.approx(-9582.4, abs=0.05)
    for name, value in PUBLISHED_GG.items():
        assert gg[name] == pytest.approx(value, abs=0.005), name
    holdout = ltv["holdout"]
    assert holdout["total_actual"] == 1882  # repeat purchase days in weeks 40-78
    assert holdout["total_predicted"] == pytest.approx(1653.4, abs=0.5)
