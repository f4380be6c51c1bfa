from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.exceptions import BusinessError, ConflictError

from .hr_employee import EMPLOYEE_TYPE

HOUR_KEYS = ("regular_hours", "overtime_hours", "leave_hours")


def hours_total(lines):
    """Sum of every hour of every line, to 2 decimals (the control total)."""
    total = 0.0
    for line in lines or []:
        if isinstance(line, dict):
            for key in HOUR_KEYS:
                value = line.get(key)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    total += value
                elif isinstance(value, str):
                    try:
                        total += float(value)
                    except ValueError:
                        continue
    return round(total, 2)


class HcHrHandlerAttendanceSummary(models.AbstractModel):
    """``attendance.summary`` (batch): hours per employee, period and cost centre, checked
    against the control total at the door (422) and again before it is applied. A batch
    sent again for the same period replaces its lines, unless they were sent to payroll."""

    _name = "hc.hr.handler.attendance.summary"
    _inherit = "hc.integration.handler"
    _description = "HR: attendance summary (batch)"
    _hc_allowlist = (
        "period_start",
        "period_end",
        "control_total_hours",
        "lines[].employee_external_id",
        "lines[].cost_center_code",
        "lines[].regular_hours",
        "lines[].overtime_hours",
        "lines[].leave_hours",
    )

    @api.model
    def _hc_ordering_key(self, flow, payload):
        if payload.get("period_start") and payload.get("period_end"):
            return f"attendance:{payload['period_start']}:{payload['period_end']}"
        return None

    @api.model
    def _hc_check_payload(self, flow, payload):
        errors = []
        lines = payload.get("lines")
        control = payload.get("control_total_hours")
        if isinstance(lines, list) and isinstance(control, (int, float, str)):
            try:
                expected = round(float(control), 2)
            except ValueError:
                return errors
            if abs(hours_total(lines) - expected) > 0.005:
                errors.append(
                    {
                        "path": "/control_total_hours",
                        "message": "does not equal the sum of the hours in lines",
                    }
                )
        start, end = payload.get("period_start"), payload.get("period_end")
        if isinstance(start, str) and isinstance(end, str) and start > end:
            errors.append({"path": "/period_end", "message": "is before period_start"})
        return errors

    def _hc_process(self, message):
        """Check the totals, resolve every line, refuse a period already sent to payroll,
        then replace the period's summaries by the hours of this batch."""
        payload = message.payload or {}
        backend = message.backend_id
        self._check_balanced(message.flow_id, payload)
        period_start = fields.Date.to_date(payload["period_start"])
        period_end = fields.Date.to_date(payload["period_end"])
        # resolve everything first: a missing employee or code leaves nothing half-applied
        rows = self._resolve_lines(message, payload.get("lines") or [])
        existing = (
            self.env["hc.hr.attendance.summary"]
            .sudo()
            .search(
                [
                    ("backend_id", "=", backend.id),
                    ("period_start", "=", period_start),
                    ("period_end", "=", period_end),
                ]
            )
        )
        self._check_not_exported(existing, period_start, period_end)
        kept = self._save_period(message, existing, self._sum_hours(rows), period_start, period_end)
        (existing - kept).unlink()
        self.env["hc.integration.audit"]._log(
            "hr.attendance.summary",
            f"attendance {period_start} → {period_end}: {len(kept)} line(s), "
            f"{round(sum(kept.mapped('total_hours')), 2)} h",
            message=message,
            backend=backend,
        )
        return kept

    def _check_balanced(self, flow, payload):
        """Checked again before applying: the payload may have been stored by an older
        version of the contract, or replayed."""
        errors = self._hc_check_payload(flow, payload)
        if errors:
            raise BusinessError(
                self.env._(
                    "The attendance summary does not balance: %(errors)s",
                    errors="; ".join(f"{e['path']} {e['message']}" for e in errors),
                )
            )

    def _resolve_lines(self, message, lines):
        """``[(employee, cost centre, line)]``; the cost centre defaults to the employee's.
        A line of an employee not synced yet makes the whole batch wait."""
        backend = message.backend_id
        bindings = self._hc_binding()
        rows = []
        for line in lines:
            employee = bindings._require(
                backend, EMPLOYEE_TYPE, str(line["employee_external_id"]), message
            )
            cost_center = (
                self._hc_map(backend, "cost_center", line.get("cost_center_code"))
                if line.get("cost_center_code")
                else employee.hc_cost_center_id
            )
            rows.append((employee, cost_center or self.env["account.analytic.account"], line))
        return rows

    def _check_not_exported(self, existing, period_start, period_end):
        """What payroll has received is corrected in payroll, never replaced here."""
        exported = existing.filtered(lambda s: s.state == "exported")
        if exported:
            raise ConflictError(
                self.env._(
                    "The attendance of %(start)s → %(end)s was already sent to payroll "
                    "(%(count)s line(s)). A correction must go through payroll; cancel this "
                    "message once handled.",
                    start=period_start,
                    end=period_end,
                    count=len(exported),
                )
            )

    @api.model
    def _sum_hours(self, rows):
        """``{(employee id, cost centre id or False): {hour key: hours}}``: lines of one
        employee on one cost centre are added up (rounded to 2 decimals)."""
        hours = {}
        for employee, cost_center, line in rows:
            key = (employee.id, cost_center.id or False)
            totals = hours.setdefault(key, dict.fromkeys(HOUR_KEYS, 0.0))
            for name in HOUR_KEYS:
                totals[name] += float(line.get(name) or 0.0)
        return {
            key: {name: round(value, 2) for name, value in totals.items()}
            for key, totals in hours.items()
        }

    def _save_period(self, message, existing, hours, period_start, period_end):
        """Update the period's summaries whose hours changed (back to draft: approved
        hours that changed must be approved again), create the new ones; returns them."""
        backend = message.backend_id
        summaries = self.env["hc.hr.attendance.summary"].sudo()
        by_key = {(s.employee_id.id, s.cost_center_id.id or False): s for s in existing}
        kept = summaries.browse()
        for (employee_id, cost_center_id), values in hours.items():
            summary = by_key.get((employee_id, cost_center_id))
            if summary:
                changed = {k: v for k, v in values.items() if round(summary[k], 2) != v}
                if changed:
                    changed.update(state="draft", approved_by_id=False, approved_at=False)
                changed["message_id"] = message.id
                summary.write(changed)
            else:
                summary = summaries.create(
                    dict(
                        values,
                        backend_id=backend.id,
                        company_id=backend.company_id.id,
                        employee_id=employee_id,
                        period_start=period_start,
                        period_end=period_end,
                        cost_center_id=cost_center_id,
                        message_id=message.id,
                    )
                )
            kept |= summary
        return kept
