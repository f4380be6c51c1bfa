"""Pure-Python helpers (no Odoo imports), easy to test and reuse."""
