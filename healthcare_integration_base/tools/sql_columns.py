"""Column lists of the hot path's INSERT statements, composed once.

Every delivery inserts a message and an audit entry by SQL (issue 13); composing the
quoted column names with ``SQL.identifier`` each time was a measurable share of it.
"""

import functools

from odoo.tools import SQL


@functools.lru_cache(maxsize=64)
def column_list(names):
    """``"a", "b", ...`` of the column ``names`` (a tuple), as SQL (immutable, shared)."""
    return SQL(", ").join(SQL.identifier(name) for name in names)
