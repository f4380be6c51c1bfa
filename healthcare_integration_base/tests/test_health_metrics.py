import hashlib
import re

from odoo.tests import tagged

from ..models.hc_integration_metrics import TOKEN_PARAM
from .http_common import WebhookHttpCase

TOKEN = "prometheus-scrape-token-for-tests"


def parse_prometheus(text):
    """``{(name, frozenset(labels)): value}`` of a text exposition; checks its syntax."""
    samples = {}
    sample = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$")
    label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith(("# HELP ", "# TYPE ")):
            continue
        match = sample.match(line)
        assert match, f"not a Prometheus sample: {line!r}"
        labels = frozenset(label.findall(match.group(3) or ""))
        samples[(match.group(1), labels)] = float(match.group(4))
    return samples


@tagged("post_install", "-at_install")
class TestHealthMetrics(WebhookHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["hc.integration.metrics"]._hc_set_metrics_token(TOKEN)

    def metrics(self, token=TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.url_open("/healthcare/metrics", headers=headers)

    def sample(self, samples, name, **labels):
        wanted = {(key, str(value)) for key, value in labels.items()}
        found = [
            value
            for (sample_name, sample_labels), value in samples.items()
            if sample_name == name and wanted <= sample_labels
        ]
        self.assertEqual(len(found), 1, f"{name} {labels}: {found}")
        return found[0]

    def test_health(self):
        self.post_event()
        response = self.url_open("/healthcare/health")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(body["status"], "ok")
        self.assertEqual(body["database"], "ok")
        self.assertGreaterEqual(body["queue"]["backlog"], 1)
        self.assertGreaterEqual(body["queue"]["oldest_pending_age_seconds"], 0)
        self.assertNotIn("whsec_", response.text)
        self.assertEqual(response.headers["Cache-Control"], "no-store")

    def test_metrics_require_the_token(self):
        for token in (None, "wrong", TOKEN + "x"):
            with self.subTest(token=token):
                response = self.metrics(token)
                self.assertProblem(response, 401)
                self.assertIn("Bearer", response.headers["WWW-Authenticate"])
        self.assertProblem(
            self.url_open("/healthcare/metrics", headers={"Authorization": TOKEN}), 401
        )
        # only a digest is stored
        stored = self.env["ir.config_parameter"].sudo().get_param(TOKEN_PARAM)
        self.assertEqual(stored, hashlib.sha256(TOKEN.encode()).hexdigest())
        # no token configured: the endpoint is closed
        self.env["hc.integration.metrics"]._hc_set_metrics_token(False)
        self.assertProblem(self.metrics(), 401)

    def test_settings_field_stores_a_digest(self):
        settings = self.env["res.config.settings"].create({"hc_metrics_token": "new-token"})
        settings.execute()
        stored = self.env["ir.config_parameter"].sudo().get_param(TOKEN_PARAM)
        self.assertEqual(stored, hashlib.sha256(b"new-token").hexdigest())
        settings.invalidate_recordset()  # as the form does when it reads the saved record
        self.assertFalse(settings.hc_metrics_token)
        self.assertTrue(settings.hc_metrics_token_set)
        self.assertEqual(self.metrics("new-token").status_code, 200)
        self.assertProblem(self.metrics(TOKEN), 401)

    def test_metrics_content(self):
        accepted = self.post_event(self.event(external_id="M1"))
        self.assertEqual(accepted.status_code, 202)
        duplicate_id = self.new_event_id()
        # the same body twice (a new event() could fall in the next second: 422, not 200)
        duplicate = self.event()
        self.post_event(duplicate, event_id=duplicate_id)
        self.assertEqual(self.post_event(duplicate, event_id=duplicate_id).status_code, 200)
        self.post_event(self.event(simulate="business"))
        self.post_event(sign=False)  # 401
        self.post_event(content_type="text/plain")  # 415
        processor = self.env["hc.integration.processor"]
        while processor._cron_process_queue(lane=1, direction="inbound"):
            pass
        self.post_event(self.event(external_id="M2"))  # still pending
        response = self.metrics()
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8"
        )
        samples = parse_prometheus(response.text)
        ours = {"backend": self.backend.code, "flow": self.flow.code}
        self.assertEqual(
            self.sample(samples, "hc_messages_received_total", direction="inbound", **ours), 4
        )
        self.assertEqual(
            self.sample(samples, "hc_messages_processed_total", direction="inbound", **ours), 2
        )
        self.assertEqual(self.sample(samples, "hc_queue_backlog", direction="inbound", **ours), 1)
        self.assertEqual(
            self.sample(samples, "hc_messages_in_exception", direction="inbound", **ours), 1
        )
        self.assertEqual(self.sample(samples, "hc_messages_failed_total", **ours), 1)
        self.assertEqual(self.sample(samples, "hc_exceptions_open", **ours), 1)
        self.assertGreaterEqual(
            self.sample(
                samples, "hc_queue_oldest_pending_age_seconds", direction="inbound", **ours
            ),
            0,
        )
        backend = {"backend": self.backend.code}
        self.assertEqual(
            self.sample(
                samples, "hc_webhook_rejected_total", status="401", reason="signature", **backend
            ),
            1,
        )
        self.assertEqual(
            self.sample(
                samples,
                "hc_webhook_rejected_total",
                status="415",
                reason="unsupported_media_type",
                **backend,
            ),
            1,
        )
        self.assertEqual(self.sample(samples, "hc_webhook_duplicates_total", **backend), 1)
        # latency histogram of the two processed messages: cumulative buckets
        self.assertEqual(self.sample(samples, "hc_message_latency_seconds_count", **ours), 2)
        self.assertEqual(
            self.sample(samples, "hc_message_latency_seconds_bucket", le="+Inf", **ours), 2
        )
        self.assertEqual(
            self.sample(samples, "hc_message_latency_seconds_bucket", le="86400.0", **ours), 2
        )
        self.assertGreaterEqual(self.sample(samples, "hc_message_latency_seconds_sum", **ours), 0)
        self.assertEqual(self.sample(samples, "hc_up"), 1)
        self.assertNotIn("whsec_", response.text)
        # one HELP and one TYPE per family
        types = re.findall(r"^# TYPE (\S+) (\S+)$", response.text, re.MULTILINE)
        self.assertEqual(len(types), len({name for name, _kind in types}))
        self.assertIn(("hc_message_latency_seconds", "histogram"), types)
