import json
from datetime import timedelta

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .common import JsonStandIn
from .common_payroll import RUN_LINES, PayrollCase


@tagged("post_install", "-at_install")
class TestPayrollJournal(PayrollCase):
    """payroll.journal → one balanced entry per pay period, judged by the ledger totals."""

    def test_pay_run_posts_one_balanced_entry_that_ties_out(self):
        message = self.send_and_process(self.run_event())
        self.assertEqual(message.state, "done", message.last_error)
        journal = self.Journal.search([("backend_id", "=", self.backend.id)])
        self.assertEqual(len(journal), 1)
        move = journal.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id, self.payroll_journal)
        self.assertEqual(move.date, fields.Date.to_date("2025-07-18"), "the pay date")
        self.assertEqual(len(self.payroll_lines().move_id), 1, "one entry for the pay period")
        self.assertAlmostEqual(sum(move.line_ids.mapped("debit")), 19539.50, places=2)
        self.assertAlmostEqual(sum(move.line_ids.mapped("credit")), 19539.50, places=2)
        expected_accounts, expected_analytic = self.expected_ledgers()
        self.assertEqual(self.ledger_by_account(), expected_accounts)
        self.assertEqual(self.ledger_by_analytic(), expected_analytic)
        self.assertEqual(
            (journal.earnings_total, journal.deductions_total, journal.employer_total),
            (17500.50, 3580.00, 2039.00),
        )
        self.assertEqual(journal.net_pay_total, 13920.50)
        links = {(link.res_model, link.res_id) for link in message.link_ids}
        self.assertIn(("account.move", move.id), links)
        self.assertIn(("hc.hr.payroll.journal", journal.id), links)
        # liabilities carry no cost centre; expenses all do
        for line in move.line_ids:
            if line.account_id.internal_group == "expense":
                self.assertTrue(line.analytic_distribution, line.name)
            else:
                self.assertFalse(line.analytic_distribution, line.name)

    def test_the_same_pay_run_again_changes_nothing(self):
        self.send_and_process(self.run_event())
        before = self.ledger_by_account()
        # the same figures, lines in another order and amounts written differently
        lines = [(t, c, cc, v.removesuffix(".00")) for t, c, cc, v in reversed(RUN_LINES)]
        again = self.send_and_process(self.run_event(lines=lines, occurred_at=self.later()))
        self.assertEqual(again.state, "done", again.last_error)
        journal = self.Journal.search([("backend_id", "=", self.backend.id)])
        self.assertEqual((journal.revision, len(journal.move_ids)), (1, 1))
        self.assertEqual(self.ledger_by_account(), before)
        self.assertTrue(
            self.env["hc.integration.audit"].search(
                [("message_id", "=", again.id), ("summary", "like", "unchanged")]
            )
        )

    def test_a_corrected_pay_run_reverses_and_reposts(self):
        self.send_and_process(self.run_event())
        journal = self.Journal.search([("backend_id", "=", self.backend.id)])
        original = journal.move_id
        snapshot = [(line.account_id, line.balance, line.name) for line in original.line_ids]
        corrected = [
            ("earning", "REG", "CC-4410", "10200.00"),
            *RUN_LINES[1:3],
            ("deduction", "FIT", "CC-4410", "1850.00"),
            *RUN_LINES[4:],
        ]
        message = self.send_and_process(self.run_event(lines=corrected, occurred_at=self.later()))
        self.assertEqual(message.state, "done", message.last_error)
        self.assertEqual(journal.revision, 2)
        self.assertEqual(len(journal.move_ids), 3, "original, its reversal, the new entry")
        reversal = original.reversal_move_ids
        self.assertEqual(len(reversal), 1)
        self.assertEqual(reversal.state, "posted")
        self.assertEqual(reversal.date, original.date)
        self.assertEqual(original.state, "posted", "a posted entry is never edited")
        self.assertEqual(
            [(line.account_id, line.balance, line.name) for line in original.line_ids], snapshot
        )
        self.assertNotEqual(journal.move_id, original)
        # net effect of original + reversal + repost: the corrected figures alone
        expected_accounts, expected_analytic = self.expected_ledgers(corrected)
        self.assertEqual(self.ledger_by_account(), expected_accounts)
        self.assertEqual(self.ledger_by_analytic(), expected_analytic)
        self.assertEqual(journal.earnings_total, 17700.50)
        # the reversal cancels the original on the (reconcilable) net pay account
        open_net_pay = self.payroll_lines().filtered(
            lambda line: line.account_id == self.net_pay_account and not line.reconciled
        )
        self.assertEqual(open_net_pay.move_id, journal.move_id)
        self.assertAlmostEqual(sum(open_net_pay.mapped("amount_residual")), -14070.50, places=2)

    def test_unmapped_codes_hold_the_whole_batch_in_one_exception(self):
        lines = [
            *RUN_LINES,
            ("earning", "SHIFT_DIFF", "CC-4410", "300.00"),
            ("deduction", "GARNISH", "CC-5200", "120.00"),
            ("earning", "REG", "CC-9999", "50.00"),
        ]
        message = self.send_and_process(self.run_event(lines=lines))
        self.assertEqual(message.state, "exception")
        exceptions = self.env["hc.integration.exception"].search([("message_id", "=", message.id)])
        self.assertEqual(len(exceptions), 1, "one exception for the whole batch")
        for code in ("SHIFT_DIFF", "GARNISH", "CC-9999"):
            self.assertIn(code, exceptions.description)
        self.assertFalse(self.payroll_lines(), "no partial posting")
        self.assertFalse(self.Journal.search([("backend_id", "=", self.backend.id)]))
        pending = self.Mapping.search(
            [("backend_id", "=", self.backend.id), ("state", "=", "pending")]
        )
        self.assertEqual(
            sorted(pending.mapped("external_code")), ["CC-9999", "GARNISH", "SHIFT_DIFF"]
        )
        # mapped: the batch is processed again and posts whole
        targets = {
            "SHIFT_DIFF": f"account.account,{self.salaries.id}",
            "GARNISH": f"account.account,{self.fit_payable.id}",
            "CC-9999": f"account.analytic.account,{self.cc_5200.id}",
        }
        for row in pending:
            row.write({"target_ref": targets[row.external_code], "state": "mapped"})
        self.process()
        self.assertEqual(message.state, "done", message.last_error)
        total = sum(self.payroll_lines().mapped("debit"))
        self.assertAlmostEqual(total, 19539.50 + 350.00, places=2)

    def test_control_totals_that_do_not_match_are_refused(self):
        event = self.run_event()
        event["control_totals"]["net_pay"] = "13920.49"
        event["control_totals"]["earnings"] = 17500.5
        errors = self.flow._validate_payload(event)
        self.assertEqual([e["path"] for e in errors], ["/control_totals/net_pay"])
        self.assertNotIn("13920", json.dumps(errors), "no amount echoed")
        # a message that reached the queue without the check is not posted either
        message = self.send_and_process(event, validate=False)
        self.assertEqual(message.state, "exception")
        self.assertIn("does not balance", message.exception_ids.description)
        self.assertFalse(self.payroll_lines())

    def test_employee_level_pay_is_refused_and_never_stored(self):
        event = self.run_event()
        event["lines"][0]["employee_external_id"] = "HR-1001"
        event["employees"] = [{"external_id": "HR-1001", "gross": "4200.00"}]
        paths = [error["path"] for error in self.flow._validate_payload(event)]
        self.assertIn("/lines/0", paths)
        self.assertIn("/", paths)
        # what is stored is per code and cost centre only, whatever reaches the queue
        message = self.send(event, validate=False)
        stored = json.dumps(message.payload)
        self.assertNotIn("HR-1001", stored)
        self.assertNotIn("4200", stored)
        self.assertEqual(
            set(message.payload["lines"][0]), {"type", "code", "cost_center_code", "amount"}
        )

    def test_an_older_version_arriving_late_is_ignored(self):
        newer = self.run_event(occurred_at=self.later(hours=1))
        self.send_and_process(newer)
        older = self.run_event(lines=RUN_LINES[1:5] + RUN_LINES[6:])
        message = self.send_and_process(older)
        self.assertEqual(message.state, "done")
        journal = self.Journal.search([("backend_id", "=", self.backend.id)])
        self.assertEqual((journal.revision, len(journal.move_ids)), (1, 1))
        self.assertEqual(self.ledger_by_account(), self.expected_ledgers()[0])

    def test_missing_settings_and_wrong_accounts_are_business_exceptions(self):
        self.company.hc_hr_payroll_journal_id = False
        message = self.send_and_process(self.run_event(period="PP-A"))
        self.assertEqual(message.state, "exception")
        self.assertIn("payroll journal", message.exception_ids.description)
        self.company.hc_hr_payroll_journal_id = self.payroll_journal
        # a deduction mapped to an expense account, an ignored code
        self.Mapping.search(
            [("external_code", "=", "FIT")]
        ).target_ref = f"account.account,{self.salaries.id}"
        self.Mapping.search([("external_code", "=", "OT")]).action_ignore()
        message = self.send_and_process(self.run_event(period="PP-B"))
        self.assertEqual(message.state, "exception")
        description = message.exception_ids.description
        self.assertIn("FIT posts to", description)
        self.assertIn("OT is mapped as ignored", description)
        self.assertFalse(self.payroll_lines())

    def test_a_matched_entry_keeps_its_matching_when_corrected(self):
        self.send_and_process(self.run_event())
        journal = self.Journal.search([("backend_id", "=", self.backend.id)])
        original = journal.move_id
        # the net pay was paid: an accountant matched it with the salary payment
        bank = self.company_data["default_journal_bank"]
        payment = self.env["account.move"].create(
            {
                "journal_id": bank.id,
                "date": "2025-07-18",
                "line_ids": [
                    Command.create({"account_id": self.net_pay_account.id, "balance": 13920.50}),
                    Command.create(
                        {
                            "account_id": bank.default_account_id.id,
                            "balance": -13920.50,
                        }
                    ),
                ],
            }
        )
        payment.action_post()
        net_pay_lines = (original | payment).line_ids.filtered(
            lambda line: line.account_id == self.net_pay_account
        )
        net_pay_lines.reconcile()
        self.assertTrue(all(net_pay_lines.mapped("reconciled")))
        corrected = [("earning", "REG", "CC-4410", "10100.00"), *RUN_LINES[1:]]
        message = self.send_and_process(self.run_event(lines=corrected, occurred_at=self.later()))
        self.assertEqual(message.state, "done", message.last_error)
        self.assertTrue(all(net_pay_lines.mapped("reconciled")), "the matching is kept")
        self.assertEqual(original.reversal_move_ids.state, "posted")
        self.assertIn("reconcile the difference", journal.message_ids.mapped("body")[0])
        self.assertEqual(self.ledger_by_account(), self.expected_ledgers(corrected)[0])

    def test_a_run_in_another_currency_is_refused(self):
        message = self.send_and_process(self.run_event(currency="XAF"))
        self.assertEqual(message.state, "exception")
        self.assertIn("XAF", message.exception_ids.description)

    def test_pulled_pay_runs_post_like_webhooks(self):
        run = self.run_event()

        def payroll_system(method, path, headers, body):
            return 200, {"items": [run], "next_cursor": None}

        with JsonStandIn(payroll_system) as server:
            self.backend.base_url = server.url
            self.flow.write({"pull_enabled": True})
            self.env["hc.integration.puller"]._pull_flow(self.flow)
            self.assertTrue(server.requests[0][1].startswith("/payroll-journals"))
            # pulled again after a correction: queued as a new version of the same event
            run = self.run_event(
                lines=[("earning", "REG", "CC-4410", "10010.00"), *RUN_LINES[1:]],
                occurred_at=self.later(),
            )
            self.flow.pull_cursor = False
            self.env["hc.integration.puller"]._pull_flow(self.flow)
        messages = self.Message.search([("flow_id", "=", self.flow.id)])
        self.assertEqual(len(messages), 2, self.flow.pull_last_error)
        self.assertEqual(min(messages.mapped("external_id")), "payroll-journal:2025-PP14")
        self.process()
        self.assertEqual(set(messages.mapped("state")), {"done"})
        journal = self.Journal.search([("backend_id", "=", self.backend.id)])
        self.assertEqual(journal.revision, 2)
        self.assertEqual(journal.earnings_total, 17510.50)

    def test_each_company_posts_in_its_own_journal(self):
        other = self.setup_other_company(name="North Clinic Inc.")["company"]
        other._hc_hr_payroll_setup_accounting()
        backend = self.env["hc.integration.backend"].create(
            {
                "name": "North payroll",
                "code": "pay_north",
                "backend_type": "payroll",
                "company_id": other.id,
            }
        )
        flow = backend._hc_hr_setup_flows().filtered(lambda f: f.code == "payroll_journal")
        Account = self.env["account.account"].with_company(other)
        wages = Account.create({"code": "610900", "name": "North wages", "account_type": "expense"})
        self.Mapping.create(
            {
                "backend_id": backend.id,
                "company_id": other.id,
                "mapping_type": "earning_code",
                "external_code": "REG",
                "target_ref": f"account.account,{wages.id}",
            }
        )
        event = self.run_event(
            lines=[("earning", "REG", None, "800.00")], currency=other.currency_id.name
        )
        message, _status = self.Message._hc_enqueue(flow, event, external_id="north-1")
        self.process()
        self.assertEqual(message.state, "done", message.last_error)
        journal = self.Journal.search([("backend_id", "=", backend.id)])
        self.assertEqual(journal.company_id, other)
        self.assertEqual(journal.move_id.company_id, other)
        self.assertEqual(journal.move_id.journal_id, other.hc_hr_payroll_journal_id)
        self.assertEqual(
            journal.move_id.line_ids.account_id, wages | other.hc_hr_payroll_net_pay_account_id
        )
        self.assertFalse(self.payroll_lines(), "nothing in the first company's books")
        # an accountant of the first company only does not see it
        accountant = new_test_user(
            self.env,
            login="pay_accountant_a",
            groups="account.group_account_readonly",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        self.assertFalse(self.Journal.with_user(accountant).search([("id", "=", journal.id)]))

    def later(self, **delta):
        return fields.Datetime.now() + timedelta(**(delta or {"minutes": 5}))
