"""Customer lifetime value, the input of both models: one row per customer (the RFM summary).

:func:`rfm_summary` turns transactions (customer_id, date, amount) into one row per customer:
customer_id, frequency, recency, T, monetary_value, and, when there is data after the
calibration end, frequency_holdout and duration_holdout. That table is the input of the
BG/NBD purchase model (:mod:`playbook.ltv.bgnbd`) and of the Gamma-Gamma spend model
(:mod:`playbook.ltv.gammagamma`).

Recency, T and duration_holdout are in one time unit, day, week or month
(:data:`TIME_UNITS`); the models' time parameters come out in it. The helpers both models
use to read such a table live here too: :func:`validate_rfm` (frequency, recency and T,
checked), :func:`require_columns`, :func:`days_per` and :func:`customer_series` (a result
aligned with the summary).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from playbook.errors import DataError
from playbook.keys import KEY, customer_codes

__all__ = [
    "TIME_UNITS",
    "DAYS_PER_MONTH",
    "rfm_summary",
    "validate_rfm",
    "require_columns",
    "days_per",
    "customer_series",
    "customer_day_groups",
]

#: Days in an average month (365.25 / 12).
DAYS_PER_MONTH = 365.25 / 12
#: The time units a summary can be in, as days per unit.
TIME_UNITS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": DAYS_PER_MONTH}


# --- the summary ---------------------------------------------------------------------------


def days_per(time_unit: str) -> float:
    """Days in one ``time_unit``.

    Parameters
    ----------
    time_unit
        ``"day"``, ``"week"`` or ``"month"`` (a key of :data:`TIME_UNITS`).

    Returns
    -------
    float
        1, 7 or 365.25 / 12.

    Raises
    ------
    ValueError
        ``time_unit`` is not one of :data:`TIME_UNITS`.
    """
    try:
        return TIME_UNITS[time_unit]
    except KeyError:
        raise ValueError(
            f"time_unit must be one of {', '.join(TIME_UNITS)}; got {time_unit!r}."
        ) from None


def require_columns(table: pd.DataFrame, columns: list[str], what: str) -> None:
    """Check that ``table`` has every one of ``columns``.

    Parameters
    ----------
    table
        The table to check.
    columns
        Column names it must have.
    what
        What the table is, for the message (e.g. ``"customer summary"``).

    Raises
    ------
    DataError
        A column is missing; the message lists the table's columns.
    """
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise DataError(
            f"The {what} has no column {', '.join(map(repr, missing))}; its columns are "
            f"{', '.join(map(repr, map(str, table.columns)))}. Pass the right column name as a "
            f"keyword argument."
        )


# --- grouping by customer and day ----------------------------------------------------------


def _stable_order(key: np.ndarray) -> np.ndarray:
    """The order that sorts ``key`` (non-negative integers), stable: equal keys keep
    their order.

    A radix sort on 16-bit digits, lowest first: numpy's stable argsort of a 16-bit array
    is a counting sort, and a customer-day key (customer x days + day) has two digits, so
    this is a few times faster on millions of rows than a stable sort of the int64 keys.
    """
    top = int(key.max()) if len(key) else 0
    order = np.argsort(key.astype(np.uint16), kind="stable")  # (the lowest 16 bits)
    shift = 16
    while top >> shift:
        digit = (key >> shift).astype(np.uint16)[order]
        order = order[np.argsort(digit, kind="stable")]
        del digit
        shift += 16
    return order


def customer_day_groups(
    ids: np.ndarray, days: np.ndarray, columns: dict[str, object]
) -> tuple[np.ndarray, np.ndarray, pd.api.typing.DataFrameGroupBy]:
    """``columns`` grouped by customer and day: what ``groupby([ids, days], sort=True)``
    gives, for pandas' aggregates, without hashing millions of (customer, day) pairs.

    Parameters
    ----------
    ids, days
        Integer codes of each row's customer and day, -1 where it has none (the row is
        left out, as groupby drops missing keys). Codes in the order of the ids and dates
        (``pd.factorize(..., sort=True)``) give the groups in id, then date order.
    columns
        One value per row, in the rows' order.

    Returns
    -------
    tuple
        Each group's customer and day code, sorted by customer then day, and the groupby
        whose aggregates come in that order.

    The group numbers are found by a stable sort and given to pandas as the codes of a
    categorical, so it neither hashes nor reorders anything: each row keeps its place and
    its group number is the one grouping by the two keys gives, so pandas sums exactly as
    it would then (a compensated sum, or a sum of runs when the rows already come in group
    order): to the last bit.
    """
    span = int(days.max()) + 1 if len(days) else 1
    # (worked in place: a large client's table is ten million rows, each array 80 MB)
    key = ids.astype(np.int64)
    key *= span
    key += days
    valid = (ids >= 0) & (days >= 0)
    rows = None if valid.all() else np.flatnonzero(valid)
    del valid
    if rows is not None:
        key = key[rows]
    order = _stable_order(key)
    key = key[order]
    new_group = np.empty(len(key), dtype=bool)
    new_group[:1] = True
    np.not_equal(key[1:], key[:-1], out=new_group[1:])
    starts = key[new_group]
    del key
    number = np.cumsum(new_group, dtype=np.intp)
    number -= 1
    del new_group
    group = np.full(len(ids), -1, dtype=np.intp)
    group[order if rows is None else rows[order]] = number
    del number, order, rows
    groups = pd.DataFrame(columns, copy=False).groupby(
        pd.Categorical.from_codes(group, categories=pd.RangeIndex(len(starts))),
        observed=False, sort=True)
    return starts // span, starts % span, groups


def _day_sums(ids: np.ndarray, days: np.ndarray, values: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each (customer, day) group's customer, day and net amount, in customer then day
    order: :func:`customer_day_groups` and pandas' sum.

    Rows that are one per customer and day already, in that order (the purchase days of
    :func:`playbook.ltv.formulas.purchase_days`, which the LTV section's models summarise)
    are their own groups: taken as they are, without sorting and grouping ten million of
    them again, when each value is what pandas' sum of it alone gives whichever way pandas
    sums: the value itself (no missing value, which sums to 0, and no negative zero, which
    pandas' compensated sum turns into 0 and its sum of runs keeps).
    """
    plain = len(ids) and ids.min() >= 0 and not np.isnan(values).any() \
        and not np.signbit(values[values == 0]).any()
    if plain:
        key = ids.astype(np.int64) * (int(days.max()) + 1) + days
        if (key[1:] > key[:-1]).all():
            return ids, days, values
    codes, offsets, groups = customer_day_groups(ids, days, {"amount": values})
    return codes, offsets, groups["amount"].sum().to_numpy()


def rfm_summary(
    transactions: pd.DataFrame,
    *,
    calibration_end: str | pd.Timestamp,
    observation_end: str | pd.Timestamp | None = None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    time_unit: str = "week",
) -> pd.DataFrame:
    """Summarise transactions per customer for the BG/NBD and Gamma-Gamma models.

    customer_id, date, amount (one row per transaction line) -> customer_id, frequency,
    recency, T, monetary_value [, frequency_holdout, duration_holdout].

    Parameters
    ----------
    transactions
        One row per transaction line; returns are negative amounts.
    calibration_end
        Last day of the calibration period (included); the models are fitted on data up to it.
    observation_end
        Last day of the data (included). When later than ``calibration_end``, the days after
        the calibration end are the holdout and two columns are added.
    customer_id, date, amount
        Column names in ``transactions``.
    time_unit
        ``"day"``, ``"week"`` (days / 7) or ``"month"`` (days / (365.25 / 12)): the unit of
        recency, T and duration_holdout.

    Returns
    -------
    pandas.DataFrame
        One row per customer with a purchase day up to ``calibration_end``, sorted by id:

        - ``frequency``: repeat purchase days in the calibration period (purchase days - 1).
          A purchase day is a day whose net amount is not negative (zero-priced orders
          count, as in CDNOW): several purchases on one day count as one, and a day
          holding only a return is none (as in :mod:`playbook.intake.summary`);
        - ``recency``: from the first to the last purchase day; ``T``: from the first purchase
          day to ``calibration_end`` (both in ``time_unit``);
        - ``monetary_value``: the mean net amount of the repeat purchase days, 0 without repeats;
        - ``frequency_holdout``: purchase days after ``calibration_end`` up to
          ``observation_end``; ``duration_holdout``: the holdout's length in ``time_unit``.
          Customers whose first purchase is in the holdout are left out.

    Raises
    ------
    DataError
        A column is missing or no customer bought in the calibration period.
    ValueError
        ``observation_end`` is before ``calibration_end`` or ``time_unit`` is unknown.
    """
    unit_days = days_per(time_unit)
    require_columns(transactions, [customer_id, date, amount], "transactions table")
    cal_end = pd.Timestamp(calibration_end).normalize()
    obs_end = cal_end if observation_end is None else pd.Timestamp(observation_end).normalize()
    if obs_end < cal_end:
        raise ValueError(
            f"observation_end ({obs_end.date()}) is before calibration_end ({cal_end.date()}); "
            "it must be the same day or later."
        )
    day = pd.to_datetime(transactions[date]).dt.normalize()
    # Customers coded once (factorize sorts the ids: code order is id order) and grouped
    # by integer codes: grouping twice by the ids themselves factorizes them twice.
    if customer_id == "customer_id" and KEY in transactions:
        ids, id_values = customer_codes(transactions)  # the run's: the same numbers, made once
    else:
        ids = transactions[customer_id]
        if not (isinstance(ids.dtype, np.dtype) or ids.dtype == "str"):
            # as a plain numpy column, as the summary has always grouped them (categories
            # in the order of their values, not of the categories)
            ids = pd.Series(ids.to_numpy())
        ids, id_values = pd.factorize(ids, sort=True)
    id_values = id_values.infer_objects()  # the dtype groupby gives ids of an object column
    keep = (day <= obs_end).to_numpy()
    day_number = day.to_numpy().astype("datetime64[D]").view(np.int64)
    del day
    values = transactions[amount].astype(float).to_numpy()
    if not keep.all():
        ids, day_number, values = ids[keep], day_number[keep], values[keep]
    del keep  # (a line's worth each: only what the sums read is held while they run)
    start = int(day_number.min()) if len(day_number) else 0
    day_number -= start
    codes, offsets, amounts = _day_sums(ids, day_number, values)
    del day_number, ids, values
    bought = amounts >= 0
    in_cal = offsets + start <= (cal_end - pd.Timestamp(0)).days
    cal = bought & in_cal
    if not cal.any():
        raise DataError(
            f"No customer has a purchase on or before the calibration end {cal_end.date()}; "
            "choose a later calibration end.", why="no_history", date=cal_end.date()
        )
    # Purchase days in the calibration period, sorted by customer then day: each
    # customer's days are one run, its first purchase day first.
    cal_codes, cal_days, cal_amounts = codes[cal], offsets[cal] + start, amounts[cal]
    starts = np.flatnonzero(np.r_[True, cal_codes[1:] != cal_codes[:-1]])
    ends = np.r_[starts[1:], len(cal_codes)] - 1
    first = cal_days[starts]
    spend = pd.Series(cal_amounts).groupby(cal_codes, sort=True).sum().to_numpy()
    repeat_spend = spend - cal_amounts[starts]
    frequency = (ends - starts).astype("int64")
    customers = cal_codes[starts]
    out = pd.DataFrame({
        "customer_id": id_values.take(customers),
        "frequency": frequency,
        "recency": (cal_days[ends] - first) / unit_days,
        "T": ((cal_end - pd.Timestamp(0)).days - first) / unit_days,
        "monetary_value": np.where(frequency > 0, repeat_spend / frequency.clip(min=1), 0.0),
    })
    if obs_end > cal_end:
        later = np.bincount(codes[bought & ~in_cal], minlength=len(id_values))
        out["frequency_holdout"] = later[customers].astype("int64")
        out["duration_holdout"] = (obs_end - cal_end).days / unit_days
    return out


# --- reading a summary ---------------------------------------------------------------------


def validate_rfm(
    summary: pd.DataFrame, frequency: str, recency: str, T: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frequency, recency and T of a customer summary as float arrays, checked.

    Parameters
    ----------
    summary
        One row per customer, e.g. from :func:`rfm_summary`.
    frequency, recency, T
        Column names: repeat purchases; time from the first to the last purchase; time from
        the first purchase to the calibration end (recency and T in one time unit).

    Returns
    -------
    tuple of numpy.ndarray
        ``x``, ``t_x`` and ``T``, one value per customer.

    Raises
    ------
    DataError
        A column is missing; a value is missing, infinite or negative; a frequency is not a
        whole number; or a recency is greater than its T.
    """
    require_columns(summary, [frequency, recency, T], "customer summary")
    arrays = {}
    for name in (frequency, recency, T):
        values = pd.to_numeric(summary[name], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            raise DataError(
                f"Column {name!r} of the customer summary has {int(bad.sum()):,} missing, "
                f"infinite or negative values (first at row {int(np.argmax(bad))}); rebuild the "
                "summary with rfm_summary or drop those customers."
            )
        arrays[name] = values
    x, t_x, t_obs = arrays[frequency], arrays[recency], arrays[T]
    if np.any(x != np.round(x)):
        raise DataError(f"Column {frequency!r} must hold whole numbers of repeat purchases.")
    late = t_x > t_obs * (1 + 1e-9) + 1e-12
    if late.any():
        raise DataError(
            f"{int(late.sum()):,} customers have {recency!r} greater than {T!r} (first at row "
            f"{int(np.argmax(late))}): the last purchase cannot come after the end of the "
            "calibration period. Check that both columns use the same time unit and end date."
        )
    return x, t_x, t_obs


def customer_series(values: np.ndarray, summary: pd.DataFrame, name: str) -> pd.Series:
    """Per-customer ``values`` as a Series aligned with the summary they were computed from.

    Parameters
    ----------
    values
        One value per row of ``summary``, in its order.
    summary
        The customer summary.
    name
        The Series' name.

    Returns
    -------
    pandas.Series
        ``values`` with ``summary``'s index.
    """
    return pd.Series(values, index=summary.index, name=name)
