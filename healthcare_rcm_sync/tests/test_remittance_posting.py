"""Posting of payer remittances (X12 835 and JSON) into accounting."""

import json

from odoo.tests import tagged

from .common import RcmCase, fixture


@tagged("post_install", "-at_install")
class TestRemittancePosting(RcmCase):
    def test_known_file_account_by_account(self):
        """remit_basic.835: payment 172.50 (trace EFT0001) and one adjustment entry."""
        file_message, status = self.post_835("remit_basic.835")
        self.assertEqual(status, "created")
        self.assertEqual(file_message.state, "done")
        child = self.children(file_message)
        self.assertEqual(child.external_id, "835:PAYER01:EFT0001")
        self.assertEqual(child.state, "done")
        remittance = self.remittance("EFT0001")
        self.assertEqual(remittance.payer_id, self.payer1)
        self.assertEqual(remittance.state, "posted")
        self.assertEqual(remittance.amount, 172.50)
        self.assertEqual(remittance.claims_charged, 280.0)
        self.assertEqual(remittance.claims_paid, 180.0)
        self.assertEqual(remittance.plb_total, 7.50)
        self.assertEqual(remittance.payment_method, "ACH")
        self.assertEqual(str(remittance.payment_date), "2026-03-01")
        payment = self.check_basic_payment(remittance)
        move = self.check_basic_adjustment_entry(remittance, payment)
        self.check_basic_claims(remittance)
        # the message links its records (sync history on payment and entry)
        self.assertEqual(payment.hc_message_count, 1)
        self.assertEqual(move.hc_message_count, 1)
        self.assertEqual(remittance.message_id, child)

    def check_basic_payment(self, remittance):
        """The payer's payment: BPR02, memo and reference = TRN02 for bank reconciliation."""
        payment = remittance.payment_id
        self.assertEqual(payment.partner_id, self.payer1)
        self.assertEqual(payment.amount, 172.50)
        self.assertEqual(payment.payment_type, "inbound")
        self.assertEqual(payment.memo, "EFT0001")
        self.assertEqual(payment.payment_reference, "EFT0001")
        self.assertEqual(payment.journal_id, self.settings["payment_journal"])
        self.assertEqual(payment.state, "in_process")
        self.assertEqual(payment.move_id.state, "posted")
        self.assertEqual(payment.hc_rcm_remittance_id, remittance)
        receivable = self.settings["insurance_receivable"]
        payment_line = payment.move_id.line_ids.filtered(lambda l: l.account_id == receivable)
        self.assertEqual(payment_line.balance, -172.50)
        return payment

    def check_basic_adjustment_entry(self, remittance, payment):
        """The adjustment entry, account by account."""
        receivable = self.settings["insurance_receivable"]
        move = remittance.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id, self.settings["journal"])
        self.assertEqual(move.hc_rcm_remittance_id, remittance)
        self.assert_balances(
            move,
            {
                self.settings["allowance"]: 50.0,  # PCN001 CO-45 (service level)
                self.settings["patient_receivable"]: 20.0,  # PCN001 PR-2
                self.settings["denial"]: 30.0,  # PCN002 OA-23 (claim level)
                self.settings["recoupment"]: 10.0,  # PLB WO
                self.settings["interest"]: -2.50,  # PLB L6 (negative: increases payment)
                receivable: -107.50,  # -70 -30 -10 +2.50
            },
        )
        # payment + adjustments clear exactly the billed charges from insurance receivable
        all_receivable = sum(
            (move | payment.move_id)
            .line_ids.filtered(lambda l: l.account_id == receivable)
            .mapped("balance")
        )
        self.assertAlmostEqual(all_receivable, -280.0)
        by_label = {line.name: line for line in move.line_ids}
        self.assertEqual(by_label["PCN001 CO-45"].partner_id, self.payer1)
        self.assertFalse(by_label["PCN001 PR-2"].partner_id, "no patient partner is created")
        interest = move.line_ids.filtered(lambda l: l.account_id == self.settings["interest"])
        self.assertEqual((interest.name, interest.balance), ("PLB L6 PCN002", -2.50))
        return move

    def check_basic_claims(self, remittance):
        """Claims and adjustments."""
        claims = remittance.claim_line_ids
        self.assertEqual(claims.mapped("claim_id"), ["PCN001", "PCN002"])
        pcn001 = claims[0]
        self.assertEqual((pcn001.charged, pcn001.paid), (200.0, 130.0))
        self.assertEqual(pcn001.contractual_amount, 50.0)
        self.assertEqual(pcn001.patient_amount, 20.0)
        self.assertEqual(pcn001.payer_claim_control_number, "ICN0001")
        self.assertIn("N130", pcn001.remarks)
        self.assertIn("M15", pcn001.remarks)
        self.assertEqual(sorted(pcn001.adjustment_ids.mapped("group_reason")), ["CO-45", "PR-2"])
        co45 = pcn001.adjustment_ids.filtered(lambda a: a.reason_code == "45")
        self.assertEqual(co45.level, "service")
        self.assertEqual(co45.procedure_code, "HC:99213:25")
        self.assertIn("fee schedule", co45.code_id.name)
        plb = remittance.provider_adjustment_ids
        self.assertEqual(sorted(plb.mapped("group_reason")), ["PLB-L6", "PLB-WO"])
        self.assertEqual(sorted(plb.mapped("amount")), [-2.5, 10.0])

    def test_same_file_twice_posts_once(self):
        first, status = self.post_835("remit_basic.835", event_id="evt-a")
        second, status2 = self.post_835("remit_basic.835", event_id="evt-b")
        self.assertEqual((status, status2), ("created", "created"))  # two deliveries
        self.assertEqual(second.state, "done")
        self.assertFalse(self.children(second), "the transaction was a duplicate")
        self.assertEqual(len(self.remittance("EFT0001")), 1)
        payments = self.env["account.payment"].search([("memo", "=", "EFT0001")])
        self.assertEqual(len(payments), 1)
        # the same delivery again is a duplicate of the file message itself
        _message, status3 = self.receive_835(fixture("remit_basic.835"), event_id="evt-a")
        self.assertEqual(status3, "duplicate")
        # a replay of the transaction message changes nothing
        child = self.children(first)
        child.sudo().action_replay()
        self.process()
        self.assertEqual(child.state, "done")
        self.assertEqual(len(self.env["account.payment"].search([("memo", "=", "EFT0001")])), 1)

    def test_conflicting_resend(self):
        self.post_835("remit_basic.835")
        text = fixture("remit_basic.835").decode()
        # same trace number, other content (still balanced)
        changed = (
            text.replace("BPR*I*172.50", "BPR*I*162.50")
            .replace("CLP*PCN002*2*80.00*50.00", "CLP*PCN002*2*80.00*40.00")
            .replace("CAS*OA*23*30.00", "CAS*OA*23*40.00")
        )
        file_message, _status = self.post_835(changed.encode())
        self.assertEqual(file_message.state, "done")
        conflict = self.children(file_message)
        self.assertEqual(len(conflict), 1)
        self.assertTrue(conflict.external_id.startswith("835:PAYER01:EFT0001:resend:"))
        self.assertEqual(conflict.state, "exception")
        exception = conflict.exception_ids
        self.assertEqual(exception.category, "conflict")
        self.assertIn("Conflicting resend", exception.description)
        self.assertEqual(len(self.remittance("EFT0001")), 1)
        self.assertEqual(self.remittance("EFT0001").amount, 172.50)

    def test_multi_transaction_file_one_bad_transaction(self):
        """remit_multi.835: three transactions, the second does not balance."""
        file_message, _status = self.post_835("remit_multi.835")
        children = self.children(file_message)
        self.assertEqual(len(children), 3)
        states = {c.external_id: c.state for c in children}
        self.assertEqual(
            states,
            {
                "835:PAYER01:CHK10001": "done",
                "835:PAYER02:EFT10002": "exception",
                "835:PAYER01:EFT20001": "done",
            },
        )
        self.assertTrue(self.remittance("CHK10001"))
        self.assertTrue(self.remittance("EFT20001"))
        self.assertFalse(self.remittance("EFT10002"))
        # composite SVC procedure with modifiers read from the '>' component separator
        svc = self.remittance("EFT20001").adjustment_ids.filtered(lambda a: a.level == "service")
        self.assertEqual(svc.procedure_code, "HC:97110:GP:59")

    def test_unbalanced_transaction_rejected_whole_with_difference(self):
        file_message, _status = self.post_835("remit_unbalanced.835")
        children = self.children(file_message)
        bad = children.filtered(lambda m: m.external_id == "835:PAYER01:EFT0500")
        good = children - bad
        self.assertEqual(bad.state, "exception")
        self.assertEqual(good.state, "done")
        exception = bad.exception_ids
        self.assertEqual(exception.category, "validation")
        self.assertIn("rejected whole", exception.description)
        self.assertIn("difference 5.00", exception.description)
        self.assertIn("segment 4 (BPR)", exception.description)
        self.assertFalse(self.remittance("EFT0500"))
        self.assertFalse(self.env["account.payment"].search([("memo", "=", "EFT0500")]))
        self.assertFalse(self.ClaimLine.search([("claim_id", "=", "PCN501")]))
        self.assertTrue(self.remittance("CHK0501"))
        # retrying changes nothing: the file itself is wrong
        bad.action_retry()
        self.process()
        self.assertEqual(bad.state, "exception")

    def test_reversal_forward_balance_and_recovery(self):
        self.post_835("remit_original.835")
        original = self.remittance("EFT0300")
        original_claim = original.claim_line_ids
        self.assert_balances(
            original.move_id,
            {self.settings["allowance"]: 50.0, self.settings["insurance_receivable"]: -50.0},
        )
        file_message, _status = self.post_835("remit_reversal_denial.835")
        self.assertEqual(self.children(file_message).mapped("state"), ["done", "done"])
        reversal = self.remittance("NOPAY0001")
        # zero pay: no payment; the forward balance is tracked
        self.assertFalse(reversal.payment_id)
        self.assertEqual(reversal.amount, 0.0)
        self.assertEqual(reversal.forward_balance_amount, -30.0)
        self.assertEqual(reversal.payer_forward_balance, 30.0)
        lines = reversal.claim_line_ids
        self.assertEqual(lines.mapped("state"), ["reversal", "posted"])
        self.assertEqual(original_claim.state, "reversed")
        self.assertEqual(original_claim.reversed_by_id, lines[0])
        self.assertEqual(lines[0].reverses_id, original_claim)
        receivable = self.settings["insurance_receivable"]
        self.assert_balances(
            reversal.move_id,
            {
                # the original posting of PCN301 exactly reversed (allowance 50 back)
                # and the corrected claim posted anew: CO-45 60, PR-1 20
                self.settings["allowance"]: -50.0 + 60.0,
                self.settings["patient_receivable"]: 20.0,
                # FB -30: the payer defers recovering 30, a liability until recovered
                self.forward_account: -30.0,
                receivable: 50.0 - 80.0 + 30.0,
            },
        )
        reversed_items = reversal.move_id.line_ids.filtered(
            lambda l: l.hc_rcm_claim_line_id == lines[0]
        )
        self.assertEqual(
            sorted(reversed_items.mapped("balance")),
            sorted(-b for b in original.move_id.line_ids.mapped("balance")),
        )
        # a later file recovers the forward balance: the payment is 30 lower
        self.post_835("remit_fb_recovery.835")
        recovery = self.remittance("EFT0400")
        self.assertEqual(recovery.payment_id.amount, 50.0)
        self.assertEqual(recovery.payer_forward_balance, 0.0)
        fb_items = (reversal.move_id | recovery.move_id).line_ids.filtered(
            lambda l: l.account_id == self.forward_account
        )
        self.assertEqual(sorted(fb_items.mapped("balance")), [-30.0, 30.0])
        self.assertTrue(all(fb_items.mapped("reconciled")), "deferral and recovery matched")

    def test_files_are_split_in_arrival_order_whatever_the_lanes(self):
        original_file, _status = self.receive_835(fixture("remit_original.835"))
        reversal_file, _status = self.receive_835(fixture("remit_reversal_denial.835"))
        Processor = self.env["hc.integration.processor"]
        claimed = Processor._claim(limit=10, lane=1)
        self.assertEqual(claimed, original_file)
        # a second lane meanwhile: the reversal's file waits until the original is split
        self.assertFalse(Processor._claim(limit=10, lane=2))
        Processor._process_message(claimed, owner=claimed.lease_owner)
        self.process()
        self.assertEqual((original_file | reversal_file).mapped("state"), ["done", "done"])
        original_claim = self.remittance("EFT0300").claim_line_ids
        self.assertEqual(original_claim.state, "reversed")
        self.assertEqual(self.remittance("NOPAY0001").claim_line_ids[0].reverses_id, original_claim)

    def test_reversal_of_unknown_claim_is_an_exception(self):
        file_message, _status = self.post_835("remit_reversal_denial.835")
        children = self.children(file_message)
        reversal_message = children.filtered(lambda m: m.external_id == "835:PAYER01:NOPAY0001")
        self.assertEqual(reversal_message.state, "exception")
        exception = reversal_message.exception_ids
        self.assertEqual(exception.category, "dependency")
        self.assertIn("PCN301", exception.description)
        self.assertFalse(self.remittance("NOPAY0001"))
        # the other transaction of the file (a denial) was not blocked
        self.assertTrue(self.remittance("NOPAY0002"))
        # once the original is posted, a retry posts the reversal
        self.post_835("remit_original.835")
        reversal_message.action_retry()
        self.process()
        self.assertEqual(reversal_message.state, "done")
        self.assertTrue(self.remittance("NOPAY0001"))

    def test_denial_raises_an_exception_instead_of_a_write_off(self):
        self.post_835("remit_original.835")
        file_message, _status = self.post_835("remit_reversal_denial.835")
        message = self.children(file_message).filtered(
            lambda m: m.external_id == "835:PAYER01:NOPAY0002"
        )
        remittance = self.remittance("NOPAY0002")
        self.assertEqual(message.state, "done", "the remittance itself is posted")
        self.assertEqual(remittance.state, "denials")
        denied = remittance.claim_line_ids
        self.assertEqual((denied.state, denied.denial_state), ("denied", "open"))
        self.assertFalse(remittance.move_id, "nothing written off")
        self.assertFalse(denied.move_line_ids)
        exception = message.exception_ids.filtered(lambda e: e.state == "open")
        self.assertEqual(len(exception), 1)
        self.assertIn("PCN302", exception.name)
        self.assertIn("CO-50", exception.description)
        self.assertIn("medical necessity", exception.description)
        self.assertEqual(exception.group_id, self.env.ref("healthcare_rcm_sync.group_rcm_resolver"))
        self.assertEqual((exception.res_model, exception.res_id), (remittance._name, remittance.id))
        # a replay of the message keeps the denial to work in an open exception
        message.sudo().action_replay()
        self.process()
        self.assertEqual(message.state, "done")
        self.assertEqual(exception.state, "resolved")
        exception = message.exception_ids.filtered(lambda e: e.state == "open")
        self.assertEqual(len(exception), 1)
        self.assertIn("PCN302", exception.name)
        # the billing team decides to write it off: the denial account, then closed
        denied.action_hc_rcm_write_off_denial()
        self.assertEqual(denied.denial_state, "written_off")
        self.assertEqual(remittance.state, "posted")
        self.assertEqual(exception.state, "resolved")
        write_off = remittance.move_ids
        self.assert_balances(
            write_off,
            {
                self.settings["denial"]: 350.0,
                self.settings["insurance_receivable"]: -350.0,
            },
        )
        self.assertEqual(denied.move_line_ids.move_id, write_off)

    def test_denial_appealed(self):
        self.post_835("remit_original.835")
        self.post_835("remit_reversal_denial.835")
        remittance = self.remittance("NOPAY0002")
        remittance.claim_line_ids.action_hc_rcm_mark_appealed()
        self.assertEqual(remittance.claim_line_ids.denial_state, "appealed")
        self.assertFalse(remittance.move_ids)
        self.assertEqual(remittance.message_id.exception_ids.state, "resolved")

    def test_claim_paid_twice_is_a_conflict(self):
        self.post_835("remit_basic.835")
        text = fixture("remit_basic.835").decode().replace("EFT0001", "EFT0002")
        file_message, _status = self.post_835(text.encode())
        child = self.children(file_message)
        self.assertEqual(child.state, "exception")
        self.assertEqual(child.exception_ids.category, "conflict")
        self.assertIn("PCN001", child.exception_ids.description)
        self.assertFalse(self.remittance("EFT0002"))

    def test_unknown_payer_pending_mapping_then_reprocessed(self):
        file_message, _status = self.post_835("remit_unknown_payer.835")
        child = self.children(file_message)
        self.assertEqual(child.state, "exception")
        exception = child.exception_ids
        self.assertEqual(exception.category, "mapping")
        mapping = exception.mapping_id
        self.assertEqual(
            (mapping.mapping_type, mapping.external_code, mapping.state, mapping.backend_id),
            ("payer", "PAYER99", "pending", self.clearinghouse),
        )
        self.assertFalse(self.remittance("EFT0600"))
        gamma = self.env["res.partner"].create({"name": "Gamma Mutual", "is_company": True})
        mapping.write({"target_ref": f"res.partner,{gamma.id}"})
        self.assertEqual(child.state, "pending", "mapping the code re-queues the message")
        self.assertEqual(exception.state, "resolved")
        self.process()
        self.assertEqual(child.state, "done")
        remittance = self.remittance("EFT0600")
        self.assertEqual(remittance.payer_id, gamma)
        self.assertEqual(remittance.payment_id.amount, 60.0)

    def test_missing_configuration_is_a_business_exception(self):
        self.company.hc_rcm_allowance_account_id = False
        file_message, _status = self.post_835("remit_basic.835")
        child = self.children(file_message)
        self.assertEqual(child.state, "exception")
        self.assertEqual(child.exception_ids.category, "validation")
        self.assertIn("not configured", child.exception_ids.description)
        self.assertIn("Contractual allowance", child.exception_ids.description)
        self.company.hc_rcm_allowance_account_id = self.settings["allowance"]
        child.action_retry()
        self.process()
        self.assertEqual(child.state, "done")

    def test_adjustment_reason_mapping_overrides_the_account(self):
        special = self.settings["allowance"].copy(
            {"name": "Bundling write-downs", "code": "410900"}
        )
        self.env["hc.integration.mapping"].create(
            {
                "backend_id": self.clearinghouse.id,
                "company_id": self.company.id,
                "mapping_type": "adjustment_reason",
                "external_code": "OA-23",
                "target_ref": f"account.account,{special.id}",
            }
        )
        self.post_835("remit_basic.835")
        balances = self.balances(self.remittance("EFT0001").move_id)
        self.assertEqual(balances[special], 30.0)
        self.assertNotIn(self.settings["denial"], balances)

    def test_json_equivalent(self):
        rem = self.Handler._hc_rcm_payload_from_x12(fixture("remit_basic.835"))["transactions"][0]
        rem.pop("issues")
        body = {"event_type": "remittance.835", "schema_version": "1.0"}
        body.update(occurred_at="2026-03-01T12:00:00Z", transactions=[rem])
        _message, status = self.post_835(
            json.dumps(body).encode(), flow=self.flow_json, content_type="application/json"
        )
        self.assertEqual(status, "created")
        remittance = self.remittance("EFT0001")
        self.assertEqual(remittance.amount, 172.50)
        self.assertEqual(len(remittance.claim_line_ids), 2)
        # a wrong type or amount in JSON is a contract error (422), listed without values
        rem["claims"][0]["paid"] = "12.345"
        payload = self.Handler._hc_parse_body(self.flow_json, json.dumps(body), "application/json")
        errors = self.flow_json._validate_payload(payload)
        self.assertIn(
            {
                "path": "/transactions/0/claims/0/paid",
                "message": "must be a decimal amount with at most 2 decimals",
            },
            errors,
        )
        self.assertNotIn("12.345", json.dumps(errors))

    def test_malformed_files_are_refused_at_ingest(self):
        for label, data in {
            "garbage": b"this is not an X12 file at all",
            "truncated": fixture("remit_basic.835")[:600],
            "empty": b"",
        }.items():
            with self.subTest(label):
                with self.assertRaises(ValueError) as caught:
                    self.Handler._hc_parse_body(self.flow_835, data, "application/edi-x12")
                self.assertNotIn("this is not", str(caught.exception), "no payload echoed")

    def test_foreign_currency_remittance(self):
        text = fixture("remit_basic.835").decode()
        text = text.replace(
            "TRN*1*EFT0001*1512345678~\n", "TRN*1*EFT0001*1512345678~\nCUR*PR*EUR~\n"
        )
        text = text.replace("SE*39*0001", "SE*40*0001")
        file_message, _status = self.post_835(text.encode())
        child = self.children(file_message)
        self.assertEqual(child.state, "exception", "EUR is not active in the test company")
        self.assertIn("Currency EUR is not active", child.exception_ids.description)
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": eur.id,
                "name": "2026-01-01",
                "rate": 0.9,
                "company_id": self.company.id,
            }
        )
        child.action_retry()
        self.process()
        self.assertEqual(child.state, "done")
        remittance = self.remittance("EFT0001")
        self.assertEqual(remittance.currency_id, eur)
        self.assertEqual(remittance.payment_id.currency_id, eur)
        self.assertEqual(remittance.payment_id.amount, 172.50)
        move = remittance.move_id
        self.assertEqual(move.state, "posted")
        self.assertAlmostEqual(sum(move.line_ids.mapped("balance")), 0.0)
        self.assertAlmostEqual(sum(move.line_ids.mapped("amount_currency")), 0.0)
        interest = move.line_ids.filtered(lambda l: l.account_id == self.settings["interest"])
        self.assertEqual(interest.amount_currency, -2.50)
        self.assertAlmostEqual(interest.balance, -2.78, places=2)  # 2.50 / 0.9
