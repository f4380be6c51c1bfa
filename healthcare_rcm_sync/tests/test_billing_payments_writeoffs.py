"""billing.summary, payment.posted and writeoff events into accounting."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import RcmCase


@tagged("post_install", "-at_install")
class TestBillingSummary(RcmCase):
    def summary(
        self,
        batch_id="B-2026-03-01-MAIN",
        lab=("1000.00", "200.00"),
        rad=(500, 100),
        payers=(None, None),
    ):
        lines = []
        for code, (gross, contractual), payer in zip(
            ("LAB", "RAD"), (lab, rad), payers, strict=True
        ):
            line = {
                "service_line_code": code,
                "gross_charges": gross,
                "contractual_adjustments": contractual,
            }
            if payer:
                line["payer_code"] = payer
            lines.append(line)
        return {
            "batch_id": batch_id,
            "facility_code": "MAIN",
            "service_date": "2026-03-01",
            "currency": self.company.currency_id.name,
            "lines": lines,
            "control_total": str(float(lab[0]) + float(rad[0])),
        }

    def batch(self, batch_id="B-2026-03-01-MAIN"):
        return self.env["hc.rcm.billing.batch"].search(
            [("batch_id", "=", batch_id), ("state", "=", "posted")]
        )

    def test_one_balanced_entry_per_batch(self):
        """Schema 1.0 has no payer: every line is self-pay, gross to the patient
        receivable; the contractual estimate is kept on the batch, not posted."""
        message, _status = self.event("billing_summary", self.summary())
        self.assertEqual(message.state, "done")
        batch = self.batch()
        self.assertEqual(
            (batch.gross_total, batch.contractual_total, batch.net_total), (1500, 300, 1200)
        )
        self.assertEqual(batch.analytic_account_id, self.facility_main)
        move = batch.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(str(move.date), "2026-03-01")
        self.assertEqual(move.journal_id, self.settings["journal"])
        self.assert_balances(
            move,
            {
                self.revenue_lab: -1000.0,
                self.revenue_rad: -500.0,
                self.settings["patient_receivable"]: 1500.0,
            },
        )
        distribution = {str(self.facility_main.id): 100.0}
        for line in move.line_ids:
            if line.account_id in (self.revenue_lab, self.revenue_rad):
                self.assertEqual(line.analytic_distribution, distribution)
        self.assertTrue(move.line_ids.analytic_line_ids, "analytic items per facility")
        self.assertEqual(move.hc_rcm_billing_batch_id, batch)
        self.assertEqual(move.action_view_hc_rcm_source()["res_id"], batch.id)

    def test_payer_lines_debit_the_payers_receivable(self):
        """Schema 1.1: gross charges to the payer's receivable (partner = payer), self-pay
        lines to the patient receivable; at-remittance policy posts no allowance."""
        body = self.summary(payers=("PAYER01", None))
        message, _status = self.event("billing_summary", body, schema_version="1.1")
        self.assertEqual(message.state, "done")
        batch = self.batch()
        self.assertEqual(batch.line_ids.mapped("payer_id"), self.payer1)
        receivable, patient = (
            self.settings["insurance_receivable"],
            self.settings["patient_receivable"],
        )
        self.assertEqual(
            self.ledger([("account_id", "in", (receivable | patient).ids)]),
            {
                (receivable, self.payer1): 1000.0,
                (patient, self.env["res.partner"]): 500.0,
            },
        )
        self.assertFalse(
            batch.move_id.line_ids.filtered(
                lambda line: line.account_id == self.settings["allowance"]
            )
        )
        # 1.0 does not know payer_code: the contract refuses it there
        flow = self.flows["billing_summary"]
        errors = flow._validate_payload(
            dict(
                body,
                event_type="billing.summary",
                schema_version="1.0",
                occurred_at="2026-03-01T23:00:00Z",
            )
        )
        self.assertFalse(errors, "unknown fields are dropped by the allow-list, not refused")

    def test_ignored_payer_stops_the_batch(self):
        mapping = self.env["hc.integration.mapping"].search(
            [
                ("backend_id", "=", self.billing.id),
                ("mapping_type", "=", "payer"),
                ("external_code", "=", "PAYER02"),
            ]
        )
        mapping.action_ignore()
        body = self.summary(payers=("PAYER02", None))
        message, _status = self.event("billing_summary", body, schema_version="1.1")
        self.assertEqual(message.state, "exception")
        self.assertIn("PAYER02", message.exception_ids.description)
        self.assertFalse(self.batch())

    def test_control_total_is_checked(self):
        flow = self.flows["billing_summary"]
        body = dict(
            self.summary(),
            control_total="1499.99",
            event_type="billing.summary",
            schema_version="1.0",
            occurred_at="2026-03-01T23:00:00Z",
        )
        self.assertIn(
            {"path": "/control_total", "message": "must equal the sum of lines[].gross_charges"},
            flow._validate_payload(body),
        )
        missing = {key: value for key, value in body.items() if key != "batch_id"}
        self.assertIn(
            {"path": "/", "message": "required property missing: batch_id"},
            flow._validate_payload(missing),
            "the JSON Schema of the addon is applied",
        )
        body["control_total"] = "1500.001"
        self.assertIn(
            {"path": "/control_total", "message": "must have at most 2 decimals"},
            flow._validate_payload(body),
        )

    def test_later_event_reverses_and_replaces(self):
        now = fields.Datetime.now()
        self.event("billing_summary", self.summary(), occurred_at=f"{now:%Y-%m-%dT%H:%M:%S}Z")
        first = self.batch()
        # the same content under another event id changes nothing
        self.event("billing_summary", self.summary(), occurred_at=f"{now:%Y-%m-%dT%H:%M:%S}Z")
        self.assertEqual(self.batch(), first)
        later = now + timedelta(hours=1)
        self.event(
            "billing_summary",
            self.summary(lab=("1100.00", "220.00")),
            occurred_at=f"{later:%Y-%m-%dT%H:%M:%S}Z",
        )
        second = self.batch()
        self.assertNotEqual(second, first)
        self.assertEqual(second.version, 2)
        self.assertEqual(first.state, "replaced")
        self.assertEqual(first.replaced_by_id, second)
        reversal = first.reversal_move_id
        self.assertEqual(reversal.state, "posted")
        self.assertEqual(reversal.reversed_entry_id, first.move_id)
        # the books now show only the latest figures
        all_moves = first.move_id | reversal | second.move_id
        self.assert_balances(
            all_moves,
            {
                self.revenue_lab: -1100.0,
                self.revenue_rad: -500.0,
                self.settings["patient_receivable"]: 1600.0,
            },
        )
        # an older event arriving late is ignored (stale), not posted over the newer one
        earlier = now - timedelta(hours=1)
        message, _status = self.event(
            "billing_summary",
            self.summary(lab=("900.00", "0")),
            occurred_at=f"{earlier:%Y-%m-%dT%H:%M:%S}Z",
        )
        self.assertEqual(message.state, "done")
        self.assertEqual(self.batch(), second)

    def test_unknown_service_line_waits_for_its_mapping(self):
        body = self.summary()
        body["lines"][1]["service_line_code"] = "PHARMACY"
        message, _status = self.event("billing_summary", body)
        self.assertEqual(message.state, "exception")
        mapping = message.exception_ids.mapping_id
        self.assertEqual(
            (mapping.mapping_type, mapping.external_code), ("service_line", "PHARMACY")
        )
        pharmacy = self.revenue_lab.copy({"name": "Pharmacy revenue", "code": "400230"})
        mapping.target_ref = f"account.account,{pharmacy.id}"
        self.process()
        self.assertEqual(message.state, "done")
        self.assertEqual(self.balances(self.batch().move_id)[pharmacy], -500.0)


@tagged("post_install", "-at_install")
class TestPaymentsAndWriteoffs(RcmCase):
    def payment_event(self, **overrides):
        body = {
            "payment_id": "PAY-1001",
            "payer_code": "PAYER02",
            "amount": "250.00",
            "currency": self.company.currency_id.name,
            "received_on": "2026-03-02",
            "method": "ach",
            "trace_number": "ACH778899",
        }
        body.update(overrides)
        return body

    def test_payment_posted_is_idempotent_by_payment_id(self):
        message, _status = self.event("payment_posted", self.payment_event())
        self.assertEqual(message.state, "done")
        payment = message.link_ids.filtered(lambda l: l.res_model == "account.payment")
        payment = self.env["account.payment"].browse(payment.res_id)
        self.assertEqual(payment.partner_id, self.payer2)
        self.assertEqual(payment.amount, 250.0)
        self.assertEqual(payment.memo, "ACH778899")
        self.assertEqual(str(payment.date), "2026-03-02")
        self.assertEqual(payment.destination_account_id, self.settings["insurance_receivable"])
        self.assertEqual(payment.move_id.state, "posted")
        self.assertEqual(payment.hc_message_count, 1)
        # the same payment again (another delivery, numbers as JSON numbers): no new payment
        again, _status = self.event("payment_posted", self.payment_event(amount=250))
        self.assertEqual(again.state, "done")
        self.assertEqual(self.env["account.payment"].search_count([("memo", "=", "ACH778899")]), 1)
        payment.invalidate_recordset(["hc_message_count"])
        self.assertEqual(payment.hc_message_count, 2, "both deliveries in its sync history")
        # the same id with another amount is a conflict for a person
        conflict, _status = self.event("payment_posted", self.payment_event(amount="260.00"))
        self.assertEqual(conflict.state, "exception")
        self.assertEqual(conflict.exception_ids.category, "conflict")
        self.assertEqual(self.env["account.payment"].search_count([("memo", "=", "ACH778899")]), 1)

    def test_payment_amount_contract(self):
        flow = self.flows["payment_posted"]
        body = dict(
            self.payment_event(amount="-5"),
            event_type="payment.posted",
            schema_version="1.0",
            occurred_at="2026-03-02T10:00:00Z",
        )
        self.assertTrue(flow._validate_payload(body))

    def writeoff_event(self, writeoff_id, category, amount, **overrides):
        body = {
            "writeoff_id": writeoff_id,
            "category": category,
            "amount": amount,
            "currency": self.company.currency_id.name,
            "date": "2026-03-03",
            "account_reference": "ACCT-5521",
        }
        body.update(overrides)
        return {key: value for key, value in body.items() if value is not None}

    def test_writeoffs_per_category(self):
        self.event("writeoff", self.writeoff_event("WO-1", "bad_debt", "75.00"))
        self.event("writeoff", self.writeoff_event("WO-2", "charity", 120))
        writeoffs = self.env["hc.rcm.writeoff"].search([], order="writeoff_id")
        self.assertEqual(writeoffs.mapped("writeoff_id"), ["WO-1", "WO-2"])
        bad_debt, charity = writeoffs
        self.assert_balances(
            bad_debt.move_id,
            {
                self.settings["writeoff_bad_debt"]: 75.0,
                self.settings["patient_receivable"]: -75.0,
            },
        )
        self.assert_balances(
            charity.move_id,
            {
                self.settings["writeoff_charity"]: 120.0,
                self.settings["patient_receivable"]: -120.0,
            },
        )
        self.assertEqual(bad_debt.move_id.hc_rcm_writeoff_id, bad_debt)

    def test_writeoff_idempotent_by_id(self):
        self.event("writeoff", self.writeoff_event("WO-1", "bad_debt", "75.00"))
        same, _status = self.event("writeoff", self.writeoff_event("WO-1", "bad_debt", 75))
        self.assertEqual(same.state, "done")
        # other figures under the same id: conflict
        other, _status = self.event(
            "writeoff",
            self.writeoff_event("WO-1", "small_balance", "5.00", account_reference=None),
        )
        self.assertEqual(other.state, "exception")
        self.assertEqual(other.exception_ids.category, "conflict")
        self.assertEqual(
            self.env["hc.rcm.writeoff"].search_count([("writeoff_id", "=", "WO-1")]), 1
        )

    def test_writeoff_category_without_account(self):
        self.company.hc_rcm_writeoff_administrative_account_id = False
        message, _status = self.event(
            "writeoff",
            self.writeoff_event("WO-9", "administrative", "10.00", account_reference=None),
        )
        self.assertEqual(message.state, "exception")
        self.assertIn("Administrative write-offs", message.exception_ids.description)
