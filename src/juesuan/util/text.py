"""Text as it is matched: NFKC-normalised, white space dropped, quotes straightened."""

from __future__ import annotations

import unicodedata
from functools import lru_cache


def nfkc(text: str) -> str:
    """NFKC-normalise ``text`` and drop all white space (退职（役）费 == 退职(役)费)."""
    return _nfkc_str(text) if len(text) < 200 else _nfkc_uncached(text)


def _nfkc_uncached(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


_nfkc_str = lru_cache(maxsize=1 << 16)(_nfkc_uncached)  # names repeat across rows and workbooks


def norm(text) -> str:
    """NFKC, no white space, straight quotes: for matching labels."""
    if text is None:
        return ""
    if isinstance(text, str):
        return _norm_str(text) if len(text) < 200 else _norm_uncached(text)
    if isinstance(text, float) and text.is_integer():
        text = int(text)
    return _norm_uncached(str(text))


def _norm_uncached(text: str) -> str:
    t = unicodedata.normalize("NFKC", text)
    t = t.replace("“", '"').replace("”", '"')
    return "".join(t.split())


_norm_str = lru_cache(maxsize=1 << 16)(_norm_uncached)  # labels and headers repeat across workbooks


def code_text(value) -> str:
    """A code cell as text: ``2010101.0`` → ``2010101``; full-width digits folded."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return norm(value)


