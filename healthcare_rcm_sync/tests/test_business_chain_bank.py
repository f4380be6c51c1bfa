"""835 received → payment reconciled with the bank, as a business chain: p50/p95 over
24 hours on the 835 flow's dashboard card and in /healthcare/metrics."""

import xmlrpc.client
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, get_db_name, new_test_user, tagged
from odoo.tools import mute_logger

from .test_receivables_tieout import CLAIMS, TieOutCase, build_835

CHAIN = "remittance_to_bank_reconciled"


class BankChainCase(TieOutCase):
    def remit(self, trace, hours_ago):
        """A real 835 file through the pipeline, received ``hours_ago`` (an X12 file has no
        occurred_at: the chain starts when the file was received)."""
        claims = tuple((f"{claim[0]}-{trace}", *claim[1:]) for claim in CLAIMS)
        file_message, _status = self.receive_835(build_835(trace, claims))
        file_message.sudo()._engine().write(
            {"received_at": fields.Datetime.now() - timedelta(hours=hours_ago)}
        )
        self.process()
        remittance = self.remittance(trace)
        self.assertTrue(remittance.payment_id, "the 835 posted its payment")
        return remittance

    def chain(self):
        return self.env["hc.integration.metrics"]._hc_business_chains().get(CHAIN)


@tagged("post_install", "-at_install")
class TestRemittanceToBankChain(BankChainCase):
    def test_elapsed_until_the_deposit_is_reconciled(self):
        remittance = self.remit("EFT2000", hours_ago=3)
        self.assertIsNone(self.chain(), "no bank deposit yet: the chain has not ended")
        # a deposit of another amount is not reconciled: still no figure
        self.deposit(amount=1419.0)
        self.assertIsNone(self.chain())
        # the deposit with the trace number: matched and reconciled by Odoo's reconciliation
        line = self.deposit()
        self.assertTrue(line.is_reconciled)
        self.assertTrue(remittance.payment_id.is_matched)
        outstanding = remittance.payment_id.move_id.line_ids.filtered("full_reconcile_id")
        self.assertIn(line.move_id, outstanding.full_reconcile_id.reconciled_line_ids.move_id)
        count, p50, p95 = self.chain()
        self.assertEqual(count, 1)
        self.assertAlmostEqual(p50, 3 * 3600, delta=300)
        self.assertAlmostEqual(p95, 3 * 3600, delta=300)

    def test_percentiles_over_the_last_24_hours(self):
        for index, hours in enumerate((1, 2, 3, 4, 5)):
            trace = f"EFT30{index}"
            self.remit(trace, hours_ago=hours)
            self.deposit(label=f"PAYER01 {trace}")
        count, p50, p95 = self.chain()
        self.assertEqual(count, 5)
        self.assertAlmostEqual(p50, 3 * 3600, delta=300)
        self.assertAlmostEqual(p95, 4.8 * 3600, delta=300)
        # a reconciliation of two days ago is outside the window
        self.env.flush_all()
        old = self.remittance("EFT304").payment_id
        full = old.move_id.line_ids.full_reconcile_id
        self.env.cr.execute(
            "UPDATE account_full_reconcile SET create_date = create_date - interval '2 days'"
            " WHERE id IN %s",
            [tuple(full.ids)],
        )
        count, p50, _p95 = self.chain()
        self.assertEqual(count, 4)
        self.assertAlmostEqual(p50, 2.5 * 3600, delta=300)

    def test_on_the_dashboard_card_and_in_the_metrics(self):
        self.remit("EFT2000", hours_ago=3)
        self.assertIn(
            "reconciled with the bank (24 h): none ended", self.flow_835.business_chain_summary
        )
        self.deposit()
        self.flow_835.invalidate_recordset()
        summary = self.flow_835.business_chain_summary
        self.assertIn("835 received → reconciled with the bank (24 h)", summary)
        self.assertIn("p50 3.0 h", summary)
        self.assertIn(
            "reconciled with the bank (24 h): none ended",
            self.flow_json.business_chain_summary,
            "the other 835 flow received nothing: its card has no figure",
        )
        other = self.flows["payment_posted"]
        self.assertFalse(other.business_chain_summary, "the chain starts on the 835 flows")
        text = self.env["hc.integration.metrics"]._hc_prometheus()
        self.assertIn(f'hc_business_chain_seconds_count{{chain="{CHAIN}"}} 1', text)
        line = next(
            row
            for row in text.splitlines()
            if row.startswith(f'hc_business_chain_seconds{{chain="{CHAIN}",quantile="0.5"}}')
        )
        self.assertAlmostEqual(float(line.rsplit(" ", 1)[1]), 3 * 3600, delta=300)


@tagged("post_install", "-at_install")
class TestRemittanceToBankChainAccess(BankChainCase, HttpCase):
    """Over XML-RPC: the chain's figures are read on the flows by integration users only,
    and the method computing them is not callable at all."""

    @mute_logger("odoo.http")
    def test_chain_over_rpc(self):
        self.remit("EFT2000", hours_ago=3)
        self.deposit()
        users = {
            "chain_plain": new_test_user(self.env, login="chain_plain", groups="base.group_user"),
            "chain_rcm": new_test_user(
                self.env,
                login="chain_rcm",
                groups="healthcare_rcm_sync.group_rcm_resolver",
                company_id=self.company.id,
                company_ids=[self.company.id],
            ),
        }

        def rpc(login, model, method, *args, **kwargs):
            return self.xmlrpc_object.execute_kw(
                get_db_name(), users[login].id, login, model, method, list(args), kwargs
            )

        rows = rpc(
            "chain_rcm",
            "hc.integration.flow",
            "search_read",
            [("id", "=", self.flow_835.id)],
            ["business_chain_summary"],
        )
        self.assertIn("835 received", rows[0]["business_chain_summary"])
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            rpc("chain_plain", "hc.integration.flow", "search_read", [], ["business_chain_summary"])
        self.assertIn("not allowed to access", caught.exception.faultString)
        for login in users:
            with self.assertRaises(xmlrpc.client.Fault) as caught:
                rpc(login, "hc.integration.metrics", "_hc_business_chains")
            self.assertIn("Private methods", caught.exception.faultString)
