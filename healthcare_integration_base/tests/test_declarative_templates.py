"""Issue 14 §4: the shipped templates import once their apps are installed and apply
their events (purchase, stock, maintenance and crm are installed for the tests)."""

from odoo.exceptions import UserError

from .common import IntegrationCase

REQUIRED_APPS = ("purchase", "stock", "maintenance", "crm")


class TemplateCase(IntegrationCase):
    """Helpers of the template tests: import a template, run one of its events."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Template = cls.env["hc.integration.flow.template"]
        cls.supplier = cls.env["res.partner"].create({"name": "MedSupply", "ref": "SUP-1"})

    def setUp(self):
        super().setUp()
        missing = [app for app in REQUIRED_APPS if app not in self.env.registry._init_modules]
        if missing:  # a skip would not be a pass: install them (Makefile TEST_EXTRA_ADDONS)
            self.fail(f"the templates' apps must be installed for the tests: {missing}")

    def flow_of(self, code):
        flow_id = self.Template._hc_import_template(self.backend.code, code)
        return self.env["hc.integration.flow"].browse(flow_id)

    @staticmethod
    def event(flow, body, occurred_at="2026-01-05T10:00:00Z"):
        payload = {"event_type": flow.event_type, "schema_version": "1.0"}
        payload["occurred_at"] = occurred_at
        payload.update(body)
        return payload

    def run_event(self, flow, body, occurred_at="2026-01-05T10:00:00Z"):
        payload = self.event(flow, body, occurred_at)
        self.assertEqual(flow._validate_payload(payload), [])
        message = self.enqueue(payload, flow=flow)
        self.process()
        self.assertEqual(message.state, "done", message.last_error)
        return message

    def map_code(self, mapping_type, code, record):
        return self.Mapping.create(
            {"mapping_type": mapping_type, "external_code": code,
             "target_ref": f"{record._name},{record.id}"}
        )  # fmt: skip

    def receipt_flow(self):
        """The goods receipt template, its operation code IN mapped to the receipts."""
        flow = self.flow_of("goods_receipt")
        warehouse = self.env["stock.warehouse"].search([], limit=1)
        self.map_code("receipt_operation_type", "IN", warehouse.in_type_id)
        return flow

    def bound(self, object_type, external_id, model):
        return self.Binding._find_record(self.backend, object_type, external_id, model)


class TestDeclarativeTemplates(TemplateCase):
    def test_every_template_imports(self):
        for code, _name in self.Template._selection_template():
            with self.subTest(code):
                self.assertTrue(self.flow_of(code).declarative_version)

    def test_missing_app_is_refused(self):
        self.patch(type(self.Template), "_hc_missing_modules", lambda self, template: ["crm"])
        with self.assertRaisesRegex(UserError, "needs these apps installed first: crm"):
            self.Template._hc_import_template(self.backend.code, "crm_referral")

    def test_supplier_catalog(self):
        product = self.env["product.product"].create(
            {"name": "Syringe 5 ml", "default_code": "SYR5"}
        )
        flow = self.flow_of("supplier_catalog")
        item = {"id": "CAT-1", "supplier_ref": "SUP-1", "product_code": "SYR5",
                "vendor_product_code": " MS-55 ", "price": "0.42", "min_qty": 100,
                "lead_time_days": "7"}  # fmt: skip
        self.run_event(flow, {"item": item})
        info = self.bound("catalog_item", "CAT-1", "product.supplierinfo")
        self.assertEqual(
            (info.partner_id, info.product_tmpl_id, info.product_code, info.price, info.min_qty,
             info.delay),
            (self.supplier, product.product_tmpl_id, "MS-55", 0.42, 100, 7),
        )  # fmt: skip

    def test_po_acknowledgement_confirms_the_order(self):
        product = self.env["product.product"].create({"name": "Gloves", "default_code": "GLV"})
        order = self.env["purchase.order"].create(
            {
                "partner_id": self.supplier.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_qty": 10})],
            }
        )
        flow = self.flow_of("po_acknowledgement")
        ack = {"number": order.name, "supplier_reference": "SO-778",
               "planned_at": "2026-02-01T09:00:00Z"}  # fmt: skip
        self.run_event(flow, {"order": ack})
        self.assertEqual((order.partner_ref, order.state), ("SO-778", "purchase"))

    def test_goods_receipt_validated(self):
        product = self.env["product.product"].create(
            {"name": "Insulin", "default_code": "INS", "is_storable": True}
        )
        flow = self.receipt_flow()
        receipt = {"id": "GR-1", "operation_type": "IN", "supplier_ref": "SUP-1",
                   "lines": [{"product_code": "INS", "quantity": "24"}]}  # fmt: skip
        self.run_event(flow, {"receipt": receipt})
        picking = self.bound("goods_receipt", "GR-1", "stock.picking")
        self.assertEqual(picking.picking_type_id.code, "incoming")
        self.assertEqual(picking.move_ids.product_id, product)
        self.assertEqual(picking.move_line_ids.quantity, 24)
        self.assertEqual(product.qty_available, 24)
        self.assertEqual(picking.state, "done", "validated")

    def test_maintenance_request(self):
        flow = self.flow_of("maintenance_request")
        request = {"id": "FAC-9", "subject": " Autoclave leaking ", "kind": "Corrective",
                   "requested_on": "2026-01-05"}  # fmt: skip
        self.run_event(flow, {"request": request})
        record = self.bound("maintenance_request", "FAC-9", "maintenance.request")
        self.assertEqual(
            (record.name, record.maintenance_type, str(record.request_date)),
            ("Autoclave leaking", "corrective", "2026-01-05"),
        )

    def test_crm_referral(self):
        flow = self.flow_of("crm_referral")
        referral = {"id": "REF-3", "title": "Cardiology referral", "organisation": "North GP",
                    "contact_email": "Dr.Lee@North.example", "ssn": "000-00-0000"}  # fmt: skip
        message = self.run_event(flow, {"referral": referral})
        self.assertNotIn("ssn", message.payload["referral"])
        lead = self.bound("referral", "REF-3", "crm.lead")
        self.assertEqual(
            (lead.name, lead.partner_name, lead.email_from, lead.type),
            ("Cardiology referral", "North GP", "dr.lee@north.example", "lead"),
        )
