"""Control totals of a ``payroll.journal`` event, without Odoo imports.

Amounts are decimal strings or JSON numbers with at most 2 decimals (DESIGN Appendix A).
Every problem is reported with its JSON pointer and a message that never repeats an
amount, so the webhook can answer 422 without echoing pay figures.
"""

import math
from decimal import Decimal, InvalidOperation

#: Line types and the control total each one adds up to.
LINE_TYPES = {
    "earning": "earnings",
    "deduction": "deductions",
    "employer_contribution": "employer_contributions",
}
ZERO = Decimal(0)


def amount(value):
    """``Decimal`` of a JSON amount with at most 2 decimals, or ``None``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    try:
        # repr of a float is its shortest round-trip text: 12.3 reads as 12.3, not 12.2999…
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        return None
    exponent = number.as_tuple().exponent
    if not number.is_finite() or not isinstance(exponent, int) or exponent < -2:
        return None
    return number


def line_totals(lines):
    """``{control total key: Decimal}`` of the readable lines, plus ``net_pay`` (earnings
    less employee deductions: employer contributions are not taken from pay)."""
    totals = dict.fromkeys(LINE_TYPES.values(), ZERO)
    for line in lines if isinstance(lines, list) else ():
        line_type = line.get("type") if isinstance(line, dict) else None
        if isinstance(line_type, str) and line_type in LINE_TYPES:
            totals[LINE_TYPES[line_type]] += amount(line.get("amount")) or ZERO
    totals["net_pay"] = totals["earnings"] - totals["deductions"]
    return totals


def control_problems(payload):
    """``[{"path", "message"}]``: unreadable amounts, and control totals that differ from
    the sums of the lines (``net_pay`` = earnings − deductions). Empty when it balances."""
    problems = []
    lines = payload.get("lines")
    controls = payload.get("control_totals")
    for index, line in enumerate(lines if isinstance(lines, list) else ()):
        if isinstance(line, dict) and amount(line.get("amount")) is None:
            problems.append(
                {
                    "path": f"/lines/{index}/amount",
                    "message": "must be a decimal amount with at most 2 decimals",
                }
            )
    if not isinstance(controls, dict):
        return problems
    totals = line_totals(lines)
    for key, total in totals.items():
        if key not in controls:
            continue
        expected = amount(controls[key])
        if expected is None:
            problems.append(
                {
                    "path": f"/control_totals/{key}",
                    "message": "must be a decimal amount with at most 2 decimals",
                }
            )
        elif not problems and expected != total:
            what = "earnings less deductions" if key == "net_pay" else f"the {key} lines"
            problems.append(
                {"path": f"/control_totals/{key}", "message": f"does not equal the sum of {what}"}
            )
    start, end = payload.get("period_start"), payload.get("period_end")
    if isinstance(start, str) and isinstance(end, str) and start > end:
        problems.append({"path": "/period_end", "message": "is before period_start"})
    return problems


def normalised_lines(lines):
    """The lines as sorted ``(type, code, cost centre, "amount")`` tuples: the business
    content of a batch, whatever the order or the number format (120 == "120.00")."""
    return sorted(
        (
            line.get("type") or "",
            str(line.get("code") or ""),
            str(line.get("cost_center_code") or ""),
            f"{amount(line.get('amount')) or ZERO:.2f}",
        )
        for line in lines or ()
        if isinstance(line, dict)
    )
