"""Text helpers for exception descriptions (no Odoo imports)."""


def short_list(items, limit=5):
    """``"A, B, C (+2)"``: the first ``limit`` items of a list, and how many more."""
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" (+{len(items) - limit})" if len(items) > limit else "")
