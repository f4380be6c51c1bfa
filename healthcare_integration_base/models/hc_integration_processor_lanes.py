from odoo import api, fields, models

LANE_CRON_XMLID = "healthcare_integration_base.ir_cron_process_queue"


# hc.integration.processor is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationProcessor(models.AbstractModel):
    """Lanes: the processing crons that run the queue processor, and waking them (how long
    one call may work is in ``hc_integration_processor_budget.py``).

    The scheduler runs one cron record in one thread at a time, so parallel processing
    takes several processing crons claiming from the same queue; their number is a setting
    (``_sync_lanes``) and lane 1 is the data record ``ir_cron_process_queue``.
    """

    _inherit = "hc.integration.processor"

    @api.model
    def _lane_crons(self):
        """The processing crons, lane 1 first."""
        lane_one = self.env.ref(LANE_CRON_XMLID, raise_if_not_found=False)
        if not lane_one:
            return self.env["ir.cron"]
        others = (
            self.env["ir.cron"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("ir_actions_server_id.code", "like", "model._cron_process_queue(lane="),
                    ("id", "!=", lane_one.id),
                ],
                order="id",
            )
        )
        return lane_one.sudo() | others

    @api.model
    def _sync_lanes(self, count):
        """Make ``count`` processing crons active (lane 1 is the data record)."""
        count = max(1, int(count))
        crons = self._lane_crons()
        if not crons:
            return crons
        lane_one = crons[0]
        for lane in range(2, count + 1):
            if len(crons) < lane:
                crons |= lane_one.copy(
                    {
                        "name": f"Integrations: process queue (lane {lane})",
                        "code": f"model._cron_process_queue(lane={lane})",
                        "active": True,
                    }
                )
        for index, cron in enumerate(crons, start=1):
            wanted = index <= count
            if cron.active != wanted:
                cron.active = wanted
        return crons

    @api.model
    def _wake_up(self, at=None):
        """Wake a processing lane now (or at ``at``), once per transaction."""
        self._trigger_cron_once(LANE_CRON_XMLID, at)

    @api.model
    def _trigger_cron_once(self, xmlid, at=None):
        """``_trigger`` the cron unless this transaction already did, or a trigger that is
        due and not yet consumed is waiting for it.

        Each trigger costs an insert and, after commit, a new connection to the
        ``postgres`` database for ``NOTIFY`` (Odoo does not pool those): a burst of
        deliveries needs one wake-up, not one per event. Skipping is safe: the scheduler
        deletes triggers only when a run completes, and a lane reports remaining work
        (so it runs again at once) when messages arrived during its run.
        """
        woken = self.env.cr.precommit.data.setdefault("hc_integration.woken", set())
        now = fields.Datetime.now()
        when = at if at and at > now else None
        key = (xmlid, when.isoformat() if when else "now")
        if key in woken:
            return
        woken.add(key)
        cron_id = self.env["ir.model.data"]._xmlid_to_res_id(xmlid, raise_if_not_found=False)
        if not cron_id:
            return
        if when is None:
            self.env.cr.execute(
                "SELECT 1 FROM ir_cron_trigger WHERE cron_id = %s AND call_at <= %s LIMIT 1",
                (cron_id, now),
            )
            if self.env.cr.fetchone():
                return
        self.env["ir.cron"].sudo().browse(cron_id)._trigger(at=when)

    @api.model
    def _wake_other_lanes(self, lane):
        """A full batch means a backlog: let the other lanes help now."""
        for index, cron in enumerate(self._lane_crons(), start=1):
            if index != lane and cron.active:
                cron._trigger()
