# Pure-Python helpers (no Odoo imports): X12 835 reader and parser.
from . import x12_reader, x12_835
