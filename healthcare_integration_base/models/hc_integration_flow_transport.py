import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

_logger = logging.getLogger(__name__)

PULL_CRON_XMLID = "healthcare_integration_base.ir_cron_pull"
DELIVERY_CRON_XMLID = "healthcare_integration_base.ir_cron_deliver_outbound"


class HcIntegrationFlow(models.Model):
    """Transport settings and runtime state of a flow: scheduled pulls (inbound) and
    delivery with a circuit breaker (outbound)."""

    _inherit = "hc.integration.flow"

    # --- scheduled pulls: runtime state ----------------------------------------------------
    pull_failure_count = fields.Integer(
        string="Consecutive pull failures",
        copy=False,
        readonly=True,
        help="Reset by a successful pull. An alert is raised when failures persist.",
    )
    pull_run_started_at = fields.Datetime(
        copy=False,
        readonly=True,
        help="Start of the pull in progress; it becomes the watermark once its last page "
        "is queued.",
    )
    pull_last_summary = fields.Char(string="Last pull result", copy=False, readonly=True)
    # --- outbound delivery -------------------------------------------------------------------
    outbound_path = fields.Char(
        help="Path appended to the backend's base URL; messages are POSTed there as JSON, "
        "signed with the backend's outbound secret (Standard Webhooks).",
    )
    circuit_threshold = fields.Integer(
        string="Pause after consecutive failures",
        default=5,
        help="Circuit breaker: after this many consecutive delivery failures (network "
        "errors, timeouts, 5xx) the flow is paused for the cool-down, then tried again "
        "with one message. 0 = never.",
    )
    circuit_cooldown_minutes = fields.Integer(string="Cool-down (min)", default=15)
    circuit_state = fields.Selection(
        [("closed", "Closed"), ("open", "Open (paused)"), ("half_open", "Trial")],
        string="Circuit",
        default="closed",
        required=True,
        copy=False,
        readonly=True,
    )
    circuit_failure_count = fields.Integer(
        string="Consecutive delivery failures", copy=False, readonly=True
    )
    circuit_open_until = fields.Datetime(string="Paused until", copy=False, readonly=True)

    @api.constrains("circuit_threshold", "circuit_cooldown_minutes", "pull_interval_minutes")
    def _check_transport_settings(self):
        for flow in self:
            if flow.circuit_threshold < 0 or flow.circuit_cooldown_minutes < 0:
                raise ValidationError(
                    self.env._("The circuit breaker threshold and cool-down cannot be negative.")
                )
            if flow.pull_enabled and flow.pull_interval_minutes < 1:
                raise ValidationError(self.env._("Pull at most once a minute."))

    @api.model
    def _selection_handler_model(self):
        """Hide base handlers meant to be inherited, not used as such."""
        return [
            (name, label)
            for name, label in super()._selection_handler_model()
            if not getattr(self.env.registry[name], "_hc_abstract_handler", False)
        ]

    # ------------------------------------------------------------------------------------
    # Scheduled pulls
    # ------------------------------------------------------------------------------------
    def action_pull_now(self):
        """Make the flows due and wake the pull cron: it runs within seconds, in the
        background, with the same paging, commits and error handling as scheduled pulls
        (so a pull is never run twice at once, nor inside this request)."""
        self.check_access("write")
        flows = self.filtered(lambda f: f.direction == "inbound" and f.pull_enabled)
        if not flows:
            raise UserError(self.env._("Only inbound flows with scheduled pulls can be pulled."))
        flows.write({"pull_next_at": fields.Datetime.now()})
        self.env.ref(PULL_CRON_XMLID).sudo()._trigger()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "Pull requested: it starts within a few seconds. Reload to see its result."
                ),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------------------------
    # Outbound: circuit breaker and 410 Gone
    # ------------------------------------------------------------------------------------
    def action_pause(self):
        # a person's pause is not the breaker's: it must not end with the cool-down
        result = super().action_pause()
        self.write({"circuit_state": "closed", "circuit_open_until": False})
        return result

    def action_resume(self):
        self.write(
            {"circuit_state": "closed", "circuit_open_until": False, "circuit_failure_count": 0}
        )
        result = super().action_resume()
        if "outbound" in self.mapped("direction"):
            self._hc_wake_delivery()
        return result

    def _hc_wake_delivery(self, at=None):
        cron = self.env.ref(DELIVERY_CRON_XMLID, raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at=at)

    def _hc_delivery_outcome(self, message, result):
        """Record the outcome of one delivery attempt of ``message``.

        ``result``: ``success``, ``rejected`` (4xx: the receiver is up), ``throttled``
        (429: it is up but busy; the message waits for Retry-After), ``failure`` (network,
        timeout, 5xx) or ``gone`` (410: the endpoint no longer exists).
        """
        self.ensure_one()
        if result in ("success", "rejected"):
            self._hc_circuit_close()
        elif result == "failure":
            self._hc_circuit_failure()
        elif result == "gone":
            self._hc_pause_gone(message)

    def _hc_circuit_close(self):
        if self.circuit_state == "closed" and not self.circuit_failure_count:
            return
        was_trial = self.circuit_state == "half_open"
        self.write(
            {"circuit_state": "closed", "circuit_failure_count": 0, "circuit_open_until": False}
        )
        if was_trial:
            self.env["hc.integration.audit"]._log(
                "flow.circuit_closed",
                f"{self.code}: delivery works again, circuit closed",
                record=self,
                backend=self.backend_id,
            )
        self.env["hc.integration.alert"].search(
            [("flow_id", "=", self.id), ("kind", "=", "circuit_open"), ("state", "=", "active")]
        )._clear()

    def _hc_circuit_failure(self):
        count = self.circuit_failure_count + 1
        trial_failed = self.circuit_state == "half_open"
        if not self.circuit_threshold or (count < self.circuit_threshold and not trial_failed):
            self.circuit_failure_count = count
            return
        now = fields.Datetime.now()
        until = now + timedelta(minutes=self.circuit_cooldown_minutes)
        reason = self.env._(
            "Circuit breaker: %(count)s consecutive delivery failures. Deliveries resume "
            "automatically at %(until)s UTC with one trial message.",
            count=count,
            until=fields.Datetime.to_string(until),
        )
        self.write(
            {
                "circuit_failure_count": count,
                "circuit_state": "open",
                "circuit_open_until": until,
                "paused": True,
                "paused_reason": reason,
            }
        )
        self.env["hc.integration.audit"]._log(
            "flow.circuit_open",
            f"{self.code}: {count} consecutive delivery failures, paused until {until}",
            record=self,
            backend=self.backend_id,
        )
        self.env["hc.integration.alert"]._raise_alert(
            "circuit_open", reason, flow=self, value=count, threshold=self.circuit_threshold
        )
        self._hc_wake_delivery(at=until)

    def _hc_pause_gone(self, message):
        reason = self.env._(
            "The receiver answered 410 Gone on %(date)s UTC: this endpoint no longer exists. "
            "Correct the outbound path or the backend URL, then resume the flow.",
            date=fields.Datetime.to_string(fields.Datetime.now()),
        )
        self.write(
            {
                "paused": True,
                "paused_reason": reason,
                "circuit_state": "closed",
                "circuit_open_until": False,
            }
        )
        self.env["hc.integration.audit"]._log(
            "flow.paused",
            f"{self.code}: receiver answered 410 Gone, flow paused",
            message=message,
            record=self,
            backend=self.backend_id,
        )
        self.message_post(body=reason, subtype_xmlid="mail.mt_note")

    @api.model
    def _hc_circuit_resume_due(self):
        """End the cool-down of open circuits: the flow is unpaused in trial (half-open)
        state; its next delivery closes the circuit or opens it again at once."""
        flows = self.sudo().search(
            [
                ("circuit_state", "=", "open"),
                ("circuit_open_until", "<=", fields.Datetime.now()),
            ]
        )
        for flow in flows:
            flow.write(
                {
                    "paused": False,
                    "paused_reason": False,
                    "circuit_state": "half_open",
                    "circuit_open_until": False,
                }
            )
            self.env["hc.integration.audit"]._log(
                "flow.circuit_half_open",
                f"{flow.code}: cool-down over, trying one delivery",
                record=flow,
                backend=flow.backend_id,
            )
        return flows
