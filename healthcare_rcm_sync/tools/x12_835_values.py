"""Element values of the 835: elements of a segment, amounts, quantities and dates read
and written (no Odoo)."""

import datetime
import re
from decimal import Context, Decimal, Inexact, InvalidOperation, Rounded
from sys import intern

ZERO = Decimal(0)
ONE = Decimal(1)
#: TR3 maximum length of an amount (R, 1/18) and of a quantity (R, 1/15): digits only, the
#: sign and the decimal point are not counted (X12 rule for numeric elements).
AMOUNT_MAX_DIGITS = 18
QUANTITY_MAX_DIGITS = 15
#: Arithmetic for the balancing rules: far more precision than 18-digit amounts summed over
#: any file need, and a trap on any rounding, so that a sum is exact or an error, never a
#: silently rounded "balanced" (the default context keeps 28 digits and rounds).
EXACT = Context(prec=200, traps=[Inexact, Rounded, InvalidOperation])
# ASCII digits only: ``\d`` and ``str.isdigit`` also accept other scripts' digits.
AMOUNT_RE = re.compile(r"-?(?:[0-9]+(?:\.([0-9]*))?|\.([0-9]+))")
ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
COUNT_RE = re.compile(r"[0-9]{1,10}")
CURRENCY_RE = re.compile(r"[A-Z]{3}")


def _digit_count(value):
    """Digits of a value that matched :data:`AMOUNT_RE` (digits, one sign, one point)."""
    return len(value) - value.startswith("-") - ("." in value)


def parse_amount(value):
    """Return ``(Decimal, None)`` for an X12 amount string, or ``(None, problem)``.

    The problem names the rule only, never the value (it may be anything, a name included).
    """
    match = AMOUNT_RE.fullmatch(value)
    if match is None:
        return None, "is not a decimal number"
    fraction = match.group(1) or match.group(2)
    if fraction and len(fraction) > 2:
        return None, f"has {len(fraction)} decimal places; amounts allow at most 2"
    if _digit_count(value) > AMOUNT_MAX_DIGITS:
        return None, f"is longer than the {AMOUNT_MAX_DIGITS} digits an amount allows"
    return Decimal(value), None


def parse_quantity(value):
    """Return ``(Decimal, None)`` for an X12 numeric (R) string, or ``(None, problem)``."""
    if AMOUNT_RE.fullmatch(value) is None:
        return None, "is not a decimal number"
    if _digit_count(value) > QUANTITY_MAX_DIGITS:
        return None, f"is longer than the {QUANTITY_MAX_DIGITS} digits a quantity allows"
    return Decimal(value), None


def parse_x12_date(value):
    """Return ``(date, None)`` for a CCYYMMDD string, or ``(None, problem)``."""
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        return None, "is not a date in CCYYMMDD form"
    try:
        return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:])), None
    except ValueError:
        return None, "is not a valid calendar date"


def fmt_amount(value):
    if value is None:
        return None
    return format(value, ".2f") if value else "0.00"


def fmt_quantity(value):
    if value is None:
        return None
    return format(value.normalize(), "f") if value else "0"


def fmt_date(value):
    return value.isoformat() if value is not None else None


SEGMENT_ID_RE = re.compile(r"[A-Z][A-Z0-9]{1,2}")


def segment_label(segment_id):
    """A segment id fit for a message: the id when it looks like one, else ``"?"`` (an
    unreadable id may be any data of the file, a name included)."""
    return segment_id if SEGMENT_ID_RE.fullmatch(segment_id or "") else "?"


def get_el(elements, index):
    """Element ``index`` of a segment, ``""`` when absent."""
    return elements[index] if index < len(elements) else ""


def get_opt(elements, index):
    """Element ``index`` of a segment, ``None`` when absent or empty."""
    return (elements[index] or None) if index < len(elements) else None


def get_code(elements, index):
    """Like :func:`get_opt` for code values, interned: codes repeat on every claim."""
    value = elements[index] if index < len(elements) else ""
    return intern(value) if value else None


def count_is(value, expected):
    """Whether the count element ``value`` (SE01, GE01, IEA01) states ``expected``."""
    return COUNT_RE.fullmatch(value) is not None and int(value) == expected
