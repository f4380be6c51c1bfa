"""Decimal helpers for the canonical JSON events (no Odoo imports).

Appendix A: amounts are decimal strings or numbers with at most 2 decimals. JSON numbers
arrive as floats; they are read through ``repr`` so that ``12.3`` is ``Decimal("12.3")``,
not the binary approximation.
"""

import math
from decimal import Decimal, InvalidOperation

CENT = Decimal("0.01")


def to_decimal(value):
    """``Decimal`` of a JSON amount (string, int or float), or ``None`` when unreadable."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)
    if not isinstance(value, (str, int)):
        return None
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def has_cents_at_most(value):
    """True when ``value`` (a Decimal) has at most 2 decimal places."""
    exponent = value.as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -2


def amount_problem(value):
    """A value-free reason why ``value`` is not an Appendix A amount, or ``None``."""
    amount = to_decimal(value)
    if amount is None:
        return "must be a decimal amount"
    if not has_cents_at_most(amount):
        return "must have at most 2 decimals"
    return None


def money(value):
    """Float of a Decimal amount (``0.0`` for ``None``), for a Monetary field."""
    return float(value or 0)
