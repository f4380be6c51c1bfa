from collections import defaultdict

from odoo import api, fields, models

from odoo.addons.healthcare_integration_base.tools.payload import canonical_json, sha256_hex

from .hr_employee import EMPLOYEE_TYPE

LABOUR_HANDLER = "hc.hr.handler.labour.allocation"


class HcHrHandlerLabourAllocation(models.AbstractModel):
    """Outbound ``labour.allocation`` to payroll: the approved attendance summaries of a pay
    period, totalled per employee and cost centre, with control totals; delivered signed
    (Standard Webhooks) by the engine's outbound delivery.

    Producing is separate from delivering: :meth:`_hc_produce` queues one message per
    flow and pay period (daily cron, or "Send to payroll" on the summaries) and marks the
    summaries sent; the delivery cron POSTs them with retries.
    """

    _name = "hc.hr.handler.labour.allocation"
    _inherit = "hc.integration.handler.outbound"
    _description = "HR: labour allocation to payroll (outbound)"
    _hc_abstract_handler = False

    @api.model
    def _hc_ordering_key(self, flow, payload):
        if payload.get("period_start") and payload.get("period_end"):
            return f"labour:{payload['period_start']}:{payload['period_end']}"
        return None

    # ------------------------------------------------------------------------------------
    # Producer
    # ------------------------------------------------------------------------------------
    @api.model
    def _hc_flows(self):
        return (
            self.env["hc.integration.flow"]
            .sudo()
            .search(
                [
                    ("handler_model", "=", self._name),
                    ("direction", "=", "outbound"),
                    ("backend_id.active", "=", True),
                ],
                order="id",
            )
        )

    @api.model
    def _hc_cost_center_code(self, cost_center, backends):
        """The external code of a cost centre (its mapping on the HRIS), else its code."""
        if not cost_center:
            return None
        mapping = (
            self.env["hc.integration.mapping"]
            .sudo()
            .search(
                [
                    ("mapping_type", "=", "cost_center"),
                    ("state", "=", "mapped"),
                    ("target_ref", "=", f"account.analytic.account,{cost_center.id}"),
                    ("backend_id", "in", backends.ids + [False]),
                ],
                limit=1,
            )
        )
        return mapping.external_code or cost_center.code or cost_center.name

    @api.model
    def _hc_build_payload(self, period_start, period_end, summaries):
        """The ``labour.allocation`` document of one pay period (see its JSON Schema)."""
        totals = defaultdict(
            lambda: {"regular_hours": 0.0, "overtime_hours": 0.0, "leave_hours": 0.0}
        )
        for summary in summaries:
            employee = summary.employee_id.sudo()
            binding = self.env["hc.integration.binding"]._bindings_of(employee, EMPLOYEE_TYPE)[:1]
            key = (
                binding.external_id or employee.hc_external_id or f"odoo-{employee.id}",
                self._hc_cost_center_code(summary.cost_center_id, summaries.backend_id),
            )
            for name in ("regular_hours", "overtime_hours", "leave_hours"):
                totals[key][name] += summary[name]
        lines = []
        for (employee_id, cost_center_code), hours in sorted(
            totals.items(), key=lambda item: (item[0][0], item[0][1] or "")
        ):
            line = {name: round(value, 2) for name, value in hours.items()}
            line["total_hours"] = round(sum(line.values()), 2)
            lines.append(
                dict(line, employee_external_id=employee_id, cost_center_code=cost_center_code)
            )
        control = round(sum(line["total_hours"] for line in lines), 2)
        by_cost_center = defaultdict(float)
        for line in lines:
            by_cost_center[line["cost_center_code"] or ""] += line["total_hours"]
        return {
            "event_type": "labour.allocation",
            "schema_version": "1.0",
            "occurred_at": fields.Datetime.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
            "period_start": fields.Date.to_string(period_start),
            "period_end": fields.Date.to_string(period_end),
            "lines": lines,
            "cost_center_totals": [
                {"cost_center_code": code or None, "total_hours": round(hours, 2)}
                for code, hours in sorted(by_cost_center.items())
            ],
            "line_count": len(lines),
            "employee_count": len({line["employee_external_id"] for line in lines}),
            "control_total_hours": control,
        }

    @api.model
    def _hc_produce(self, flows=None, summaries=None):
        """Queue the labour allocation of every pay period with approved, unsent summaries
        (of ``summaries`` if given) on each outbound labour flow (of its company). Returns
        the queued messages; the summaries are marked sent."""
        flows = flows or self._hc_flows()
        domain = [("state", "=", "approved")]
        if summaries is not None:
            domain.append(("id", "in", summaries.ids))
        messages = self.env["hc.integration.message"]
        for flow in flows.filtered(lambda f: f.active):
            todo = (
                self.env["hc.hr.attendance.summary"]
                .sudo()
                .search(domain + [("company_id", "=", flow.company_id.id)])
            )
            periods = defaultdict(lambda: self.env["hc.hr.attendance.summary"].sudo())
            for summary in todo:
                periods[(summary.period_start, summary.period_end)] |= summary
            for (period_start, period_end), period_summaries in sorted(periods.items()):
                payload = self._hc_build_payload(period_start, period_end, period_summaries)
                digest = sha256_hex(canonical_json(dict(payload, occurred_at=None)))[:16]
                message, _status = messages._hc_enqueue(
                    flow,
                    payload,
                    external_id=f"labour-{payload['period_start']}-{payload['period_end']}-"
                    f"{digest}",
                )
                period_summaries.write({"state": "exported", "export_message_id": message.id})
                message._link_records(period_summaries)
                self.env["hc.integration.audit"]._log(
                    "hr.labour.queued",
                    f"labour allocation {payload['period_start']} → {payload['period_end']}: "
                    f"{payload['line_count']} line(s), {payload['control_total_hours']} h",
                    message=message,
                    backend=flow.backend_id,
                )
                messages |= message
        return messages

    @api.model
    def _cron_produce(self):
        """Daily: queue the approved summaries not yet sent to payroll."""
        return len(self._hc_produce())
