"""Deterministic service-standards logs for the demo client: mystery-shopping audits, a call
log, a request log and a training log, from known compliance rates, with the truth written
beside them.

The demo client's six managers work in three branches; the central office pilots the
standards, the other two follow in a wave (:data:`ROLLOUT`, the plan the demo's parameters
give). Before a branch's standards take effect each check passes with the item's
:data:`BEFORE` probability, after it with :data:`AFTER`; so compliance rises in the pilot
first, the control charts show a shift after the reset, and the analysis can be checked
against ``standards_truth.json``. One audit item (``smile``) is not in the catalog, to show
that such items are reported rather than dropped. :data:`STAR` passes more often, so the
fair pick of the month's best performer has a true answer.

The files are ``cp1251``, ``;``-separated with CRLF line ends, dates ``dd.mm.yyyy hh:mm``,
Russian headers, like the client's other exports. The existing demo files are untouched.

``python -m playbook.demo.standards --out data_samples/demo`` regenerates them byte for byte.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from playbook.demo.settings import MANAGERS

__all__ = ["write_standards_demo", "BRANCHES", "ROLLOUT", "BEFORE", "AFTER", "SEED",
           "STANDARDS_FILES", "in_force_by_branch", "COMPLAINT_SHARE"]

SEED = 5014
GENERATOR_VERSION = 2
STANDARDS_FILES = ("standards_audits.csv", "standards_calls.csv", "standards_requests.csv",
                   "standards_training.csv")
#: Each manager's branch.
BRANCHES = {MANAGERS[0]: "Центральный офис", MANAGERS[1]: "Центральный офис",
            MANAGERS[2]: "Северный филиал", MANAGERS[3]: "Северный филиал",
            MANAGERS[4]: "Южный филиал", MANAGERS[5]: "Южный филиал"}
#: The rollout as the demo's parameters give it (standards.rollout).
#: The pilot runs half a year before the others start, so its effect can be judged.
ROLLOUT = {"start": "2025-09-01", "branches": ["Центральный офис", "Северный филиал",
                                               "Южный филиал"],
           "pilot": ["Центральный офис"], "develop_weeks": 4, "train_weeks": 3,
           "pilot_weeks": 26, "wave_size": 3, "wave_weeks": 4}
START, END = dt.date(2025, 1, 1), dt.date(2026, 10, 31)
#: Probability that a check passes before and after the branch's standards take effect.
BEFORE = {"phone_introduce": 0.70, "greet_customer": 0.75, "needs_questions": 0.55,
          "no_no_never": 0.70, "promise_less": 0.80, "follow_up_after_sale": 0.40,
          "appearance": 0.90, "conflict_resolve": 0.60, "smile": 0.8,
          "phone_third_ring": 0.72, "phone_callback": 0.65, "phone_missed_returned": 0.55,
          "request_answer_10h": 0.74}
AFTER = {"phone_introduce": 0.94, "greet_customer": 0.92, "needs_questions": 0.80,
         "no_no_never": 0.88, "promise_less": 0.93, "follow_up_after_sale": 0.62,
         "appearance": 0.96, "conflict_resolve": 0.85, "smile": 0.9,
         "phone_third_ring": 0.91, "phone_callback": 0.90, "phone_missed_returned": 0.88,
         "request_answer_10h": 0.94}
#: The employee who passes more often (log-odds +1.0), and everyone else's spread.
STAR, STAR_BOOST = MANAGERS[2], 1.0
AUDIT_ITEMS = ("phone_introduce", "greet_customer", "needs_questions", "no_no_never",
               "promise_less", "follow_up_after_sale", "appearance", "conflict_resolve")
VISITS_PER_MONTH = 2
#: Each employee's chance of passing a training course at the first attempt (the star
#: employee learns best); a course failed is taken again two weeks later.
TRAINING_PASS = {MANAGERS[0]: 0.80, MANAGERS[1]: 0.65, MANAGERS[2]: 0.95,
                 MANAGERS[3]: 0.70, MANAGERS[4]: 0.75, MANAGERS[5]: 0.60}
#: The share of requests that are complaints, before and after the branch's standards.
COMPLAINT_SHARE = {"before": 0.10, "after": 0.06}
UNKNOWN_ITEM_MONTHS = 3  # "smile" is checked in the first months only


def in_force_by_branch() -> dict[str, dt.date]:
    """When the standards take effect in each branch under :data:`ROLLOUT`."""
    from playbook.standards.rollout import plan
    from playbook.standards.settings import Rollout

    stages = plan(Rollout(**ROLLOUT))
    control = stages[stages["stage"] == "control"]
    return {b: row.start for row in control.itertuples() for b in row.branches}


def _p(item: str, branch: str, employee: str, day: dt.date, force: dict) -> float:
    p = AFTER[item] if day >= force[branch] else BEFORE[item]
    if employee == STAR:
        odds = np.log(p / (1 - p)) + STAR_BOOST
        p = 1 / (1 + np.exp(-odds))
    return float(p)


def _stamp(moment: pd.Timestamp) -> str:
    return moment.strftime("%d.%m.%Y %H:%M")


def _workdays() -> list[dt.date]:
    days = pd.bdate_range(START, END)
    return [d.date() for d in days]


def _audits(rng: np.random.Generator, force: dict) -> pd.DataFrame:
    rows = []
    for month in pd.date_range(START, END, freq="MS"):
        last = (month + pd.offsets.MonthEnd(0)).day
        for employee in MANAGERS:
            branch = BRANCHES[employee]
            for _ in range(VISITS_PER_MONTH):
                day = month.date() + dt.timedelta(days=int(rng.integers(0, last)))
                items = list(AUDIT_ITEMS)
                if month.date() < dt.date(START.year, START.month + UNKNOWN_ITEM_MONTHS, 1):
                    items.append("smile")
                for item in items:
                    passed = rng.random() < _p(item, branch, employee, day, force)
                    rows.append((day.strftime("%d.%m.%Y"), branch, employee, item,
                                 "да" if passed else "нет"))
    return pd.DataFrame(rows, columns=["Дата проверки", "Филиал", "Сотрудник", "Пункт",
                                       "Выполнено"])


def _calls(rng: np.random.Generator, force: dict) -> pd.DataFrame:
    rows = []
    for day in _workdays():
        for employee in MANAGERS:
            branch = BRANCHES[employee]
            for _ in range(int(rng.poisson(2))):
                at = pd.Timestamp(day) + pd.Timedelta(minutes=int(rng.integers(9 * 60, 18 * 60)))
                missed = rng.random() < 0.06
                rings = callback = hold = ""
                if missed:
                    back = rng.random() < _p("phone_missed_returned", branch, employee, day, force)
                    callback = "да" if back else "нет"
                else:
                    quick = rng.random() < _p("phone_third_ring", branch, employee, day, force)
                    rings = str(int(rng.integers(1, 4)) if quick else int(rng.integers(4, 9)))
                    if rng.random() < 0.3:
                        ok = rng.random() < _p("phone_callback", branch, employee, day, force)
                        if ok and rng.random() < 0.5:
                            hold, callback = str(int(rng.integers(61, 240))), "да"
                        elif ok:
                            hold, callback = str(int(rng.integers(5, 61))), "нет"
                        else:
                            hold, callback = str(int(rng.integers(61, 400))), "нет"
                rows.append((_stamp(at), branch, employee, rings, "да" if missed else "нет",
                             hold, callback))
    return pd.DataFrame(rows, columns=["Дата и время", "Филиал", "Сотрудник", "Гудков",
                                       "Пропущен", "Удержание, сек", "Обратный звонок"])


def _requests(rng: np.random.Generator, force: dict) -> pd.DataFrame:
    rows = []
    channels, categories = ("Телефон", "Почта", "Сайт"), ("Вопрос", "Заказ", "Жалоба")
    for day in _workdays():
        for _ in range(int(rng.poisson(3))):
            employee = MANAGERS[int(rng.integers(0, len(MANAGERS)))]
            branch = BRANCHES[employee]
            at = pd.Timestamp(day) + pd.Timedelta(minutes=int(rng.integers(8 * 60, 20 * 60)))
            ok = rng.random() < _p("request_answer_10h", branch, employee, day, force)
            hours = rng.uniform(0.2, 9.8) if ok else rng.uniform(10.5, 60)
            answer = at + pd.Timedelta(minutes=round(hours * 60))
            if answer.date() > END:
                answer = None
            resolved = answer + pd.Timedelta(hours=float(rng.uniform(1, 72))) if answer else None
            complaint = COMPLAINT_SHARE["after" if day >= force[branch] else "before"]
            category = categories[int(rng.choice(3, p=[0.55, 0.45 - complaint, complaint]))]
            rows.append((_stamp(at), _stamp(answer) if answer is not None else "",
                         _stamp(resolved) if resolved is not None else "",
                         channels[int(rng.integers(0, 3))], category, branch, employee))
    return pd.DataFrame(rows, columns=["Поступило", "Первый ответ", "Решено", "Канал",
                                       "Категория", "Филиал", "Сотрудник"])


def _sales_effect(out_dir: Path) -> dict | None:
    """The standards' effect on sales as ``truth.json`` beside the logs records it."""
    path = out_dir / "truth.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text("utf-8")).get("standards_effect")


def _training(rng: np.random.Generator) -> pd.DataFrame:
    """The training log: every employee takes a course per standard during the training
    stage of its branch's wave; a course failed is retaken two weeks later (and passed or
    not, once more).
    """
    from playbook.standards.rollout import plan
    from playbook.standards.settings import Rollout

    stages = plan(Rollout(**ROLLOUT))
    train = {b: row for row in stages[stages["stage"] == "train"].itertuples()
             for b in row.branches}
    courses = [item for item in BEFORE if item != "smile"]
    rows = []
    for employee in MANAGERS:
        stage = train[BRANCHES[employee]]
        days = (stage.end - stage.start).days
        for course in courses:
            day = stage.start + dt.timedelta(days=int(rng.integers(0, days)))
            for _attempt in range(2):
                passed = rng.random() < TRAINING_PASS[employee]
                score = int(rng.integers(80, 101) if passed else rng.integers(40, 80))
                rows.append((day.strftime("%d.%m.%Y"), BRANCHES[employee], employee, course,
                             "да" if passed else "нет", str(score)))
                if passed:
                    break
                day += dt.timedelta(days=14)
    rows.sort(key=lambda r: (dt.datetime.strptime(r[0], "%d.%m.%Y"), r[2], r[3]))
    return pd.DataFrame(rows, columns=["Дата обучения", "Филиал", "Сотрудник", "Курс",
                                       "Сдал", "Балл"])


def write_standards_demo(out_dir: Path, *, seed: int = SEED) -> dict:
    """Write the three logs and ``standards_truth.json`` into ``out_dir``; return the truth.

    The truth copies the standards' effect on sales from the sales generator's
    ``truth.json`` in ``out_dir`` (``make demo-data`` writes it first; null without it).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    force = in_force_by_branch()
    logs = (_audits(rng, force), _calls(rng, force), _requests(rng, force))
    frames = dict(zip(STANDARDS_FILES, (*logs, _training(rng)), strict=True))
    for name, frame in frames.items():
        with (out_dir / name).open("w", encoding="cp1251", newline="") as handle:
            frame.to_csv(handle, sep=";", index=False, lineterminator="\r\n")
    truth = {
        "generator": "playbook.demo.standards", "generator_version": GENERATOR_VERSION,
        "seed": seed, "files": list(STANDARDS_FILES), "period": [START.isoformat(),
                                                                 END.isoformat()],
        "branches": BRANCHES, "rollout": ROLLOUT,
        "in_force": {b: d.isoformat() for b, d in force.items()},
        "pass_probability": {"before": BEFORE, "after": AFTER},
        "star": {"employee": STAR, "log_odds_boost": STAR_BOOST},
        "unknown_item": "smile",
        "complaint_share": COMPLAINT_SHARE,
        "training_pass": TRAINING_PASS,
        "rows": {name: len(frame) for name, frame in frames.items()},
        # the standards' effect on sales, planted by playbook.demo.sales (run first)
        "sales_effect": _sales_effect(out_dir),
    }
    (out_dir / "standards_truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return truth


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: regenerate the demo client's standards logs."""
    parser = argparse.ArgumentParser(prog="python -m playbook.demo.standards",
                                     description="Generate the demo's service-standards logs.")
    parser.add_argument("--out", type=Path, required=True, help="folder to write into")
    parser.add_argument("--seed", type=int, default=SEED, help=f"default {SEED}")
    args = parser.parse_args(argv)
    print(json.dumps(write_standards_demo(args.out, seed=args.seed)["rows"]))


if __name__ == "__main__":
    main()
