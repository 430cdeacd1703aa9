"""Preloaded into the test cluster's workers (``dask worker --preload THIS_FILE``).

A client whose folder holds a file ``slow`` with a number N is "slow" for its first N
attempts: instead of ``playbook run`` its child (which dies with the worker, as the real one)
writes ``attempt-K`` beside the parameters file, holding the worker's and its own process
id, and sleeps. The test kills that worker; the next attempt of the client runs normally.
Any other client runs as in production.
"""

import sys
from pathlib import Path

from playbook.running import batch

_real_command = batch._command

_SLEEPER = """
import os, sys, time
from pathlib import Path
from playbook.running.child import die_with_parent
die_with_parent(int(sys.argv[1]))
marker = Path(sys.argv[2])
partial = marker.with_name(marker.name + ".partial")
partial.write_text(f"{os.getppid()} {os.getpid()}")
partial.replace(marker)
time.sleep(600)
"""


def _command(params_path: Path, run_dir: Path) -> list[str]:
    folder = Path(params_path).parent
    slow = folder / "slow"
    if slow.is_file():
        attempts = len(list(folder.glob("attempt-[0-9]")))
        if attempts < int(slow.read_text()):
            parent = _real_command(params_path, run_dir)[3]  # the worker's process id
            return [sys.executable, "-c", _SLEEPER, parent,
                    str(folder / f"attempt-{attempts + 1}")]
    return _real_command(params_path, run_dir)


def dask_setup(worker) -> None:
    batch._command = _command
