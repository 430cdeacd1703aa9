"""What switching to a cheaper competitor really gains the customer: the total cost of it.

Ellram's total cost of ownership: the price is one cost of buying among several (delivery,
defects, payment terms, late deliveries, stock held against a longer lead time, the
customer's own staff time, the switch itself), each expressed per year and as a share of
what is bought (a *cost ratio*). Anderson & Narus's value test: what a customer gains from
a supplier is value minus price, so a lower price with higher hidden costs may be no gain.

For a customer with a yearly spend ``S`` with us (at our prices) in ``n`` orders, and a
competitor whose price index is ``p`` (0.93 = 7% cheaper; its spend for the same goods is
``S x p``), :func:`switch_lines` gives one line per cost, each its gain (+) or loss (-) per
year from switching, the inputs of its formula and where they came from:

===========  ==========================================================================
price        ``S x (1 - p)``
delivery     ``-n x (delivery cost them - delivery cost us)``
defects      ``-defect handling share x (S x p x defect share them - S x defect share us)``
payment      ``-cost of capital x (S x deferral us - S x p x deferral them) / 365``
reliability  ``-S x p x late cost share x (on-time share us - on-time share them)``
lead time    ``-S x p / 365 x (lead time them - lead time us) x carrying rate``
staff time   ``-n x (hours per order them - hours per order us) x staff hour cost``
switching    ``-S x switching cost share`` (once, counted in the first year)
===========  ==========================================================================

A term the profile does not give for one side makes its line zero (source ``not_given``):
an unknown is never counted against the competitor. :func:`switch_summary` adds the lines
up: the net gain, the hidden costs and their cost ratio, and the break-even price gap (the
discount at which switching gains nothing; every line is linear in ``p``), and
:func:`sensitivity` moves each assumption to half and one and a half times its value to see
which one would flip the conclusion (a tornado). Tables in, tables out; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

__all__ = ["LINES", "DEFAULTS", "ASSUMPTIONS", "SENSITIVITY", "switch_lines", "switch_summary",
           "break_even_gap", "sensitivity", "mix_price_index", "own_terms"]

#: The lines of the comparison, in the order shown.
LINES = ("price", "delivery", "defects", "payment", "reliability", "lead_time", "staff_time",
         "switching")
#: The documented defaults (``winback:`` in params/defaults.yaml) where a profile is silent.
DEFAULTS = {"cost_of_capital": 0.16, "carrying_rate": 0.25, "defect_cost_share": 0.5,
            "late_cost_share": 0.1, "order_hours": 0.5, "staff_hour_cost": 800.0,
            "switching_cost_share": 0.01}


def _pair(us: Mapping, them: Mapping, key: str, default: float | None = None):
    a, b = us.get(key), them.get(key)
    source = "profile"
    if default is not None and (a is None or b is None):
        a = default if a is None else a
        b = default if b is None else b
        source = "params"
    return a, b, source


def switch_lines(spend: float, orders: float, us: Mapping, them: Mapping,
                 settings: Mapping | None = None) -> pd.DataFrame:
    """One customer's year with the competitor against with us, line by line.

    Parameters
    ----------
    spend
        The customer's yearly spend with us (``S``), at our prices.
    orders
        Its orders per year (``n``).
    us, them
        Terms (:data:`playbook.winback.profile.TERMS`; a missing or None value is not
        known); ``them`` must have ``price_index``.
    settings
        Overrides of :data:`DEFAULTS` (the parameters' ``winback:`` section).

    Returns
    -------
    pandas.DataFrame
        line, gain, inputs (a dict of the formula's values), source (``history`` +
        ``profile`` / ``params`` / ``not_given``): one row per :data:`LINES`. ``gain`` is
        per year, positive when switching gains the customer money.
    """
    cfg = DEFAULTS | dict(settings or {})
    p = float(them["price_index"])
    s, n = float(spend), float(orders)
    theirs = s * p
    rows = [("price", s * (1 - p), {"spend": s, "price_index": p}, "profile")]

    def line(name: str, key: str, cost, extra: dict, default: float | None = None,
             source: str | None = None) -> None:
        a, b, src = _pair(us, them, key, default)
        if a is None or b is None:
            rows.append((name, 0.0, {"us": a, "them": b, **extra}, "not_given"))
            return
        rows.append((name, -cost(float(a), float(b)), {"us": a, "them": b, **extra},
                     source or src))

    line("delivery", "delivery_cost", lambda a, b: n * (b - a), {"orders": n})
    h = cfg["defect_cost_share"]
    line("defects", "defect_share", lambda a, b: h * (theirs * b - s * a),
         {"spend": s, "price_index": p, "share": h})
    k = cfg["cost_of_capital"]
    line("payment", "deferral_days", lambda a, b: k * (s * a - theirs * b) / 365,
         {"spend": s, "price_index": p, "rate": k})
    late = cfg["late_cost_share"]
    line("reliability", "on_time_share", lambda a, b: theirs * late * (a - b),
         {"spend": s, "price_index": p, "share": late})
    c = cfg["carrying_rate"]
    line("lead_time", "lead_time_days", lambda a, b: theirs / 365 * (b - a) * c,
         {"spend": s, "price_index": p, "rate": c})
    w = cfg["staff_hour_cost"]
    line("staff_time", "order_hours", lambda a, b: n * (b - a) * w,
         {"orders": n, "hour_cost": w}, default=cfg["order_hours"])
    share = cfg["switching_cost_share"]
    rows.append(("switching", -s * share, {"spend": s, "share": share}, "params"))
    return pd.DataFrame(rows, columns=["line", "gain", "inputs", "source"])


def break_even_gap(spend: float, orders: float, us: Mapping, them: Mapping,
                   settings: Mapping | None = None) -> float | None:
    """The price gap (1 - price index) at which switching gains the customer nothing.

    Every line is linear in the price index ``p``, so the net gain is ``g(p) = g0 - (g0 -
    g1) p`` with ``g0``, ``g1`` its values at 0 and 1; None when it does not depend on p.
    """
    g0 = switch_lines(spend, orders, us, dict(them) | {"price_index": 1e-12}, settings)
    g1 = switch_lines(spend, orders, us, dict(them) | {"price_index": 1.0}, settings)
    a, b = float(g0["gain"].sum()), float(g1["gain"].sum())
    if a == b:
        return None
    return 1 - a / (a - b)


def switch_summary(lines: pd.DataFrame, spend: float, price_index: float) -> dict:
    """Lines of :func:`switch_lines` -> price_saving, hidden_costs, net_gain, and as shares:
    price_gap_share (1 - p), hidden_cost_share (hidden costs / the competitor's purchase
    value ``S x p``: Ellram's cost ratio), net_gain_share (net gain / S).
    """
    price = float(lines.loc[lines["line"] == "price", "gain"].sum())
    hidden = -float(lines.loc[lines["line"] != "price", "gain"].sum())
    theirs = spend * price_index
    return {"price_saving": price, "hidden_costs": hidden, "net_gain": price - hidden,
            "price_gap_share": 1 - price_index,
            "hidden_cost_share": hidden / theirs if theirs > 0 else None,
            "net_gain_share": (price - hidden) / spend if spend > 0 else None}


#: The assumptions the sensitivity moves: the competitor's price gap and the documented
#: defaults of :data:`DEFAULTS` that carry money.
ASSUMPTIONS = ("price_gap", "cost_of_capital", "carrying_rate", "defect_cost_share",
               "late_cost_share", "switching_cost_share", "staff_hour_cost")
#: Each assumption is moved to these multiples of its value.
SENSITIVITY = (0.5, 1.5)


def sensitivity(cases: list[tuple[float, float, Mapping, Mapping]],
                settings: Mapping | None = None,
                factors: tuple[float, float] = SENSITIVITY) -> pd.DataFrame:
    """The net gain of switching, summed over ``cases`` (spend, orders, us, them), with each
    assumption moved to ``factors`` times its value, the others as they are.

    -> assumption, low, high (the summed net gain at the two multiples), base, flips (the
    sign of the net gain changes within the range), sorted by the width of the swing.
    """
    cfg = DEFAULTS | dict(settings or {})

    def net(change: str | None = None, factor: float = 1.0) -> float:
        total = 0.0
        moved = dict(cfg)
        if change and change != "price_gap":
            moved[change] = cfg[change] * factor
        for spend, orders, us, them in cases:
            them = dict(them)
            if change == "price_gap":
                them["price_index"] = 1 - (1 - float(them["price_index"])) * factor
            total += float(switch_lines(spend, orders, us, them, moved)["gain"].sum())
        return total

    base = net()
    rows = []
    for name in ASSUMPTIONS:
        low, high = net(name, factors[0]), net(name, factors[1])
        rows.append({"assumption": name, "low": low, "high": high, "base": base,
                     "flips": bool(min(low, high) < 0 < max(low, high)
                                   or (base != 0 and (low * base < 0 or high * base < 0)))})
    out = pd.DataFrame(rows, columns=["assumption", "low", "high", "base", "flips"])
    swing = (out["high"] - out["low"]).abs()
    return out.iloc[swing.sort_values(ascending=False, kind="mergesort").index].reset_index(
        drop=True)


def mix_price_index(spend_by_category: Mapping[str, float], by_category: Mapping[str, float],
                    overall: float) -> float:
    """A competitor's price index for one customer's mix: each category's index (``overall``
    where the profile gives none) weighted by the customer's spend in it,
    ``sum(S_c x p_c) / sum(S_c)``; ``overall`` when the spend is unknown or nil.
    """
    total = sum(max(float(v), 0.0) for v in spend_by_category.values())
    if not by_category or total <= 0:
        return float(overall)
    return sum(max(float(v), 0.0) * float(by_category.get(c, overall))
               for c, v in spend_by_category.items()) / total


def own_terms(transactions: pd.DataFrame, as_of, *, min_orders: Mapping[str, float] | None = None,
              order_id: str = "order_id") -> dict:
    """Our own terms as the client's data shows them, over the 365 days to ``as_of``.

    -> avg_order (revenue / orders: documents, else purchase days per customer), orders
    (in all), customers (who bought), orders_per_customer (orders / customers: a year's
    orders of an average customer), and below_min ({competitor: the share of our orders
    under its minimum order} for ``min_orders`` {competitor: minimum}): the orders its
    customers would have to put together to buy there. Empty dict without purchases.
    """
    end = pd.Timestamp(as_of)
    day = pd.to_datetime(transactions["date"])
    keep = (day <= end) & (day > end - pd.Timedelta(days=365)) & (transactions["amount"] > 0)
    # only the columns read, before filtering: a filter takes every column, and a large
    # client's text columns (names, managers, categories) cost seconds each
    cols = [c for c in dict.fromkeys((order_id, "customer_id", "date", "amount"))
            if c in transactions]
    tx = transactions[cols][keep]
    if tx.empty:
        return {}
    keys = [order_id] if order_id in tx and tx[order_id].notna().all() else ["customer_id",
                                                                             "date"]
    orders = tx.groupby(keys)["amount"].sum()
    customers = int(tx["customer_id"].nunique())
    return {"avg_order": float(orders.mean()), "orders": len(orders), "customers": customers,
            "orders_per_customer": len(orders) / customers,
            "below_min": {name: float((orders < float(least)).mean())
                          for name, least in (min_orders or {}).items()
                          if least is not None and float(least) > 0}}
