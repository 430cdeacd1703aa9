"""The demo's planted defections: a cheaper competitor takes known customers at known dates.

«Склад-Маркет» (the first competitor of ``data_samples/demo/competitors.yaml``) sells at 6%
below the demo client's prices, but charges for delivery, delivers later and less reliably,
has more defects and wants payment up front. From a known date each chosen customer
(:data:`DEFECTION` ``customers`` of them) moves most of its buying there: every purchase of
its own (BG/NBD) process after the date is kept with probability ``keep_share`` only, so
its buying falls well below its own rhythm without always stopping.

Who is chosen: customers still buying by their own process around the date (at least
``min_after`` purchases after it in the undisturbed data, so the fall is the competitor's
doing, not a natural lapse), regular (``min_documents`` documents in the year before it) and
valuable (``min_revenue`` over that year). The survey generator (:mod:`playbook.demo.survey`)
then makes those of them who answer the annual survey name the competitor with a low share
of wallet, and a share of the others answer an exit questionnaire that says why they left
(:func:`survey_mentions`).

The truth (``winback_truth.json``): each defector, its date, its year before the date (spend,
orders) and what switching really gains it by the hand formulas of
:func:`true_switch_gain` (the price saving against every hidden cost of the competitor's
terms, :data:`COMPETITOR`, under the documented defaults :data:`DEFAULTS`). Everything draws
from a random generator of its own, so the rest of the demo draws what it drew before.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.demo.settings import DEMO_SETTINGS, N_DAYS

__all__ = ["DEFECTION", "COMPETITOR", "US", "DEFAULTS", "plant_defections",
           "true_switch_gain", "survey_mentions", "TRUTH_FILE"]

#: The truth's file name, in the demo's folder.
TRUTH_FILE = "winback_truth.json"

#: How the competitor takes customers: how many, between which dates, whom, and how much of
#: their buying stays with us after the date.
DEFECTION: dict = {
    "competitor": "«Склад-Маркет»",
    "customers": 40,
    "first_date": "2026-03-15",
    "last_date": "2026-06-30",
    "min_documents": 6,
    "min_revenue": 150_000,
    "min_after": 2,
    "keep_share": 0.15,
    # the survey: names of the competitor as the customers write it; their share of wallet
    # left with us (per cent); the share of the other defectors who answer an exit
    # questionnaire, and when (days after the date)
    "names": ["«Склад-Маркет»", "Склад-Маркет", "склад маркет", "ООО «Склад-Маркет»"],
    "wallet": [10, 40],
    "exit_share": 0.4,
    "exit_days": [45, 120],
}

#: The competitor's terms (as in data_samples/demo/competitors.yaml; a test checks they agree).
COMPETITOR = {"price_index": 0.94, "delivery_cost": 1200, "lead_time_days": 4,
              "on_time_share": 0.82, "defect_share": 0.025, "deferral_days": 0}
#: The demo client's own terms (the profile's ``us``).
US = {"delivery_cost": 0, "lead_time_days": 1, "on_time_share": 0.96, "defect_share": 0.008,
      "deferral_days": 30}
#: The documented defaults of params/defaults.yaml ``winback:`` the hidden costs use.
DEFAULTS = {"cost_of_capital": 0.16, "carrying_rate": 0.25, "defect_cost_share": 0.5,
            "late_cost_share": 0.1, "switching_cost_share": 0.01}

_EXIT_PHRASES = (
    "Перешли в {name}: та же бумага там на 6% дешевле",
    "Нашли поставщика дешевле, {name}",
    "У {name} цены ниже, закупаем теперь у них",
    "Конкурент ({name}) предложил цены ниже ваших",
)

_START = dt.date.fromisoformat(DEMO_SETTINGS["start"])


def _day(text: str) -> int:
    return (dt.date.fromisoformat(text) - _START).days


def true_switch_gain(spend: float, orders: float) -> dict:
    """What a year with the competitor gains a customer who spent ``spend`` with us in
    ``orders`` orders, line by line, by hand (RUB per year; negative: a cost).

    price S(1-p); delivery -n(c_them - c_us); defects -h(S p d_them - S d_us); payment
    -k(S D_us - S p D_them)/365; reliability -S p l (o_us - o_them); lead time
    -S p/365 (L_them - L_us) c; switching -S s. (Staff time: the same hours per order on
    both sides, so nothing.)
    """
    s, n, p = float(spend), float(orders), COMPETITOR["price_index"]
    c, u, k = COMPETITOR, US, DEFAULTS
    lines = {
        "price": s * (1 - p),
        "delivery": -n * (c["delivery_cost"] - u["delivery_cost"]),
        "defects": -k["defect_cost_share"] * (s * p * c["defect_share"] - s * u["defect_share"]),
        "payment": -k["cost_of_capital"] * (s * u["deferral_days"]
                                            - s * p * c["deferral_days"]) / 365,
        "reliability": -s * p * k["late_cost_share"] * (u["on_time_share"]
                                                        - c["on_time_share"]),
        "lead_time": -s * p / 365 * (c["lead_time_days"] - u["lead_time_days"])
        * k["carrying_rate"],
        "switching": -s * k["switching_cost_share"],
    }
    net = sum(lines.values())
    return {"lines": {key: round(v, 2) for key, v in lines.items()}, "net_gain": round(net, 2),
            "net_gain_share": round(net / s, 4) if s > 0 else None}


def plant_defections(lines: dict[str, np.ndarray], codes: np.ndarray,
                     rng: np.random.Generator) -> tuple[dict[str, np.ndarray], dict]:
    """Lines with the defectors' purchases after their date thinned, and the truth.

    ``lines``: the document lines of :func:`playbook.demo.documents.sales_lines` (money in
    kopecks); ``codes``: the customers' codes. Returns the lines (a new dict, the same
    columns) and the truth written to :data:`TRUTH_FILE`.
    """
    cfg = DEFECTION
    frame = pd.DataFrame({k: lines[k] for k in ("customer", "day", "line", "amount")})
    n_customers = int(frame["customer"].max()) + 1
    low, high = _day(cfg["first_date"]), _day(cfg["last_date"])
    date = rng.integers(low, high + 1, size=n_customers)
    own = date[frame["customer"].to_numpy()]
    day = frame["day"].to_numpy()
    is_doc = frame["line"].to_numpy() == 0
    before = (day <= own) & (day > own - 365)
    docs_before = np.bincount(frame["customer"][before & is_doc], minlength=n_customers)
    revenue = np.bincount(frame["customer"][before], weights=frame["amount"][before],
                          minlength=n_customers) / 100
    after = np.bincount(frame["customer"][(day > own) & is_doc], minlength=n_customers)
    eligible = np.flatnonzero((docs_before >= cfg["min_documents"])
                              & (revenue >= cfg["min_revenue"]) & (after >= cfg["min_after"]))
    chosen = np.sort(rng.choice(eligible, size=min(cfg["customers"], len(eligible)),
                                replace=False))
    # one keep-or-drop draw per document after the date, for the chosen customers
    customer = frame["customer"].to_numpy()
    doc_id = np.cumsum(is_doc) - 1
    moved = np.isin(customer, chosen) & (day > own)
    doc_keep = rng.random(int(doc_id[-1]) + 1) < cfg["keep_share"]
    drop = moved & ~doc_keep[doc_id]
    out = {k: v[~drop] for k, v in lines.items()}
    rows = []
    for who in chosen:
        spend = float(revenue[who])
        orders = int(docs_before[who])
        mine = moved & (customer == who) & is_doc
        rows.append({
            "customer_id": str(codes[who]),
            "date": (_START + dt.timedelta(days=int(date[who]))).isoformat(),
            "spend_12m": round(spend, 2), "orders_12m": orders,
            "documents_after": int(mine.sum()),
            "documents_kept": int((mine & ~drop).sum()),
            **{k: v for k, v in true_switch_gain(spend, orders).items()},
        })
    truth = {
        "competitor": cfg["competitor"], "settings": cfg, "competitor_terms": COMPETITOR,
        "our_terms": US, "defaults": DEFAULTS,
        "defectors": rows,
        "documents_removed": int((drop & is_doc).sum()),
        "eligible": len(eligible),
        "net_gain_share_all": round(sum(r["net_gain"] for r in rows)
                                    / sum(r["spend_12m"] for r in rows), 4) if rows else None,
    }
    assert (out["day"] < N_DAYS).all()
    return out, truth


def survey_mentions(annual: pd.DataFrame, demo_dir: Path, end: str, rng: np.random.Generator,
                    exclude=()) -> tuple[pd.DataFrame, list[dict], dict]:
    """The annual answers with the defectors' naming the competitor (and a low share of
    wallet), the exit answers of a share of the other defectors, and what was planted.

    ``annual``: the annual wave (ids as columns); ``demo_dir``: the folder holding
    :data:`TRUTH_FILE` (without it nothing changes); ``exclude``: customers who already
    answered an exit questionnaire: a defector among them gets an answer naming the
    competitor, to replace its own (the caller drops it). Returns the annual answers, the exit
    rows to add ({date, customer_id, product_issue, staff_issue, sale_issue}) and a truth
    ({annual: [ids], exit: [ids]}).
    """
    import json

    path = Path(demo_dir) / TRUTH_FILE
    if not path.is_file():
        return annual, [], {"annual": [], "exit": []}
    truth = json.loads(path.read_text(encoding="utf-8"))
    cfg = truth["settings"]
    dates = {r["customer_id"]: pd.Timestamp(r["date"]) for r in truth["defectors"]}
    annual = annual.copy()
    hit = annual["customer_id"].isin(dates)
    n = int(hit.sum())
    names = np.array(cfg["names"], dtype=object)
    annual.loc[hit, "main_competitor"] = names[rng.integers(len(names), size=n)]
    low, high = cfg["wallet"]
    annual.loc[hit, "share_of_wallet"] = rng.integers(low, high + 1, size=n).astype(float)
    answered = set(annual.loc[hit, "customer_id"])
    left_a_form = set(exclude)  # they left for the competitor: their form says so
    asked = [c for c in dates if c in left_a_form
             or (c not in answered and rng.random() < cfg["exit_share"])]
    rows = []
    for customer in asked:
        phrase = _EXIT_PHRASES[rng.integers(len(_EXIT_PHRASES))]
        name = names[rng.integers(len(names))]
        when = min(pd.Timestamp(end), dates[customer] + pd.Timedelta(
            days=int(rng.integers(cfg["exit_days"][0], cfg["exit_days"][1] + 1))))
        rows.append({"date": when, "customer_id": customer,
                     "product_issue": phrase.format(name=name), "staff_issue": "",
                     "sale_issue": ""})
    return annual, rows, {"annual": sorted(answered), "exit": asked}
