"""Select-by-attribute expressions, parsed (never evaluated as code).

Grammar: ``term (and|or term)*`` where a term is ``FIELD OP VALUE`` with OP one of
= == != <> > >= < <= contains in; VALUE is a number, a quoted string or, for ``in``, a
parenthesised comma list. ``and`` binds tighter than ``or``. Field names may be quoted with
double quotes. Example: ``floors >= 4 and use = 'residential'`` or ``用途 in ('住宅', '商住')``.
"""

from __future__ import annotations

import re

import numpy as np
import numpy.typing as npt
import pandas as pd

from planner.errors import InputError

_TOKEN = re.compile(r"""\s*(?:(?P<str>'(?:[^']|'')*')|(?P<qname>"[^"]+")|(?P<num>-?\d+(?:\.\d+)?)|
                        (?P<op>>=|<=|!=|<>|==|=|>|<|\(|\)|,)|(?P<word>[^\s'"=<>!(),]+))""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InputError(f"cannot read the expression near '{text[pos:pos + 12]}'.",
                             hint="write e.g. floors >= 4 and use = 'residential'.")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _value(tok: tuple[str, str]) -> str | float:
    kind, text = tok
    if kind == "str":
        return text[1:-1].replace("''", "'")
    if kind == "num":
        return float(text)
    return text


def evaluate(frame: pd.DataFrame, text: str) -> npt.NDArray[np.bool_]:
    """Boolean mask of the rows of ``frame`` matching ``text``."""
    toks = _tokens(text)
    pos = 0

    def peek() -> tuple[str, str]:
        return toks[pos] if pos < len(toks) else ("end", "")

    def term() -> npt.NDArray[np.bool_]:
        nonlocal pos
        kind, name = peek()
        if kind not in ("word", "qname"):
            raise InputError(f"expected a field name, found '{name}'.", hint="start each condition with a field.")
        name = name.strip('"')
        if name not in frame.columns:
            raise InputError(f"there is no field '{name}'.", field=name,
                             hint=f"fields: {', '.join(map(str, frame.columns[:20]))}")
        pos += 1
        kind, op = peek()
        op = op.lower()
        if op not in {"=", "==", "!=", "<>", ">", ">=", "<", "<=", "contains", "in"}:
            raise InputError(f"expected a comparison after '{name}', found '{op}'.", hint="use = != > >= < <= contains in")
        pos += 1
        col = frame[name]
        if op == "in":
            if peek()[1] != "(":
                raise InputError("'in' needs a list in parentheses.", hint="e.g. use in ('住宅', '商住')")
            pos += 1
            values: list[str | float] = []
            while peek()[1] != ")":
                if peek()[0] == "end":
                    raise InputError("the list after 'in' is not closed.", hint="add ')'.")
                if peek()[1] != ",":
                    values.append(_value(peek()))
                pos += 1
            pos += 1
            return np.asarray(col.isin(values).to_numpy()
                              | col.astype("string").isin([str(v) for v in values]).fillna(False).to_numpy(), dtype=bool)
        if peek()[0] == "end":
            raise InputError(f"'{name} {op}' needs a value.", hint="add a number or a quoted text.")
        value = _value(peek())
        pos += 1
        if op == "contains":
            return np.asarray(col.astype("string").str.contains(str(value), regex=False, na=False).to_numpy(), dtype=bool)
        if isinstance(value, float):
            num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            a = num
        else:
            a = col.astype("string").fillna("").to_numpy()
            value = str(value)
        with np.errstate(invalid="ignore"):
            result = {"=": a == value, "==": a == value, "!=": a != value, "<>": a != value, ">": a > value,
                      ">=": a >= value, "<": a < value, "<=": a <= value}[op]
        return np.asarray(result, dtype=bool)

    def conj() -> npt.NDArray[np.bool_]:
        nonlocal pos
        mask = term()
        while peek()[1].lower() == "and":
            pos += 1
            mask = mask & term()
        return mask

    mask = conj()
    while peek()[1].lower() == "or":
        pos += 1
        mask = mask | conj()
    if pos != len(toks):
        raise InputError(f"unexpected '{peek()[1]}' in the expression.", hint="join conditions with and / or.")
    return mask
