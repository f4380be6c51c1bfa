import threading
import time

import psutil

from odoo import models

from ..tools.cron_round import PREFORK_MAX_SLEEP


class IrCron(models.Model):
    """Stamps the start of each cron round on prefork servers, where Odoo stamps nothing
    (threaded servers set ``start_time`` on the cron thread): the queue crons' time
    budget is what is left of the round (``hc_integration_processor_budget.py``)."""

    _inherit = "ir.cron"

    @classmethod
    def _process_job(cls, db, cron_cr, job):
        """Run one job of a round; the round's cursor ``cron_cr`` is new for every round.

        The master's watchdog counts from the worker's last ping, which precedes its idle
        sleep: the round is taken to start at the end of the previous one, but at most
        the longest sleep ago (rounds without ready jobs never get here) and never before
        the worker process started.
        """
        thread = threading.current_thread()
        round_start = getattr(cron_cr, "_hc_round_start", None)
        if round_start is None:
            now = time.time()
            round_start = max(
                getattr(thread, "hc_round_end", 0.0),
                now - PREFORK_MAX_SLEEP,
                psutil.Process().create_time(),
            )
            cron_cr._hc_round_start = round_start
        thread.hc_round_start = round_start
        try:
            return super()._process_job(db, cron_cr, job)
        finally:
            thread.hc_round_end = time.time()
