"""A queue cron call works for what is left of its cron round (issue 13).

Threaded servers stamp ``start_time`` on the cron thread before a round and reload the
server when a round outlasts ``limit_time_real_cron`` (``limit_time_real`` when unset);
prefork masters kill a cron worker over ``limit_time_real_cron`` or ``limit_time_cpu``.
These tests set the stamps a real round would set; ``tests/system/
test_cron_worker_limits.py`` runs real servers.
"""

import threading
import time
from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import config

from ..tools import cron_round
from ..tools.cron_round import call_budget, real_time_limit
from .common import IntegrationCase

THREADED = {"workers": 0, "limit_time_real_cron": -1, "limit_time_real": 120}
PREFORK = {"workers": 2, "limit_time_real_cron": -1, "limit_time_real": 120, "limit_time_cpu": 0}


@contextmanager
def cron_round_started(seconds_ago, **attributes):
    """The current thread as a cron thread whose round began ``seconds_ago``."""
    thread = threading.current_thread()
    stamps = {"start_time": time.time() - seconds_ago, "type": "cron", **attributes}
    saved = {name: getattr(thread, name, None) for name in [*stamps, "hc_round_deadline"]}
    for name, value in stamps.items():
        setattr(thread, name, value)
    try:
        yield thread
    finally:
        for name, value in saved.items():
            setattr(thread, name, value)


@tagged("post_install", "-at_install")
class TestCronRoundArithmetic(IntegrationCase):
    def test_limits_follow_each_server_mode(self):
        self.assertEqual(real_time_limit(THREADED, prefork=False), 120)
        self.assertEqual(real_time_limit(dict(THREADED, limit_time_real_cron=0), False), 120)
        self.assertEqual(real_time_limit(dict(THREADED, limit_time_real_cron=30), False), 30)
        self.assertEqual(real_time_limit(PREFORK, prefork=True), 120)
        self.assertIsNone(real_time_limit(dict(PREFORK, limit_time_real_cron=0), True))
        self.assertEqual(
            real_time_limit(dict(THREADED, limit_time_real_cron=30), False, False), 120
        )

    def test_budget_is_a_share_of_what_is_left_beyond_a_reserve(self):
        # 120 s round: 48 s reserve, half of the rest
        self.assertEqual(call_budget(50, wall_left=120, wall_limit=120), 36)
        self.assertEqual(call_budget(50, wall_left=60, wall_limit=120), 6)
        self.assertEqual(call_budget(50, wall_left=48.2, wall_limit=120), 0)
        self.assertEqual(call_budget(10, wall_left=120, wall_limit=120), 10)
        # the CPU limit of prefork workers counts too
        self.assertEqual(call_budget(50, 120, 120, cpu_left=40, cpu_limit=60), 8)
        self.assertEqual(call_budget(50), 50, "no round, no limit")

    def test_ten_calls_of_a_round_stay_within_the_limit(self):
        limit, used = 120, 0.0
        for _call in range(10):
            used += call_budget(50, wall_left=limit - used, wall_limit=limit)
        self.assertLessEqual(used, limit * (1 - cron_round.RESERVE_RATIO))


@tagged("post_install", "-at_install")
class TestCallBudget(IntegrationCase):
    def test_outside_a_round_the_configured_budget_applies(self):
        with patch.dict(config.options, THREADED):
            self.assertEqual(self.Processor._call_time_budget(), 50)

    def test_threaded_round_budget_counts_from_the_thread_start(self):
        with patch.dict(config.options, THREADED), cron_round_started(10):
            self.assertAlmostEqual(self.Processor._call_time_budget(), 31, delta=1)
        with patch.dict(config.options, THREADED), cron_round_started(75):
            self.assertEqual(self.Processor._call_time_budget(), 0, "round almost over")
        with (
            patch.dict(config.options, dict(THREADED, limit_time_real_cron=20)),
            cron_round_started(0),
        ):
            self.assertAlmostEqual(self.Processor._call_time_budget(), 6, delta=0.5)

    def test_prefork_round_budget_counts_from_the_round_stamp(self):
        stamps = {"start_time": None, "hc_round_start": time.time() - 60}
        with patch.dict(config.options, PREFORK), cron_round_started(0, **stamps):
            self.assertAlmostEqual(self.Processor._call_time_budget(), 6, delta=1)

    def test_requests_of_a_call_end_with_the_round(self):
        from ..models.hc_integration_http_client import round_capped_timeout

        self.assertEqual(round_capped_timeout(30), 30, "outside a round")
        with (
            patch.dict(config.options, dict(THREADED, limit_time_real_cron=20)),
            cron_round_started(5),
        ):
            self.Processor._call_time_budget()
            self.assertAlmostEqual(round_capped_timeout(30), 13, delta=1)


@tagged("post_install", "-at_install")
class TestOutOfTime(IntegrationCase):
    def test_a_call_without_time_left_processes_nothing_and_asks_for_the_next_round(self):
        self.flow.sync_mode = "batch"
        message = self.enqueue(self.payload("RT1", "Round"))
        cron = self.env.ref("healthcare_integration_base.ir_cron_process_queue")
        _cron, progress = cron._add_progress()
        processor = self.Processor.with_context(ir_cron_progress_id=progress.id, cron_id=cron.id)
        self.env.cr.execute("DELETE FROM ir_cron_trigger WHERE cron_id = %s", (cron.id,))
        with patch.dict(config.options, THREADED), cron_round_started(110):
            self.assertEqual(processor._cron_process_queue(lane=1), 0)
        self.assertEqual(message.state, "pending")
        self.assertEqual((progress.done, progress.remaining), (0, 1))
        # Odoo reschedules a call that did nothing later and deletes its triggers older
        # than the job's transaction: the trigger carries this transaction's now()
        self.env.cr.execute(
            "SELECT count(*) FROM ir_cron_trigger WHERE cron_id = %s "
            "AND call_at >= now() AT TIME ZONE 'UTC'",
            (cron.id,),
        )
        self.assertEqual(self.env.cr.fetchone()[0], 1)

    def test_a_call_with_time_left_processes_the_backlog(self):
        self.flow.sync_mode = "batch"
        message = self.enqueue(self.payload("RT2", "Round"))
        with patch.dict(config.options, THREADED), cron_round_started(10):
            self.assertEqual(self.Processor._cron_process_queue(lane=1), 1)
        self.assertEqual(message.state, "done")

    def test_maintenance_without_time_left_waits_for_the_next_round(self):
        message = self.enqueue(self.payload("RT3", "Lease"))
        # a worker died with the message leased (as the claim would have left it)
        self.env.cr.execute(
            "UPDATE hc_integration_message SET state = 'processing', attempts = 1, "
            "lease_expires_at = %s WHERE id = %s",
            (self.later(minutes=-10), message.id),
        )
        message.invalidate_recordset()
        cron = self.env.ref("healthcare_integration_base.ir_cron_maintenance")
        _cron, progress = cron._add_progress()
        processor = self.Processor.with_context(ir_cron_progress_id=progress.id, cron_id=cron.id)
        with patch.dict(config.options, THREADED), cron_round_started(110):
            self.assertEqual(processor._cron_maintenance(), (0, 0, 0))
        self.assertEqual(message.state, "processing", "nothing done without time left")
        self.assertEqual((progress.done, progress.remaining), (0, 1))
        with patch.dict(config.options, THREADED), cron_round_started(0):
            self.assertEqual(processor._cron_maintenance()[0], 1)
        self.assertEqual(message.state, "retry")
