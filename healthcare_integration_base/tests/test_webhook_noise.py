"""Unauthenticated noise (issue 9, item 10), over real sockets: refusals are folded into
a handful of audit entries with counts, a source that keeps being refused is answered 429
before any database access, and a valid sender from another address is not slowed."""

import random
import string

import requests
from requests.adapters import HTTPAdapter

from odoo.tests import tagged

from ..tools.source_cooldown import COOLDOWN, REFUSALS_BEFORE_COOLDOWN
from .http_common import SPEC_SECRET, WebhookHttpCase

ATTACKER = "127.0.0.2"  # another loopback address: the sender's own socket, no header


class SourceAddressAdapter(HTTPAdapter):
    """Connects from a chosen local address (a second client machine, on loopback)."""

    def __init__(self, source, **kwargs):
        self.source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        return super().init_poolmanager(*args, **kwargs)


@tagged("post_install", "-at_install")
class TestWebhookNoise(WebhookHttpCase):
    def setUp(self):
        super().setUp()
        self.attacker = requests.Session()
        self.attacker.mount("http://", SourceAddressAdapter(ATTACKER))
        self.addCleanup(self.attacker.close)
        self.valid_backend = self.env["hc.integration.backend"].create(
            {"name": "Valid sender", "code": "hc_noise_valid", "webhook_secret": SPEC_SECRET}
        )
        self.flow.copy({"backend_id": self.valid_backend.id})
        self.random = random.Random(9)

    def noise_url(self, index):
        junk = "".join(self.random.choices(string.ascii_letters + "<>%'\"; ", k=12))
        junk = requests.utils.quote(junk, safe="")
        return [
            f"/healthcare/webhook/{junk}/{junk[::-1]}",  # no such backend
            f"/healthcare/webhook/{self.backend.code}/{junk}",  # a real backend, no flow
            self.url(),  # the real flow, unsigned
        ][index % 3]

    def post_noise(self, index):
        return self.attacker.post(
            self.base_url() + self.noise_url(index),
            data=b'{"event_type": "contact.upsert", "ssn": "078-05-1120"}',
            headers={"Content-Type": "application/json"},
            timeout=30,
        )

    def post_valid(self):
        return self.post_event(url=self.url(backend=self.valid_backend.code))

    def new_entries(self, before):
        return self.rejections().filtered(lambda entry: entry.id > before)

    @staticmethod
    def counted(entries):
        total = 0
        for entry in entries:
            count = entry.summary.split(" count=", 1)[1].split(" ", 1)[0]
            total += int(count)
        return total

    def test_300_unsigned_posts_leave_a_handful_of_entries(self):
        before = max(self.rejections().ids or [0])
        statuses = []
        for index in range(300):
            response = self.post_noise(index)
            self.assertTrue(response.headers["Content-Type"].startswith("application/problem+json"))
            statuses.append(response.status_code)
            if index % 50 == 49:
                valid = self.post_valid()
                self.assertEqual(valid.status_code, 202, valid.text)
        self.assertLessEqual(set(statuses), {401, 404, 429})
        refused_in_db = REFUSALS_BEFORE_COOLDOWN
        self.assertEqual(statuses.count(429), 300 - refused_in_db)
        self.assertNotIn(429, statuses[:refused_in_db])
        cooled = self.post_noise(0)
        self.assertEqual(cooled.status_code, 429)
        self.assertGreater(int(cooled.headers["Retry-After"]), 0)
        # a valid sender (another address, another backend) is neither refused nor slowed
        self.assertEqual(self.post_valid().status_code, 202)
        entries = self.new_entries(before)
        # buckets: unknown address 404, the backend's 404 and 401 (twice if a minute ends)
        self.assertLessEqual(len(entries), 6, entries.mapped("summary"))
        self.assertEqual(self.counted(entries), refused_in_db)
        for entry in entries:
            self.assertNotRegex(entry.summary, r"[<>%'\"]", "URL segments are sanitised")
            self.assertNotIn("078-05-1120", entry.summary)

        # once the cool-down is over, the next refusal reports how many were turned away
        clock = COOLDOWN.clock
        COOLDOWN.clock = lambda: clock() + 3600
        self.addCleanup(setattr, COOLDOWN, "clock", clock)
        self.assertEqual(self.post_noise(2).status_code, 401)
        later = self.new_entries(max(entries.ids))
        self.assertEqual(self.counted(later), 1 + (300 - refused_in_db) + 1)
        cooldown = later.filtered(lambda entry: "reason=source_cooldown" in entry.summary)
        self.assertEqual(self.counted(cooldown), 300 - refused_in_db + 1)

    def test_refusals_are_counted_in_metrics_before_they_are_folded(self):
        metrics = self.env["hc.integration.metrics"].sudo()

        def rejected(text, **labels):
            total = 0
            for line in text.splitlines():
                if line.startswith("hc_webhook_rejected_total{") and all(
                    f'{name}="{value}"' in line for name, value in labels.items()
                ):
                    total += float(line.rsplit(" ", 1)[1])
            return total

        start = rejected(metrics._hc_prometheus(), status="401")
        for index in range(3):
            self.assertEqual(self.post_noise(2 + 3 * index).status_code, 401)
        self.assertEqual(rejected(metrics._hc_prometheus(), status="401"), start + 3)
        entries = self.rejections()  # folded: the same figure, from the audit entry
        self.assertIn("count=3", entries[0].summary)
        self.assertEqual(rejected(metrics._hc_prometheus(), status="401"), start + 3)

    def test_authenticated_refusals_keep_one_entry_each_and_no_cooldown(self):
        before = len(self.rejections())
        for _attempt in range(REFUSALS_BEFORE_COOLDOWN + 2):
            response = self.post_event(self.event(schema_version="9.9"))
            self.assertEqual(response.status_code, 422)
        self.assertEqual(len(self.rejections()), before + REFUSALS_BEFORE_COOLDOWN + 2)
        self.assertEqual(self.post_event().status_code, 202)

    def test_maintenance_cron_folds_closed_minutes(self):
        self.rejections()  # counts other servers may have committed are folded first
        self.assertEqual(self.post_noise(2).status_code, 401)
        Refusal = self.env["hc.integration.webhook.refusal"]
        self.assertEqual(Refusal.search_count([]), 1)
        self.env.cr.execute(
            "UPDATE hc_integration_webhook_refusal SET minute = minute - interval '2 minutes'"
        )
        before = self.env["hc.integration.audit"].search_count([])
        self.env["hc.integration.processor"]._cron_maintenance()
        self.assertEqual(Refusal.search_count([]), 0)
        self.assertEqual(self.env["hc.integration.audit"].search_count([]), before + 1)
