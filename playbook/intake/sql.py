"""Small helpers for writing DuckDB SQL and messages: quoting, literals, options; and the
rows a condition matches, counted and quoted as an Issue.
"""

from __future__ import annotations

from playbook.intake.model import Issue


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}_{k + 1}")
    return out


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _kw(options: dict) -> str:
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        return _lit(v) if isinstance(v, str) else str(v)
    return ", ".join(f"{k}={value(v)}" for k, v in options.items())


def _sep_name(sep: str) -> str:
    names = {"\t": "tab", ";": "';'", ",": "','", "|": "'|'", " ": "whitespace"}
    return names.get(sep, repr(sep))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]


def _examples(con, table: str, where: str, column: str) -> list[tuple[int, str | None]]:
    return [(int(r[0]), r[1]) for r in con.execute(
        f"SELECT _row, {column} FROM {table} WHERE {where} ORDER BY _row LIMIT 5").fetchall()]


def _count(con, table: str, where: str) -> int:
    # fetchall, not fetchone, throughout: it completes the result, which con.unregister()
    # and the next statement on the connection require.
    return con.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchall()[0][0]


def _found(con, kind: str, where: str, action: str, file: str, column: str | None,
           quote: str, *, amount: bool = True, table: str = "tx") -> Issue | None:
    """The Issue of the rows of ``table`` matching ``where`` (their number, up to five of
    them with the text of ``quote``, their amount), or None when there are none.
    """
    n = _count(con, table, where)
    if not n:
        return None
    return Issue(kind, n, action, file, column, _examples(con, table, where, quote),
                 amount=_sum(con, table, where) if amount else None)


def _sum(con, table: str, where: str) -> float:
    # As DECIMAL: a parallel sum of doubles depends on the order the threads add them in.
    return float(con.execute(f"SELECT coalesce(sum(CAST(amount AS DECIMAL(38, 6))), 0) "
                             f"FROM {table} WHERE {where}").fetchall()[0][0])
