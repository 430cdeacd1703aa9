"""Revenue is never called margin: without cost data no word of the report says "margin".

The demo client is run without its cost column, in both languages, through every view of
the segmentation and lifetime-value notebooks: tables (headers and cells), sentences,
chart labels, the managers' task lists, the executive summary's figures and
recommendations, and the notebooks' own text. None may say margin (маржа, маржи, маржу,
маржинальность...). With the cost column the same scan finds the word, so it does look.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
import yaml

from playbook.intake import run_intake
from playbook.ltv import views as lv
from playbook.params import params_from_dict
from playbook.report.document import build_summary
from playbook.running.context import RunContext, intake_dir
from playbook.segmentation import views as sv

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "params" / "clients" / "demo.yaml"
MARGIN = re.compile(r"margin|марж", re.IGNORECASE)


def _params(language: str, folder: Path, *, with_cost: bool):
    raw = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    raw["client"]["language"] = language
    if not with_cost:  # the export without its cost column (intake would find it by name)
        source = DEMO.parent / raw["data"]["transactions"]["path"]
        frame = pd.read_csv(source, sep=";", encoding="cp1251", dtype=str, keep_default_na=False)
        path = folder / "sales_without_cost.csv"
        if not path.exists():
            frame.drop(columns=["Себестоимость"]).to_csv(path, sep=";", encoding="cp1251",
                                                         index=False)
        raw["data"]["transactions"]["path"] = str(path)
        del raw["data"]["transactions"]["columns"]["cost"]
    return params_from_dict(raw, base_dir=DEMO.parent)


@pytest.fixture(scope="module", params=[False, True], ids=["no_cost", "with_cost"])
def runs(request, tmp_path_factory) -> dict[str, RunContext]:
    folder = tmp_path_factory.mktemp("margin_words")
    run_intake(_params("ru", folder, with_cost=request.param), intake_dir(folder))
    return {code: RunContext(params=_params(code, folder, with_cost=request.param),
                             run_dir=folder)
            for code in ("ru", "en")}


def _texts(item) -> list[str]:
    """Every string a reader could see in a view's output."""
    if item is None:
        return []
    if isinstance(item, pd.DataFrame):
        return ([str(c) for c in item.columns] + [str(item.index.name or "")]
                + [str(v) for v in item.to_numpy().ravel()])
    if isinstance(item, matplotlib.figure.Figure):
        texts = [t.get_text() for t in item.findobj(matplotlib.text.Text)]
        plt.close(item)
        return texts
    if isinstance(item, list | tuple):
        return [t for part in item for t in _texts(part)]
    if isinstance(item, dict):
        return [t for part in item.values() for t in _texts(part)]
    return [str(item)]


def _everything(run: RunContext) -> list[str]:
    lang = run.lang
    seg = sv.analyse(run)
    lists = sv.task_lists(seg, run)
    out = _texts([
        sv.rfm_table(seg, lang), sv.rfm_chart(seg, lang), sv.rfm_sentence(seg, lang),
        sv.abc_sentences(seg, run, lang), sv.abc_heatmap(seg, lang), sv.abc_table(seg, lang),
        sv.pareto_chart(seg, lang), sv.pareto_sentence(seg, lang),
        sv.ladder_sentences(seg, run, lang), sv.ladder_chart(seg, lang),
        sv.ladder_table(seg, lang), sv.movement_sentence(seg, run, lang),
        sv.movement_table(seg, lang), sv.health_chart(seg, lang),
        sv.health_sentences(seg, lang), lists, sv.mailing_list(seg, run),
    ])
    res = lv.analyse(run)
    out += _texts([
        lv.factors_table(res, lang), lv.factors_sentences(res, lang),
        lv.segment_table(res, lang), lv.crr_sentences(res, run, lang), lv.crr_chart(res, lang),
        lv.crr_display(res, lang), lv.cohort_heatmap(res, lang), lv.cohort_sentence(res, lang),
        lv.model_sentences(res, run, lang), lv.model_table(res, lang),
        lv.holdout_chart(res, lang), lv.holdout_sentences(res, lang),
        lv.clv_sentence(res, run, lang), lv.retain_tasks(res, run),
        lv.whatif_sentences(res, run, lang), lv.spend_table(res, lang),
        lv.spend_sentence(res, lang),
    ])
    results = {"segmentation": sv.results(seg, lists, [], run.run_dir),
               "ltv": lv.results(res) | {"retain_tasks": 3}}
    summary = build_summary(json.loads(json.dumps(results, default=str)), lang)
    return out + _texts(summary["figures"]) + _texts(summary["recommendations"])


@pytest.mark.parametrize("code", ["ru", "en"])
def test_no_word_says_margin_without_cost_data(runs, code):
    run = runs[code]
    with_cost = "without_cost" not in str(run.params.data.transactions.path)
    said = sorted({t for t in _everything(run) if MARGIN.search(t)})
    if with_cost:
        assert said, "the scan finds margin words when the margin is known"
    else:
        assert said == []


@pytest.mark.parametrize("notebook", ["10_segmentation.ipynb", "20_ltv.ipynb"])
def test_the_notebooks_own_text_never_says_margin(notebook):
    """Markdown cells show whatever the data: they explain P without the word."""
    cells = json.loads((ROOT / "notebooks" / notebook).read_text("utf-8"))["cells"]
    text = [("".join(c["source"])) for c in cells if c["cell_type"] == "markdown"]
    assert [t for t in text if MARGIN.search(t)] == []
