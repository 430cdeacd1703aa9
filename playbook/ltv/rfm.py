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

__all__ = [
    "TIME_UNITS",
    "DAYS_PER_MONTH",
    "rfm_summary",
    "validate_rfm",
    "require_columns",
    "days_per",
    "customer_series",
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
    keep = (day <= obs_end).to_numpy()
    daily = (
        pd.DataFrame({
            "customer_id": transactions[customer_id].to_numpy()[keep],
            "day": day.to_numpy()[keep],
            "amount": transactions[amount].astype(float).to_numpy()[keep],
        })
        .groupby(["customer_id", "day"], sort=True)["amount"].sum()
        .reset_index()
    )
    daily = daily[daily["amount"] >= 0]
    in_cal = daily["day"] <= cal_end
    cal = daily[in_cal]
    if cal.empty:
        raise DataError(
            f"No customer has a purchase on or before the calibration end {cal_end.date()}; "
            "choose a later calibration end."
        )
    grouped = cal.groupby("customer_id", sort=True)
    first = grouped["day"].min()
    days = grouped["day"].size()
    first_amount = grouped["amount"].first()  # sorted by day: the first purchase day
    repeat_spend = grouped["amount"].sum() - first_amount
    frequency = (days - 1).astype("int64")
    out = pd.DataFrame({
        "customer_id": first.index,
        "frequency": frequency.to_numpy(),
        "recency": ((grouped["day"].max() - first).dt.days / unit_days).to_numpy(),
        "T": ((cal_end - first).dt.days / unit_days).to_numpy(),
        "monetary_value": np.where(frequency > 0, repeat_spend / frequency.clip(lower=1), 0.0),
    })
    if obs_end > cal_end:
        later = daily[~in_cal].groupby("customer_id").size()
        out["frequency_holdout"] = (
            later.reindex(out["customer_id"]).fillna(0).astype("int64").to_numpy()
        )
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
