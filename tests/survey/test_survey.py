"""Tests of the survey statistics on hand-computed cases, and the recovery of the truth behind
the demo client's survey (playbook.demo.survey) by the survey, drivers and exits analyses."""

from __future__ import annotations

import json
import math
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from playbook.demo import survey as synth_survey
from playbook.errors import DataError
from playbook.survey import customer_base, drivers, exits, scores
from playbook.survey import questionnaire as forms

DEMO = Path(__file__).resolve().parents[2] / "data_samples" / "demo"
Z95 = stats.norm.ppf(0.975)


# --- response and margin of error -----------------------------------------------------------------


def test_margin_of_error_by_hand():
    assert scores.margin_of_error(100) == pytest.approx(Z95 * 0.05)
    # finite population correction sqrt((400 - 100) / 399)
    assert scores.margin_of_error(100, population=400) == pytest.approx(
        Z95 * 0.05 * math.sqrt(300 / 399))
    assert scores.margin_of_error(400, population=400) == 0.0
    assert scores.margin_of_error(50, p=0.2, confidence=0.9) == pytest.approx(
        stats.norm.ppf(0.95) * math.sqrt(0.16 / 50))
    with pytest.raises(DataError, match="more responses than customers"):
        scores.margin_of_error(10, population=5)


def test_response_summary_by_wave():
    responses = pd.DataFrame({"wave": ["Q1"] * 3 + ["Q2"] * 5})
    base = pd.DataFrame({"wave": ["Q1", "Q1", "Q2", "Q2"], "segment": ["a", "b", "a", "b"],
                         "customers": [10, 10, 15, 5], "invited": [6, 6, 10, 5]})
    out = scores.response_summary(responses, base=base, by="wave", invited_col="invited")
    expected = pd.DataFrame({
        "wave": ["Q1", "Q2"], "responses": [3, 5], "population": [20, 20],
        "invited": [12, 15], "response_rate": [3 / 12, 5 / 15],
        "margin_of_error": [Z95 * 0.5 / math.sqrt(3) * math.sqrt(17 / 19),
                            Z95 * 0.5 / math.sqrt(5) * math.sqrt(15 / 19)],
    })
    assert_frame_equal(out, expected, check_dtype=False)
    overall = scores.response_summary(responses, base=base)
    assert overall.loc[0, "responses"] == 8 and overall.loc[0, "population"] == 40
    assert overall.loc[0, "response_rate"] == pytest.approx(0.2)
    unknown = scores.response_summary(responses)
    assert math.isnan(unknown.loc[0, "response_rate"])
    assert unknown.loc[0, "margin_of_error"] == pytest.approx(Z95 * 0.5 / math.sqrt(8))


# --- NPS ------------------------------------------------------------------------------------------


def test_nps_by_hand():
    answers = pd.DataFrame({"recommend": [10, 10, 10, 9, 8, 2, np.nan]})
    out = scores.nps(answers, n_boot=0).iloc[0]
    # 6 answers: 4 promoters, 1 passive, 1 detractor
    assert (out["n"], out["promoters"], out["passives"], out["detractors"]) == (6, 4, 1, 1)
    assert out["nps"] == pytest.approx(50.0)
    var = 4 / 6 + 1 / 6 - (3 / 6) ** 2
    assert out["se"] == pytest.approx(100 * math.sqrt(var / 6))
    assert out["ci_low"] == pytest.approx(50 - Z95 * out["se"])
    assert out["ci_high"] == pytest.approx(min(100, 50 + Z95 * out["se"]))
    assert math.isnan(out["boot_low"])


def test_nps_category_cut_points():
    labels = scores.nps_category(pd.Series([0, 6, 7, 8, 9, 10, None]))
    assert labels.tolist()[:6] == ["detractor", "detractor", "passive", "passive", "promoter",
                                   "promoter"]
    assert pd.isna(labels.iat[6])


def test_nps_per_group_and_errors():
    frame = pd.DataFrame({"seg": ["b", "a", "a", "b"], "recommend": [0, 10, 9, 10]})
    out = scores.nps(frame, by="seg", n_boot=0)
    assert out["seg"].tolist() == ["a", "b"] and out["nps"].tolist() == [100.0, 0.0]
    with pytest.raises(DataError, match="outside 0-10"):
        scores.nps(pd.DataFrame({"recommend": [11]}))
    with pytest.raises(DataError, match="no column 'score'"):
        scores.nps(frame, score_col="score")


def test_bootstrap_interval_brackets_the_analytic_one():
    rng = np.random.default_rng(13)
    frame = pd.DataFrame({"recommend": rng.choice(11, size=600, p=[0.03] * 7 + [0.12, 0.14,
                                                                                0.2, 0.33])})
    a = scores.nps(frame, n_boot=4000, seed=7).iloc[0]
    b = scores.nps(frame, n_boot=4000, seed=7).iloc[0]
    assert (a["boot_low"], a["boot_high"]) == (b["boot_low"], b["boot_high"])  # seeded
    width = a["ci_high"] - a["ci_low"]
    assert a["boot_low"] < a["nps"] < a["boot_high"]
    assert abs(a["boot_low"] - a["ci_low"]) < 0.06 * width
    assert abs(a["boot_high"] - a["ci_high"]) < 0.06 * width


def test_nps_compare_z_test_by_hand():
    frame = pd.DataFrame({"g": ["a"] * 4 + ["b"] * 4,
                          "recommend": [10, 10, 9, 0, 10, 6, 6, 7]})
    out = scores.nps_compare(frame, group_col="g").iloc[0]
    # a: NPS 50, var 1 - 0.25; b: NPS -25, var 0.75 - 0.0625
    se = 100 * math.sqrt(0.75 / 4 + 0.6875 / 4)
    assert out["difference"] == pytest.approx(75.0) and out["se"] == pytest.approx(se)
    assert out["z"] == pytest.approx(75 / se)
    assert out["p_value"] == pytest.approx(2 * stats.norm.sf(75 / se))
    assert out["p_holm"] == pytest.approx(out["p_value"])


def test_nps_compare_holm_matches_statsmodels():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"wave": np.repeat(["w1", "w2", "w3"], 150),
                          "recommend": np.concatenate([rng.integers(4, 11, 150),
                                                       rng.integers(3, 11, 150),
                                                       rng.integers(0, 11, 150)])})
    out = scores.nps_compare(frame, group_col="wave")
    assert list(zip(out["group_a"], out["group_b"], strict=True)) == list(
        combinations(["w1", "w2", "w3"], 2))
    np.testing.assert_allclose(out["p_holm"], multipletests(out["p_value"], method="holm")[1])
    against = scores.nps_compare(frame, group_col="wave", reference="w1")
    assert against["group_b"].tolist() == ["w1", "w1"]
    with pytest.raises(DataError, match="reference group"):
        scores.nps_compare(frame, group_col="wave", reference="w9")


# --- CSAT, CES, Likert ----------------------------------------------------------------------------


def test_csat_top_two_box_with_wilson_interval():
    frame = pd.DataFrame({"csat": [5, 4, 3, 2, 1, 5, np.nan]})
    out = scores.csat(frame).iloc[0]
    assert (out["n"], out["satisfied"], out["csat"]) == (6, 3, 0.5)
    low, high = proportion_confint(3, 6, method="wilson")
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((low, high))
    with pytest.raises(DataError, match="outside 1-5"):
        scores.csat(pd.DataFrame({"csat": [6]}))


def test_likert_and_ces_t_interval_by_hand():
    frame = pd.DataFrame({"a": [1, 2, 3, 4, 5], "ease": [2, 2, 2, 2, np.nan]})
    out = scores.likert_summary(frame, items=["a"]).iloc[0]
    sd = math.sqrt(2.5)
    half = stats.t.ppf(0.975, 4) * sd / math.sqrt(5)
    assert (out["mean"], out["sd"]) == pytest.approx((3.0, sd))
    assert (out["ci_low"], out["ci_high"]) == pytest.approx((3 - half, 3 + half))
    ces = scores.ces(frame)
    assert list(ces.columns) == ["n", "mean", "sd", "se", "ci_low", "ci_high"]
    assert ces.loc[0, "n"] == 4 and ces.loc[0, "ci_low"] == pytest.approx(2.0)


# --- Cronbach's alpha ----------------------------------------------------------------------------


def test_cronbach_alpha_by_hand():
    # var(a) = var(b) = 1, var(a + b) = var([2, 5, 5]) = 3: alpha = 2 (1 - 2/3)
    frame = pd.DataFrame({"a": [1, 2, 3, np.nan], "b": [1, 3, 2, 4]})
    assert scores.cronbach_alpha(frame, items=["a", "b"]) == pytest.approx(2 / 3)
    parallel = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 3, 4, 5], "c": [1, 2, 3, 4]})
    assert scores.cronbach_alpha(parallel, items=["a", "b", "c"]) == pytest.approx(1.0)
    with pytest.raises(DataError, match="at least two items"):
        scores.cronbach_alpha(frame, items=["a"])
    with pytest.raises(DataError, match="does not vary"):
        scores.cronbach_alpha(pd.DataFrame({"a": [1, 1], "b": [2, 2]}), items=["a", "b"])


def test_cronbach_alpha_matches_pingouin():
    import pingouin  # a test dependency (the test extras)

    rng = np.random.default_rng(13)
    latent = rng.normal(size=300)
    frame = pd.DataFrame({f"i{k}": np.clip(np.rint(3 + latent + rng.normal(scale=0.9,
                                                                           size=300)), 1, 5)
                          for k in range(4)})
    frame.iloc[::17, 2] = np.nan
    ours = scores.cronbach_alpha(frame, items=list(frame.columns))
    theirs = pingouin.cronbach_alpha(data=frame, nan_policy="listwise")[0]
    assert ours == pytest.approx(theirs, abs=1e-10)


def test_scale_reliability_table():
    frame = pd.DataFrame({"a": [1, 2, 3], "b": [1, 3, 2], "c": [3, 1, 2]})
    out = scores.scale_reliability(frame, scales={"ab": ["a", "b"], "ac": ["a", "c"]})
    assert out["scale"].tolist() == ["ab", "ac"] and out["k"].tolist() == [2, 2]
    # a + c = [4, 3, 5] varies less than its items: alpha = 2 (1 - 2 / 1) = -2
    assert out["alpha"].tolist() == pytest.approx([2 / 3, -2.0])
    assert out["acceptable"].tolist() == [False, False]



# --- crosstabs ----------------------------------------------------------------------------------


def test_crosstab_tests_by_hand_and_holm():
    frame = pd.DataFrame({
        "seg": ["x"] * 30 + ["y"] * 30,
        "q1": ["yes"] * 10 + ["no"] * 20 + ["yes"] * 20 + ["no"] * 10,
        "q2": ["yes"] * 15 + ["no"] * 15 + ["yes"] * 14 + ["no"] * 16,
        "q3": list("abc" * 10) + list("aab" * 10),
    })
    out = customer_base.crosstab_tests(frame, segment_col="seg", questions=["q1", "q2", "q3"])
    # q1: every expected count is 15, so chi2 = 4 * 25 / 15
    assert out.loc[0, "chi2"] == pytest.approx(20 / 3) and out.loc[0, "dof"] == 1
    assert out.loc[0, "p_value"] == pytest.approx(stats.chi2.sf(20 / 3, 1))
    assert out.loc[0, "cramers_v"] == pytest.approx(math.sqrt(20 / 3 / 60))
    np.testing.assert_allclose(out["p_adjusted"],
                               multipletests(out["p_value"], method="holm")[1])
    assert out["significant"].tolist() == (out["p_adjusted"] < 0.05).tolist()
    shares = customer_base.crosstab(frame, question="q1", segment_col="seg")
    assert shares.loc["yes", "x"] == pytest.approx(1 / 3)



# --- complaints, weights, share of wallet ---------------------------------------------------------


def test_complaint_iceberg_by_hand():
    frame = pd.DataFrame({"quarter": ["Q1", "Q2"], "complaints": [6, 3],
                          "customers": [1000, 20]})
    out = customer_base.complaint_iceberg(frame, base_col="customers")
    assert out["dissatisfied_estimate"].tolist() == pytest.approx([100.0, 50.0])
    assert out["dissatisfied_share"].tolist() == pytest.approx([0.1, 1.0])  # capped at 1
    assert customer_base.complaint_iceberg(frame, complain_share=0.5)[
        "dissatisfied_estimate"].tolist() == [12.0, 6.0]
    with pytest.raises(DataError, match="0.06"):
        customer_base.complaint_iceberg(frame, complain_share=0)
    with pytest.raises(DataError, match="answers below 0, e.g. -1"):
        customer_base.complaint_iceberg(frame.assign(complaints=[-1, 2]))


def test_poststratification_and_weighted_nps_by_hand():
    responses = pd.DataFrame({"segment": ["A"] * 4 + ["B"] * 4,
                              "recommend": [10, 10, 10, 0, 0, 0, 0, 10]})
    population = pd.DataFrame({"segment": ["A", "B"], "customers": [80, 20]})
    weighted = customer_base.poststratification_weights(responses, population=population)
    assert weighted["weight"].tolist() == pytest.approx([1.6] * 4 + [0.4] * 4)
    out = customer_base.weighted_nps(responses, population=population).iloc[0]
    # A: NPS 50 (var 1 - 0.25), B: NPS -50 (var 0.75); W = 0.8, 0.2
    assert out["nps_unweighted"] == pytest.approx(0.0)
    assert out["nps_weighted"] == pytest.approx(0.8 * 50 + 0.2 * -50)
    assert out["se_weighted"] == pytest.approx(
        100 * math.sqrt(0.64 * 0.75 / 4 + 0.04 * 0.75 / 4))
    assert out["design_effect"] == pytest.approx(8 * (4 * 1.6**2 + 4 * 0.4**2) / 8**2)


def test_weights_need_every_segment_answered():
    responses = pd.DataFrame({"wave": ["w1", "w1"], "segment": ["A", "A"], "recommend": [9, 9]})
    population = pd.DataFrame({"wave": ["w1", "w1"], "segment": ["A", "B"],
                               "customers": [5, 5]})
    with pytest.raises(DataError, match="Segment 'B' in wave 'w1' has 5 customers"):
        customer_base.weighted_nps(responses, population=population, by="wave")
    with pytest.raises(DataError, match=r"segment\(s\) \['C'\] which the customer base does not"):
        customer_base.poststratification_weights(
            responses.assign(segment=["A", "C"]),
            population=population[population["segment"] == "A"])


def test_wallet_and_recommend_keeps_the_latest_answer():
    responses = pd.DataFrame({
        "customer_id": ["К-2", "К-1", "К-1", "К-3"],
        "date": pd.to_datetime(["2026-01-05", "2026-03-01", "2026-01-01", "2026-02-02"]),
        "share_of_wallet": [100, 40, 90, np.nan],
        "recommend": [9, 6, 10, np.nan],
    })
    out = customer_base.wallet_and_recommend(responses, date_col="date")
    expected = pd.DataFrame({"customer_id": ["К-1", "К-2", "К-3"],
                             "share_of_wallet": [0.4, 1.0, np.nan],
                             "recommend_score": [6.0, 9.0, np.nan],
                             "is_promoter": pd.array([False, True, pd.NA], dtype="boolean")})
    assert_frame_equal(out, expected)


# --- the demo client's survey: files and recovery of the truth ----------------------------------


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("survey")
    synth_survey.write_survey_demo(out, demo_dir=DEMO)
    return out


def test_demo_survey_files_are_reproducible(regenerated):
    for name in synth_survey.SURVEY_FILES:
        assert (regenerated / name).read_bytes() == (DEMO / name).read_bytes(), name
    # writes its own files only, never the client's other demo files
    assert sorted(p.name for p in regenerated.iterdir()) == sorted(synth_survey.SURVEY_FILES)


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DEMO / name, sep=";", encoding="cp1251", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((DEMO / "survey_truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def quarterly() -> pd.DataFrame:
    return forms.prepare_responses(_read("survey_responses.csv"), "quarterly")


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    frame = _read("survey_base.csv").rename(columns={
        "Волна": "wave", "Сегмент": "segment", "Клиентов в базе": "customers",
        "Приглашено": "invited"})
    return frame.astype({"customers": int, "invited": int})


def test_demo_files_look_like_the_clients_exports():
    raw = (DEMO / "survey_responses.csv").read_bytes()
    assert b"\r\n" in raw and raw.decode("cp1251").startswith("Волна;Дата ответа;Код клиента")
    exit_export = (DEMO / "survey_exit.csv").read_bytes().decode("cp1251")
    assert "<script>alert(1)</script>" in exit_export and "@mail.ru" in exit_export


def test_demo_response_rates(quarterly, base, truth):
    summary = scores.response_summary(quarterly, base=base[base["wave"] != "2026"], by="wave",
                                      invited_col="invited")
    assert summary["responses"].tolist() == list(truth["responses"]["quarterly"].values())
    assert summary["response_rate"].between(0.22, 0.29).all()  # ~25% by design
    assert (summary["margin_of_error"] < 0.05).all()


def test_demo_recovers_the_true_drivers(quarterly, truth):
    spec = forms.load_template("quarterly")
    ranked = drivers.key_drivers(quarterly, outcome="overall", attributes=spec.ids("attribute"))
    true = ranked["attribute"].map(truth["drivers"]["coefficients"])
    # stated tolerance: every OLS coefficient within 0.15 of the truth
    assert (ranked["coef"] - true).abs().max() < 0.15
    assert ranked["importance"].sum() == pytest.approx(ranked.attrs["r_squared"])
    top_true = sorted(truth["drivers"]["coefficients"].items(), key=lambda kv: -kv[1])[:2]
    assert {name for name, _ in top_true} <= set(ranked["attribute"].head(3))
    assert ranked["agree"].sum() >= 10           # the ordered logit tells the same story
    quadrants = drivers.importance_performance(ranked)
    assert quadrants.set_index("attribute").loc["delivery_time", "quadrant"] == "fix_first"
    reliability = scores.scale_reliability(quarterly, scales=spec.item_scales)
    assert (reliability["alpha"] > 0.6).all()


def test_demo_recovers_the_true_nps(quarterly, base, truth):
    quarters = base[base["wave"] != "2026"]
    # per segment (pooled over waves): within 3 standard errors, shares within 0.06
    by_segment = scores.nps(quarterly, by="segment", n_boot=0).set_index("segment")
    for segment, true in truth["nps"]["quarterly_by_segment"].items():
        row = by_segment.loc[segment]
        assert abs(row["nps"] - true["nps"]) < 3 * row["se"], segment
        assert abs(row["promoter_share"] - true["promoter"]) < 0.06
        assert abs(row["detractor_share"] - true["detractor"]) < 0.06
    # per wave, weighted to the base: within 3 standard errors of the population truth
    waves = customer_base.weighted_nps(quarterly, population=quarters, by="wave").set_index("wave")
    for wave, row in waves.iterrows():
        assert abs(row["nps_weighted"] - truth["nps"]["waves"][wave]["nps_population"]) < (
            3 * row["se_weighted"]), wave
    # pooled: the weighted NPS is within 5 points; the unweighted one leans to large customers
    pooled = customer_base.weighted_nps(quarterly, population=quarters).iloc[0]
    target = truth["nps"]["quarterly_population_mean"]
    assert abs(pooled["nps_weighted"] - target) < 5
    assert pooled["nps_unweighted"] - target > abs(pooled["nps_weighted"] - target)


def test_demo_annual_share_of_wallet(truth):
    annual = forms.prepare_responses(_read("survey_annual.csv"), "annual")
    table = customer_base.wallet_and_recommend(annual, date_col="date")
    assert len(table) == truth["annual"]["respondents"]
    assert table["share_of_wallet"].dropna().between(0, 1).all()
    segment = annual.set_index("customer_id")["segment"]
    expected = truth["annual"]["expected_share_of_wallet_by_segment"]
    target = table["customer_id"].map(segment).map(expected)
    mask = table["share_of_wallet"].notna()
    assert abs(table.loc[mask, "share_of_wallet"].mean() - target[mask].mean()) < 0.04
    reliability = scores.scale_reliability(
        annual, scales=forms.load_template("annual").item_scales)
    assert reliability["acceptable"].all()


def test_demo_exit_coding_matches_the_truth(truth):
    keywords = exits.load_exit_keywords()
    answers = forms.prepare_responses(_read("survey_exit.csv"), "exit")
    coded = exits.code_exit_reasons(answers, text_cols=["product_issue", "staff_issue",
                                                        "sale_issue"], keywords=keywords)
    known = pd.DataFrame(truth["exit"]["respondents"]).set_index("customer_id")
    coded = coded.set_index("customer_id").loc[known.index]
    areas = coded[["product", "sale", "staff"]].apply(
        lambda r: [a for a in ("product", "sale", "staff") if r[a]], axis=1)
    assert (areas == known["areas"]).mean() >= 0.9
    assert (coded["cause"] == known["cause"]).mean() >= 0.9
    quotes = exits.exit_quotes(coded.reset_index(), keywords=keywords, per_category=60)
    text = " ".join(quotes["quote"])
    assert "@" not in text and "912" not in text and "[телефон скрыт]" in text


def test_demo_complaint_iceberg(truth):
    complaints = _read("survey_complaints.csv").astype({"Жалоб": int, "Клиентов в базе": int})
    out = customer_base.complaint_iceberg(complaints, count_col="Жалоб", base_col="Клиентов в базе")
    true = sum(q["dissatisfied"] for q in truth["complaints"]["by_quarter"].values())
    assert abs(out["dissatisfied_estimate"].sum() / true - 1) < 0.25
