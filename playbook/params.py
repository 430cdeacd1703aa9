"""The client's parameters: one YAML file merged over the playbook's defaults, validated strictly.

``load_params(path)`` reads ``params/defaults.yaml``, deep-merges the client's file over it,
resolves data paths relative to the client's file and validates the result with pydantic.
A typo is an error that names the nearest valid key, before anything runs.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from playbook.errors import ParamsError

__all__ = [
    "PROJECT_ROOT",
    "DEFAULTS_PATH",
    "Params",
    "Source",
    "load_params",
    "params_from_dict",
    "client_slug",
    "new_client_yaml",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_PATH = PROJECT_ROOT / "params" / "defaults.yaml"

#: Canonical transaction columns: required first, then optional ones.
TRANSACTION_COLUMNS = (
    "customer_id", "date", "amount",
    "order_id", "margin", "cost", "quantity", "price", "product", "category", "channel",
    "branch", "manager", "customer_name",
)
#: Canonical columns of the customers file.
CUSTOMER_COLUMNS = (
    "customer_id", "name", "manager", "contact_person", "birthday", "first_deal",
    "phone", "email", "source", "referral",
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
    encoding: str | None = None
    delimiter: str | None = None
    decimal: Literal[",", "."] | None = None
    date_format: str | None = None
    header: bool = True


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

    template: str | None = None


class Client(Strict):
    """Who the report is for."""

    name: str = Field(min_length=1)
    language: Literal["ru", "en"]
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class Data(Strict):
    """The client's files."""

    transactions: Annotated[TransactionsSource, BeforeValidator(_path_or_mapping)]
    customers: Annotated[CustomersSource, BeforeValidator(_path_or_mapping)] | None = None
    survey: Annotated[SurveySource, BeforeValidator(_path_or_mapping)] | None = None
    survey_annual: Annotated[SurveySource, BeforeValidator(_path_or_mapping)] | None = None
    exit_survey: Annotated[SurveySource, BeforeValidator(_path_or_mapping)] | None = None
    complaints: Annotated[Source, BeforeValidator(_path_or_mapping)] | None = None
    survey_base: Annotated[Source, BeforeValidator(_path_or_mapping)] | None = None


class Intake(Strict):
    """How intake treats problem rows (each choice is reported in the data-quality section)."""

    bad_rows: Literal["stop", "drop"]
    duplicates: Literal["auto", "drop", "keep"]
    max_future_days: int = Field(ge=0)


class Run(Strict):
    """How notebooks are executed."""

    notebooks: list[str]
    cell_timeout: int = Field(gt=0)
    kernel: str


class RfmRule(Strict):
    """One row of the RFM segment map: the R and FM score ranges (inclusive) it covers."""

    r: tuple[int, int]
    fm: tuple[int, int]


class Abc(Strict):
    """ABC analysis: what customers are ranked by and the cumulative cut-offs of A and B."""

    by: Literal["revenue", "margin"]
    cutoffs: tuple[float, float]


class Xyz(Strict):
    """XYZ analysis: the period, the look-back window and the CV cut-offs of X and Y."""

    period: Literal["month", "quarter"]
    window_months: int = Field(gt=0)
    min_periods: int = Field(ge=2)
    cutoffs: tuple[float, float]


class Regular(Strict):
    """Who counts as a regular: purchases in at least min_months of the last window_months."""

    min_months: int = Field(gt=0)
    window_months: int = Field(gt=0)


class Segmentation(Strict):
    """Segmentation settings (see params/defaults.yaml)."""

    rfm_segments: dict[str, RfmRule] | None = None
    abc: Abc
    xyz: Xyz
    regular: Regular
    adherent_share: float = Field(gt=0, le=1)
    movement_days: int = Field(gt=0)
    greetings_days: int = Field(ge=0)
    call_due_days: int = Field(ge=0)
    question_due_days: int = Field(ge=0)


class MarketingSpend(Strict):
    """Marketing spend of one period, split into winning new and keeping existing customers."""

    period_start: dt.date
    period_end: dt.date
    acquisition: float = Field(ge=0)
    retention: float = Field(ge=0)


class Ltv(Strict):
    """Lifetime value and retention settings (see params/defaults.yaml)."""

    margin: float | None = Field(default=None, gt=0, le=1)
    time_unit: Literal["day", "week", "month"]
    calibration_end: dt.date | None = None
    horizon_months: int = Field(gt=0, le=120)
    annual_discount: float = Field(ge=0, lt=1)
    crr_period: Literal["month", "quarter", "year"]
    active_window_months: int = Field(gt=0)
    retain_top_share: float = Field(gt=0, le=1)
    retain_alive_drop: float = Field(gt=0, lt=1)
    marketing: list[MarketingSpend] = Field(default_factory=list)


class Survey(Strict):
    """Survey settings (see params/defaults.yaml)."""

    complain_share: float = Field(gt=0, le=1)


class Params(Strict):
    """Everything a run needs; built by :func:`load_params`."""

    client: Client
    data: Data
    as_of: dt.date | None = None
    intake: Intake
    run: Run
    segmentation: Segmentation
    ltv: Ltv
    survey: Survey
    source_file: Path | None = None


def _did_you_mean(word: str, candidates) -> str:
    match = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.5)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ParamsError(f"Parameters file {path} does not exist. Check the path, or start "
                          f"one with `playbook new-client NAME`.") from None
    except IsADirectoryError:
        raise ParamsError(f"Parameters file {path} is a folder, not a file. Give the path of "
                          f"the client's .yaml file.") from None
    except UnicodeDecodeError:
        raise ParamsError(f"Parameters file {path} is not UTF-8 text. Save it as UTF-8 "
                          f"and run again.") from None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}, column {where.column + 1}" if where else ""
        problem = getattr(exc, "problem", None) or "it is not valid YAML"
        fix = "Check the indentation and quoting there."
        if isinstance(exc, yaml.constructor.ConstructorError):
            fix = "Tags such as !!python/... are not allowed: remove the tag and write the value."
        raise ParamsError(f"Parameters file {path} cannot be read{line}: {problem}. "
                          f"{fix}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ParamsError(f"Parameters file {path} must be a mapping of keys (client:, data:, "
                          f"...), not a {type(loaded).__name__}.")
    return loaded


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: Any = Params
    for part in loc:
        if isinstance(part, int) or not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _unwrap(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()) or ():
        inner = _unwrap(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return getattr(annotation, "__origin__", annotation) if not isinstance(annotation, type) \
        else annotation


def _explain(error: dict, origin: str) -> str:
    loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
    dotted = ".".join(str(p) for p in loc)
    if error["type"] == "extra_forbidden":
        parent = _model_at(loc[:-1])
        valid = sorted(parent.model_fields) if parent else []
        valid = [v for v in valid if v != "source_file"]
        hint = _did_you_mean(loc[-1], valid) if valid else ""
        listing = f" Valid keys there: {', '.join(valid)}." if valid else ""
        return f"unknown key '{dotted}'{hint}.{listing}"
    if error["type"] == "missing":
        return f"'{dotted}' is required but missing."
    value = error.get("input")
    shown = f" (got {value!r})" if not isinstance(value, dict) else ""
    message = re.sub(r"^Value error, ", "", error["msg"])
    return f"'{dotted}': {message}{shown}."


def params_from_dict(raw: dict, *, base_dir: Path, origin: str = "parameters") -> Params:
    """Merge ``raw`` over the defaults, resolve data paths against ``base_dir`` and validate.

    Raises
    ------
    ParamsError
        Naming every invalid or unknown key, with the nearest valid key for typos.
    """
    merged = _deep_merge(_read_yaml(DEFAULTS_PATH), raw)
    try:
        params = Params.model_validate(merged)
    except ValidationError as exc:
        problems = [_explain(e, origin) for e in exc.errors()]
        raise ParamsError(f"{origin} is not valid: " + " ".join(problems)
                          + " Fix the file and run again (see params/defaults.yaml for every "
                            "key and its default).") from None
    data = {}
    for name in Data.model_fields:
        source = getattr(params.data, name)
        if source is not None:
            path = source.path.expanduser()
            data[name] = source.model_copy(update={"path": (base_dir / path).resolve()})
    return params.model_copy(update={"data": params.data.model_copy(update=data)})


def load_params(path: str | Path) -> Params:
    """Read a client's parameters file, merged over ``params/defaults.yaml``, and validate it.

    Paths inside the file are relative to the file itself.
    """
    path = Path(path).expanduser().resolve()
    raw = _read_yaml(path)
    params = params_from_dict(raw, base_dir=path.parent, origin=f"Parameters file {path}")
    return params.model_copy(update={"source_file": path})


def client_slug(name: str) -> str:
    """A folder-safe name for a client: ``"ООО «Вектор»"`` -> ``"ооо-вектор"``."""
    slug = re.sub(r"[^\w]+", "-", name.lower(), flags=re.UNICODE).strip("-_")
    return slug or "client"


def new_client_yaml(name: str) -> str:
    """A commented parameters file to start a new client from."""
    quoted = json.dumps(name, ensure_ascii=False)  # a JSON string is a valid YAML scalar
    comment = " ".join(name.split())
    return f"""\
# Parameters for {comment}. Everything not set here comes from params/defaults.yaml.
# Paths are relative to this file. Run with:  playbook run <this file>
client:
  name: {quoted}
  language: ru          # ru | en: the language of the report and of the task lists
  currency: RUB         # ISO code, used to format money

data:
  transactions:
    path: data/transactions.csv   # CSV (any of utf-8/cp1251, ; , or tab), XLSX or Parquet
    # columns:                    # omit to auto-detect from the headers
    #   customer_id: "Код клиента"
    #   date: "Дата"
    #   amount: "Сумма"
    #   order_id: "Документ"      # optional: margin, cost, quantity, product, category,
    #   manager: "Менеджер"       #   channel, branch, manager, customer_name
  # customers: data/customers.xlsx  # optional: the customer list (columns auto-detected)

# as_of: 2026-10-31     # the analysis date; default: the last transaction date
"""
