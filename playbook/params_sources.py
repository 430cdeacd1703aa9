"""The client's files in the parameters: where each is and how to read it (``data.*``).

Split from :mod:`playbook.params`, which re-exports :class:`Source`; the column names here
are the canonical ones intake maps every export onto.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from playbook.errors import shorten

#: The longest column header or sheet name the parameters may name.
MAX_HEADER = 255

#: Canonical transaction columns: required first, then optional ones.
TRANSACTION_COLUMNS = (
    "customer_id", "date", "amount",
    "order_id", "margin", "cost", "quantity", "price", "product", "category", "channel",
    "branch", "manager", "customer_name",
)
#: Canonical columns of the customers file.
CUSTOMER_COLUMNS = (
    "customer_id", "name", "manager", "contact_person", "birthday", "first_deal",
    "phone", "email", "source", "referral", "consent",
)


class Strict(BaseModel):
    """A parameters block that rejects unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _path_or_mapping(value: Any) -> Any:
    return {"path": value} if isinstance(value, (str, Path)) else value


class Source(Strict):
    """One client file: where it is and how to read it; anything omitted is sniffed."""

    path: Path
    columns: dict[str, str | int] = Field(default_factory=dict)
    sheet: str | int | None = None
    encoding: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,40}$")
    delimiter: str | None = Field(default=None, min_length=1, max_length=4)
    decimal: Literal[",", "."] | None = None
    date_format: str | None = Field(default=None, max_length=100)
    header: bool = True

    @field_validator("columns")
    @classmethod
    def _headers(cls, columns: dict[str, str | int]) -> dict[str, str | int]:
        for key, header in columns.items():
            if isinstance(header, str) and not 0 < len(header) <= MAX_HEADER:
                raise ValueError(f"the header given for {shorten(key)!r} must be 1 to "
                                 f"{MAX_HEADER} characters long")
        return columns

    @field_validator("sheet")
    @classmethod
    def _sheet(cls, sheet: str | int | None) -> str | int | None:
        if isinstance(sheet, str) and not 0 < len(sheet) <= MAX_HEADER:
            raise ValueError(f"a sheet name must be 1 to {MAX_HEADER} characters long")
        return sheet


SourceField = Annotated[Source, BeforeValidator(_path_or_mapping)]


class TransactionsSource(Source):
    """The transactions file; ``columns`` maps canonical names to the file's headers."""

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, columns: dict[str, str | int]) -> dict[str, str | int]:
        return _check_column_keys(columns, TRANSACTION_COLUMNS)


class CustomersSource(Source):
    """The customers file (a CRM or accounting export of the customer list)."""

    @field_validator("columns")
    @classmethod
    def _known_columns(cls, columns: dict[str, str | int]) -> dict[str, str | int]:
        return _check_column_keys(columns, CUSTOMER_COLUMNS)


def _check_column_keys(columns: dict[str, str | int], valid: tuple[str, ...]) -> dict:
    for key in columns:
        if key not in valid:
            raise ValueError(f"unknown column name {key!r}{_did_you_mean(key, valid)}; "
                             f"valid names: {', '.join(valid)}")
    return columns


class SurveySource(Source):
    """A survey export: ``columns`` maps question ids of ``template`` to the file's headers
    (headers in the template's own wording are recognised without it).
    """

    template: str | None = Field(default=None, min_length=1, max_length=255)

    @field_validator("columns")
    @classmethod
    def _question_ids(cls, columns: dict[str, str | int]) -> dict[str, str | int]:
        for key in columns:
            if not _QUESTION_ID.match(key):
                raise ValueError(f"{shorten(key)!r} is not a question id: ids are lowercase "
                                 f"Latin letters, digits and _ (as in the template), e.g. "
                                 f"'recommend'")
        return columns


_QUESTION_ID = re.compile(r"^[a-z][a-z0-9_]{0,79}$")


def _did_you_mean(word: str, candidates) -> str:
    match = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""
