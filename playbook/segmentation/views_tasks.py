"""What the segmentation hands the client's staff: the managers' task lists (calls, win-back,
the director's apology calls, greetings, the share-of-wallet question) with what a manager
needs on each call, and the mailing lists by status.

Functions take the :class:`~playbook.segmentation.views.Segments` and the run, and return
tables for :mod:`playbook.exports` to write (docs/workbooks.md); they read no file but
through the run's context. :mod:`playbook.segmentation.views` re-exports them.

From the run's own segmentation (``Segments.of_run``) the lists, who each customer is and
the tasks' context are made once per run (:meth:`RunContext.cached`): the segmentation,
LTV and win-back notebooks all need them.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from playbook import exports
from playbook.errors import PlaybookError
from playbook.keys import KEY, customer_codes
from playbook.report.i18n import Lang
from playbook.segmentation import rhythm as rh
from playbook.segmentation.views_risk import overdue_tasks

if TYPE_CHECKING:
    from playbook.running.context import RunContext
    from playbook.segmentation.views import Segments

__all__ = ["customer_ids", "who", "p_alive", "task_context", "task_inputs", "call_ids",
           "task_values", "task_lists", "mailing_list", "winback_sentence"]


def _rung_name(rung: str, lang: Lang) -> str:
    return exports.plain_text(lang.t(f"segmentation.rung.{rung}"))


def _named(keys: pd.Series, name) -> pd.Series:
    """Each key's name, made once per distinct key (a large client has 743k customers and
    a dozen segments).
    """
    return keys.map({key: name(key) for key in keys.unique()})


def _per_run(seg: Segments, run: RunContext, name: str, make):
    """``make()``, once per run when ``seg`` is the run's own segmentation."""
    return run.cached(name, make) if getattr(seg, "of_run", False) else make()


def _segment_name(name: str, lang: Lang) -> str:
    key = f"segmentation.segment.{name}"
    return exports.plain_text(lang.t(key) if lang.has(key) else name)


def customer_ids(seg: Segments, run: RunContext) -> pd.Series:
    """Every customer: those who bought, then those only in the customers file."""
    customers = run.customers()
    if customers is None:
        return seg.summary["customer_id"]
    return pd.concat([seg.summary["customer_id"], customers["customer_id"]]).drop_duplicates()


def who(seg: Segments, run: RunContext) -> pd.DataFrame:
    """Each customer's manager, name and contacts (:func:`playbook.exports.people`)."""
    def make():
        managers, names = _last_managers_and_names(run)
        return exports.people(run.customers(), customer_ids(seg, run), managers=managers,
                              names=names)

    return _per_run(seg, run, "task-people", make)


def _last_managers_and_names(run: RunContext) -> tuple[pd.Series, pd.Series]:
    """:func:`last_known` manager and customer name, from the lines' customers and dates
    read once for both; not kept when read for this alone (win-back's kernel, its lines
    given back), and given back before the table of who each customer is is made.
    """
    lines = run.transactions(columns=["customer_id", "date", KEY], keep=False)
    coded = customer_codes(lines)
    return (last_known(run, "manager", lines, customers=coded),
            last_known(run, "customer_name", lines, customers=coded))


def last_known(run: RunContext, column: str, lines: pd.DataFrame | None = None, *,
               customers: tuple[np.ndarray, pd.Index] | None = None) -> pd.Series:
    """customer_id -> the last value of ``column`` on the customer's lines by date
    (:func:`playbook.exports.last_known`), the text read on the winning lines only: a large
    client's names and managers are never held for every line. ``lines``: the run's
    transactions' ``customer_id, date`` and :data:`~playbook.keys.KEY` (None: read here).
    """
    if column not in run.transaction_columns:
        return pd.Series(dtype="object")
    tx = lines if lines is not None else run.transactions(columns=["customer_id", "date", KEY])
    known = run.transaction_known(column)
    if pd.isna(tx["date"].to_numpy()[known]).any():  # the whole column, as the rule says
        return exports.last_known(
            run.transactions(columns=["customer_id", "date", column], keep=False), column)
    lines, ids = exports.lists.last_lines(tx, known, customers=customers)
    out = run.transaction_values(column, lines)
    out.index = pd.Index(ids, name="customer_id")
    return out


def p_alive(run: RunContext) -> pd.Series | None:
    """The probability each customer is still buying, by customer_id, when the lifetime-value
    model can tell (``ltv.activity_rule`` model); None otherwise.
    """
    from playbook.ltv import views as ltv_views  # the model: only when lists are made

    try:
        res = ltv_views.analyse(run)
    except PlaybookError:
        return None
    if res.activity_rule != "model" or res.customers.empty:
        return None
    return res.customers.set_index("customer_id")["p_alive"]


def task_context(seg: Segments, run: RunContext, *,
                 alive: pd.Series | None = None) -> pd.DataFrame:
    """The context columns of every customer's tasks (:func:`playbook.exports.context`):
    segment and rung in the client's language, ABC class, share of wallet from the annual
    survey when there is one, and ``alive`` (probability still active) when given.
    """
    from playbook.segmentation.views import survey_evidence

    lang = run.lang
    segment = _named(seg.rfm.set_index("customer_id")["segment"],
                     lambda s: _segment_name(s, lang))
    rung = _named(seg.rungs.set_index("customer_id")["rung"], lambda r: _rung_name(r, lang))
    evidence = survey_evidence(run)
    wallet = (evidence.dropna(subset=["share_of_wallet"]).set_index("customer_id")
              ["share_of_wallet"] if evidence is not None and "share_of_wallet" in evidence
              else None)
    tx = run.transactions(columns=exports.CONTEXT_COLUMNS, keep=False, coded=["category"])
    return exports.context(seg.summary, tx, seg.as_of, segment=segment,
                           rung=rung, value_band=seg.abc.set_index("customer_id")["abc"],
                           p_alive=alive, share_of_wallet=wallet)


def task_inputs(seg: Segments, run: RunContext) -> tuple[pd.DataFrame, pd.Series | None]:
    """The tasks' context with the model's probability still active (:func:`task_context`
    with :func:`p_alive`), and that probability.
    """
    def make():
        alive = p_alive(run)
        return task_context(seg, run, alive=alive), alive

    return _per_run(seg, run, "task-context", make)


def call_ids(seg: Segments) -> set[str]:
    """The customers on the "Calls" list without win-back's lists (:func:`task_lists` with
    ``winback=False``): those at risk and those who fell; found without making the lists.
    """
    at_risk = set(seg.rhythm.group("at_risk")["customer_id"])
    return at_risk | set(exports.lists.fallen(seg.moves, seg.rungs, seg.abc)["customer_id"])


def task_values(seg: Segments, run: RunContext) -> dict[str, pd.Series]:
    """Value at stake per customer, by customer_id: ``expected`` (the next 12 months' value
    at the customer's pace times the realisation factor: what a call to a customer who is
    slipping protects), ``pace`` (a year's value at its pace: greetings and questions) and
    ``lapsed`` (what a lapsed customer brought a year while it bought: the win-back).
    Margin when the data has it, else revenue, as the segmentation's money at stake.
    """
    r = seg.rhythm.customers.set_index("customer_id")
    expected = (r["pace"] * seg.rhythm.factor).where(r["status"] != "at_risk", r["at_stake"])
    tx = run.transactions(columns=exports.VALUE_COLUMNS)
    return {"expected": expected, "pace": r["pace"],
            "lapsed": exports.yearly_value(tx, value=exports.value_column(tx))}


#: The notebook that owns the win-back and apology lists when the run includes it.
WINBACK_NOTEBOOK = "40_winback.ipynb"


def task_lists(seg: Segments, run: RunContext, *, alive: pd.Series | None = None,
               winback: bool | None = None) -> dict[str, pd.DataFrame]:
    """The managers' task lists, by list key: calls, winback, apology, greetings and
    penetration, each in :data:`playbook.exports.TASK_COLUMNS`, most at stake first.

    Calls go to the customers at risk of leaving, then to the regular or large customers
    who moved down and are neither at risk already nor on the win-back or apology lists.
    Win-back: the valuable customers (ABC classes of ``segmentation.at_risk.classes``) the
    rhythm rule has counted as lost since ``segmentation.movement_days`` ago (earlier
    lapses were on earlier periods' lists: :func:`~playbook.segmentation.rhythm.newly_lost`),
    and exit respondents who left over terms; those who left
    over offence get the director's apology call instead. Due dates count from the
    hand-over (:attr:`RunContext.handover`): calls, win-backs and apologies
    ``segmentation.call_due_days`` later, questions ``question_due_days`` later; greetings
    on the day, within ``greetings_days`` of the hand-over. ``alive`` is the probability
    each customer is still active (None: :func:`p_alive`). ``winback``: whether these lists
    include win-back and apology; None: unless the run includes the win-back section
    (:data:`WINBACK_NOTEBOOK`), which then makes both from its own candidates
    (:func:`playbook.winback.views_tasks.workbook_lists`).
    """
    if winback is None:
        winback = WINBACK_NOTEBOOK not in run.params.run.notebooks
    if alive is None:
        return _per_run(seg, run, f"task-lists-{'with' if winback else 'without'}-winback",
                        lambda: _task_lists(seg, run, *task_inputs(seg, run), winback=winback))
    return _task_lists(seg, run, task_context(seg, run, alive=alive), alive, winback=winback)


def _task_lists(seg: Segments, run: RunContext, context: pd.DataFrame,
                alive: pd.Series | None, *, winback: bool) -> dict[str, pd.DataFrame]:
    from playbook.survey.exits import exit_causes

    cfg, lang, start = run.params.segmentation, run.lang, run.handover
    people = who(seg, run)
    values = task_values(seg, run)
    # the last of the lists' reads of the lines (the context was made before): what this
    # kernel held for the analyses is given back before the lists and the mailing lists
    run.let_go()
    due_call = start + dt.timedelta(days=cfg.call_due_days)
    due_question = start + dt.timedelta(days=cfg.question_due_days)
    r = seg.rhythm
    fresh = rh.newly_lost(r.customers, days=cfg.movement_days, lost_gaps=r.lost_gaps,
                          lost_days=r.lost_days)
    lost = r.customers[fresh].merge(seg.abc[["customer_id", "abc"]], on="customer_id")
    lost = lost[lost["abc"].isin(seg.risk_classes)]
    template = getattr(run.params.data.exit_survey, "template", None) or "exit"
    winback_rows, apology = exports.winback_lists(
        lost, exit_causes(run.survey("exit_survey"), template=template), lang, due=due_call,
        value=values["lapsed"], last_purchase=seg.summary.set_index("customer_id")
        ["last_purchase"])
    overdue = overdue_tasks(seg, lang, due=due_call, value=values["expected"])
    down = exports.call_list(seg.moves, seg.rungs, seg.abc, lang, due=due_call,
                             value=values["expected"])
    taken = set(overdue["customer_id"])
    if winback:
        taken |= set(winback_rows["customer_id"]) | set(apology["customer_id"])
    down = down[~down["customer_id"].isin(taken)]
    rows = {
        "calls": pd.concat([overdue, down], ignore_index=True),
        **({"winback": winback_rows, "apology": apology} if winback else {}),
        "greetings": exports.greetings_list(run.customers(), lang, start=start,
                                            days=cfg.greetings_days, value=values["pace"]),
        "penetration": exports.penetration_list(seg.rungs, lang, due=due_question,
                                                value=values["pace"]),
    }
    return {key: exports.finish(frame, key, lang, people=people, context=context, start=start)
            for key, frame in rows.items()}


def mailing_list(seg: Segments, run: RunContext) -> pd.DataFrame:
    """One row per customer with its suggested mailing (news, offers, greetings), for the
    mailing lists (:func:`playbook.exports.mailing_list`): segment, state, rung, ABC class,
    last purchase, contacts and consent when the customers file has it.
    """
    lang = run.lang
    base = seg.rhythm.customers[["customer_id", "status"]].rename(columns={"status": "state"})
    base = base.merge(seg.rfm[["customer_id", "segment"]], on="customer_id", how="left")
    base["segment"] = _named(base["segment"], lambda s: _segment_name(s, lang)).tolist()
    base = base.merge(seg.rungs[["customer_id", "rung"]], on="customer_id", how="left")
    base["rung"] = _named(base["rung"], lambda r: _rung_name(r, lang)).tolist()
    base = base.merge(seg.abc[["customer_id", "abc"]].rename(columns={"abc": "value_band"}),
                      on="customer_id", how="left")
    base["last_purchase"] = base["customer_id"].map(
        seg.summary.set_index("customer_id")["last_purchase"]).map(
        lambda v: pd.Timestamp(v).date() if pd.notna(v) else None)
    found = exports.occasions(run.customers(), start=run.handover,
                              days=run.params.segmentation.greetings_days)
    return exports.mailing_list(base, who(seg, run), found, lang)


def winback_sentence(lists: dict[str, pd.DataFrame], run: RunContext) -> str:
    """How many customers the win-back list and the director's apology calls hold (or,
    when the win-back section makes them, where to find them).
    """
    lang = run.lang
    if "winback" not in lists:
        return lang.t("segmentation.exports_winback_elsewhere", start=lang.date(run.handover))
    return lang.t("segmentation.exports_winback", winback=lang.int(len(lists["winback"])),
                  apology=lang.int(len(lists["apology"])),
                  days=lang.int(run.params.segmentation.movement_days),
                  start=lang.date(run.handover))
