"""The parameters of the win-back question: the ``winback:`` section and ``data.competitors``.

Kept beside :mod:`playbook.params` (which builds :class:`~playbook.params.Params` from them)
so that module stays small enough to read; the defaults and what each key means are in
``params/defaults.yaml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["CompetitorsSource", "WinOdds", "Winback"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CompetitorsSource(_Strict):
    """The competitor profile (YAML, see ``playbook competitor-template``)."""

    path: Path


class WinOdds(_Strict):
    """The assumed chance of winning a customer back, by why it left."""

    terms: float = Field(default=0.5, ge=0, le=1)
    unknown: float = Field(default=0.3, ge=0, le=1)
    offence: float = Field(default=0.1, ge=0, le=1)


class Winback(_Strict):
    """Win-back settings (see params/defaults.yaml)."""

    drop_months: int = Field(default=6, gt=0, le=24)
    drop_share: float = Field(default=0.5, ge=0, lt=1)
    min_expected: float = Field(default=2.0, gt=0)
    classes: list[Literal["A", "B", "C"]] = Field(default=["A", "B"], min_length=1)
    lost_within_days: int = Field(default=365, gt=0)
    wallet_drop: float = Field(default=0.10, gt=0, le=1)
    won_back_months: int = Field(default=24, gt=0, le=120)
    win_odds: WinOdds = Field(default_factory=WinOdds)
    top: int = Field(default=10, gt=0, le=100)
    cost_of_capital: float = Field(default=0.16, ge=0, lt=1)
    carrying_rate: float = Field(default=0.25, ge=0, le=1)
    defect_cost_share: float = Field(default=0.5, ge=0, le=5)
    late_cost_share: float = Field(default=0.1, ge=0, le=5)
    order_hours: float = Field(default=0.5, ge=0, le=100)
    staff_hour_cost: float = Field(default=800.0, ge=0)
    switching_cost_share: float = Field(default=0.01, ge=0, le=1)
    onepagers: int = Field(default=10, ge=0, le=100)
    discount_allowed: bool = False

    @model_validator(mode="after")
    def _odds_order(self) -> Winback:
        if self.win_odds.offence > self.win_odds.terms:
            raise ValueError("win_odds.offence is above win_odds.terms: customers who left "
                             "over offence come back less readily than those who left over "
                             "terms (Kumar, Bhagwat & Zhang 2015)")
        return self
