"""JSON text as ``json.dumps(value, ensure_ascii=False, indent=2, default=str)`` writes it, faster.

With ``indent`` set, the standard library encodes in pure Python, one generator step per value; a folder
report encodes thousands of findings that way. :func:`indented` encodes the shapes results have (dicts
with string keys, lists, strings, numbers, booleans, None) itself, every scalar through the functions the
standard library uses for it (the C ``encode_basestring``, ``int.__repr__``, ``float.__repr__``), and hands
anything else (tuples, subclasses, Decimals, paths, dicts with other keys, …) to ``json.dumps``: the text
is the same, byte for byte, whatever the value.
"""

from __future__ import annotations

import json
from json.encoder import INFINITY, encode_basestring

_KEYS: dict[str, str] = {}  # a key → its encoding with ": " (keys repeat in every finding)
_FLOATS: dict[float, str] = {}  # a float → its repr (amounts repeat: a finding's and its params')
_MEMO_MAX = 4096


def indented(value, indent: str = "") -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2, default=str)``, every line after the first
    preceded by ``indent`` (the value as it reads nested in a larger document)."""
    nl = "\n" + indent
    try:
        return _value(value, nl)
    except RecursionError:  # deep or circular: the standard library says what it says of it
        return _generic(value, nl)


def _generic(value, nl: str) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=str).replace("\n", nl)


def _float(v: float) -> str:
    """``json``'s text of a float (its ``floatstr``); float.__repr__ is slow, so equal floats are
    looked up (not 0.0, which equals -0.0, nor NaN, which equals nothing)."""
    text = _FLOATS.get(v)
    if text is None:
        if v != v:
            return "NaN"
        text = "Infinity" if v == INFINITY else "-Infinity" if v == -INFINITY else float.__repr__(v)
        if v:
            if len(_FLOATS) >= _MEMO_MAX:
                _FLOATS.clear()
            _FLOATS[v] = text
    return text


class _OtherKey(Exception):
    """A dict key that is not a string: json converts or refuses it, so json encodes that dict."""


def _key(k) -> str:
    if type(k) is not str:
        raise _OtherKey
    text = encode_basestring(k) + ": "
    if len(_KEYS) < _MEMO_MAX:
        _KEYS[k] = text
    return text


_SCALARS = {str: encode_basestring, int: int.__repr__, float: _float, bool: lambda v: "true" if v else "false", type(None): lambda v: "null"}


def _value(v, nl: str) -> str:
    """Any value (the callers encode strings inline: most values are strings)."""
    t = type(v)
    scalar = _SCALARS.get(t)
    if scalar is not None:
        return scalar(v)
    if t is dict:
        return _dict(v, nl)
    if t is list:
        return _list(v, nl)
    return _generic(v, nl)


def _dict(d: dict, nl: str) -> str:
    if not d:
        return "{}"
    inner = nl + "  "
    keys, enc = _KEYS.get, encode_basestring
    try:  # a key found in _KEYS is a string (only strings are put there)
        parts = [(keys(k) or _key(k)) + (enc(v) if type(v) is str else _value(v, inner)) for k, v in d.items()]
    except _OtherKey:
        return _generic(d, nl)
    return "{" + inner + ("," + inner).join(parts) + nl + "}"


def _list(items: list, nl: str) -> str:
    if not items:
        return "[]"
    inner = nl + "  "
    enc = encode_basestring
    return "[" + inner + ("," + inner).join([enc(v) if type(v) is str else _value(v, inner) for v in items]) + nl + "]"
