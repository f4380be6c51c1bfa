"""``odoo.sql_db``'s "bad query" records without the query's values.

When a query fails, ``odoo.sql_db.Cursor.execute`` logs ``bad query: <query>`` with the
query as psycopg2 sent it, parameters interpolated (names, e-mails, identifiers of
patients…), and the PostgreSQL error, whose text can quote a value again
(``invalid input syntax for type integer: "…"``, ``LINE 1: …``). :func:`install` adds a
filter to that logger which rewrites those records: the SQL text with its placeholders
(read from the failing ``execute`` call), and the error's class, SQLSTATE and primary
message, quoted values masked. Other records of the logger pass unchanged.
"""

import logging
import re
import sys

from odoo.sql_db import Cursor

LOGGER_NAME = "odoo.sql_db"
MASK = "…"
#: a quoted word the server names an object with: kept (``column "x" of relation "y"``)
_NAMED_OBJECT = re.compile(
    r"\b(?:relation|column|constraint|index|table|type|function|operator|schema|sequence"
    r"|database|role|trigger|view|encoding|extension|collation|domain|cursor|savepoint)"
    r"\s*$",
    re.IGNORECASE,
)
_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_INLINE_VALUES = re.compile(r"'|\bVALUES\b", re.IGNORECASE)


def _execute_locals():
    """The locals of the ``Cursor.execute`` call that is logging, or None."""
    code = Cursor.execute.__code__
    frame = sys._getframe(2)
    for _depth in range(12):
        if frame is None:
            return None
        if frame.f_code is code:
            return frame.f_locals
        frame = frame.f_back
    return None


def _as_text(value):
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def sql_text(query):
    """The SQL of ``query``: as written when it has placeholders, else cut before the
    first literal (``execute_values`` and callers that interpolate themselves)."""
    if isinstance(query, str):
        return query
    text = _as_text(query)
    found = _INLINE_VALUES.search(text)
    return f"{text[: found.start()]}{MASK} (values withheld)" if found else text


def _mask_quoted(text):
    def replace(match):
        before = text[: match.start()]
        return match.group(0) if _NAMED_OBJECT.search(before) else f'"{MASK}"'

    return _QUOTED.sub(replace, text)


def error_text(error):
    """Class, SQLSTATE and primary message of ``error``; quoted values masked and no
    ``DETAIL``/``LINE``/``CONTEXT`` part."""
    if not isinstance(error, BaseException):
        return _mask_quoted(_as_text(error).splitlines()[0] if error else "")
    diag = getattr(error, "diag", None)
    primary = getattr(diag, "message_primary", None) or (str(error).splitlines() or [""])[0]
    code = getattr(error, "pgcode", None)
    prefix = f"{type(error).__name__}" + (f" [{code}]" if code else "")
    return f"{prefix}: {_mask_quoted(primary)}"


class SqlValuesFilter(logging.Filter):
    """Rewrites "bad query" records of ``odoo.sql_db`` (see the module)."""

    def filter(self, record):
        if not (isinstance(record.msg, str) and record.msg.startswith("bad query")):
            return True
        frame_locals = _execute_locals() or {}
        args = record.args if isinstance(record.args, tuple) else ()
        query = frame_locals.get("query", args[0] if args else "")
        error = frame_locals.get("e", args[1] if len(args) > 1 else "")
        record.msg = "bad query: %s\nERROR: %s"
        record.args = (sql_text(query), error_text(error))
        return True


def install():
    """Add the filter to ``odoo.sql_db`` once per process."""
    logger = logging.getLogger(LOGGER_NAME)
    if not any(isinstance(existing, SqlValuesFilter) for existing in logger.filters):
        logger.addFilter(SqlValuesFilter())
