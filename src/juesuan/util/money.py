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


# Amounts outside this range are no 万元 figure of a department (1e15 万元 is a thousand times the
# national budget), and arithmetic on them is unsafe (1e999999999, 1e-999999999): they are refused.
MAX_MAGNITUDE = 15  # |x| < 10**15
MIN_MAGNITUDE = -12  # a non-zero |x| ≥ 10**-12


def add_signed(total: Decimal, sign: int, value: Decimal) -> Decimal:
    """``total + sign × value``; the usual signs (+1, −1) without a multiplication."""
    if sign == 1:
        return total + value
    if sign == -1:
        return total - value
    return total + sign * value


def in_range(number: Decimal) -> bool:
    """Whether a finite amount is within the range juesuan computes with (see ``MAX_MAGNITUDE``)."""
    return number == 0 or MIN_MAGNITUDE <= number.adjusted() < MAX_MAGNITUDE


def out_of_range(value) -> bool:
    """Whether ``value`` reads as a number, but one outside the sane range of an amount."""
    number = _number(value)
    return number is not None and not in_range(number)


def parse_amount(value) -> tuple[Decimal | None, bool]:
    """An amount from what a cell or data file holds: ``(Decimal or None for blank, understood)``.

    Accepts numbers, numeric text, ``1,234.50``, full-width digits (``１２３．４５``), ``(1.00)`` for
    −1.00, and blank marks (``-``, ``—``) as blank. Anything else — and a number outside the sane
    range (:func:`in_range`) — gives ``(None, False)``.
    """
    if value is None:
        return None, True
    if type(value) is float and (value == 0 or 1e-11 < abs(value) < 1e14):
        return Decimal(repr(value)), True  # what a spreadsheet holds nearly always, well inside the range
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace(" ", "")
        if text == "" or text in BLANK_MARKS:
            return None, True
    number = _number(value)
    if number is None or not in_range(number):
        return None, False
    if number == 0 and number.as_tuple().exponent < MIN_MAGNITUDE:
        number = Decimal(0)  # 0E-999999999 is 0, without a billion digits to print
    return number, True


def _number(value) -> Decimal | None:
    """The finite Decimal a cell value stands for, or None (blank marks included)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return Decimal(repr(value))
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(" ", "")
    if len(text) > 64:
        return None  # no amount is written with more characters
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return -number if negative else number


def money(value: Decimal | None) -> str:
    """``Decimal('853.4') → '853.40'``; None → ``空白``."""
    if value is None:
        return "空白"
    return f"{value.quantize(Decimal('0.01')):f}" if abs(value.as_tuple().exponent) <= 2 else f"{value:f}"
