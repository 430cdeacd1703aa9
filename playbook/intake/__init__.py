"""Intake: the one package that reads a client's files.

A client's export arrives as CSV (utf-8, utf-8 with BOM, cp1251 or UTF-16; ``;``, ``,``,
tab or whitespace separated; decimal commas; thousands separators with spaces), as a
workbook (.xlsx, .xls or .ods) or as Parquet. :func:`run_intake` reads it once per run,
maps its columns to the playbook's canonical names, parses dates and money, applies the
documented handling of problem rows, and writes normalised Parquet files that the notebooks
read:

``transactions.parquet``
    customer_id, date, amount, margin, and whichever optional columns were mapped (order_id,
    quantity, product, category, channel, branch, manager, customer_name), in file order.
``customers.parquet``
    the customers file, when given: customer_id, name, manager, contact_person, birthday,
    first_deal, phone, email, source, referral.
``customer_summary.parquet``
    one row per customer (see :func:`playbook.intake.summary.customer_summary`).
``intake.json``
    what was read, how, and every issue found with what was done about it.

Input files are only ever opened for reading. Every problem a consultant must fix raises a
:class:`~playbook.errors.DataError` naming the file, the column, up to five rows and what to do.

The modules, in the order a file meets them: :mod:`~playbook.intake.sniff` (what the file
is), :mod:`~playbook.intake.decode` (to UTF-8), :mod:`~playbook.intake.workbooks` (a
workbook's sheet, read in a child process), :mod:`~playbook.intake.sources` (opened as rows
of text), :mod:`~playbook.intake.columns` (which column is which),
:mod:`~playbook.intake.parsing` (numbers and dates), :mod:`~playbook.intake.transactions`
(checks and the write), :mod:`~playbook.intake.documents` (checks of order documents),
:mod:`~playbook.intake.pipeline` (a whole run); :mod:`~playbook.intake.model` holds what it
reports, :mod:`~playbook.intake.sql` small helpers.
"""

from playbook.intake.columns import (
    CUSTOMER_HEADERS,
    SURVEY_TEMPLATES,
    TRANSACTION_HEADERS,
    detect_columns,
)
from playbook.intake.model import FileInfo, IntakeResult, Issue
from playbook.intake.pipeline import run_intake
from playbook.intake.sources import read_raw

__all__ = [
    "Issue",
    "FileInfo",
    "IntakeResult",
    "run_intake",
    "read_raw",
    "detect_columns",
    "TRANSACTION_HEADERS",
    "CUSTOMER_HEADERS",
    "SURVEY_TEMPLATES",
]
