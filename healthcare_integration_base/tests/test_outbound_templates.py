"""Issue 14 §4, outbound templates: an approved purchase order to the supplier and the
payment status to the revenue-cycle system, imported from the template wizard (their
automation rule comes with them) and delivered signed to a receiver on 127.0.0.1."""

import os
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .stand_ins import RECEIVER_SECRET, TEST_KEY, Reply
from .test_outbound_events import OfficialReceiver


class TemplateReceiver(OfficialReceiver):
    """Accepts any path: the templates name their own."""

    def handle(self, request):
        return Reply(200, {"received": True})


@tagged("post_install", "-at_install")
class TestOutboundTemplates(AccountTestInvoicingCommon):
    @classmethod
    def get_default_groups(cls):
        # the test user configures the flows (manager) and buys (purchase user)
        groups = super().get_default_groups()
        return (
            groups
            | cls.env.ref("healthcare_integration_base.group_integration_manager")
            | cls.env.ref("purchase.group_purchase_user")
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        key = patch.dict(os.environ, {"HC_INTEGRATION_KEY": TEST_KEY})
        key.start()
        cls.addClassCleanup(key.stop)
        cls.backend = cls.env["hc.integration.backend"].create(
            {
                "name": "Receivers",
                "code": "tpl_out",
                "backend_type": "other",
                "outbound_secret": RECEIVER_SECRET,
                "company_id": cls.env.company.id,
            }
        )
        cls.Template = cls.env["hc.integration.flow.template"]
        cls.Message = cls.env["hc.integration.message"]
        cls.payer = cls.env["res.partner"].create({"name": "Payer One", "ref": "PAYER01"})

    def setUp(self):
        super().setUp()
        self.receiver = TemplateReceiver().start()
        self.addCleanup(self.receiver.stop)
        self.backend.base_url = self.receiver.url

    def import_template(self, code):
        flow_id = self.Template._hc_import_template(self.backend.code, code)
        return self.env["hc.integration.flow"].browse(flow_id)

    def deliver(self):
        processor = self.env["hc.integration.processor"]
        while processor._cron_process_queue(direction="outbound", lane=0):
            pass

    def delivered(self, flow):
        messages = self.Message.search([("flow_id", "=", flow.id)], order="id")
        self.deliver()
        self.assertEqual(set(messages.mapped("state")), {"done"}, messages.mapped("last_error"))
        self.assertTrue(all(d["verified"] for d in self.receiver.deliveries))
        self.assertEqual(
            [d["id"] for d in self.receiver.deliveries], messages.mapped("external_id")
        )
        return [d["body"] for d in self.receiver.deliveries]

    def test_payment_status_end_to_end(self):
        flow = self.import_template("payment_status_rcm")
        self.assertEqual(flow.outbound_path, "/payments/status")
        payment = self.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.payer.id,
                "amount": 125.5,
                "journal_id": self.company_data["default_journal_bank"].id,
                "payment_reference": "EFT-778",
            }
        )
        self.assertFalse(self.Message.search([("flow_id", "=", flow.id)]), "a draft is not sent")
        payment.action_post()
        self.env.cr.flush()  # the commit's precommit hooks queue the events
        invoice = self.init_invoice("out_invoice", self.payer, amounts=[125.5], post=True)
        receivable = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        (payment.move_id.line_ids + receivable).filtered(
            lambda line: line.account_id == receivable.account_id and not line.reconciled
        ).reconcile()
        self.assertTrue(payment.is_reconciled)
        self.env.cr.flush()
        first, second = self.delivered(flow)
        self.assertEqual(first["payment"]["number"], payment.name, "posted: one event")
        self.assertEqual(self.receiver.requests[0].path, "/payments/status")
        self.assertEqual(
            set(first["payment"]),
            {
                "number",
                "trace_number",
                "payer_code",
                "payment_type",
                "amount",
                "currency",
                "date",
                "state",
                "is_reconciled",
                "is_matched",
            },
        )
        self.assertEqual(
            (first["payment"]["trace_number"], first["payment"]["payer_code"]),
            ("EFT-778", "PAYER01"),
        )
        self.assertEqual(first["payment"]["amount"], 125.5)
        self.assertIn(first["payment"]["state"], ("in_process", "paid"))
        self.assertFalse(first["payment"]["is_reconciled"])
        self.assertTrue(second["payment"]["is_reconciled"], "the status change follows")
        self.assertEqual(first["event_type"], "payment.status")

    def test_approved_purchase_order_to_the_supplier(self):
        flow = self.import_template("po_approved_supplier")
        supplier = self.env["res.partner"].create({"name": "MedSupply", "ref": "SUP-1"})
        product = self.env["product.product"].create({"name": "Gloves", "default_code": "GLV"})
        order = self.env["purchase.order"].create(
            {
                "partner_id": supplier.id,
                "order_line": [
                    (0, 0, {"product_id": product.id, "product_qty": 4, "price_unit": 3.0})
                ],
            }
        )
        order.button_confirm()
        self.env.cr.flush()
        order.partner_ref = "SO-1"  # not a new approval: nothing more is sent
        self.env.cr.flush()
        [body] = self.delivered(flow)
        self.assertEqual(self.receiver.requests[0].path, "/orders")
        self.assertEqual(
            set(body["order"]),
            {
                "number",
                "supplier_code",
                "supplier_reference",
                "approved_at",
                "currency",
                "total",
                "lines",
            },
        )
        [line] = body["order"]["lines"]
        self.assertEqual(
            (line["product_code"], line["quantity"], line["unit_price"], line["uom"]),
            ("GLV", 4.0, 3.0, product.uom_id.display_name),
        )
        self.assertTrue(line["planned_at"].endswith("Z"))

    def test_missing_app_is_refused(self):
        self.patch(type(self.Template), "_hc_missing_modules", lambda self, template: ["purchase"])
        with self.assertRaisesRegex(UserError, "needs these apps installed first: purchase"):
            self.Template._hc_import_template(self.backend.code, "po_approved_supplier")
