"""Exit reasons: why customers left, in their own words, and which of them could be won back.

The exit questionnaire asks three open questions (product or service, staff, the moment of
sale). :func:`load_exit_keywords` reads the dictionary of stems that codes them
(``templates/surveys/exit_keywords.yaml``); :func:`code_exit_reasons` codes each answer by
keyword into areas and a cause; :func:`exit_summary` counts them and :func:`exit_quotes`
picks example answers to show, with contacts hidden by
:func:`playbook.report.privacy.mask_contacts` (imported here too). Nothing here
prints or reads a file but the dictionary and the locale, whose ``survey.uncoded`` labels
name the answers no keyword placed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import Field, ValidationError, field_validator

from playbook.errors import DataError
from playbook.report import i18n
from playbook.report.privacy import mask_contacts
from playbook.survey.checks import check_lang, require
from playbook.survey.questionnaire import (
    KEYWORDS_FILE,
    TEMPLATES_DIR,
    StrictModel,
    SurveyTemplateError,
    Text,
    load_template,
)

__all__ = [
    "load_exit_keywords",
    "code_exit_reasons",
    "exit_causes",
    "exit_summary",
    "exit_quotes",
    "attribute_mentions",
    "mask_contacts",
]


# --- the keyword dictionary ----------------------------------------------------------------------

_TOKEN = re.compile(r"[0-9a-zа-я]+")


class _Category(StrictModel):
    label: Text
    winnable: bool | None = None
    ru: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)

    @field_validator("ru", "en")
    @classmethod
    def _stems(cls, stems: list[str]) -> list[str]:
        cleaned = [" ".join(str(s).split()) for s in stems]
        if any(not s for s in cleaned):
            raise ValueError("a stem is blank")
        return cleaned


class _Phrases(StrictModel):
    ru: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)


class _Keywords(StrictModel):
    no_answer: _Phrases = Field(default_factory=_Phrases)
    areas: dict[str, _Category] = Field(min_length=1)
    causes: dict[str, _Category] = Field(min_length=1)
    attributes: dict[str, _Phrases] = Field(default_factory=dict)


def load_exit_keywords(path: str | Path | None = None) -> dict:
    """Read and check the keyword dictionary that codes exit answers.

    Parameters
    ----------
    path
        A YAML file; default ``templates/surveys/exit_keywords.yaml``.

    Returns
    -------
    dict
        ``{"no_answer": [...], "areas": {name: {"label": {"ru", "en"}, "stems": [...]}},
        "causes": {...}}`` with the Russian and English stems of each category together,
        normalised for matching (lower case, ``ё`` as ``е``); causes also carry
        ``winnable``; ``no_answer`` lists whole answers that mean "nothing was wrong";
        ``attributes`` maps a questionnaire's attribute (question id) to the stems that name
        it in an exit answer (see :func:`attribute_mentions`).

    Raises
    ------
    SurveyTemplateError
        When the file is missing or malformed.
    """
    path = Path(path) if path is not None else TEMPLATES_DIR / KEYWORDS_FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        checked = _Keywords.model_validate(data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SurveyTemplateError(f"Cannot read the exit keyword dictionary {path}: {error}. "
                                  "Save it as UTF-8 YAML and try again.") from None
    except ValidationError as error:
        raise SurveyTemplateError(
            f"The exit keyword dictionary {path} is not valid: {error.errors()[0]['loc']}: "
            f"{error.errors()[0]['msg']}. It needs 'areas' and 'causes', each category with a "
            "'label' (ru, en) and lists of stems under 'ru' and 'en'.") from None

    def normal(category: _Category) -> dict:
        stems = [_normalise(s) for s in (*category.ru, *category.en)]
        entry = {"label": {"ru": category.label.ru, "en": category.label.en},
                 "stems": list(dict.fromkeys(stems))}
        if category.winnable is not None:
            entry["winnable"] = category.winnable
        return entry

    no_answer = [" ".join(_tokens(p)) for p in (*checked.no_answer.ru, *checked.no_answer.en)]
    attributes = {k: list(dict.fromkeys(_normalise(s) for s in (*v.ru, *v.en)))
                  for k, v in checked.attributes.items()}
    return {"no_answer": [p for p in dict.fromkeys(no_answer) if p],
            "areas": {k: normal(v) for k, v in checked.areas.items()},
            "causes": {k: normal(v) for k, v in checked.causes.items()},
            "attributes": attributes}


def _normalise(text: str) -> str:
    """Lower-case, read ``ё`` as ``е`` and drop apostrophes: how stems and answers are matched."""
    return str(text).lower().replace("ё", "е").replace("'", "").replace("\u2019", "")


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(_normalise(text))


# --- keyword coding ------------------------------------------------------------------------------


def _matches(tokens: list[str], stems: Sequence[str]) -> list[str]:
    """Return the stems (single or several consecutive words) that match the tokens."""
    found = []
    for stem in stems:
        parts = stem.split()
        span = len(parts)
        for i in range(len(tokens) - span + 1):
            if all(tokens[i + j].startswith(parts[j]) for j in range(span)):
                found.append(stem)
                break
    return found


def code_exit_reasons(
    answers: pd.DataFrame,
    *,
    text_cols: Sequence[str],
    keywords: Mapping,
    id_col: str | None = "customer_id",
) -> pd.DataFrame:
    """Code open exit answers into areas (product, staff, sale) and a cause (terms, offence).

    A stem matches every word that starts with it, ignoring case, with ``ё`` read as ``е``
    and apostrophes dropped; a stem of several words matches consecutive words. An answer
    that is blank, has no words, or is one of the dictionary's ``no_answer`` phrases ("нет",
    "всё устраивало") is left out. Areas are
    flags (an answer may name several); the cause is the first cause in the dictionary
    whose stems match (the playbook's dictionary lists ``offence`` before ``terms``, since a
    customer offended rarely comes back whatever the terms), else ``unclear``.

    ``answers (customer_id, text columns) -> customer_id, text, answered, <area flags>,
    n_areas, cause, winnable, matched``

    Parameters
    ----------
    answers
        One row per exit questionnaire.
    text_cols
        The open-answer columns (e.g. ``product_issue, staff_issue, sale_issue``).
    keywords
        The dictionary from :func:`load_exit_keywords`.
    id_col
        The customer id column to carry over, or ``None``.

    Returns
    -------
    pandas.DataFrame
        One row per input row. ``text`` joins the non-blank answers with `` / ``;
        ``answered`` is false when none was a real answer; ``winnable`` is true for a cause marked
        winnable, false for one that is not, missing when unclear; ``matched`` lists the
        stems found.
    """
    text_cols = list(text_cols)
    require(answers, text_cols + ([id_col] if id_col else []), "coding exit reasons")
    try:
        areas, causes = dict(keywords["areas"]), dict(keywords["causes"])
    except (KeyError, TypeError):
        raise DataError("The exit keywords must be the dictionary returned by "
                        "playbook.survey.exits.load_exit_keywords(), with 'areas' and "
                        "'causes'.") from None
    nothing = set(keywords.get("no_answer", ()))

    def real(answer: str) -> bool:
        words = " ".join(_tokens(answer))
        return bool(words) and words not in nothing

    texts = answers[text_cols].astype("string").fillna("")
    joined = [" / ".join(t.strip() for t in row if real(t)) for row in texts.itertuples(
        index=False)]
    records = []
    for text in joined:
        tokens = _tokens(text)
        row: dict[str, object] = {"text": text, "answered": bool(text)}
        matched: list[str] = []
        for name, spec in areas.items():
            hits = _matches(tokens, spec["stems"])
            row[name] = bool(hits)
            matched += hits
        row["n_areas"] = sum(bool(row[name]) for name in areas)
        row["cause"], row["winnable"] = "unclear", pd.NA
        for name, spec in causes.items():
            hits = _matches(tokens, spec["stems"])
            if hits:
                row["cause"], row["winnable"] = name, spec.get("winnable", pd.NA)
                matched += hits
                break
        row["matched"] = ", ".join(dict.fromkeys(matched))
        records.append(row)
    out = pd.DataFrame(records, columns=["text", "answered", *areas, "n_areas", "cause",
                                         "winnable", "matched"])
    out["winnable"] = out["winnable"].astype("boolean")
    if id_col:
        out.insert(0, id_col, answers[id_col].to_numpy())
    return out


#: The roles of the exit questionnaire's three open questions.
EXIT_ROLES = ("exit_product", "exit_staff", "exit_sale")


def exit_causes(answers: pd.DataFrame | None, *, template="exit",
                keywords: Mapping | None = None) -> pd.DataFrame:
    """Why each respondent left: over offence (an apology call), over terms (a win-back)
    or unclear, by the keyword dictionary's causes (:func:`code_exit_reasons`).

    ``answers (customer_id[, date], the template's open questions) -> customer_id, date,
    cause, winnable, text``: one row per questionnaire with a customer id and a real answer.
    ``template`` names the questionnaire (its questions of roles :data:`EXIT_ROLES` are
    the text columns); an export without them, or without customer ids, gives no rows.
    """
    columns = ["customer_id", "date", "cause", "winnable", "text"]
    if answers is None or "customer_id" not in answers:
        return pd.DataFrame(columns=columns)
    form = load_template(template)
    texts = [q for role in EXIT_ROLES for q in form.ids(role) if q in answers.columns]
    given = answers.dropna(subset=["customer_id"])
    if not texts or given.empty:
        return pd.DataFrame(columns=columns)
    coded = code_exit_reasons(given, text_cols=texts,
                              keywords=keywords or load_exit_keywords())
    coded["date"] = pd.to_datetime(given["date"]).to_numpy() if "date" in given else pd.NaT
    return coded.loc[coded["answered"], columns].reset_index(drop=True)


def attribute_mentions(coded: pd.DataFrame, *, keywords: Mapping) -> pd.DataFrame:
    """How many customers who left named each rated attribute (area of work) in their answers.

    The dictionary's ``attributes`` section lists, per question id of the regular
    questionnaire, the stems that name it ("цен", "дорог" for ``prices``); an answer names
    the attribute when one of them matches (as in :func:`code_exit_reasons`). Attributes
    the dictionary does not list are not counted.

    ``coded (from code_exit_reasons) -> attribute, mentions``

    Parameters
    ----------
    coded
        The output of :func:`code_exit_reasons`.
    keywords
        The dictionary from :func:`load_exit_keywords`.

    Returns
    -------
    pandas.DataFrame
        One row per attribute of the dictionary, in its order; ``mentions`` counts the
        questionnaires that name it.
    """
    require(coded, ["text", "answered"], "counting the areas customers named when they left")
    answered = coded[coded["answered"].astype(bool)]
    tokens = [_tokens(t) for t in answered["text"]]
    spec = keywords.get("attributes") or {}
    counts = [sum(bool(_matches(t, stems)) for t in tokens) for stems in spec.values()]
    return pd.DataFrame({"attribute": list(spec), "mentions": counts}, columns=[
        "attribute", "mentions"]).astype({"mentions": "int64"})


def exit_summary(coded: pd.DataFrame, *, keywords: Mapping, lang: str = "ru") -> pd.DataFrame:
    """Count exit reasons by area and by cause.

    ``coded (from code_exit_reasons) -> dimension, category, label, count, share, winnable``

    Parameters
    ----------
    coded
        The output of :func:`code_exit_reasons`.
    keywords
        The same dictionary (for the labels and the order).
    lang
        Language of the labels.

    Returns
    -------
    pandas.DataFrame
        ``dimension`` is ``area`` or ``cause``; ``share`` is of the customers who answered
        anything (areas can add up to more than 1). Area ``other`` counts answers no area
        stem matched; cause ``unclear`` those no cause stem matched.
    """
    check_lang(lang)
    labels = i18n.texts(lang)
    areas, causes = keywords["areas"], keywords["causes"]
    require(coded, ["answered", "cause", "n_areas", *areas], "the exit summary")
    answered = coded[coded["answered"].astype(bool)]
    n = len(answered)
    rows = []
    for name, spec in areas.items():
        count = int(answered[name].astype(bool).sum())
        rows.append(("area", name, spec["label"][lang], count, pd.NA))
    rows.append(("area", "other", labels["survey.uncoded.other"],
                 int((answered["n_areas"] == 0).sum()), pd.NA))
    for name, spec in causes.items():
        rows.append(("cause", name, spec["label"][lang], int((answered["cause"] == name).sum()),
                     spec.get("winnable", pd.NA)))
    rows.append(("cause", "unclear", labels["survey.uncoded.unclear"],
                 int((answered["cause"] == "unclear").sum()), pd.NA))
    out = pd.DataFrame(rows, columns=["dimension", "category", "label", "count", "winnable"])
    out.insert(4, "share", out["count"] / n if n else np.nan)
    out["winnable"] = out["winnable"].astype("boolean")
    return out


def exit_quotes(
    coded: pd.DataFrame,
    *,
    keywords: Mapping,
    per_category: int = 3,
    max_chars: int = 300,
    id_col: str | None = "customer_id",
    lang: str = "ru",
) -> pd.DataFrame:
    """Pick a few example answers for each area and cause, with contacts masked.

    Quotes are plain text (e-mail addresses and phone numbers masked by
    :func:`playbook.report.privacy.mask_contacts`, whitespace collapsed, cut at
    ``max_chars``); whoever renders them must escape them. Answers that name a single
    area are preferred for an area.

    ``coded -> dimension, category, customer_id, quote``

    Parameters
    ----------
    coded
        The output of :func:`code_exit_reasons`.
    keywords
        The same dictionary (for the order of the categories).
    per_category
        Quotes per category at most.
    max_chars
        Longer quotes are cut with an ellipsis.
    id_col
        The customer id column of ``coded`` to carry over, or ``None``.
    lang
        Language of the masks.

    Returns
    -------
    pandas.DataFrame
        One row per quote, in the order of the dictionary's categories.
    """
    answered = coded[coded["answered"].astype(bool)]
    selections = []
    for name in keywords["areas"]:
        rows = answered[answered[name].astype(bool)]
        rows = rows.iloc[np.argsort(rows["n_areas"].to_numpy(), kind="stable")]
        selections.append(("area", name, rows))
    for name in [*keywords["causes"], "unclear"]:
        selections.append(("cause", name, answered[answered["cause"] == name]))
    records = []
    for dimension, name, rows in selections:
        for _, row in rows.head(per_category).iterrows():
            quote = " ".join(mask_contacts(row["text"], lang=lang).split())
            if len(quote) > max_chars:
                quote = quote[: max_chars - 1].rstrip() + "…"
            records.append({"dimension": dimension, "category": name,
                            **({id_col: row[id_col]} if id_col else {}), "quote": quote})
    columns = ["dimension", "category", *([id_col] if id_col else []), "quote"]
    return pd.DataFrame(records, columns=columns)
