"""Which of a file's columns is which: header synonyms in Russian and English, and the
mapping of a file's headers to the playbook's canonical column names.
"""

from __future__ import annotations

import re
from pathlib import Path

from playbook.errors import DataError

# Header synonyms, compared after normalising (lower case, ё -> е, punctuation to spaces).
# Within a canonical column, earlier groups win: a file with both "Код клиента" and
# "Контрагент" maps the code to customer_id and the name to customer_name.
NAME_HEADERS = ["клиент", "контрагент", "покупатель", "заказчик", "партнер",
                "наименование клиента", "customer", "client", "buyer", "customer name",
                "client name"]
TRANSACTION_HEADERS: dict[str, list[list[str]]] = {
    "customer_id": [
        ["код клиента", "код контрагента", "код покупателя", "id клиента", "customer id",
         "customerid", "client id", "clientid", "cust id", "customer code", "client code",
         "customer no", "customer number", "account id"],
        NAME_HEADERS,
    ],
    "date": [["дата", "дата продажи", "дата документа", "дата заказа", "дата покупки",
              "дата чека", "date", "order date", "invoice date", "invoicedate",
              "transaction date", "purchase date", "sale date", "period", "период"]],
    "amount": [["сумма", "выручка", "сумма продажи", "сумма с ндс", "сумма руб",
                "сумма документа", "стоимость", "amount", "revenue", "sales", "sales amount",
                "total", "sum", "net sales", "monetary", "order value", "value"]],
    "order_id": [["документ", "номер документа", "номер заказа", "заказ", "чек", "номер чека",
                  "order id", "orderid", "order", "order no", "order number", "invoice",
                  "invoice no", "invoiceno", "receipt", "document", "transaction id"]],
    "cost": [["себестоимость", "cost", "cogs", "cost of goods"]],
    "margin": [["маржа", "валовая прибыль", "прибыль", "наценка руб", "margin",
                "gross profit", "gross margin", "profit"]],
    "quantity": [["количество", "кол во", "qty", "quantity", "units"]],
    "price": [["цена", "цена за единицу", "цена продажи", "price", "unit price", "unitprice",
               "price per unit", "sale price"]],
    # A name before a code: "Номенклатура" and "Артикул", "Description" and "StockCode".
    "product": [["номенклатура", "товар", "наименование товара", "product", "product name",
                 "item", "description"],
                ["артикул", "код товара", "sku", "stockcode", "stock code", "item code",
                 "product code"]],
    "category": [["номенклатурная группа", "категория", "группа товаров", "группа",
                  "category", "product group", "product category"]],
    "channel": [["канал", "канал продаж", "channel", "sales channel"]],
    "branch": [["филиал", "подразделение", "магазин", "точка продаж", "branch", "store",
                "shop", "location"]],
    "customer_name": [NAME_HEADERS],
    "manager": [["менеджер", "ответственный", "торговый представитель", "manager",
                 "sales rep", "salesperson", "account manager", "rep"]],
}
CUSTOMER_HEADERS: dict[str, list[list[str]]] = {
    "customer_id": [["код клиента", "код контрагента", "код", "id клиента", "customer id",
                     "customerid", "client id", "id", "customer code", "client code"]],
    "name": [["наименование", "клиент", "контрагент", "название", "покупатель",
              "наименование клиента", "name", "customer", "client", "company",
              "customer name", "client name", "company name"]],
    "manager": TRANSACTION_HEADERS["manager"],
    "contact_person": [["контактное лицо", "контакт", "фио контакта", "contact",
                        "contact person", "contact name"]],
    "birthday": [["дата рождения", "день рождения", "дата рождения контакта",
                  "др контакта", "birthday", "birth date", "date of birth", "dob"]],
    "first_deal": [["дата первой сделки", "первая сделка", "дата первой покупки",
                    "клиент с", "first deal", "first deal date", "first purchase",
                    "first order date", "customer since"]],
    "phone": [["телефон", "тел", "мобильный", "телефон контакта", "phone", "mobile",
               "phone number", "tel"]],
    "email": [["e mail", "email", "эл почта", "электронная почта", "почта", "mail"]],
    "source": [["источник", "откуда узнали", "канал привлечения", "как узнали", "source",
                "lead source", "acquisition channel", "how found"]],
    "referral": [["по рекомендации", "рекомендация", "referral", "referred", "is referral"]],
    "consent": [["согласие на рассылку", "согласие", "согласие на рассылки", "подписка",
                 "рассылка", "consent", "marketing consent", "opt in", "opt-in", "subscribed",
                 "newsletter"]],
}
REQUIRED = {"transactions": ("customer_id", "date", "amount"), "customers": ("customer_id",)}
#: Survey exports and the questionnaire template each is read with, unless the params say.
SURVEY_TEMPLATES = {"survey": "quarterly", "survey_annual": "annual", "exit_survey": "exit"}
#: Small tables beside the surveys: complaints per period, and the surveyed base.
SIDE_TABLES: dict[str, dict[str, list[list[str]]]] = {
    "complaints": {
        "period": [["период", "квартал", "месяц", "волна", "period", "quarter", "month",
                    "wave"]],
        "complaints": [["жалоб", "жалобы", "количество жалоб", "complaints"]],
        "customers": [["клиентов в базе", "клиентов", "база", "customers", "base"]],
    },
    "survey_base": {
        "wave": [["волна", "период", "квартал", "wave", "period"]],
        "segment": [["сегмент", "segment"]],
        "customers": [["клиентов в базе", "клиентов", "customers", "base"]],
        "invited": [["приглашено", "приглашённых", "invited"]],
    },
}
SIDE_REQUIRED = {"complaints": ("period", "complaints"),
                 "survey_base": ("wave", "segment", "customers")}
#: A missing column that others can stand in for: amount = quantity x price.
ALTERNATIVES = {"amount": ("quantity", "price")}


def _norm(header: str) -> str:
    text = str(header).lower().replace("ё", "е").replace("_", " ")
    return re.sub(r"[^\w]+", " ", text).strip()


def _twins(header: str, headers: list[str]) -> list[str]:
    """The other columns a repeated ``header`` was read as ("Сумма;Сумма" is read as Сумма,
    Сумма_1).
    """
    return [h for h in headers if re.fullmatch(re.escape(header) + r"_\d+", h)]


def detect_columns(headers: list[str], synonyms: dict[str, list[list[str]]],
                   explicit: dict[str, str | int], *, file: Path, required: tuple[str, ...],
                   ) -> dict[str, str]:
    """Map canonical column names to a file's headers.

    Explicit mappings from the parameters win; the rest are matched against ``synonyms``
    (exact header first, then a header starting with a synonym). A canonical column that two
    headers match equally well is ambiguous: an error, unless it is optional (then skipped).

    Returns
    -------
    dict
        ``{canonical: header}`` for every column found.
    """
    listing = ", ".join(repr(h) for h in headers)
    mapping: dict[str, str] = {}
    for canonical, header in explicit.items():
        if isinstance(header, int):
            if not 1 <= header <= len(headers):
                raise DataError(f"{file}: column number {header} for '{canonical}' is out of "
                                f"range; the file has {len(headers)} columns: {listing}.")
            mapping[canonical] = headers[header - 1]
            continue
        if header not in headers:
            near = [h for h in headers if _norm(h) == _norm(header)]
            if near:
                header = near[0]
            else:
                raise DataError(f"{file}: the parameters map '{canonical}' to column "
                                f"{header!r}, which is not in the file. The file's columns "
                                f"are: {listing}. Fix 'columns' in the parameters.")
        if twins := _twins(header, headers):  # which of the repeated headers was meant?
            where = [headers.index(h) + 1 for h in (header, *twins)]
            raise DataError(
                f"{file}: {len(where)} columns are called {header!r} (columns "
                f"{', '.join(map(str, where))}), so the parameters' '{canonical}: {header}' "
                f"could be any of them. Give its number instead, e.g. columns: "
                f"{{{canonical}: {where[0]}}} for the first of them, {{{canonical}: "
                f"{where[1]}}} for the second, or rename the columns in the file. The file's "
                f"columns are: {listing}.")
        mapping[canonical] = header
    taken = set(mapping.values())
    normed = {h: _norm(h) for h in headers}
    for canonical, groups in synonyms.items():
        if canonical in mapping:
            continue
        found = None
        for group in groups:
            names = set(group)
            for level in (lambda n, names=names: n in names,
                          lambda n, names=names: any(n.startswith(s + " ") for s in names)):
                hits = [h for h in headers if h not in taken and level(normed[h])]
                if len(hits) > 1:
                    if canonical in required:
                        raise DataError(
                            f"{file}: more than one column could be '{canonical}': "
                            f"{', '.join(repr(h) for h in hits)}. Say which one in the "
                            f"parameters, e.g. columns: {{{canonical}: {hits[0]!r}}}. The "
                            f"file's columns are: {listing}.")
                    hits = []
                    break
                if hits:
                    found = hits[0]
                    break
            if found:
                break
        if found and (twins := _twins(found, headers)):  # the file repeats the header
            if canonical in required:
                raise DataError(
                    f"{file}: {len(twins) + 1} columns are called {found!r}, so "
                    f"'{canonical}' is ambiguous. Rename them in the file, or say which one "
                    f"to use in the parameters, e.g. columns: {{{canonical}: {twins[0]!r}}} "
                    f"(repeated headers are read as {found!r}, "
                    f"{', '.join(repr(t) for t in twins)}). The file's columns are: {listing}.")
            found = None
        if found:
            mapping[canonical] = found
            taken.add(found)
    missing = [c for c in required if c not in mapping
               and not all(a in mapping for a in ALTERNATIVES.get(c, ("?",)))]
    if missing:
        raise DataError(f"{file}: cannot find the {' and '.join(repr(m) for m in missing)} "
                        f"column{'s' if len(missing) > 1 else ''}. The file's columns are: "
                        f"{listing}. Name them in the parameters, e.g. columns: "
                        f"{{{missing[0]}: {headers[0]!r}}}.")
    return mapping
