"""A notebook's kernel gives the memory it has freed back to the system.

A large client's analyses make and drop temporaries of hundreds of megabytes. The C
allocator keeps what they freed for later, and pyarrow's own pool (mimalloc) keeps its
buffers: at ten million transactions a kernel's resident memory stays half a gigabyte to
a gigabyte above what it holds, and two kernels run side by side. :func:`tidy`, called
once by :func:`playbook.running.context.open_run` (the first line of every notebook),
makes pyarrow allocate with the C allocator too and trims that allocator once a second in
a thread of its own (glibc's ``malloc_trim``: a few milliseconds; elsewhere nothing is
trimmed). The figures do not depend on it: only where freed memory goes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time

import pyarrow as pa

__all__ = ["tidy", "trim"]

#: Seconds between two trims.
PERIOD = 1.0

_lock = threading.Lock()
_started = False


def _malloc_trim():
    """The C library's ``malloc_trim`` (glibc), or None where it has none (macOS, musl)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def trim() -> None:
    """Give what pyarrow's pool and the C allocator hold unused back to the system now."""
    pa.default_memory_pool().release_unused()
    release = _malloc_trim()
    if release is not None:
        release(0)


def tidy() -> None:
    """From now on in this process: pyarrow on the C allocator, trimmed every
    :data:`PERIOD` seconds. Once per process; later calls do nothing.
    """
    global _started
    with _lock:
        if _started:
            return
        _started = True
    pa.set_memory_pool(pa.system_memory_pool())
    release = _malloc_trim()
    if release is not None:
        threading.Thread(target=_trim_every, args=(release,), name="playbook-memory-trim",
                         daemon=True).start()


def _trim_every(release) -> None:
    while True:
        time.sleep(PERIOD)
        release(0)
