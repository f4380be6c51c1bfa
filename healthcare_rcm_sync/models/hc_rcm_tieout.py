from odoo import fields, models, tools


class HcRcmTieout(models.Model):
    """Receivables tie-out per payer and period, read straight from the journal: what was
    billed to the payer, what it paid, the contractual allowance, the patient
    responsibility moved to the patient receivable, the denials written off, and what is
    still open on its receivable. Denied claims still being worked (charged − paid) are
    shown beside, from the remittance claims: they are part of the open amount.

    One row per company, payer and day (group by month or quarter in the pivot). Billed −
    paid − contractual − patient responsibility − written off ± provider-level adjustments
    = open, because every figure is a sum of posted journal items."""

    _name = "hc.rcm.tieout"
    _description = "Receivables tie-out per payer"
    _auto = False
    # the view reads these columns: created before it on a fresh install
    _depends = {
        "account.move": ["hc_rcm_remittance_id", "hc_rcm_billing_batch_id", "state"],
        "account.move.line": ["move_id", "company_id", "date", "balance", "account_id"],
        "res.company": [
            "hc_rcm_insurance_receivable_account_id",
            "hc_rcm_patient_receivable_account_id",
            "hc_rcm_allowance_account_id",
            "hc_rcm_denial_account_id",
        ],
        "hc.rcm.claim.line": ["charged", "paid", "state", "denial_state", "payment_date"],
    }
    _order = "date desc, payer_id"

    company_id = fields.Many2one("res.company", readonly=True)
    payer_id = fields.Many2one("res.partner", readonly=True)
    date = fields.Date(string="Period", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    billed = fields.Monetary(readonly=True, help="Gross charges debited to the receivables.")
    paid = fields.Monetary(readonly=True, help="Payments credited to the payer's receivable.")
    contractual = fields.Monetary(readonly=True, help="Balance of the contractual allowance.")
    patient_responsibility = fields.Monetary(
        readonly=True, help="Moved by remittances to the patient receivable."
    )
    denied = fields.Monetary(
        readonly=True, help="Denied claims still open or appealed (charged − paid)."
    )
    written_off = fields.Monetary(
        readonly=True, help="Other adjustments and written-off denials (denial account)."
    )
    open_amount = fields.Monetary(
        string="Open", readonly=True, help="Balance of the payer's insurance receivable."
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            f"""
            CREATE VIEW {self._table} AS (
                WITH items AS (
                    SELECT aml.company_id, aml.date, aml.balance, aml.account_id,
                           aml.payment_id, move.hc_rcm_billing_batch_id AS batch_id,
                           rem.id AS remittance_id,
                           COALESCE(rem.payer_id, aml.partner_id) AS payer_id,
                           company.currency_id,
                           company.hc_rcm_insurance_receivable_account_id AS insurance,
                           company.hc_rcm_patient_receivable_account_id AS patient,
                           company.hc_rcm_allowance_account_id AS allowance,
                           company.hc_rcm_denial_account_id AS denial
                      FROM account_move_line aml
                      JOIN account_move move ON move.id = aml.move_id
                                            AND move.state = 'posted'
                      JOIN res_company company ON company.id = aml.company_id
                 LEFT JOIN hc_rcm_remittance rem ON rem.id = move.hc_rcm_remittance_id
                     WHERE aml.account_id IN (
                         company.hc_rcm_insurance_receivable_account_id,
                         company.hc_rcm_patient_receivable_account_id,
                         company.hc_rcm_allowance_account_id,
                         company.hc_rcm_denial_account_id)
                ), journal AS (
                    SELECT company_id, payer_id, date, currency_id,
                           SUM(CASE WHEN batch_id IS NOT NULL
                                     AND account_id IN (insurance, patient)
                                    THEN balance ELSE 0 END) AS billed,
                           SUM(CASE WHEN account_id = insurance AND payment_id IS NOT NULL
                                    THEN -balance ELSE 0 END) AS paid,
                           SUM(CASE WHEN account_id = allowance
                                    THEN balance ELSE 0 END) AS contractual,
                           SUM(CASE WHEN account_id = patient AND remittance_id IS NOT NULL
                                    THEN balance ELSE 0 END) AS patient_responsibility,
                           0.0 AS denied,
                           SUM(CASE WHEN account_id = denial
                                    THEN balance ELSE 0 END) AS written_off,
                           SUM(CASE WHEN account_id = insurance
                                    THEN balance ELSE 0 END) AS open_amount
                      FROM items
                  GROUP BY company_id, payer_id, date, currency_id
                ), denials AS (
                    SELECT claim.company_id, claim.payer_id, claim.payment_date AS date,
                           company.currency_id, 0.0, 0.0, 0.0, 0.0,
                           SUM(claim.charged - claim.paid), 0.0, 0.0
                      FROM hc_rcm_claim_line claim
                      JOIN res_company company ON company.id = claim.company_id
                     WHERE claim.state = 'denied'
                       AND claim.denial_state IN ('open', 'appealed')
                  GROUP BY claim.company_id, claim.payer_id, claim.payment_date,
                           company.currency_id
                )
                SELECT row_number() OVER () AS id, rows.*
                  FROM (SELECT * FROM journal UNION ALL SELECT * FROM denials) AS rows
            )
            """
        )
