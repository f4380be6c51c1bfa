"""Issue 14 §4: the inbound templates that move stock — a goods receipt with lots and
expiry dates, validated (a refused validation leaves nothing applied), a procedure
completed (supplies consumed from the department's location, a charge as an analytic
line) — and the PO acknowledgement whose lines are matched on update."""

from odoo.exceptions import UserError

from .test_declarative_templates import TemplateCase


class TestDeclarativeTemplatesStock(TemplateCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        product = cls.env["product.product"]
        cls.insulin = product.create(
            {"name": "Insulin vial", "default_code": "INS-10", "is_storable": True,
             "tracking": "lot", "use_expiration_date": True}
        )  # fmt: skip
        cls.gauze = product.create({"name": "Gauze", "default_code": "GZ", "is_storable": True})
        cls.gloves = product.create({"name": "Gloves", "default_code": "GLV-M"})

    # goods receipt ------------------------------------------------------------------------
    def receipt(self, lines, receipt_id="GR-7"):
        return {"receipt": {"id": receipt_id, "operation_type": "IN", "supplier_ref": "SUP-1",
                            "lines": lines}}  # fmt: skip

    def test_goods_receipt_lots_and_expiry_validated(self):
        flow = self.receipt_flow()
        lots = [
            {"product_code": "INS-10", "lot": "LOT-A", "quantity": "20",
             "expires_on": "2027-06-30T00:00:00Z"},
            {"product_code": "INS-10", "lot": "LOT-B", "quantity": 10,
             "expires_on": "2027-09-30T00:00:00Z"},
        ]  # fmt: skip
        self.run_event(flow, self.receipt(lots))
        picking = self.bound("goods_receipt", "GR-7", "stock.picking")
        self.assertEqual(picking.state, "done")
        lines = picking.move_line_ids.sorted("lot_name")
        self.assertEqual(lines.lot_id.mapped("name"), ["LOT-A", "LOT-B"])
        self.assertEqual(
            [str(lot.expiration_date) for lot in lines.lot_id],
            ["2027-06-30 00:00:00", "2027-09-30 00:00:00"],
        )
        self.assertEqual(self.insulin.qty_available, 30)

    def test_refused_validation_applies_nothing(self):
        flow = self.receipt_flow()
        pickings = self.env["stock.picking"].search_count([])
        # a lot-tracked product without its lot: Odoo refuses the validation
        message = self.enqueue(
            self.event(flow, self.receipt([{"product_code": "INS-10", "quantity": 3}], "GR-8")),
            flow=flow,
        )
        self.process()
        self.assertEqual(message.state, "exception")
        self.assertIn("button_validate on", message.last_error)
        self.assertIn("nothing was applied", message.last_error)
        self.assertEqual(self.env["stock.picking"].search_count([]), pickings)
        self.assertFalse(self.Binding._find_binding(self.backend, "goods_receipt", "GR-8"))
        self.assertEqual(self.insulin.qty_available, 0)

    def test_backorder_decision_is_an_exception(self):
        icu, _account = self.department()
        definition = self.Template._hc_template_definition("procedure_completed")
        definition.update(code="partial_use", also=[])
        definition["fields"]["move_ids"]["fields"]["quantity"]["path"] = "used"
        flow = self.env["hc.integration.flow"].browse(
            self.env["hc.integration.flow"].hc_import_definition(self.backend.code, definition)
        )
        self.map_code("department_stock_location", "ICU", icu)
        self.map_consumption_type()
        body = self.procedure()
        body["procedure"]["supplies"] = [{"product_code": "GZ", "quantity": 4, "used": 1}]
        message = self.enqueue(self.event(flow, body), flow=flow)
        self.process()
        self.assertEqual(message.state, "exception")
        self.assertIn("needs a decision in Odoo", message.last_error)
        self.assertFalse(self.Binding._find_binding(self.backend, "procedure_supplies", "PROC-1"))
        self.assertEqual(self.gauze.with_context(location=icu.id).qty_available, 10)

    def test_expiry_left_out_without_product_expiry(self):
        def missing(template_wizard, template):
            return [m for m in template.get("requires") or [] if m == "product_expiry"]

        self.patch(type(self.Template), "_hc_missing_modules", missing)
        flow = self.flow_of("goods_receipt")
        self.assertNotIn("expiration_date", flow.declarative_definition)
        self.assertNotIn("expires_on", " ".join(flow._get_allowlist()))
        note = self.env["mail.message"].search(
            [("model", "=", flow._name), ("res_id", "=", flow.id)], limit=1
        )
        self.assertIn("expiration_date (product_expiry)", note.body)

    # procedure completed ------------------------------------------------------------------
    def procedure(self, procedure_id="PROC-1", department="ICU"):
        return {"procedure": {
            "id": procedure_id, "code": "Central line insertion", "department_code": department,
            "cost_center": "CC-ICU", "performed_at": "2026-01-05T09:30:00Z",
            "charge_amount": "850.00",
            "supplies": [{"product_code": "GZ", "quantity": 4},
                         {"product_code": "GLV-M", "quantity": "2"}],
        }}  # fmt: skip

    def department(self):
        """The ICU's stock location (10 gauze on hand) and analytic account."""
        warehouse = self.env["stock.warehouse"].search([], limit=1)
        icu = self.env["stock.location"].create(
            {"name": "ICU", "location_id": warehouse.lot_stock_id.id}
        )
        self.env["stock.quant"]._update_available_quantity(self.gauze, icu, 10)
        plan = self.env["account.analytic.plan"].create({"name": "Departments"})
        account = self.env["account.analytic.account"].create(
            {"name": "ICU", "code": "CC-ICU", "plan_id": plan.id}
        )
        return icu, account

    def map_consumption_type(self):
        warehouse = self.env["stock.warehouse"].search([], limit=1)
        self.map_code("department_consumption_type", "ICU", warehouse.out_type_id)

    def test_procedure_completed_consumes_supplies_and_captures_the_charge(self):
        icu, account = self.department()
        flow = self.flow_of("procedure_completed")
        self.map_consumption_type()
        preview = flow._hc_preview(self.event(flow, self.procedure()))
        self.assertIn("No mapping yet for department_stock_location 'ICU'", preview["errors"][0])
        # the department code has no stock location yet: a pending row of the flow's type
        message = self.enqueue(self.event(flow, self.procedure()), flow=flow)
        self.process()
        self.assertEqual(message.state, "exception")
        pending = self.Mapping.search(
            [("mapping_type", "=", "department_stock_location"), ("external_code", "=", "ICU")]
        )
        self.assertEqual(pending.state, "pending")
        pending.target_ref = icu
        self.assertEqual(message.state, "pending", "mapping the code re-queued the message")
        self.process()
        self.assertEqual(message.state, "done", message.last_error)
        preview = flow._hc_preview(self.event(flow, self.procedure("PROC-2")))
        self.assertEqual(preview["errors"], [])
        self.assertEqual(preview["also"][0]["values"]["amount"], 850.0)
        self.assertFalse(self.bound("procedure_charge", "PROC-2", "account.analytic.line"))
        picking = self.bound("procedure_supplies", "PROC-1", "stock.picking")
        self.assertEqual(picking.state, "done")
        self.assertEqual(picking.location_id, icu)
        self.assertEqual(picking.location_dest_id.usage, "customer")
        self.assertEqual(
            sorted(picking.move_ids.mapped(lambda m: (m.product_id.default_code, m.quantity))),
            [("GLV-M", 2.0), ("GZ", 4.0)],
        )
        self.assertEqual(self.gauze.with_context(location=icu.id).qty_available, 6)
        charge = self.bound("procedure_charge", "PROC-1", "account.analytic.line")
        self.assertEqual(
            (charge.account_id, charge.amount, str(charge.date), charge.name),
            (account, 850.0, "2026-01-05", "Central line insertion"),
        )
        self.assertEqual(
            set(message.link_ids.mapped("res_model")), {"stock.picking", "account.analytic.line"}
        )

    # PO acknowledgement -------------------------------------------------------------------
    def test_po_acknowledgement_lines_matched_on_update(self):
        syringe = self.env["product.product"].create({"name": "Syringe", "default_code": "SYR"})
        order = self.env["purchase.order"].create(
            {"partner_id": self.supplier.id, "order_line": [
                (0, 0, {"product_id": self.gloves.id, "product_qty": 10}),
                (0, 0, {"product_id": syringe.id, "product_qty": 50}),
            ]}
        )  # fmt: skip
        gloves_line = order.order_line.filtered(lambda line: line.product_id == self.gloves)
        flow = self.flow_of("po_acknowledgement")
        ack = {"number": order.name, "supplier_reference": "SO-1", "planned_at": "2026-02-01",
               "lines": [{"product_code": "GLV-M", "quantity_confirmed": 8,
                          "planned_at": "2026-02-03T08:00:00Z"},
                         {"product_code": "SYR", "quantity_confirmed": "50"}]}  # fmt: skip
        self.run_event(flow, {"order": ack})
        self.assertEqual(order.state, "purchase")
        self.assertIn(gloves_line, order.order_line, "the line was updated, not replaced")
        self.assertEqual(gloves_line.product_qty, 8)
        self.assertEqual(str(gloves_line.date_planned), "2026-02-03 08:00:00")
        # the same acknowledgement again, then one without the syringes
        self.run_event(flow, {"order": ack})
        self.assertEqual(len(order.order_line), 2, "no duplicated lines")
        self.assertEqual(
            sorted(order.order_line.mapped(lambda line: (line.product_id.default_code,
                                                         line.product_qty))),
            [("GLV-M", 8.0), ("SYR", 50.0)],
        )  # fmt: skip

    def test_po_acknowledgement_removes_lines_no_longer_sent(self):
        syringe = self.env["product.product"].create({"name": "Syringe", "default_code": "SYR"})
        order = self.env["purchase.order"].create(
            {"partner_id": self.supplier.id, "order_line": [
                (0, 0, {"product_id": self.gloves.id, "product_qty": 10}),
                (0, 0, {"product_id": syringe.id, "product_qty": 50}),
            ]}
        )  # fmt: skip
        definition = self.Template._hc_template_definition("po_acknowledgement")
        definition["post_actions"] = []  # stays an RFQ: its lines may still be removed
        flow = self.env["hc.integration.flow"].browse(
            self.env["hc.integration.flow"].hc_import_definition(self.backend.code, definition)
        )
        ack = {"number": order.name, "lines": [{"product_code": "GLV-M",
                                                "quantity_confirmed": 12}]}  # fmt: skip
        self.run_event(flow, {"order": ack})
        self.assertEqual(order.order_line.product_id, self.gloves)
        self.assertEqual(order.order_line.product_qty, 12)
        # declared policy "keep": the lines not sent stay
        definition["fields"]["order_line"]["missing"] = "keep"
        self.env["hc.integration.flow"].hc_import_definition(self.backend.code, definition)
        ack["lines"] = [{"product_code": "SYR", "quantity_confirmed": 5}]
        self.run_event(flow, {"order": ack})
        self.assertEqual(
            sorted(order.order_line.mapped("product_id.default_code")), ["GLV-M", "SYR"]
        )

    def test_also_records_are_checked_like_the_main_one(self):
        definition = self.Template._hc_template_definition("procedure_completed")
        definition["also"][0]["target_model"] = "res.users"
        with self.assertRaisesRegex(UserError, "also\\[0\\].the model 'res.users' may not"):
            self.env["hc.integration.flow"].hc_import_definition(self.backend.code, definition)
        definition["also"] = [
            {
                "target_model": "account.analytic.line",
                "fields": {"name": {"path": "procedure.code"}, "nope": {"path": "procedure.x"}},
                "extra": 1,
            }
        ]
        with self.assertRaisesRegex(UserError, "also\\[0\\]: needs target_model and fields"):
            self.env["hc.integration.flow"].hc_import_definition(self.backend.code, definition)
        del definition["also"][0]["extra"]
        with self.assertRaisesRegex(UserError, "account.analytic.line has no field 'nope'"):
            self.env["hc.integration.flow"].hc_import_definition(self.backend.code, definition)
        flow = self.flow_of("procedure_completed")
        self.assertIn("procedure.charge_amount", flow._get_allowlist())
        schema = flow._get_handler()._hc_schemas(flow, ["1.0"])[0]
        charge = schema["properties"]["procedure"]["properties"]["charge_amount"]
        self.assertEqual(charge["type"], ["number", "string"])

    def test_missing_policy_needs_a_key(self):
        definition = self.Template._hc_template_definition("po_acknowledgement")
        del definition["fields"]["order_line"]["key"]
        with self.assertRaisesRegex(UserError, "'missing' \\(remove or keep\\) needs a 'key'"):
            self.env["hc.integration.flow"].hc_import_definition(self.backend.code, definition)
        definition["fields"]["order_line"]["key"] = "price_unit"
        with self.assertRaisesRegex(UserError, "the key 'price_unit' must be one of the line"):
            self.env["hc.integration.flow"].hc_import_definition(self.backend.code, definition)
