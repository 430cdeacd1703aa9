"""Time :func:`playbook.exports.write_offers` printing N simple one-page offers to PDF.

Prints, for each round: wall time; the CPU of this process's main thread (writing the
pages, driving the browser); and the CPU of the Chromium processes, summed from ``/proc``
(sampled every 20 ms by a thread: a browser killed at the end is never reaped, so the
children's rusage would miss it, and its renderers are the zygote's children anyway), with
the rusage of the children reaped beside it::

    .venv/bin/python bench/bench_offers_pdf.py --pages 10 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

from playbook.exports import write_offers

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Offer {i}</title>
<style>@page {{ size: A4; margin: 16mm }} body {{ font-family: sans-serif }}</style></head>
<body><h1>Offer number {i}</h1><p>Dear customer {i}, we miss you: 10% off your next
order.</p></body></html>"""
_TICK = os.sysconf("SC_CLK_TCK")


class BrowserCpu(threading.Thread):
    """Samples the CPU seconds of every process whose command line holds ``marker`` (the
    browsers' temporary profiles live under it), or whose parent is one of them.
    """

    def __init__(self, marker: str) -> None:
        super().__init__(daemon=True)
        self.marker = marker
        self.seen: dict[tuple[int, str], float] = {}  # (pid, start time): CPU seconds
        self.ours: set[int] = set()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            time.sleep(0.02)
        self.sample()

    def sample(self) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
                fields = stat[stat.rindex(")") + 2:].split()
                ppid = int(fields[1])
                if pid not in self.ours and ppid not in self.ours:
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                    if self.marker.encode() not in cmdline:
                        continue
                self.ours.add(pid)
                cpu = (int(fields[11]) + int(fields[12])) / _TICK
                self.seen[(pid, fields[19])] = max(cpu, self.seen.get((pid, fields[19]), 0))
            except (OSError, ValueError, IndexError):
                continue

    @property
    def total(self) -> float:
        return sum(self.seen.values())


def _reaped() -> float:
    """CPU seconds of the child processes waited for (a browser killed at the end and
    its renderers, reaped by its zygote, are missing: the sampler counts them).
    """
    times = os.times()
    return times.children_user + times.children_system


def main() -> None:
    """Write ``--pages`` offers ``--repeat`` times and print each round's timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pages = {f"offer-{i:04d}": PAGE.format(i=i) for i in range(args.pages)}
    for round_ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="bench-offers-") as folder:
            tempfile.tempdir = folder  # the browsers' profiles: the sampler's marker
            sampler = BrowserCpu(folder)
            sampler.start()
            wall, cpu, reaped = time.perf_counter(), time.thread_time(), _reaped()
            out = write_offers(pages, Path(folder) / "offers")
            wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
            reaped = _reaped() - reaped
            sampler.done.set()
            sampler.join()
            tempfile.tempdir = None
        print(f"round {round_ + 1}: {len(out.pdf)}/{args.pages} PDFs, wall {wall:.2f} s, "
              f"CPU: Python {cpu:.2f} s + Chromium {sampler.total:.2f} s "
              f"({len(sampler.seen)} processes; {reaped:.2f} s reaped), error {out.pdf_error}")


if __name__ == "__main__":
    main()
