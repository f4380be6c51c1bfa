"""Governed extracts without Odoo: watermarks, file names, the bytes of a file and where
it may be written.

A *watermark* is the position of the last row extracted, as a ``(cursor column, id)``
pair; it is written as a token such as ``20261202T134852123456Z_42`` (UTC time with
microseconds, then the row id), which is safe in URLs and file names. ``0`` is the
start, before any row.

The bytes of a file depend only on its columns and rows: the same rows give the same
file and the same SHA-256 (cells are rendered one way only: timestamps as ISO 8601 UTC
with microseconds, amounts as decimal strings, empty cells as nothing in CSV and
``null`` in JSON Lines).
"""

import csv
import hashlib
import io
import json
import os
import re
import tempfile
from collections import namedtuple
from datetime import date, datetime
from decimal import Decimal

START = "0"
TOKEN_RE = re.compile(r"^(\d{8}T\d{12})Z_(\d{1,18})$")
TOKEN_TIME_FORMAT = "%Y%m%dT%H%M%S%f"

#: One exported column: its name in the file, the SQL expression that reads it (an
#: ``odoo.tools.SQL``) and its kind: int, str, bool, datetime, date or amount.
Column = namedtuple("Column", "name expression kind")
#: What an extract may export (see ``hc.integration.extract.dataset``): rows of
#: ``table`` (aliased ``t``) ordered by ``(t.<cursor>, t.id)``; ``joins``, ``where`` and
#: ``company`` (the expression of the row's company) are ``SQL`` or None.
Dataset = namedtuple("Dataset", "code label table cursor columns joins where company")

#: file extension and media type per format
FORMATS = {
    "csv": ("csv", "text/csv; charset=utf-8"),
    "jsonl": ("jsonl", "application/x-ndjson; charset=utf-8"),
}
#: Folders an extract never writes to (besides Odoo's data directory and addons).
SYSTEM_ROOTS = ("/bin", "/boot", "/dev", "/etc", "/lib", "/proc", "/run", "/sbin", "/sys", "/usr")


# ----------------------------------------------------------------------------------------
# Watermarks
# ----------------------------------------------------------------------------------------
def encode_watermark(moment, record_id):
    """The token of position ``(moment, record_id)``."""
    return f"{moment.strftime(TOKEN_TIME_FORMAT)}Z_{int(record_id)}"


def decode_watermark(token):
    """``(datetime, id)`` of a token, None for the start; ValueError when malformed."""
    if token in (None, "", START):
        return None
    match = TOKEN_RE.match(token)
    if not match:
        raise ValueError("malformed watermark")
    return datetime.strptime(match[1], TOKEN_TIME_FORMAT), int(match[2])


def watermark_after(token, other):
    """True when ``token`` is strictly after ``other`` (both tokens)."""
    position, other_position = decode_watermark(token), decode_watermark(other)
    if position is None:
        return False
    return other_position is None or position > other_position


# ----------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------
def file_name(code, start, end, file_format):
    """``<extract>-<from>-<to>.<ext>``: the name says exactly which rows it holds."""
    return f"{code}-{start or START}-{end}.{FORMATS[file_format][0]}"


def media_type(file_format):
    return FORMATS[file_format][1]


def cell(value, kind):
    """A cell as JSON would hold it (None, bool, int or str)."""
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if kind == "date" and isinstance(value, date):
        return value.isoformat()
    if kind == "amount":
        return str(value if isinstance(value, Decimal) else Decimal(str(value)))
    if kind == "int":
        return int(value)
    if kind == "bool":
        return bool(value)
    return str(value)


def render(columns, rows, file_format):
    """The bytes of a file of ``rows`` (tuples in the order of ``columns``)."""
    names = [column.name for column in columns]
    kinds = [column.kind for column in columns]
    if file_format == "jsonl":
        lines = (
            json.dumps(
                dict(
                    zip(names, (cell(v, k) for v, k in zip(row, kinds, strict=False)), strict=True)
                ),
                ensure_ascii=False,
                separators=(",", ":"),
            )
            + "\n"
            for row in rows
        )
        return "".join(lines).encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        cells = (cell(v, k) for v, k in zip(row, kinds, strict=False))
        writer.writerow(_csv_text(c) for c in cells)
    return buffer.getvalue().encode()


def _csv_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------------------
# Folders
# ----------------------------------------------------------------------------------------
def _inside(path, root):
    root = os.path.realpath(root)
    return path == root or path.startswith(root.rstrip("/") + "/")


def folder_problem(path, forbidden_roots=()):
    """Why ``path`` cannot receive extracts (a sentence), or None when it can: it must be
    absolute, exist, be a writable directory, and lie outside system folders and
    ``forbidden_roots`` (Odoo's data directory and addons)."""
    if not path or not os.path.isabs(path):
        return "the folder must be an absolute path"
    real = os.path.realpath(path)
    if real == "/" or any(_inside(real, root) for root in SYSTEM_ROOTS):
        return "the folder is a system folder"
    if any(root and _inside(real, root) for root in forbidden_roots):
        return "the folder is inside Odoo's data or addons folders"
    if not os.path.isdir(real):
        return "the folder does not exist"
    if not os.access(real, os.W_OK | os.X_OK):
        return "the folder is not writable by the Odoo server"
    return None


def write_atomically(folder, name, data):
    """Write ``data`` to ``folder/name`` through a temporary file and a rename: a reader
    never sees half a file, and a file of the same name is replaced whole."""
    folder = os.path.realpath(folder)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o640)
        target = os.path.join(folder, name)
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return target
