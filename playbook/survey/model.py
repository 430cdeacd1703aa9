"""What a run's survey analysis holds: the client's survey tables and everything computed
from them.

:class:`SurveyData` is the client's tables as intake read them; :class:`SurveyAnalysis` is
what :func:`playbook.survey.analysis.analyse` computes from them, part by part, with the
constants of the methodology the parts share. Nothing here fits a statistic; the only
arithmetic is the methodology's own (the people the dissatisfied tell).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from playbook.intake import SURVEY_TEMPLATES
from playbook.survey import questionnaire as forms

__all__ = ["COMPLAIN_SHARE", "TELLS", "ALPHA_FLOOR", "PARTS", "SurveyData", "SurveyAnalysis",
           "row_count"]

#: Share of dissatisfied customers who complain (the methodology's "about 6%").
COMPLAIN_SHARE = 0.06
#: How many people a dissatisfied customer tells (the methodology's "8-10 people").
TELLS = (8, 10)
#: Cronbach's alpha from which a multi-item scale counts as measuring one thing.
ALPHA_FLOOR = 0.7
#: The notebook's parts, in order; ``SurveyAnalysis.parts`` lists those the data supports.
PARTS = ("response", "nps", "satisfaction", "reliability", "drivers", "crosstabs",
         "nonresponse", "annual", "exits", "complaints")


@dataclass
class SurveyData:
    """The client's survey tables (``None`` when not given) and their templates."""

    responses: pd.DataFrame | None = None
    annual: pd.DataFrame | None = None
    exits: pd.DataFrame | None = None
    complaints: pd.DataFrame | None = None
    base: pd.DataFrame | None = None
    template: str = SURVEY_TEMPLATES["survey"]
    annual_template: str = SURVEY_TEMPLATES["survey_annual"]
    exit_template: str = SURVEY_TEMPLATES["exit_survey"]

    @property
    def rows(self) -> dict[str, int]:
        """Rows per table, by field name (0 for a table not given)."""
        return {name: row_count(getattr(self, name))
                for name in ("responses", "annual", "exits", "complaints", "base")}


@dataclass
class SurveyAnalysis:
    """Everything the survey notebook shows, computed once."""

    data: SurveyData
    complain_share: float = COMPLAIN_SHARE
    adherent_share: float = 0.8
    #: The mean rating an area of work must reach (``None``: the "satisfied" mark, the
    #: second-best answer of its scale, 4 of 5); the importance-performance grid's line.
    target: float | None = None
    #: Customers regular by purchases (rung 3 or above of the loyalty ladder), if known.
    regulars: frozenset | None = None
    #: Bootstrap resamples of the NPS intervals.
    n_boot: int = 2000
    template: forms.SurveyTemplate | None = None
    recommend: str | None = None
    overall: str | None = None
    csat_col: str | None = None
    ces_col: str | None = None
    attributes: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    waves: list[str] = field(default_factory=list)
    base_main: pd.DataFrame | None = None
    response: pd.DataFrame | None = None
    response_total: dict | None = None
    nps: dict | None = None
    nps_by_segment: pd.DataFrame | None = None
    nps_by_wave: pd.DataFrame | None = None
    tests_segment: pd.DataFrame | None = None
    tests_wave: pd.DataFrame | None = None
    csat: dict | None = None
    ces: dict | None = None
    overall_mean: dict | None = None
    likert: pd.DataFrame | None = None
    reliability: pd.DataFrame | None = None
    drivers: pd.DataFrame | None = None
    crosstabs: pd.DataFrame | None = None
    top_shares: pd.DataFrame | None = None
    response_by_segment: pd.DataFrame | None = None
    weighted: dict | None = None
    weighted_by_wave: pd.DataFrame | None = None
    annual: dict | None = None
    annual_by_segment: pd.DataFrame | None = None
    wishes: pd.DataFrame | None = None
    exit_keywords: dict | None = None
    exit_coded: pd.DataFrame | None = None
    exit_mentions: pd.DataFrame | None = None
    iceberg: pd.DataFrame | None = None
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def parts(self) -> list[str]:
        """The parts the data supports, in the notebook's order."""
        have = {
            "response": self.response_total is not None,
            "nps": self.nps is not None,
            "satisfaction": self.likert is not None or self.csat is not None
            or self.ces is not None,
            "reliability": self.reliability is not None and len(self.reliability) > 0,
            "drivers": self.drivers is not None,
            "crosstabs": self.crosstabs is not None and len(self.crosstabs) > 0,
            "nonresponse": self.weighted is not None or self.response_by_segment is not None,
            "annual": self.annual is not None,
            "exits": self.exit_coded is not None,
            "complaints": self.iceberg is not None,
        }
        return [p for p in PARTS if have[p]]

    @property
    def has_data(self) -> bool:
        """Whether the client gave any survey answers, exit questionnaires or complaints."""
        d = self.data
        return any(row_count(t) for t in (d.responses, d.annual, d.exits, d.complaints))

    def bounds(self, qid: str) -> tuple[int, int]:
        """The lowest and highest answer to a question of the regular questionnaire."""
        return self.template.question(qid).bounds

    def target_of(self, qid: str) -> float:
        """The mean rating an area must reach: :attr:`target`, else its scale's second-best
        answer (the lowest of the two marks CSAT counts as satisfied).
        """
        return float(self.target) if self.target is not None else float(self.bounds(qid)[1] - 1)

    @property
    def word_of_mouth(self) -> dict | None:
        """The last period's dissatisfied customers (complaints / complain share) and how
        many people they tell (:data:`TELLS`), or ``None`` without complaint counts.
        """
        t = None if self.iceberg is None else self.iceberg.dropna(subset=["complaints"])
        if t is None or not len(t):
            return None
        last = t.iloc[-1]
        estimate = float(last["dissatisfied_estimate"])
        return {"period": str(last["period"]) if "period" in t.columns else None,
                "complaints": int(last["complaints"]), "dissatisfied": estimate,
                "people_low": estimate * TELLS[0], "people_high": estimate * TELLS[1]}


def row_count(frame: pd.DataFrame | None) -> int:
    """Rows of a table, 0 for one not given."""
    return 0 if frame is None else len(frame)
