"""The follow-up section: what last period's tasks achieved, in the client's language.

:func:`analyse` takes the tasks intake read back from the managers' workbooks
(``data.tasks_done``), matches them to the current data's customers, counts them per
manager and measures the calls' effect (:mod:`playbook.followup.effect`); the other
functions turn that into the report's tables, chart and sentences. Without returned
workbooks the section says so in one sentence and how the loop works. Customer names and
contacts never appear here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from playbook.followup import analysis as fa
from playbook.followup.contract import STATUSES
from playbook.followup.effect import MIN_GROUP, Effect, stratified_effect
from playbook.report.document import summary_section
from playbook.report.i18n import Lang
from playbook.report.render import PALETTE, new_figure
from playbook.running.context import RunContext

__all__ = ["Followup", "Markdown", "PARTS", "analyse", "heading", "intro_sentences",
           "manager_display", "manager_sentences", "effect_display", "effect_chart",
           "effect_sentences", "method_sentences",
           "problems_display", "consultant_notes", "results"]


@dataclass
class Followup:
    """Everything the follow-up section shows, computed once."""

    returned: bool
    as_of: dt.date
    tasks: pd.DataFrame
    report: dict
    managers: pd.DataFrame
    outcomes: pd.DataFrame
    effect: Effect | None
    unknown: int
    problems: dict[str, int]
    handover: dt.date | None


def analyse(run: RunContext) -> Followup:
    """The follow-up of a run: last period's tasks read back, per manager, and their effect."""
    found = run.tasks_done()
    as_of = run.as_of
    if found is None:
        empty = pd.DataFrame()
        return Followup(returned=False, as_of=as_of, tasks=empty, report={},
                        managers=fa.manager_table(pd.DataFrame(columns=["status"]), as_of),
                        outcomes=empty, effect=None, unknown=0, problems={}, handover=None)
    tasks, report = found
    transactions = run.transactions()
    tasks = fa.match_customers(tasks, transactions["customer_id"])
    known = tasks[tasks["known"]]
    outcomes = fa.customer_outcomes(known, transactions, as_of)
    effect = stratified_effect(outcomes) if len(outcomes) else None
    given = pd.to_datetime(known["given"]).dropna()
    return Followup(returned=True, as_of=as_of, tasks=tasks, report=report,
                    managers=fa.manager_table(known, as_of), outcomes=outcomes,
                    effect=effect, unknown=int((~tasks["known"]).sum()),
                    problems=fa.problem_counts(report.get("problems", [])),
                    handover=given.min().date() if len(given) else None)


def workbook_outcomes(run: RunContext) -> pd.DataFrame | None:
    """Last period's tasks for the new workbooks' summary sheets (``manager, list, status``):
    the tasks this section counts (customers the data knows, a status that could be read),
    so each manager's sheet and the report give the same numbers. None without returns.
    """
    from playbook.exports import UNASSIGNED, plain_text

    found = run.tasks_done()
    if found is None:
        return None
    tasks = fa.match_customers(found[0], run.transactions()["customer_id"])
    frame = tasks.loc[tasks["known"] & tasks["status"].notna(), ["manager", "list", "status"]]
    shown = {plain_text(Lang(code).t("segmentation.tasks.unassigned")): UNASSIGNED
             for code in ("ru", "en")}  # the workbook of customers without a manager
    return frame.assign(manager=frame["manager"].replace(shown))


class Markdown:
    """A heading and intro from the locale (never client data), shown as Markdown."""

    def __init__(self, text: str):
        self.text = text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/markdown": self.text, "text/plain": self.text}, {}


#: The section's parts and their heading levels (the appendix's part is a level down).
PARTS = {"managers": "##", "effect": "##", "appendix": "###"}


def heading(res: Followup, part: str, lang: Lang) -> Markdown | None:
    """A part's heading and what it shows, or None without returned workbooks: headings
    come from the code, so that a section without outcomes leaves only its one sentence.
    """
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}; parts: {', '.join(PARTS)}")
    if not res.returned:
        return None
    intro = " ".join(lang.t(f"followup.part.{part}.intro").split())
    return Markdown(f"{PARTS[part]} {lang.t(f'followup.part.{part}.title')}\n\n{intro}")


def intro_sentences(res: Followup, lang: Lang) -> list[str]:
    """What was read back: workbooks, tasks, managers, the hand-over; or, without any, one
    sentence on how the loop works.
    """
    if not res.returned:
        return [lang.t("followup.none")]
    done = int(res.managers["done"].sum())
    given = int(res.managers["given"].sum())
    out = [lang.t("followup.intro", files=lang.int(len(res.report.get("files", []))),
                  tasks=lang.int(given), managers=lang.int(len(res.managers)),
                  handover=lang.date(res.handover) if res.handover else "—",
                  as_of=lang.date(res.as_of), done=lang.int(done),
                  share=lang.pct(done / given if given else 0, 0))]
    unusable = res.problems.get("no_customer_id", 0) + res.problems.get("unknown_status", 0)
    if unusable or res.unknown:
        out.append(lang.t("followup.left_out", rows=lang.int(unusable),
                          unknown=lang.int(res.unknown)))
    return out


def manager_display(res: Followup, lang: Lang) -> pd.DataFrame:
    """The per-manager table with the client's column names: tasks given, the share done
    (done or won back), overdue, then each status's count (the done count is their sum).
    """
    table = res.managers.drop(columns=["done"])
    table["done_share"] = [lang.pct(v, 0) for v in table["done_share"]]
    names = {"manager": lang.t("followup.column.manager"),
             "given": lang.t("followup.column.given"),
             "done_share": lang.t("followup.column.done_share"),
             "overdue": lang.t("followup.column.overdue")}
    names |= {f"n_{s}": lang.t(f"followup.status.{s}") for s in STATUSES}
    return table.rename(columns=names)


def manager_sentences(res: Followup, lang: Lang) -> list[str]:
    """Who carried out the most and the fewest of their tasks, and what is overdue."""
    table = res.managers[res.managers["given"] > 0]
    if table.empty:
        return []
    best = table.sort_values(["done_share", "given"], ascending=False).iloc[0]
    worst = table.sort_values(["done_share", "given"], ascending=[True, False]).iloc[0]
    out = []
    if len(table) > 1 and best["manager"] != worst["manager"]:
        out.append(lang.t("followup.managers_range", best=best["manager"],
                          best_share=lang.pct(best["done_share"], 0), worst=worst["manager"],
                          worst_share=lang.pct(worst["done_share"], 0)))
    overdue = int(table["overdue"].sum())
    out.append(lang.t("followup.overdue", n=lang.int(overdue), as_of=lang.date(res.as_of))
               if overdue else lang.t("followup.no_overdue"))
    return out


def effect_display(res: Followup, lang: Lang) -> pd.DataFrame:
    """Called versus comparable customers not called: customers and the share who bought."""
    e = res.effect
    if e is None or e.lift is None:
        return pd.DataFrame()
    return pd.DataFrame({
        lang.t("followup.column.group"): [lang.t("followup.group_done"),
                                          lang.t("followup.group_compared")],
        lang.t("followup.column.customers"): [lang.int(e.n_done), lang.int(e.n_compared)],
        lang.t("followup.column.bought"): [lang.pct(e.share_done), lang.pct(e.share_compared)],
    })


def effect_chart(res: Followup, lang: Lang):
    """Two bars: the share who bought again, called and not called; the difference's
    interval drawn on the called customers' bar.
    """
    e = res.effect
    fig, ax = new_figure(7, 2.6)
    labels = [lang.t("followup.group_done"), lang.t("followup.group_compared")]
    ax.barh(labels[::-1], [e.share_compared, e.share_done], color=[PALETTE[4], PALETTE[0]])
    low = e.share_compared + e.ci_low
    high = e.share_compared + e.ci_high
    ax.errorbar([e.share_done], [labels[0]], xerr=[[e.share_done - low], [high - e.share_done]],
                fmt="none", ecolor="#333333", capsize=4)
    ax.xaxis.set_major_formatter(lambda x, _: lang.pct(x, 0))
    ax.set_xlim(0, min(1, max(high, e.share_done) * 1.15 + 0.02))
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_xlabel(lang.t("followup.axis_bought"))
    return fig


def effect_sentences(res: Followup, lang: Lang) -> list[str]:
    """The effect in plain words: how much, how sure, or that it is too early to tell."""
    e = res.effect
    if not res.returned:
        return []
    if e is None or e.lift is None or e.too_small:
        n_done, n_compared = (e.n_done, e.n_compared) if e else (0, 0)
        return [lang.t("followup.too_small", done=lang.int(n_done),
                       compared=lang.int(n_compared), min=lang.int(MIN_GROUP))]
    values = {"done": lang.pct(e.share_done, 0), "compared": lang.pct(e.share_compared, 0),
              "lift": lang.num(e.lift * 100, 1), "low": lang.num(e.ci_low * 100, 1),
              "high": lang.num(e.ci_high * 100, 1), "n_done": lang.int(e.n_done),
              "n_compared": lang.int(e.n_compared), "as_of": lang.date(res.as_of)}
    return [lang.t(f"followup.effect_{e.verdict}", **values)]


def method_sentences(res: Followup, lang: Lang) -> list[str]:
    """How the comparison was made, and what it assumes (for the appendix)."""
    if not res.returned or res.effect is None:
        return []
    e = res.effect
    return [lang.t("followup.method", strata=lang.int(e.strata), min=lang.int(MIN_GROUP),
                   level=lang.pct(e.level, 0)),
            lang.t("followup.assumptions")]


def problems_display(res: Followup, lang: Lang) -> pd.DataFrame:
    """Rows of the workbooks that could not be used, or only in part: what, where, how many."""
    rows = []
    for item in res.report.get("problems", []):
        rows.append({"problem": item["problem"], "file": item["file"], "sheet": item["sheet"],
                     "row": item["row"], "value": item.get("value", "")})
    unknown = res.tasks[~res.tasks["known"]] if res.returned else pd.DataFrame()
    for item in unknown.to_dict("records"):
        rows.append({"problem": "unknown_customer", "file": item["file"],
                     "sheet": item["sheet"], "row": item["row"], "value": item["customer_id"]})
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    frame["problem"] = [lang.t(f"followup.problem.{p}") for p in frame["problem"]]
    return frame.rename(columns={c: lang.t(f"followup.column.{c}") for c in frame.columns})


def consultant_notes(res: Followup, lang: Lang) -> list[str]:
    """The consultant's notes on the section, the block's title first."""
    notes = []
    if not res.returned:
        notes.append(lang.t("followup.consultant.none"))
    else:
        skipped = [f"{f['file']}: {s}" for f in res.report.get("files", [])
                   for s in f.get("skipped_sheets", {})]
        if skipped:
            notes.append(lang.t("followup.consultant.skipped", sheets=", ".join(skipped[:5])))
        if res.problems.get("bad_date"):
            notes.append(lang.t("followup.consultant.bad_dates",
                                n=lang.int(res.problems["bad_date"])))
        if res.handover is None:
            notes.append(lang.t("followup.consultant.no_handover"))
    return [lang.t("followup.consultant.title"),
            *(notes or [lang.t("followup.consultant.ok")])]


def results(res: Followup) -> dict:
    """What the notebook records: ``tasks.done`` and ``tasks.effect`` (see docs/results.md)
    under ``tasks``, and the reading's figures under ``followup``.
    """
    if not res.returned:
        return {"followup": {"returned": False}}
    e = res.effect
    return {
        "tasks": {"done": fa.manager_results(res.managers),
                  **({"effect": e.results()} if e is not None else {})},
        "followup": {"returned": True, "files": len(res.report.get("files", [])),
                     "tasks": int(res.managers["given"].sum()),
                     "done": int(res.managers["done"].sum()),
                     "overdue": int(res.managers["overdue"].sum()),
                     "unknown_customers": res.unknown, "problems": res.problems,
                     "handover": res.handover.isoformat() if res.handover else None},
    }


@summary_section("followup")
def _summary(results_: dict, lang: Lang):
    fu = results_["followup"]
    if not fu.get("returned"):
        return [], []
    effect = (results_.get("tasks") or {}).get("effect") or {}
    figures = [(lang.t("followup.summary.done"),
                lang.pct(fu["done"] / fu["tasks"] if fu["tasks"] else 0, 0))]
    advice = []
    verdict = effect.get("verdict")
    if verdict in ("positive", "negative", "unclear"):
        figures.append((lang.t("followup.summary.lift"),
                        lang.t("followup.summary.lift_value",
                               lift=lang.num(effect["lift"] * 100, 1))))
    if verdict == "positive":
        advice.append(lang.t("followup.summary.advice_positive",
                             lift=lang.num(effect["lift"] * 100, 1),
                             low=lang.num(effect["ci_low"] * 100, 1)))
    elif verdict in ("unclear", "negative", "too_small"):
        advice.append(lang.t("followup.summary.advice_more"))
    if fu.get("overdue"):
        advice.append(lang.t("followup.summary.advice_overdue", n=lang.int(fu["overdue"])))
    return figures, advice
