"""Trace numbers (TRN02) in the label or reference of a bank statement line.

Banks carry the payer's trace in the ACH CCD+ addenda (``TRN*1*<trace>*<payer id>\\``), or
just as a word of the label. No Odoo imports.
"""

import re

_TRN = re.compile(r"TRN\*1\*([^*~\\\s]+)", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{2,49}")
_DIGITS = re.compile(r"\d")


def trace_candidates(*texts):
    """The words of ``texts`` that could be a trace number (TRN02 of an addenda first)."""
    candidates = []
    for text in texts:
        if not text:
            continue
        for found in _TRN.findall(text) + _WORD.findall(text):
            if found not in candidates:
                candidates.append(found)
    return candidates


def looks_like_trace(*texts):
    """A TRN addenda, or a word of at least 6 characters with at least 4 digits."""
    for text in texts:
        if not text:
            continue
        if _TRN.search(text):
            return True
        for word in _WORD.findall(text):
            if len(word) >= 6 and len(_DIGITS.findall(word)) >= 4:
                return True
    return False
