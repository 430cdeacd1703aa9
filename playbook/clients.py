"""A new client: its folder name (:func:`client_slug`) and its first parameters file
(:func:`new_client_yaml`). Re-exported by :mod:`playbook.params`.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata

__all__ = ["SLUG_READABLE", "client_slug", "new_client_yaml"]

#: How much of a client's name its folder name keeps readable (characters).
SLUG_READABLE = 48


def client_slug(name: str) -> str:
    """A folder name for a client, different for every different name.

    The readable part is the name in lower case with every run of other characters made one
    ``-`` (at most 48 characters); a short hash of the exact name (Unicode-normalised, spaces
    collapsed) follows, so ``"ООО «Альфа-Групп»"`` and ``"ООО Альфа Групп"``, or two names
    without letters, never share ``runs/<client>/``:
    ``"ООО «Вектор»"`` -> ``"ооо-вектор-8587324b"``.
    """
    exact = " ".join(unicodedata.normalize("NFC", name).split())
    digest = hashlib.sha256(exact.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    readable = re.sub(r"[^\w]+", "-", exact.lower(), flags=re.UNICODE).strip("-_")
    readable = readable[:SLUG_READABLE].rstrip("-_") or "client"
    return f"{readable}-{digest}"


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
