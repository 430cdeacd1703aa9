"""The catalog of service standards (``templates/standards/<name>.yaml``) adapted to one
client: standards switched off, targets changed, the client's own standards added.

``catalog(settings) -> DataFrame``: one row per standard the client adopts, in the
document's order, with ``id, area, stage, wording_ru, wording_en, how_ru, how_en, check,
target, weight, measure, origin`` (``origin``: ``catalog``, ``changed`` or ``client``).
"""

from __future__ import annotations

import difflib
from functools import cache
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from playbook.errors import ParamsError, shorten
from playbook.standards.settings import AREAS, CHECKS, STAGES, Standards, Words
from playbook.yamlfile import read_yaml

__all__ = ["CATALOGS", "catalog", "response_hours", "catalog_ids", "check_adaptation", "COLUMNS"]

CATALOGS = Path(__file__).resolve().parents[2] / "templates" / "standards"
COLUMNS = ["id", "area", "stage", "wording_ru", "wording_en", "how_ru", "how_en", "check",
           "target", "weight", "measure", "origin"]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,59}$")
    area: str
    stage: str
    wording: Words
    check: str
    how: Words
    measure: dict | None = None
    target: float = Field(gt=0, le=1)
    weight: int = Field(ge=1, le=5)


class _Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int
    standards: list[_Entry] = Field(min_length=1)


@cache
def _load(name: str) -> tuple[_Entry, ...]:
    path = CATALOGS / f"{name}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in CATALOGS.glob("*.yaml"))
        raise ParamsError(f"'standards.catalog': there is no catalog {shorten(name, 60)!r}; "
                          f"the playbook has {', '.join(known)} (templates/standards/).")
    try:
        parsed = _Catalog.model_validate(read_yaml(path))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ParamsError(f"{path}: '{where}': {shorten(first['msg'], 200)}.") from None
    for entry in parsed.standards:
        bad = [(k, v) for k, v, valid in (("area", entry.area, AREAS),
                                          ("stage", entry.stage, STAGES),
                                          ("check", entry.check, CHECKS)) if v not in valid]
        if bad:
            valid = {"area": AREAS, "stage": STAGES, "check": CHECKS}[bad[0][0]]
            raise ParamsError(f"{path}: standard {entry.id!r} has {bad[0][0]} {bad[0][1]!r}; "
                              f"valid: {', '.join(valid)}.")
    ids = [e.id for e in parsed.standards]
    if len(set(ids)) != len(ids):
        raise ParamsError(f"{path}: a standard id is given twice.")
    return tuple(parsed.standards)


def catalog_ids(name: str = "default") -> list[str]:
    """The ids of catalog ``name``, in its order."""
    return [e.id for e in _load(name)]


def _near(word: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""


def check_adaptation(settings: Standards) -> list[str]:
    """Why the parameters' adaptation of the catalog cannot apply: ids switched off or given
    a target that neither the catalog nor ``add`` has, an added id the catalog already has.
    """
    base = catalog_ids(settings.catalog)
    added = [s.id for s in settings.add]
    known = base + added
    problems = []
    for where, ids in (("switch_off", settings.switch_off), ("targets", list(settings.targets))):
        for sid in ids:
            if sid not in known:
                problems.append(f"'standards.{where}' names {shorten(sid, 60)!r}, which is not "
                                f"a standard{_near(sid, known)}; the catalog has "
                                f"{', '.join(base)}.")
    for sid in added:
        if sid in base:
            problems.append(f"'standards.add' gives {sid!r}, which the catalog already has: "
                            f"change its target in 'standards.targets' instead.")
    return problems


def response_hours(settings: Standards, code: str) -> str:
    """The response rule's time in words: ``10 часов``, ``8 рабочих часов`` / ``10 hours``,
    ``8 working hours``.
    """
    from playbook.report.i18n import Lang

    lang = Lang(code)
    n = settings.response_hours
    shown = lang.int(n) if float(n).is_integer() else lang.num(n, 1)
    key = "standards.hours_working" if settings.hours == "working" else "standards.hours_calendar"
    return lang.t(key, n=shown)


def catalog(settings: Standards | None = None) -> pd.DataFrame:
    """The standards the client adopts: the catalog with the parameters' changes applied.

    ``settings`` -> ``id, area, stage, wording_ru, wording_en, how_ru, how_en, check,
    target, weight, measure, origin``, one row per standard, ordered by area (the document's
    order) then as written.

    Raises
    ------
    ParamsError
        The catalog is missing or invalid, or the adaptation names unknown standards.
    """
    settings = settings or Standards()
    problems = check_adaptation(settings)
    if problems:
        raise ParamsError(" ".join(problems[:5]))
    rows = []
    off = set(settings.switch_off)
    for e in _load(settings.catalog):
        if e.id in off:
            continue
        target = settings.targets.get(e.id, e.target)
        rows.append({"id": e.id, "area": e.area, "stage": e.stage,
                     "wording_ru": e.wording.ru, "wording_en": e.wording.en,
                     "how_ru": e.how.ru, "how_en": e.how.en, "check": e.check,
                     "target": float(target), "weight": e.weight, "measure": e.measure,
                     "origin": "changed" if target != e.target else "catalog"})
    for s in settings.add:
        if s.id in off:
            continue
        how = s.how or Words(ru="Тайный покупатель: стандарт выполнен.",
                             en="Mystery shopper: the standard was met.")
        rows.append({"id": s.id, "area": s.area, "stage": s.stage,
                     "wording_ru": s.wording.ru, "wording_en": s.wording.en,
                     "how_ru": how.ru, "how_en": how.en, "check": "mystery_shopping",
                     "target": float(settings.targets.get(s.id, s.target)),
                     "weight": s.weight, "measure": None, "origin": "client"})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for code in ("ru", "en"):
        hours = response_hours(settings, code)
        frame[f"wording_{code}"] = frame[f"wording_{code}"].str.replace("{hours}", hours,
                                                                        regex=False)
    order = {a: i for i, a in enumerate(AREAS)}
    frame["_o"] = frame["area"].map(order)
    return frame.sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)
