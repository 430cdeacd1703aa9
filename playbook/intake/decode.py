"""Text files that are not UTF-8 are copied to UTF-8 for DuckDB, in parallel when big."""

from __future__ import annotations

import codecs
import os
import shutil
import subprocess
import sys
from pathlib import Path

#: Text files from this size on are decoded by one process per CPU (see _transcode).
PARALLEL_TRANSCODE_BYTES = 32 << 20
TRANSCODE_WORKERS = 8
TRANSCODE_CHUNK = 1 << 20

# Bytes classed for a quick look for UTF-8 Cyrillic in a file taken for cp1251: "L" for the
# lead bytes of Cyrillic letters in UTF-8 (0xD0, 0xD1), "C" for continuation bytes. Two
# letters in a row ("LCLC") are a word of UTF-8 Cyrillic; in cp1251 text they would be "Р"
# or "С" followed by a rare sign (« » № Ё) twice over.
_UTF8_CLASSES = bytes(ord("L") if b in (0xD0, 0xD1) else ord("C") if 0x80 <= b < 0xC0
                      else ord(".") for b in range(256))
_UTF8_WORD = b"LCLC"


class Utf8Seen(Exception):
    """A file being decoded as a code page holds what looks like UTF-8 Cyrillic."""


def _transcode(path: Path, encoding: str, work_dir: Path, *, watch_utf8: bool = False) -> Path:
    """Copy a non-UTF-8 text file to UTF-8 in the run's work folder (the input stays as is).

    Python's codecs do a few hundred MB a second, which makes decoding a big cp1251 export
    one of the costliest steps of a run, so a big file in a single-byte code page is decoded
    by one process per CPU (:func:`_transcode_parallel`); anything else in one pass here.

    With ``watch_utf8`` (a code page guessed, not given), a word of UTF-8 Cyrillic in the file
    stops the copy with :class:`Utf8Seen`: the file may mix two encodings, which the caller
    checks line by line.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    target = work_dir / f"{path.stem}.utf8{path.suffix or '.csv'}"
    if usable_cpus() > 1 and path.stat().st_size >= PARALLEL_TRANSCODE_BYTES \
            and _single_byte(encoding):
        return _transcode_parallel(path, encoding, target, watch_utf8)
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with path.open("rb") as src, target.open("wb") as dst:
        while chunk := src.read(TRANSCODE_CHUNK):
            if watch_utf8 and _UTF8_WORD in chunk.translate(_UTF8_CLASSES):
                raise Utf8Seen()
            dst.write(decoder.decode(chunk).encode("utf-8"))
        dst.write(decoder.decode(b"", final=True).encode("utf-8"))
    return target


def _single_byte(encoding: str) -> bool:
    """True for code pages such as cp1251 or koi8-r: a byte is a character whatever follows
    it, so the file can be cut anywhere (not so in UTF-8, UTF-16, Shift JIS, GB18030...).
    """
    def text(data: bytes) -> str | None:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            return None

    if text(b"A;\n") != "A;\n":  # UTF-16, UTF-32
        return False
    alone = [text(bytes([byte])) for byte in range(256)]
    return all(text(bytes([lead, trail])) == (None if None in (alone[lead], alone[trail])
                                               else alone[lead] + alone[trail])
               for lead in range(256) for trail in range(256))


# A worker of _transcode_parallel, run as `python -I -S -c`: a bare interpreter starts in
# milliseconds, where one importing the playbook (pandas, DuckDB) would take a second.
_TRANSCODE_PART = """
import sys
source, encoding, start, stop, target, chunk, classes = sys.argv[1:]
position, stop, chunk = int(start), int(stop), int(chunk)
classes = bytes.fromhex(classes) if classes else None
with open(source, "rb") as src, open(target, "r+b" if position == 0 else "wb") as dst:
    src.seek(position)
    while position < stop:
        data = src.read(min(chunk, stop - position))
        if classes and b"LCLC" in data.translate(classes):
            sys.exit(4)
        try:
            dst.write(data.decode(encoding).encode("utf-8"))
        except UnicodeDecodeError as exc:
            sys.stdout.write(str(position + exc.start))
            sys.exit(3)
        position += len(data)
"""


def _transcode_parallel(path: Path, encoding: str, target: Path,
                        watch_utf8: bool = False) -> Path:
    """:func:`_transcode` with the file cut into one part per CPU, decoded side by side.

    In a single-byte code page any cut falls between two characters. The first part is
    written into ``target`` and the others into files of their own, appended to it in order
    afterwards (a copy inside the kernel, a fraction of the decoding time). A worker's own
    failure (its messages go nowhere: never to the console) is an OSError here, and no
    worker outlives the call.
    """
    size = path.stat().st_size
    n = min(usable_cpus(), TRANSCODE_WORKERS)
    cuts = [size * i // n for i in range(n + 1)]
    parts = [target] + [target.with_name(f"{target.name}.part{i}") for i in range(1, n)]
    target.write_bytes(b"")
    # Each chunk's text and bytes are a few MB: glibc would map fresh pages for them from the
    # kernel and hand them back every time, and faulting those in cost more than decoding.
    # These keep them in the worker's heap, to be reused.
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(64 << 20),
           "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}
    classes = _UTF8_CLASSES.hex() if watch_utf8 else ""
    workers = []
    try:
        for start, stop, part in zip(cuts[:-1], cuts[1:], parts, strict=True):
            workers.append(subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _TRANSCODE_PART, str(path), encoding,
                 str(start), str(stop), str(part), str(TRANSCODE_CHUNK), classes],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env=env))
        outcomes = [(worker.communicate()[0], worker.returncode) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    try:
        for out, code in outcomes:
            if code == 3:
                offset = int(out)
                raise UnicodeDecodeError(encoding, b"", offset, offset + 1, "invalid byte")
            if code == 4:
                raise Utf8Seen()
            if code != 0:
                raise OSError(f"decoding {path} as {encoding} failed (worker exit status {code})")
        with target.open("r+b") as dst:  # not "ab": copy_file_range refuses O_APPEND
            dst.seek(0, os.SEEK_END)
            for part in parts[1:]:
                with part.open("rb") as src:
                    _append(src, dst)
    finally:
        for part in parts[1:]:
            part.unlink(missing_ok=True)
    return target


def usable_cpus() -> int:
    """CPUs this process may run on (fewer than the machine's in a container or a cgroup)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _append(src, dst) -> None:
    """Copy the rest of file ``src`` to the end of ``dst``, inside the kernel where it can."""
    dst.flush()
    if hasattr(os, "copy_file_range"):
        while os.copy_file_range(src.fileno(), dst.fileno(), 1 << 30):
            pass
    else:
        shutil.copyfileobj(src, dst, 16 << 20)
