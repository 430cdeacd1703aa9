"""The competitor profile: what the client's staff know about each competitor, read safely.

``data.competitors`` is a YAML file the client's staff fill in (``playbook
competitor-template --lang ru`` writes one to start from): per competitor its terms (price
index against ours, delivery cost per order, lead time, on-time share, defect share,
payment deferral, minimum order, response time, the customer's staff hours per order), the
factors customers choose a supplier by, each scored for us and for them with a weight and
the evidence (or, instead of weights, the factors compared in pairs: ``pairwise``, Saaty's
analytic hierarchy process, :func:`playbook.winback.swot.ahp_weights`), and the
opportunities and threats the competitor brings; and our own terms the same way.
:func:`read_competitors` reads it through :mod:`playbook.yamlfile` (a regular file, bounded
size and aliases) and checks it strictly: an unknown key, a missing price
index or an impossible value (a negative share, a price index of 0) is a
:class:`~playbook.errors.DataError` naming the file, the competitor and the field.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from playbook.errors import DataError, shorten
from playbook.params import check_text
from playbook.yamlfile import read_yaml

__all__ = ["TERMS", "Terms", "Factor", "SwotItem", "Pairwise", "Competitor", "Profile",
           "read_competitors", "check_profile", "competitor_template"]

#: The terms a profile may give, in the order tables show them.
TERMS = ("price_index", "delivery_cost", "lead_time_days", "on_time_share", "defect_share",
         "deferral_days", "min_order", "response_hours", "order_hours")

Name = Annotated[str, Field(min_length=1, max_length=200)]
Evidence = Annotated[str, Field(max_length=1000)]
Score = Annotated[float, Field(ge=1, le=5)]
Weight = Annotated[float, Field(gt=0, le=100)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Terms(_Strict):
    """One supplier's terms; anything omitted is not known."""

    price_index: float | None = Field(default=None, gt=0, le=5)
    delivery_cost: float | None = Field(default=None, ge=0)
    lead_time_days: float | None = Field(default=None, ge=0, le=365)
    on_time_share: float | None = Field(default=None, ge=0, le=1)
    defect_share: float | None = Field(default=None, ge=0, le=1)
    deferral_days: float | None = Field(default=None, ge=0, le=365)
    min_order: float | None = Field(default=None, ge=0)
    response_hours: float | None = Field(default=None, ge=0, le=8760)
    order_hours: float | None = Field(default=None, ge=0, le=100)
    #: the price index per product category (as the data names them); ``price_index`` for
    #: the rest; a customer's switch is priced at its own mix
    price_index_by_category: dict[Name, Annotated[float, Field(gt=0, le=5)]] = Field(
        default_factory=dict)


class Factor(_Strict):
    """A factor customers choose a supplier by, scored 1 (weak) to 5 (strong) for both."""

    factor: Name
    weight: Weight = 1.0
    us: Score
    them: Score
    evidence: Evidence = ""


class SwotItem(_Strict):
    """An opportunity or a threat the competitor brings: its weight and how strong it is."""

    item: Name
    weight: Weight = 1.0
    score: Score
    evidence: Evidence = ""


class Pairwise(_Strict):
    """One pairwise comparison: factor ``more`` matters ``ratio`` times as much as ``less``
    (Saaty's scale 1 to 9).
    """

    more: Name
    less: Name
    ratio: float = Field(ge=1, le=9)


class Competitor(_Strict):
    """One competitor: its name (and how customers write it), terms, factors, O and T."""

    name: Name
    aliases: list[Name] = Field(default_factory=list)
    terms: Terms
    factors: list[Factor] = Field(default_factory=list)
    opportunities: list[SwotItem] = Field(default_factory=list)
    threats: list[SwotItem] = Field(default_factory=list)
    #: the factors' weights from pairwise comparisons (AHP) instead of their ``weight``
    pairwise: list[Pairwise] = Field(default_factory=list)

    @model_validator(mode="after")
    def _pairs_complete(self) -> Competitor:
        if self.pairwise:
            from playbook.winback.swot import ahp_weights

            try:
                ahp_weights([f.factor for f in self.factors],
                            [p.model_dump() for p in self.pairwise])
            except ValueError as exc:
                raise ValueError(f"pairwise: {exc}") from None
        return self

    @field_validator("terms")
    @classmethod
    def _price_known(cls, terms: Terms) -> Terms:
        if terms.price_index is None:
            raise ValueError("price_index is required: their price against ours (0.93 = 7% "
                             "cheaper)")
        return terms


class _Us(_Strict):
    terms: Terms = Field(default_factory=Terms)


class Profile(_Strict):
    """The whole file: our terms and one entry per competitor."""

    us: _Us = Field(default_factory=_Us)
    competitors: list[Competitor] = Field(min_length=1, max_length=50)


def _where(loc: tuple, raw: Any) -> str:
    """``competitor 'X', field 'terms.price_index'`` for a pydantic error location."""
    if len(loc) >= 2 and loc[0] == "competitors" and isinstance(loc[1], int):
        try:
            name = raw["competitors"][loc[1]]["name"]
        except (KeyError, IndexError, TypeError):
            name = None
        who = (f"competitor {shorten(str(name), 60)!r}" if name is not None
               else f"competitor no. {loc[1] + 1}")
        rest = ".".join(str(p) for p in loc[2:])
        return f"{who}, field {rest!r}" if rest else who
    return f"field {'.'.join(str(p) for p in loc)!r}" if loc else "the file"


def _model_at(loc: tuple) -> type[BaseModel] | None:
    models = {("us",): _Us, ("us", "terms"): Terms}
    if not loc:
        return Profile
    if loc[0] == "competitors":
        tail = tuple(p for p in loc[2:] if not isinstance(p, int))
        return {(): Competitor, ("terms",): Terms, ("factors",): Factor,
                ("opportunities",): SwotItem, ("threats",): SwotItem,
                ("pairwise",): Pairwise}.get(tail)
    return models.get(tuple(loc))


def _explain(error: dict, raw: Any) -> str:
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1])
        valid = list(parent.model_fields) if parent else []
        near = difflib.get_close_matches(str(loc[-1]), valid, n=1, cutoff=0.5)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return (f"{_where(loc, raw)}: unknown key{hint}; valid keys there: "
                f"{', '.join(valid)}")
    if error["type"] == "missing":
        return f"{_where(loc, raw)}: required but missing"
    value = error.get("input")
    shown = "" if isinstance(value, (dict, list)) else f" (got {shorten(repr(value), 60)})"
    message = error["msg"].removeprefix("Value error, ")
    return f"{_where(loc, raw)}: {shorten(message, 200)}{shown}"


def _texts(raw: Any, loc: tuple = ()) -> list[str]:
    """Texts of the file with a control character, named by location."""
    problems = []
    if isinstance(raw, dict):
        for key, value in raw.items():
            problems += _texts(value, loc + (key,))
    elif isinstance(raw, list):
        for i, value in enumerate(raw):
            problems += _texts(value, loc + (i,))
    elif isinstance(raw, str):
        problem = check_text(raw, "the text", limit=1000)
        if problem:
            problems.append(f"{_where(loc, {})}: {problem}")
    return problems


def check_profile(raw: Any, *, origin: str = "Competitor file") -> dict:
    """A parsed profile (a mapping) checked strictly -> the profile as plain data.

    Raises
    ------
    DataError
        Naming ``origin``, the competitor and the field, for every problem (at most five).
    """
    fix = (" Fix the file (see `playbook competitor-template` for every key) and run "
           "again.")
    if not isinstance(raw, dict):
        raise DataError(f"{origin} must be a mapping with 'competitors:' (and 'us:'), not a "
                        f"{type(raw).__name__}.{fix}")
    problems = _texts(raw)
    if not problems:
        try:
            profile = Profile.model_validate(raw)
        except ValidationError as exc:
            problems = [_explain(e, raw) for e in exc.errors()]
        else:
            names = [c.name.casefold() for c in profile.competitors]
            if len(set(names)) < len(names):
                problems = ["a competitor is named twice: give each one entry"]
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise DataError(f"{origin} is not valid: " + "; ".join(problems[:5]) + more + "." + fix)
    return profile.model_dump(mode="json")


def read_competitors(path: str | Path) -> dict:
    """Read and check the competitor profile at ``path`` -> the profile as plain data.

    ``{"us": {"terms": {...}}, "competitors": [{"name", "aliases", "terms", "factors",
    "opportunities", "threats"}]}``, every term present (None when not given).
    """
    shown = shorten(Path(path).resolve(), 200)
    return check_profile(read_yaml(Path(path), "Competitor file"),
                         origin=f"Competitor file {shown}")


_TEMPLATE = {
    "ru": """\
# Профиль конкурентов для раздела «Возврат клиентов». Заполните вместе с менеджерами.
# Доли пишутся десятичной дробью (0.85 = 85 %), деньги — в валюте отчёта, без пробелов.
# Неизвестное можно удалить: строка расчёта покажет «не задано» или возьмёт значение из
# params (раздел winback:). Путь к файлу укажите в параметрах клиента: data.competitors.
us:                          # наши условия
  terms:
    delivery_cost: 0         # доставка одного заказа для клиента
    lead_time_days: 2        # срок поставки, дней
    on_time_share: 0.95      # доля поставок вовремя
    defect_share: 0.01       # доля брака и возвратов
    deferral_days: 30        # отсрочка платежа, дней
    min_order: 0             # минимальный заказ
    response_hours: 2        # ответ на запрос, часов
competitors:
  - name: "Конкурент"        # как называть в отчёте
    aliases: []              # как клиенты пишут его в анкетах: ["Конкурент", "ООО Конкурент"]
    terms:                   # его условия, те же поля, что выше, и обязательно:
      price_index: 0.93      # его цена к нашей (0.93 = на 7 % дешевле)
      # price_index_by_category: {"Бумага": 0.90, "Канцтовары": 0.97}  # по группам товаров,
      #                      # как их называют данные; остальные группы — по price_index
      delivery_cost: 1500
      lead_time_days: 5
      on_time_share: 0.85
      defect_share: 0.03
      deferral_days: 0
      min_order: 20000
      response_hours: 24
    factors:                 # факторы выбора поставщика: вес (важность для клиентов) и
      - {factor: "Цена", weight: 3, us: 3, them: 5, evidence: "прайс от 01.10"}
      - {factor: "Качество", weight: 3, us: 4, them: 3, evidence: "рекламации клиентов"}
      - {factor: "Доставка", weight: 2, us: 5, them: 3, evidence: "сроки в договорах"}
      - {factor: "Отсрочка платежа", weight: 2, us: 5, them: 2, evidence: "условия договора"}
      - {factor: "Сервис менеджера", weight: 1, us: 4, them: 3, evidence: "опрос клиентов"}
                             # оценка 1 (слабо) — 5 (сильно) для нас (us) и для них (them)
    # pairwise:              # вместо весов — попарные сравнения факторов (метод Саати, AHP):
    #   - {more: "Цена", less: "Качество", ratio: 2}  # «Цена» важнее «Качества» в 2 раза (1–9)
    #                        # каждая пара факторов один раз; отчёт покажет согласованность
    opportunities:           # что конкурент может получить (вес, сила 1–5, основание)
      - {item: "Выходит в наш район доставки", weight: 1, score: 3, evidence: "новый склад"}
    threats:                 # что угрожает ему самому
      - {item: "Перебои с поставками", weight: 1, score: 4, evidence: "жалобы в отрасли"}
""",
    "en": """\
# Competitor profile for the "Win-backs" section. Fill it in with the sales managers.
# Shares are decimals (0.85 = 85%), money is in the report's currency, without spaces.
# Anything unknown may be deleted: the calculation then shows "not given" or takes the value
# from the parameters (winback: section). Point the client's parameters at this file:
# data.competitors.
us:                          # our terms
  terms:
    delivery_cost: 0         # delivery of one order, paid by the customer
    lead_time_days: 2        # lead time, days
    on_time_share: 0.95      # share of deliveries on time
    defect_share: 0.01       # share of defects and returns
    deferral_days: 30        # payment deferral, days
    min_order: 0             # minimum order
    response_hours: 2        # answer to a request, hours
competitors:
  - name: "Competitor"       # as the report names it
    aliases: []              # how customers write it in surveys, e.g. ["Competitor Ltd"]
    terms:                   # their terms, the same fields as above, and required:
      price_index: 0.93      # their price against ours (0.93 = 7% cheaper)
      # price_index_by_category: {"Paper": 0.90, "Stationery": 0.97}  # per product category
      #                      # as the data names them; the other categories at price_index
      delivery_cost: 1500
      lead_time_days: 5
      on_time_share: 0.85
      defect_share: 0.03
      deferral_days: 0
      min_order: 20000
      response_hours: 24
    factors:                 # what customers choose a supplier by: a weight (how much it
      - {factor: "Price", weight: 3, us: 3, them: 5, evidence: "price list of 1 Oct"}
      - {factor: "Quality", weight: 3, us: 4, them: 3, evidence: "customer claims"}
      - {factor: "Delivery", weight: 2, us: 5, them: 3, evidence: "contract lead times"}
      - {factor: "Payment terms", weight: 2, us: 5, them: 2, evidence: "contract terms"}
      - {factor: "Account management", weight: 1, us: 4, them: 3, evidence: "survey"}
                             # matters) and a score 1 (weak) to 5 (strong) for us and them
    # pairwise:              # instead of weights: factors compared in pairs (Saaty's AHP):
    #   - {more: "Price", less: "Quality", ratio: 2}  # price matters twice as much (1-9)
    #                        # every pair of factors once; the report states the consistency
    opportunities:           # what the competitor may gain (weight, strength 1-5, evidence)
      - {item: "Entering our delivery area", weight: 1, score: 3, evidence: "new warehouse"}
    threats:                 # what threatens the competitor itself
      - {item: "Supply disruptions", weight: 1, score: 4, evidence: "industry complaints"}
""",
}


def competitor_template(lang: str = "ru") -> str:
    """A commented competitor profile to fill in, in ``lang`` (``ru`` or ``en``); valid as
    written (its example values read back through :func:`check_profile`).
    """
    if lang not in _TEMPLATE:
        raise DataError(f"No competitor template in {shorten(lang, 20)!r}: use ru or en.")
    return _TEMPLATE[lang]
