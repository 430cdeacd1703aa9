"""Small helpers for writing DuckDB SQL and messages: quoting, literals, options."""

from __future__ import annotations


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
