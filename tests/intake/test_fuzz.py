"""Fuzzing intake with generated exports: read right, or stop with a message.

Hypothesis writes transaction exports the way real systems do and the way broken ones do:
separators, quoting, decimal marks and thousands separators, several date formats in one
column, encodings (per file, and a line now and then in another one), NUL bytes, numbers too
large for money, duplicate and blank lines. For each file intake must either read exactly
the rows the generator wrote (customer, date and amount, compared as a multiset against the
generator's own values) or stop with a :class:`~playbook.errors.PlaybookError` (exit 2 on
the command line). Anything else - another exception, a wrong total, a garbled customer id -
fails the test.

``make fuzz`` runs many more examples than ``make test`` (``FUZZ_EXAMPLES``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from playbook.errors import PlaybookError
from playbook.intake import run_intake
from playbook.params import params_from_dict

pytestmark = pytest.mark.slow

TODAY = dt.date(2025, 1, 31)
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
HEADERS = ("Код клиента", "Дата", "Сумма")
#: Date formats that can share one column without ambiguity (day first, or ISO).
DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y")


@dataclass(frozen=True)
class Row:
    """One generated sale: what the file says, in the generator's own terms."""

    customer: str
    date: dt.date
    cents: int


@dataclass
class Export:
    """A generated export: its bytes, the rows it holds, and what was done to it."""

    data: bytes
    rows: list[Row]
    hostile: list[str]


customers = st.one_of(
    st.sampled_from(["К-001", "К-002", "ООО Ромашка", "ИП Сидоров", "007", "A-17", "Z9"]),
    st.from_regex(r"[A-Za-zА-Яа-я0-9][A-Za-zА-Яа-я0-9 \-]{0,12}[A-Za-zА-Яа-я0-9]",
                  fullmatch=True),
)
rows = st.builds(Row, customers,
                 st.dates(dt.date(2019, 1, 1), dt.date(2024, 12, 31)),
                 st.integers(-5_000_000, 2_000_000_000))


def _amount(cents: int, decimal: str, thousands: str) -> str:
    sign, cents = ("-" if cents < 0 else ""), abs(cents)
    whole, frac = divmod(cents, 100)
    text = f"{whole:,}".replace(",", thousands)
    return f"{sign}{text}{decimal}{frac:02d}"


@st.composite
def exports(draw) -> Export:
    """A transactions export and the rows it holds."""
    body = draw(st.lists(rows, min_size=1, max_size=30))
    delimiter = draw(st.sampled_from([";", ",", "\t", "|"]))
    decimal = draw(st.sampled_from([",", "."]))
    thousands = draw(st.sampled_from(["", " ", "\u00a0", "." if decimal == "," else ","]))
    formats = draw(st.lists(st.sampled_from(DATE_FORMATS), min_size=1, max_size=2, unique=True))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1251", "utf-16"]))
    hostile = draw(st.lists(st.sampled_from(["nul", "huge", "duplicate", "blank_line",
                                             "other_encoding"]), max_size=2, unique=True))
    if "duplicate" in hostile:
        body.append(body[draw(st.integers(0, len(body) - 1))])
    cells = [[r.customer, r.date.strftime(formats[i % len(formats)]),
              _amount(r.cents, decimal, thousands)] for i, r in enumerate(body)]
    at = draw(st.integers(0, len(cells) - 1))
    if "nul" in hostile:
        cells[at][0] = cells[at][0][:1] + "\x00" + cells[at][0][1:]
    if "huge" in hostile:
        cells[at][2] = "9" * draw(st.integers(20, 45))
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator="\r\n")
    writer.writerow(HEADERS)
    lines = []
    for row in cells:
        line = io.StringIO()
        csv.writer(line, delimiter=delimiter, quoting=quoting, lineterminator="\r\n"
                   ).writerow(row)
        lines.append(line.getvalue())
    if "blank_line" in hostile:
        lines.insert(draw(st.integers(0, len(lines))), "\r\n")
    data = buffer.getvalue().encode(encoding)
    other = "cp1251" if encoding.startswith("utf-8") else "utf-8"
    odd = at if "other_encoding" in hostile and not encoding.startswith("utf-16") else None
    for number, line in enumerate(lines):
        if encoding == "utf-16":
            data += line.encode("utf-16-le")  # the BOM only once, at the start
        else:
            data += line.encode(other if number == odd else encoding.removesuffix("-sig"))
    return Export(data, body, hostile)


def _read(folder: Path, export: Export):
    """Run intake on the export: the rows read as (customer, date, cents), or the error."""
    (folder / "tx.csv").write_bytes(export.data)
    params = params_from_dict({"client": {"name": "Фазз"}, "data": {"transactions": "tx.csv"}},
                              base_dir=folder)
    out = folder / "out"
    try:
        run_intake(params, out, today=TODAY)
    except PlaybookError as exc:
        return str(exc)
    frame = pd.read_parquet(out / "transactions.parquet", columns=["customer_id", "date",
                                                                    "amount"])
    return sorted(
        (str(c), pd.Timestamp(d).date(), int((Decimal(str(a)) * 100).to_integral_value()))
        for c, d, a in frame.itertuples(index=False))


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(export=exports())
def test_intake_reads_right_or_stops(tmp_path_factory, export):
    folder = tmp_path_factory.mktemp("fuzz")
    outcome = _read(folder, export)
    if isinstance(outcome, str):
        assert "tx.csv" in outcome, f"the message does not name the file: {outcome}"
        assert len(outcome) < 3000
        return
    expected = sorted((r.customer, r.date, r.cents) for r in export.rows)
    assert outcome == expected, f"read wrong ({export.hostile}): {export.data[:400]!r}"
    assert (folder / "tx.csv").read_bytes() == export.data  # the input is never modified
