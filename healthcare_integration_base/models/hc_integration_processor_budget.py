import threading
import time

from odoo import api, models
from odoo.tools import config

from ..tools import cron_round


# hc.integration.processor is split by concern, one file each (issue 8): not to be merged.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationProcessor(models.AbstractModel):
    """How long one call of a queue cron (a lane, the delivery or the pull cron) may work,
    and how it asks the scheduler to come back for the rest (issue 13).

    A call works for a share of what is left of its cron *round* (``tools/cron_round.py``
    explains the limits of threaded and prefork servers), so a deep backlog is served by
    many short calls and rounds, never by a server reload or a killed worker.
    """

    _inherit = "hc.integration.processor"

    @api.model
    def _call_time_budget(self):
        """Seconds this call may work (0: none left in this round). Outside a cron round
        (shell, tests, a button) the configured ``time_budget_seconds`` applies."""
        configured = self._get_param("time_budget_seconds", 50)
        prefork = bool(config.get("workers"))
        thread = threading.current_thread()
        # threaded servers stamp their cron threads; ir_cron.py stamps prefork rounds
        round_start = getattr(thread, "start_time", None)
        if round_start is None and prefork:
            round_start = getattr(thread, "hc_round_start", None)
        thread.hc_round_deadline = None
        if round_start is None:
            return configured
        cron_thread = prefork or getattr(thread, "type", None) == "cron"
        wall_limit = cron_round.real_time_limit(config, prefork, cron_thread)
        wall_left = cron_round.round_time_left(wall_limit, round_start, time.time())
        if wall_left is not None:
            # outgoing requests of this call wait no longer than the round lasts
            thread.hc_round_deadline = time.monotonic() + wall_left
        cpu_limit = (config.get("limit_time_cpu") or 0) if prefork else 0
        cpu_left = cron_round.cpu_time_left() if cpu_limit else None
        return cron_round.call_budget(configured, wall_left, wall_limit, cpu_left, cpu_limit)

    @api.model
    def _hc_come_back(self, did_nothing):
        """The call stopped on its time budget with work remaining: make the scheduler come
        back at once, in this round or the next one.

        A call that did something reports progress: Odoo calls it again in this round (up
        to 10 times) and leaves it ready. But the cron thread or worker sleeps up to a
        minute between rounds unless woken, so a NOTIFY follows the commit. A call that
        did nothing is taken by Odoo for a finished job and rescheduled a whole interval
        later, deleting its triggers older than the start of the job's transaction: a
        trigger inserted with this transaction's ``now()`` (the ORM would truncate it to
        the second, before that start) survives and makes it ready for the next round.
        """
        cron_id = self.env.context.get("cron_id")
        if not cron_id:
            return
        if did_nothing:
            self.env.cr.execute(
                """INSERT INTO ir_cron_trigger (cron_id, call_at, create_uid, write_uid,
                                                create_date, write_date)
                   VALUES (%(cron)s, now() AT TIME ZONE 'UTC', %(uid)s, %(uid)s,
                           now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC')""",
                {"cron": cron_id, "uid": self.env.uid},
            )
        self.env.cr.postcommit.add(self.env["ir.cron"].sudo()._notifydb)
