"""Numbers as accountants type them, and money rounding as Excel does it.

Never Python's ``round()`` on money: :func:`round_half_up` uses ``Decimal`` with ROUND_HALF_UP,
which is Excel's ROUND (half away from zero).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
BLANK_MARKS = {"-", "—", "–", "－", "——", "--", "/", "－－"}
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")


def round_half_up(value: Decimal, places: Decimal = CENT) -> Decimal:
    """Round like Excel's ROUND: half away from zero. ``round_half_up(Decimal('2.675')) == 2.68``."""
    return value.quantize(places, rounding=ROUND_HALF_UP)


def parse_amount(value) -> tuple[Decimal | None, bool]:
    """An amount from what a cell or data file holds: ``(Decimal or None for blank, understood)``.

    Accepts numbers, numeric text, ``1,234.50``, full-width digits (``１２３．４５``), ``(1.00)`` for
    −1.00, and blank marks (``-``, ``—``) as blank. Anything else gives ``(None, False)``.
    """
    if value is None:
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, Decimal):
        return value, True
    if isinstance(value, int):
        return Decimal(value), True
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None, False
        return Decimal(repr(value)), True
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    if text == "":
        return None, True
    if text in BLANK_MARKS:
        return None, True
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, False
    if not number.is_finite():
        return None, False
    return (-number if negative else number), True


def money(value: Decimal | None) -> str:
    """``Decimal('853.4') → '853.40'``; None → ``空白``."""
    if value is None:
        return "空白"
    return f"{value.quantize(Decimal('0.01')):f}" if abs(value.as_tuple().exponent) <= 2 else f"{value:f}"
