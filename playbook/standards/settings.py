"""The parameters' ``standards:`` section: which catalog, how the client adapts it, how
compliance is judged and when the rollout starts.

Validated strictly like every parameter (an unknown key is an error naming the nearest
valid one); :mod:`playbook.params` holds it as ``Params.standards``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = ["Standards", "ExtraStandard", "Words", "Rollout", "WorkingHours", "AREAS", "STAGES",
           "CHECKS", "STANDARD_ID"]

#: The areas of a standards document, in the document's order.
AREAS = ("phone", "stages", "policy", "conduct", "appearance", "conflicts")
#: Stages of service a standard belongs to.
STAGES = ("before", "during", "after", "all")
#: How compliance with a standard is measured.
CHECKS = ("mystery_shopping", "call_log", "request_log")
#: A standard's id: also the item code in audits.
STANDARD_ID = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Words(_Strict):
    """A text in both report languages."""

    ru: str = Field(min_length=1, max_length=1000)
    en: str = Field(min_length=1, max_length=1000)


class ExtraStandard(_Strict):
    """A standard of the client's own, added to the catalog (checked by mystery shopping)."""

    id: str
    area: Literal[AREAS]  # type: ignore[valid-type]
    stage: Literal[STAGES] = "all"  # type: ignore[valid-type]
    wording: Words
    how: Words | None = None
    target: float = Field(default=0.9, gt=0, le=1)
    weight: int = Field(default=2, ge=1, le=5)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not STANDARD_ID.match(value):
            raise ValueError(f"a standard's id is lowercase Latin letters, digits and _ (at "
                             f"most 60), starting with a letter, e.g. 'greet_by_name'; got "
                             f"{value[:60]!r}")
        return value


class WorkingHours(_Strict):
    """The working week, for the response rule counted in working hours."""

    start: int = Field(default=9, ge=0, le=23)
    end: int = Field(default=18, ge=1, le=24)
    days: list[int] = Field(default=[1, 2, 3, 4, 5], min_length=1, max_length=7)

    @model_validator(mode="after")
    def _order(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("the working day must end after it starts (start < end, hours "
                             "0..24)")
        if any(d not in range(1, 8) for d in self.days) or len(set(self.days)) != len(self.days):
            raise ValueError("days are ISO weekdays 1 (Monday) .. 7 (Sunday), each once")
        return self


class Rollout(_Strict):
    """The rollout plan: develop with the staff, train, control; pilot first, then waves."""

    start: dt.date | None = None
    branches: list[str] = Field(default_factory=list, max_length=200)
    pilot: list[str] = Field(default_factory=list, max_length=200)
    develop_weeks: int = Field(default=4, ge=1, le=52)
    train_weeks: int = Field(default=3, ge=1, le=52)
    pilot_weeks: int = Field(default=8, ge=1, le=52)
    wave_size: int = Field(default=3, ge=1, le=200)
    wave_weeks: int = Field(default=4, ge=1, le=52)
    in_force: dt.date | None = None

    @model_validator(mode="after")
    def _pilot_among_branches(self) -> Rollout:
        unknown = [p for p in self.pilot if self.branches and p not in self.branches]
        if unknown:
            raise ValueError(f"pilot branches must be among branches: {unknown[0][:60]!r} is "
                             f"not")
        if len(set(self.branches)) != len(self.branches):
            raise ValueError("a branch is named twice in branches")
        return self


class Standards(_Strict):
    """The service standards (see params/defaults.yaml)."""

    catalog: str = Field(default="default", pattern=r"^[a-z0-9_-]{1,60}$")
    switch_off: list[str] = Field(default_factory=list)
    targets: dict[str, float] = Field(default_factory=dict)
    add: list[ExtraStandard] = Field(default_factory=list, max_length=200)
    response_hours: float = Field(default=10, gt=0, le=24 * 30)
    hours: Literal["calendar", "working"] = "calendar"
    working_hours: WorkingHours = Field(default_factory=WorkingHours)
    min_checks: int = Field(default=5, ge=1)
    shrink_checks: float = Field(default=10, ge=0)
    rollout: Rollout = Field(default_factory=Rollout)

    @field_validator("targets")
    @classmethod
    def _targets(cls, targets: dict[str, float]) -> dict[str, float]:
        for key, value in targets.items():
            if not 0 < value <= 1:
                raise ValueError(f"the target of {key[:60]!r} is a share of checks that pass: "
                                 f"above 0, at most 1 (got {value})")
        return targets

    @model_validator(mode="after")
    def _ids_unique(self) -> Standards:
        ids = [s.id for s in self.add]
        if len(set(ids)) != len(ids):
            raise ValueError("a standard in add is given twice (ids must be unique)")
        from playbook.standards.catalog import check_adaptation  # reads the catalog file

        problems = check_adaptation(self)
        if problems:
            raise ValueError(" ".join(problems[:3]))
        return self
