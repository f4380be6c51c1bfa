from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

DELIVERY_CRON_XMLID = "healthcare_integration_base.ir_cron_deliver_outbound"


# hc.integration.flow is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationFlow(models.Model):
    """Delivery of an outbound flow: the receiver's path, and a circuit breaker that pauses
    the flow after consecutive failures (or for good on 410 Gone) and tries again with one
    message after a cool-down. Messages are sent by ``hc.integration.processor`` (see
    ``hc_integration_processor_outbound.py``) through an outbound handler."""

    _inherit = "hc.integration.flow"

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

    @api.constrains("circuit_threshold", "circuit_cooldown_minutes")
    def _check_circuit_settings(self):
        for flow in self:
            if flow.circuit_threshold < 0 or flow.circuit_cooldown_minutes < 0:
                raise ValidationError(
                    self.env._("The circuit breaker threshold and cool-down cannot be negative.")
                )

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
