"""The rollout plan: develop the standards with the staff, train, control; the pilot first,
then the other branches in waves. Dates from the parameters' ``standards.rollout``.

``plan(rollout) -> DataFrame``: ``wave, branches, stage, start, end`` (``stage``: develop,
train, control; a control stage is shown for ``pilot_weeks``, the time after which a group's
results can first be judged; control itself goes on). ``in_force(rollout)``: the date the
standards took effect, where control charts reset their limits.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from playbook.standards.settings import Rollout

__all__ = ["plan", "in_force", "waves", "QUESTIONS"]

#: The questions to answer before launching (seed 002's "basic questions"), by locale key
#: ``standards.question.<id>``.
QUESTIONS = ("benefit", "understood", "duties", "systems", "examples", "wrong",
             "advantage", "cost", "profit", "judge")


def waves(rollout: Rollout) -> list[list[str]]:
    """The branches of each wave: the pilot first (the first branch when none is named),
    then the rest in groups of ``wave_size``, in the order given. No branches: one wave,
    the whole company (an empty list).
    """
    if not rollout.branches:
        return [list(rollout.pilot)] if rollout.pilot else [[]]
    pilot = list(rollout.pilot) or rollout.branches[:1]
    rest = [b for b in rollout.branches if b not in pilot]
    return [pilot] + [rest[i:i + rollout.wave_size]
                      for i in range(0, len(rest), rollout.wave_size)]


def plan(rollout: Rollout) -> pd.DataFrame:
    """The dated stages of the rollout, one row per wave and stage.

    ``Rollout`` -> ``wave (0 = pilot), branches (list), stage, start, end`` (dates). Empty
    when the parameters give no start date.
    """
    columns = ["wave", "branches", "stage", "start", "end"]
    if rollout.start is None:
        return pd.DataFrame(columns=columns)
    week = dt.timedelta(weeks=1)
    develop_end = rollout.start + rollout.develop_weeks * week
    rows = [{"wave": -1, "branches": [b for w in waves(rollout) for b in w], "stage": "develop",
             "start": rollout.start, "end": develop_end}]
    groups = waves(rollout)
    train_start = develop_end
    for number, branches in enumerate(groups):
        control = train_start + rollout.train_weeks * week
        next_train = (control + rollout.pilot_weeks * week if number == 0
                      else train_start + rollout.wave_weeks * week)
        rows.append({"wave": number, "branches": branches, "stage": "train",
                     "start": train_start, "end": control})
        rows.append({"wave": number, "branches": branches, "stage": "control",
                     "start": control, "end": control + rollout.pilot_weeks * week})
        train_start = next_train
    return pd.DataFrame(rows, columns=columns)


def in_force(rollout: Rollout) -> dt.date | None:
    """When the standards took effect: ``in_force`` if given, else the start of the
    pilot's control in the plan; None without either.
    """
    if rollout.in_force is not None:
        return rollout.in_force
    stages = plan(rollout)
    control = stages[(stages["stage"] == "control") & (stages["wave"] == 0)]
    return None if control.empty else control["start"].iloc[0]
