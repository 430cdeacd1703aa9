"""CPU seconds of the managers' task workbooks (``exports.write_task_lists``) on a large client.

Five lists (calls, retain, win-back, greetings, penetration) of ``--tasks`` tasks in all,
over seven managers and the unassigned ones, built with ``exports.finish`` as the notebooks
build them (contacts with formula starts and invalid phones and e-mails, the context
columns, Cyrillic text), written once into a fresh temporary folder, as ``playbook run``
writes them; prints the CPU seconds of the whole call and the files' total size.

    .venv/bin/python bench/bench_workbooks.py --tasks 16700 167000
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from playbook import exports
from playbook.exports import workbook
from playbook.report.i18n import Lang

START = dt.date(2026, 11, 2)
#: Each list's share of the tasks (16,700 tasks: 3,000 calls, 4,000 retain...).
SHARES = {"calls": 3000, "retain": 4000, "winback": 5000, "greetings": 1700,
          "penetration": 3000}
MANAGERS = ("Лебедев Дмитрий", "Орлова Анна", "Иванов И. И.", "Smith John", "Петрова Мария",
            "Кузнецов Олег", exports.UNASSIGNED)
_FORMS = ("ООО «{}»", 'ООО "{}"', "ИП {}", "АО «{}»", "{}; филиал", "={}", "-{}")
_SEGMENTS = ("Чемпионы", "Лояльные", "Требуют внимания", "В зоне риска", "Потерянные")


def task_lists(tasks: int, lang: Lang, seed: int = 7) -> dict[str, pd.DataFrame]:
    """``{list: finished tasks}`` of about ``tasks`` tasks, as the notebooks hand them over."""
    rng = np.random.default_rng(seed)
    customers = max(tasks // 2, 10)
    ids = pd.Series([f"C{i:07d}" for i in range(customers)])
    pick = lambda items, n=customers: rng.choice(np.array(items, dtype=object), n)  # noqa: E731
    digits = rng.integers(0, 10**10, customers)
    phones = np.where(rng.random(customers) < 0.7,
                      [f"+7 9{d % 100:02d} {d // 100 % 1000:03d}-{d % 97:02d}-{d % 89:02d}"
                       for d in digits], [f"{d % 1000}-{d % 97}" for d in digits])
    people = pd.DataFrame({
        "customer_id": ids,
        "manager": pick(MANAGERS),
        "customer_name": [form.format(f"Клиент {i}") for i, form in enumerate(pick(_FORMS))],
        "contact_person": pick(["Анна Петровна", "Олег", None, "-Пётр"]),
        "phone": pd.Series(phones, dtype=object).mask(rng.random(customers) < 0.15),
        "email": pd.Series([f"info{i}@firm{i % 997}.ru" if i % 13 else f"info{i} at firm"
                            for i in range(customers)], dtype=object)
        .mask(rng.random(customers) < 0.2)})
    last = pd.Timestamp(2026, 10, 30) - pd.to_timedelta(rng.integers(0, 900, customers),
                                                        unit="D")
    context = pd.DataFrame({
        "customer_id": ids, "last_purchase": [d.date() for d in last],
        "revenue_12m": rng.gamma(2.0, 50_000.0, customers).round(2),
        "usual_category": pick(["Бумага", "Канцелярия", "Мебель", None]),
        "drop_share": np.where(rng.random(customers) < 0.5, rng.random(customers), np.nan),
        "segment": pick(_SEGMENTS), "rung": pick(["Клиент", "Постоянный", "Приверженец"]),
        "value_band": pick(["A", "B", "C"]),
        "p_alive": rng.random(customers), "share_of_wallet": None})
    scale = tasks / sum(SHARES.values())
    made = {}
    for key, share in SHARES.items():
        n = min(customers, round(share * scale))
        chosen = ids.sample(n, random_state=int(rng.integers(1 << 31))).to_numpy()
        due = START + dt.timedelta(days=7 if key != "greetings" else 20)
        rows = pd.DataFrame({
            "customer_id": chosen,
            "reason": pick([f"Перешёл в «{s}»; выручка упала" for s in _SEGMENTS], n),
            "suggested_action": exports.plain_text(lang.t("exports.action.winback")),
            "due_date": [due - dt.timedelta(days=int(d)) for d in rng.integers(0, 30, n)],
            "value_at_stake": rng.gamma(2.0, 20_000.0, n).round(2)})
        made[key] = exports.finish(rows, key, lang, people=people,
                                   context=context if key != "greetings" else None,
                                   start=START)
    return made


def _cpu(call, *args, **kwargs) -> tuple[float, object]:
    start = time.process_time()
    out = call(*args, **kwargs)
    return time.process_time() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, nargs="+", default=[16_700])
    parser.add_argument("--lang", default="ru")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    lang = Lang(args.lang)
    for n in args.tasks:
        lists = task_lists(n, lang)
        total = sum(len(t) for t in lists.values())
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as folder:
                seconds, files = _cpu(workbook.write_task_lists, lists, Path(folder), lang,
                                      start=START)
                size = sum(f.stat().st_size for f in files) / 1e6
            print(f"{total:>9,} tasks, {len(files)} workbooks: write_task_lists "
                  f"{seconds:6.2f} s CPU ({size:.1f} MB)")


if __name__ == "__main__":
    main()
