"""Large transactions files for benchmarks, in the demo's format.

:func:`write_large` simulates as many customers as a wanted number of rows needs, by the
demo client's process, and writes their sales the way the demo's ``transactions.csv`` is
written, in chunks so that 10 million rows stay well under 2 GB of memory.
``python -m playbook.demo.sales --large 1000000 --out /tmp/big.csv`` calls it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from playbook.demo.customers import assign_managers, customer_codes
from playbook.demo.documents import number_documents, sales_lines, transaction_text, write_csv
from playbook.demo.names import company_names
from playbook.demo.settings import DEMO_SEED

__all__ = ["write_large"]

#: Rows per customer the process gives on average (used to size the large files).
_ROWS_PER_CUSTOMER = 13.45
_LARGE_CHUNK_CUSTOMERS = 100_000
_LARGE_WRITE_ROWS = 500_000


def write_large(path: Path, n_transactions: int, *, seed: int = DEMO_SEED) -> Path:
    """Write a large transactions file in the demo's format, for benchmarks.

    Same process, period, headers and encoding as the demo's ``transactions.csv``, with
    about ``n_transactions`` rows from ``n_transactions / 13`` customers, and no planted
    problems. Customers are simulated in chunks and the rows written in chunks, so 10
    million rows stay well under 2 GB of memory.

    Parameters
    ----------
    path
        File to write (its folder is created if missing).
    n_transactions
        Approximate number of rows wanted.
    seed
        Seed of the generator; the same seed and size give byte-identical files.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n_customers = max(1, round(n_transactions / _ROWS_PER_CUSTOMER))
    seeds = np.random.SeedSequence(seed).spawn(1 + -(-n_customers // _LARGE_CHUNK_CUSTOMERS))
    rng = np.random.default_rng(seeds[0])
    names = company_names(n_customers, rng)["name"].to_numpy()
    codes = customer_codes(n_customers)
    managers = assign_managers(n_customers, rng)

    parts = []
    for i, offset in enumerate(range(0, n_customers, _LARGE_CHUNK_CUSTOMERS)):
        size = min(_LARGE_CHUNK_CUSTOMERS, n_customers - offset)
        part = sales_lines(size, np.random.default_rng(seeds[i + 1]))
        part["customer"] += offset
        parts.append(part)
    # column by column, freeing the pieces as we go
    lines = {
        column: np.concatenate([part.pop(column) for part in parts]) for column in list(parts[0])
    }
    del parts
    lines = number_documents(lines)
    width = max(6, len(str(int(lines["doc"][-1]))))

    with open(path, "w", encoding="cp1251", newline="") as handle:
        for start in range(0, len(lines["doc"]), _LARGE_WRITE_ROWS):
            chunk = pd.DataFrame({c: v[start:start + _LARGE_WRITE_ROWS] for c, v in lines.items()})
            text = transaction_text(chunk, codes, names, managers, prefix="РН-", width=width)
            write_csv(text, handle, header=start == 0)
    return path
