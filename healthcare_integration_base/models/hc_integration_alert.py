import logging
from datetime import timedelta

from odoo import api, fields, models

_logger = logging.getLogger(__name__)

KINDS = [
    ("backlog", "Backlog"),
    ("sla", "Oldest pending over SLA"),
    ("exceptions", "Open exceptions"),
    ("error_rate", "Error rate"),
    ("stale_source", "Silent source"),
    ("audit_chain", "Audit chain broken"),
    # raised and cleared by transport itself: a scheduled pull that keeps failing, an
    # outbound endpoint paused by the circuit breaker
    ("pull_failing", "Scheduled pull failing"),
    ("circuit_open", "Outbound endpoint paused"),
]


class HcIntegrationAlert(models.Model):
    """A condition that needs attention (backlog, SLA, exceptions, error rate…).

    One alert per flow and condition while the condition persists: it is raised once,
    with an activity for the flow's responsible and a notification to its owning group,
    and cleared (activity done) when the condition is gone.
    """

    _name = "hc.integration.alert"
    _description = "Integration Alert"
    _order = "state, raised_at desc"

    flow_id = fields.Many2one("hc.integration.flow", ondelete="cascade", index=True)
    company_id = fields.Many2one(related="flow_id.company_id", store=True)
    kind = fields.Selection(KINDS, required=True)
    state = fields.Selection(
        [("active", "Active"), ("cleared", "Cleared")], default="active", required=True, index=True
    )
    description = fields.Text()
    value = fields.Float()
    threshold = fields.Float()
    raised_at = fields.Datetime(default=fields.Datetime.now)
    cleared_at = fields.Datetime()

    @api.model
    def _raise_alert(self, kind, description, flow=None, value=0.0, threshold=0.0):
        """Raise the alert unless the same one is already active; returns it."""
        flow = flow or self.env["hc.integration.flow"]
        active = self.search(
            [("flow_id", "=", flow.id), ("kind", "=", kind), ("state", "=", "active")], limit=1
        )
        if active:
            active.write({"value": value, "description": description})
            return active
        alert = self.create(
            {
                "flow_id": flow.id,
                "kind": kind,
                "description": description,
                "value": value,
                "threshold": threshold,
            }
        )
        # the field's selection, not KINDS: other modules add kinds with selection_add
        label = dict(self._fields["kind"].selection)[kind]
        self.env["hc.integration.audit"]._log(
            "alert.raised", f"{kind}: {description[:300]}", backend=flow.backend_id
        )
        target = flow or None
        if target:
            if flow.responsible_user_id:
                flow.activity_schedule(
                    "healthcare_integration_base.mail_activity_type_alert",
                    user_id=flow.responsible_user_id.id,
                    summary=label,
                    note=description,
                )
            partners = flow.owning_group_id.users.partner_id | flow.responsible_user_id.partner_id
            flow.message_post(
                body=description,
                subject=self.env._("Integration alert: %s", label),
                partner_ids=partners.ids,
                subtype_xmlid="mail.mt_comment",
            )
        else:
            managers = self.env.ref("healthcare_integration_base.group_integration_manager").users
            self.env["mail.thread"].sudo().message_notify(
                partner_ids=managers.partner_id.ids,
                subject=self.env._("Integration alert: %s", label),
                body=description,
            )
        return alert

    def _clear(self):
        alert_type = self.env.ref("healthcare_integration_base.mail_activity_type_alert")
        for alert in self.filtered(lambda a: a.state == "active"):
            alert.write({"state": "cleared", "cleared_at": fields.Datetime.now()})
            flow = alert.flow_id
            summary = dict(self._fields["kind"].selection)[alert.kind]
            if flow:
                activities = flow.activity_ids.filtered(
                    lambda a, summary=summary: (
                        a.activity_type_id == alert_type and a.summary == summary
                    )
                )
                activities.action_feedback(feedback=self.env._("Condition cleared."))
            self.env["hc.integration.audit"]._log(
                "alert.cleared", f"{alert.kind} cleared", backend=flow.backend_id
            )

    @api.model
    def _flow_conditions(self, flow, now):
        """``{kind: (is_on, value, threshold, description)}`` for one flow: one entry per
        condition the flow has a threshold for."""
        checks = {
            "backlog": self._condition_backlog,
            "sla": self._condition_sla,
            "exceptions": self._condition_exceptions,
            "error_rate": self._condition_error_rate,
            "stale_source": self._condition_stale_source,
        }
        conditions = {}
        for kind, check in checks.items():
            condition = check(flow, now)
            if condition:
                conditions[kind] = condition
        return conditions

    @api.model
    def _condition_backlog(self, flow, now):
        """More messages to process than the flow's backlog threshold."""
        if not flow.alert_backlog:
            return None
        return (
            flow.count_backlog > flow.alert_backlog,
            flow.count_backlog,
            flow.alert_backlog,
            self.env._(
                "%(flow)s has %(n)s messages waiting to be processed (threshold %(t)s).",
                flow=flow.display_name,
                n=flow.count_backlog,
                t=flow.alert_backlog,
            ),
        )

    @api.model
    def _condition_sla(self, flow, now):
        """The oldest message of the backlog is older than the flow's SLA."""
        if not flow.sla_minutes:
            return None
        return (
            flow.oldest_pending_minutes > flow.sla_minutes,
            flow.oldest_pending_minutes,
            flow.sla_minutes,
            self.env._(
                "The oldest pending message of %(flow)s is %(n)s minutes old (SLA %(t)s minutes).",
                flow=flow.display_name,
                n=flow.oldest_pending_minutes,
                t=flow.sla_minutes,
            ),
        )

    @api.model
    def _condition_exceptions(self, flow, now):
        """More open exceptions than the flow's threshold."""
        if not flow.alert_open_exceptions:
            return None
        return (
            flow.open_exception_count > flow.alert_open_exceptions,
            flow.open_exception_count,
            flow.alert_open_exceptions,
            self.env._(
                "%(flow)s has %(n)s open exceptions (threshold %(t)s).",
                flow=flow.display_name,
                n=flow.open_exception_count,
                t=flow.alert_open_exceptions,
            ),
        )

    @api.model
    def _condition_error_rate(self, flow, now):
        """The share of messages finished in exception over the last hour is above the
        flow's threshold (off while nothing finished)."""
        if not flow.alert_error_rate:
            return None
        finished = (
            self.env["hc.integration.message"]
            .sudo()
            ._read_group(
                [
                    ("flow_id", "=", flow.id),
                    ("finished_at", ">=", now - timedelta(hours=1)),
                    ("state", "in", ("done", "exception")),
                ],
                ["state"],
                ["__count"],
            )
        )
        counts = dict(finished)
        total = sum(counts.values())
        rate = 100.0 * counts.get("exception", 0) / total if total else 0.0
        return (
            total > 0 and rate > flow.alert_error_rate,
            rate,
            flow.alert_error_rate,
            self.env._(
                "%(rate).0f%% of %(flow)s messages failed in the last hour (threshold %(t)s%%).",
                rate=rate,
                flow=flow.display_name,
                t=flow.alert_error_rate,
            ),
        )

    @api.model
    def _condition_stale_source(self, flow, now):
        """Nothing arrived on an inbound flow for longer than its threshold (off until a
        first message arrived)."""
        if not flow.stale_source_minutes or flow.direction != "inbound":
            return None
        last = flow.last_received_at
        silent = (now - last).total_seconds() / 60 if last else None
        return (
            silent is not None and silent > flow.stale_source_minutes,
            silent or 0,
            flow.stale_source_minutes,
            self.env._(
                "Nothing arrived on %(flow)s for %(n)s minutes (threshold %(t)s).",
                flow=flow.display_name,
                n=int(silent or 0),
                t=flow.stale_source_minutes,
            ),
        )

    @api.model
    def _cron_check_alerts(self):
        now = fields.Datetime.now()
        flows = self.env["hc.integration.flow"].search([])
        flows.invalidate_recordset()  # dashboard figures are computed, never stale here
        raised = 0
        for flow in flows:
            for kind, (is_on, value, threshold, description) in self._flow_conditions(
                flow, now
            ).items():
                active = self.search(
                    [("flow_id", "=", flow.id), ("kind", "=", kind), ("state", "=", "active")],
                    limit=1,
                )
                if is_on and not active:
                    self._raise_alert(
                        kind, description, flow=flow, value=value, threshold=threshold
                    )
                    raised += 1
                elif not is_on and active:
                    active._clear()
        return raised
