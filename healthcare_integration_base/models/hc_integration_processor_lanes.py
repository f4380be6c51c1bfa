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
        """``_trigger`` the cron unless this transaction already did, or a due trigger is
        waiting that a run of the cron has not started on yet.

        Each trigger costs an insert and, after commit, a ``NOTIFY`` on the ``postgres``
        database: a burst of deliveries needs one wake-up, not one per event. When a run
        completes, the scheduler deletes the due triggers its transaction sees, i.e. those
        committed before the run started; a run's last look at the queue may come before
        this transaction commits. So an older trigger, one already there when the cron's
        latest call started (its ``ir.cron.progress`` row), is no promise of a run that
        will see this message: skipping on it lost wake-ups (a message posted during the
        end of a run waited for the next scheduled call; issue 13, two servers test). A
        trigger created after that call started (``create_date`` is the start of its
        transaction) is invisible to the running job and survives it.
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
                """
                SELECT 1 FROM ir_cron_trigger t
                 WHERE t.cron_id = %(cron)s AND t.call_at <= %(now)s
                   AND t.create_date > coalesce(
                        (SELECT p.create_date FROM ir_cron_progress p
                          WHERE p.cron_id = %(cron)s ORDER BY p.id DESC LIMIT 1),
                        '-infinity')
                 LIMIT 1
                """,
                {"cron": cron_id, "now": now},
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
