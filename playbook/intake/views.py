"""The first notebook's questions: what data did the client give us, and can we trust it.

Table in, table out; the sentences for the reader are built from the numbers in the
client's language. Numbers agree with their nouns through the locale texts' plural syntax
(:class:`playbook.report.i18n.Count`); money in sentences is rounded for people
(``Lang.money_short``), tables keep exact amounts. What the consultant can change about
reading the data (parameters, formats) never reaches the client's sentences: it is in
:func:`consultant_notes`, for a notebook cell tagged ``consultant-only``.
"""

from __future__ import annotations

import pandas as pd

from playbook.periods import complete_end
from playbook.report.i18n import Lang

__all__ = ["ACTIVITY_COLUMNS", "monthly_activity", "monthly_revenue", "revenue_trend",
           "issues_table", "issues_sentences", "overview_sentence", "customers_figure", "advice",
           "consultant_notes", "dropped_rows",
           "monthly_chart"]

ISSUE_ORDER = ["totals", "bad_date", "bad_amount", "ambiguous_dates", "blank_customer_id",
               "duplicates", "relogged_lines", "relogged_changed", "shared_documents",
               "future_dates", "after_as_of", "returns", "zero_amounts", "bad_cost", "bad_margin",
               "bad_quantity", "unknown_customers", "customers_blank_id",
               "customers_duplicate_id", "customers_bad_birthday", "customers_bad_first_deal",
               "other_sheets"]


def _buyers(figures: dict) -> tuple[int, int]:
    """Customers with a purchase, and customers who appear only in returns."""
    buyers = figures.get("customers_with_purchase", figures["customers"])
    return buyers, figures["customers"] - buyers


#: The transactions' columns :func:`monthly_activity` reads.
ACTIVITY_COLUMNS = ("customer_id", "date", "amount")


def monthly_activity(transactions: pd.DataFrame, *, date: str = "date", amount: str = "amount",
                     customer_id: str = "customer_id") -> pd.DataFrame:
    """Transactions -> month, revenue, customers, rows (one row per calendar month, gaps as 0).

    ``revenue`` is net of returns; ``customers`` counts customers with a positive net amount
    in the month.
    """
    months = _months(transactions[date])
    per_customer = transactions[amount].groupby(
        [months, transactions[customer_id]], observed=True).sum()
    buyers = (per_customer > 0).groupby(level=0).sum()
    out = transactions[amount].groupby(months).agg(["sum", "size"])
    out = out.rename(columns={"sum": "revenue", "size": "rows"})
    out["customers"] = buyers
    return _every_month(out)[["month", "revenue", "customers", "rows"]].astype(
        {"customers": "int64", "rows": "int64"})


def monthly_revenue(transactions: pd.DataFrame, *, date: str = "date",
                    amount: str = "amount") -> pd.DataFrame:
    """Transactions -> month, revenue: :func:`monthly_activity`'s revenue alone, the same
    sums, without counting customers (a large client's report summary needs no more).
    """
    months = _months(transactions[date])
    out = transactions[amount].groupby(months).sum().to_frame("revenue")
    return _every_month(out)[["month", "revenue"]]


def _months(dates: pd.Series) -> pd.Series:
    """Each date's calendar month, as the timestamp of its first day."""
    return pd.Series(dates.to_numpy().astype("datetime64[M]").astype(dates.dtype),
                     index=dates.index, name="month")


def _every_month(by_month: pd.DataFrame) -> pd.DataFrame:
    """Figures by month with the months between them as zeros, ``month`` a column (as
    ``to_period("M").to_timestamp()`` gives each month).
    """
    by_month.index = pd.DatetimeIndex(by_month.index).to_period("M").to_timestamp()
    if len(by_month):
        full = pd.date_range(by_month.index.min(), by_month.index.max(), freq="MS")
        by_month = by_month.reindex(full, fill_value=0)
    by_month.index.name = "month"
    return by_month.reset_index()


def revenue_trend(monthly: pd.DataFrame) -> dict | None:
    """Revenue of the last 12 months against the 12 before; None with under 24 months."""
    if len(monthly) < 24:
        return None
    last = float(monthly["revenue"].iloc[-12:].sum())
    prev = float(monthly["revenue"].iloc[-24:-12].sum())
    change = (last - prev) / prev if prev else None
    return {"last_12m": last, "prev_12m": prev, "change": change}


def overview_sentence(figures: dict, lang: Lang) -> str:
    """One paragraph: period, rows, customers with purchases and revenue; and how many more
    customers appear only in returns, when some do.
    """
    start, end = (pd.Timestamp(figures["period"][k]) for k in ("start", "end"))
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    buyers, only_returns = _buyers(figures)
    text = lang.t("intake.overview", start=lang.date(start), end=lang.date(end),
                  months=lang.int(months), rows=lang.int(figures["transactions"]["rows_used"]),
                  rows_read=lang.int(figures["transactions"]["rows_read"]),
                  customers=lang.int(buyers), revenue=lang.money_short(figures["revenue"]))
    if only_returns > 0:
        text += " " + lang.t("intake.returns_only", more=lang.int(only_returns))
    return text


def customers_figure(figures: dict, lang: Lang) -> str:
    """The number of customers with purchases, for a key-figure box: with how many more
    appear only in returns, when some do ("4,338 (34 more appear only in returns)").
    """
    buyers, only_returns = _buyers(figures)
    if only_returns <= 0:
        return lang.int(buyers)
    return lang.t("intake.customers_value", customers=lang.int(buyers),
                  more=lang.int(only_returns))


def trend_sentences(monthly: pd.DataFrame, lang: Lang, as_of=None) -> list[str]:
    """What the monthly revenue and customer counts say, in the client's language.

    With ``as_of``, a month the data ends inside is left out: the trend and "the last full
    month" use complete months only (:func:`playbook.periods.complete_end`).
    """
    if as_of is not None:
        monthly = monthly[monthly["month"] <= pd.Timestamp(complete_end(as_of))]
    trend = revenue_trend(monthly)
    sentences = []
    if trend is None:
        sentences.append(lang.t("intake.trend_short",
                                avg=lang.money_short(monthly["revenue"].mean())))
    else:
        change = trend["change"] or 0.0
        key = "intake.trend_flat" if abs(change) < 0.03 else (
            "intake.trend_up" if change > 0 else "intake.trend_down")
        sentences.append(lang.t(key, last=lang.money_short(trend["last_12m"]),
                                prev=lang.money_short(trend["prev_12m"]),
                                change=lang.pct(abs(change))))
    if len(monthly):
        sentences.append(lang.t("intake.active_customers",
                                avg_customers=lang.int(monthly["customers"].mean()),
                                month=lang.month(monthly["month"].iloc[-1]),
                                last_customers=lang.int(monthly["customers"].iloc[-1])))
    return sentences


def monthly_chart(monthly: pd.DataFrame, lang: Lang):
    """Bars of monthly revenue with the number of buying customers as a line."""
    import matplotlib.dates as mdates
    from babel.numbers import get_currency_symbol

    from playbook.report.render import PALETTE, new_figure

    fig, ax = new_figure()
    ax.bar(monthly["month"], monthly["revenue"], width=24, color=PALETTE[0],
           label=lang.t("intake.chart_revenue"))
    # the axis in the scale a reader takes in at a glance: millions or thousands
    top = float(monthly["revenue"].abs().max()) if len(monthly) else 0.0
    scale, unit = (1e6, "_millions") if top >= 1e7 else (1e3, "_thousands") if top >= 1e4 \
        else (1.0, "")
    symbol = get_currency_symbol(lang.currency, locale=lang.locale)
    ax.set_ylabel(lang.t(f"intake.axis_revenue{unit}", currency=symbol))
    ax.yaxis.set_major_formatter(
        lambda v, _: lang.num(v / scale, 0 if float(v / scale).is_integer() else 1))
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(lambda v, _: lang.month(mdates.num2date(v).date()))
    right = ax.twinx()
    right.plot(monthly["month"], monthly["customers"], color=PALETTE[1], linewidth=2.2,
               marker="o", markersize=3, label=lang.t("intake.chart_customers"))
    right.set_ylabel(lang.t("intake.axis_customers"))
    right.set_ylim(bottom=0)
    right.yaxis.set_major_formatter(lambda v, _: lang.int(v))
    right.spines[["top"]].set_visible(False)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside upper left", ncols=2, frameon=False, fontsize=9)
    return fig


def issues_table(issues: list[dict], lang: Lang) -> pd.DataFrame:
    """Intake issues -> problem, rows, amount, action, columns named in the client's language."""
    ordered = sorted(issues, key=lambda i: (ISSUE_ORDER.index(i["kind"])
                                            if i["kind"] in ISSUE_ORDER else 99))
    rows = [{
        lang.t("report.problem"): lang.t(f"intake.issue.{i['kind']}"),
        lang.t("report.rows"): lang.int(i["rows"]),
        lang.t("report.amount"): lang.money(i["amount"]) if i.get("amount") is not None else "",
        lang.t("report.action"): lang.t(f"intake.action.{i['action']}"),
    } for i in ordered]
    return pd.DataFrame(rows, columns=[lang.t(f"report.{k}") for k in
                                       ("problem", "rows", "amount", "action")])


def dropped_rows(issues: list[dict]) -> int:
    """Rows of the transactions file left out of the analysis."""
    return sum(i["rows"] for i in issues if i["action"] == "dropped"
               and not i["kind"].startswith("customers_"))


def issues_sentences(figures: dict, issues: list[dict], lang: Lang) -> list[str]:
    """A summary of the problems found and whether the data can be trusted."""
    if not issues:
        return [lang.t("intake.issues_none")]
    rows_read = figures["transactions"]["rows_read"]
    dropped = dropped_rows(issues)
    share = dropped / rows_read if rows_read else 0.0
    kinds = ", ".join(lang.t(f"intake.issue.{i['kind']}").lower() for i in issues)
    sentences = [lang.t("intake.issues_summary", kinds=kinds, dropped=lang.int(dropped),
                        rows_read=lang.int(rows_read), dropped_share=lang.pct(share))]
    sentences.append(lang.t("intake.data_quality_ok") if share < 0.01 else
                     lang.t("intake.data_quality_warn", dropped_share=lang.pct(share)))
    return sentences


def advice(issues: list[dict], lang: Lang) -> list[str]:
    """Recommendations to the client about its data, one per fixable problem: what the
    problem means for the numbers and what to ask of whoever makes the export, with
    amounts rounded for people. No parameter, format or file of the playbook: those are in
    :func:`consultant_notes`.
    """
    out = []
    for issue in issues:
        key = f"intake.advice.{issue['kind']}"
        if lang.has(key):
            amount = issue.get("amount")
            documents = issue.get("documents")
            out.append(lang.t(key, rows=lang.int(issue["rows"]),
                              amount=lang.money_short(amount) if amount is not None else "",
                              documents=lang.int(documents) if documents is not None else "",
                              column=issue.get("column") or ""))
    return out


def consultant_notes(issues: list[dict], lang: Lang) -> list[str]:
    """What the consultant can change about reading the data, for a notebook cell tagged
    ``consultant-only`` (never the client's report): the parameter or format to set per
    problem, naming the client's file. The first item is the block's title.
    """
    notes = []
    for issue in issues:
        key = f"intake.consultant.{issue['kind']}"
        if lang.has(key):
            notes.append(lang.t(key, rows=lang.int(issue["rows"]), file=issue.get("file") or "",
                                column=issue.get("column") or "",
                                action=lang.t(f"intake.action.{issue['action']}")))
    return [lang.t("intake.consultant.title"), *(notes or [lang.t("intake.consultant.none")])]
