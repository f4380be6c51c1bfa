"""Logged tracebacks without PostgreSQL ``DETAIL`` lines (no Odoo imports).

A constraint violation's message carries a ``DETAIL:`` line that prints the row's values
(``Key (claim_id)=(…) already exists``, ``Failing row contains (…)``): personal data in the
server log. :func:`install` wraps the log record factory once per process so that every
record, whichever logger or handler, formats its exception (chained causes included) and
exception arguments without those lines. Records without an exception are left untouched
(one attribute test each).
"""

import logging
import re
import traceback

#: A PostgreSQL detail line, as psycopg2 puts it into the error message.
_DETAIL_LINE = re.compile(r"^[ \t]*DETAIL:.*(?:\r?\n|$)", re.MULTILINE)
_MARK = "_hc_strips_pg_detail"


def strip_pg_detail(text):
    """``text`` without its ``DETAIL:`` lines."""
    return _DETAIL_LINE.sub("", text) if "DETAIL:" in text else text


def _redact(record):
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = strip_pg_detail("".join(traceback.format_exception(*record.exc_info)))
        record.exc_text = record.exc_text.rstrip("\n")
    args = record.args
    if isinstance(args, tuple) and any(isinstance(arg, BaseException) for arg in args):
        record.args = tuple(
            strip_pg_detail(str(arg)) if isinstance(arg, BaseException) else arg for arg in args
        )
    return record


def install():
    """Wrap the current log record factory (idempotent)."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, _MARK, False):
        return

    def redacting_factory(*args, **kwargs):
        return _redact(factory(*args, **kwargs))

    setattr(redacting_factory, _MARK, True)
    logging.setLogRecordFactory(redacting_factory)
