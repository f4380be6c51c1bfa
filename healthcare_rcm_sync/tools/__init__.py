# Pure-Python helpers (no Odoo imports): X12 835 reader and parser, amounts.
from . import x12_reader, x12_835, amounts
