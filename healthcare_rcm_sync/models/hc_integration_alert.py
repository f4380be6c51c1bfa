from datetime import timedelta

from odoo import api, fields, models

from ..tools.texts import short_list
from ..tools.trace_reference import looks_like_trace

REMITTANCE_HANDLER = "hc.rcm.handler.remittance"


class HcIntegrationAlert(models.Model):
    """Reassociation alerts: an 835 whose payment met no bank deposit, and a deposit with a
    trace-like reference that met no 835, after the company's number of days. Raised on
    the company's remittance flows and cleared when the match happens."""

    _inherit = "hc.integration.alert"

    kind = fields.Selection(
        selection_add=[
            ("rcm_era_without_eft", "Remittance without bank deposit"),
            ("rcm_eft_without_era", "Bank deposit without remittance"),
        ],
        ondelete={"rcm_era_without_eft": "cascade", "rcm_eft_without_era": "cascade"},
    )

    @api.model
    def _hc_rcm_check_reassociation(self, company):
        """Raise, update or clear both alerts of ``company``."""
        company = company.sudo()
        flows = (
            self.env["hc.integration.flow"]
            .sudo()
            .search(
                [("company_id", "=", company.id), ("handler_model", "=", REMITTANCE_HANDLER)],
                order="id",
            )
        )
        if not flows:
            return
        days = company.hc_rcm_reassociation_days or 3
        cutoff = fields.Date.context_today(self) - timedelta(days=days)
        unmatched = (
            self.env["account.payment"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("hc_rcm_remittance_id", "!=", False),
                    ("state", "=", "in_process"),
                    ("is_matched", "=", False),
                    ("date", "<=", cutoff),
                ]
            )
        )
        per_flow = {flow: unmatched.browse() for flow in flows}
        for payment in unmatched:
            flow = payment.hc_rcm_remittance_id.message_id.flow_id
            per_flow[flow if flow in per_flow else flows[0]] |= payment
        for flow, payments in per_flow.items():
            description = self.env._(
                "%(n)s payer payment(s) posted from 835 remittances have no matching bank "
                "deposit after %(days)s days (trace numbers %(traces)s). Import the bank "
                "statement of the payer payments journal, or check the deposit's reference.",
                n=len(payments),
                days=days,
                traces=short_list(payments.mapped("payment_reference"), 5),
            )
            self._hc_rcm_set_alert(flow, "rcm_era_without_eft", len(payments), days, description)
        deposits = self._hc_rcm_deposits_without_era(company, cutoff)
        description = self.env._(
            "%(n)s bank deposit(s) on %(journal)s carry a trace-like reference but match no "
            "835 remittance after %(days)s days. Check with the clearinghouse that the 835 was "
            "sent, or reconcile the deposit by hand.",
            n=len(deposits),
            journal=company.hc_rcm_payment_journal_id.display_name,
            days=days,
        )
        self._hc_rcm_set_alert(flows[0], "rcm_eft_without_era", len(deposits), days, description)

    @api.model
    def _hc_rcm_deposits_without_era(self, company, cutoff):
        lines = (
            self.env["account.bank.statement.line"]
            .sudo()
            .search(
                [
                    ("company_id", "=", company.id),
                    ("journal_id", "=", company.hc_rcm_payment_journal_id.id),
                    ("is_reconciled", "=", False),
                    ("amount", ">", 0),
                    ("date", "<=", cutoff),
                ]
            )
        )
        return lines.filtered(lambda line: looks_like_trace(line.payment_ref, line.ref))

    @api.model
    def _hc_rcm_set_alert(self, flow, kind, count, days, description):
        active = self.sudo().search(
            [("flow_id", "=", flow.id), ("kind", "=", kind), ("state", "=", "active")], limit=1
        )
        if count:
            self.sudo()._raise_alert(kind, description, flow=flow, value=count, threshold=days)
        elif active:
            active._clear()
