from odoo import api, fields, models

#: Context key of the dict in which outbound handlers report how a delivery went. It is a
#: plain dict, not a database write, because the handler's savepoint is rolled back when
#: it raises, and the circuit breaker must count exactly those failures.
OUTCOME_CONTEXT_KEY = "hc_delivery_outcome"


# hc.integration.processor is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationProcessor(models.AbstractModel):
    """Outbound delivery on top of the queue processor: circuits whose cool-down is over
    are half-opened before claiming, nothing is sent on a flow paused meanwhile, and the
    outcome an outbound handler reports goes to the flow's circuit breaker
    (``hc_integration_flow_delivery.py``).

    The delivery cron runs ``_cron_process_queue(direction="outbound", lane=0)``: lane 0 is
    not a processing lane (``_lane_crons`` and ``_sync_lanes`` only know inbound lanes), it
    only names the claimer in leases and logs.
    """

    _inherit = "hc.integration.processor"

    @api.model
    def _cron_process_queue(self, lane=1, direction="inbound", batch_size=None, time_budget=None):
        if direction == "outbound":
            # circuits whose cool-down is over are half-opened before claiming
            self.env["hc.integration.flow"]._hc_circuit_resume_due()
        return super()._cron_process_queue(
            lane=lane, direction=direction, batch_size=batch_size, time_budget=time_budget
        )

    @api.model
    def _run_handler(self, message):
        if message.direction != "outbound":
            return super()._run_handler(message)
        flow = message.flow_id
        if flow.paused:
            # the circuit opened (or a 410 paused the flow) on an earlier message of this
            # batch: do not call the receiver, give the attempt back
            message._hc_transition(
                "retry",
                summary="not sent: the flow was paused meanwhile",
                attempts=max(0, message.attempts - 1),
                next_attempt_at=fields.Datetime.now(),
                lease_expires_at=False,
                lease_owner=False,
            )
            return
        outcome = {}
        result = super()._run_handler(message.with_context(**{OUTCOME_CONTEXT_KEY: outcome}))
        if outcome.get("result"):
            flow._hc_delivery_outcome(message, outcome["result"])
        return result

    @api.model
    def _wake_up_outbound(self, at=None):
        """Wake the delivery cron now (or at ``at``), once per transaction."""
        woken = self.env.cr.precommit.data.setdefault("hc_integration.woken_outbound", set())
        key = at.isoformat() if at else "now"
        if key in woken:
            return
        woken.add(key)
        self.env["hc.integration.flow"]._hc_wake_delivery(
            at=at if at and at > fields.Datetime.now() else None
        )
