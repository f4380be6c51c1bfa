# Pure-Python helpers (no Odoo imports): X12 835 reader and parser, amounts, journal entries.
from . import x12_reader, x12_835, amounts, journal_entry, texts
