"""National Provider Identifier (NPI) checks, without Odoo imports.

An NPI is 10 digits whose last one is a Luhn check digit computed over the card-issuer
prefix ``80840`` followed by the first nine digits (CMS, "Requirements for NPI check
digit"): ``1234567893`` is valid, ``1234567890`` is not.
"""

import re

#: The FHIR identifier system of NPIs (``Identifier.system``).
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
#: The credential type code that the canonical events use for an NPI.
NPI_TYPE_CODE = "NPI"
PREFIX = "80840"
SHAPE_PROBLEM = "must be 10 digits"
_TEN_DIGITS = re.compile(r"[0-9]{10}")


def luhn_check_digit(digits):
    """The Luhn check digit (0-9) to append to the string of ASCII ``digits``."""
    total = 0
    # from the right, the digit next to the (missing) check digit is doubled
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return (10 - total % 10) % 10


def npi_problem(value):
    """A reason (never holding the value) why ``value`` is not a valid NPI, or ``None``."""
    if not isinstance(value, str) or not _TEN_DIGITS.fullmatch(value):
        return SHAPE_PROBLEM
    if luhn_check_digit(PREFIX + value[:9]) != int(value[9]):
        return "is not a valid NPI (check digit)"
    return None


def is_valid_npi(value):
    return npi_problem(value) is None
