"""Issue 14 §3: Odoo's own events, outbound. A ``base.automation`` rule with the server
action "Send to integration flow" queues the changed record's declared fields on an
outbound flow; the delivery cron POSTs them, signed, to a real HTTP receiver on 127.0.0.1
that verifies them with the official ``standardwebhooks`` library."""

import json
from datetime import datetime, timedelta

import standardwebhooks
from freezegun import freeze_time

from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .stand_ins import RECEIVER_SECRET, ReceiverStandIn, Reply, TransportCase, unused_url

T0 = datetime(2031, 5, 5, 8, 0, 0)

#: Only these fields (and lines) may leave Odoo.
DEFINITION = {
    "code": "po_out",
    "name": "Approved orders out",
    "direction": "outbound",
    "event_type": "purchase_order.approved",
    "sync_mode": "batch",
    "outbound_path": "/hooks/odoo",
    "source_model": "purchase.order",
    "root": "order",
    "fields": {
        "name": {"key": "number"},
        "partner_id": {"key": "supplier_code", "as": "code"},
        "partner_ref": {"key": "supplier_reference"},
        "order_line": {
            "key": "lines",
            "fields": {
                "product_id": {"key": "product_code", "as": "code"},
                "product_qty": {"key": "quantity"},
                "price_unit": {"key": "unit_price"},
                "date_planned": {"key": "planned_at"},
            },
        },
    },
}


class OfficialReceiver(ReceiverStandIn):
    """The receiver stand-in, verifying with the ``standardwebhooks`` PyPI library."""

    path = "/hooks/odoo"

    def _dispatch(self, request):
        try:
            body = standardwebhooks.Webhook(self.secret).verify(request.body, request.headers)
            verified = True
        except standardwebhooks.WebhookVerificationError:
            body, verified = None, False
        with self._lock:
            self.deliveries.append(
                {"verified": verified, "id": request.header("webhook-id"), "body": body}
            )
        if not verified:
            return Reply(401, {"title": "Invalid signature"})
        return super(ReceiverStandIn, self)._dispatch(request)


class OutboundEventCase(TransportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        missing = [
            app for app in ("purchase", "stock") if app not in cls.env.registry._init_modules
        ]
        if missing:  # a skip would not be a pass (Makefile TEST_EXTRA_ADDONS installs them)
            raise AssertionError(f"purchase and stock must be installed for the tests: {missing}")
        cls.backend.write({"name": "Supplier portal", "outbound_secret": RECEIVER_SECRET})
        cls.supplier = cls.env["res.partner"].create({"name": "MedSupply", "ref": "SUP-1"})
        cls.gloves = cls.env["product.product"].create(
            {"name": "Gloves", "default_code": "GLV", "standard_price": 2.5, "type": "consu"}
        )

    def setUp(self):
        super().setUp()
        self.receiver = self.start(OfficialReceiver())
        self.backend.base_url = self.receiver.url

    def order(self, qty=10, price=2.5):
        return self.env["purchase.order"].create(
            {
                "partner_id": self.supplier.id,
                "order_line": [
                    (0, 0, {"product_id": self.gloves.id, "product_qty": qty, "price_unit": price})
                ],
            }
        )

    def deliver(self):
        """Delivery passes until nothing is due (one claim per pass in tests)."""
        sent = 0
        while done := self.Processor._cron_process_queue(direction="outbound", lane=0):
            sent += done
        return sent

    def commit_point(self):
        """What a commit runs first (precommit hooks): the record events are queued."""
        self.env.cr.flush()

    def messages(self, flow):
        return self.Message.search([("flow_id", "=", flow.id)], order="id")


@tagged("post_install", "-at_install")
class TestOutboundEvents(OutboundEventCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Flow = cls.env["hc.integration.flow"]
        cls.flow = Flow.browse(Flow.hc_import_definition(cls.backend.code, DEFINITION))
        cls.flow.write({"max_attempts": 5, "backoff_base": 10, "backoff_cap": 60})
        cls.rule = cls.env["base.automation"].create(
            {
                "name": "Confirmed orders to the supplier",
                "model_id": cls.env["ir.model"]._get_id("purchase.order"),
                "trigger": "on_write",
            }
        )
        # set after create: base.automation recomputes the domain from the trigger
        cls.rule.filter_domain = repr([("state", "=", "purchase")])
        cls.action = cls.env["ir.actions.server"].create(
            {
                "name": "Send to the supplier portal",
                "model_id": cls.rule.model_id.id,
                "base_automation_id": cls.rule.id,
                "usage": "base_automation",
                "state": "hc_integration_flow",
                "hc_flow_id": cls.flow.id,
            }
        )

    def test_confirming_an_order_sends_one_signed_post_of_the_declared_fields(self):
        order = self.order()
        self.assertFalse(self.messages(self.flow), "a draft order matches no rule")
        order.button_confirm()
        self.assertFalse(self.messages(self.flow), "queued when the transaction commits")
        self.commit_point()
        [message] = self.messages(self.flow)
        self.assertEqual(self.deliver(), 1)
        self.assertEqual(message.state, "done", message.last_error)
        [delivery] = self.receiver.deliveries
        self.assertTrue(delivery["verified"], "standardwebhooks.Webhook.verify accepts it")
        self.assertEqual(delivery["id"], message.external_id)
        body = delivery["body"]
        self.assertEqual(
            set(body), {"event_type", "schema_version", "occurred_at", "order"}, "envelope"
        )
        self.assertEqual(body["event_type"], "purchase_order.approved")
        self.assertEqual(
            set(body["order"]), {"number", "supplier_code", "supplier_reference", "lines"}
        )
        self.assertEqual(
            (body["order"]["number"], body["order"]["supplier_code"]), (order.name, "SUP-1")
        )
        [line] = body["order"]["lines"]
        planned = order.order_line.date_planned.strftime("%Y-%m-%dT%H:%M:%SZ")
        self.assertEqual(
            line,
            {"product_code": "GLV", "quantity": 10.0, "unit_price": 2.5, "planned_at": planned},
        )
        self.assertTrue(
            self.env["hc.integration.audit"].search_count(
                [("action", "=", "message.record_event"), ("message_id", "=", message.id)]
            ),
            "the enqueue is audited",
        )

    def test_the_same_change_run_twice_is_sent_once(self):
        order = self.order()
        order.button_confirm()
        self.commit_point()
        # the automation replayed on the same change: the rule's action runs again
        self.action.with_context(
            active_model="purchase.order", active_id=order.id, active_ids=order.ids
        ).run()
        order.write({"state": "purchase"})  # the rule fires again, nothing changed
        self.commit_point()
        self.assertEqual(len(self.messages(self.flow)), 1)
        self.deliver()
        self.assertEqual(len(self.receiver.deliveries), 1)

    def test_two_changes_of_one_record_arrive_in_order(self):
        with freeze_time(T0) as frozen:
            order = self.order()
            order.button_confirm()
            self.commit_point()
            order.partner_ref = "SO-778"  # a second change of the confirmed order
            self.commit_point()
            first, second = self.messages(self.flow)
            self.assertEqual(first.ordering_key, second.ordering_key)
            self.receiver.queue(Reply(503))
            self.deliver()
            self.assertEqual((first.state, second.state), ("retry", "pending"))
            self.assertEqual(len(self.receiver.deliveries), 1, "the second waits for the first")
            frozen.tick(timedelta(minutes=2))
            self.deliver()
        self.assertEqual((first.state, second.state), ("done", "done"))
        ids = [delivery["id"] for delivery in self.receiver.deliveries]
        self.assertEqual(ids, [first.external_id, first.external_id, second.external_id])
        references = [d["body"]["order"]["supplier_reference"] for d in self.receiver.deliveries]
        self.assertEqual(references[1:], [None, "SO-778"])

    def test_destination_down_retries_then_opens_the_circuit(self):
        self.flow.write({"circuit_threshold": 2, "circuit_cooldown_minutes": 10})
        with freeze_time(T0) as frozen:
            self.backend.base_url = unused_url()
            order = self.order()
            order.button_confirm()
            self.commit_point()
            [message] = self.messages(self.flow)
            self.deliver()
            self.assertEqual((message.state, message.attempts), ("retry", 1))
            self.assertEqual(self.flow.circuit_state, "closed")
            frozen.tick(timedelta(minutes=2))
            self.deliver()
            self.assertEqual((message.state, message.attempts), ("retry", 2))
            self.assertEqual((self.flow.circuit_state, self.flow.paused), ("open", True))
            self.backend.base_url = self.receiver.url
            frozen.tick(timedelta(minutes=5))
            self.deliver()
            self.assertFalse(self.receiver.deliveries, "nothing is sent while cooling down")
            frozen.tick(timedelta(minutes=6))
            self.deliver()
        self.assertEqual(message.state, "done")
        self.assertEqual(self.flow.circuit_state, "closed")
        self.assertEqual(len(self.receiver.deliveries), 1)
        self.assertTrue(self.receiver.deliveries[0]["verified"])

    def test_a_buyer_without_integration_rights_triggers_it(self):
        buyer = new_test_user(self.env, "hc_events_buyer", groups="purchase.group_purchase_user")
        order = self.order().with_user(buyer)
        self.assertFalse(self.Message.with_user(buyer).has_access("read"))
        order.button_confirm()
        self.commit_point()
        [message] = self.messages(self.flow)
        audit = self.env["hc.integration.audit"].search(
            [("action", "=", "message.record_event"), ("message_id", "=", message.id)]
        )
        self.assertEqual(audit.user_id, buyer, "audited as the user whose change it was")
        self.deliver()
        self.assertEqual(message.state, "done")

    def test_archived_flow_queues_nothing(self):
        self.flow.active = False
        self.order().button_confirm()
        self.commit_point()
        self.assertFalse(self.messages(self.flow))

    def test_a_change_rolled_back_is_not_sent(self):
        order = self.order()
        with self.assertRaises(ValueError), self.env.cr.savepoint():
            order.button_confirm()
            raise ValueError("the caller fails after the change")
        self.assertEqual(order.state, "draft")
        self.commit_point()
        self.assertFalse(self.messages(self.flow))


@tagged("post_install", "-at_install")
class TestOutboundEventDefinitions(OutboundEventCase):
    def import_definition(self, **changes):
        definition = json.loads(json.dumps(DEFINITION))
        definition.update(changes)
        Flow = self.env["hc.integration.flow"]
        return Flow.browse(Flow.hc_import_definition(self.backend.code, definition))

    def test_refused_definitions(self):
        cases = {
            "has no field 'nope'": {"fields": {"nope": {}}},
            "group-restricted field": {"fields": {"activity_summary": {}}},
            "may not be published": {"source_model": "res.users", "fields": {"login": {}}},
            "has no code field": {"fields": {"currency_id": {"as": "code"}}},
            "'as' must be one of": {"fields": {"partner_id": {"as": "email"}}},
            "not a valid domain": {"trigger": {"domain": [["nope", "=", 1]]}},
            "trigger: 'on' must be one of": {"trigger": {"on": "on_change"}},
            "unknown key(s) extra": {"extra": 1},
        }
        for match, changes in cases.items():
            with (
                self.subTest(match),
                self.assertRaisesRegex(UserError, match.replace("(", r"\(").replace(")", r"\)")),
            ):
                self.import_definition(**changes)
        self.assertFalse(self.env["hc.integration.flow"].search([("code", "=", "po_out")]))

    def test_import_with_a_trigger_creates_and_updates_the_automation_rule(self):
        trigger = {
            "on": "on_create_or_write",
            "domain": [["state", "=", "purchase"]],
            "before_domain": [["state", "!=", "purchase"]],
            "fields": ["state"],
        }
        flow = self.import_definition(trigger=trigger)
        self.assertEqual((flow.direction, flow.outbound_path), ("outbound", "/hooks/odoo"))
        rule = flow._hc_automation_action().base_automation_id
        self.assertEqual(rule.trigger, "on_create_or_write")
        self.assertEqual(rule.trigger_field_ids.mapped("name"), ["state"])
        self.assertEqual(rule.action_server_ids.state, "hc_integration_flow")
        order = self.order()
        order.button_confirm()
        self.commit_point()
        order.partner_ref = "SO-1"  # not a transition to purchase: no event
        self.commit_point()
        self.assertEqual(len(self.messages(flow)), 1)
        trigger["before_domain"] = []
        version = flow.declarative_version
        same = self.import_definition(trigger=trigger)
        self.assertEqual((same, same._hc_automation_action().base_automation_id), (flow, rule))
        self.assertFalse(rule.filter_pre_domain)
        self.assertEqual(flow.declarative_version, version + 1, "versioned")
        stored = json.loads(flow.declarative_definition)
        stored["trigger"]["domain"] = [["state", "in", ["purchase", "done"]]]
        flow.declarative_definition = json.dumps(stored)  # edited in the flow form
        self.assertEqual(rule.filter_domain, "[['state', 'in', ['purchase', 'done']]]")
        trigger = stored["trigger"]
        exported = flow.hc_export_definition()
        self.assertEqual((exported["direction"], exported["trigger"]), ("outbound", trigger))

    def test_action_must_name_a_flow_publishing_its_model(self):
        flow = self.import_definition()
        with self.assertRaisesRegex(ValidationError, "does not publish res.partner"):
            self.env["ir.actions.server"].create(
                {
                    "name": "Wrong model",
                    "model_id": self.env["ir.model"]._get_id("res.partner"),
                    "state": "hc_integration_flow",
                    "hc_flow_id": flow.id,
                }
            )
