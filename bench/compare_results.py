"""Compare two results.json files: every key, numbers within a tolerance.

``python bench/compare_results.py BEFORE AFTER [--rtol 1e-9] [--atol 1e-9] [--ignore KEY]``
lists each difference as ``path: before -> after`` (a key only on one side, a different
type, a number outside ``atol + rtol * |before|``, different text), and exits 1 when there
is any, 0 when the two files agree. Keys that hold the run's own date or folder are
ignored by default (``--ignore`` adds more, as dotted prefixes).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

#: Keys that change from run to run by design (dotted prefixes).
VOLATILE = ("summary.generated", "generated", "run_dir")


def differences(before, after, path: str = "", *, rtol: float = 1e-9, atol: float = 1e-9,
                ignore: tuple[str, ...] = VOLATILE) -> list[str]:
    """Every difference between two parsed JSON values, one line each."""
    if path and any(path == key or path.startswith(key + ".") for key in ignore):
        return []
    where = path or "(top)"
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in sorted(before.keys() | after.keys(), key=str):
            child = f"{path}.{key}" if path else str(key)
            if key not in after:
                out.append(f"{child}: only before ({_short(before[key])})")
            elif key not in before:
                out.append(f"{child}: only after ({_short(after[key])})")
            else:
                out += differences(before[key], after[key], child, rtol=rtol, atol=atol,
                                   ignore=ignore)
        return out
    if isinstance(before, list) and isinstance(after, list):
        if len(before) != len(after):
            return [f"{where}: {len(before)} items -> {len(after)} items"]
        out = []
        for i, (a, b) in enumerate(zip(before, after, strict=True)):
            out += differences(a, b, f"{path}[{i}]", rtol=rtol, atol=atol, ignore=ignore)
        return out
    numbers = (int, float)
    if (isinstance(before, numbers) and isinstance(after, numbers)
            and not isinstance(before, bool) and not isinstance(after, bool)):
        if math.isnan(before) and math.isnan(after):
            return []
        if math.isclose(before, after, rel_tol=rtol, abs_tol=atol):
            return []
        return [f"{where}: {before!r} -> {after!r}"]
    if before != after:
        return [f"{where}: {_short(before)} -> {_short(after)}"]
    return []


def _short(value, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--rtol", type=float, default=1e-9)
    parser.add_argument("--atol", type=float, default=1e-9)
    parser.add_argument("--ignore", action="append", default=[],
                        help="a dotted key prefix to leave out (repeatable)")
    args = parser.parse_args(argv)
    load = [json.loads((p / "results.json" if p.is_dir() else p).read_text("utf-8"))
            for p in (args.before, args.after)]
    found = differences(*load, rtol=args.rtol, atol=args.atol,
                        ignore=VOLATILE + tuple(args.ignore))
    for line in found:
        print(line)
    print(f"{len(found)} difference(s) between {args.before} and {args.after}"
          f" (rtol {args.rtol:g}, atol {args.atol:g})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
