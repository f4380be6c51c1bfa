from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.healthcare_integration_base.tools.tracecontext import (
    make_traceparent,
    new_trace_id,
    parse_traceparent,
)

from .stand_ins import RECEIVER_SECRET, ReceiverStandIn, Reply, TransportCase, problem, unused_url

T0 = datetime(2031, 3, 3, 8, 0, 0)


@tagged("post_install", "-at_install")
class TestOutbound(TransportCase):
    def setUp(self):
        super().setUp()
        self.receiver = self.start(ReceiverStandIn())
        self.backend.write(
            {
                "name": "Stand-in payroll",
                "base_url": self.receiver.url,
                "outbound_secret": RECEIVER_SECRET,
            }
        )
        self.flow = self.env["hc.integration.flow"].create(
            {
                "name": "Labour allocation",
                "code": "labour_allocation",
                "backend_id": self.backend.id,
                "direction": "outbound",
                "handler_model": "hc.integration.handler.outbound.json",
                "sync_mode": "batch",
                "outbound_path": "/hooks/payroll",
                "max_attempts": 5,
                "backoff_base": 10,
                "backoff_cap": 60,
                "circuit_threshold": 3,
                "circuit_cooldown_minutes": 10,
            }
        )

    def enqueue(self, number=1, flow=None, **kwargs):
        payload = {
            "event_type": "labour.allocation",
            "schema_version": "1.0",
            "period": "2031-02",
            "lines": [{"cost_center": "CC-4410", "hours": 152.5 + number}],
        }
        message, status = self.Message._hc_enqueue(
            flow or self.flow, payload, external_id=f"alloc-{number}", **kwargs
        )
        self.assertEqual(status, "created")
        return message

    def deliver(self):
        return self.Processor._cron_process_queue(direction="outbound", lane=0)

    def later(self, frozen, minutes=2):
        """Past any retry delay of the flow (backoff cap 60 s)."""
        frozen.tick(timedelta(minutes=minutes))

    # ------------------------------------------------------------------------------------
    def test_delivered_signed_with_trace_context(self):
        trace_id = new_trace_id()
        traceparent = make_traceparent(trace_id)
        with freeze_time(T0):
            message = self.enqueue(traceparent=traceparent)
            self.assertEqual(self.deliver(), 1)
        self.assertEqual(message.state, "done")
        [delivery] = self.receiver.deliveries
        self.assertTrue(delivery["verified"], "standard_webhooks.verify accepts the signature")
        self.assertEqual(delivery["id"], "alloc-1")
        self.assertEqual(delivery["body"], message.payload)
        self.assertEqual(delivery["body"]["lines"][0]["hours"], 153.5, "posted as queued")
        self.assertEqual(delivery["content_type"], "application/json")
        sent_trace, sent_span = parse_traceparent(delivery["traceparent"])
        self.assertEqual(sent_trace, trace_id)
        self.assertNotEqual(sent_span, parse_traceparent(traceparent)[1], "a new span")
        self.assertTrue(
            self.env["hc.integration.audit"].search_count(
                [("action", "=", "message.delivered"), ("message_id", "=", message.id)]
            )
        )

    def test_wrong_secret_is_refused_by_the_receiver(self):
        self.receiver.secret = "whsec_" + "QUJD" * 8
        with freeze_time(T0):
            message = self.enqueue()
            self.deliver()
        self.assertFalse(self.receiver.deliveries[0]["verified"])
        self.assertEqual(message.state, "exception", "401: the receiver refused it")
        self.assertIn("HTTP 401", message.last_error)

    def test_retried_on_5xx_429_and_network_errors(self):
        with freeze_time(T0) as frozen:
            message = self.enqueue()
            self.receiver.queue(Reply(502))
            self.deliver()
            self.assertEqual((message.state, message.attempts), ("retry", 1))
            self.assertIn("HTTP 502", message.last_error)
            self.later(frozen)
            self.receiver.queue(Reply(429, headers={"Retry-After": "240"}))
            self.deliver()
            self.assertEqual(message.state, "retry")
            self.assertEqual(message.next_attempt_at, T0 + timedelta(minutes=2, seconds=240))
            self.later(frozen, minutes=6)
            url = self.backend.base_url
            self.backend.base_url = unused_url()
            self.deliver()
            self.assertEqual((message.state, message.attempts), ("retry", 3))
            self.assertIn("could not be reached", message.last_error)
            self.backend.base_url = url
            self.later(frozen)
            self.deliver()
        self.assertEqual(message.state, "done")
        self.assertEqual(len(self.receiver.deliveries), 3)
        self.assertEqual({d["id"] for d in self.receiver.deliveries}, {"alloc-1"}, "same id")
        self.assertEqual(self.flow.circuit_state, "closed")
        self.assertEqual(self.flow.circuit_failure_count, 0)

    def test_4xx_is_an_exception_without_the_body(self):
        rejection = problem(422, "Unknown cost centre")
        rejection.body["detail"] = "Jane Doe has no contract in CC-4410"
        self.receiver.queue(rejection)
        with freeze_time(T0):
            message = self.enqueue()
            self.deliver()
        self.assertEqual(message.state, "exception")
        self.assertEqual(message.error_class, "validation")
        [exception] = message.exception_ids
        self.assertIn("HTTP 422", exception.description)
        self.assertIn("Unknown cost centre", exception.description)
        self.assertNotIn("Jane", exception.description)
        self.assertFalse(self.flow.paused)
        self.assertEqual(self.flow.circuit_failure_count, 0)

    def test_410_pauses_the_flow_and_opens_an_exception(self):
        self.receiver.queue(Reply(410))
        with freeze_time(T0) as frozen:
            first = self.enqueue(1)
            second = self.enqueue(2)
            self.deliver()
            self.assertEqual(first.state, "exception")
            self.assertIn("HTTP 410", first.exception_ids.description)
            self.assertTrue(self.flow.paused)
            self.assertIn("410 Gone", self.flow.paused_reason)
            self.assertEqual(self.flow.circuit_state, "closed", "not resumed automatically")
            self.assertEqual((second.state, second.attempts), ("retry", 0), "not sent")
            self.assertEqual(len(self.receiver.deliveries), 1)
            self.later(frozen, minutes=60)
            self.deliver()
            self.assertEqual(second.state, "retry", "a paused flow is not claimed")
            self.flow.action_resume()
            self.deliver()
        self.assertEqual(second.state, "done")

    def test_circuit_breaker_opens_and_resumes_after_cool_down(self):
        self.flow.responsible_user_id = self.env.user
        with freeze_time(T0) as frozen:
            messages = self.enqueue(1) | self.enqueue(2) | self.enqueue(3) | self.enqueue(4)
            self.receiver.queue(Reply(500), Reply(503), Reply(500))
            self.deliver()
            flow = self.flow
            self.assertTrue(flow.paused)
            self.assertEqual(flow.circuit_state, "open")
            self.assertEqual(flow.circuit_failure_count, 3)
            self.assertEqual(flow.circuit_open_until, T0 + timedelta(minutes=10))
            self.assertEqual(len(self.receiver.deliveries), 3, "the 4th was not sent")
            self.assertEqual(messages[3].attempts, 0)
            alert = self.Alert.search([("flow_id", "=", flow.id), ("kind", "=", "circuit_open")])
            self.assertEqual(alert.state, "active")
            cron = self.env.ref("healthcare_integration_base.ir_cron_deliver_outbound")
            self.assertTrue(
                self.env["ir.cron.trigger"].search(
                    [("cron_id", "=", cron.id), ("call_at", "=", flow.circuit_open_until)]
                ),
                "the delivery cron wakes up at the end of the cool-down",
            )
            # still cooling down: nothing is sent
            frozen.tick(timedelta(minutes=5))
            self.deliver()
            self.assertEqual(len(self.receiver.deliveries), 3)
            # the trial delivery fails: open again at once
            frozen.tick(timedelta(minutes=6))
            self.receiver.queue(Reply(504))
            self.deliver()
            self.assertEqual(len(self.receiver.deliveries), 4, "one trial only")
            self.assertEqual(flow.circuit_state, "open")
            self.assertEqual(flow.circuit_open_until, T0 + timedelta(minutes=21))
            self.assertEqual(alert.state, "active")
            # the receiver is back after the next cool-down
            frozen.tick(timedelta(minutes=11))
            self.deliver()
        self.assertEqual(set(messages.mapped("state")), {"done"})
        self.assertFalse(flow.paused)
        self.assertEqual((flow.circuit_state, flow.circuit_failure_count), ("closed", 0))
        self.assertEqual(alert.state, "cleared")
        self.assertEqual(len(self.receiver.deliveries), 8)

    def test_person_pause_is_not_lifted_by_the_cool_down(self):
        with freeze_time(T0) as frozen:
            self.enqueue(1)
            self.receiver.queue(Reply(500), Reply(500), Reply(500))
            self.enqueue(2)
            self.enqueue(3)
            self.deliver()
            self.assertEqual(self.flow.circuit_state, "open")
            self.flow.action_pause()
            frozen.tick(timedelta(minutes=30))
            self.deliver()
            self.assertTrue(self.flow.paused)
            self.assertEqual(len(self.receiver.deliveries), 3)
            self.flow.action_resume()
            self.assertEqual(
                (self.flow.circuit_state, self.flow.circuit_failure_count), ("closed", 0)
            )

    def test_missing_outbound_secret(self):
        self.backend._hc_clear_secret("outbound_secret")
        with freeze_time(T0):
            message = self.enqueue()
            self.deliver()
        self.assertEqual(message.state, "exception")
        self.assertIn("no outbound signing secret", message.last_error)
        self.assertFalse(self.receiver.requests)

    def test_delivery_cron_is_not_a_processing_lane(self):
        cron = self.env.ref("healthcare_integration_base.ir_cron_deliver_outbound")
        self.assertIn('direction="outbound"', cron.code)
        self.assertNotIn(cron, self.Processor._lane_crons())
        self.Processor._sync_lanes(1)
        self.Processor._sync_lanes(3)
        self.assertTrue(cron.active)
        self.assertNotIn(cron, self.Processor._lane_crons())

    def test_realtime_outbound_wakes_the_delivery_cron(self):
        cron = self.env.ref("healthcare_integration_base.ir_cron_deliver_outbound")
        triggers = self.env["ir.cron.trigger"]
        self.flow.sync_mode = "realtime"
        before = triggers.search_count([("cron_id", "=", cron.id)])
        self.enqueue()
        self.assertEqual(triggers.search_count([("cron_id", "=", cron.id)]), before + 1)
        self.flow.sync_mode = "batch"
        self.enqueue(2)
        self.assertEqual(triggers.search_count([("cron_id", "=", cron.id)]), before + 1)

    def test_abstract_outbound_base_is_not_offered_as_handler(self):
        handlers = dict(self.env["hc.integration.flow"]._selection_handler_model())
        self.assertIn("hc.integration.handler.outbound.json", handlers)
        self.assertNotIn("hc.integration.handler.outbound", handlers)
