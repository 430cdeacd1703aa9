"""CPU seconds of the mailing lists (``exports.write_mailing_lists``) on a large client.

A realistic mailing frame (as ``exports.mailing_list`` builds it from the segmentation:
Cyrillic names with quotes, phones with ``+``, some blank contacts, a consent column) of
``--customers`` rows, written once into a temporary folder; prints the CPU seconds of the
whole call and the files it wrote.

    .venv/bin/python bench/bench_mailing.py --customers 74000 743000
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
from playbook.exports import mailing
from playbook.report.i18n import Lang

_SURNAMES = ("Иванов", "Петров", "Сидоров", "Кузнецов", "Smith", "Лебедев", "Орлов")
_FORMS = ("ООО «{}»", 'ООО "{}"', "ИП {}", "АО «{}»", "{}; филиал", "={}")
_SEGMENTS = ("Champions", "Loyal", "Need attention", "At risk", "Lost", "New")
_RUNGS = ("buyer", "client", "regular", "adherent", "unknown")


def mailing_frame(customers: int, lang: Lang, seed: int = 7) -> pd.DataFrame:
    """A mailing list of ``customers`` rows, built by :func:`exports.mailing_list`."""
    rng = np.random.default_rng(seed)
    ids = pd.Series([f"C{i:07d}" for i in range(customers)])
    pick = lambda items: rng.choice(np.array(items, dtype=object), customers)  # noqa: E731
    names = [form.format(f"{s}-{i}") for i, (form, s) in
             enumerate(zip(pick(_FORMS), pick(_SURNAMES), strict=True))]
    digits = rng.integers(0, 10**10, customers)
    phones = np.where(rng.random(customers) < 0.6, [f"+7 9{d % 100:02d} {d // 100 % 1000:03d}-"
                                                   f"{d % 97:02d}-{d % 89:02d}" for d in digits],
                      [f"8 (495) {d % 1000:03d}-{d % 97:02d}-{d % 89:02d}" for d in digits])
    phones = pd.Series(phones, dtype=object).mask(rng.random(customers) < 0.15)
    emails = pd.Series([f"info{i}@firm{i % 997}.ru" for i in range(customers)],
                       dtype=object).mask(rng.random(customers) < 0.2)
    birthdays = pd.to_datetime("1960-01-01") + pd.to_timedelta(
        rng.integers(0, 15000, customers), unit="D")
    table = pd.DataFrame({
        "customer_id": ids, "name": names,
        "manager": pick([f"Менеджер {s}" for s in _SURNAMES] + [None]),
        "contact_person": pick([f"{s} И. П." for s in _SURNAMES] + [None]),
        "phone": phones, "email": emails,
        "birthday": pd.Series(birthdays).mask(rng.random(customers) < 0.7),
        "consent": pick(["да", "нет", None, "Да", "позже"])})
    people = exports.people(table, pd.DataFrame({"customer_id": [], "date": []}), ids)
    last = pd.Timestamp(2026, 10, 30) - pd.to_timedelta(rng.integers(0, 900, customers), unit="D")
    base = pd.DataFrame({
        "customer_id": ids, "state": pick(["active", "overdue", "at_risk", "lost"]),
        "segment": pick(_SEGMENTS),
        "rung": [exports.plain_text(lang.t(f"segmentation.rung.{r}")) for r in pick(_RUNGS)],
        "value_band": pick(["A", "B", "C"]),
        "last_purchase": [d.date() for d in last]})
    found = exports.occasions(table, start=dt.date(2026, 11, 2), days=30)
    return mailing.mailing_list(base, people, found, lang)


def _cpu(call, *args) -> tuple[float, object]:
    start = time.process_time()
    out = call(*args)
    return time.process_time() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[74_000])
    parser.add_argument("--lang", default="ru")
    args = parser.parse_args()
    lang = Lang(args.lang)
    for n in args.customers:
        frame = mailing_frame(n, lang)
        with tempfile.TemporaryDirectory() as folder:
            seconds, files = _cpu(mailing.write_mailing_lists, frame, Path(folder), lang)
            sizes = ", ".join(f"{f.name} {f.stat().st_size / 1e6:.1f} MB" for f in files)
        print(f"{n:>9,} customers: write_mailing_lists {seconds:6.2f} s CPU ({sizes})")


if __name__ == "__main__":
    main()
