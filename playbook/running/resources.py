"""What a run may use of the machine: how many notebooks run at once, by the CPU cores this
process may use and by the memory a client of this size needs.

A notebook's kernel holds the client's transactions and what is made from them: about a
gigabyte at a million transactions, several at ten million. Two of them side by side on a
laptop can exhaust its memory and the system kills a kernel mid-run; so the runner starts no
more notebooks at once than fit in ``run.memory_gb`` (by default three quarters of the
memory free when the run starts).
"""

from __future__ import annotations

import os

from playbook.intake.decode import usable_cpus
from playbook.params import Params

__all__ = ["CONCURRENCY_ENV", "concurrency", "kernel_memory", "available_memory",
           "memory_budget", "memory_fits"]

#: Overrides ``run.concurrency`` (e.g. ``1`` in each child of a parallel batch).
CONCURRENCY_ENV = "PLAYBOOK_CONCURRENCY"


def concurrency(params: Params, transactions: int | None = None) -> int:
    """How many notebooks run at once: :data:`CONCURRENCY_ENV`, else ``run.concurrency``,
    else (0) one per CPU core this process may use, at most 4; and, given the client's
    ``transactions``, never more than fit in memory (:func:`memory_fits`).
    """
    wanted = os.environ.get(CONCURRENCY_ENV, "").strip()
    if wanted.isdigit() and int(wanted) > 0:
        jobs = int(wanted)
    elif params.run.concurrency:
        jobs = params.run.concurrency
    else:
        jobs = max(1, min(usable_cpus(), 4))
    return jobs if transactions is None else min(jobs, memory_fits(params, transactions))


#: A notebook kernel's peak memory, measured on generated clients (bench/README.md): about
#: 0.4 GB and 190 bytes a transaction (2.3 GB at 10M transactions: the segmentation's
#: analyses, the standards reading managers and branches, the lifetime-value model); 220
#: leaves a margin.
KERNEL_BASE, KERNEL_PER_ROW = 0.4e9, 220


def kernel_memory(transactions: int) -> float:
    """The bytes one notebook's kernel may need at its peak for a client this size."""
    return KERNEL_BASE + KERNEL_PER_ROW * transactions


def available_memory() -> int | None:
    """Bytes of memory free for new work (Linux's MemAvailable), or None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def memory_budget(params: Params) -> float | None:
    """The bytes the notebooks may use together: ``run.memory_gb``, else three quarters of
    :func:`available_memory` (None where that is unknown: no limit).
    """
    if params.run.memory_gb:
        return params.run.memory_gb * 1e9
    free = available_memory()
    return None if free is None else 0.75 * free


def memory_fits(params: Params, transactions: int) -> int:
    """How many notebooks fit in :func:`memory_budget` at once (at least one)."""
    budget = memory_budget(params)
    if budget is None:
        return 64
    return max(1, int(budget // kernel_memory(transactions)))
