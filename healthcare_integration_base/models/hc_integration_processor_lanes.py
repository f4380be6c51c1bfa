from odoo import api, fields, models
from odoo.tools import config

LANE_CRON_XMLID = "healthcare_integration_base.ir_cron_process_queue"
#: Odoo calls a cron that reports remaining work up to this many times per round
#: (``ir_cron.MAX_BATCH_PER_CRON_JOB``).
MAX_CALLS_PER_ROUND = 10


# hc.integration.processor is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationProcessor(models.AbstractModel):
    """Lanes: the processing crons that run the queue processor, waking them, and how long
    one call of a queue cron may work.

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
    def _call_time_budget(self):
        """Seconds one call of a queue cron (a lane, the delivery or the pull cron) may work.

        In prefork mode (``--workers``) a cron worker runs every ready job in one round,
        calls a job that reports remaining work up to 10 times in a row, and is killed when
        the round outlasts ``limit_time_real_cron`` (``limit_time_real`` when unset) or
        ``limit_time_cpu``. With a deep backlog every queue cron is ready and reports
        remaining work, so their calls share one round: each call gets half of the limit
        divided among all those calls, and work resumes in the next round. Threaded servers
        kill no cron, so the configured budget (default 50 s) applies as is.
        """
        configured = self._get_param("time_budget_seconds", 50)
        if not config.get("workers"):
            return configured
        # the watchdog of cron workers: limit_time_real_cron, -1 meaning limit_time_real
        real = config.get("limit_time_real_cron", -1)
        if real == -1:
            real = config.get("limit_time_real") or 0
        limits = [limit for limit in (real, config.get("limit_time_cpu") or 0) if limit > 0]
        if not limits:
            return configured
        queue_crons = len(self._lane_crons().filtered("active")) + 2  # + delivery and pull
        share = min(limits) * 0.5 / (MAX_CALLS_PER_ROUND * queue_crons)
        return max(0.2, min(configured, share))

    @api.model
    def _wake_other_lanes(self, lane):
        """A full batch means a backlog: let the other lanes help now."""
        for index, cron in enumerate(self._lane_crons(), start=1):
            if index != lane and cron.active:
                cron._trigger()
