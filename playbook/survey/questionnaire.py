"""Questionnaire templates: the model, loading and validation, and reading response tables.

The five questionnaires of the methodology live in ``templates/surveys/`` as YAML, one file
per template, each question with an id, its wording in Russian and English, its type and
scale, and the column header it has in a client's export of the answers:

- ``checkout``: the checkout card, three questions, anonymous and easy to ignore;
- ``phone_monthly``: the B2B monthly phone check, asked while confirming order volumes;
- ``quarterly``: the B2B quarterly questionnaire over every area of work;
- ``annual``: the B2B annual survey (market position, competitors, share of wallet);
- ``exit``: the exit questionnaire (product or service, staff, the moment of sale).

``load_template("quarterly")`` validates a template strictly (an unknown key names the
nearest valid one); ``prepare_responses(frame, "quarterly")`` renames an export's headers
to question ids and checks every answer against its scale. The printable form of a
template is :mod:`playbook.survey.printable_form`; the dictionary that codes the exit
questionnaire's open answers, which lives beside the templates, is read by
:func:`playbook.survey.exits.load_exit_keywords`.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from playbook.errors import DataError, PlaybookError, format_rows
from playbook.params import PROJECT_ROOT
from playbook.survey.checks import check_lang

__all__ = [
    "TEMPLATES_DIR",
    "TEMPLATE_IDS",
    "KEYWORDS_FILE",
    "META_COLUMNS",
    "QUESTION_TYPES",
    "ROLES",
    "SurveyTemplateError",
    "StrictModel",
    "Text",
    "Scale",
    "Option",
    "Question",
    "Section",
    "ItemScale",
    "SurveyTemplate",
    "list_templates",
    "load_template",
    "template_from_dict",
    "column_map",
    "prepare_responses",
]

#: Where the questionnaire templates and the exit keyword dictionary live.
TEMPLATES_DIR = PROJECT_ROOT / "templates" / "surveys"
#: The five templates the methodology calls for.
TEMPLATE_IDS = ("checkout", "phone_monthly", "quarterly", "annual", "exit")
#: The exit keyword dictionary's file in :data:`TEMPLATES_DIR` (not a template).
KEYWORDS_FILE = "exit_keywords.yaml"

#: Columns of a response export that are not questions: id -> header in each language.
META_COLUMNS: dict[str, dict[str, str]] = {
    "customer_id": {"ru": "Код клиента", "en": "Customer code"},
    "wave": {"ru": "Волна", "en": "Wave"},
    "date": {"ru": "Дата ответа", "en": "Response date"},
    "segment": {"ru": "Сегмент", "en": "Segment"},
    "manager": {"ru": "Менеджер", "en": "Manager"},
}

QuestionType = Literal["nps", "rating", "choice", "percent", "text"]
Role = Literal[
    "recommend", "overall", "csat", "ces", "attribute", "comparison", "share_of_wallet",
    "exit_product", "exit_staff", "exit_sale", "open", "other",
]
#: Question types: ``nps`` 0-10 would-recommend; ``rating`` an integer scale; ``choice``
#: one option; ``percent`` 0-100; ``text`` an open answer.
QUESTION_TYPES: tuple[str, ...] = QuestionType.__args__
#: What a question measures; the analyses pick questions by role.
ROLES: tuple[str, ...] = Role.__args__
#: The question types each role allows.
_ROLE_TYPES = {
    "recommend": {"nps"},
    "overall": {"rating"},
    "csat": {"rating"},
    "ces": {"rating"},
    "attribute": {"rating"},
    "comparison": {"rating"},
    "share_of_wallet": {"percent"},
    "exit_product": {"text"},
    "exit_staff": {"text"},
    "exit_sale": {"text"},
    "open": {"text"},
    "other": set(QUESTION_TYPES),
}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class SurveyTemplateError(PlaybookError):
    """A questionnaire template is missing, malformed or inconsistent."""


class StrictModel(BaseModel):
    """A part of a template: unknown keys are refused and nothing changes once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(StrictModel):
    """A piece of wording in both report languages."""

    ru: str
    en: str

    @field_validator("ru", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the wording is blank; write it in both Russian and English")
        return value.strip()

    def get(self, lang: str) -> str:
        """Return the wording in ``lang`` (``ru`` or ``en``)."""
        return getattr(self, check_lang(lang))


class Scale(StrictModel):
    """An integer answer scale from ``min`` to ``max`` with optional end-point labels."""

    min: int
    max: int
    low: Text | None = None
    high: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Scale:
        if self.max <= self.min:
            raise ValueError(f"scale max ({self.max}) must be above min ({self.min})")
        if self.max - self.min > 10:
            raise ValueError("a scale has at most 11 points; use type 'percent' for 0-100")
        return self


class Option(StrictModel):
    """One option of a ``choice`` question."""

    id: str
    text: Text


class Question(StrictModel):
    """One question: id, type, role, wording, the export's column header and its scale."""

    id: str
    type: QuestionType
    role: Role = "other"
    text: Text
    column: Text
    section: str | None = None
    scale: Scale | None = None
    options: list[Option] | None = None
    lines: int = Field(default=3, ge=1, le=12)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"question id {value!r} must be lower-case latin letters, digits "
                             "and underscores, starting with a letter")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.type not in _ROLE_TYPES[self.role]:
            allowed = ", ".join(sorted(_ROLE_TYPES[self.role]))
            raise ValueError(f"question {self.id!r}: role {self.role!r} needs type {allowed}, "
                             f"not {self.type!r}")
        nps_range = (self.scale.min, self.scale.max) if self.scale is not None else (0, 10)
        if self.type == "nps" and nps_range != (0, 10):
            raise ValueError(f"question {self.id!r}: an nps question is scored 0-10")
        if self.type == "rating" and self.scale is None:
            raise ValueError(f"question {self.id!r}: a rating question needs a scale (min, max)")
        if self.type in ("choice", "percent", "text") and self.scale is not None:
            raise ValueError(f"question {self.id!r}: a {self.type} question takes no scale")
        if self.type == "choice":
            ids = [o.id for o in self.options or []]
            if len(ids) < 2 or len(set(ids)) != len(ids):
                raise ValueError(f"question {self.id!r}: a choice question needs at least two "
                                 "options with distinct ids")
        elif self.options is not None:
            raise ValueError(f"question {self.id!r}: only a choice question takes options")
        return self

    @property
    def bounds(self) -> tuple[int, int] | None:
        """The lowest and highest valid answer of a numeric question, else ``None``."""
        if self.type == "nps":
            return 0, 10
        if self.type == "percent":
            return 0, 100
        if self.type == "rating" and self.scale is not None:
            return self.scale.min, self.scale.max
        return None


class Section(StrictModel):
    """A heading that groups questions on the printed form."""

    id: str
    title: Text
    note: Text | None = None


class ItemScale(StrictModel):
    """A multi-item scale: rating questions that measure one thing (checked by Cronbach's alpha)."""

    id: str
    title: Text
    items: list[str] = Field(min_length=2)


class SurveyTemplate(StrictModel):
    """A validated questionnaire template (see ``templates/surveys/*.yaml``)."""

    id: str
    version: int = 1
    cadence: str
    audience: str
    identify: bool = True
    max_questions: int | None = Field(default=None, ge=1)
    title: Text
    intro: Text
    thanks: Text | None = None
    sections: list[Section] = Field(default_factory=list)
    questions: list[Question] = Field(min_length=1)
    scales: list[ItemScale] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> SurveyTemplate:
        ids = [q.id for q in self.questions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"question ids repeat: {', '.join(repeated)}; give each its own id")
        clash = set(ids) & set(META_COLUMNS)
        if clash:
            raise ValueError(f"question ids {sorted(clash)} are reserved for the response "
                             "table's own columns; rename the questions")
        for lang in ("ru", "en"):
            headers = [_header_key(q.column.get(lang)) for q in self.questions]
            headers += [_header_key(m[lang]) for m in META_COLUMNS.values()]
            if len(set(headers)) != len(headers):
                raise ValueError(f"two questions (or a question and a standard column) share a "
                                 f"{lang} column header; headers must be distinct")
        if self.max_questions is not None and len(ids) > self.max_questions:
            raise ValueError(f"the template has {len(ids)} questions but allows at most "
                             f"{self.max_questions}; drop questions (three work best on a card)")
        sections = {s.id for s in self.sections}
        for q in self.questions:
            if q.section is not None and q.section not in sections:
                raise ValueError(f"question {q.id!r} names section {q.section!r}, which is not "
                                 f"among the template's sections {sorted(sections)}")
        by_id = {q.id: q for q in self.questions}
        for group in self.scales:
            for item in group.items:
                question = by_id.get(item)
                if question is None or question.type != "rating":
                    raise ValueError(f"scale {group.id!r} lists {item!r}, which is not a rating "
                                     "question of this template")
            ranges = {by_id[i].bounds for i in group.items}
            if len(ranges) > 1:
                raise ValueError(f"the items of scale {group.id!r} use different answer scales; "
                                 "Cronbach's alpha needs one scale")
        return self

    def question(self, question_id: str) -> Question:
        """Return the question with id ``question_id``."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(f"template {self.id!r} has no question {question_id!r}; its questions: "
                       f"{', '.join(self.question_ids)}")

    @property
    def question_ids(self) -> list[str]:
        """Every question id, in the template's order."""
        return [q.id for q in self.questions]

    def ids(self, role: str) -> list[str]:
        """Return the ids of the questions with ``role`` (e.g. ``'attribute'``), in order."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        return [q.id for q in self.questions if q.role == role]

    @property
    def item_scales(self) -> dict[str, list[str]]:
        """The multi-item scales: scale id -> its question ids."""
        return {s.id: list(s.items) for s in self.scales}


#: Which model a key's value is, to suggest the nearest valid key after a typo.
_MODEL_OF_KEY: dict[str, type[BaseModel]] = {
    "questions": Question, "sections": Section, "scales": ItemScale, "scale": Scale,
    "options": Option,
    **{k: Text for k in ("title", "intro", "thanks", "text", "column", "low", "high", "note")},
}


def _header_key(text: str) -> str:
    """Normalise a header for matching: trim, case-fold, read ``ё`` as ``е``, collapse spaces."""
    return " ".join(str(text).replace("ё", "е").replace("Ё", "Е").casefold().split())


def _describe(error: ValidationError, source: str) -> str:
    """One paragraph from pydantic's errors, naming the nearest valid key for a typo."""
    parts = []
    for item in error.errors()[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            key = str(item["loc"][-1])
            parent = _model_at(item["loc"][:-1])
            nearest = difflib.get_close_matches(key, list(parent.model_fields), n=1, cutoff=0.5)
            hint = f"; did you mean {nearest[0]!r}?" if nearest else ""
            parts.append(f"unknown key {where!r}{hint}")
        else:
            parts.append(f"{where}: {item['msg']}")
    more = len(error.errors()) - len(parts)
    tail = f" (and {more} more problems)" if more > 0 else ""
    return (f"The survey template {source} is not valid: " + "; ".join(parts) + tail
            + ". Fix the template file and try again.")


def _model_at(loc: tuple) -> type[BaseModel]:
    """Find the pydantic model at a location inside a template (to suggest a key)."""
    names = [str(p) for p in loc if not isinstance(p, int)]
    if not names:
        return SurveyTemplate
    return _MODEL_OF_KEY.get(names[-1], SurveyTemplate)


def list_templates() -> list[str]:
    """List the template ids in ``templates/surveys/``, the methodology's five first."""
    found = sorted(p.stem for p in TEMPLATES_DIR.glob("*.yaml") if p.name != KEYWORDS_FILE)
    return [t for t in TEMPLATE_IDS if t in found] + [t for t in found if t not in TEMPLATE_IDS]


def template_from_dict(data: dict, *, source: str = "(given as a dict)") -> SurveyTemplate:
    """Validate a template given as a mapping (as read from YAML).

    Parameters
    ----------
    data
        The template's keys: ``id, cadence, audience, title, intro, questions`` and the
        optional ``version, identify, max_questions, thanks, sections, scales``.
    source
        How to name the template in an error message.

    Returns
    -------
    SurveyTemplate
        The validated template.

    Raises
    ------
    SurveyTemplateError
        When a key is unknown or a value breaks a rule; the message names the key.
    """
    if not isinstance(data, dict):
        raise SurveyTemplateError(f"The survey template {source} must be a YAML mapping with "
                                  "keys such as id, title and questions.")
    try:
        return SurveyTemplate.model_validate(data)
    except ValidationError as error:
        raise SurveyTemplateError(_describe(error, source)) from None


def load_template(template: str | Path | SurveyTemplate) -> SurveyTemplate:
    """Load and validate a questionnaire template by id or by path.

    Parameters
    ----------
    template
        A template id from ``templates/surveys/`` (``"quarterly"``), a path to a YAML file,
        or an already loaded template (returned as it is).

    Returns
    -------
    SurveyTemplate
        The validated template.

    Raises
    ------
    SurveyTemplateError
        When no such template exists (the message lists the ids and the nearest one) or the
        file is not a valid template.
    """
    if isinstance(template, SurveyTemplate):
        return template
    name = str(template)
    path = TEMPLATES_DIR / f"{name}.yaml"
    if not (_ID.match(name) and path.is_file()):
        path = Path(name)
        if not path.is_file():
            known = list_templates()
            nearest = difflib.get_close_matches(name, known, n=1, cutoff=0.4)
            hint = f" Did you mean {nearest[0]!r}?" if nearest else ""
            raise SurveyTemplateError(
                f"There is no survey template {name!r}: give one of {', '.join(known)} or the "
                f"path of a template YAML file.{hint}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SurveyTemplateError(f"Cannot read the survey template {path}: {error}. Save it as "
                                  "UTF-8 YAML and try again.") from None
    return template_from_dict(data, source=str(path))


def column_map(template: str | Path | SurveyTemplate, lang: str = "ru") -> dict[str, str]:
    """Export headers of a template's questions and standard columns in ``lang`` -> their ids.

    Parameters
    ----------
    template
        A template id, path or loaded template.
    lang
        ``ru`` or ``en``.

    Returns
    -------
    dict
        ``{"Готовность рекомендовать": "recommend", ..., "Код клиента": "customer_id"}``.
    """
    spec = load_template(template)
    check_lang(lang)
    mapping = {q.column.get(lang): q.id for q in spec.questions}
    mapping.update({names[lang]: key for key, names in META_COLUMNS.items()})
    return mapping


def _number(values: pd.Series) -> pd.Series:
    """Numbers from export text: blanks are missing, a decimal comma is read as a point."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip().str.replace("\u00a0", "").str.replace(",", ".")
    text = text.str.rstrip("%").str.strip()
    return pd.to_numeric(text.mask(text == ""), errors="coerce").astype("float64")


def _bad_rows(mask: pd.Series, raw: pd.Series) -> str:
    rows = [(int(i) + 2, raw.iat[i]) for i in np.flatnonzero(mask.to_numpy())[:5]]
    return format_rows(rows, int(mask.sum()))


def prepare_responses(
    frame: pd.DataFrame,
    template: str | Path | SurveyTemplate,
    *,
    require: list[str] | None = None,
) -> pd.DataFrame:
    """Rename a response export's headers to question ids and check every answer.

    Headers are matched in Russian or English (case, ``ё``/``е`` and extra spaces ignored),
    or may already be the ids. Numeric answers (nps, rating, percent) become floats with
    blanks as missing; choice answers become option ids; text answers become strings
    (blank when missing); ``date`` becomes a datetime. Columns that are neither questions
    nor standard columns are kept unchanged.

    ``export with Russian headers -> customer_id, wave, date, ..., <question ids>``

    Parameters
    ----------
    frame
        The responses as read from the client's file, one row per response.
    template
        A template id, path or loaded template.
    require
        Question ids (or standard columns) that must be present; default: at least one
        question.

    Returns
    -------
    pandas.DataFrame
        A new table with id-named columns; the row order is kept.

    Raises
    ------
    playbook.errors.DataError
        When a required column is missing, or an answer is not a number, is off its scale
        or is not one of a choice question's options; the message quotes the rows (numbered
        as in the file, the header being row 1).
    """
    spec = load_template(template)
    lookup: dict[str, str] = {}
    for q in spec.questions:
        lookup.update({_header_key(q.column.ru): q.id, _header_key(q.column.en): q.id,
                       _header_key(q.id): q.id})
    for key, names in META_COLUMNS.items():
        lookup.update({_header_key(names["ru"]): key, _header_key(names["en"]): key,
                       _header_key(key): key})
    renames = {c: lookup[_header_key(c)] for c in frame.columns if _header_key(c) in lookup}
    targets = list(renames.values())
    doubled = sorted({t for t in targets if targets.count(t) > 1})
    if doubled:
        raise DataError(f"The responses table has more than one column for {', '.join(doubled)} "
                        f"(template {spec.id!r}); keep one column per question.")
    out = frame.rename(columns=renames).reset_index(drop=True)
    present = [q for q in spec.questions if q.id in out.columns]
    wanted = require if require is not None else []
    missing = [c for c in wanted if c not in out.columns]
    if not present or missing:
        expected = ", ".join(repr(q.column.ru) for q in spec.questions[:4])
        what = (f"lacks the columns {', '.join(missing)}" if missing
                else "has no column that matches a question")
        raise DataError(
            f"The responses table {what} of survey template {spec.id!r}. Its headers are "
            f"{', '.join(map(repr, frame.columns[:8]))}; the template expects headers such as "
            f"{expected} (or the question ids). Rename the columns in the export, or fix the "
            "template's 'column' entries.")
    for q in present:
        raw = out[q.id]
        if q.bounds is not None:
            values = _number(raw)
            blank = raw.astype("string").str.strip().fillna("") == ""
            bad = (values.isna() & ~blank).astype(bool)
            if bad.any():
                raise DataError(f"Column {q.column.ru!r} ({q.id}) of the responses holds answers "
                                f"that are not numbers: {_bad_rows(bad, raw)}. Correct them or "
                                "leave the cells blank.")
            low, high = q.bounds
            off = (values < low) | (values > high)
            if off.any():
                raise DataError(f"Column {q.column.ru!r} ({q.id}) holds answers outside its "
                                f"{low}-{high} scale: {_bad_rows(off, raw)}. Correct them or leave "
                                "the cells blank.")
            out[q.id] = values
        elif q.type == "choice":
            options = {}
            for o in q.options or []:
                options.update({_header_key(o.id): o.id, _header_key(o.text.ru): o.id,
                                _header_key(o.text.en): o.id})
            text = raw.astype("string").fillna("").map(_header_key)
            coded = text.map(lambda v, known=options: known.get(v, pd.NA) if v else pd.NA)
            bad = coded.isna() & (text != "")
            if bad.any():
                raise DataError(f"Column {q.column.ru!r} ({q.id}) holds answers that are not "
                                f"among its options ({', '.join(options.values())}): "
                                f"{_bad_rows(bad, raw)}. Recode them or leave the cells blank.")
            out[q.id] = coded.astype("string")
        else:
            out[q.id] = raw.astype("string").fillna("").str.strip()
    if "date" in out.columns and not pd.api.types.is_datetime64_any_dtype(out["date"]):
        raw = out["date"].astype("string").str.strip()
        parsed = pd.to_datetime(raw, format="%d.%m.%Y", errors="coerce")
        iso = pd.to_datetime(raw, format="%Y-%m-%d", errors="coerce")
        parsed = parsed.fillna(iso)
        bad = parsed.isna() & raw.notna() & (raw != "")
        if bad.any():
            raise DataError(f"The response dates are not dates (dd.mm.yyyy or yyyy-mm-dd): "
                            f"{_bad_rows(bad, raw)}. Correct them or leave the cells blank.")
        out["date"] = parsed
    for key in ("customer_id", "wave", "segment", "manager"):
        if key in out.columns:
            out[key] = out[key].astype("string").str.strip()
    return out

