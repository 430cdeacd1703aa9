"""Checks of the sales documents (order numbers) of a transactions file: order lines logged
again later, and documents that carry more than one customer.

Both were seen in real exports. A shop's order log may write an order again each time the
order is saved: its lines come back at a later hour, the same product, quantity and price
for the same customer (``relogged_lines``), or, when the order was changed in between,
with another quantity, price or customer (``relogged_changed``). Counted twice, they
inflate revenue and purchase counts. By default they are reported and kept;
``intake.relogged_lines: drop`` leaves them out, keeping each document's earliest line of
each product. A document number with two or more customer ids (``shared_documents``) is
reported: which customer bought is in doubt.

The checks need a document number (``order_id``); the first two also the ``product``.
Lines on the same date and time are never a re-logging: an order may list a product twice.
"""

from __future__ import annotations

from playbook.intake.model import FileInfo, Issue
from playbook.intake.parsing import _moment_sql
from playbook.intake.sql import _count, _examples, _found

RELOGGED = ("relogged_lines", "relogged_changed")


def _line_columns(info: FileInfo) -> list[str]:
    """What makes two lines of a document the same line: the document, customer, product,
    quantity and price (those the file has) and the amount.
    """
    return ["order_id", "customer_id", "product",
            *(c for c in ("quantity", "price") if c in info.mapping), "amount"]


def _document_issues(con, info: FileInfo, formats: list[str], policy: str,
                     name: str) -> list[Issue]:
    """Find lines logged again and documents with several customers among the rows of
    ``tx``; with ``policy`` ``drop``, delete the lines logged again. Returns their Issues.

    ``formats`` are the date formats of the date column, to read the time of day as well
    (a line logged again the same day at a later hour is later).
    """
    if "order_id" not in info.mapping:
        return []
    issues = []
    if "product" in info.mapping:
        _relogged(con, info, formats)
        con.execute("CREATE OR REPLACE TEMP VIEW _relogged_tx AS SELECT tx.*, r.kind AS _kind, "
                    "r.quote AS _quote FROM tx JOIN _relogged r USING (_row)")
        action = "dropped" if policy == "drop" else "kept"
        for kind in RELOGGED:
            if issue := _found(con, kind, f"_kind = '{kind}'", action, name, None, "_quote",
                               table="_relogged_tx"):
                issues.append(issue)
        if policy == "drop" and issues:
            con.execute("DELETE FROM tx WHERE _row IN (SELECT _row FROM _relogged)")
    con.execute("CREATE OR REPLACE TEMP TABLE _shared_documents AS SELECT order_id FROM tx "
                "WHERE order_id IS NOT NULL GROUP BY order_id "
                "HAVING count(DISTINCT customer_id) > 1")
    shared = "order_id IN (SELECT order_id FROM _shared_documents)"
    quote = "order_id || ' — ' || customer_id"
    if issue := _found(con, "shared_documents", shared, "kept", name, info.mapping["order_id"],
                       quote):
        # The rows quoted show the conflict: the first row of each customer of a document.
        firsts = f"_row IN (SELECT min(_row) FROM tx WHERE {shared} GROUP BY order_id, customer_id)"
        issue.examples = _examples(con, "tx", firsts, quote)
        issue.documents = _count(con, "_shared_documents", "true")
        issues.append(issue)
    return issues


def _relogged(con, info: FileInfo, formats: list[str]) -> None:
    """Create temp table ``_relogged`` (_row, kind, quote): the lines of ``tx`` logged again.

    A line is ``relogged_lines`` when an earlier line (by date and time) of its document has
    the same customer, product, quantity, price and amount; ``relogged_changed`` when it is
    not the earliest line of its product in the document (by date and time, then file
    order; returns apart) and comes later than it or under another customer. The quote
    names the earlier line: ``<date>, <amount> (<its row>: <its date>, <its amount>)``.
    """
    same = ", ".join(_line_columns(info))
    moment = _moment_sql("_raw_date", "date", formats)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lines AS
        SELECT _row, {same}, amount < 0 AS _return, {moment} AS _moment, _raw_date, _raw_amount
        FROM tx JOIN (SELECT order_id, product FROM tx WHERE order_id IS NOT NULL
                      AND product IS NOT NULL GROUP BY ALL HAVING count(*) > 1)
             USING (order_id, product)""")
    line = f"PARTITION BY {same} ORDER BY _moment, _row"
    product = "PARTITION BY order_id, product, _return ORDER BY _moment, _row"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _relogged AS
        SELECT _row, kind,
               concat(_raw_date, ', ', _raw_amount, ' (', CASE kind
                      WHEN 'relogged_lines' THEN concat(line_row, ': ', line_date, ', ',
                                                        line_amount)
                      ELSE concat(first_row, ': ', first_date, ', ', first_amount) END, ')')
               AS quote
        FROM (SELECT _row, _raw_date, _raw_amount, line_row, line_date, line_amount,
                     first_row, first_date, first_amount,
                     CASE WHEN _moment > line_moment THEN 'relogged_lines'
                          WHEN _row <> first_row AND (_moment > first_moment
                               OR customer_id IS DISTINCT FROM first_customer)
                          THEN 'relogged_changed' END AS kind
              FROM (SELECT *,
                           first_value(_moment) OVER ({line}) AS line_moment,
                           first_value(_row) OVER ({line}) AS line_row,
                           first_value(_raw_date) OVER ({line}) AS line_date,
                           first_value(_raw_amount) OVER ({line}) AS line_amount,
                           first_value(_moment) OVER ({product}) AS first_moment,
                           first_value(_row) OVER ({product}) AS first_row,
                           first_value(_raw_date) OVER ({product}) AS first_date,
                           first_value(_raw_amount) OVER ({product}) AS first_amount,
                           first_value(customer_id) OVER ({product}) AS first_customer
                    FROM _lines))
        WHERE kind IS NOT NULL""")


def _maybe_document_issues(con, info: FileInfo) -> bool:
    """Whether ``tx`` may hold lines logged again or a document with several customers.

    Any product listed twice in a document counts (the Parquet file has no time of day to
    tell a later line by), and so does any document with two customers: the thorough way
    decides. Texts are grouped by their hashes, a third faster on ten million rows; two
    documents sharing a hash only send a file the thorough way.
    """
    if "order_id" not in info.mapping:
        return False
    if "product" in info.mapping and _count(
            con, "(SELECT 1 FROM tx WHERE order_id IS NOT NULL AND product IS NOT NULL "
                 "GROUP BY hash(order_id, product) HAVING count(*) > 1 LIMIT 1)", "true"):
        return True
    return bool(_count(con, "(SELECT 1 FROM tx WHERE order_id IS NOT NULL GROUP BY "
                            "hash(order_id) HAVING min(hash(customer_id)) <> "
                            "max(hash(customer_id)) LIMIT 1)", "true"))
