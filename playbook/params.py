"""The client's parameters: one YAML file merged over the playbook's defaults, validated strictly.

``load_params(path)`` reads ``params/defaults.yaml``, deep-merges the client's file over it,
resolves data paths relative to the client's file and validates the result with pydantic.
A typo is an error that names the nearest valid key, before anything runs.

Hostile or broken input is refused with a short message, never a hang: the file must be a
regular file of at most 1 MB, YAML aliases may not expand beyond a bound, every text must be
short and free of control characters, data paths must not be pipes, devices or folders, and
``run.notebooks`` may name only the playbook's own notebooks. Messages never echo more than
80 characters of a value or key. The file itself is read by :mod:`playbook.yamlfile`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import unicodedata
from collections import deque
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from playbook.clients import SLUG_READABLE, client_slug, new_client_yaml
from playbook.errors import DataError, ParamsError, shorten
from playbook.params_sources import (
    CustomersSource,
    Source,
    Strict,
    SurveySource,
    TransactionsSource,
    _did_you_mean,
    _path_or_mapping,
)
from playbook.params_winback import CompetitorsSource, Winback
from playbook.standards.settings import Standards
from playbook.yamlfile import (
    MAX_PARAMS_BYTES,
    MAX_YAML_VALUES,
    not_regular,
    read_yaml,
    stat_problem,
)

__all__ = [
    "PROJECT_ROOT",
    "DEFAULTS_PATH",
    "Params",
    "Source",
    "load_params",
    "params_from_dict",
    "client_slug",
    "new_client_yaml",
    "check_text",
    "playbook_notebooks",
    "NOTEBOOKS_DIR",
    "MAX_PARAMS_BYTES",
    "MAX_YAML_VALUES",
    "SLUG_READABLE",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_PATH = PROJECT_ROOT / "params" / "defaults.yaml"
#: The playbook's notebooks: the only ones ``run.notebooks`` may name.
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"

#: The longest key (characters) and the longest text value anywhere in the parameters.
MAX_KEY = 80
MAX_TEXT = 4096
#: How many problems one message lists.
MAX_PROBLEMS = 5
#: The most workbooks ``data.tasks_done`` may list one by one.
MAX_TASK_FILES = 200


class Client(Strict):
    """Who the report is for."""

    name: str = Field(min_length=1, max_length=200)
    language: Literal["ru", "en"]
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    #: whom the client sells to: companies (b2b), people (b2c), or inferred from the data
    kind: Literal["b2b", "b2c", "auto"] = "auto"


def _one_or_many(value: Any) -> Any:
    """``tasks_done``: one path (a folder or a workbook) or a list of them."""
    return [value] if isinstance(value, (str, Path)) else value


class Data(Strict):
    """The client's files."""

    transactions: Annotated[TransactionsSource, BeforeValidator(_path_or_mapping)]
    customers: Annotated[CustomersSource, BeforeValidator(_path_or_mapping)] | None = None
    survey: Annotated[SurveySource, BeforeValidator(_path_or_mapping)] | None = None
    survey_annual: Annotated[SurveySource, BeforeValidator(_path_or_mapping)] | None = None
    exit_survey: Annotated[SurveySource, BeforeValidator(_path_or_mapping)] | None = None
    complaints: Annotated[Source, BeforeValidator(_path_or_mapping)] | None = None
    survey_base: Annotated[Source, BeforeValidator(_path_or_mapping)] | None = None
    competitors: Annotated[CompetitorsSource, BeforeValidator(_path_or_mapping)] | None = None
    audits: Annotated[Source, BeforeValidator(_path_or_mapping)] | None = None
    calls: Annotated[Source, BeforeValidator(_path_or_mapping)] | None = None
    requests: Annotated[Source, BeforeValidator(_path_or_mapping)] | None = None
    training: Annotated[Source, BeforeValidator(_path_or_mapping)] | None = None
    #: last period's task workbooks as the managers filled them in: a folder or files
    tasks_done: Annotated[list[Path], BeforeValidator(_one_or_many)] | None = None

    @field_validator("tasks_done")
    @classmethod
    def _some_paths(cls, paths: list[Path] | None) -> list[Path] | None:
        if paths is not None and not paths:
            raise ValueError("give a folder or at least one workbook (or leave the key out)")
        if paths is not None and len(paths) > MAX_TASK_FILES:
            raise ValueError(f"at most {MAX_TASK_FILES} workbooks may be listed; put them in "
                             f"one folder and give the folder")
        return paths

    def sources(self) -> list[Source]:
        """The client's files given one by one (every ``data`` key but ``tasks_done``)."""
        return [s for name in type(self).model_fields if name != "tasks_done"
                and (s := getattr(self, name)) is not None]

    def paths(self) -> list[Path]:
        """Every file or folder the client gave: the tables' files and ``tasks_done``."""
        return [s.path for s in self.sources()] + list(self.tasks_done or [])


class Intake(Strict):
    """How intake treats problem rows (each choice is reported in the data-quality section)."""

    bad_rows: Literal["stop", "drop"]
    duplicates: Literal["auto", "drop", "keep"]
    max_future_days: int = Field(ge=0)
    relogged_lines: Literal["keep", "drop"]


class Run(Strict):
    """How notebooks are executed: only the playbook's own notebooks, by name."""

    notebooks: list[str]
    cell_timeout: int = Field(gt=0)
    concurrency: int = Field(default=0, ge=0, le=64)
    memory_gb: float = Field(default=0, ge=0, le=65536)
    kernel: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,100}$")

    @field_validator("notebooks")
    @classmethod
    def _playbook_notebooks(cls, names: list[str]) -> list[str]:
        available = playbook_notebooks()
        for name in names:
            if name not in available:
                why = ("a path: name the notebook only" if ("/" in name or "\\" in name
                                                            or name.startswith(".")) else
                       "not one of the playbook's notebooks")
                raise ValueError(f"{shorten(name)!r} is {why}{_did_you_mean(name, available)}; "
                                 f"run.notebooks may name only {', '.join(available)}")
        if len(set(names)) != len(names):
            raise ValueError("a notebook is named twice")
        return names


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

    period: Literal["auto", "month", "quarter"]
    window_months: int = Field(gt=0)
    min_periods: int = Field(ge=2)
    cutoffs: Literal["auto"] | tuple[float, float]


class AtRisk(Strict):
    """Who is at risk (valuable, overdue against their own rhythm) and who is lost."""

    classes: list[Literal["A", "B", "C"]] = Field(default=["A", "B"], min_length=1)
    overdue_gaps: float = Field(default=1.5, gt=0)
    lost_gaps: float = Field(default=3.0, gt=0)
    lost_days: int = Field(default=365, gt=0)
    factor: Literal["auto"] | float = "auto"

    @model_validator(mode="after")
    def _lost_after_overdue(self) -> AtRisk:
        if self.lost_gaps <= self.overdue_gaps:
            raise ValueError("lost_gaps must be larger than overdue_gaps: a customer is "
                             "overdue first and lost later")
        if self.factor != "auto" and not 0 < self.factor <= 1:
            raise ValueError("factor is a share of the customers' usual value: above 0, "
                             "at most 1 (or auto)")
        return self


class Regular(Strict):
    """Who counts as a regular: purchases in at least min_months of the last window_months."""

    min_months: int = Field(gt=0)
    window_months: int = Field(gt=0)


class Segmentation(Strict):
    """Segmentation settings (see params/defaults.yaml)."""

    rfm_segments: dict[str, RfmRule] | None = None
    abc: Abc
    xyz: Xyz
    at_risk: AtRisk = Field(default_factory=AtRisk)
    regular: Regular
    adherent_share: float = Field(gt=0, le=1)
    movement_days: int = Field(gt=0)
    greetings_days: int = Field(ge=0)
    call_due_days: int = Field(ge=0)
    question_due_days: int = Field(ge=0)

    @field_validator("rfm_segments")
    @classmethod
    def _segment_names(cls, segments: dict[str, RfmRule] | None) -> dict[str, RfmRule] | None:
        for name in segments or {}:  # shown in tables and on charts, where $...$ is math
            if not _SEGMENT_NAME.match(name):
                raise ValueError(f"segment name {shorten(name, 40)!r} may hold only letters, "
                                 f"digits, spaces, - and _ (at most 40 characters)")
        return segments


_SEGMENT_NAME = re.compile(r"^\w[\w -]{0,39}$")


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
    holdout_min_weeks: float = Field(default=8, gt=0)
    lapse_gaps: float = Field(default=2, gt=0)
    marketing: list[MarketingSpend] = Field(default_factory=list)


class Survey(Strict):
    """Survey settings (see params/defaults.yaml)."""

    complain_share: float = Field(gt=0, le=1)


Label = Annotated[str, Field(min_length=1, max_length=200)]


class Labels(Strict):
    """Display labels of client values, ``{value as in the data: label}`` per kind (for a
    report in another language than the data); a value without one is shown as written.
    """

    segment: dict[str, Label] = Field(default_factory=dict)
    category: dict[str, Label] = Field(default_factory=dict)
    channel: dict[str, Label] = Field(default_factory=dict)
    branch: dict[str, Label] = Field(default_factory=dict)


def _iso_date(value: Any) -> Any:  # a date or YYYY-MM-DD, never a number read as a timestamp
    if value is None or isinstance(value, dt.date) or re.fullmatch(r"\d{4}-\d\d-\d\d", str(value)):
        return value
    raise ValueError("give a date as YYYY-MM-DD, e.g. 2026-11-02")


class Tasks(Strict):
    """The managers' workbooks: ``start``, the hand-over date due dates count from."""

    start: Annotated[dt.date, BeforeValidator(_iso_date)] | None = None


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
    tasks: Tasks = Field(default_factory=Tasks)
    winback: Winback = Field(default_factory=Winback)
    labels: Labels = Field(default_factory=Labels)
    standards: Standards = Field(default_factory=Standards)
    source_file: Path | None = None


def playbook_notebooks() -> list[str]:
    """The names of the playbook's notebooks (``notebooks/*.ipynb``), in run order."""
    return sorted(p.name for p in NOTEBOOKS_DIR.glob("*.ipynb") if p.is_file())


def _deep_merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


#: Characters never allowed in a parameter: control characters (except a tab as a
#: delimiter), lone surrogates, line and paragraph separators and bidi overrides.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _bad_character(text: str, allowed: str = "") -> str | None:
    for char in text:
        if char not in allowed and (unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp")
                                    or char in _BIDI):
            return char
    return None


def check_text(text: str, what: str, *, limit: int = MAX_TEXT, allowed: str = "") -> str | None:
    """Why ``text`` cannot be a parameter (too long, a control character), or None.

    ``what`` names it in the sentence: ``"'client.name'"``.
    """
    if len(text) > limit:
        return (f"{what} is {len(text):,} characters long; at most {limit:,} are allowed "
                f"(it starts {shorten(text, 40)!r})")
    bad = _bad_character(text, allowed)
    if bad is not None:
        return (f"{what} contains a control character (U+{ord(bad):04X}): remove it "
                f"(it reads '{shorten(text.encode('unicode_escape').decode('ascii'), 60)}')")
    return None


def _dotted(loc: tuple) -> str:
    return shorten(".".join(str(p) for p in loc), 120)


def _text_problems(raw: dict) -> list[str]:
    """Every key and text value of the parameters that is too long or holds a control
    character, named by its dotted location.
    """
    problems = []
    queue: deque[tuple[tuple, Any]] = deque([((), raw)])
    while queue:  # at most MAX_YAML_VALUES values: see playbook.yamlfile
        loc, value = queue.popleft()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    problem = check_text(key, f"a key in '{_dotted(loc) or '(top)'}'",
                                         limit=MAX_KEY)
                    if problem:
                        problems.append(problem + ".")
                        continue
                queue.append((loc + (key,), item))
        elif isinstance(value, list):
            queue.extend((loc + (i,), item) for i, item in enumerate(value))
        elif isinstance(value, str):
            allowed = "\t" if loc and loc[-1] == "delimiter" else ""
            problem = check_text(value, f"'{_dotted(loc)}'", allowed=allowed)
            if problem:
                problems.append(problem + ".")
    return problems


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
    dotted = shorten(dotted, 120)
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
    shown = f" (got {_brief(value)})" if not isinstance(value, (dict, list, tuple)) else ""
    message = shorten(re.sub(r"^Value error, ", "", error["msg"]), 300)
    return f"'{dotted}': {message}{shown}."


def _brief(value: Any) -> str:
    """A value as an error message quotes it: at most 80 characters."""
    return shorten(repr(value), 80)


def _listing(problems: list[str], total: int | None = None) -> str:
    """At most :data:`MAX_PROBLEMS` problems, and how many more there are of ``total``; the
    valid keys of a block are listed once.
    """
    listed, shown = set(), []
    for problem in problems[:MAX_PROBLEMS]:
        valid = re.search(r" Valid keys there: [^.]*\.", problem)
        if valid and valid.group() in listed:
            problem = problem.replace(valid.group(), "")
        elif valid:
            listed.add(valid.group())
        shown.append(problem)
    shown = " ".join(shown)
    rest = (len(problems) if total is None else total) - min(len(problems), MAX_PROBLEMS)
    return shown + (f" (and {rest:,} more problems)" if rest > 0 else "")


def params_from_dict(raw: dict, *, base_dir: Path, origin: str = "parameters") -> Params:
    """Merge ``raw`` over the defaults, resolve data paths against ``base_dir`` and validate.

    Raises
    ------
    ParamsError
        Naming every invalid or unknown key, with the nearest valid key for typos.
    DataError
        A data path names a folder, a pipe, a device or a symlink loop.
    """
    merged = _deep_merge(read_yaml(DEFAULTS_PATH), raw)
    fix = " Fix the file and run again (see params/defaults.yaml for every key and its default)."
    problems = _text_problems(merged)
    if problems:
        raise ParamsError(f"{origin} is not valid: " + _listing(problems) + fix)
    try:
        params = Params.model_validate(merged)
    except ValidationError as exc:
        problems = [_explain(e, origin) for e in exc.errors()[:MAX_PROBLEMS]]
        raise ParamsError(f"{origin} is not valid: " + _listing(problems, exc.error_count())
                          + fix) from None
    data, problems = {}, []
    for name in Data.model_fields:
        source = getattr(params.data, name)
        if name == "tasks_done" and source is not None:
            data[name] = []
            for i, given in enumerate(source):
                path, problem = _data_path(f"{name}[{i}]", given, base_dir, folder=True)
                if problem:
                    problems.append(problem)
                data[name].append(path)
        elif source is not None:
            path, problem = _data_path(name, source.path, base_dir)
            if problem:
                problems.append(problem)
            data[name] = source.model_copy(update={"path": path})
    if problems:  # the file cannot be read: a DataError, as intake would raise
        raise DataError(f"{origin}: " + _listing(problems))
    return params.model_copy(update={"data": params.data.model_copy(update=data)})


def _data_path(name: str, given: Path, base_dir: Path, *,
               folder: bool = False) -> tuple[Path, str | None]:
    """A data file's path made absolute, and why it cannot be read, if it cannot.

    A missing file is left to intake (which lists the files next to it); a folder (unless
    ``folder``: ``data.tasks_done`` may name one), a pipe, a device or a symlink loop is
    refused here, before anything tries to read it.
    """
    where = (f"'data.{name}' ({shorten(given, 80)})" if folder else
             f"'data.{name}.path' ({shorten(given, 80)})")
    try:
        path = base_dir / given.expanduser()
    except RuntimeError:  # ~user whose home folder is unknown
        return given, f"{where} starts with ~ but no such home folder is known: write it out."
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        info = None
    except (OSError, ValueError) as exc:
        why = stat_problem(exc) if isinstance(exc, OSError) else "is not a valid path"
        return path, f"{where} {why}: point it at the client's export file."
    if info is not None and stat.S_ISDIR(info.st_mode) and not folder:
        return path, f"{where} is a folder, not a file: point it at the export file itself."
    kind = info is not None and not_regular(info.st_mode)
    if kind:
        return path, (f"{where} is {kind}, not a file saved on disk: save the export as a "
                      f"file and point the path at it.")
    try:
        return path.resolve(), None
    except (OSError, RuntimeError):
        return path, f"{where} cannot be resolved (a symbolic link loop?): check the path."


def load_params(path: str | Path) -> Params:
    """Read a client's parameters file, merged over ``params/defaults.yaml``, and validate it.

    Paths inside the file are relative to the file itself.
    """
    given = Path(path)
    try:
        given = given.expanduser()
    except RuntimeError:
        raise ParamsError(f"Parameters file {shorten(path, 200)} starts with ~ but no such "
                          f"home folder is known. Write the path out.") from None
    raw = read_yaml(given)  # checked to be a regular file before it is opened
    path = given.resolve()
    params = params_from_dict(raw, base_dir=path.parent,
                              origin=f"Parameters file {shorten(path, 200)}")
    return params.model_copy(update={"source_file": path})
