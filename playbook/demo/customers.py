"""The demo client's customers: codes, managers, and the CRM's customer file.

:func:`customer_codes` numbers customers the 1C way (``К-00001``), :func:`assign_managers`
gives each a manager (or none), and :func:`customers_text` builds the customer file: name,
manager, contact person and birthday, first deal, phone, e-mail and where the customer came
from (fewer by recommendation as time goes on).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from playbook.demo.names import person_parts, translit
from playbook.demo.settings import CUSTOMER_HEADER, DATES, DEMO_SETTINGS, MANAGERS, N_DAYS, SOURCES

__all__ = ["customer_codes", "assign_managers", "customers_text"]

_MAIL_HOSTS = ("mail.ru", "yandex.ru", "bk.ru", "gmail.com", "list.ru")


def customer_codes(n: int, width: int = 5) -> np.ndarray:
    """Customer codes ``К-00001`` .. (Cyrillic К), 1C style."""
    width = max(width, len(str(n)))
    return np.array([f"К-{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


def assign_managers(n: int, rng: np.random.Generator) -> np.ndarray:
    """Manager of each customer; blank for about ``no_manager_share`` of them."""
    weights = np.array(DEMO_SETTINGS["manager_weights"])
    manager = np.array(MANAGERS, dtype=object)[rng.choice(len(MANAGERS), size=n, p=weights)]
    return np.where(rng.random(n) < DEMO_SETTINGS["no_manager_share"], "", manager)


def customers_text(
    codes: np.ndarray,
    companies: pd.DataFrame,
    managers: np.ndarray,
    first_day: np.ndarray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """The CRM's customer file; ``first_day`` is -1 for prospects (no deal yet)."""
    n = len(codes)
    surname, first, patronymic = person_parts(companies)
    contact = surname + " " + first + " " + patronymic

    born = dt.date(1962, 1, 1).toordinal() + rng.integers(0, 38 * 365, size=n)
    birthday = np.array(
        [dt.date.fromordinal(int(d)).strftime("%d.%m.%Y") for d in born], dtype=object
    )
    birthday = np.where(rng.random(n) < DEMO_SETTINGS["birthday_blank_share"], "", birthday)

    digits = rng.integers(0, 10, size=(n, 9))
    phone = np.array([
        "+7 (9{}{}) {}{}{}-{}{}-{}{}".format(*row) for row in digits.tolist()
    ], dtype=object)

    style = rng.integers(0, 4, size=n)
    host = np.array(_MAIL_HOSTS, dtype=object)[rng.integers(len(_MAIL_HOSTS), size=n)]
    number = rng.integers(1, 99, size=n)
    email = []
    for i in range(n):
        login = translit(surname[i])
        initial = translit(first[i])[0]
        domain = companies["domain"].iat[i]
        if not domain:
            email.append(f"{login}{number[i]}@{host[i]}")
        elif style[i] == 0:
            email.append(f"info@{domain}")
        elif style[i] == 1:
            email.append(f"zakaz@{domain}")
        else:
            email.append(f"{initial}.{login}@{domain}")

    position = np.where(first_day >= 0, first_day, rng.integers(0, N_DAYS, size=n)) / (N_DAYS - 1)
    referral = DEMO_SETTINGS["referral_share_start"] + position * (
        DEMO_SETTINGS["referral_share_end"] - DEMO_SETTINGS["referral_share_start"]
    )
    weights = list(DEMO_SETTINGS["other_sources"].values())
    other = rng.choice(np.arange(1, len(SOURCES)), size=n, p=weights)
    source = np.array(SOURCES, dtype=object)[np.where(rng.random(n) < referral, 0, other)]

    first_deal = np.where(first_day >= 0, DATES[np.maximum(first_day, 0)], "")
    return pd.DataFrame(dict(zip(CUSTOMER_HEADER, (
        codes, companies["name"].to_numpy(), managers, contact, birthday, first_deal,
        phone, np.array(email, dtype=object), source,
    ), strict=True)))
