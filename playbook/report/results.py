"""Key figures: recorded by notebooks, collected by the runner into ``results.json``.

A notebook calls ``record("segmentation.rfm.counts", counts)``; the value travels inside the
executed notebook as an output of type :data:`MIME` (invisible in the report), and the
runner merges every recorded value into one nested dictionary. Keys are documented in
``docs/results.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["MIME", "record", "collect", "merge", "to_jsonable", "get"]

MIME = "application/vnd.playbook.results+json"


class _Record:
    def __init__(self, key: str, value, each: bool = False):
        self.key, self.value, self.each = key, to_jsonable(value), each

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = {"key": self.key, "value": self.value} | ({"each": True} if self.each else {})
        return {MIME: data, "text/plain": f"results.json: {self.key} recorded"}, {}


def record(key: str, value, *, each: bool = False) -> _Record:
    """Record a key figure under a dotted key; display the returned object (last in a cell).

    With ``each``, ``value`` is a mapping recorded key by key: ``record("tasks.given",
    {"calls": 3}, each=True)`` records ``tasks.given.calls``, so two notebooks each add
    their own keys to ``tasks.given`` instead of replacing it.
    """
    if not key or any(not part for part in key.split(".")):
        raise ValueError(f"invalid results key {key!r}: use dotted names like 'ltv.simple'")
    if each and not isinstance(value, dict):
        raise ValueError(f"record({key!r}, each=True) needs a mapping, not {type(value)}")
    return _Record(key, value, each)


def to_jsonable(value):
    """Plain JSON types from numpy, pandas and dates; NaN and infinities become None."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, pd.Series):
        return to_jsonable(value.to_dict())
    if isinstance(value, pd.DataFrame):
        return to_jsonable(value.to_dict(orient="records"))
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (dt.date, pd.Timestamp)):
        return value.isoformat()[:10] if not isinstance(value, dt.datetime) or \
            value == pd.Timestamp(value).normalize() else value.isoformat()
    if value is pd.NA or value is None:
        return None
    return value


def merge(results: dict, key: str, value) -> None:
    """Set ``results[a][b][c] = value`` for ``key == "a.b.c"``."""
    node = results
    *parents, last = key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ValueError(f"results key {key!r} clashes with a value already recorded")
    node[last] = value


def collect(notebook: dict, results: dict | None = None) -> dict:
    """Merge every value recorded in an executed notebook (nbformat dict) into ``results``."""
    results = {} if results is None else results
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MIME in data:
                item = data[MIME]
                if isinstance(item, str):
                    item = json.loads(item)
                if item.get("each"):
                    for name, value in item["value"].items():
                        merge(results, f"{item['key']}.{name}", value)
                else:
                    merge(results, item["key"], item["value"])
    return results


def get(results: dict, key: str, default=None):
    """``results["a"]["b"]`` for ``key == "a.b"``, or ``default`` when absent."""
    node = results
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def write(path: Path, results: dict) -> None:
    """Write results.json atomically."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    partial.replace(path)
