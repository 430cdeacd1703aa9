"""A batch's child process: ``python -m playbook.running.child PARENT_PID run PARAMS ...``.

It is ``playbook run`` (the same arguments, the same exit codes) that dies with the process
that started it. On Linux it asks the kernel for SIGKILL when its parent ends, and ends at
once if the parent is already gone, so a batch stopped with ``kill -9`` or a Dask worker
lost mid-client (``playbook batch --scheduler``) leaves no orphaned run writing on beside
the client's retry. Elsewhere it is plain ``playbook run``.
"""

from __future__ import annotations

import os
import signal
import sys

__all__ = ["die_with_parent", "main"]

#: prctl(2) option: the signal sent to this process when its parent ends.
_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Be killed when the process ``parent_pid`` ends (Linux; a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # no prctl: run as plain ``playbook run``
        return
    if os.getppid() != parent_pid:  # the parent ended before prctl took effect
        os._exit(1)


def main(argv: list[str]) -> int:
    """Run ``playbook ARGV[1:]`` as a child of process ``ARGV[0]``; its exit code."""
    die_with_parent(int(argv[0]))
    from playbook.cli import main as cli_main

    return cli_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
