"""Random Russian names: people (surname, first name, patronymic) and companies.

Names are drawn as indices into word lists and turned into strings only when needed, so
that large files stay lean. :func:`company_names` gives unique company names (ООО, АО or a
sole trader's ИП) with their web domains and contact persons; :func:`person_parts` spells a
person's name with the gender agreed; :func:`translit` gives Latin letters for e-mail
addresses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["company_names", "person_parts", "translit"]

_SURNAMES = (
    "Иванов Смирнов Кузнецов Попов Васильев Петров Соколов Михайлов Новиков Федоров "
    "Морозов Волков Алексеев Лебедев Семенов Егоров Павлов Козлов Степанов Николаев Орлов "
    "Андреев Макаров Никитин Захаров Зайцев Соловьев Борисов Яковлев Григорьев Романов "
    "Воробьев Сергеев Кузьмин Фролов Александров Дмитриев Королев Гусев Киселев Ильин "
    "Максимов Поляков Сорокин Виноградов Ковалев Белов Медведев Антонов Тарасов Жуков "
    "Баранов Филиппов Комаров Давыдов Беляев Герасимов Богданов Осипов Сидоров"
).split()
_MALE_NAMES = (
    "Александр Сергей Дмитрий Андрей Алексей Максим Евгений Иван Михаил Артем Николай "
    "Владимир Олег Павел Игорь Роман Виктор Денис Юрий Константин"
).split()
_FEMALE_NAMES = (
    "Елена Ольга Наталья Татьяна Ирина Светлана Екатерина Анна Марина Юлия Мария Людмила "
    "Галина Анастасия Оксана Вера Надежда Лариса"
).split()
_PATRONYMIC_ROOTS = (
    "Александров Сергеев Дмитриев Андреев Алексеев Викторов Владимиров Николаев Михайлов "
    "Петров Юрьев Игорев Олегов Евгеньев Иванов Васильев Анатольев Геннадьев"
).split()
_NAME_ROOTS = (
    "Техно Строй Агро Сиб Урал Волга Нева Пром Энерго Транс Мега Альфа Бета Гранит Кедр "
    "Атлант Орион Вега Сфера Полюс Меридиан Спектр Эталон Импульс Темп Стандарт Гарант Росс "
    "Евро Кама"
).split()
_NAME_ENDINGS = (
    "снаб сервис торг пром лайн строй маркет логистик ресурс комплект профи трейд систем "
    "инвест деталь мастер офис пак хим тех"
).split()
_NAME_MODIFIERS = (" Плюс", "-М", " Групп", " Центр", "-Юг", "-Север", " Опт", "-Регион",
                   " Проф", "-2000", " и К")
_TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщыэюя",
    "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh sch y e yu ya".split(),
    strict=True,
)) | {"ъ": "", "ь": ""}


def translit(text: str) -> str:
    """Latin letters for a Russian word: ``'Кузнецов' -> 'kuznetsov'`` (for e-mail addresses)."""
    out = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    out = out.replace(" ", "-")
    return "".join(ch for ch in out if ch.isascii() and (ch.isalnum() or ch == "-"))


def _people(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Random Russian people as indices into the name lists (strings come later, if needed).

    Returns ``female`` (bool), ``surname``, ``first`` (into the male or the female list)
    and ``patronymic`` (into the fathers' names).
    """
    female = rng.random(n) < 0.5
    n_first = np.where(female, len(_FEMALE_NAMES), len(_MALE_NAMES))
    return pd.DataFrame({
        "female": female,
        "surname": rng.integers(len(_SURNAMES), size=n),
        "first": (rng.random(n) * n_first).astype(np.int64),
        "patronymic": rng.integers(len(_PATRONYMIC_ROOTS), size=n),
    })


def person_parts(people: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Surname, first name and patronymic strings of :func:`_people` rows, gender agreed."""
    female = people["female"].to_numpy()
    first = people["first"].to_numpy()
    surname = np.array(_SURNAMES, dtype=object)[people["surname"].to_numpy()]
    father = np.array(_PATRONYMIC_ROOTS, dtype=object)[people["patronymic"].to_numpy()]
    return (
        np.where(female, surname + "а", surname),  # Кузнецов -> Кузнецова
        np.where(
            female,
            np.array(_FEMALE_NAMES, dtype=object)[np.where(female, first, 0)],
            np.array(_MALE_NAMES, dtype=object)[np.where(female, 0, first)],
        ),
        np.where(female, father + "на", father + "ич"),  # Юрьев -> Юрьевна / Юрьевич
    )


def _brands() -> list[str]:
    """Every company brand: root + ending (+ modifier), e.g. ``Техноснаб Плюс``."""
    return [
        root + (ending if ending != root.lower() else "ком") + modifier
        for root in _NAME_ROOTS
        for ending in _NAME_ENDINGS
        for modifier in ("", *_NAME_MODIFIERS)
    ]


def company_names(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Unique company names, their web domains and contact persons.

    Returns ``name, domain`` (domain empty for sole traders) and the contact person as
    :func:`_people` columns; a sole trader's (ИП) contact person is the trader. Candidates
    are drawn as integer codes, three times over (at most 50,000 extra), and the first
    ``n`` distinct names are kept; if the pool of about 35,000 names runs short (large
    files), repeated names get a number in brackets, as 1C users do.
    """
    m = n + min(2 * n, 50_000)
    forms = ("ООО", "АО", "ИП")
    form = rng.choice(3, size=m, p=[0.76, 0.08, 0.16])
    n_modifiers = len(_NAME_MODIFIERS) + 1
    brand = (
        rng.integers(len(_NAME_ROOTS), size=m) * len(_NAME_ENDINGS)
        + rng.integers(len(_NAME_ENDINGS), size=m)
    ) * n_modifiers + np.where(
        rng.random(m) < 0.35, rng.integers(1, n_modifiers, size=m), 0
    )
    people = _people(m, rng)
    # one integer per displayed name: a trader shows only the initials of the given names
    n_brands = len(_NAME_ROOTS) * len(_NAME_ENDINGS) * n_modifiers
    initial = {ch: i for i, ch in enumerate("АБВГДЕЖЗИКЛМНОПРСТУФЭЮЯ")}
    female, first = people["female"].to_numpy(), people["first"].to_numpy()
    first_initial = np.where(
        female,
        np.array([initial[x[0]] for x in _FEMALE_NAMES])[np.where(female, first, 0)],
        np.array([initial[x[0]] for x in _MALE_NAMES])[np.where(female, 0, first)],
    )
    patronymic_initial = np.array([initial[x[0]] for x in _PATRONYMIC_ROOTS])[
        people["patronymic"].to_numpy()
    ]
    trader_key = (
        (female * len(_SURNAMES) + people["surname"].to_numpy()) * len(initial) + first_initial
    ) * len(initial) + patronymic_initial
    key = np.where(form == 2, 2 * n_brands + trader_key, form * n_brands + brand)

    first_seen = ~pd.Series(key).duplicated().to_numpy()
    keep = np.flatnonzero(first_seen)[:n] if first_seen.sum() >= n else np.arange(n)
    form, brand, key = form[keep], brand[keep], key[keep]
    people = people.iloc[keep].reset_index(drop=True)

    # strings once per distinct name, then shared by reference (keeps large runs lean)
    _, row, inverse = np.unique(key, return_index=True, return_inverse=True)
    brands = np.array(_brands(), dtype=object)
    surname, first, patronymic = person_parts(people.iloc[row])
    vocabulary = np.array([
        f"ИП {s} {f[0]}. {p[0]}." if f_ == 2 else f"{forms[f_]} «{brands[b]}»"
        for f_, b, s, f, p in zip(form[row], brand[row], surname, first, patronymic, strict=True)
    ], dtype=object)
    name = vocabulary[inverse]
    nth = pd.Series(key).groupby(key).cumcount().to_numpy()
    if nth.any():
        name = np.array(
            [x if k == 0 else f"{x} ({k + 1})" for x, k in zip(name, nth, strict=True)],
            dtype=object,
        )
    domains = np.array([translit(b) + ".ru" for b in brands], dtype=object)
    domain = np.where(form == 2, "", domains[brand])
    return pd.concat([pd.DataFrame({"name": name, "domain": domain}), people], axis=1)
