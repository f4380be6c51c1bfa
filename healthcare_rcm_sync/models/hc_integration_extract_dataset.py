from odoo import api, models
from odoo.tools import SQL

from odoo.addons.healthcare_integration_base.tools.extract_files import Column, Dataset


# hc.integration.extract.dataset is a registry each addon extends in a file of its own.
# pylint: disable=consider-merging-classes-inherited
class HcIntegrationExtractDataset(models.AbstractModel):
    """The remittance analysis for the data warehouse: paid vs billed, denials and
    adjustment reasons, by payer code. Claims are identified by their row id only: the
    claim number (CLP01), the payer's claim number and any patient or member data stay
    out."""

    _inherit = "hc.integration.extract.dataset"

    @api.model
    def _hc_datasets(self):
        datasets = super()._hc_datasets()
        datasets["remittance_analysis"] = self._hc_dataset_remittance_analysis()
        datasets["remittance_adjustments"] = self._hc_dataset_remittance_adjustments()
        return datasets

    @api.model
    def _hc_dataset_remittance_analysis(self):
        """One row per remittance claim (the cursor is ``write_date``: a denial worked
        later comes again with its new state)."""
        return Dataset(
            code="remittance_analysis",
            label=self.env._("Remittance analysis (claims)"),
            table="hc_rcm_claim_line",
            cursor="write_date",
            columns=(
                Column("claim_line_id", SQL("t.id"), "int"),
                Column("company_id", SQL("t.company_id"), "int"),
                Column("remittance_id", SQL("t.remittance_id"), "int"),
                Column("payer_code", SQL("r.payer_code"), "str"),
                Column("currency", SQL("c.name"), "str"),
                Column("payment_date", SQL("t.payment_date"), "date"),
                Column("posting_date", SQL("r.posting_date"), "date"),
                Column("claim_status", SQL("t.status"), "str"),
                Column("state", SQL("t.state"), "str"),
                Column("denial_state", SQL("t.denial_state"), "str"),
                Column("filing_indicator", SQL("t.filing_indicator"), "str"),
                Column("facility_type", SQL("t.facility_code"), "str"),
                Column("service_count", SQL("t.service_count"), "int"),
                Column("charged", SQL("t.charged"), "amount"),
                Column("paid", SQL("t.paid"), "amount"),
                Column("patient_responsibility", SQL("t.patient_responsibility"), "amount"),
                Column("contractual_amount", SQL("t.contractual_amount"), "amount"),
                Column("patient_adjustment_amount", SQL("t.patient_amount"), "amount"),
                Column("other_adjustment_amount", SQL("t.other_adjustment_amount"), "amount"),
                Column("reverses_claim_line_id", SQL("t.reverses_id"), "int"),
                Column("created_at", SQL("t.create_date"), "datetime"),
                Column("updated_at", SQL("t.write_date"), "datetime"),
            ),
            joins=SQL(
                "JOIN hc_rcm_remittance r ON r.id = t.remittance_id "
                "LEFT JOIN res_currency c ON c.id = t.currency_id"
            ),
            where=None,
            company=SQL("t.company_id"),
        )

    @api.model
    def _hc_dataset_remittance_adjustments(self):
        """One row per adjustment (CAS group and reason, or PLB): the adjustment reasons
        of the analysis. References and provider identifiers stay out."""
        return Dataset(
            code="remittance_adjustments",
            label=self.env._("Remittance analysis (adjustment reasons)"),
            table="hc_rcm_adjustment",
            cursor="create_date",
            columns=(
                Column("adjustment_id", SQL("t.id"), "int"),
                Column("company_id", SQL("t.company_id"), "int"),
                Column("remittance_id", SQL("t.remittance_id"), "int"),
                Column("claim_line_id", SQL("t.claim_line_id"), "int"),
                Column("payer_code", SQL("r.payer_code"), "str"),
                Column("currency", SQL("c.name"), "str"),
                Column("payment_date", SQL("t.payment_date"), "date"),
                Column("level", SQL("t.level"), "str"),
                Column("group_code", SQL("t.group_code"), "str"),
                Column("reason_code", SQL("t.reason_code"), "str"),
                Column("amount", SQL("t.amount"), "amount"),
                Column("created_at", SQL("t.create_date"), "datetime"),
            ),
            joins=SQL(
                "JOIN hc_rcm_remittance r ON r.id = t.remittance_id "
                "LEFT JOIN res_currency c ON c.id = t.currency_id"
            ),
            where=None,
            company=SQL("t.company_id"),
        )
