import random

from odoo.tests import BaseCase

from ..tools.backoff import backoff_ceiling, full_jitter_delay


class TestBackoff(BaseCase):
    def test_ceiling_doubles_then_caps(self):
        self.assertEqual([backoff_ceiling(n, 10, 60) for n in range(1, 6)], [10, 20, 40, 60, 60])

    def test_full_jitter_stays_within_zero_and_the_ceiling_and_spreads(self):
        rng = random.Random(42)
        for attempt in range(1, 10):
            samples = [full_jitter_delay(attempt, 10, 3600, rng) for _ in range(500)]
            ceiling = backoff_ceiling(attempt, 10, 3600)
            self.assertTrue(all(0 <= sample <= ceiling for sample in samples))
            self.assertGreater(max(samples) - min(samples), ceiling / 2, "jitter spreads retries")

    def test_huge_attempt_numbers_do_not_overflow(self):
        self.assertEqual(backoff_ceiling(10_000, 10, 3600), 3600)
