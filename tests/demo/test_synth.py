"""Tests of the demo-data generator: determinism, the 1C file format, the planted problems,
and that the simulated process matches BG/NBD and Gamma-Gamma theory."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import hyp2f1

from playbook.demo import sales as synth
from playbook.demo.large import write_large
from playbook.demo.purchases import simulate_bgnbd, simulate_spend

COMMITTED = Path(__file__).resolve().parents[2] / "data_samples" / "demo"
FILES = ("transactions.csv", "customers.csv", "truth.json")
TRANSACTION_HEADER = (
    "Дата;Документ;Код клиента;Контрагент;Номенклатурная группа;Сумма;Себестоимость;Менеджер;"
    "Филиал"
)
#: The benchmarks' large files carry no branch.
LARGE_HEADER = TRANSACTION_HEADER.removesuffix(";Филиал")
CUSTOMER_HEADER = (
    "Код клиента;Наименование;Менеджер;Контактное лицо;Дата рождения контакта;"
    "Дата первой сделки;Телефон;E-mail;Источник"
)
DATE = re.compile(r"\d{2}\.\d{2}\.\d{4}")
MONEY = re.compile(r"-?\d+,\d{2}")
MONEY_GROUPED = re.compile(r"-?\d{1,3}([ \u00a0]\d{3})+,\d{2}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    return out, synth.write_demo(out)


@pytest.fixture(scope="module")
def transactions(demo) -> pd.DataFrame:
    return _read(demo[0] / "transactions.csv")


@pytest.fixture(scope="module")
def customers(demo) -> pd.DataFrame:
    return _read(demo[0] / "customers.csv")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep=";", encoding="cp1251", dtype=str, keep_default_na=False)


def _kopecks(text: pd.Series) -> pd.Series:
    plain = text.str.replace(" ", "").str.replace("\u00a0", "").str.replace(",", "")
    return plain.astype("int64")


def _bgnbd_mean(t: float, r: float, alpha: float, a: float, b: float) -> float:
    """E[X(t)], Fader, Hardie & Lee (2005), eq. 9."""
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))


# --- determinism ---------------------------------------------------------------------------


def test_demo_is_byte_identical_on_rerun(demo, tmp_path):
    synth.write_demo(tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (demo[0] / name).read_bytes(), name


def test_committed_demo_files_are_up_to_date(demo):
    for name in FILES:
        committed = COMMITTED / name
        assert committed.exists(), f"run: python -m playbook.demo.sales --out {COMMITTED}"
        assert committed.read_bytes() == (demo[0] / name).read_bytes(), (
            f"{name} differs from the generator's output: regenerate with "
            "python -m playbook.demo.sales --out data_samples/demo"
        )


def test_another_seed_gives_other_data(demo, tmp_path):
    synth.write_demo(tmp_path, seed=synth.DEMO_SEED + 1)
    other = (tmp_path / "transactions.csv").read_bytes()
    assert other != (demo[0] / "transactions.csv").read_bytes()


# --- the 1C format ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "header", "n_fields"), [
    ("transactions.csv", TRANSACTION_HEADER, 9),
    ("customers.csv", CUSTOMER_HEADER, 9),
])
def test_files_are_1c_exports(demo, name, header, n_fields):
    raw = (demo[0] / name).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really cp1251, not UTF-8
    text = raw.decode("cp1251")
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert "\n" not in "".join(lines)
    assert lines[0] == header
    assert all(line.count(";") == n_fields - 1 for line in lines)
    assert '"' not in text


def test_transaction_fields(transactions):
    assert transactions["Дата"].str.fullmatch(DATE.pattern).all()
    money = pd.concat([transactions["Сумма"], transactions["Себестоимость"]])
    ok = money.str.fullmatch(MONEY.pattern) | money.str.fullmatch(MONEY_GROUPED.pattern)
    assert ok.all(), money[~ok].head()
    assert transactions["Документ"].str.fullmatch(r"(РН|ВК)-\d{6}").all()
    codes = transactions["Код клиента"]
    assert codes[codes != ""].str.fullmatch(r"К-\d{5}").all()
    assert transactions["Номенклатурная группа"].nunique() == 6
    managers = set(transactions["Менеджер"]) - {""}
    assert managers == set(synth.MANAGERS)


def test_each_customer_is_served_by_one_branch_its_managers(transactions):
    from playbook.demo.standards import BRANCHES

    known = transactions[transactions["Код клиента"] != ""]
    assert (known.groupby("Код клиента")["Филиал"].nunique() == 1).all()
    assert set(known["Филиал"]) == set(BRANCHES.values())
    managed = known[known["Менеджер"] != ""]
    assert (managed["Филиал"] == managed["Менеджер"].map(BRANCHES)).all()
    assert (transactions.loc[transactions["Код клиента"] == "", "Филиал"] == "").all()


def test_rows_sorted_by_date_then_document(transactions, demo):
    dates = transactions["Дата"].str.replace(".2062", ".2026")  # the typos stay in place
    key = pd.to_datetime(dates, format="%d.%m.%Y").dt.strftime("%Y%m%d") + transactions["Документ"]
    assert key.is_monotonic_increasing


# --- counts -------------------------------------------------------------------------------------


def test_counts(demo, transactions, customers):
    counts = demo[1]
    assert counts["rows"] == len(transactions)
    assert 36_000 <= len(transactions) <= 44_000
    assert counts["customers"] == len(customers)
    assert 2_900 <= transactions["Код клиента"].replace("", np.nan).nunique() <= 3_100
    truth = json.loads((demo[0] / "truth.json").read_text(encoding="utf-8"))
    assert truth["counts"] == counts
    assert truth["true_params"] == synth.TRUE_PARAMS
    assert truth["seed"] == synth.DEMO_SEED
    assert truth["generator_version"] == synth.GENERATOR_VERSION


def test_documents_have_one_to_three_lines_of_distinct_groups(transactions):
    sales = transactions[transactions["Документ"].str.startswith("РН-")].drop_duplicates()
    per_doc = sales.groupby("Документ").agg(
        lines=("Сумма", "size"),
        groups=("Номенклатурная группа", "nunique"),
        dates=("Дата", "nunique"),
        names=("Контрагент", "nunique"),
    )
    assert per_doc["lines"].between(1, 3).all()
    assert (per_doc["groups"] == per_doc["lines"]).all()
    assert (per_doc["names"] == 1).all()
    assert (per_doc["dates"] == 1).all()
    assert 0.25 <= (per_doc["lines"] > 1).mean() <= 0.45


def test_margins_by_product_group(transactions):
    sales = transactions[transactions["Документ"].str.startswith("РН-")]
    amount = _kopecks(sales["Сумма"])
    cost = _kopecks(sales["Себестоимость"])
    margin = (amount - cost).groupby(sales["Номенклатурная группа"]).sum() / amount.groupby(
        sales["Номенклатурная группа"]
    ).sum()
    expected = pd.Series(dict(synth.CATEGORIES))
    assert np.allclose(margin.sort_index(), expected.sort_index(), atol=0.01)
    assert 0.20 <= (amount - cost).sum() / amount.sum() <= 0.35


def test_average_order_is_tens_of_thousands_of_rubles(transactions):
    sales = transactions[transactions["Документ"].str.startswith("РН-")].drop_duplicates()
    per_doc = _kopecks(sales["Сумма"]).groupby(sales["Документ"]).sum() / 100
    assert 20_000 <= per_doc.mean() <= 45_000


# --- the planted data-quality problems ----------------------------------------------------------


def test_returns(demo, transactions):
    amount = _kopecks(transactions["Сумма"])
    negative = transactions[amount < 0]
    assert len(negative) == demo[1]["returns"]
    assert 0.004 <= len(negative) / len(transactions) <= 0.006
    assert negative["Документ"].str.startswith("ВК-").all()
    assert (transactions["Документ"].str.startswith("ВК-") == (amount < 0)).all()
    # each return gives back an earlier sale line of the same customer in full
    day = pd.to_datetime(transactions["Дата"].str.replace(".2062", ".2026"), format="%d.%m.%Y")
    sales = transactions.assign(day=day, kop=amount)[amount > 0]
    for _, row in negative.assign(day=day, kop=amount).iterrows():
        match = sales[
            (sales["Контрагент"] == row["Контрагент"])
            & (sales["kop"] == -row["kop"])
            & (sales["Номенклатурная группа"] == row["Номенклатурная группа"])
            & (sales["day"] < row["day"])
        ]
        assert len(match) >= 1, row.to_dict()


def test_exact_duplicates(demo, transactions):
    assert transactions.duplicated().sum() == demo[1]["duplicates"] == 20


def test_blank_customer_codes(demo, transactions):
    blank = transactions[transactions["Код клиента"] == ""]
    assert len(blank) == demo[1]["blank_customer_code"] == 10
    assert (blank["Контрагент"] != "").all()


def test_future_dates(demo, transactions):
    year = transactions["Дата"].str[-4:].astype(int)
    assert (year > 2026).sum() == demo[1]["future_dates"] == 3
    assert set(year[year > 2026]) == {2062}
    assert year.min() == 2023


def test_thousands_separators(demo, transactions):
    amount = transactions["Сумма"]
    assert amount.str.contains(" ").sum() == demo[1]["thousands_space"] == 150
    assert amount.str.contains("\u00a0").sum() == demo[1]["thousands_nbsp"] == 150
    assert b"\xa0" in (demo[0] / "transactions.csv").read_bytes()  # cp1251 NBSP


# --- the customers file -----------------------------------------------------------------------


def test_customers_file(customers, transactions):
    assert customers["Код клиента"].is_unique
    assert customers["Наименование"].is_unique
    assert customers["Наименование"].str.match(r"(ООО «|АО «|ИП )").all()
    assert "ООО «Вектор-Снаб»" not in set(customers["Наименование"])
    assert customers["Телефон"].str.fullmatch(r"\+7 \(9\d\d\) \d{3}-\d{2}-\d{2}").all()
    assert customers["E-mail"].str.fullmatch(r"[a-z0-9.\-]+@[a-z0-9.\-]+\.[a-z]+").all()
    assert customers["Контактное лицо"].str.fullmatch(r"[А-Я][а-я]+ [А-Я][а-я]+ [А-Я][а-я]+").all()
    birthday = customers["Дата рождения контакта"]
    assert birthday[birthday != ""].str.fullmatch(DATE.pattern).all()
    assert set(customers["Менеджер"]) == set(synth.MANAGERS) | {""}
    assert 0.03 <= (customers["Менеджер"] == "").mean() <= 0.07
    # every buyer's manager and name in the customers file match its transactions
    merged = transactions[transactions["Код клиента"] != ""].merge(
        customers, on="Код клиента", how="left", validate="many_to_one"
    )
    assert (merged["Контрагент"] == merged["Наименование"]).all()
    assert (merged["Менеджер_x"] == merged["Менеджер_y"]).all()


def test_first_deal_dates_and_prospects(customers, transactions, demo):
    sales = transactions[transactions["Документ"].str.startswith("РН-")]
    code = sales["Контрагент"].map(customers.set_index("Наименование")["Код клиента"])
    first = pd.to_datetime(
        sales["Дата"].str.replace(".2062", ".2026"), format="%d.%m.%Y"
    ).groupby(code).min()
    stated = customers.set_index("Код клиента")["Дата первой сделки"]
    buyers = stated[stated != ""]
    assert (pd.to_datetime(buyers, format="%d.%m.%Y") == first.reindex(buyers.index)).all()
    prospects = stated[stated == ""].index
    assert len(prospects) == demo[1]["prospects"] >= 3
    assert not set(prospects) & set(transactions["Код клиента"])


def test_referral_share_declines(customers):
    source = customers["Источник"]
    assert set(source) == set(synth.SOURCES)
    referral = source == "Рекомендация"
    assert 0.20 <= referral.mean() <= 0.30
    buyers = customers[customers["Дата первой сделки"] != ""]
    when = pd.to_datetime(buyers["Дата первой сделки"], format="%d.%m.%Y")
    early = (buyers["Источник"] == "Рекомендация")[when < "2025-05-01"].mean()
    late = (buyers["Источник"] == "Рекомендация")[when >= "2025-05-01"].mean()
    assert early > late


# --- the process matches theory -----------------------------------------------------------------


def _repeats(purchases: pd.DataFrame, n: int) -> np.ndarray:
    return np.bincount(purchases["customer"], weights=purchases["purchase_no"] > 0, minlength=n)


@pytest.mark.parametrize("t", [26.0, 156.0])
def test_bgnbd_without_dropout_is_poisson_gamma(t):
    rng = np.random.default_rng(13)
    n, r, alpha = 50_000, 0.9, 4.0
    purchases = simulate_bgnbd(
        n, r=r, alpha=alpha, a=1.0, b=1e7, birth_weeks=0.0, horizon_weeks=t, rng=rng
    )
    assert _repeats(purchases, n).mean() == pytest.approx(r / alpha * t, rel=0.03)


@pytest.mark.parametrize("t", [26.0, 52.0, 156.0])
def test_bgnbd_mean_matches_closed_form(t):
    rng = np.random.default_rng(13)
    n, params = 50_000, {"r": 0.9, "alpha": 4.0, "a": 0.8, "b": 6.0}
    purchases = simulate_bgnbd(n, **params, birth_weeks=0.0, horizon_weeks=t, rng=rng)
    assert _repeats(purchases, n).mean() == pytest.approx(_bgnbd_mean(t, **params), rel=0.03)


def test_bgnbd_purchase_table_shape():
    rng = np.random.default_rng(13)
    birth = np.array([0.0, 10.0, 99.5])
    purchases = simulate_bgnbd(
        3, r=5.0, alpha=1.0, a=1.0, b=50.0, birth_weeks=birth, horizon_weeks=100.0, rng=rng
    )
    assert list(purchases.columns) == ["customer", "t_weeks", "purchase_no"]
    first = purchases[purchases["purchase_no"] == 0]
    assert first["customer"].tolist() == [0, 1, 2]
    assert np.allclose(first["t_weeks"], birth)
    assert (purchases["t_weeks"].to_numpy() >= birth[purchases["customer"]]).all()
    assert (purchases["t_weeks"] < 100.0).all()
    for _, group in purchases.groupby("customer"):
        assert group["purchase_no"].tolist() == list(range(len(group)))
        assert group["t_weeks"].is_monotonic_increasing


def test_bgnbd_rejects_birth_after_horizon():
    with pytest.raises(ValueError, match="horizon"):
        simulate_bgnbd(
            2, r=1.0, alpha=1.0, a=1.0, b=1.0, birth_weeks=np.array([1.0, 5.0]),
            horizon_weeks=5.0, rng=np.random.default_rng(13),
        )


def test_gamma_gamma_mean_spend():
    rng = np.random.default_rng(13)
    p, q, gamma = 6.0, 4.0, 15_000.0
    customer = np.repeat(np.arange(200_000), 3)
    value = simulate_spend(customer, p=p, q=q, gamma=gamma, rng=rng)
    assert value.mean() == pytest.approx(p * gamma / (q - 1), rel=0.02)
    # the spend varies less within a customer than across customers
    per_customer = pd.Series(value).groupby(customer)
    assert per_customer.std().mean() < pd.Series(value).std()


# --- large files and the command line --------------------------------------------------------


def test_write_large_format_and_size(tmp_path):
    path = write_large(tmp_path / "big" / "t.csv", 20_000, seed=13)
    raw = path.read_bytes()
    assert raw == write_large(tmp_path / "again.csv", 20_000, seed=13).read_bytes()
    frame = _read(path)
    assert ";".join(frame.columns) == LARGE_HEADER
    assert 17_000 <= len(frame) <= 23_000
    assert frame["Дата"].str.fullmatch(DATE.pattern).all()
    assert frame["Сумма"].str.fullmatch(MONEY.pattern).all()
    dates = pd.to_datetime(frame["Дата"], format="%d.%m.%Y")
    assert dates.is_monotonic_increasing
    assert dates.min() >= pd.Timestamp("2023-11-01") and dates.max() <= pd.Timestamp("2026-10-31")
    assert frame["Документ"].is_monotonic_increasing


def test_command_line(tmp_path, capsys):
    synth.main(["--out", str(tmp_path / "demo")])
    settings = synth.DEMO_SETTINGS
    customers = settings["n_customers"] + settings["n_prospects"]
    assert json.loads(capsys.readouterr().out)["customers"] == customers
    synth.main(["--large", "3000", "--out", str(tmp_path / "big.csv")])
    assert "big.csv" in capsys.readouterr().out
    assert (tmp_path / "big.csv").read_bytes().startswith(LARGE_HEADER.encode("cp1251"))


def test_sales_module_keeps_its_public_names():
    # the generator is split into modules; playbook.demo.sales still offers the whole API
    assert synth.simulate_bgnbd is simulate_bgnbd and synth.write_large is write_large
    for name in synth.__all__:
        assert hasattr(synth, name), name
