"""The rounding model of GONGKAI.md §4, in one place.

Each published 万元 figure is its true 元 amount rounded to 0.01 万元, so it stands for an interval of
±0.005 around the truth. A total compared with the sum of n rounded parts can therefore miss by up to
``(n + 1) × 0.005`` (n parts plus the total itself) without any error in the source data: that is the
*envelope*. A difference of 0 passes; a difference within the envelope is a 尾差 (rounding tail,
reported as a hint); a difference beyond it is an error.
"""

from __future__ import annotations

from decimal import Decimal

HALF_CENT = Decimal("0.005")

OK, TAIL, MISMATCH = "ok", "tail", "mismatch"


def envelope(n_parts: int) -> Decimal:
    """The largest difference rounding alone can explain between a total and the sum of
    ``n_parts`` separately rounded parts: ``(n_parts + 1) × 0.005`` 万元 (GONGKAI.md §4)."""
    return (max(n_parts, 1) + 1) * HALF_CENT


def classify(difference: Decimal, n_parts: int) -> str:
    """``ok`` for 0, ``tail`` within the envelope of ``n_parts`` parts, ``mismatch`` beyond it.

    >>> classify(Decimal("0.01"), 3), classify(Decimal("0.03"), 3), classify(Decimal("0"), 3)
    ('tail', 'mismatch', 'ok')
    """
    diff = abs(difference)
    if diff == 0:
        return OK
    return TAIL if diff < envelope(n_parts) else MISMATCH
