"""The rate limit's counters (issue 13): one row per backend, second and connection,
summed over the last minute; the limit holds exactly within one connection."""

from datetime import timedelta

from odoo import fields

from .common import IntegrationCase


class TestWebhookRateCounter(IntegrationCase):
    def hits(self):
        self.env.cr.execute(
            "SELECT hit_at, shard, count FROM hc_integration_webhook_hit "
            "WHERE backend_id = %s ORDER BY hit_at",
            (self.backend.id,),
        )
        return self.env.cr.fetchall()

    def test_one_counter_row_per_second_and_connection(self):
        Hit = self.env["hc.integration.webhook.hit"]
        self.backend.rate_limit_per_minute = 5
        now = fields.Datetime.now().replace(microsecond=0)
        for _number in range(3):
            self.assertEqual(Hit._hc_check_and_record(self.backend, now=now), 0)
        later = now + timedelta(seconds=20)
        for _number in range(2):
            self.assertEqual(Hit._hc_check_and_record(self.backend, now=later), 0)
        self.env.cr.execute("SELECT pg_backend_pid()")
        pid = self.env.cr.fetchone()[0]
        self.assertEqual(self.hits(), [(now, pid, 3), (later, pid, 2)])
        # the sixth within the minute is refused, until the first second leaves the window
        retry_after = Hit._hc_check_and_record(self.backend, now=later)
        self.assertEqual(retry_after, 40)
        self.assertEqual(self.hits()[-1], (later, pid, 2), "a refusal is not counted")
        past_first = now + timedelta(seconds=60)
        self.assertEqual(Hit._hc_check_and_record(self.backend, now=past_first), 0)
        self.assertEqual(Hit._hc_check_and_record(self.backend, now=past_first), 0)
        self.assertEqual(Hit._hc_check_and_record(self.backend, now=past_first), 0)
        self.assertTrue(Hit._hc_check_and_record(self.backend, now=past_first))

    def test_no_limit_writes_nothing(self):
        self.backend.rate_limit_per_minute = 0
        Hit = self.env["hc.integration.webhook.hit"]
        self.assertEqual(Hit._hc_check_and_record(self.backend), 0)
        self.assertEqual(self.hits(), [])
