"""A notebook's kernel gives the memory it has freed back to the system.

A large client's analyses make and drop temporaries of tens to hundreds of megabytes. The C
allocator keeps what they freed for later, and pyarrow's own pool (mimalloc) keeps its
buffers: at ten million transactions a kernel's resident memory stayed half a gigabyte to a
gigabyte above what it held, and two kernels run side by side. :func:`tidy`, called once by
:func:`playbook.running.context.open_run` (the first line of every notebook) and by the
runner, makes pyarrow allocate with the C allocator too and, with glibc, maps every block of
a megabyte or more on its own (unmapped as soon as it is freed, instead of glibc's default
of keeping blocks up to 32 MB once it has seen one freed) and trims the rest once a second
in a thread of its own (``malloc_trim``: a few milliseconds). Elsewhere (macOS, musl) only
pyarrow's pool changes. The figures do not depend on it: only where freed memory goes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
import time
from functools import cache

import pyarrow as pa

__all__ = ["tidy", "trim"]

#: Seconds between two trims.
PERIOD = 1.0
#: Blocks this large or larger are mapped on their own and unmapped when freed.
MMAP_THRESHOLD = 1 << 20
#: glibc's ``mallopt`` option for that threshold.
_M_MMAP_THRESHOLD = -3

_lock = threading.Lock()
_started = False


@cache
def _glibc():
    """The C library when it is glibc (it has ``malloc_trim``), else None."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return libc if libc is not None and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def trim() -> None:
    """Give what pyarrow's pool and the C allocator hold unused back to the system now."""
    pool = pa.default_memory_pool()
    pool.release_unused()  # on the system pool (after tidy) that is glibc's malloc_trim
    libc = _glibc()
    if libc is not None and pool.backend_name != "system":
        libc.malloc_trim(0)


def tidy() -> None:
    """From now on in this process: pyarrow on the C allocator and, with glibc, large
    blocks unmapped when freed and the rest trimmed every :data:`PERIOD` seconds. Once per
    process; later calls do nothing.
    """
    global _started
    with _lock:
        if _started:
            return
        _started = True
    pa.set_memory_pool(pa.system_memory_pool())
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        threading.Thread(target=_trim_every, args=(libc,), name="playbook-memory-trim",
                         daemon=True).start()


def _trim_every(libc) -> None:
    while True:
        time.sleep(PERIOD)
        libc.malloc_trim(0)
