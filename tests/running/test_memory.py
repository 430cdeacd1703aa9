"""A kernel gives the memory it frees back to the system; the figures do not depend on it."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_tidy_moves_pyarrow_to_the_c_allocator_and_starts_one_trimmer():
    # in a fresh interpreter: tidy changes the process (pyarrow's pool, one thread)
    code = textwrap.dedent("""
        import threading, time
        import pyarrow as pa
        from playbook.running import memory
        memory.PERIOD = 0.05
        memory.tidy(); memory.tidy()
        assert pa.default_memory_pool().backend_name == "system", pa.default_memory_pool()
        names = [t.name for t in threading.enumerate()]
        assert names.count("playbook-memory-trim") == (memory._glibc() is not None)
        big = pa.array(range(1_000_000))
        del big
        memory.trim()
        time.sleep(0.2)  # the trimmer runs beside the work
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
