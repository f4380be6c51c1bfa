from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.healthcare_integration_base.tools.tracecontext import parse_traceparent

from .stand_ins import SLOW_SECONDS, HrisStandIn, Reply, TransportCase, iso

T0 = datetime(2031, 3, 3, 8, 0, 0)


def worker(number, updated_at, name=None, **extra):
    """A pulled item in the canonical contact.upsert shape (``id`` is the event id)."""
    item = {
        "id": f"W{number}",
        "event_type": "contact.upsert",
        "schema_version": "1.0",
        "occurred_at": iso(updated_at),
        "updated_at": iso(updated_at),
        "contact": {"external_id": f"W{number}", "name": name or f"Worker {number}"},
    }
    item.update(extra)
    return item


@tagged("post_install", "-at_install")
class TestPull(TransportCase):
    def setUp(self):
        super().setUp()
        self.hris = self.start(HrisStandIn())
        self.backend.base_url = self.hris.url
        self.flow = self.make_flow("workers")

    def make_flow(self, code, **values):
        return self.env["hc.integration.flow"].create(
            dict(
                {
                    "name": f"Workers ({code})",
                    "code": code,
                    "backend_id": self.backend.id,
                    "handler_model": "hc.integration.handler.sample",
                    "event_type": "contact.upsert",
                    "sync_mode": "batch",
                    "pull_enabled": True,
                    "pull_endpoint": "/api/workers",
                    "pull_page_size": 2,
                    "pull_interval_minutes": 15,
                    "pull_overlap_seconds": 120,
                    "backoff_base": 10,
                    "backoff_cap": 600,
                },
                **values,
            )
        )

    def messages(self, flow=None):
        return self.Message.search([("flow_id", "=", (flow or self.flow).id)], order="id")

    def pull(self):
        return self.Puller._cron_pull()

    # ------------------------------------------------------------------------------------
    # Pagination
    # ------------------------------------------------------------------------------------
    def test_pull_pages_by_cursor(self):
        self.hris.items = [worker(n, T0 - timedelta(hours=n)) for n in range(1, 6)]
        with freeze_time(T0):
            self.assertEqual(self.pull(), 1)
        requests = self.hris.requests
        self.assertEqual([r.query.get("cursor") for r in requests], [None, "o2", "o4"])
        self.assertEqual({r.query["limit"] for r in requests}, {"2"})
        self.assertNotIn("updated_since", requests[0].query, "first pull: everything")
        messages = self.messages()
        self.assertEqual(sorted(messages.mapped("external_id")), ["W1", "W2", "W3", "W4", "W5"])
        self.assertEqual(set(messages.mapped("state")), {"pending"})
        self.assertNotIn("updated_at", messages[0].payload, "minimised by the allow-list")
        flow = self.flow
        self.assertFalse(flow.pull_cursor)
        self.assertEqual(flow.pull_watermark, T0)
        self.assertEqual(flow.pull_next_at, T0 + timedelta(minutes=15))
        self.assertEqual(flow.pull_last_at, T0)
        self.assertFalse(flow.pull_last_error)
        self.assertIn("3 page(s): 5 new", flow.pull_last_summary)
        # the messages continue the trace of the requests that fetched them
        sent = [parse_traceparent(r.header("traceparent")) for r in requests]
        self.assertEqual(len({trace for trace, _span in sent}), 1)
        self.assertEqual(set(messages.mapped("trace_id")), {sent[0][0]})
        self.assertTrue(
            self.env["hc.integration.audit"].search_count(
                [("action", "=", "pull.done"), ("res_id", "=", flow.id)]
            )
        )
        # not due again before its interval; the processor applies what was pulled
        with freeze_time(T0 + timedelta(minutes=5)):
            self.assertEqual(self.pull(), 0)
            self.Processor._cron_process_queue(batch_size=10)
        self.assertEqual(set(messages.mapped("state")), {"done"})
        self.assertEqual(len(self.hris.requests), 3)

    def test_pull_pages_by_next_link(self):
        items = [worker(n, T0 - timedelta(hours=n)) for n in range(1, 6)]
        for mode in ("link", "relative_link", "link_header"):
            with self.subTest(mode=mode):
                hris = self.start(HrisStandIn(items, mode=mode))
                backend = self.backend.copy({"code": f"hris_{mode}", "base_url": hris.url})
                flow = self.make_flow(f"w_{mode}", backend_id=backend.id)
                with freeze_time(T0):
                    self.Puller._pull_flow(flow)
                self.assertEqual(len(self.messages(flow)), 5)
                self.assertEqual([r.query.get("offset") for r in hris.requests], [None, "2", "4"])
                self.assertFalse(flow.pull_cursor)
                self.assertEqual(flow.pull_watermark, T0)

    def test_next_link_to_another_server_is_not_followed(self):
        other = self.hris.url.replace("127.0.0.1", "localhost")
        self.hris.queue(Reply(200, {"items": [worker(1, T0)], "next": other + "/api/workers"}))
        with freeze_time(T0):
            self.pull()
        self.assertIn("links to another server", self.flow.pull_last_error)
        self.assertEqual(len(self.hris.requests), 1)
        self.assertFalse(self.messages(), "the page is not queued: it is fetched again later")

    # ------------------------------------------------------------------------------------
    # Watermark, overlap, idempotency
    # ------------------------------------------------------------------------------------
    def test_watermark_and_overlap_drop_duplicates(self):
        self.hris.items = [
            worker(1, T0 - timedelta(hours=2)),
            worker(2, T0 - timedelta(seconds=30)),
            worker(3, T0 - timedelta(seconds=60)),
        ]
        with freeze_time(T0):
            self.pull()
        self.assertEqual(len(self.messages()), 3)
        self.hris.requests.clear()
        # the source's clock is behind: W2 changed "before" our watermark, W4 is new,
        # W3 comes again unchanged because it is inside the overlap window
        self.hris.items[1] = worker(2, T0 - timedelta(seconds=20), name="Worker 2 renamed")
        self.hris.items.append(worker(4, T0 + timedelta(minutes=5)))
        with freeze_time(T0 + timedelta(minutes=15)):
            self.pull()
        self.assertEqual(
            self.hris.requests[0].query["updated_since"], iso(T0 - timedelta(minutes=2))
        )
        ids = self.messages().mapped("external_id")
        self.assertEqual(len(ids), 5, ids)
        self.assertEqual(ids.count("W3"), 1, "re-sent in the overlap: dropped")
        self.assertIn("W4", ids)
        new_version = self.messages().filtered(lambda m: m.external_id.startswith("W2@"))
        self.assertEqual(new_version.payload["contact"]["name"], "Worker 2 renamed")
        self.assertIn("1 new, 1 new version(s), 1 duplicate(s)", self.flow.pull_last_summary)
        self.assertEqual(self.flow.pull_watermark, T0 + timedelta(minutes=15))

    def test_cursor_and_watermark_kept_when_a_page_cannot_be_queued(self):
        # PostgreSQL refuses \u0000 in jsonb: the second page cannot be stored
        broken = worker(4, T0 - timedelta(hours=1), name="Nul\u0000byte")
        self.hris.items = [
            worker(1, T0 - timedelta(hours=4)),
            worker(2, T0 - timedelta(hours=3)),
            worker(3, T0 - timedelta(hours=2)),
            broken,
        ]
        with freeze_time(T0):
            self.pull()
        flow = self.flow
        self.assertEqual(self.messages().mapped("external_id"), ["W1", "W2"])
        self.assertEqual(flow.pull_cursor, "o2", "page 1 is safe, page 2 will be fetched again")
        self.assertFalse(flow.pull_watermark)
        self.assertEqual(flow.pull_run_started_at, T0)
        self.assertIn("Page 2 could not be queued", flow.pull_last_error)
        self.assertEqual(flow.pull_failure_count, 1)
        self.assertGreater(flow.pull_next_at, T0)
        # the source fixes the record: the pull resumes at page 2 and nothing is lost
        broken["contact"]["name"] = "Fixed"
        with freeze_time(flow.pull_next_at + timedelta(seconds=1)):
            self.pull()
        self.assertEqual(self.hris.requests[-2].query.get("cursor"), "o2")
        self.assertEqual(self.messages().mapped("external_id"), ["W1", "W2", "W3", "W4"])
        self.assertEqual(flow.pull_watermark, T0, "the watermark is the start of the whole run")
        self.assertFalse(flow.pull_last_error)
        self.assertEqual(flow.pull_failure_count, 0)

    # ------------------------------------------------------------------------------------
    # Failures
    # ------------------------------------------------------------------------------------
    def test_429_and_503_retry_after_move_the_next_pull(self):
        self.hris.items = [worker(1, T0)]
        self.hris.queue(Reply(429, headers={"Retry-After": "300"}))
        with freeze_time(T0):
            self.pull()
        self.assertEqual(self.flow.pull_next_at, T0 + timedelta(seconds=300))
        self.assertIn("HTTP 429", self.flow.pull_last_error)
        self.assertFalse(self.messages())
        with freeze_time(T0 + timedelta(seconds=200)):
            self.assertEqual(self.pull(), 0, "not before Retry-After")
        http_date = format_datetime(
            (T0 + timedelta(minutes=15)).replace(tzinfo=timezone.utc), usegmt=True
        )
        self.hris.queue(Reply(503, headers={"Retry-After": http_date}))
        with freeze_time(T0 + timedelta(seconds=300)):
            self.pull()
        self.assertEqual(self.flow.pull_next_at, T0 + timedelta(minutes=15))
        self.assertIn("HTTP 503", self.flow.pull_last_error)
        with freeze_time(T0 + timedelta(minutes=15)):
            self.pull()
        self.assertEqual(len(self.messages()), 1)
        self.assertFalse(self.flow.pull_last_error)

    def test_500_backs_off_visibly_and_alerts_when_it_persists(self):
        self.hris.items = [worker(1, T0)]
        flow = self.flow
        flow.responsible_user_id = new_test_user(
            self.env,
            login="pull_owner",
            groups="healthcare_integration_base.group_integration_user",
        )
        now = T0
        for failure in (1, 2, 3):
            self.hris.queue(Reply(500, {"error": "boom"}))
            with freeze_time(now):
                self.pull()
            ceiling = min(600, 10 * 2 ** (failure - 1))
            delay = (flow.pull_next_at - now).total_seconds()
            self.assertGreaterEqual(delay, ceiling // 2 - 1)
            self.assertLessEqual(delay, ceiling)
            self.assertEqual(flow.pull_failure_count, failure)
            self.assertIn(
                f"failure {failure}: Stand-in HRIS answered HTTP 500", flow.pull_last_error
            )
            alerts = self.Alert.search([("flow_id", "=", flow.id), ("kind", "=", "pull_failing")])
            self.assertEqual(len(alerts), 1 if failure >= 3 else 0)
            now = flow.pull_next_at
        self.assertEqual(alerts.state, "active")
        self.assertTrue(
            flow.activity_ids.filtered(lambda a: a.user_id == flow.responsible_user_id),
            "the flow's responsible is told",
        )
        with freeze_time(now):
            self.pull()
        self.assertFalse(flow.pull_last_error)
        self.assertEqual(flow.pull_failure_count, 0)
        self.assertEqual(alerts.state, "cleared")
        self.assertEqual(len(self.messages()), 1)

    def test_timeout_is_retryable(self):
        self.hris.items = [worker(1, T0)]
        self.hris.queue(Reply(200, {"items": []}, delay=SLOW_SECONDS))
        with freeze_time(T0):
            self.pull()
        self.assertIn("did not answer within", self.flow.pull_last_error)
        self.assertEqual(self.flow.pull_failure_count, 1)
        self.assertFalse(self.messages())
        with freeze_time(self.flow.pull_next_at):
            self.pull()
        self.assertEqual(len(self.messages()), 1)

    def test_malformed_pages_are_visible_and_nothing_is_lost(self):
        self.hris.items = [worker(n, T0 - timedelta(hours=n)) for n in range(1, 6)]
        self.hris.on_request(
            2, Reply(200, "<html>maintenance</html>", {"Content-Type": "text/html"})
        )
        with freeze_time(T0):
            self.pull()
        flow = self.flow
        self.assertIn("Page 2 from Stand-in HRIS is not valid JSON", flow.pull_last_error)
        self.assertEqual(len(self.messages()), 2)
        self.assertEqual(flow.pull_cursor, "o2")
        self.hris.on_request(3, Reply(200, {"data": [worker(9, T0)]}))
        with freeze_time(flow.pull_next_at):
            self.pull()
        self.assertIn(
            "unexpected shape (expected a JSON object with an 'items' list)", flow.pull_last_error
        )
        self.assertNotIn("W9", flow.pull_last_error)
        self.assertEqual(flow.pull_failure_count, 2)
        with freeze_time(flow.pull_next_at):
            self.pull()
        self.assertEqual(len(self.messages()), 5)
        self.assertFalse(flow.pull_last_error)

    def test_invalid_items_become_visible_exceptions(self):
        self.hris.items = [
            worker(1, T0 - timedelta(hours=4)),
            worker(2, T0 - timedelta(hours=3), schema_version="9.9", name="Jane Secret"),
            dict(worker(3, T0 - timedelta(hours=2)), id=None),
            worker(4, T0 - timedelta(hours=1), event_type="payment.posted"),
        ]
        with freeze_time(T0):
            self.pull()
        messages = self.messages()
        self.assertEqual(len(messages), 4, "nothing is dropped silently")
        self.assertEqual(messages.filtered(lambda m: m.state == "pending").external_id, "W1")
        invalid = messages.filtered(lambda m: m.state == "exception")
        self.assertEqual(len(invalid), 3)
        self.assertEqual(set(invalid.mapped("error_class")), {"validation"})
        exceptions = invalid.exception_ids
        self.assertEqual(len(exceptions), 3)
        self.assertEqual(set(exceptions.mapped("state")), {"open"})
        text = "\n".join(exceptions.mapped("description"))
        self.assertIn("/schema_version: unsupported schema version", text)
        self.assertIn("/: the item has no event id", text)
        self.assertIn("/event_type: this flow accepts 'contact.upsert' only", text)
        self.assertNotIn("Jane", text)
        self.assertIn(
            "1 new, 0 new version(s), 0 duplicate(s), 3 invalid", self.flow.pull_last_summary
        )
        # pulled again in the overlap window: no second message, no second exception
        with freeze_time(T0 + timedelta(minutes=15)):
            self.pull()
        self.assertEqual(len(self.messages()), 4)
        self.assertEqual(len(self.messages().exception_ids), 3)

    # ------------------------------------------------------------------------------------
    # Pull now, due flows
    # ------------------------------------------------------------------------------------
    def test_pull_now_button(self):
        manager = new_test_user(
            self.env,
            login="pull_manager",
            groups="healthcare_integration_base.group_integration_manager",
        )
        user = new_test_user(
            self.env, login="pull_user", groups="healthcare_integration_base.group_integration_user"
        )
        arch = self.flow.with_user(manager).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="action_pull_now"', arch)
        self.hris.items = [worker(1, T0)]
        cron = self.env.ref("healthcare_integration_base.ir_cron_pull")
        with freeze_time(T0):
            self.flow.pull_next_at = T0 + timedelta(minutes=10)
            self.assertEqual(self.pull(), 0, "not due yet")
            with self.assertRaises(AccessError):
                self.flow.with_user(user).action_pull_now()
            action = self.flow.with_user(manager).action_pull_now()
            self.assertEqual(action["tag"], "display_notification")
            self.assertEqual(self.flow.pull_next_at, T0)
            self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
            self.assertEqual(self.pull(), 1)
        self.assertEqual(len(self.messages()), 1)

    def test_only_due_inbound_pull_flows_are_pulled(self):
        self.hris.items = [worker(1, T0)]
        self.flow.pull_next_at = T0 + timedelta(minutes=1)
        self.make_flow("off", pull_enabled=False)
        self.make_flow(
            "out", direction="outbound", handler_model="hc.integration.handler.outbound.json"
        )
        due = self.make_flow("due")
        with freeze_time(T0):
            self.assertEqual(self.pull(), 1)
        self.assertEqual(len(self.messages(due)), 1)
        self.assertEqual(len(self.hris.requests), 1)
        self.backend.active = False
        with freeze_time(T0 + timedelta(hours=1)):
            self.assertEqual(self.pull(), 0)

    # ------------------------------------------------------------------------------------
    # Stale source
    # ------------------------------------------------------------------------------------
    def test_stale_source_alert_raised_once_and_cleared(self):
        flow = self.flow
        flow.write({"stale_source_minutes": 30, "sla_minutes": 0})
        self.hris.items = [worker(1, T0 - timedelta(minutes=1))]
        with freeze_time(T0):
            self.pull()
            self.assertEqual(flow.last_received_at, T0)
            self.Alert._cron_check_alerts()

        def stale_alerts():
            return self.Alert.search([("flow_id", "=", flow.id), ("kind", "=", "stale_source")])

        self.assertFalse(stale_alerts())
        # the source stays silent: pulls succeed but bring nothing new
        with freeze_time(T0 + timedelta(minutes=31)):
            self.pull()
            self.Alert._cron_check_alerts()
            self.Alert._cron_check_alerts()
        self.assertEqual(len(stale_alerts()), 1, "raised once")
        self.assertEqual(stale_alerts().state, "active")
        # it speaks again
        self.hris.items.append(worker(2, T0 + timedelta(minutes=40)))
        with freeze_time(T0 + timedelta(minutes=50)):
            self.pull()
            self.assertEqual(flow.last_received_at, T0 + timedelta(minutes=50))
            self.Alert._cron_check_alerts()
        self.assertEqual(stale_alerts().state, "cleared")
