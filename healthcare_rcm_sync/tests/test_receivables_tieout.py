"""The books tie out (issue 10): receivables per payer, the contractual allowance once under
either policy, Odoo's reconciliation of the payer's receivable, one cash posting per
deposit, and bank deposits matched with their remittance (EFT↔ERA). Judged by ledger sums
(``account.move.line`` grouped by account and partner), not entry by entry."""

import xmlrpc.client
from datetime import date

from odoo.tests import HttpCase, get_db_name, new_test_user, tagged
from odoo.tools import mute_logger

from .common import RcmCase, fixture

#: The issue's example: 2,000.00 billed to PAYER01, paid 1,420.00, contractual 500.00,
#: patient responsibility 80.00 — two claims.
CLAIMS = (
    # claim id, charged, paid, [(group, reason, amount)]
    ("PCN-A", "1200.00", "850.00", [("CO", "45", "300.00"), ("PR", "2", "50.00")]),
    ("PCN-B", "800.00", "570.00", [("CO", "45", "200.00"), ("PR", "1", "30.00")]),
)


def build_835(trace, claims=CLAIMS, pay_date="20260305", payer="PAYER01"):
    """A balanced single-transaction 835 paying ``claims`` (claim-level adjustments)."""
    paid = sum(float(claim[2]) for claim in claims)
    bpr = (
        f"BPR*I*{paid:.2f}*C*ACH*CCP*01*011000015*DA*5550001111*1512345678**01*021000021"
        f"*DA*5550002222*{pay_date}"
    )
    body = [
        bpr,
        f"TRN*1*{trace}*1512345678",
        f"N1*PR*ACME HEALTH PLAN*XV*{payer}",
        "N1*PE*CITY CLINIC*XX*1234567893",
        "LX*1",
    ]
    for claim_id, charged, claim_paid, adjustments in claims:
        patient = sum(float(amount) for group, _r, amount in adjustments if group == "PR")
        status = "4" if float(claim_paid) == 0 else "1"
        body.append(
            f"CLP*{claim_id}*{status}*{charged}*{claim_paid}*{patient:.2f}*12*ICN{claim_id}*11*1"
        )
        body += [f"CAS*{group}*{reason}*{amount}" for group, reason, amount in adjustments]
    isa, gs = fixture("remit_basic.835").decode().split("~\n")[:2]
    segments = [isa, gs, "ST*835*0001*005010X221A1", *body, f"SE*{len(body) + 2}*0001"]
    return ("~\n".join([*segments, "GE*1*101", "IEA*1*000000101"]) + "~\n").encode()


class TieOutCase(RcmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.receivable = cls.settings["insurance_receivable"]
        cls.patient = cls.settings["patient_receivable"]
        cls.allowance = cls.settings["allowance"]
        cls.bank_journal = cls.settings["payment_journal"]
        cls.no_partner = cls.env["res.partner"]

    def bill(
        self,
        batch_id="B-1",
        service_date="2026-03-01",
        lab=("1200.00", "300.00"),
        rad=("800.00", "200.00"),
        payer="PAYER01",
    ):
        lines = [
            {
                "service_line_code": code,
                "gross_charges": gross,
                "contractual_adjustments": contractual,
                "payer_code": payer,
            }
            for code, (gross, contractual) in (("LAB", lab), ("RAD", rad))
        ]
        body = {
            "batch_id": batch_id,
            "facility_code": "MAIN",
            "service_date": service_date,
            "currency": self.company.currency_id.name,
            "lines": lines,
            "control_total": f"{float(lab[0]) + float(rad[0]):.2f}",
        }
        message, _status = self.event("billing_summary", body, schema_version="1.1")
        self.assertEqual(message.state, "done", message.last_error)
        return self.env["hc.rcm.billing.batch"].search([("batch_id", "=", batch_id)])

    def cash(self, amount="1420.00", trace="EFT2000", payment_id="PAY-1"):
        body = {
            "payment_id": payment_id,
            "payer_code": "PAYER01",
            "amount": amount,
            "currency": self.company.currency_id.name,
            "received_on": "2026-03-05",
            "method": "ach",
            "trace_number": trace,
        }
        message, _status = self.event("payment_posted", body)
        return message

    def deposit(self, amount=1420.0, label="ACH CCD TRN*1*EFT2000*1512345678\\", day=None):
        return self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": day or date(2026, 3, 6),
                "payment_ref": label,
                "amount": amount,
            }
        )

    def payer_payments(self):
        return self.env["account.payment"].search(
            [("partner_id", "=", self.payer1.id), ("state", "!=", "canceled")]
        )

    def assert_tied_out(self, patient=80.0, contractual=500.0):
        ledger = self.ledger()
        self.assertNotIn((self.receivable, self.payer1), ledger, "payer receivable nets 0")
        self.assertEqual(ledger.get((self.patient, self.no_partner)), patient)
        allowance = sum(v for (account, _p), v in ledger.items() if account == self.allowance)
        self.assertEqual(allowance, contractual, "contractual allowance = CO total, once")
        reserve = self.company.hc_rcm_allowance_reserve_account_id
        self.assertFalse(
            [v for (account, _p), v in ledger.items() if account == reserve], "reserve cleared"
        )


@tagged("post_install", "-at_install")
class TestReceivablesTieOut(TieOutCase):
    def test_at_remittance_books_tie_out_and_reconcile(self):
        batch = self.bill()
        self.assertEqual(self.ledger().get((self.receivable, self.payer1)), 2000.0)
        message, _status = self.post_835(build_835("EFT2000"))
        self.assertEqual(message.state, "done")
        self.assert_tied_out()
        # Odoo's own reconciliation: the billing debit and every credit of the payer match
        items = self.env["account.move.line"].search(
            [("account_id", "=", self.receivable.id), ("partner_id", "=", self.payer1.id)]
        )
        self.assertTrue(items)
        self.assertTrue(all(items.mapped("reconciled")), "aged receivable shows nothing owed")
        billing_line = batch.move_id.line_ids.filtered(lambda l: l.account_id == self.receivable)
        self.assertTrue(billing_line.full_reconcile_id)

    def test_estimated_at_billing_books_the_allowance_once(self):
        self.company.hc_rcm_allowance_policy = "estimated"
        for trace, estimates in (
            ("EFT3001", ("300.00", "200.00")),  # estimate = actual
            ("EFT3002", ("250.00", "200.00")),  # under-estimated: 835 books the difference
            ("EFT3003", ("400.00", "200.00")),  # over-estimated: the rest is released
        ):
            with self.subTest(trace=trace):
                claims = tuple((f"{trace}{c[0]}", *c[1:]) for c in CLAIMS)
                before = self.ledger()
                self.bill(
                    batch_id=trace, lab=("1200.00", estimates[0]), rad=("800.00", estimates[1])
                )
                self.post_835(build_835(trace, claims))
                after = self.ledger()
                delta = {
                    key: round(after.get(key, 0.0) - before.get(key, 0.0), 2)
                    for key in set(after) | set(before)
                }
                delta = {key: value for key, value in delta.items() if value}
                self.assertEqual(delta.get((self.receivable, self.payer1), 0.0), 0.0)
                self.assertEqual(delta.get((self.patient, self.no_partner)), 80.0)
                self.assertEqual(delta.get((self.allowance, self.payer1)), 500.0)
                reserve = self.company.hc_rcm_allowance_reserve_account_id
                self.assertEqual(delta.get((reserve, self.payer1), 0.0), 0.0)

    def test_partial_remittance_reconciles_the_oldest_debit_first(self):
        first = self.bill(batch_id="B-OLD", service_date="2026-03-01")
        second = self.bill(batch_id="B-NEW", service_date="2026-03-02")
        claims = (("PCN-P", "2400.00", "2400.00", []),)
        self.post_835(build_835("EFT4000", claims))

        def residual(batch):
            line = batch.move_id.line_ids.filtered(lambda l: l.account_id == self.receivable)
            return line.amount_residual

        self.assertEqual(residual(first), 0.0)
        self.assertEqual(residual(second), 1600.0, "the newer charges are partly paid")
        self.assertEqual(self.ledger()[(self.receivable, self.payer1)], 1600.0)

    def test_tieout_view_equals_the_journal(self):
        self.bill()
        claims = CLAIMS + (("PCN-D", "300.00", "0.00", [("CO", "50", "300.00")]),)
        self.bill(batch_id="B-2", lab=("300.00", "0"), rad=("0", "0"))
        self.post_835(build_835("EFT5000", claims))
        self.env.flush_all()
        Tieout = self.env["hc.rcm.tieout"]
        [(billed, paid, contractual, patient, denied, written_off, open_amount)] = [
            row[1:]
            for row in Tieout._read_group(
                [("payer_id", "=", self.payer1.id)],
                ["payer_id"],
                [
                    "billed:sum",
                    "paid:sum",
                    "contractual:sum",
                    "patient_responsibility:sum",
                    "denied:sum",
                    "written_off:sum",
                    "open_amount:sum",
                ],
            )
        ]
        Line = self.env["account.move.line"]

        def journal(domain):
            [[total]] = Line._read_group(
                [("company_id", "=", self.company.id), ("parent_state", "=", "posted"), *domain],
                [],
                ["balance:sum"],
            )
            return round(total, 2)

        self.assertEqual(
            billed,
            journal(
                [
                    ("account_id", "=", self.receivable.id),
                    ("partner_id", "=", self.payer1.id),
                    ("move_id.hc_rcm_billing_batch_id", "!=", False),
                ]
            ),
        )
        self.assertEqual(billed, 2300.0)
        self.assertEqual(
            paid,
            -journal(
                [
                    ("account_id", "=", self.receivable.id),
                    ("partner_id", "=", self.payer1.id),
                    ("payment_id", "!=", False),
                ]
            ),
        )
        self.assertEqual(paid, 1420.0)
        self.assertEqual(contractual, journal([("account_id", "=", self.allowance.id)]))
        self.assertEqual(contractual, 500.0, "the denied claim is not posted")
        self.assertEqual(
            patient,
            journal(
                [
                    ("account_id", "=", self.patient.id),
                    ("move_id.hc_rcm_remittance_id", "!=", False),
                ]
            ),
        )
        self.assertEqual(patient, 80.0)
        self.assertEqual(written_off, journal([("account_id", "=", self.settings["denial"].id)]))
        self.assertEqual(
            open_amount,
            journal([("account_id", "=", self.receivable.id), ("partner_id", "=", self.payer1.id)]),
        )
        self.assertEqual(open_amount, 300.0, "the denied claim stays open")
        self.assertEqual(denied, 300.0)
        # written off later: the tie-out follows the journal
        claim = self.ClaimLine.search([("claim_id", "=", "PCN-D")])
        claim.action_hc_rcm_write_off_denial()
        self.env.flush_all()
        [(written_off, open_amount, denied)] = [
            row[1:]
            for row in Tieout._read_group(
                [("payer_id", "=", self.payer1.id)],
                ["payer_id"],
                ["written_off:sum", "open_amount:sum", "denied:sum"],
            )
        ]
        self.assertEqual((written_off, open_amount, denied), (300.0, 0.0, 0.0))


@tagged("post_install", "-at_install")
class TestOneCashPostingPerDeposit(TieOutCase):
    def test_payment_posted_after_the_835_is_linked(self):
        self.post_835(build_835("EFT2000"))
        remittance = self.remittance("EFT2000")
        message = self.cash()
        self.assertEqual(message.state, "done")
        self.assertEqual(self.payer_payments(), remittance.payment_id, "no second payment")
        links = message.link_ids.filtered(lambda link: link.res_model == "account.payment")
        self.assertEqual(links.res_id, remittance.payment_id.id)
        # delivered again: still one payment, still done
        self.assertEqual(self.cash().state, "done")
        self.assertEqual(len(self.payer_payments()), 1)

    def test_payment_posted_with_another_amount_is_a_conflict(self):
        self.post_835(build_835("EFT2000"))
        message = self.cash(amount="1400.00")
        self.assertEqual(message.state, "exception")
        self.assertEqual(message.exception_ids.category, "conflict")
        self.assertNotIn("1400", message.exception_ids.description.split("trace")[0][:0])
        self.assertEqual(len(self.payer_payments()), 1)

    def test_835_after_payment_posted_links_the_payment(self):
        self.bill()
        cash = self.cash()
        self.assertEqual(cash.state, "done")
        payment = self.payer_payments()
        self.post_835(build_835("EFT2000"))
        remittance = self.remittance("EFT2000")
        self.assertEqual(remittance.payment_id, payment)
        self.assertEqual(payment.hc_rcm_remittance_id, remittance)
        self.assertEqual(self.payer_payments(), payment, "one deposit, one payment")
        self.assert_tied_out()

    def test_835_after_payment_posted_of_another_amount_is_a_conflict(self):
        self.cash(amount="1000.00")
        message, _status = self.post_835(build_835("EFT2000"))
        child = self.children(message)
        self.assertEqual(child.state, "exception")
        self.assertEqual(child.exception_ids.category, "conflict")
        self.assertFalse(self.remittance("EFT2000"), "nothing of the 835 was posted")
        self.assertEqual(len(self.payer_payments()), 1)


@tagged("post_install", "-at_install")
class TestBankReassociation(TieOutCase):
    def test_deposit_after_the_835_is_matched(self):
        self.post_835(build_835("EFT2000"))
        payment = self.remittance("EFT2000").payment_id
        line = self.deposit()
        self.assertTrue(line.is_reconciled)
        self.assertTrue(payment.is_matched)
        self.assertEqual(line.partner_id, self.payer1)

    def test_deposit_before_the_835_is_matched_when_it_arrives(self):
        line = self.deposit(label="PAYER01 EFT2000")
        self.assertFalse(line.is_reconciled)
        self.post_835(build_835("EFT2000"))
        self.assertTrue(line.is_reconciled)
        self.assertTrue(self.remittance("EFT2000").payment_id.is_matched)

    def test_other_amount_or_trace_is_not_matched(self):
        self.post_835(build_835("EFT2000"))
        wrong_amount = self.deposit(amount=1419.0)
        wrong_trace = self.deposit(label="ACH CCD TRN*1*EFT2001*1512345678\\")
        prefix = self.deposit(label="EFT20000")
        self.assertFalse(wrong_amount.is_reconciled | wrong_trace.is_reconciled)
        self.assertFalse(prefix.is_reconciled, "the trace is a whole word, not a prefix")
        self.assertFalse(self.remittance("EFT2000").payment_id.is_matched)

    def test_alerts_for_unmatched_remittances_and_deposits(self):
        Alert = self.env["hc.integration.alert"]

        def active(kind):
            return Alert.search([("kind", "=", kind), ("state", "=", "active")])

        self.company.hc_rcm_reassociation_days = 3
        self.post_835(build_835("EFT2000", pay_date="20260301"))  # months ago
        orphan = self.deposit(
            amount=99.0, label="ACH CCD TRN*1*EFT7777*1512345678\\", day=date(2026, 3, 1)
        )
        self.deposit(amount=5.0, label="Interest", day=date(2026, 3, 1))  # not trace-like
        Line = self.env["account.bank.statement.line"]
        Line._cron_hc_rcm_reassociate()
        era = active("rcm_era_without_eft")
        eft = active("rcm_eft_without_era")
        self.assertEqual(era.value, 1)
        self.assertEqual(era.flow_id, self.flow_835)
        self.assertIn("EFT2000", era.description)
        self.assertEqual(eft.value, 1, "only the trace-like deposit")
        # the deposit arrives: matched at once, the alert resolved
        self.deposit()
        self.assertFalse(active("rcm_era_without_eft"))
        self.assertEqual(era.state, "cleared")
        # the orphan deposit is reconciled by hand: cleared at the next run
        orphan.unlink()
        Line._cron_hc_rcm_reassociate()
        self.assertFalse(active("rcm_eft_without_era"))
        self.assertEqual(eft.state, "cleared")


@tagged("post_install", "-at_install")
class TestEndToEnd(TieOutCase):
    def test_billing_835_cash_and_bank_tie_out(self):
        """Billing summary with payer lines + 835 + payment.posted for the same trace + a
        bank statement line with the trace: payer receivable 0, patient receivable = PR,
        allowance = CO once, one payment, reconciled with the bank line."""
        self.bill()
        self.post_835(build_835("EFT2000"))
        self.assertEqual(self.cash().state, "done")
        line = self.deposit()
        self.assert_tied_out(patient=80.0, contractual=500.0)
        payments = self.payer_payments()
        self.assertEqual(len(payments), 1, "one deposit, one payment")
        self.assertTrue(line.is_reconciled)
        self.assertTrue(payments.is_matched)
        ledger = self.ledger()
        bank = self.bank_journal.default_account_id
        self.assertEqual(ledger.get((bank, self.payer1)), 1420.0, "the cash, once")
        outstanding = payments.outstanding_account_id
        self.assertFalse(ledger.get((outstanding, self.payer1)), "nothing left in transit")
        revenue = self.ledger([("account_id", "in", (self.revenue_lab | self.revenue_rad).ids)])
        self.assertEqual(sum(revenue.values()), -2000.0)


@tagged("post_install", "-at_install")
class TestTieOutAccess(TieOutCase, HttpCase):
    """Who reads the tie-out, over XML-RPC as each user: revenue-cycle resolvers of the
    company; not an ordinary user, not a resolver of another company."""

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.http")
    def test_tieout_over_rpc(self):
        self.bill()
        other_company = self.env["res.company"].create({"name": "Other clinic"})
        users = {
            "tieout_plain": new_test_user(self.env, login="tieout_plain", groups="base.group_user"),
            "tieout_rcm": new_test_user(
                self.env,
                login="tieout_rcm",
                groups="healthcare_rcm_sync.group_rcm_resolver",
                company_id=self.company.id,
                company_ids=[self.company.id],
            ),
            "tieout_other": new_test_user(
                self.env,
                login="tieout_other",
                groups="healthcare_rcm_sync.group_rcm_resolver",
                company_id=other_company.id,
                company_ids=[other_company.id],
            ),
        }

        def rpc(login, method, *args, **kwargs):
            return self.xmlrpc_object.execute_kw(
                get_db_name(), users[login].id, login, "hc.rcm.tieout", method, list(args), kwargs
            )

        rows = rpc("tieout_rcm", "search_read", [("payer_id", "=", self.payer1.id)], ["billed"])
        self.assertEqual(sum(row["billed"] for row in rows), 2000.0)
        self.assertEqual(rpc("tieout_other", "search_count", []), 0, "another company's books")
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            rpc("tieout_plain", "search_read", [], ["billed"])
        self.assertIn("not allowed to access", caught.exception.faultString)


@tagged("post_install", "-at_install")
class TestDenialLifecycle(TieOutCase):
    DENIED = (("PCN-D", "300.00", "0.00", [("CO", "50", "300.00")]),)
    PAID = (("PCN-D", "300.00", "250.00", [("CO", "45", "50.00")]),)

    def deny(self):
        self.bill(batch_id="B-D", lab=("300.00", "0"), rad=("0", "0"))
        message, _status = self.post_835(build_835("EFT6001", self.DENIED))
        denial = self.ClaimLine.search([("claim_id", "=", "PCN-D"), ("state", "=", "denied")])
        self.assertEqual(denial.denial_state, "open")
        return denial, self.children(message)

    def test_written_off_denial_paid_later_reverses_the_write_off(self):
        denial, _child = self.deny()
        denial.action_hc_rcm_write_off_denial()
        denial_account = self.settings["denial"]
        self.assertEqual(self.ledger().get((denial_account, self.payer1)), 300.0)
        self.post_835(build_835("EFT6002", self.PAID))
        ledger = self.ledger()
        self.assertNotIn((denial_account, self.payer1), ledger, "write-off reversed")
        self.assertNotIn((self.receivable, self.payer1), ledger, "receivable credited once")
        self.assertEqual(ledger.get((self.allowance, self.payer1)), 50.0)
        self.assertEqual(denial.denial_state, "paid")

    def test_open_or_appealed_denial_paid_later_is_closed(self):
        denial, child = self.deny()
        exception = child.exception_ids.filtered(lambda e: e.state == "open")
        self.assertTrue(exception, "a follow-up exception for the billing team")
        self.post_835(build_835("EFT6002", self.PAID))
        self.assertEqual(denial.denial_state, "paid")
        self.assertEqual(exception.state, "resolved")
        self.assertNotIn((self.receivable, self.payer1), self.ledger())
        # appealed, then paid
        claims = (("PCN-E", "120.00", "0.00", [("CO", "50", "120.00")]),)
        self.post_835(build_835("EFT6003", claims))
        appealed = self.ClaimLine.search([("claim_id", "=", "PCN-E")])
        appealed.action_hc_rcm_mark_appealed()
        self.post_835(build_835("EFT6004", (("PCN-E", "120.00", "120.00", []),)))
        self.assertEqual(appealed.denial_state, "paid")
        self.assertFalse(self.ledger([("account_id", "=", self.settings["denial"].id)]))

    def test_denial_write_off_honours_adjustment_reason_overrides(self):
        medical_necessity = self.settings["denial"].copy(
            {"name": "Medical necessity denials", "code": "410299"}
        )
        self.env["hc.integration.mapping"].create(
            {
                "backend_id": self.clearinghouse.id,
                "company_id": self.company.id,
                "mapping_type": "adjustment_reason",
                "external_code": "CO-50",
                "target_ref": f"account.account,{medical_necessity.id}",
            }
        )
        denial, _child = self.deny()
        denial.action_hc_rcm_write_off_denial()
        ledger = self.ledger()
        self.assertEqual(ledger.get((medical_necessity, self.payer1)), 300.0)
        self.assertNotIn((self.settings["denial"], self.payer1), ledger)
        self.assertNotIn((self.receivable, self.payer1), ledger)


@tagged("post_install", "-at_install")
class TestLockDates(TieOutCase):
    def setUp(self):
        super().setUp()
        self.company.fiscalyear_lock_date = date(2026, 3, 31)

    def test_period_locked_exception_posts_nothing(self):
        message, _status = self.post_835(build_835("EFT8000"))
        child = self.children(message)
        self.assertEqual(child.state, "exception")
        self.assertIn("Period locked", child.exception_ids.description)
        self.assertFalse(self.remittance("EFT8000"))
        self.assertFalse(self.payer_payments(), "no payment without its entries")

    def test_first_open_date_for_the_payment_and_all_its_entries(self):
        self.company.hc_rcm_allowance_policy = "estimated"
        self.company.hc_rcm_lock_date_policy = "first_open"
        batch = self.bill()
        self.assertEqual(batch.move_id.date, date(2026, 4, 1))
        self.post_835(build_835("EFT8000"))
        remittance = self.remittance("EFT8000")
        self.assertEqual(remittance.payment_date, date(2026, 3, 5), "the payer's date is kept")
        self.assertEqual(remittance.posting_date, date(2026, 4, 1))
        dates = set((remittance.payment_id.move_id | remittance.move_ids).mapped("date"))
        self.assertEqual(dates, {date(2026, 4, 1)}, "one date on the payment and its entries")
        self.assertEqual(remittance.payment_id.date, date(2026, 4, 1))
        self.assert_tied_out()


@tagged("post_install", "-at_install")
class TestCollections(TieOutCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agency = cls.env["res.partner"].create(
            {"name": "Recovery Partners", "is_company": True}
        )
        cls.env["hc.integration.mapping"].create(
            {
                "backend_id": cls.billing.id,
                "company_id": cls.company.id,
                "mapping_type": "agency",
                "external_code": "AGENCY-01",
                "target_ref": f"res.partner,{cls.agency.id}",
            }
        )
        cls.collections = cls.company.hc_rcm_collections_receivable_account_id
        cls.bad_debt = cls.settings["writeoff_bad_debt"]

    def place(self, amount="200.00", placement="COL-1"):
        body = {
            "placement_id": placement,
            "agency_code": "AGENCY-01",
            "amount": amount,
            "currency": self.company.currency_id.name,
            "date": "2026-04-02",
        }
        return self.event("collections_placed", body)[0]

    def recover(self, amount, recovery="REC-1", placement="COL-1"):
        body = {
            "recovery_id": recovery,
            "placement_id": placement,
            "amount": amount,
            "currency": self.company.currency_id.name,
            "date": "2026-04-20",
        }
        return self.event("collections_recovered", body)[0]

    def test_placed_to_collections_receivable_and_recovered(self):
        self.assertEqual(self.place().state, "done")
        ledger = self.ledger()
        self.assertEqual(ledger[(self.collections, self.agency)], 200.0)
        self.assertEqual(ledger[(self.patient, self.no_partner)], -200.0)
        self.assertEqual(self.recover("150.00").state, "done")
        self.assertEqual(self.recover("50.00", recovery="REC-2").state, "done")
        ledger = self.ledger()
        self.assertNotIn((self.collections, self.agency), ledger, "cleared")
        lines = self.env["account.move.line"].search(
            [("account_id", "=", self.collections.id), ("partner_id", "=", self.agency.id)]
        )
        self.assertTrue(all(lines.mapped("reconciled")))
        # more than is still placed: a conflict, never a negative write-off
        too_much = self.recover("10.00", recovery="REC-3")
        self.assertEqual(too_much.state, "exception")
        self.assertEqual(too_much.exception_ids.category, "conflict")
        # the same recovery again: one effect
        self.assertEqual(self.recover("150.00").state, "done")
        self.assertEqual(
            self.env["account.payment"].search_count([("partner_id", "=", self.agency.id)]), 2
        )

    def test_placed_to_bad_debt_and_recovery_reduces_it(self):
        self.company.hc_rcm_collections_policy = "bad_debt"
        self.place()
        self.assertEqual(self.ledger()[(self.bad_debt, self.agency)], 200.0)
        self.recover("80.00")
        ledger = self.ledger()
        bad_debt = sum(v for (account, _p), v in ledger.items() if account == self.bad_debt)
        self.assertEqual(bad_debt, 120.0, "the recovery reduces bad debt")
        self.assertFalse(
            [v for (account, _p), v in ledger.items() if account == self.bad_debt and v < 0],
            "never a negative write-off",
        )
